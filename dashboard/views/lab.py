"""The score lab: a candidate scorecard against the active one, on today's portfolio and on
point-in-time snapshots of the past (the backtest), and a fitted suggestion."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, replace

import polars as pl

from dashboard.store.filters import AccountFilter
from dashboard.store.marts import scored_accounts
from dashboard.store.snapshots import backtest_dates, backtest_features, undated_churn_count
from dashboard.store.sources import SourceStore
from dashboard.text import format_value
from dashboard.views.common import Card
from scoring import backtest as bt
from scoring import churn_risk
from scoring.components import component_inputs
from scoring.health import BANDS, apply_scorecard
from scoring.kpis import undated_note
from scoring.metrics import roc_auc
from scoring.pipeline import health_scores, health_scores_of_both
from scoring.scorecard import COMPONENTS, ComponentParams, Scorecard
from scoring.signals import RISK_TERMS
from scoring.what_if import health_histogram, impact, lab_components, migration, movers, rescore

TRAIN_SHARE = 2 / 3  # the suggestion is fitted on the earlier snapshots, checked on the later


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


@dataclass(frozen=True)
class Snapshots:
    """Point-in-time features of past dates, labelled with churn within ``horizon`` days: what
    every backtest on them shares, whatever the scorecards (the lab keeps them between runs)."""

    horizon: int
    dates: list[dt.date]
    labelled: pl.DataFrame
    seconds: float
    undated_churns: int = 0  # churned accounts with no date: no snapshot is labelled with them


def backtest_snapshots(store: SourceStore, horizon: int = 90, count: int = 12) -> Snapshots:
    """``count`` snapshots 30 days apart, built in one feature query."""
    started = time.perf_counter()
    dates = backtest_dates(store, horizon, count)
    # only what a health score reads: the lab keeps these in memory between runs
    needed = list(
        dict.fromkeys(["account_id", "as_of", "churned", *component_inputs(ComponentParams())])
    )
    labelled = backtest_features(store, dates, horizon).select(needed)
    seconds = round(time.perf_counter() - started, 3)
    return Snapshots(horizon, dates, labelled, seconds, undated_churn_count(store))


def out_of_time_split(dates: list[dt.date], horizon: int) -> tuple[list[dt.date], list[dt.date]]:
    """The later third of the snapshots to check on, and the earlier ones to fit on whose
    outcome window (``horizon`` days) closes before the first checked snapshot: nothing the
    fit sees happened after a snapshot it is checked on."""
    split = max(1, round(len(dates) * TRAIN_SHARE))
    test = dates[split:]
    if not test:
        return dates, []
    train = [d for d in dates[:split] if d + dt.timedelta(days=horizon) <= test[0]]
    return train or dates[:1], test


@dataclass(frozen=True)
class ComponentAuc:
    """One component alone as a score: its AUC, 95 % interval and coverage."""

    component: str
    weight: float
    auc: float | None
    low: float
    high: float
    coverage: float  # share of the account-snapshots where the component has data


@dataclass(frozen=True)
class BacktestResult:
    horizon: int
    dates: list[dt.date]
    results: dict[str, bt.Evaluation]  # "active", "candidate"
    intervals: dict[str, tuple[float, float]]  # "a", "b", "difference"
    verdicts: dict[str, bt.Verdict]  # "active", "candidate"
    components: list[ComponentAuc]  # the candidate's components, each alone
    calibration: (
        pl.DataFrame
    )  # the candidate's churn probability, out of time: decile, predicted, observed, n
    calibration_note: str | None  # why there is no calibration table
    seconds: dict[str, float]
    undated_churns: int = 0  # churned accounts with no date, left out of the churn labels


COMPONENT_REPLICATES = 200  # bootstrap replicates for the table of components alone


def component_aucs(
    scored: pl.DataFrame,
    card: Scorecard,
    seed: int = 7,
    intervals: dict[str, tuple[float, float]] | None = None,
) -> list[ComponentAuc]:
    """Each component of ``card`` alone against churn, on the same snapshots; ``intervals``
    when the bootstrap that gave the scorecards' already gave them (the same replicates),
    else 200 replicates of their own."""
    intervals = intervals or bt.bootstrap_aucs(scored, list(COMPONENTS), COMPONENT_REPLICATES, seed)
    risk = scored.select([(-pl.col(c)).alias(c) for c in COMPONENTS] + [pl.col("churned")])
    rows = []
    for name in COMPONENTS:
        lo, hi = intervals[name]
        rows.append(
            ComponentAuc(
                name,
                card.weights[name],
                roc_auc(risk, name, "churned"),
                lo,
                hi,
                float(scored[name].is_not_null().mean() or 0.0),
            )
        )
    return rows


def churn_calibration(
    scored: pl.DataFrame, dates: list[dt.date], horizon: int
) -> tuple[pl.DataFrame, str | None]:
    """The churn probability fitted on the earlier snapshots and checked on the later ones:
    its reliability table, or why there is none."""
    train_dates, test_dates = out_of_time_split(dates, horizon)
    train = scored.filter(pl.col("as_of").is_in(train_dates))
    test = scored.filter(pl.col("as_of").is_in(test_dates))
    reason = churn_risk.too_thin(train) or (
        None if test.height else "no later snapshot to check on"
    )
    if reason:
        return churn_risk.reliability(
            test.clear().with_columns(churn_probability=pl.lit(None, pl.Float64))
        ), reason
    model = churn_risk.fit_churn_model(train, horizon)
    return churn_risk.reliability(test.with_columns(churn_probability=model.probability())), None


def compare_on_snapshots(
    snapshots: Snapshots,
    active: Scorecard,
    candidate: Scorecard,
    seed: int = 7,
    calibration: bool = True,
    model: churn_risk.ChurnModel | None = None,
) -> BacktestResult:
    """Both scorecards on the same snapshots, with bootstrap intervals, a verdict for each,
    the candidate's components alone and its churn probability's reliability (of ``model``
    on every snapshot given, when one was fitted before; else fitted here out of time)."""
    started = time.perf_counter()
    keys = ["account_id", "as_of", "churned"]
    a, b = health_scores_of_both(snapshots.labelled, active, candidate)  # same rows, same order
    both = a.select(*keys, "health", "band").with_columns(health_b=b["health"], band_b=b["band"])
    results = {
        "active": bt.evaluate(both.select(*keys, "health", "band")),
        "candidate": bt.evaluate(both.select(*keys, health="health_b", band="band_b")),
    }
    if model is not None:
        calibration_table, note = _reliability(b, model), None
    elif calibration:
        calibration_table, note = churn_calibration(b, snapshots.dates, snapshots.horizon)
    else:
        calibration_table, note = pl.DataFrame(), "not computed"
    scoring_s = time.perf_counter() - started
    started = time.perf_counter()
    # one bootstrap, on the rows both scorecards score: the two scorecards, their difference
    # and the candidate's components alone all on the same replicates
    known = pl.col("health").is_not_null() & pl.col("health_b").is_not_null()
    rows = both.with_columns(b.select(COMPONENTS)).filter(known)
    found = bt.bootstrap_aucs(
        rows,
        ["health", "health_b", *COMPONENTS],
        seed=seed,
        difference=("health", "health_b"),
        screening=COMPONENTS,
    )
    intervals = {
        "a": found["health"],
        "b": found["health_b"],
        "difference": found.get("__difference", bt.NO_INTERVAL),
    }
    return BacktestResult(
        horizon=snapshots.horizon,
        dates=snapshots.dates,
        results=results,
        intervals=intervals,
        verdicts={
            "active": bt.verdict(results["active"].auc, intervals["a"]),
            "candidate": bt.verdict(results["candidate"].auc, intervals["b"]),
        },
        components=component_aucs(b, candidate, seed, found),
        calibration=calibration_table,
        calibration_note=note,
        seconds={
            "features": snapshots.seconds,
            "scoring": round(scoring_s, 3),
            "bootstrap": round(time.perf_counter() - started, 3),
        },
        undated_churns=snapshots.undated_churns,
    )


def run_backtest(
    store: SourceStore,
    active: Scorecard,
    candidate: Scorecard,
    horizon: int = 90,
    count: int = 12,
    seed: int = 7,
) -> BacktestResult:
    """Build the snapshots and compare both scorecards on them."""
    return compare_on_snapshots(backtest_snapshots(store, horizon, count), active, candidate, seed)


@dataclass(frozen=True)
class Calibrated:
    """A scorecard whose weights are fitted on the organisation's own history (the earlier
    snapshots) and checked on the later ones, against the active scorecard on the same rows.
    ``refused`` says why it is not offered (too little churn, or no evidence on the later
    snapshots); a refused one keeps its figures so the page can show what was found."""

    scorecard: Scorecard | None  # None when the history is too thin to fit
    train_dates: list[dt.date]
    test_dates: list[dt.date]
    churn_events: int  # in the snapshots fitted on
    auc_active: float | None  # on the later (held-out) snapshots
    auc_calibrated: float | None
    interval_active: tuple[float, float]
    interval_calibrated: tuple[float, float]
    interval_difference: tuple[float, float]  # calibrated − active
    verdict: bt.Verdict  # of the calibrated scorecard on the later snapshots
    calibration: pl.DataFrame  # its churn probability on the later snapshots
    refused: str | None
    seconds: float

    @property
    def weights(self) -> dict[str, float]:
        return self.scorecard.weights if self.scorecard else {}


CALIBRATED = "calibrated"  # the name a calibrated scorecard is offered under


@dataclass(frozen=True)
class _Fit:
    card: Scorecard
    train_dates: list[dt.date]
    test_dates: list[dt.date]
    churn_events: int
    model: churn_risk.ChurnModel  # the churn curve fitted with the fitted weights
    started: float


def _fit(snapshots: Snapshots, active: Scorecard, seed: int) -> _Fit | Calibrated:
    """The weights fitted on the earlier snapshots, or a refused ``Calibrated`` saying why."""
    started = time.perf_counter()
    train_dates, test_dates = out_of_time_split(snapshots.dates, snapshots.horizon)
    train = health_scores(snapshots.labelled.filter(pl.col("as_of").is_in(train_dates)), active)
    events = churn_risk.churn_events(train)
    thin = churn_risk.too_thin(train)
    if thin or not test_dates:
        return Calibrated(
            None,
            train_dates,
            test_dates,
            events,
            None,
            None,
            bt.NO_INTERVAL,
            bt.NO_INTERVAL,
            bt.NO_INTERVAL,
            "no_outcomes" if events == 0 else "no_evidence",
            pl.DataFrame(),
            f"No calibrated scorecard: {thin or 'no later snapshot to check it on'}.",
            round(time.perf_counter() - started, 3),
        )
    weights = bt.fit_weights(train, list(COMPONENTS), seed=seed)  # on the components alone
    card = active.model_copy(
        update={
            "name": CALIBRATED,
            "weights": weights,
            "description": f"Weights fitted on {len(train_dates)} snapshots {train_dates[0]} to "
            f"{train_dates[-1]} ({events} churn events), checked on {test_dates[0]} to {test_dates[-1]}.",
        }
    )
    model = churn_risk.fit_churn_model(
        apply_scorecard(train.lazy(), card).collect(), snapshots.horizon
    )
    return _Fit(card, train_dates, test_dates, events, model, started)


def _reliability(scored: pl.DataFrame, model: churn_risk.ChurnModel) -> pl.DataFrame:
    """``model``'s churn probability against what happened, on rows scored by its weights."""
    return churn_risk.reliability(scored.with_columns(churn_probability=model.probability()))


