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
from dashboard.text import format_value
from dashboard.views.common import Card
from scoring import backtest as bt
from scoring.components import component_inputs
from scoring.health import BANDS
from scoring.pipeline import health_scores
from scoring.scorecard import COMPONENTS, ComponentParams, Scorecard
from scoring.what_if import health_histogram, impact, lab_components, migration, movers, rescore

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


# -- what the page shows -------------------------------------------------------------------------
IMPACT_CARDS = (
    ("accounts_red", "Accounts in the red band", "count", True),
    ("arr_at_risk_90d", "Red ARR renewing in 90 days", "money", True),
    ("expansion_ready", "Expansion-ready", "count", False),
    ("median_health", "Median health", "score", False),
)


@dataclass(frozen=True)
class LabView:
    """A candidate scorecard against the active one, on the same (filtered) portfolio."""

    cards: list[Card]
    before: pl.DataFrame  # rescored by the active scorecard
    after: pl.DataFrame  # by the candidate
    histogram_before: pl.DataFrame
    histogram_after: pl.DataFrame
    migration: pl.DataFrame  # band_before x band_after: accounts, arr
    accounts_matrix: pl.DataFrame
    arr_matrix: pl.DataFrame
    movers: pl.DataFrame  # accounts whose health changes, most first


def lab_view(
    comps_active: pl.DataFrame, comps_candidate: pl.DataFrame, active: Scorecard,
    candidate: Scorecard,
) -> LabView:  # fmt: skip
    """Everything a weight change recomputes (the components are computed, and cached, per
    parameter set by the page)."""
    before, after = rescore(comps_active, active), rescore(comps_candidate, candidate)
    was, will = impact(before), impact(after)
    cards = [
        Card(label, will[key], kind, help=f"Active scorecard {active.name!r}: "
             f"{format_value(was[key], kind)}", previous=was[key] if was[key] != will[key] else None,
             lower_is_better=lower, compared_with="vs active")
        for key, label, kind, lower in IMPACT_CARDS
    ]  # fmt: skip
    moves = migration(before, after)
    moved = movers(comps_active, comps_candidate, active, candidate).filter(pl.col("change") != 0)
    return LabView(
        cards=cards, before=before, after=after,
        histogram_before=health_histogram(before), histogram_after=health_histogram(after),
        migration=moves,
        accounts_matrix=moves.pivot(on="band_after", index="band_before", values="accounts"),
        arr_matrix=moves.pivot(on="band_after", index="band_before", values="arr"),
        movers=moved,
    )  # fmt: skip


@dataclass(frozen=True)
class BacktestReport:
    """A backtest in words and a table, for the page and the command line."""

    caption: str
    metrics: pl.DataFrame  # metric, active, candidate (formatted)
    difference: str  # the AUC difference with its interval and what it means


def _fmt(value: float | None, pattern: str) -> str:
    return pattern.format(value) if value is not None else "—"


def backtest_report(result: BacktestResult) -> BacktestReport:
    a, b = result.results["active"], result.results["candidate"]
    lo, hi = result.intervals["difference"]
    caption = (
        f"{len(result.dates)} snapshots 30 days apart, {result.dates[0]} to {result.dates[-1]}, "
        f"each scored with data from before its date only; {b['n_accounts']:,} accounts, "
        f"{b['n_churn_events']:,} churn events, {b['n_observations']:,} account-snapshots."
    )
    rows = [
        {"metric": label, "active": _fmt(a[key], fmt), "candidate": _fmt(b[key], fmt)}
        for label, key, fmt in (
            ("ROC AUC", "auc", "{:.3f}"), ("Lift of the red band", "red_lift", "{:.2f}x"),
            ("Bottom-decile precision", "bottom_decile_precision", "{:.1%}"),
        )
    ]  # fmt: skip
    for band in BANDS:
        ra, rb = a["band_churn_rates"].get(band), b["band_churn_rates"].get(band)
        rows.append({"metric": f"Churn rate, {band} band",
                     "active": f"{ra['rate']:.1%} of {ra['accounts']:,}" if ra else "—",
                     "candidate": f"{rb['rate']:.1%} of {rb['accounts']:,}" if rb else "—"})  # fmt: skip
    verdict = (
        "the candidate predicts churn better" if lo > 0
        else "the candidate predicts churn worse" if hi < 0
        else "the difference is within noise: do not read it as better or worse"
    )  # fmt: skip
    difference = (
        f"AUC difference (candidate − active): **{b['auc'] - a['auc']:+.3f}**, 95 % bootstrap "
        f"interval {lo:+.3f} to {hi:+.3f} — {verdict}."
    )
    return BacktestReport(caption, pl.DataFrame(rows), difference)


def suggestion_weights(suggestion: Suggestion, active: Scorecard) -> pl.DataFrame:
    return pl.DataFrame(
        {"component": list(suggestion.weights), "suggested": list(suggestion.weights.values()),
         "active": [active.weights[c] for c in suggestion.weights]}
    )  # fmt: skip


def activation_preview(
    before: pl.DataFrame, comps: pl.DataFrame, card: Scorecard
) -> tuple[pl.DataFrame, str]:
    """The band moves that activating ``card`` would make, and a sentence saying so."""
    moving = migration(before, rescore(comps, card)).filter(
        pl.col("band_before") != pl.col("band_after")
    )
    sentence = (
        f"Activating {card.name!r} moves {moving['accounts'].sum():,} accounts "
        f"({format_value(moving['arr'].sum(), 'money')} ARR) to another band:"
    )
    return moving.filter(pl.col("accounts") > 0), sentence
