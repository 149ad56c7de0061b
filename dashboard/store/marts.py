"""Read queries over the scored marts, for pages. Every query that returns accounts applies
the global filter; identifiers come from allow-lists and values are bound parameters."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field

import polars as pl

from dashboard.store.features import FEATURES_VERSION, Queryable
from dashboard.store.filters import FILTER_COLUMNS, AccountFilter
from dashboard.store.sources import SourceStore, StoreError

# Dimensions a user can break the portfolio down by (URL key -> column).
DIMENSIONS: dict[str, str] = FILTER_COLUMNS  # a breakdown is by one of the filters
NO_VALUE = "(none)"  # how an empty dimension value is named in a breakdown
TABLE_COLUMNS = [
    "account_id",
    "account_name",
    "segment",
    "region",
    "plan",
    "csm_owner",
    "am_owner",
    "coverage_class",
    "arr",
    "currency",  # the currency the account's amounts are in (shown when there are several)
    "health",
    "churn_probability",
    "band",
    "coverage",
    "health_change_30d",
    "renewal_date",
    "renewal_basis",
    "days_to_renewal",
    "renewal_window",
    "risk_before_deadline",
    "expansion_ready",
    "top_driver",
    "top_cause",
    "top_action",
]


# Names the shape of the published scores: scores another version of Tandem published are
# recomputed when the app starts (a page would ask for a column they do not have).
SCORING_REVISION = (
    "money-currency-1 expansion-potential-2 verdict-1 row-actions-1"  # what scoring publishes
)
SCORES_VERSION = hashlib.sha256(
    (",".join(TABLE_COLUMNS) + FEATURES_VERSION + SCORING_REVISION).encode()
).hexdigest()[:16]


def has_scores(store: SourceStore) -> bool:
    """True once the scoring job has published ``account_scores``."""
    return store.has_table("account_scores")


def scores_are_current(store: SourceStore) -> bool:
    """True when this version of Tandem published the scores (``SCORES_VERSION``); asked
    on every page run, read once per published generation."""
    return store.remembered(
        "scores_are_current",
        lambda: (
            has_scores(store)
            and store.scalar("SELECT max(value) FROM meta WHERE key = 'scores_version'")
            == SCORES_VERSION
        ),
    )


def scores_as_of(store: SourceStore) -> dt.date | None:
    return store.scalar("SELECT max(as_of) FROM account_scores")


@dataclass(frozen=True)
class Money:
    """The currency the scored money is in (an ISO code, or ``"mixed"``: several currencies,
    not converted, never summed) and what the pages say about it (a conversion's rates)."""

    currency: str
    note: str | None
    rates: dict[str, float] = field(default_factory=dict)  # after a conversion: to ``currency``


def money_info(store: SourceStore) -> Money:
    """What the nightly job recorded about the money it scored (USD for scores published
    before it recorded any)."""
    meta = dict(
        store.query(
            "SELECT key, max(value) AS value FROM meta"
            " WHERE key IN ('money_currency', 'money_note', 'money_rates') GROUP BY key"
        ).iter_rows()
    )
    rates = json.loads(meta["money_rates"]) if meta.get("money_rates") else {}
    return Money(meta.get("money_currency") or "USD", meta.get("money_note") or None, rates)


def account_currency_rows(store: Queryable) -> pl.DataFrame:
    """Every account's ``currency`` as the CRM gives it (``scoring.currency`` reads it)."""
    return store.query("SELECT account_id, currency FROM accounts")


def money_by_currency(store: SourceStore, f: AccountFilter) -> pl.DataFrame:
    """The Portfolio's money sums per currency (a portfolio in several currencies that are
    not converted is shown per currency, never summed)."""
    where, params = f.where()
    return store.query(
        f"""
        SELECT currency, coalesce(sum(arr), 0) AS arr,
            coalesce(sum(arr) FILTER (WHERE band = 'green'), 0) AS arr_green,
            coalesce(sum(arr) FILTER (WHERE band = 'yellow'), 0) AS arr_yellow,
            coalesce(sum(arr) FILTER (WHERE band = 'red'), 0) AS arr_red,
            coalesce(sum(arr) FILTER (WHERE risk_before_deadline), 0) AS arr_at_risk,
            sum(arr * churn_probability) AS expected_arr_churn
        FROM account_scores WHERE {where} AND arr IS NOT NULL
        GROUP BY currency ORDER BY currency
        """,
        params,
    )


def portfolio_summary(store: SourceStore, f: AccountFilter) -> dict[str, float | int | None]:
    """Accounts, ARR, ARR in each band, median health of the filtered scored portfolio, how
    many accounts have an ARR (none: an export without ARR, whose sums are not $0), and how
    many have no health (no source with data: in no band, neither red nor green)."""
    where, params = f.where()
    return store.query(
        f"""
        SELECT count(*) AS accounts, count(arr) AS accounts_with_arr, coalesce(sum(arr), 0) AS arr,
            coalesce(sum(arr) FILTER (WHERE band = 'green'), 0) AS arr_green,
            coalesce(sum(arr) FILTER (WHERE band = 'yellow'), 0) AS arr_yellow,
            coalesce(sum(arr) FILTER (WHERE band = 'red'), 0) AS arr_red,
            coalesce(sum(arr) FILTER (WHERE risk_before_deadline), 0) AS arr_at_risk,
            count(*) FILTER (WHERE risk_before_deadline) AS accounts_at_risk,
            median(health) AS median_health,
            sum(arr * churn_probability) AS expected_arr_churn,
            count(*) FILTER (WHERE band = 'red') AS accounts_red,
            count(*) FILTER (WHERE low_coverage) AS accounts_low_coverage,
            count(*) FILTER (WHERE health IS NULL) AS accounts_no_health,
            coalesce(sum(arr) FILTER (WHERE health IS NULL), 0) AS arr_no_health
        FROM account_scores WHERE {where}
        """,
        params,
    ).row(0, named=True)


@dataclass(frozen=True)
class ChurnModelInfo:
    """What the nightly job's churn probability rests on, or why there is none, and the
    active scorecard's verdict on the history, kept beside the scores (``jobs/refresh.py``)."""

    horizon_days: int
    churn_events: int | None
    observations: int | None
    note: str | None  # set when there is no probability
    scorecard: str | None = None  # the scorecard checked (None: scored before the check)
    verdict: str | None = None  # predictive, no_evidence, inverse, no_outcomes
    auc: float | None = None
    auc_low: float | None = None
    auc_high: float | None = None


VERDICT_COLUMNS = ("scorecard", "verdict", "auc", "auc_low", "auc_high")


def churn_model_info(store: SourceStore) -> ChurnModelInfo:
    """The ``churn_model`` mart's one row (a store scored before it existed: no model; before
    the verdict was kept: no verdict)."""
    if not store.has_table("churn_model"):
        return ChurnModelInfo(
            90, None, None, "the scores were computed before Tandem had one: refresh"
        )
    found = store.query("SELECT * FROM churn_model").row(0, named=True)
    return ChurnModelInfo(
        found["horizon_days"],
        found["churn_events"],
        found["observations"],
        found["note"],
        **{c: found.get(c) for c in VERDICT_COLUMNS},
    )


def weekly_trend(store: SourceStore, f: AccountFilter) -> pl.DataFrame:
    """Per snapshot date: accounts, ARR, ARR per band, median health (filtered)."""
    where, params = f.where("a")
    return store.query(
        f"""
        SELECT s.as_of, count(*) AS accounts, sum(s.arr) AS arr,
            coalesce(sum(s.arr) FILTER (WHERE s.band = 'green'), 0) AS arr_green,
            coalesce(sum(s.arr) FILTER (WHERE s.band = 'yellow'), 0) AS arr_yellow,
            coalesce(sum(s.arr) FILTER (WHERE s.band = 'red'), 0) AS arr_red,
            median(s.health) AS median_health,
            avg((s.band = 'red')::INTEGER) AS share_red
        FROM score_snapshots s JOIN accounts a USING (account_id)
        WHERE {where}
        GROUP BY s.as_of ORDER BY s.as_of
        """,
        params,
    )


def band_mix(store: SourceStore, f: AccountFilter, dimension: str) -> pl.DataFrame:
    """Accounts and ARR per value of ``dimension`` and band."""
    if dimension not in DIMENSIONS:
        raise StoreError(f"unknown dimension {dimension!r}")
    column = DIMENSIONS[dimension]
    where, params = f.where()
    return store.query(
        f"""
        SELECT coalesce({column}, '{NO_VALUE}') AS {dimension}, band,
            count(*) AS accounts, coalesce(sum(arr), 0) AS arr
        FROM account_scores WHERE {where}
        GROUP BY ALL ORDER BY ALL
        """,
        params,
    )


def account_table(store: SourceStore, f: AccountFilter, limit: int | None = None) -> pl.DataFrame:
    """The scored accounts, weakest health first (ARR breaks ties)."""
    where, params = f.where()
    cols = ", ".join(TABLE_COLUMNS)
    limit_sql = f" LIMIT {int(limit)}" if limit else ""
    return store.query(
        f"SELECT {cols} FROM account_scores WHERE {where}"
        f" ORDER BY health ASC NULLS FIRST, arr DESC{limit_sql}",
        params,
    )


def accounts_for_kpis(store: SourceStore, f: AccountFilter) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The filtered accounts (ARR, status, start) and their outcomes, for retention KPIs."""
    where, params = f.where()
    accounts = store.query(
        f"SELECT account_id, arr, status, contract_start, currency FROM accounts WHERE {where}",
        params,
    )
    outcomes = store.query(
        f"SELECT account_id, occurred_on, event, arr_change FROM outcomes"
        f" WHERE account_id IN (SELECT account_id FROM accounts WHERE {where})",
        params,
    )
    return accounts, outcomes


def snapshot_health(store: Queryable, on: dt.date, scorecard: str) -> pl.DataFrame | None:
    """The health kept in the snapshot of ``on`` by ``scorecard``, if there is one."""
    frame = store.query(
        "SELECT account_id, health FROM score_snapshots WHERE as_of = $on AND scorecard = $card",
        {"on": on, "card": scorecard},
    )
    return frame if frame.height else None


def days_scored_by_another(store: Queryable, before: dt.date, scorecard: str) -> list[dt.date]:
    """The kept snapshot days before ``before`` that another scorecard scored (after an
    activation: the history to score again, so no trend or delta shows the change alone)."""
    return store.query(
        "SELECT DISTINCT as_of FROM score_snapshots WHERE as_of < $before AND scorecard <> $card"
        " ORDER BY as_of",
        {"before": before, "card": scorecard},
    )["as_of"].to_list()


def owner_rows(store: Queryable) -> pl.DataFrame:
    """The ``owners`` table: every person, their role, e-mail and team."""
    return store.query("SELECT * FROM owners")


def scored_accounts(store: Queryable, f: AccountFilter) -> pl.DataFrame:
    """Every scored account in the filter, with all its features and scores."""
    where, values = f.where()
    return store.query(f"SELECT * FROM account_scores WHERE {where} ORDER BY account_id", values)


def renewal_rates_mart(store: SourceStore) -> pl.DataFrame | None:
    """P(renew | band) as the nightly job estimated it, when the mart exists."""
    return store.query("SELECT * FROM renewal_rates") if store.has_table("renewal_rates") else None


def ready_pair_accounts(store: SourceStore) -> pl.DataFrame:
    """Expansion-ready accounts worked by a CSM and a different AM."""
    return store.query(
        "SELECT account_id, csm_owner, am_owner, triggers_fired FROM account_scores"
        " WHERE expansion_ready AND csm_owner IS NOT NULL AND am_owner IS NOT NULL"
        " AND csm_owner <> am_owner ORDER BY account_id"
    )


def risky_pair_accounts(store: SourceStore) -> pl.DataFrame:
    """Accounts at risk before their renewal deadline that have both a CSM and an AM."""
    return store.query(
        "SELECT account_id, csm_owner, am_owner, top_cause FROM account_scores"
        " WHERE risk_before_deadline AND csm_owner IS NOT NULL AND am_owner IS NOT NULL"
        " ORDER BY account_id"
    )


def largest_pairs(store: SourceStore, count: int) -> pl.DataFrame:
    """The ``count`` CSM+AM pairs with the most ARR, with their two largest accounts."""
    return store.query(
        "SELECT csm_owner, am_owner, list(account_id ORDER BY arr DESC)[1:2] AS top"
        " FROM account_scores WHERE coverage_class = 'pair' GROUP BY ALL"
        " ORDER BY sum(arr) DESC LIMIT $count",
        {"count": count},
    )
