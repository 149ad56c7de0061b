"""KPI cards: bordered ``st.metric`` cards in a horizontal row, with sparklines."""

from __future__ import annotations

import streamlit as st

from dashboard.views.portfolio import Kpi


def format_value(value: float | None, kind: str) -> str:
    if value is None:
        return "—"
    if kind == "money":
        return f"${value / 1e6:,.2f}M" if abs(value) >= 1e6 else f"${value:,.0f}"
    if kind == "ratio":
        return f"{value:.1%}"
    if kind == "score":
        return f"{value:.1f}"
    return f"{value:,.0f}"


def format_delta(kpi: Kpi) -> str | None:
    delta = kpi.delta
    if delta is None:
        return None
    if kpi.kind == "ratio":
        return f"{delta * 100:+.1f} pts w/w"
    sign = "+" if delta >= 0 else "-"
    return f"{sign}{format_value(abs(delta), kpi.kind)} w/w"


def kpi_row(kpis: list[Kpi]) -> None:
    """Draw the cards; red ARR rising is bad, so its delta colour is inverted."""
    with st.container(horizontal=True):
        for kpi in kpis:
            st.metric(
                kpi.label,
                format_value(kpi.value, kpi.kind),
                delta=format_delta(kpi),
                delta_color="inverse" if kpi.label in ("ARR red", "ARR yellow") else "normal",
                help=kpi.help,
                border=True,
                chart_data=kpi.trend if len(kpi.trend) > 1 else None,
                chart_type="area",
            )
