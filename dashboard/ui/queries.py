"""Cached reads for pages. Each result is keyed by the published generation of the source
store, so a load or the nightly job invalidates it, and by the inputs of the query."""

from __future__ import annotations

import datetime as dt

import polars as pl
import streamlit as st

from dashboard.store import overview
from dashboard.store.filters import AccountFilter
from dashboard.ui.state import stores


def _generation() -> str:
    return stores().sources.generation() or "empty"


@st.cache_data(show_spinner=False, max_entries=64)
def _filter_choices(generation: str) -> dict[str, list[str]]:
    return overview.filter_choices(stores().sources)


def filter_choices() -> dict[str, list[str]]:
    return _filter_choices(_generation())


@st.cache_data(show_spinner=False, max_entries=64)
def _table_overview(generation: str, account_filter: AccountFilter, today: dt.date) -> pl.DataFrame:
    return overview.table_overview(stores().sources, account_filter, today)


def table_overview(account_filter: AccountFilter, today: dt.date) -> pl.DataFrame:
    return _table_overview(_generation(), account_filter, today)
