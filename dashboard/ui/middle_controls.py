"""The Unmanaged middle page's settings: what the middle is, and when a book is too large."""

from __future__ import annotations

import streamlit as st

from dashboard.config import get_settings
from dashboard.store.overview import filter_choices
from dashboard.text import money_symbol
from dashboard.ui.links import keep, seed
from dashboard.ui.queries import read
from dashboard.views.unmanaged_middle import Middle


def _percentiles(values: list[str]) -> tuple[int, int] | None:
    try:
        low, high = (int(v) for v in values[0].split("-"))
    except ValueError:
        return None
    return (low, high) if 0 <= low < high <= 100 and low % 5 == 0 == high % 5 else None


def _seed_middle(segments: list[str]) -> None:
    """The middle's widgets from the link (``middle_by``, ``middle_pct=25-75``,
    ``middle_segment``), else as last seen, else the defaults."""
    seed("middle_by", "middle_by", lambda v: v[0] if v[0] in ("arr", "segment") else None)
    seed("middle_pct", "middle_pct", _percentiles)
    seed("middle_segments", "middle_segment", lambda v: [s for s in v if s in segments] or None)
    st.session_state.setdefault("middle_by", "arr")
    st.session_state.setdefault(
        "middle_segments", ["Mid-Market"] if "Mid-Market" in segments else []
    )


def middle_controls() -> tuple[Middle, int, float]:
    """The middle (ARR percentiles or segments) and the owner-load limits, from the widgets."""
    settings = get_settings()
    segments = read(filter_choices)["segment"]
    _seed_middle(segments)  # the link's middle, or the one last seen
    with st.container(border=True, horizontal=True):
        by = st.segmented_control(
            "Middle by",
            ["arr", "segment"],
            key="middle_by",
            format_func={"arr": "ARR percentiles", "segment": "Segment"}.get,
        )
        if by == "segment":
            chosen = st.multiselect("Middle segments", segments, key="middle_segments")
            middle = Middle(segments=tuple(chosen))
            keep("middle_segment", list(chosen))
            keep("middle_pct", None)
        else:
            low, high = st.slider(  # (a range slider: its default says so)
                "ARR percentiles", 0, 100, (25, 75), step=5, key="middle_pct"
            )
            middle = Middle(low=low / 100, high=high / 100)
            keep("middle_pct", f"{low}-{high}")
            keep("middle_segment", None)
        keep("middle_by", by or "arr")
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
