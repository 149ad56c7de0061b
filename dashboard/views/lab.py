"""The score lab: a candidate scorecard against the active one, on today's portfolio and on
point-in-time snapshots of the past (the backtest), and a fitted suggestion."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from dashboard.store.filters import AccountFilter
from dashboard.store.marts import scored_accounts
from dashboard.store.snapshots import backtest_dates, backtest_features, undated_churn_count
from dashboard.store.sources import SourceStore
from dashboard.store.stakeholder_rows import stakeholder_rows
from dashboard.text import BANDS, CHURN_HORIZON_DAYS, IN_WINDOW, RISK_TERMS, format_value
from dashboard.views.common import Card
from scoring import backtest as bt
from scoring.backtest import Interval
from scoring.churn_risk import MIN_CHURN_EVENTS
from scoring.kpis import undated_note
from scoring.lab_analysis import (
    CALIBRATED,
    BacktestResult,
    Calibrated,
    ComponentAuc,
    Snapshots,
    calibrate,
    calibrated_backtest,
    compare_on_snapshots,
    snapshot_columns,
)
from scoring.people import signals_at
from scoring.scorecard import COMPONENTS, ComponentParams, Scorecard, Thresholds
from scoring.what_if import health_histogram, impact, lab_components, migration, movers, rescore

__all__ = [  # what the lab's UI reads through its view: the analysis (scoring.lab_analysis)
    "CALIBRATED",  # and the scorecard model it edits
    "MIN_CHURN_EVENTS",
    "Calibrated",
    "ComponentParams",
    "Scorecard",
    "Thresholds",
    "calibrate",
    "calibrated_backtest",
    "compare_on_snapshots",
]


def portfolio_components(
    store: SourceStore, f: AccountFilter, params: ComponentParams
) -> pl.DataFrame:
    """The filtered scored portfolio's components under ``params`` (cached by the page per
    parameter set, so a weight change does not recompute them). They are computed on the
    whole portfolio, then filtered: a component scaled by the portfolio's own distribution
    must see all of it, as the nightly scores did."""
    every = lab_components(scored_accounts(store, AccountFilter()), params)
    if f == AccountFilter():
        return every
    ids = scored_accounts(store, f).select("account_id")
    return every.join(ids, on="account_id", how="semi", maintain_order="left")


def backtest_snapshots(
    store: SourceStore, horizon: int = CHURN_HORIZON_DAYS, count: int = 12
) -> Snapshots:
    """``count`` snapshots 30 days apart, built in one feature query, with the stakeholder
    signals of each account-snapshot as known the day before it."""
    started = time.perf_counter()
    dates = backtest_dates(store, horizon, count)
    features = backtest_features(store, dates, horizon)
    people = stakeholder_rows(store)
    signals = signals_at(
        people.contacts,
        people.usage_events,
        people.activities,
        features.select("account_id", "as_of", "arr"),
        people.gone,
    )
    # only what a health score reads: the lab keeps these in memory between runs
    labelled = features.select(snapshot_columns())
    seconds = round(time.perf_counter() - started, 3)
    return Snapshots(horizon, dates, labelled, seconds, undated_churn_count(store), signals)


def run_backtest(
    store: SourceStore,
    active: Scorecard,
    candidate: Scorecard,
    horizon: int = CHURN_HORIZON_DAYS,
    count: int = 12,
    seed: int = 7,
) -> BacktestResult:
    """Build the snapshots and compare both scorecards on them."""
    return compare_on_snapshots(backtest_snapshots(store, horizon, count), active, candidate, seed)


# -- what the page shows -------------------------------------------------------------------------
NO_HEALTH = "no health: no source has data for these accounts"
IMPACT_CARDS = (  # key, label, kind, lower is better, what it counts
    ("accounts_red", "Accounts in the red band", "count", True, ""),
    (
        "red_arr_renewing_90d",
        f"Red ARR renewing {IN_WINDOW}",
        "money",
        True,
        RISK_TERMS["red_renewing"],
    ),
    ("expansion_ready", "Expansion-ready", "count", False, ""),
    ("median_health", "Median health", "score", False, ""),
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
    comps_active: pl.DataFrame,
    comps_candidate: pl.DataFrame,
    active: Scorecard,
    candidate: Scorecard,
) -> LabView:
    """Everything a weight change recomputes (the components are computed, and cached, per
    parameter set by the page)."""
    before, after = rescore(comps_active, active), rescore(comps_candidate, candidate)
    was, will = impact(before), impact(after)
    # no health anywhere (no source with data): a band's count or money is unknown, not 0
    blind = {"before": before["health"].is_null().all(), "after": after["health"].is_null().all()}

    def known(values: dict, when: str, key: str) -> object:
        return None if blind[when] and key != "median_health" else values[key]

    cards = [
        Card(
            label,
            known(will, "after", key),
            kind,
            help=f"{counts} Active scorecard {active.name!r}: "
            f"{format_value(known(was, 'before', key), kind)}".strip(),
            previous=was[key] if was[key] != will[key] and not blind["before"] else None,
            lower_is_better=lower,
            compared_with="vs active",
            note=NO_HEALTH if blind["after"] and key != "median_health" else None,
        )
        for key, label, kind, lower, counts in IMPACT_CARDS
    ]
    moves = migration(before, after)
    moved = movers(
        comps_active, comps_candidate, active, candidate, before=before, after=after
    ).filter(pl.col("change") != 0)
    return LabView(
        cards=cards,
        before=before,
        after=after,
        histogram_before=health_histogram(before),
        histogram_after=health_histogram(after),
        migration=moves,
        accounts_matrix=moves.pivot(on="band_after", index="band_before", values="accounts"),
        arr_matrix=moves.pivot(on="band_after", index="band_before", values="arr"),
        movers=moved,
    )


@dataclass(frozen=True)
class BandMoves:
    """What a candidate does to today's bands, against the active scorecard."""

    to_red: int  # accounts turning red
    out_of_red: int
    to_green: int  # accounts turning green
    out_of_green: int


