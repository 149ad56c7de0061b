"""Unmanaged middle: the accounts with a CSM and no AM in the middle of the portfolio, owner
load, the organisation model per segment and what to change next."""

import streamlit as st

from dashboard.ui import middle_panels as panels
from dashboard.ui.cards import kpi_row
from dashboard.ui.filters import current_filter
from dashboard.ui.identity import current_viewer, require_full_access
from dashboard.ui.middle_controls import middle_controls
from dashboard.ui.queries import view
from dashboard.ui.state import today
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
panels.what_to_change(middle_view)
panels.unworked_signals(middle_view)
panels.owners_and_models(middle_view)
