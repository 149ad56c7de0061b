"""The Unmanaged middle's panels: each draws a part of the page's one view (``CoverageView``)."""

from __future__ import annotations

import streamlit as st

from dashboard.text import md
from dashboard.ui import columns
from dashboard.ui.tables import show_table
from dashboard.views.unmanaged_middle import CoverageView


def what_to_change(view: CoverageView) -> None:
    """The coverage changes the evidence asks for, each with its reason and evidence."""
    st.subheader("What to change next")
    for row in view.recommendations.iter_rows(named=True):
        with st.container(border=True):
            st.markdown(f"**{md(row['change'])}** — {md(row['reason'])}")
            st.caption(f"Evidence: {md(row['evidence'])}")
    if view.recommendations.is_empty():
        st.success("No coverage symptom over its threshold in this part of the portfolio.")


def unworked_signals(view: CoverageView) -> None:
    """Middle accounts without an AM, and the suggested assignments."""
    st.subheader("Commercial signals nobody works")
    st.caption("Middle accounts without an AM, most signals first, then the most ARR.")
    show_table(view.unmanaged, columns.unmanaged_accounts(), download="tandem-unmanaged-middle.csv")
    st.subheader("Suggested assignments")
    st.caption(
        "Each uncovered account with a signal, most ARR first, to the AM with the most capacity "
        "left in its segment (or its region when no AM works that segment)."
    )
    show_table(
        view.assignments,
        columns.assignments(),
        placeholder="no AM has capacity",
        download="tandem-suggested-assignments.csv",
    )


def owners_and_models(view: CoverageView) -> None:
    """Each owner's load, and the organisation model per segment (full width: 11 columns)."""
    st.subheader("Owner load")
    show_table(view.load, columns.owner_load(), download="tandem-owner-load.csv")
    st.subheader("Organisation model per segment")
    st.caption(
        "Each model's known failure: pairs stall handoffs; combined roles discover renewals "
        "late (inside 30 days, no touch in 60) and miss expansions; CSM-only leaves a blind spot."
    )
    show_table(view.models, columns.org_models())
