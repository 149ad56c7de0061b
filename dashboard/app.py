"""Tandem's entry script: the shell every page shares (navigation, global filters)."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from dashboard.ui.filters import sidebar_filters
from dashboard.ui.queries import filter_choices
from dashboard.ui.state import ensure_demo

st.set_page_config(page_title="Tandem", page_icon=":material/handshake:", layout="wide")

PAGES_DIR = Path(__file__).resolve().parent.parent / "pages"
PAGES = {
    "Data": [
        st.Page(PAGES_DIR / "data.py", title="Data", icon=":material/database:", default=True)
    ],
}

page = st.navigation(PAGES)
ensure_demo()
st.session_state["account_filter"] = sidebar_filters(filter_choices())
page.run()
