"""Tandem's entry script: the shell every page shares (navigation, global filters)."""

from __future__ import annotations

import streamlit as st

from dashboard.store.overview import filter_choices
from dashboard.ui.filters import sidebar_filters
from dashboard.ui.nav import navigation
from dashboard.ui.queries import read
from dashboard.ui.state import ensure_data

st.set_page_config(page_title="Tandem", page_icon=":material/handshake:", layout="wide")

page = st.navigation(navigation())
ensure_data()
st.session_state["account_filter"] = sidebar_filters(read(filter_choices))
page.run()
