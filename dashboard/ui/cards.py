"""KPI cards: bordered ``st.metric`` cards in a horizontal row, with sparklines."""

from __future__ import annotations

import streamlit as st

from dashboard.text import format_value
from dashboard.views.common import Card

__all__ = ["format_value", "kpi_row"]


def format_delta(card: Card) -> str | None:
    delta = card.delta
    if delta is None:
        return card.note
    if card.kind == "ratio":
        return f"{delta * 100:+.1f} pts {card.compared_with}"
    sign = "+" if delta >= 0 else "-"
    return f"{sign}{format_value(abs(delta), card.kind)} {card.compared_with}"


def kpi_row(cards: list[Card]) -> None:
    """Draw the cards; where less is better (red ARR) the delta colour is inverted."""
    with st.container(horizontal=True):
        for card in cards:
            plain = card.delta is None
            st.metric(
                card.label,
                format_value(card.value, card.kind),
                delta=format_delta(card),
                delta_color="off" if plain else "inverse" if card.lower_is_better else "normal",
                delta_arrow="off" if plain else "auto",
                help=card.help or None,
                border=True,
                chart_data=card.trend if len(card.trend) > 1 else None,
                chart_type="area",
            )
