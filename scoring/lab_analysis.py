"""Two scorecards compared on point-in-time snapshots, and weights fitted on them (pure: Polars
and NumPy; the random seed is a parameter). The Score lab's view and the nightly job both read
these typed results and say them in their own words.

Input: ``Snapshots`` (one row per account and snapshot date with the features a health score
reads and ``churned``: churned within ``horizon`` days after the snapshot).
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, replace

import polars as pl

from scoring import backtest as bt
from scoring import churn_risk, survival
from scoring.backtest import AucIntervals, Evaluation, Interval, Verdict
from scoring.components import component_inputs
from scoring.metrics import roc_auc
from scoring.people import SIGNALS
from scoring.pipeline import health_scores, health_scores_of_both
from scoring.scorecard import COMPONENTS, ComponentParams, Scorecard

TRAIN_SHARE = 2 / 3  # the suggestion is fitted on the earlier snapshots, checked on the later
COMPONENT_REPLICATES = 200  # bootstrap replicates for the table of components alone
CALIBRATED = "calibrated"  # the name a calibrated scorecard is offered under


def snapshot_columns() -> list[str]:
    """The columns of a labelled snapshot that a health score reads (the lab keeps only
    these in memory between runs)."""
    return list(
        dict.fromkeys(
            [
                "account_id",
                "as_of",
                "churned",
                "churned_on",  # the day the account churned (null: it has not): time to churn
                *component_inputs(ComponentParams()),
            ]
        )
    )


@dataclass(frozen=True)
class Snapshots:
    """Point-in-time features of past dates, labelled with churn within ``horizon`` days: what
    every backtest on them shares, whatever the scorecards (the lab keeps them between runs)."""

    horizon: int
    dates: list[dt.date]
    labelled: pl.DataFrame
    seconds: float
    undated_churns: int = 0  # churned accounts with no date: no snapshot is labelled with them
    # the stakeholder signals of each account-snapshot (account_id, as_of, SIGNALS: true,
    # false or null), as known the day before it (scoring.people.signals_at); None: not built
    signals: pl.DataFrame | None = None


@dataclass(frozen=True)
class Split:
    """Snapshot dates to fit on (``train``) and to check on (``test``), out of time."""

    train: list[dt.date]
    test: list[dt.date]


def out_of_time_split(dates: list[dt.date], horizon: int) -> Split:
    """The later third of the snapshots to check on, and the earlier ones to fit on whose
    outcome window (``horizon`` days) closes before the first checked snapshot: nothing the
    fit sees happened after a snapshot it is checked on."""
    split = max(1, round(len(dates) * TRAIN_SHARE))
    test = dates[split:]
    if not test:
        return Split(dates, [])
    train = [d for d in dates[:split] if d + dt.timedelta(days=horizon) <= test[0]]
    return Split(train or dates[:1], test)


@dataclass(frozen=True)
class ComponentAuc:
    """One component (or a stakeholder signal) alone as a score: its AUC, 95 % interval and
    coverage; a signal, raised or not, also with its counts and lift."""

    component: str
    weight: float | None  # None: a signal, not a component of the scorecard
    auc: float | None
    low: float
    high: float
    coverage: float  # share of the account-snapshots where the component has data
    raised: int | None = None  # account-snapshots where the signal is raised (None: a component)
    raised_churned: int | None = None  # of which churned within the horizon
    known: int | None = None  # account-snapshots where the signal is known (raised or not)
    known_churned: int | None = None
    lift: float | None = None  # churn rate where raised ÷ churn rate where known


@dataclass(frozen=True)
class Timings:
    """Seconds spent building the snapshots, scoring them, and bootstrapping."""

    features: float
    scoring: float
    bootstrap: float


@dataclass(frozen=True)
class Calibration:
    """A churn probability against what happened: ``table`` (decile, predicted, observed,
    n), or ``note`` saying why there is none."""

    table: pl.DataFrame
    note: str | None


@dataclass(frozen=True)
class SurvivalCheck:
    """The Cox model of time to churn fitted on the earlier snapshots and checked on the
    later ones: Harrell's concordance with its 95 % interval, or ``note`` saying why none."""

    concordance: float | None
    interval: Interval
    events: int  # churns seen after the checked snapshots
    observations: int  # checked account-snapshots
    note: str | None


