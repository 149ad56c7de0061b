"""The Unmanaged middle page's settings: what the middle is, and when a book is too large."""

from __future__ import annotations

import streamlit as st

from dashboard.config import get_settings
from dashboard.store.overview import filter_choices
from dashboard.text import money_symbol
from dashboard.ui.queries import read
from dashboard.views.unmanaged_middle import Middle


def middle_controls() -> tuple[Middle, int, float]:
    """The middle (ARR percentiles or segments) and the owner-load limits, from the widgets."""
    settings = get_settings()
    with st.container(border=True, horizontal=True):
        by = st.segmented_control(
            "Middle by",
            ["arr", "segment"],
            default="arr",
            key="middle_by",
            format_func={"arr": "ARR percentiles", "segment": "Segment"}.get,
        )
        if by == "segment":
            segments = read(filter_choices)["segment"]
            chosen = st.multiselect(
                "Middle segments",
                segments,
                key="middle_segments",
                default=["Mid-Market"] if "Mid-Market" in segments else None,
            )
            middle = Middle(segments=tuple(chosen))
        else:
            low, high = st.slider("ARR percentiles", 0, 100, (25, 75), step=5, key="middle_pct")
            middle = Middle(low=low / 100, high=high / 100)
        max_accounts = st.number_input(
            "Too many accounts for one person",
            10,
            2000,
            settings.owner_max_accounts,
            step=10,
            key="max_accounts",
        )
        max_arr_m = st.number_input(  # in millions: "10.0", not "10000000"
            f"Too much ARR for one person ({money_symbol()}M)",
            0.1,
            500.0,
            settings.owner_max_arr / 1e6,
            step=0.5,
            format="%.1f",
            key="max_arr_m",
        )
    return middle, int(max_accounts), float(round(max_arr_m * 1e6))
