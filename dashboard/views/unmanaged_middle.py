"""The Unmanaged middle page's numbers: the store's accounts through ``scoring.middle``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from dashboard.store import Stores
from dashboard.store.commercial import expansion_candidates
from dashboard.store.filters import AccountFilter
from dashboard.store.marts import account_table
from dashboard.store.sources import SourceStore
from dashboard.store.unmanaged import coverage_accounts, owner_work
from dashboard.workflows import handoffs as h
from scoring import middle as c


@dataclass(frozen=True)
class Middle:
    low: float = 0.25
    high: float = 0.75
    segments: tuple[str, ...] | None = None  # when set, the middle is these segments


@dataclass(frozen=True)
class CoverageView:
    accounts: pl.DataFrame  # every filtered account, ``in_middle`` marked
    summary: pl.DataFrame  # middle with / without AM
    unmanaged: pl.DataFrame  # middle, no AM, with commercial signals
    load: pl.DataFrame  # per owner and role
    models: pl.DataFrame  # per segment
    symptoms: c.Symptoms
    recommendations: pl.DataFrame
    assignments: pl.DataFrame


def chairs_ids(stores: Stores, f: AccountFilter, today: dt.date) -> tuple[tuple[str, ...], ...]:
    """Accounts with a stalled expansion flag, and ready accounts never flagged (ids)."""
    stalled, unflagged = h.between_the_chairs(
        account_table(stores.sources, f), expansion_candidates(stores.sources, f),
        h.handoffs(stores.app), today,
    )  # fmt: skip
    return tuple(stalled["account_id"].to_list()), tuple(unflagged["account_id"].to_list())


def coverage_view(
    store: SourceStore,
    f: AccountFilter,
    middle: Middle,
    max_accounts: int,
    max_arr: float,
    stalled_ids: tuple[str, ...] = (),
    missed_ids: tuple[str, ...] = (),
) -> CoverageView:
    """Everything the page shows, for the filtered portfolio and the chosen middle."""
    segments = list(middle.segments) if middle.segments is not None else None
    accounts = c.middle_of(coverage_accounts(store, f), middle.low, middle.high, segments)
    unmanaged = c.unmanaged(accounts)
    load = c.owner_load(accounts, owner_work(store, f), max_accounts, max_arr)
    found = c.symptoms(accounts, unmanaged, load, list(missed_ids))
    return CoverageView(
        accounts=accounts,
        summary=c.middle_summary(accounts),
        unmanaged=unmanaged,
        load=load,
        models=c.org_models(accounts, list(stalled_ids), list(missed_ids)),
        symptoms=found,
        recommendations=c.recommendations(found),
        assignments=c.suggest_assignments(unmanaged, accounts, max_accounts),
    )