def survival_check(
    scored: pl.DataFrame, dates: list[dt.date], horizon: int, seed: int = 7
) -> SurvivalCheck:
    """A Cox model on the components' shortfalls fitted on the earlier snapshots (their
    churns seen until the first checked snapshot) and its concordance on the later ones
    (churns seen until ``horizon`` days after the last): out of time."""
    split = out_of_time_split(dates, horizon)
    if not split.test or not split.train:
        return SurvivalCheck(None, bt.NO_INTERVAL, 0, 0, "no later snapshot to check on")
    train = survival.times_to_churn(
        scored.filter(pl.col("as_of").is_in(split.train)), split.test[0]
    )
    later = scored.filter(pl.col("as_of").is_in(split.test))
    test = survival.times_to_churn(later, split.test[-1] + dt.timedelta(days=horizon))
    thin = churn_risk.too_thin(train)
    if thin or not test["churned"].any():
        reason = thin or "no churn after the later snapshots to check on"
        return SurvivalCheck(None, bt.NO_INTERVAL, 0, test.height, reason)
    model = survival.fit_cox(train, list(COMPONENTS))
    risk = model.risk(test)
    return SurvivalCheck(
        survival.concordance(test, risk),
        survival.concordance_interval(test, risk, seed=seed),
        int(test["churned"].sum()),
        test.height,
        None,
    )


@dataclass(frozen=True)
class BacktestResult:
    """Both scorecards on the same snapshots."""

    horizon: int
    dates: list[dt.date]
    active: Evaluation
    candidate: Evaluation
    intervals: AucIntervals  # active, candidate, difference (candidate − active)
    active_verdict: Verdict
    candidate_verdict: Verdict
    components: list[ComponentAuc]  # the candidate's components, each alone
    calibration: Calibration  # the candidate's churn probability, out of time
    seconds: Timings
    undated_churns: int = 0  # churned accounts with no date, left out of the churn labels
    survival: SurvivalCheck | None = None  # time to churn, out of time (None: not computed)
    signals: tuple[ComponentAuc, ...] = ()  # the stakeholder signals, each alone

    @property
    def judgement(self) -> bt.Judgement:
        """The candidate, by the interval of the AUC difference."""
        return bt.judge_candidate(self.active.auc, self.candidate.auc, self.intervals.difference)


def component_aucs(
    scored: pl.DataFrame,
    card: Scorecard,
    seed: int = 7,
    intervals: dict[str, Interval] | None = None,
) -> list[ComponentAuc]:
    """Each component of ``card`` alone against churn, on the same snapshots; ``intervals``
    (by component) when the bootstrap that gave the scorecards' already gave them (the same
    replicates), else 200 replicates of their own."""
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


def signal_scores(rows: pl.DataFrame) -> pl.DataFrame:
    """Each stakeholder signal as a health-like column (lower = riskier, as a component):
    0 where it is raised, 100 where it is not, null where it is unknown."""
    return rows.with_columns(
        [pl.when(pl.col(s)).then(0.0).when(~pl.col(s)).then(100.0).alias(s) for s in SIGNALS]
    )


def signal_aucs(rows: pl.DataFrame, intervals: dict[str, Interval]) -> tuple[ComponentAuc, ...]:
    """Each stakeholder signal alone against churn on ``rows`` (``churned`` and ``SIGNALS``,
    true, false or null): its AUC (a raised signal as the riskier), the 95 % interval the
    bootstrap gave it, its coverage, how many account-snapshots raised it and how many of
    those churned, and its lift: churn where raised ÷ churn where known."""
    counted = rows.select(
        [
            pl.struct(
                known=pl.col(s).is_not_null().sum(),
                known_churned=(pl.col(s).is_not_null() & pl.col("churned")).sum(),
                raised=pl.col(s).fill_null(False).sum(),
                raised_churned=(pl.col(s).fill_null(False) & pl.col("churned")).sum(),
            ).alias(s)
            for s in SIGNALS
        ]
    ).row(0, named=True)
    risk = rows.select([pl.col(s).cast(pl.Float64) for s in SIGNALS] + [pl.col("churned")])
    found = []
    for name in SIGNALS:
        c = {k: int(v or 0) for k, v in counted[name].items()}
        base = c["known_churned"] / c["known"] if c["known"] else None
        lift = c["raised_churned"] / c["raised"] / base if c["raised"] and base else None
        lo, hi = intervals.get(name, bt.NO_INTERVAL)
        found.append(
            ComponentAuc(
                name,
                None,
                roc_auc(risk, name, "churned"),
                lo,
                hi,
                c["known"] / rows.height if rows.height else 0.0,
                c["raised"],
                c["raised_churned"],
                c["known"],
                c["known_churned"],
                lift,
            )
        )
    return tuple(found)


