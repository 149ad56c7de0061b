"""Data: what is loaded in each canonical table, how much, how fresh, and from where."""

import streamlit as st

from dashboard.ui import data_panels as panels
from dashboard.ui.cards import kpi_row
from dashboard.ui.filters import current_filter
from dashboard.ui.identity import current_viewer, require_full_access
from dashboard.ui.queries import view
from dashboard.ui.state import today
from dashboard.views.data import data_view

require_full_access(current_viewer(), "The Data page")
st.title("Data")
st.caption("Each canonical table with its row count, date range, freshness and source.")
data = view(data_view, current_filter(), today())
if data.filtered:
    st.info(
        "Row counts are limited to the accounts in the sidebar's filters.",
        icon=":material/filter_alt:",
    )
kpi_row(data.cards)
panels.tables_panel(data)
panels.deliveries_panel(data)
panels.undo_panel()
panels.load_panel()
