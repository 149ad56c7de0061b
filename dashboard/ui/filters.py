"""The sidebar's global filters, kept in the URL so a filtered view can be shared as a link."""

from __future__ import annotations

import streamlit as st

from dashboard.store.filters import FILTER_COLUMNS, FILTER_LABELS, AccountFilter
from dashboard.ui.links import keep, seed

LABELS = FILTER_LABELS


def sidebar_filters(
    choices: dict[str, list[str]], scope: list[str] | None = None, applies: bool = True
) -> AccountFilter:
    """Draw the filters in the sidebar, sync them with the URL, and return the selection.

    A link's query parameters seed the widgets when they have no state (a session's first
    run), else the values this session last had (``links.seed``: a page change can drop a
    widget's state); after that the widgets are the truth and are written back into the URL
    on every run. On a page the filters do
    not apply to (``applies`` false: the Weekly sync, whose pair decides) they are not drawn nor
    written into its link; the selection is kept for the next page that uses it.
    """
    selection: dict[str, list[str]] = {}
    if not applies:
        for key in FILTER_COLUMNS:
            st.query_params.pop(key, None)
            if f"filter_{key}" in st.session_state:  # keep it past this page's run
                st.session_state[f"filter_{key}"] = st.session_state[f"filter_{key}"]
        return AccountFilter(scope=scope)
    with st.sidebar:
        st.subheader("Filters")
        for key in FILTER_COLUMNS:
            widget_key = f"filter_{key}"
            known = choices.get(key, [])
            seed(widget_key, key, lambda values, known=known: [v for v in values if v in known])
            selection[key] = st.multiselect(LABELS[key], known, key=widget_key, placeholder="All")
            keep(key, selection[key])
    return AccountFilter(**selection, scope=scope)


def current_filter() -> AccountFilter:
    """The selection made in the sidebar on this run (pages call this)."""
    return st.session_state.get("account_filter", AccountFilter())
