"""Tandem's entry script: the shell every page shares (navigation, global filters)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

# First, before anything can draw a chart: Plotly looks pandas up in sys.modules without
# waiting for an import in progress, so when one session imported pandas (lazily, through
# Streamlit) while another built a figure, that one failed with "partially initialized module
# 'pandas'". Every run imports it here first, and a second session waits for the first.
import pandas  # noqa: F401
import streamlit as st

from dashboard.config import get_settings
from dashboard.ingest.demo import DemoSpec, load_demo
from dashboard.jobs.demo_history import seed_demo_handoffs
from dashboard.jobs.refresh import RefreshError, refresh
from dashboard.store import SchemaError, StoreError, Stores
from dashboard.store.marts import has_scores, scores_are_current
from dashboard.store.overview import filter_choices
from dashboard.ui.filters import sidebar_filters
from dashboard.ui.identity import current_viewer, sidebar_identity, sidebar_workspace
from dashboard.ui.layout import phone_layout
from dashboard.ui.links import keep_workspace, set_page, workspace_from_link
from dashboard.ui.nav import UNFILTERED, navigation
from dashboard.ui.queries import read, use_data_currency
from dashboard.ui.search import account_search
from dashboard.ui.state import (
    org_root,
    rescore,
    stores,
    today,
    use_rescorer,
    verify_workspace,
    workspace,
)


def _rescorer(
    both: Stores,
    as_of: dt.date,
    data_dir: Path,
    backfill_weeks: int,
    progress: Callable[[float, str], None],
    digests: bool = True,
) -> None:
    """What the UI's "rescore" runs: the nightly job's refresh, in this process."""
    refresh(
        both, as_of, data_dir, backfill_weeks=backfill_weeks, progress=progress, digests=digests
    )


def ensure_data() -> None:
    """Start-up scoring: on the demo's empty store, build the demo portfolio; without
    scores, score it. Both show their progress. The team's workspace is never filled with
    the demo."""
    both = stores()
    verify_workspace()
    settings = get_settings()
    if both.sources.is_empty() and workspace() == "demo":
        spec = DemoSpec(accounts=settings.demo_accounts, seed=settings.demo_seed, anchor=today())
        with st.status("No data yet: building the demo portfolio…", expanded=True) as status:
            bar = st.progress(0.0)
            load_demo(both.sources, spec, lambda f, m: bar.progress(f * 0.5, text=m))
            bar.empty()
            # no digests: they are for delivery, written by the nightly job (`tandem refresh`);
            # no page reads them, and the first start does not wait for them
            rescore(backfill_weeks=12, start=0.5, digests=False)
            seed_demo_handoffs(both, spec.anchor, spec.seed)
            status.update(
                label=f"Demo portfolio of {spec.accounts:,} accounts ready", state="complete"
            )
    elif not scores_are_current(both.sources):
        label = (
            "Scoring every account…"
            if not has_scores(both.sources)
            else (
                "Scoring every account again: this version of Tandem computes more than the scores "
                "on file"
            )
        )
        with st.status(label, expanded=True) as status:
            rescore()
            status.update(label="Scores ready", state="complete")


st.set_page_config(page_title="Tandem", page_icon=":material/handshake:", layout="wide")

use_rescorer(_rescorer)  # the UI rescores through the shell, never by importing a job
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
    viewer = current_viewer()  # again: the covers of this workspace's app store
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
