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
from dashboard.text import MIDDLE_HIGH, MIDDLE_LOW, format_value, money_symbol
from dashboard.views.common import Card
from dashboard.workflows import handoffs as h
from scoring import middle as c


@dataclass(frozen=True)
class Middle:
    low: float = MIDDLE_LOW
    high: float = MIDDLE_HIGH
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
    cards: list[Card]
    middle_range: str | None  # "ARR from $12,000 to $48,000" when the middle is by ARR


def chairs_ids(stores: Stores, f: AccountFilter, today: dt.date) -> tuple[tuple[str, ...], ...]:
    """Accounts with a stalled expansion flag, and ready accounts never flagged (ids)."""
    stalled, unflagged = h.between_the_chairs(
        account_table(stores.sources, f),
        expansion_candidates(stores.sources, f),
        h.handoffs(stores.app),
        today,
    )
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
    summary = c.middle_summary(accounts)
    return CoverageView(
        accounts=accounts,
        summary=summary,
        unmanaged=unmanaged,
        load=load,
        models=c.org_models(accounts, list(stalled_ids), list(missed_ids)).with_columns(
            pl.col("main_model").replace_strict(c.MODELS, default=pl.col("main_model"))
        ),
        symptoms=found,
        recommendations=c.recommendations(found, money_symbol()),
        assignments=c.suggest_assignments(unmanaged, accounts, max_accounts),
        cards=_cards(accounts, summary, unmanaged),
        middle_range=_middle_range(accounts),
    )


def _cards(accounts: pl.DataFrame, summary: pl.DataFrame, unmanaged: pl.DataFrame) -> list[Card]:
    rows = {row["coverage"]: row for row in summary.iter_rows(named=True)}
    middle = accounts.filter(pl.col("in_middle"))

    def arr_note(value: float | None, what: str = "ARR") -> str:
        return f"{format_value(value, 'money')} {what}"

    return [
        Card("Accounts in the middle", middle.height, "count", note=arr_note(middle["arr"].sum())),
        Card(
            "With an AM",
            rows["with an AM"]["accounts"],
            "count",
            note=arr_note(rows["with an AM"]["arr"]),
        ),
        Card("No AM", rows["no AM"]["accounts"], "count", note=arr_note(rows["no AM"]["arr"])),
        Card(
            "No AM, with commercial signals",
            unmanaged.height,
            "count",
            note=arr_note(unmanaged["arr_exposed"].sum(), "exposed"),
            lower_is_better=True,
        ),
    ]


def _middle_range(accounts: pl.DataFrame) -> str | None:
    if "middle_from" not in accounts.columns or not accounts.height:
        return None
    low, high = accounts["middle_from"][0], accounts["middle_to"][0]
    return f"The middle: ARR from {format_value(low, 'money')} to {format_value(high, 'money')}."


def unmanaged_middle_view(
    stores: Stores,
    f: AccountFilter,
    today: dt.date,
    middle: Middle,
    max_accounts: int,
    max_arr: float,
) -> CoverageView:
    """The page's view: the handoffs that fell between the chairs come from the app store."""
    stalled, missed = chairs_ids(stores, f, today)
    return coverage_view(stores.sources, f, middle, max_accounts, max_arr, stalled, missed)
