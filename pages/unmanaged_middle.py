"""Unmanaged middle: the accounts with a CSM and no AM in the middle of the portfolio, owner
load, the organisation model per segment and what to change next."""

import streamlit as st

from dashboard.text import md
from dashboard.ui import columns
from dashboard.ui.cards import kpi_row
from dashboard.ui.filters import current_filter
from dashboard.ui.identity import current_viewer, require_full_access
from dashboard.ui.middle_controls import middle_controls
from dashboard.ui.queries import view
from dashboard.ui.state import today
from dashboard.ui.tables import show_table
from dashboard.views.unmanaged_middle import unmanaged_middle_view

require_full_access(current_viewer(), "The Unmanaged middle page")
st.title("Unmanaged middle")
st.caption(
    "Every account has a CSM, but only some have an AM: the middle of the portfolio is where "
    "commercial signals go unworked."
)
middle, max_accounts, max_arr = middle_controls()
middle_view = view(unmanaged_middle_view, current_filter(), today(), middle, max_accounts, max_arr)
kpi_row(middle_view.cards)
if middle_view.middle_range:
    st.caption(middle_view.middle_range)

st.subheader("What to change next")
for row in middle_view.recommendations.iter_rows(named=True):
    with st.container(border=True):
        st.markdown(f"**{md(row['change'])}** — {md(row['reason'])}")
        st.caption(f"Evidence: {md(row['evidence'])}")
if middle_view.recommendations.is_empty():
    st.success("No coverage symptom over its threshold in this part of the portfolio.")

st.subheader("Commercial signals nobody works")
st.caption("Middle accounts without an AM, most signals first, then the most ARR.")
show_table(
    middle_view.unmanaged,
    columns.unmanaged_accounts(),
    download="tandem-unmanaged-middle.csv",
)

st.subheader("Suggested assignments")
st.caption(
    "Each uncovered account with a signal, most ARR first, to the AM with the most capacity "
    "left in its segment (or its region when no AM works that segment)."
)
show_table(middle_view.assignments, columns.assignments(), placeholder="no AM has capacity",
           download="tandem-suggested-assignments.csv")  # fmt: skip

st.subheader("Owner load")
show_table(middle_view.load, columns.owner_load(), download="tandem-owner-load.csv")
st.subheader("Organisation model per segment")  # full width: eleven columns
st.caption(
    "Each model's known failure: pairs stall handoffs; combined roles discover renewals "
    "late (inside 30 days, no touch in 60) and miss expansions; CSM-only leaves a blind spot."
)
show_table(middle_view.models, columns.org_models())
