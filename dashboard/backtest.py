"""Point-in-time health before past renewals: does the score predict what happened?"""

from __future__ import annotations

import datetime as dt

import polars as pl

from dashboard.store import SourceStore
from dashboard.store.features import features_at
from scoring.pipeline import snapshot_scores
from scoring.scorecard import Scorecard

RENEWAL_EVENTS = ("churned", "renewed", "expanded", "contracted")
# Past snapshots lie on one grid, every 30 days counted from 1970-01-01: then a snapshot's
# last 30 days of usage are the previous one's "30 days before", and the feature query reads
# and counts each event once for all of them (dashboard/store/features.py).
SNAPSHOT_STEP_DAYS = 30


def snapshot_on_or_before(day: dt.date) -> dt.date:
    """The grid's snapshot date on or before ``day``."""
    days = (day - dt.date(1970, 1, 1)).days
    return dt.date(1970, 1, 1) + dt.timedelta(days=days - days % SNAPSHOT_STEP_DAYS)


def _snapshot_on_or_before(day: pl.Expr) -> pl.Expr:
    step = SNAPSHOT_STEP_DAYS
    return (day.cast(pl.Int32) // step * step).cast(pl.Date)


def health_before_renewals(
    store: SourceStore,
    scorecard: Scorecard,
    days_before: int = 90,
    until: dt.date | None = None,
    since: dt.date | None = None,
) -> pl.DataFrame:
    """For each past renewal outcome (between ``since`` and ``until``), the account's health
    and band ``days_before`` it, scored with data before that date only; ``churned`` and
    ``renewed`` are the labels.

    The snapshot date is the grid's snapshot on or before the event minus ``days_before``
    (every 30 days), so the events of 30 days share a snapshot, all built in one query.
    """
    clauses, params = ["event IN (SELECT unnest(?::VARCHAR[]))"], [list(RENEWAL_EVENTS)]
    if until:
        clauses.append("occurred_on <= ?")
        params.append(until)
    if since:
        clauses.append("occurred_on >= ?")
        params.append(since)
    events = store.query(
        "SELECT account_id, occurred_on, event = 'churned' AS churned FROM outcomes"
        f" WHERE {' AND '.join(clauses)}",
        params,
    ).with_columns(
        renewed=~pl.col("churned"),
        as_of=_snapshot_on_or_before(pl.col("occurred_on") - pl.duration(days=days_before)),
    )
    if events.is_empty():
        return events.with_columns(
            health=pl.lit(None, dtype=pl.Float64), band=pl.lit(None, dtype=pl.String)
        )
    scored = snapshot_scores(features_at(store, events["as_of"].unique().to_list()), scorecard)
    return events.join(
        scored.select("account_id", "as_of", "health", "band"), on=["account_id", "as_of"]
    )


def band_renewal_history(
    store: SourceStore, scorecard: Scorecard, as_of: dt.date, months: int = 12
) -> pl.DataFrame:
    """The renewals of the last ``months`` months before ``as_of``, each with the band it had
    90 days before and whether it renewed: what the renewal forecast's probabilities rest on."""
    since = as_of - dt.timedelta(days=round(30.44 * months))
    return health_before_renewals(store, scorecard, 90, until=as_of, since=since)


def backtest_dates(store: SourceStore, horizon: int, count: int = 12) -> list[dt.date]:
    """``count`` snapshot dates 30 days apart, the latest one the grid's snapshot on or
    before ``horizon`` days before the end of the outcome history (so every snapshot's
    horizon is fully observed)."""
    end = store.scalar(
        "SELECT greatest(max(occurred_on), (SELECT max(as_of) FROM account_scores)) FROM outcomes"
    )
    if end is None:
        return []
    last = snapshot_on_or_before(end - dt.timedelta(days=horizon))
    return [last - dt.timedelta(days=SNAPSHOT_STEP_DAYS * i) for i in range(count - 1, -1, -1)]


def backtest_features(store: SourceStore, dates: list[dt.date], horizon: int) -> pl.DataFrame:
    """Point-in-time features for every date (one query), each row labelled ``churned`` when
    the account churned within ``horizon`` days after its snapshot."""
    features = features_at(store, dates)
    churns = store.query(
        "SELECT account_id, min(occurred_on) AS churned_on FROM outcomes"
        " WHERE event = 'churned' GROUP BY account_id"
    )
    return features.join(churns, on="account_id", how="left").with_columns(
        churned=(
            (pl.col("churned_on") > pl.col("as_of"))
            & (pl.col("churned_on") <= pl.col("as_of") + pl.duration(days=horizon))
        ).fill_null(False)
    )
