"""Data: what is loaded in each canonical table, how much, how fresh, and from where."""

import streamlit as st

from dashboard.ui import columns
from dashboard.ui.cards import kpi_row
from dashboard.ui.filters import current_filter
from dashboard.ui.identity import current_viewer, require_full_access
from dashboard.ui.import_wizard import import_panel
from dashboard.ui.load_history import load_history_panel
from dashboard.ui.queries import read
from dashboard.ui.source_panel import database_panel
from dashboard.ui.state import stores, today
from dashboard.ui.tables import show_table
from dashboard.views.data import data_view, delivery_log

require_full_access(current_viewer(), "The Data page")
st.title("Data")
st.caption("Each canonical table with its row count, date range, freshness and source.")
data = read(data_view, current_filter(), today())
if data.filtered:
    st.info("Row counts are limited to the accounts in the sidebar's filters.", icon=":material/filter_alt:")  # fmt: skip
kpi_row(data.cards)
st.caption(
    data.scoring.sentence(),
    help="The last date of the activity facts (usage, tickets, invoices issued, surveys,"
    " activities), never an administrative or future-dated column.",
)
show_table(data.tables, columns.table_overview(), download="tandem-tables.csv")

with st.expander("Load history: source, time, rows and the mapping used"):
    show_table(data.history, columns.load_history(), download="tandem-loads.csv")
deliveries = delivery_log(stores().app)
if deliveries.not_delivered:
    st.warning(f"{deliveries.not_delivered} digests of {deliveries.latest_day} could not be delivered: see the delivery log below.", icon=":material/mail:")  # fmt: skip
with st.expander("Digest deliveries: who got which digest, where, when, and what failed", expanded=bool(deliveries.not_delivered)):  # fmt: skip
    show_table(deliveries.rows, columns.deliveries(), download="tandem-deliveries.csv")

st.subheader("Loads you can undo")
st.caption(
    "Every load into your workspace, newest first: who, when, which files and what it changed. "
    "Undo puts the source data back to just before a load; what people typed is kept."
)
load_history_panel()

st.subheader("Load your own data")
st.caption(
    "Every load shows what it changes before it writes, into your own workspace (never the "
    "demo's), in one transaction: all of it lands or none of it. Scores are recomputed after."
)
upload_tab, database_tab = st.tabs(["Upload files", "Connected database"])
with upload_tab:
    import_panel()
with database_tab:
    database_panel()
