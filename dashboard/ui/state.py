"""Process-wide resources for the Streamlit app: the stores, opened once per data folder."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from dashboard.config import get_settings
from dashboard.demo import DemoSpec, load_demo
from dashboard.refresh import refresh
from dashboard.store import Stores
from dashboard.store.marts import has_scores


@st.cache_resource(show_spinner=False)
def _stores_for(data_dir: str) -> Stores:
    return Stores.open(data_dir)


def stores() -> Stores:
    """Both stores for the configured data folder (one per process and folder)."""
    return _stores_for(str(get_settings().data_dir.resolve()))


def today() -> dt.date:
    """The date the app scores and counts as of (the app's one read of the clock)."""
    return dt.date.today()


def ensure_data() -> None:
    """On an empty store, build the demo portfolio; without scores, score it. Both show
    their progress."""
    both = stores()
    settings = get_settings()
    if both.sources.is_empty():
        spec = DemoSpec(accounts=settings.demo_accounts, seed=settings.demo_seed, anchor=today())
        with st.status("No data yet: building the demo portfolio…", expanded=True) as status:
            bar = st.progress(0.0)
            load_demo(both.sources, spec, lambda f, m: bar.progress(f * 0.5, text=m))
            refresh(both, today(), settings.data_dir, backfill_weeks=12,
                    progress=lambda f, m: bar.progress(0.5 + f * 0.5, text=m))  # fmt: skip
            status.update(
                label=f"Demo portfolio of {spec.accounts:,} accounts ready", state="complete"
            )
    elif not has_scores(both.sources):
        with st.status("Scoring every account…", expanded=True) as status:
            bar = st.progress(0.0)
            refresh(both, today(), settings.data_dir, progress=lambda f, m: bar.progress(f, text=m))
            status.update(label="Scores ready", state="complete")
