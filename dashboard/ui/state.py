"""Process-wide resources for the Streamlit app: the stores, opened once per data folder."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from dashboard.config import get_settings
from dashboard.demo import DemoSpec, load_demo
from dashboard.store import Stores


@st.cache_resource(show_spinner=False)
def _stores_for(data_dir: str) -> Stores:
    return Stores.open(data_dir)


def stores() -> Stores:
    """Both stores for the configured data folder (one per process and folder)."""
    return _stores_for(str(get_settings().data_dir.resolve()))


def today() -> dt.date:
    """The date the app scores and counts as of (the app's one read of the clock)."""
    return dt.date.today()


def ensure_demo() -> None:
    """On an empty store, build the demo portfolio, showing its progress."""
    source = stores().sources
    if not source.is_empty():
        return
    settings = get_settings()
    spec = DemoSpec(accounts=settings.demo_accounts, seed=settings.demo_seed, anchor=today())
    with st.status("No data yet: building the demo portfolio…", expanded=True) as status:
        bar = st.progress(0.0)
        load_demo(source, spec, lambda fraction, message: bar.progress(fraction, text=message))
        status.update(label=f"Demo portfolio of {spec.accounts:,} accounts ready", state="complete")
