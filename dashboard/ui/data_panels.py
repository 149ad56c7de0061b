"""The Data page's panels (its one view: ``views.data``), around the import and undo panels."""

from __future__ import annotations

import streamlit as st

from dashboard.ui import columns
from dashboard.ui.import_wizard import import_panel
from dashboard.ui.load_history import load_history_panel
from dashboard.ui.source_panel import database_panel
from dashboard.ui.tables import show_table
from dashboard.views.data import DataView


def tables_panel(data: DataView) -> None:
    """Each canonical table's rows, dates, freshness and source; the load history."""
    st.caption(
        data.scoring.sentence(),
        help="The last date of the activity facts (usage, tickets, invoices issued, surveys,"
        " activities), never an administrative or future-dated column.",
    )
    show_table(data.tables, columns.table_overview(), download="tandem-tables.csv")
    with st.expander("Load history: source, time, rows and the mapping used"):
        show_table(data.history, columns.load_history(), download="tandem-loads.csv")


def deliveries_panel(data: DataView) -> None:
    """Who got which digest, where, when; what failed (open when the last day's did)."""
    deliveries = data.deliveries
    if deliveries.not_delivered:
        st.warning(
            f"{deliveries.not_delivered} digests of {deliveries.latest_day} could not be "
            "delivered: see the delivery log below.",
            icon=":material/mail:",
        )
    with st.expander(
        "Digest deliveries: who got which digest, where, when, and what failed",
        expanded=bool(deliveries.not_delivered),
    ):
        show_table(deliveries.rows, columns.deliveries(), download="tandem-deliveries.csv")


def undo_panel() -> None:
    """Every load into the workspace, with an Undo per load in effect."""
    st.subheader("Loads you can undo")
    st.caption(
        "Every load into your workspace, newest first: who, when, which files and what it "
        "changed. Undo puts the source data back to just before a load; what people typed is "
        "kept."
    )
    load_history_panel()


def load_panel() -> None:
    """Load files or reload the connected database, each checked before it writes."""
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
