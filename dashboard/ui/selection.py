"""Chart clicks that drive widgets: a callback copies the clicked point into a widget's state
before the rerun (widget state cannot be set after the widget is drawn)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import streamlit as st


def pick_clicked_month(
    months: list[dt.date], chart_key: str = "renewal_chart", target_key: str = "renewal_month"
) -> Callable[[], None]:
    """A plotly ``on_select`` callback: the month of the clicked bar becomes ``target_key``."""

    def callback() -> None:
        points = st.session_state[chart_key].selection.points
        if not points:
            return
        clicked = str(points[0].get("x", ""))[:7]  # "2027-03-01" or "2027-03-01 00:00" -> month
        for month in months:
            if month.isoformat()[:7] == clicked:
                st.session_state[target_key] = month

    return callback
