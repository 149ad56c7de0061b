"""Process-wide resources for the Streamlit app: the stores, opened once per data folder."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import streamlit as st

from dashboard.config import get_settings, org_dir
from dashboard.demo import DemoSpec, load_demo, seed_demo_handoffs
from dashboard.refresh import refresh
from dashboard.store import Stores
from dashboard.store.features import default_as_of
from dashboard.store.marts import has_scores


@st.cache_resource(show_spinner=False)
def _stores_for(data_dir: str) -> Stores:
    return Stores.open(data_dir)


def stores() -> Stores:
    """Both stores of this session's organisation (one per process and folder); with no
    organisations configured, the data folder's."""
    org = st.session_state.get("org")
    return _stores_for(str(org_dir(get_settings(), org).resolve()))


def data_dir() -> Path:
    """This session's data folder (its organisation's, when there are organisations)."""
    return org_dir(get_settings(), st.session_state.get("org"))


def today() -> dt.date:
    """The date the app scores and counts as of (the app's one read of the clock)."""
    return dt.date.today()


def now() -> dt.datetime:
    """The time a step, note or edit is recorded at."""
    return dt.datetime.now()


def rescore(backfill_weeks: int = 0, start: float = 0.0) -> dt.date:
    """Score the stored data (as of today, or the end of an older export) with a progress
    bar that fills from ``start``; returns the date scored as of."""
    bar = st.progress(start)
    as_of = default_as_of(stores().sources, today())
    refresh(
        stores(), as_of, data_dir(), backfill_weeks=backfill_weeks,
        progress=lambda f, m: bar.progress(start + f * (1 - start), text=m),
    )  # fmt: skip
    return as_of


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
            bar.empty()
            rescore(backfill_weeks=12, start=0.5)
            seed_demo_handoffs(both, spec.anchor, spec.seed)
            status.update(
                label=f"Demo portfolio of {spec.accounts:,} accounts ready", state="complete"
            )
    elif not has_scores(both.sources):
        with st.status("Scoring every account…", expanded=True) as status:
            rescore()
            status.update(label="Scores ready", state="complete")
