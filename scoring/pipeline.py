"""Features in, scored portfolio out: the one read of every account that both roles share."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from scoring.components import components
from scoring.drivers import drivers, top_driver
from scoring.health import apply_scorecard
from scoring.scorecard import Scorecard
from scoring.signals import commercial_signals


@dataclass(frozen=True)
class ScoredPortfolio:
    accounts: pl.DataFrame  # one row per account: features, components, health, signals
    drivers: pl.DataFrame  # up to three rows per account: cause and actions


def health_scores(features: pl.DataFrame, scorecard: Scorecard) -> pl.DataFrame:
    """Features with components, health, coverage and band, and nothing else: what a snapshot
    keeps (no drivers or commercial signals)."""
    return (
        apply_scorecard(components(features.lazy(), scorecard.params), scorecard)
        .with_columns(scorecard=pl.lit(scorecard.name))
        .collect()
    )


def health_scores_of_both(
    features: pl.DataFrame, a: Scorecard, b: Scorecard
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``health_scores`` of the same rows by two scorecards; the components are computed once
    when both read them with the same parameters (a weight change, a calibrated scorecard)."""
    if a.params != b.params:
        return health_scores(features, a), health_scores(features, b)
    comps = components(features.lazy(), a.params).collect().lazy()
    first, second = pl.collect_all(
        [apply_scorecard(comps, card).with_columns(scorecard=pl.lit(card.name)) for card in (a, b)]
    )
    return first, second


def snapshot_scores(features: pl.DataFrame, scorecard: Scorecard) -> pl.DataFrame:
    """What a kept snapshot needs: health, band and expansion readiness (no drivers)."""
    scored = apply_scorecard(components(features.lazy(), scorecard.params), scorecard)
    return (
        commercial_signals(
            scored.with_columns(health_change_30d=pl.lit(None, dtype=pl.Float64)), scorecard
        )
        .with_columns(scorecard=pl.lit(scorecard.name))
        .collect()
    )


def health_at(events: pl.DataFrame, features: pl.DataFrame, scorecard: Scorecard) -> pl.DataFrame:
    """``events`` (``account_id``, ``as_of``, …) with the health and band ``scorecard`` gave
    each account at ``as_of``, scored from ``features`` at those dates (null without events)."""
    if events.is_empty():
        return events.with_columns(
            health=pl.lit(None, dtype=pl.Float64), band=pl.lit(None, dtype=pl.String)
        )
    scored = snapshot_scores(features, scorecard)
    return events.join(
        scored.select("account_id", "as_of", "health", "band"), on=["account_id", "as_of"]
    )


def health_only(features: pl.DataFrame, scorecard: Scorecard) -> pl.DataFrame:
    """account_id and health for a feature frame (used for the 30-days-ago comparison). A
    health that rested on too little data then (low coverage: an account whose usage or
    tickets begin later) is no history to compare with: it is null, and so is the change."""
    scored = health_scores(features, scorecard)
    return scored.select(
        "account_id", pl.when(~pl.col("low_coverage")).then(pl.col("health")).alias("health")
    )


def score_portfolio(
    features: pl.DataFrame,
    scorecard: Scorecard,
    features_30d_ago: pl.DataFrame | None = None,
    health_30d_ago: pl.DataFrame | None = None,
) -> ScoredPortfolio:
    """Score every account in ``features`` with ``scorecard``.

    With the health of 30 days earlier (given as ``health_30d_ago`` — account_id, health — or
    computed from ``features_30d_ago``), the 30-day change is known and feeds "falling health"
    and the risk before the renewal deadline.
    """
    scored = apply_scorecard(components(features.lazy(), scorecard.params), scorecard)
    if health_30d_ago is None and features_30d_ago is not None and features_30d_ago.height:
        health_30d_ago = health_only(features_30d_ago, scorecard)
    if health_30d_ago is not None and health_30d_ago.height:
        earlier = health_30d_ago.select("account_id", pl.col("health").alias("health_30d_ago"))
        scored = scored.join(earlier.lazy(), on="account_id", how="left", maintain_order="left")
    else:
        scored = scored.with_columns(health_30d_ago=pl.lit(None, dtype=pl.Float64))
    scored = scored.with_columns(health_change_30d=pl.col("health") - pl.col("health_30d_ago"))
    scored = commercial_signals(scored, scorecard)
    driver_frame = drivers(scored, scorecard)
    accounts, driver_rows = pl.collect_all(
        [
            scored.join(
                top_driver(driver_frame), on="account_id", how="left", maintain_order="left"
            ).with_columns(scorecard=pl.lit(scorecard.name)),
            driver_frame,
        ]
    )
    return ScoredPortfolio(accounts=accounts, drivers=driver_rows)