def band_moves(moves: pl.DataFrame) -> BandMoves:
    """The accounts turning red or green, and leaving red or green, from a band migration
    (``LabView.migration``: band_before × band_after, accounts)."""

    def count(into: bool, band: str) -> int:
        inside, outside = ("band_after", "band_before") if into else ("band_before", "band_after")
        return int(
            moves.filter((pl.col(inside) == band) & (pl.col(outside) != band))["accounts"].sum()
        )

    return BandMoves(
        count(True, "red"), count(False, "red"), count(True, "green"), count(False, "green")
    )


JUDGEMENT_WORDS: dict[str, str] = {
    "better": "the candidate predicts churn better: the whole 95 % interval of the difference "
    "is above 0",
    "worse": "the candidate predicts churn worse: the whole 95 % interval of the difference is "
    "below 0",
    "no_difference": "not better and not worse: the 95 % interval of the difference includes "
    "0, so the change is within noise",
}


def judgement_sentence(
    auc_active: float | None,
    auc_candidate: float | None,
    difference: Interval,
    moves: BandMoves | None = None,
    markdown: bool = True,
) -> str:
    """The candidate judged by the interval of its AUC difference (``bt.judge_candidate``),
    never by the point, with the band moves it makes on today's portfolio beside it; the
    difference in bold on a page, plain (``markdown=False``) on the command line."""
    judged = bt.judge_candidate(auc_active, auc_candidate, difference)
    if judged == "no_outcomes" or auc_active is None or auc_candidate is None:
        head = "No AUC difference: the snapshots hold no churn to rank."
    else:
        lo, hi = difference
        strong = "**" if markdown else ""
        head = (
            f"AUC difference (candidate − active): {strong}{auc_candidate - auc_active:+.3f}"
            f"{strong}, 95 % "
            f"bootstrap interval {lo:+.3f} to {hi:+.3f} — {JUDGEMENT_WORDS[judged]}."
        )
    if moves is None:
        return head
    return (
        f"{head} Beside it, on today's portfolio: {moves.to_red:,} accounts turn red and "
        f"{moves.out_of_red:,} leave red; {moves.to_green:,} turn green and "
        f"{moves.out_of_green:,} leave green."
    )


@dataclass(frozen=True)
class BacktestReport:
    """A backtest in words and tables, for the page and the command line."""

    caption: str
    metrics: pl.DataFrame  # metric, active, candidate (formatted)
    verdicts: str  # what each scorecard's AUC says, in words
    difference: str  # the AUC difference with its interval and what it means
    components: pl.DataFrame  # component, weight, auc, low, high, coverage, then the
    # stakeholder signals' rows with raised, raised_churned, known, known_churned, lift
    calibration: pl.DataFrame  # decile, predicted, observed, n
    calibration_note: str | None
    judgement: bt.Judgement = "no_outcomes"  # the candidate, by the interval of the difference


def _fmt(value: float | None, pattern: str) -> str:
    return pattern.format(value) if value is not None else "—"


def verdict_sentence(name: str, auc: float | None, interval: Interval, verdict: bt.Verdict) -> str:
    """'Scorecard 'x' (AUC 0.61, 95 % interval 0.58–0.64) predicts churn: …'."""
    if verdict == "no_outcomes":
        return f"Scorecard {name!r} {bt.VERDICT_WORDS[verdict]}."
    lo, hi = interval
    return f"Scorecard {name!r} (AUC {auc:.3f}, 95 % interval {lo:.3f}–{hi:.3f}) {bt.VERDICT_WORDS[verdict]}."


COMPONENT_TABLE = {
    "component": pl.String,
    "weight": pl.Float64,  # null: a stakeholder signal, not in the scorecard
    "auc": pl.Float64,
    "low": pl.Float64,
    "high": pl.Float64,
    "coverage": pl.Float64,
    "raised": pl.Int64,  # a signal's account-snapshots raised, and of those churned
    "raised_churned": pl.Int64,
    "known": pl.Int64,  # … known (raised or not), and of those churned
    "known_churned": pl.Int64,
    "lift": pl.Float64,
}


