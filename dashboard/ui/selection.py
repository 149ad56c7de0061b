"""Chart clicks that drive what a page lists: a callback turns the clicked point into state
before the rerun (widget state cannot be set after the widget is drawn)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import streamlit as st

from dashboard.text import BAND_ORDER
from dashboard.views.portfolio import ChartPick


def _points(chart_key: str) -> list[dict]:
    event = st.session_state.get(chart_key)
    return list(event.selection.points) if event is not None else []


def pick_clicked_month(
    months: list[dt.date], chart_key: str = "renewal_chart", target_key: str = "renewal_month"
) -> Callable[[], None]:
    """A plotly ``on_select`` callback: the month of the clicked bar becomes ``target_key``."""

    def callback() -> None:
        points = _points(chart_key)
        if not points:
            return
        clicked = str(points[0].get("x", ""))[:7]  # "2027-03-01" or "2027-03-01 00:00" -> month
        for month in months:
            if month.isoformat()[:7] == clicked:
                st.session_state[target_key] = month

    return callback


def bar_pick(points: list[dict], dimension: str) -> ChartPick | None:
    """A click on a band bar: its category (the ``dimension`` value) and band (its customdata)."""
    if not points:
        return None
    point = points[0]
    band = point.get("customdata")
    band = band[0] if isinstance(band, list) and band else band
    value = point.get("y")
    return ChartPick(
        dimension, None if value is None else str(value), band if band in BAND_ORDER else None
    )


def treemap_pick(points: list[dict]) -> ChartPick | None:
    """A click on a treemap tile: ``Portfolio/<segment>[/<band>]`` (the root picks nothing)."""
    if not points:
        return None
    parts = str(points[0].get("id", "")).split("/")[1:]
    if not parts:
        return None
    band = parts[1] if len(parts) > 1 and parts[1] in BAND_ORDER else None
    return ChartPick("segment", parts[0], band)


def on_pick(
    chart_key: str, target_key: str, parse: Callable[[list[dict]], ChartPick | None]
) -> Callable[[], None]:
    """A plotly ``on_select`` callback: the parsed click becomes ``target_key`` (a click on
    nothing, or on the treemap's root, clears it)."""

    def callback() -> None:
        st.session_state[target_key] = parse(_points(chart_key))

    return callback
