"""Tandem's entry script: the shell every page shares (navigation, global filters)."""

from __future__ import annotations

# First, before anything can draw a chart: Plotly looks pandas up in sys.modules without
# waiting for an import in progress, so when one session imported pandas (lazily, through
# Streamlit) while another built a figure, that one failed with "partially initialized module
# 'pandas'". Every run imports it here first, and a second session waits for the first.
import pandas  # noqa: F401, I001
import streamlit as st

from dashboard.jobs.refresh import RefreshError
from dashboard.store import SchemaError, StoreError
from dashboard.store.overview import filter_choices
from dashboard.ui.filters import sidebar_filters
from dashboard.ui.identity import current_viewer, sidebar_identity, sidebar_workspace
from dashboard.ui.layout import phone_layout
from dashboard.ui.links import keep_workspace, set_page, workspace_from_link
from dashboard.ui.nav import UNFILTERED, navigation
from dashboard.ui.queries import read, use_data_currency
from dashboard.ui.search import account_search
from dashboard.ui.state import ensure_data, org_root

st.set_page_config(page_title="Tandem", page_icon=":material/handshake:", layout="wide")

page = st.navigation(navigation())
set_page(page.url_path)  # this page's link: other pages' parameters out
phone_layout()
try:
    viewer = current_viewer()  # signs in and picks the organisation, whose stores follow
    workspace_from_link()  # a link's workspace (?ws=demo) on the session's first run
    sidebar_workspace()  # the team's data or the demo: never mixed
    keep_workspace()  # ...and the link says which
    ensure_data()
    use_data_currency()  # this run shows money in the data's currency
except (StoreError, SchemaError, RefreshError) as exc:
    st.error(
        f"Tandem cannot open its data folder {org_root().resolve()}: {exc}\n\n"
        "Nothing was changed. Restore the folder from a backup (`tandem backup`), move the "
        "file aside, or point `TANDEM_DATA_DIR` at another folder.",
        icon=":material/database_off:",
    )
    st.stop()
try:
    sidebar_identity(viewer)
    account_search(viewer.scope())
    st.session_state["account_filter"] = sidebar_filters(
        read(filter_choices), viewer.scope(), applies=page.url_path not in UNFILTERED
    )
    page.run()
except (StoreError, SchemaError) as exc:  # damage found while a page reads: say it, change nothing
    st.error(
        f"Tandem could not read its data: {exc}\n\nNothing was changed.",
        icon=":material/database_off:",
    )