def components_table(rows: Sequence[ComponentAuc]) -> pl.DataFrame:
    """Each component alone, then each stakeholder signal alone (with its counts and lift):
    one table, one row each."""
    return pl.DataFrame(
        [
            {
                **{k: getattr(r, k) for k in COMPONENT_TABLE},
                "low": r.low if r.auc is not None else None,
                "high": r.high if r.auc is not None else None,
            }
            for r in rows
        ],
        schema=COMPONENT_TABLE,
    ).with_columns(pl.col("low", "high").fill_nan(None))


def backtest_report(
    result: BacktestResult,
    active_name: str,
    candidate_name: str,
    same: bool = False,
    moves: BandMoves | None = None,
    markdown: bool = True,
) -> BacktestReport:
    """``same``: the candidate has the active scorecard's settings (one verdict, no
    difference); ``markdown``: the page's emphasis, or plain text for the command line;
    ``moves``: the band moves the candidate makes today, said beside the
    judgement."""
    a, b = result.active, result.candidate
    lo, hi = result.intervals.difference
    span = f"{result.dates[0]} to {result.dates[-1]}" if result.dates else "no dates"
    caption = (
        f"{len(result.dates)} snapshots 30 days apart, {span}, "
        f"each scored with data from before its date only; {b.n_accounts:,} accounts, "
        f"{b.n_churn_events:,} churn events, {b.n_observations:,} account-snapshots."
    )
    if result.undated_churns:  # the Portfolio's NRR and GRR say the same
        caption += (
            f" {undated_note(result.undated_churns)}: no snapshot can be placed before an "
            "undated churn, so those accounts are left out of the churn labels; map a churn "
            "date to count them."
        )
    rows = [
        {
            "metric": label,
            "active": _fmt(getattr(a, key), fmt),
            "candidate": _fmt(getattr(b, key), fmt),
        }
        for label, key, fmt in (
            ("ROC AUC", "auc", "{:.3f}"),
            ("Lift of the red band", "red_lift", "{:.2f}x"),
            ("Bottom-decile precision", "bottom_decile_precision", "{:.1%}"),
        )
    ]
    for band in BANDS:
        ra, rb = a.band_churn_rates.get(band), b.band_churn_rates.get(band)
        rows.append(
            {
                "metric": f"Churn rate, {band} band",
                "active": f"{ra.rate:.1%} of {ra.accounts:,}" if ra else "—",
                "candidate": f"{rb.rate:.1%} of {rb.accounts:,}" if rb else "—",
            }
        )
    verdicts = " ".join(
        dict.fromkeys(
            [  # one sentence when both are the same scorecard
                verdict_sentence(
                    active_name, a.auc, result.intervals.active, result.active_verdict
                ),
                verdict_sentence(
                    candidate_name, b.auc, result.intervals.candidate, result.candidate_verdict
                ),
            ]
        )
    )
    if same:
        verdicts = verdict_sentence(
            active_name, a.auc, result.intervals.active, result.active_verdict
        )
        difference = (
            "The candidate has the active scorecard's settings: change a weight to compare."
        )
    else:
        difference = judgement_sentence(a.auc, b.auc, (lo, hi), moves, markdown)
    return BacktestReport(
        caption,
        pl.DataFrame(rows),
        verdicts,
        difference,
        components_table([*result.components, *result.signals]),
        result.calibration.table,
        result.calibration.note,
        "no_outcomes" if same else result.judgement,
    )


def calibrated_weights(calibrated: Calibrated, active: Scorecard) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "component": list(COMPONENTS),
            "suggested": [calibrated.weights.get(c, 0.0) for c in COMPONENTS],
            "active": [active.weights[c] for c in COMPONENTS],
        }
    )


def calibrated_sentence(c: Calibrated, active_name: str) -> str:
    """What the calibrated scorecard did on the later snapshots, against the active one."""
    if c.auc_calibrated is None or c.auc_active is None:
        return c.refused or "No calibrated scorecard."
    (alo, ahi), (clo, chi), (dlo, dhi) = (
        c.interval_active,
        c.interval_calibrated,
        c.interval_difference,
    )
    return (
        f"Fitted on {len(c.train_dates)} snapshots ({c.train_dates[0]} to {c.train_dates[-1]}, "
        f"{c.churn_events:,} churn events), checked on the later {len(c.test_dates)} "
        f"({c.test_dates[0]} to {c.test_dates[-1]}): AUC **{c.auc_calibrated:.3f}** "
        f"({clo:.3f}–{chi:.3f}) calibrated vs **{c.auc_active:.3f}** ({alo:.3f}–{ahi:.3f}) "
        f"{active_name!r}; difference {c.auc_calibrated - c.auc_active:+.3f} ({dlo:+.3f} to {dhi:+.3f}): "
        f"{JUDGEMENT_WORDS[c.judgement]}."
    )


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