def walk_forward(
    scored: pl.DataFrame, dates: list[dt.date], horizon: int, checked: list[dt.date]
) -> tuple[pl.DataFrame, list[str]]:
    """Each ``checked`` snapshot's rows with the churn probability (``churn_probability``) of
    the model fitted on the snapshots whose ``horizon`` days of outcome had closed by that
    snapshot's date: what the nightly job, which refits each night on the past snapshots
    whose outcome is known, said that day. Nothing a fit sees happened after the snapshot it
    predicts. Also why a checked snapshot got no probability (too little churn known then)."""
    parts, reasons = [], []
    for day in checked:
        known = [d for d in dates if d + dt.timedelta(days=horizon) <= day]
        train = scored.filter(pl.col("as_of").is_in(known))
        thin = (
            churn_risk.too_thin(train)
            if known
            else f"no snapshot's {horizon} days of outcome had closed by {day}"
        )
        if thin:
            reasons.append(f"{day}: {thin}")
            continue
        model = churn_risk.fit_churn_model(train, horizon)
        parts.append(
            scored.filter(pl.col("as_of") == day).with_columns(
                churn_probability=model.probability()
            )
        )
    found = pl.concat(parts) if parts else pl.DataFrame()
    return found, reasons


def churn_calibration(scored: pl.DataFrame, dates: list[dt.date], horizon: int) -> Calibration:
    """The churn probability checked out of time on the later snapshots (``out_of_time_split``),
    each predicted by the model the nightly job had on its date (``walk_forward``): its
    reliability table, or why there is none."""
    checked = out_of_time_split(dates, horizon).test
    if not checked or scored.filter(pl.col("as_of").is_in(checked)).is_empty():
        return Calibration(churn_risk.reliability(pl.DataFrame()), "no later snapshot to check on")
    found, reasons = walk_forward(scored, dates, horizon, checked)
    if found.is_empty():
        return Calibration(churn_risk.reliability(pl.DataFrame()), "; ".join(reasons))
    return Calibration(churn_risk.reliability(found), None)


def compare_on_snapshots(
    snapshots: Snapshots,
    active: Scorecard,
    candidate: Scorecard,
    seed: int = 7,
    calibration: bool = True,
) -> BacktestResult:
    """Both scorecards on the same snapshots, with bootstrap intervals, a verdict for each,
    the candidate's components alone and its churn probability's reliability out of time
    (``churn_calibration``; not computed with ``calibration`` False)."""
    started = time.perf_counter()
    timed = None
    keys = ["account_id", "as_of", "churned"]
    a, b = health_scores_of_both(snapshots.labelled, active, candidate)  # same rows, same order
    both = a.select(*keys, "health", "band").with_columns(health_b=b["health"], band_b=b["band"])
    evaluated_a = bt.evaluate(both.select(*keys, "health", "band"))
    evaluated_b = bt.evaluate(both.select(*keys, health="health_b", band="band_b"))
    if calibration:
        reliability = churn_calibration(b, snapshots.dates, snapshots.horizon)
        timed = survival_check(b, snapshots.dates, snapshots.horizon, seed)
    else:
        reliability = Calibration(pl.DataFrame(), "not computed")
    scoring_s = time.perf_counter() - started
    started = time.perf_counter()
    # one bootstrap, on the rows both scorecards score: the two scorecards, their difference
    # and the candidate's components alone all on the same replicates
    known = pl.col("health").is_not_null() & pl.col("health_b").is_not_null()
    rows = both.with_columns(b.select(COMPONENTS)).filter(known)
    signals = snapshots.signals
    if signals is not None:  # the stakeholder signals on the same rows, screened as components
        rows = rows.join(signals, on=["account_id", "as_of"], how="left", maintain_order="left")
    screened = (*COMPONENTS, *(SIGNALS if signals is not None else ()))
    found = bt.bootstrap_aucs(
        signal_scores(rows) if signals is not None else rows,
        ["health", "health_b", *screened],
        seed=seed,
        difference=("health", "health_b"),
        screening=screened,
    )
    intervals = AucIntervals(
        found["health"], found["health_b"], found.get("__difference", bt.NO_INTERVAL)
    )
    return BacktestResult(
        horizon=snapshots.horizon,
        dates=snapshots.dates,
        active=evaluated_a,
        candidate=evaluated_b,
        intervals=intervals,
        active_verdict=bt.verdict(evaluated_a.auc, intervals.active),
        candidate_verdict=bt.verdict(evaluated_b.auc, intervals.candidate),
        components=component_aucs(b, candidate, seed, found),
        calibration=reliability,
        seconds=Timings(
            snapshots.seconds,
            round(scoring_s, 3),
            round(time.perf_counter() - started, 3),
        ),
        undated_churns=snapshots.undated_churns,
        survival=timed,
        signals=signal_aucs(rows, found) if signals is not None else (),
    )


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
    interval_active: Interval
    interval_calibrated: Interval
    interval_difference: Interval  # calibrated − active
    verdict: Verdict  # of the calibrated scorecard on the later snapshots
    calibration: pl.DataFrame  # its churn probability on the later snapshots
    refused: str | None
    seconds: float

    @property
    def weights(self) -> dict[str, float]:
        return self.scorecard.weights if self.scorecard else {}

    @property
    def judgement(self) -> bt.Judgement:
        """The calibrated scorecard against the active one, by the interval of the
        difference."""
        return bt.judge_candidate(self.auc_active, self.auc_calibrated, self.interval_difference)


