"""The Account page's view: one account through both lenses, only when the viewer's book
holds it (an account outside it reads exactly like one that does not exist)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import polars as pl

from dashboard.store import Stores
from dashboard.store import account_detail as detail
from dashboard.store.audit_log import audit_rows
from dashboard.store.filters import AccountFilter
from dashboard.store.marts import churn_model_info, scores_as_of
from dashboard.text import GREEN_FROM, RED_BELOW
from dashboard.views.common import score_verdict
from dashboard.views.what_changed import Changes, account_changes
from dashboard.workflows.scorecards import active_scorecard
from scoring.scorecard import COMPONENTS

USAGE_WEEKS = 26


@dataclass(frozen=True)
class AccountView:
    account_id: str
    found: bool  # False: no such account, or not in the viewer's book (the same to them)
    profile: dict = field(default_factory=dict)
    history: pl.DataFrame = field(default_factory=pl.DataFrame)
    drivers: pl.DataFrame = field(default_factory=pl.DataFrame)
    usage: pl.DataFrame = field(default_factory=pl.DataFrame)
    components: dict[str, float | None] = field(default_factory=dict)
    red: float = RED_BELOW
    green: float = GREEN_FROM
    churn_note: str | None = None  # why no churn probability is shown, when none is
    verdict: str | None = None  # the line saying the score does not predict churn here
    erased: str | None = None  # not found because erased: by whom, when (for leaders)
    # what changed and why since last week, the pair's last sync and the last QBR
    changes: list[Changes] = field(default_factory=list)


def erasure(stores: Stores, account_id: str) -> str | None:
    """Who erased the account (a privacy request), when: "by Lee Leader at 2026-11-22 10:00";
    None when it was never erased. A click from a page drawn before the erasure (an Erase,
    a step, an edit) finds the account gone: the page says this instead of only "no such
    account"."""
    rows = audit_rows(stores.app, "gdpr delete").filter(pl.col("subject") == account_id)
    if rows.is_empty():
        return None
    return f"by {rows['actor'][0] or 'someone'} at {rows['logged_at'][0]:%Y-%m-%d %H:%M}"


def account_view(stores: Stores, f: AccountFilter, account_id: str, today: dt.date) -> AccountView:
    """The account as of the date its data is scored as of (``today`` for current data; an
    old export's own end, so its usage does not read as silence since)."""
    store = stores.sources
    profile = detail.account_profile(store, account_id)
    if profile is None or not detail.account_in_scope(store, f, account_id):
        return AccountView(account_id, found=False, erased=erasure(stores, account_id))
    thresholds = active_scorecard(stores.app).thresholds
    as_of = scores_as_of(store) or today
    return AccountView(
        account_id=account_id,
        found=True,
        profile=profile,
        history=detail.health_history(store, account_id),
        drivers=detail.account_drivers(store, account_id),
        usage=detail.weekly_usage(store, account_id, as_of, USAGE_WEEKS)
        if profile.get("has_usage")
        else pl.DataFrame(),
        components={c: profile.get(c) for c in COMPONENTS},
        red=thresholds.red,
        green=thresholds.green,
        churn_note=churn_model_info(store).note,
        verdict=score_verdict(store),
        changes=account_changes(stores, profile, as_of),
    )
