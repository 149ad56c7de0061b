"""The score lab: a candidate scorecard against the active one, on today's portfolio and on
point-in-time snapshots of the past (the backtest), and a fitted suggestion."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any

import polars as pl

from dashboard.store.filters import AccountFilter
from dashboard.store.marts import scored_accounts
from dashboard.store.snapshots import backtest_dates, backtest_features
from dashboard.store.sources import SourceStore
from scoring import backtest as bt
from scoring.components import component_inputs
from scoring.pipeline import health_scores
from scoring.scorecard import COMPONENTS, ComponentParams, Scorecard
from scoring.what_if import lab_components

TRAIN_SHARE = 2 / 3  # the suggestion is fitted on the earlier snapshots, checked on the later


def portfolio_components(
    store: SourceStore, f: AccountFilter, params: ComponentParams
) -> pl.DataFrame:
    """The filtered scored portfolio's components under ``params`` (cached by the page per
    parameter set, so a weight change does not recompute them)."""
    return lab_components(scored_accounts(store, f), params)


@dataclass(frozen=True)
class Snapshots:
    """Point-in-time features of past dates, labelled with churn within ``horizon`` days: what
    every backtest on them shares, whatever the scorecards (the lab keeps them between runs)."""

    horizon: int
    dates: list[dt.date]
    labelled: pl.DataFrame
    seconds: float


def backtest_snapshots(store: SourceStore, horizon: int = 90, count: int = 12) -> Snapshots:
    """``count`` snapshots 30 days apart, built in one feature query."""
    started = time.perf_counter()
    dates = backtest_dates(store, horizon, count)
    # only what a health score reads: the lab keeps these in memory between runs
    needed = ["account_id", "as_of", "churned", *component_inputs(ComponentParams())]
    labelled = backtest_features(store, dates, horizon).select(needed)
    return Snapshots(horizon, dates, labelled, round(time.perf_counter() - started, 3))


@dataclass(frozen=True)
class BacktestResult:
    horizon: int
    dates: list[dt.date]
    results: dict[str, dict[str, Any]]  # per scorecard name: scoring.backtest.evaluate
    intervals: dict[str, tuple[float, float]]  # "a", "b", "difference"
    seconds: dict[str, float]


def compare_on_snapshots(
    snapshots: Snapshots, active: Scorecard, candidate: Scorecard, seed: int = 7
) -> BacktestResult:
    """Both scorecards on the same snapshots, with bootstrap intervals."""
    started = time.perf_counter()
    keys = ["account_id", "as_of", "churned"]
    a = health_scores(snapshots.labelled, active)
    b = health_scores(snapshots.labelled, candidate)  # same rows, same order
    both = a.select(*keys, "health", "band").with_columns(health_b=b["health"], band_b=b["band"])
    results = {
        "active": bt.evaluate(both.select(*keys, "health", "band")),
        "candidate": bt.evaluate(both.select(*keys, health="health_b", band="band_b")),
    }
    scoring_s = time.perf_counter() - started
    started = time.perf_counter()
    intervals = bt.bootstrap_auc(both, "health", "health_b", seed=seed)
    return BacktestResult(
        horizon=snapshots.horizon, dates=snapshots.dates, results=results, intervals=intervals,
        seconds={"features": snapshots.seconds, "scoring": round(scoring_s, 3),
                 "bootstrap": round(time.perf_counter() - started, 3)},
    )  # fmt: skip


def run_backtest(
    store: SourceStore, active: Scorecard, candidate: Scorecard, horizon: int = 90,
    count: int = 12, seed: int = 7,
) -> BacktestResult:  # fmt: skip
    """Build the snapshots and compare both scorecards on them."""
    return compare_on_snapshots(backtest_snapshots(store, horizon, count), active, candidate, seed)


@dataclass(frozen=True)
class Suggestion:
    weights: dict[str, float]
    train_dates: list[dt.date]
    test_dates: list[dt.date]
    auc_active: float | None  # on the later (held-out) snapshots
    auc_suggested: float | None


def suggest_weights(snapshots: Snapshots, active: Scorecard) -> Suggestion:
    """Fit non-negative weights on the earlier snapshots and compare them with the active
    scorecard on the later ones (never applied: the page offers them to the editor)."""
    dates = snapshots.dates
    split = max(1, round(len(dates) * TRAIN_SHARE))
    later = pl.col("as_of").is_in(dates[split:])
    scored = health_scores(snapshots.labelled, active)
    weights = bt.fit_weights(scored.filter(~later), list(COMPONENTS))
    suggested = active.model_copy(update={"name": "suggested", "weights": weights})
    test = scored.filter(later)
    return Suggestion(
        weights=weights,
        train_dates=dates[:split],
        test_dates=dates[split:],
        auc_active=bt.evaluate(test)["auc"] if test.height else None,
        auc_suggested=bt.evaluate(health_scores(snapshots.labelled.filter(later), suggested))["auc"]
        if test.height
        else None,
    )