def _judged(
    fit: _Fit,
    auc_active: float | None,
    auc_calibrated: float | None,
    intervals: dict[str, tuple[float, float]],
    reliability: pl.DataFrame,
) -> Calibrated:
    decided = bt.verdict(auc_calibrated, intervals["b"])
    refused = (
        None
        if decided == "predictive"
        else (
            f"Not offered: on the later snapshots the fitted weights {bt.VERDICT_WORDS[decided]}."
        )
    )
    return Calibrated(
        fit.card,
        fit.train_dates,
        fit.test_dates,
        fit.churn_events,
        auc_active,
        auc_calibrated,
        intervals["a"],
        intervals["b"],
        intervals["difference"],
        decided,
        reliability,
        refused,
        round(time.perf_counter() - fit.started, 3),
    )


def calibrate(snapshots: Snapshots, active: Scorecard, seed: int = 7) -> Calibrated:
    """Fit the weights on the earlier snapshots (scikit-learn's logistic regression, weights
    ≥ 0) and check them against the active scorecard on the later ones, out of time. Never
    applied: a person saves and activates it."""
    fit = _fit(snapshots, active, seed)
    if isinstance(fit, Calibrated):
        return fit
    later = snapshots.labelled.filter(pl.col("as_of").is_in(fit.test_dates))
    a, b = health_scores_of_both(later, active, fit.card)
    held_out = a.select("account_id", "as_of", "churned", "health", "band").with_columns(
        health_b=b["health"], band_b=b["band"]
    )
    intervals = bt.bootstrap_auc(held_out, "health", "health_b", seed=seed)
    return _judged(
        fit, bt.evaluate(a).auc, bt.evaluate(b).auc, intervals, _reliability(b, fit.model)
    )