@dataclass(frozen=True)
class _Fit:
    card: Scorecard
    split: Split
    churn_events: int
    started: float


def _fit(snapshots: Snapshots, active: Scorecard, seed: int) -> _Fit | Calibrated:
    """The weights fitted on the earlier snapshots, or a refused ``Calibrated`` saying why."""
    started = time.perf_counter()
    split = out_of_time_split(snapshots.dates, snapshots.horizon)
    train_dates, test_dates = split.train, split.test
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
    return _Fit(card, split, events, started)


def _judged(
    fit: _Fit,
    auc_active: float | None,
    auc_calibrated: float | None,
    intervals: AucIntervals,
    reliability: pl.DataFrame,
) -> Calibrated:
    decided = bt.verdict(auc_calibrated, intervals.candidate)
    refused = (
        None
        if decided == "predictive"
        else (
            f"Not offered: on the later snapshots the fitted weights {bt.VERDICT_WORDS[decided]}."
        )
    )
    return Calibrated(
        fit.card,
        fit.split.train,
        fit.split.test,
        fit.churn_events,
        auc_active,
        auc_calibrated,
        intervals.active,
        intervals.candidate,
        intervals.difference,
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
    later = snapshots.labelled.filter(pl.col("as_of").is_in(fit.split.test))
    a, b = health_scores_of_both(later, active, fit.card)
    held_out = a.select("account_id", "as_of", "churned", "health", "band").with_columns(
        health_b=b["health"], band_b=b["band"]
    )
    intervals = bt.bootstrap_auc(held_out, "health", "health_b", seed=seed)
    scored = health_scores(snapshots.labelled, fit.card)
    reliability = churn_calibration(scored, snapshots.dates, snapshots.horizon).table
    return _judged(fit, bt.evaluate(a).auc, bt.evaluate(b).auc, intervals, reliability)


def calibrated_backtest(
    snapshots: Snapshots, active: Scorecard, seed: int = 7
) -> tuple[Calibrated, BacktestResult | None]:
    """`tandem backtest --scorecard calibrated`: fit on the earlier snapshots, then backtest
    the fitted scorecard against the active one on the later snapshots only (out of time),
    with the fitted churn probability's reliability there. No backtest when nothing was fit."""
    fit = _fit(snapshots, active, seed)
    if isinstance(fit, Calibrated):
        return fit, None
    later = pl.col("as_of").is_in(fit.split.test)
    held_out = replace(snapshots, dates=fit.split.test, labelled=snapshots.labelled.filter(later))
    result = compare_on_snapshots(held_out, active, fit.card, seed, calibration=False)
    scored = health_scores(snapshots.labelled, fit.card)
    timed = survival_check(scored, snapshots.dates, snapshots.horizon, seed)
    # the fitted scorecard's churn probability, each later snapshot by the model the
    # nightly job would have fitted on its date (walk_forward)
    reliability = churn_calibration(scored, snapshots.dates, snapshots.horizon)
    result = replace(result, survival=timed, calibration=reliability)
    judged = _judged(
        fit,
        result.active.auc,
        result.candidate.auc,
        result.intervals,
        result.calibration.table,
    )
    return judged, result
