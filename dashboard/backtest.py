"""Point-in-time health before past renewals: does the score predict what happened?"""

from __future__ import annotations

import datetime as dt

import polars as pl

from dashboard.store import Stores
from dashboard.store.features import account_features
from scoring.pipeline import health_only
from scoring.scorecard import Scorecard


def health_before_renewals(
    stores: Stores, scorecard: Scorecard, days_before: int = 90, until: dt.date | None = None
) -> pl.DataFrame:
    """For each past renewal outcome, the account's health ``days_before`` it (scored with
    data before that date only), with ``churned`` as the label.

    Snapshot dates are the Monday on or before each event minus ``days_before``, so events of a
    week share one feature query.
    """
    events = stores.sources.query(
        "SELECT account_id, occurred_on, event = 'churned' AS churned FROM outcomes"
        " WHERE event IN ('churned', 'renewed', 'expanded', 'contracted')"
        + (" AND occurred_on <= ?" if until else ""),
        [until] if until else None,
    ).with_columns(as_of=(pl.col("occurred_on") - pl.duration(days=days_before)).dt.truncate("1w"))
    scored = [
        health_only(account_features(stores.sources, as_of), scorecard).with_columns(
            as_of=pl.lit(as_of)
        )
        for as_of in sorted(events["as_of"].unique().to_list())
    ]
    if not scored:
        return events.with_columns(health=pl.lit(None, dtype=pl.Float64))
    return events.join(pl.concat(scored), on=["account_id", "as_of"], how="inner")