def calibrated_backtest(
    snapshots: Snapshots, active: Scorecard, seed: int = 7
) -> tuple[Calibrated, BacktestResult | None]:
    """`tandem backtest --scorecard calibrated`: fit on the earlier snapshots, then backtest
    the fitted scorecard against the active one on the later snapshots only (out of time),
    with the fitted churn probability's reliability there. No backtest when nothing was fit."""
    fit = _fit(snapshots, active, seed)
    if isinstance(fit, Calibrated):
        return fit, None
    later = pl.col("as_of").is_in(fit.test_dates)
    held_out = replace(snapshots, dates=fit.test_dates, labelled=snapshots.labelled.filter(later))
    result = compare_on_snapshots(held_out, active, fit.card, seed, model=fit.model)
    judged = _judged(
        fit,
        result.results["active"].auc,
        result.results["candidate"].auc,
        result.intervals,
        result.calibration,
    )
    return judged, result


# -- what the page shows -------------------------------------------------------------------------
NO_HEALTH = "no health: no source has data for these accounts"
IMPACT_CARDS = (  # key, label, kind, lower is better, what it counts
    ("accounts_red", "Accounts in the red band", "count", True, ""),
    (
        "red_arr_renewing_90d",
        "Red ARR renewing in 90 days",
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
    difference: tuple[float, float],
    moves: BandMoves | None = None,
) -> str:
    """The candidate judged by the interval of its AUC difference (``bt.judge_candidate``),
    never by the point, with the band moves it makes on today's portfolio beside it."""
    judged = bt.judge_candidate(auc_active, auc_candidate, difference)
    if judged == "no_outcomes" or auc_active is None or auc_candidate is None:
        head = "No AUC difference: the snapshots hold no churn to rank."
    else:
        lo, hi = difference
        head = (
            f"AUC difference (candidate − active): **{auc_candidate - auc_active:+.3f}**, 95 % "
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
    components: pl.DataFrame  # component, weight, auc, low, high, coverage
    calibration: pl.DataFrame  # decile, predicted, observed, n
    calibration_note: str | None
    judgement: bt.Judgement = "no_outcomes"  # the candidate, by the interval of the difference


def _fmt(value: float | None, pattern: str) -> str:
    return pattern.format(value) if value is not None else "—"


def verdict_sentence(
    name: str, auc: float | None, interval: tuple[float, float], verdict: bt.Verdict
) -> str:
    """'Scorecard 'x' (AUC 0.61, 95 % interval 0.58–0.64) predicts churn: …'."""
    if verdict == "no_outcomes":
        return f"Scorecard {name!r} {bt.VERDICT_WORDS[verdict]}."
    lo, hi = interval
    return f"Scorecard {name!r} (AUC {auc:.3f}, 95 % interval {lo:.3f}–{hi:.3f}) {bt.VERDICT_WORDS[verdict]}."


def components_table(rows: list[ComponentAuc]) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "component": r.component,
                "weight": r.weight,
                "auc": r.auc,
                "low": r.low if r.auc is not None else None,
                "high": r.high if r.auc is not None else None,
                "coverage": r.coverage,
            }
            for r in rows
        ],
        schema={
            "component": pl.String,
            "weight": pl.Float64,
            "auc": pl.Float64,
            "low": pl.Float64,
            "high": pl.Float64,
            "coverage": pl.Float64,
        },
    ).with_columns(pl.col("low", "high").fill_nan(None))


