"""Data: what is loaded in each canonical table, how much, how fresh, and from where."""

import streamlit as st

from dashboard.store.overview import load_history, table_overview
from dashboard.ui.filters import current_filter
from dashboard.ui.identity import current_viewer, require_full_access
from dashboard.ui.import_wizard import import_panel
from dashboard.ui.queries import read
from dashboard.ui.source_panel import database_panel
from dashboard.ui.state import today
from dashboard.ui.tables import download_csv

require_full_access(current_viewer(), "The Data page")
st.title("Data")
st.caption("Each canonical table with its row count, date range, freshness and source.")

account_filter = current_filter()
overview = read(table_overview, account_filter, today())
if not account_filter.is_empty():
    st.info(
        "Row counts are limited to the accounts in the sidebar's filters.",
        icon=":material/filter_alt:",
    )

with st.container(horizontal=True):
    st.metric("Accounts", f"{overview['row_count'][0]:,}", border=True)
    st.metric(
        "Usage events",
        f"{overview.filter(table_name='usage_events')['row_count'][0]:,}",
        border=True,
    )
    st.metric(
        "Tables with data", f"{(overview['row_count'] > 0).sum()} of {overview.height}", border=True
    )

st.dataframe(
    overview,
    hide_index=True,
    placeholder="—",
    column_config={
        "table_name": st.column_config.TextColumn("Table"),
        "row_count": st.column_config.NumberColumn("Rows", format="localized"),
        "first_date": st.column_config.DateColumn("First", format="YYYY-MM-DD"),
        "last_date": st.column_config.DateColumn("Last", format="YYYY-MM-DD"),
        "days_since_last": st.column_config.NumberColumn(
            "Days since last", help="Freshness: days from the newest row to today"
        ),
        "source": st.column_config.TextColumn("Source"),
        "loaded_at": st.column_config.DatetimeColumn("Loaded at (UTC)", format="YYYY-MM-DD HH:mm"),
    },
)
download_csv(overview, "tandem-tables.csv")

with st.expander("Load history: source, time, rows and the mapping used"):
    history = read(load_history, 200)
    st.dataframe(
        history, hide_index=True, placeholder="—",
        column_config={
            "table_name": st.column_config.TextColumn("Table"),
            "source": st.column_config.TextColumn("Source", width="medium"),
            "loaded_at": st.column_config.DatetimeColumn("Loaded at (UTC)", format="YYYY-MM-DD HH:mm"),
            "row_count": st.column_config.NumberColumn("Rows", format="localized"),
            "mapping": st.column_config.JsonColumn("Mapping"),
        },
    )  # fmt: skip
    download_csv(history, "tandem-loads.csv")

st.subheader("Load your own data")
st.caption(
    "Uploads replace the tables they feed, in one transaction: all of it lands or none of it. "
    "Unknown extra columns are dropped. Scores are recomputed after every load."
)
upload_tab, database_tab = st.tabs(["Upload files", "Connected database"])
with upload_tab:
    import_panel()
with database_tab:
    database_panel()
