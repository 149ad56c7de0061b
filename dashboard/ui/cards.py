"""KPI cards: bordered ``st.metric`` cards in a horizontal row, with sparklines."""

from __future__ import annotations

import streamlit as st

from dashboard.text import format_value, money_symbol
from dashboard.views.common import Card

__all__ = ["format_value", "kpi_row"]


def _shown_delta(card: Card) -> str | None:
    """The delta as shown ("+$82,500", "-0.6 pts"), or None when it rounds to nothing."""
    delta = card.delta
    if delta is None:
        return None
    if card.kind == "ratio":
        text = f"{abs(delta) * 100:.1f} pts"
        zero = text == "0.0 pts"
    else:
        text = format_value(abs(delta), card.kind)
        zero = text.removeprefix(money_symbol()) in ("0", "0.0", "0.00M")
    return None if zero else f"{'+' if delta > 0 else '-'}{text}"


def format_delta(card: Card) -> str | None:
    """What the card's delta line says: the change and what it is against; "no change" when
    it rounds to nothing; the note when there is nothing to compare with."""
    if card.delta is None:
        return card.note
    shown = _shown_delta(card)
    return f"{shown} {card.compared_with}" if shown else f"no change {card.compared_with}"


def kpi_row(cards: list[Card], key: str = "kpi_row") -> None:
    """Draw the cards; where less is better (red ARR) the delta colour is inverted. A delta
    that rounds to nothing, or a note, has no arrow and no colour. A second row on a page
    has a key of its own that starts with ``kpi_row`` (ui.layout styles them alike)."""
    with st.container(horizontal=True, key=key):
        for card in cards:
            plain = _shown_delta(card) is None
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


def change_in_days(change: float | None, days: int = 30) -> tuple[str | None, str]:
    """A health change as a metric's delta and its arrow: "+4 in 30 days" with an arrow,
    "no change in 30 days" without, nothing where there is no history to compare with."""
    if change is None or change != change:
        return None, "off"
    points = round(change)
    return (
        (f"{points:+d} in {days} days", "auto") if points else (f"no change in {days} days", "off")
    )


def verdict_line(line: str | None) -> None:
    """The one line (``dashboard.text.verdict_line``) a page showing health-derived bands or
    money carries when the active scorecard does not predict churn here; nothing when it
    does."""
    if line:
        st.warning(line, icon=":material/gavel:")
