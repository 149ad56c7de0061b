"""Process-wide resources for the Streamlit app: the stores, opened once per data folder."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import streamlit as st

from dashboard import clock
from dashboard.config import get_settings, org_dir
from dashboard.jobs.demo_history import seed_demo_handoffs
from dashboard.jobs.refresh import refresh
from dashboard.store import Stores
from dashboard.store.features import default_as_of
from dashboard.store.marts import has_scores, scores_are_current
from dashboard.store.workspaces import Workspace, has_team_data, import_target, workspace_dir
from dashboard.workflows.demo_portfolio import DemoSpec, load_demo_portfolio


@st.cache_resource(show_spinner=False)
def _stores_for(data_dir: str) -> Stores:
    return Stores.open(data_dir)


def org_root() -> Path:
    """This session's data folder: its organisation's, when there are organisations."""
    return org_dir(get_settings(), st.session_state.get("org"))


def workspace() -> Workspace:
    """The workspace this session looks at: the team's data once there is some, else the
    demo (switchable in the sidebar when both exist)."""
    chosen = st.session_state.get("tandem_workspace")
    if chosen in ("data", "demo"):
        return chosen
    return "data" if team_data_exists() else "demo"


def root_stores() -> Stores:
    """The stores of the data folder itself (the team's workspace)."""
    return _stores_for(str(org_root().resolve()))


def data_dir() -> Path:
    """The folder of this session's workspace."""
    return workspace_dir(org_root(), workspace(), root_stores().sources)


def stores() -> Stores:
    """Both stores of this session's workspace (one per process and folder)."""
    return _stores_for(str(data_dir().resolve()))


def workspace_stores(name: Workspace) -> Stores:
    """The stores of workspace ``name`` (another than this session's, to look an id up)."""
    return _stores_for(str(workspace_dir(org_root(), name, root_stores().sources).resolve()))


def team_stores() -> Stores:
    """The stores an import writes into: the team's workspace, never the demo's (a demo an
    older Tandem built there moves to its own workspace first)."""
    return _stores_for(str(import_target(org_root()).resolve()))


def team_data_exists() -> bool:
    return has_team_data(root_stores().sources)


def demo_exists() -> bool:
    """True when the demo's workspace holds a portfolio."""
    folder = workspace_dir(org_root(), "demo", root_stores().sources)
    return (folder / "sources" / "CURRENT").exists() and not _stores_for(
        str(folder.resolve())
    ).sources.is_empty()


def choose_workspace(name: Workspace) -> None:
    st.session_state["tandem_workspace"] = name


def switch_to_team_data() -> None:
    """After a load into the team's workspace, this session looks at it."""
    choose_workspace("data")


def today() -> dt.date:
    """The date the app scores and counts as of (the app's one read of the clock)."""
    return clock.today()


def now() -> dt.datetime:
    """The time a step, note or edit is recorded at."""
    return clock.now()


def rescore_after_load(loaded: Stores) -> dt.date:
    """The import flow's rescore on the app: a load lands in the team's workspace, which
    this session then looks at and scores (``loaded`` is that workspace's stores)."""
    switch_to_team_data()
    return rescore(target=loaded)


def rescore(backfill_weeks: int = 0, start: float = 0.0, target: Stores | None = None) -> dt.date:
    """Score the stored data of ``target`` (default: this session's workspace) as of today,
    or the end of an older export, with a progress bar that fills from ``start``; returns
    the date scored as of."""
    bar = st.progress(start)
    target = target or stores()
    as_of = default_as_of(target.sources, today())
    refresh(
        target,
        as_of,
        target.sources.root.parent,
        backfill_weeks=backfill_weeks,
        progress=lambda f, m: bar.progress(start + f * (1 - start), text=m),
    )
    return as_of


@st.cache_resource(show_spinner=False, max_entries=16)
def _verified(folder: str) -> bool:
    """Each workspace's stores are read whole once per process, at its first page view
    (about a second per 10M rows): damage is named, not served. The nightly job reads the
    generation it starts from the same way."""
    both = _stores_for(folder)
    both.sources.verify()
    both.app.verify()
    return True


def ensure_data() -> None:
    """On the demo's empty store, build the demo portfolio; without scores, score it. Both
    show their progress. The team's workspace is never filled with the demo."""
    both = stores()
    _verified(str(data_dir().resolve()))
    settings = get_settings()
    if both.sources.is_empty() and workspace() == "demo":
        spec = DemoSpec(accounts=settings.demo_accounts, seed=settings.demo_seed, anchor=today())
        with st.status("No data yet: building the demo portfolio…", expanded=True) as status:
            bar = st.progress(0.0)
            load_demo_portfolio(both.sources, spec, lambda f, m: bar.progress(f * 0.5, text=m))
            bar.empty()
            rescore(backfill_weeks=12, start=0.5)
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
