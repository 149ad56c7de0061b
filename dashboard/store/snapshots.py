"""Point-in-time snapshots of the past: the health accounts had before their renewals (the
renewal forecast's history) and the snapshots a backtest scores.

Both use features at dates on one 30-day grid. The nightly job keeps the features of every
date they need in the ``snapshot_features`` mart (``kept_snapshot_dates``); a reader takes
them from there, or builds them in one query when the mart does not hold them (before the
first refresh, after a load: a change to the source data drops the mart)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from dashboard.store import SourceStore
from dashboard.store.features import FEATURES_VERSION, account_churns, features_at
from dashboard.store.marts import has_scores, scores_as_of
from dashboard.text import CHURN_HORIZON_DAYS, CHURNED, RENEWAL_WINDOW_DAYS

RENEWAL_EVENTS = (CHURNED, "renewed", "expanded", "contracted")
# Past snapshots lie on one grid, every 30 days counted from 1970-01-01: then a snapshot's
# last 30 days of usage are the previous one's "30 days before", and the feature query reads
# and counts each event once for all of them (dashboard/store/features.py).
SNAPSHOT_STEP_DAYS = 30
BACKTEST_SNAPSHOTS = 12
BACKTEST_HORIZONS = (CHURN_HORIZON_DAYS, 180)  # days: the churn horizons the lab offers
RENEWAL_HISTORY_DAYS = 365  # the renewals the forecast's rates rest on
RATES_DAYS_BEFORE = RENEWAL_WINDOW_DAYS  # each with the band it had entering the window


def _snapshot_on_or_before(day: pl.Expr) -> pl.Expr:
    """The grid's snapshot date on or before each date (days since 1970-01-01, floored)."""
    step = SNAPSHOT_STEP_DAYS
    return (day.cast(pl.Int32) // step * step).cast(pl.Date)


def snapshot_on_or_before(day: dt.date) -> dt.date:
    """The grid's snapshot date on or before ``day``."""
    return pl.select(_snapshot_on_or_before(pl.lit(day, dtype=pl.Date))).item()


def _grid(first: dt.date, last: dt.date) -> list[dt.date]:
    """Every grid date from ``first`` to ``last`` (both on the grid)."""
    return [
        first + dt.timedelta(days=d) for d in range(0, (last - first).days + 1, SNAPSHOT_STEP_DAYS)
    ]


def point_in_time_features(store: SourceStore, dates: Sequence[dt.date]) -> pl.DataFrame:
    """Features at each of ``dates`` (grid dates), each from data before it only: read from
    the ``snapshot_features`` mart when it holds every date and this version of the feature
    query built it, else built in one query."""
    wanted = sorted(set(dates))
    cur = store.cursor()  # every check and the read on one generation, even if one is published
    try:
        usable = cur.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'snapshot_features'"
            " AND (SELECT value FROM meta WHERE key = 'snapshot_features_version') = ?",
            [FEATURES_VERSION],
        ).fetchall()[0][0]
        if wanted and usable:
            held = {
                row[0]
                for row in cur.execute("SELECT DISTINCT as_of FROM snapshot_features").fetchall()
            }
            if set(wanted) <= held:
                return cur.sql(
                    "SELECT * FROM snapshot_features WHERE as_of IN (SELECT unnest($dates::DATE[]))"
                    " ORDER BY as_of, account_id",
                    params={"dates": wanted},
                ).pl()
    finally:
        cur.close()
    return features_at(store, wanted)


@dataclass(frozen=True)
class RenewalSnapshots:
    """Past renewal outcomes, each placed on the snapshot ``days_before`` it, and the
    point-in-time features of those snapshots (scored by ``scoring.pipeline.health_at``)."""

    events: pl.DataFrame  # account_id, occurred_on, churned, renewed, as_of
    features: pl.DataFrame  # one row per account and snapshot date (empty with no events)