def backtest_report(
    result: BacktestResult,
    active_name: str,
    candidate_name: str,
    same: bool = False,
    moves: BandMoves | None = None,
) -> BacktestReport:
    """``same``: the candidate has the active scorecard's settings (one verdict, no
    difference); ``moves``: the band moves the candidate makes today, said beside the
    judgement."""
    a, b = result.results["active"], result.results["candidate"]
    lo, hi = result.intervals["difference"]
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
                    active_name, a.auc, result.intervals["a"], result.verdicts["active"]
                ),
                verdict_sentence(
                    candidate_name, b.auc, result.intervals["b"], result.verdicts["candidate"]
                ),
            ]
        )
    )
    if same:
        verdicts = verdict_sentence(
            active_name, a.auc, result.intervals["a"], result.verdicts["active"]
        )
        difference = (
            "The candidate has the active scorecard's settings: change a weight to compare."
        )
    else:
        difference = judgement_sentence(a.auc, b.auc, (lo, hi), moves)
    return BacktestReport(
        caption,
        pl.DataFrame(rows),
        verdicts,
        difference,
        components_table(result.components),
        result.calibration,
        result.calibration_note,
        "no_outcomes" if same else bt.judge_candidate(a.auc, b.auc, (lo, hi)),
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
        f"{JUDGEMENT_WORDS[bt.judge_candidate(c.auc_active, c.auc_calibrated, c.interval_difference)]}."
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