def renewals_before(
    store: SourceStore,
    days_before: int = RATES_DAYS_BEFORE,
    until: dt.date | None = None,
    since: dt.date | None = None,
    features: pl.DataFrame | None = None,
) -> RenewalSnapshots:
    """Each past renewal outcome (between ``since`` and ``until``) with the features of the
    account ``days_before`` it, from data before that date only; ``churned`` and ``renewed``
    are the labels.

    The snapshot date is the grid's snapshot on or before the event minus ``days_before``
    (every 30 days), so the events of 30 days share a snapshot. ``features`` may hold them
    already (the nightly job passes the snapshots it keeps); else they are read or built.
    """
    clauses, params = ["event IN (SELECT unnest(?::VARCHAR[]))"], [CHURNED, list(RENEWAL_EVENTS)]
    if until:
        clauses.append("occurred_on <= ?")
        params.append(until)
    if since:
        clauses.append("occurred_on >= ?")
        params.append(since)
    events = store.query(
        "SELECT account_id, occurred_on, event = ? AS churned FROM outcomes"
        f" WHERE {' AND '.join(clauses)}",
        params,
    ).with_columns(
        renewed=~pl.col("churned"),
        as_of=_snapshot_on_or_before(pl.col("occurred_on") - pl.duration(days=days_before)),
    )
    if events.is_empty():
        return RenewalSnapshots(events, pl.DataFrame())
    dates = events["as_of"].unique().to_list()
    if features is not None and set(dates) <= set(features["as_of"].unique().to_list()):
        return RenewalSnapshots(events, features.filter(pl.col("as_of").is_in(dates)))
    return RenewalSnapshots(events, point_in_time_features(store, dates))


def band_renewal_snapshots(
    store: SourceStore, as_of: dt.date, features: pl.DataFrame | None = None
) -> RenewalSnapshots:
    """The renewals of the last year before ``as_of``, each with the features it had 90 days
    before: scored, what the renewal forecast's probabilities rest on."""
    since = as_of - dt.timedelta(days=RENEWAL_HISTORY_DAYS)
    return renewals_before(store, RATES_DAYS_BEFORE, until=as_of, since=since, features=features)


def history_end(store: SourceStore, as_of: dt.date | None = None) -> dt.date | None:
    """The end of the outcome history: the latest outcome, or the scoring date if later
    (``as_of``, else the published scores')."""
    if as_of is None and has_scores(store):
        as_of = scores_as_of(store)
    known = [d for d in (store.scalar("SELECT max(occurred_on) FROM outcomes"), as_of) if d]
    return max(known) if known else None


def backtest_dates_until(
    end: dt.date, horizon: int, count: int = BACKTEST_SNAPSHOTS
) -> list[dt.date]:
    """``count`` grid dates 30 days apart, the latest one on or before ``horizon`` days
    before ``end`` (so every snapshot's horizon is fully observed)."""
    last = snapshot_on_or_before(end - dt.timedelta(days=horizon))
    return [last - dt.timedelta(days=SNAPSHOT_STEP_DAYS * i) for i in range(count - 1, -1, -1)]


def backtest_dates(
    store: SourceStore, horizon: int, count: int = BACKTEST_SNAPSHOTS
) -> list[dt.date]:
    """The backtest's snapshot dates for the published data."""
    end = history_end(store)
    return backtest_dates_until(end, horizon, count) if end else []


def undated_churn_count(store: SourceStore) -> int:
    """Accounts whose status is churned with no churn outcome to date it: churned, the date
    unknown (``account_churns``); no snapshot can be labelled with them."""
    churns = account_churns(store)
    return churns.filter(pl.col("churned") & pl.col("churned_on").is_null()).height


def kept_snapshot_dates(end: dt.date, as_of: dt.date) -> list[dt.date]:
    """The dates the nightly job keeps features for: every backtest the lab offers (12
    snapshots, churn within 90 or 180 days) and the renewal history of the year before
    ``as_of`` (snapshots 90 days before each renewal)."""
    dates = {d for h in BACKTEST_HORIZONS for d in backtest_dates_until(end, h)}
    since = as_of - dt.timedelta(days=RENEWAL_HISTORY_DAYS + RATES_DAYS_BEFORE)
    until = as_of - dt.timedelta(days=RATES_DAYS_BEFORE)
    dates |= set(_grid(snapshot_on_or_before(since), snapshot_on_or_before(until)))
    return sorted(dates)


def backtest_features(store: SourceStore, dates: list[dt.date], horizon: int) -> pl.DataFrame:
    """Point-in-time features for every date (one query), each row labelled ``churned`` when
    the account churned within ``horizon`` days after its snapshot."""
    return with_churn_labels(store, point_in_time_features(store, dates), horizon)


def with_churn_labels(store: SourceStore, features: pl.DataFrame, horizon: int) -> pl.DataFrame:
    """``churned``: the account churned within ``horizon`` days after the row's ``as_of``."""
    churns = account_churns(store).select("account_id", "churned_on")
    return features.join(churns, on="account_id", how="left").with_columns(
        churned=(
            (pl.col("churned_on") > pl.col("as_of"))
            & (pl.col("churned_on") <= pl.col("as_of") + pl.duration(days=horizon))
        ).fill_null(False)
    )
