"""Time to churn (pure: Polars and NumPy; the random seed is a parameter): Kaplan-Meier curves
by group, a Cox proportional-hazards model, its concordance with a bootstrap interval, and
each account's probability of churning before a date (its renewal, or any date picked).

Input: one row per account (or account and snapshot) with ``days`` (from the snapshot to the
churn, or to the end of what is known) and ``churned`` (the churn was seen: else censored).

Written with NumPy rather than lifelines: the estimators are a few lines each, and the
nightly job then imports nothing new.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import polars as pl

from scoring.churn_risk import shortfall_exprs
from scoring.glossary import COMPONENTS

col = pl.col


def times_to_churn(scored: pl.DataFrame, censor: dt.date) -> pl.DataFrame:
    """``days`` from each snapshot (``as_of``) to its churn (``churned_on``) or to ``censor``
    (the last day whose churns are known), ``churned`` when the churn came by then, and the
    components' shortfalls as covariates. Rows on or after ``censor`` are dropped."""
    end = pl.lit(censor)
    churned_on = col("churned_on") if "churned_on" in scored.columns else pl.lit(None, pl.Date)
    came = churned_on.is_not_null() & (churned_on > col("as_of")) & (churned_on <= end)
    days = (pl.when(came).then(churned_on).otherwise(end) - col("as_of")).dt.total_days()
    return scored.filter(col("as_of") < end).select(
        [col("account_id"), days.alias("days"), came.alias("churned"), *shortfall_exprs(COMPONENTS)]
    )


def kaplan_meier(
    frame: pl.DataFrame, by: str | None = None, days: str = "days", event: str = "churned"
) -> pl.DataFrame:
    """The Kaplan-Meier survival curve (per ``by`` group when given): one row per day on
    which an account churned or left the count, with ``at_risk``, ``events`` (churns that
    day) and ``survival`` (share still not churned after that day)."""
    keys = [by] if by else []
    steps = (
        frame.group_by([*keys, days])
        .agg(events=col(event).cast(pl.Int64).sum(), leaving=pl.len().cast(pl.Int64))
        .sort([*keys, days])
    )
    over = keys or None
    total = col("leaving").sum()
    gone_before = col("leaving").cum_sum() - col("leaving")
    if over:
        total, gone_before = total.over(over), gone_before.over(over)
    steps = steps.with_columns(at_risk=total - gone_before)
    factor = 1 - col("events") / col("at_risk")
    survival = factor.cum_prod().over(over) if over else factor.cum_prod()
    return steps.with_columns(survival=survival).select(
        *keys, days, "at_risk", "events", "survival"
    )


@dataclass(frozen=True)
class CoxModel:
    """hazard(t | x) = baseline(t) × e^(x · ``coefficients``); ``times`` and
    ``cumulative_hazard`` are the Breslow baseline, a step function of days."""

    covariates: tuple[str, ...]
    coefficients: tuple[float, ...]
    times: tuple[float, ...]
    cumulative_hazard: tuple[float, ...]
    events: int
    observations: int
    follow_up: float = float("inf")  # the longest time followed: no forecast beyond it

    def risk(self, frame: pl.DataFrame) -> np.ndarray:
        """x · coefficients per row (higher: churns sooner)."""
        x = frame.select(self.covariates).to_numpy().astype(np.float64)
        return x @ np.asarray(self.coefficients)

    def baseline(self, days: np.ndarray) -> np.ndarray:
        """The baseline cumulative hazard at ``days`` (0 before the first churn)."""
        at = np.searchsorted(np.asarray(self.times), days, side="right") - 1
        hazard = np.asarray(self.cumulative_hazard)
        return np.where(at >= 0, hazard[np.clip(at, 0, None)], 0.0)

    def p_churn_within(self, frame: pl.DataFrame, days: str) -> pl.Series:
        """P(churn within each row's ``days``), e.g. the days to its renewal date: null where
        the days are unknown, negative (the date is past) or beyond the longest time the
        history followed (the curve is not known that far): no forecast, never 0."""
        d = frame[days].cast(pl.Float64).fill_null(np.nan).to_numpy()
        known = np.isfinite(d) & (d >= 0) & (d <= self.follow_up)
        p = 1.0 - np.exp(-self.baseline(np.where(known, d, 0.0)) * np.exp(self.risk(frame)))
        return pl.Series(days, np.where(known, p, np.nan)).fill_nan(None)


def fit_cox(
    frame: pl.DataFrame,
    covariates: list[str],
    days: str = "days",
    event: str = "churned",
    ridge: float = 1e-4,
) -> CoxModel:
    """The Cox model by Newton's method on the partial likelihood (Breslow's handling of
    tied days; a small ridge, ``ridge`` × rows, keeps the coefficients finite), and the
    Breslow baseline cumulative hazard. Covariates must be known (fill them first)."""
    order = np.argsort(-frame[days].to_numpy(), kind="stable")  # latest first
    t = frame[days].cast(pl.Float64).to_numpy()[order]
    e = frame[event].cast(pl.Float64).to_numpy()[order]
    x = frame.select(covariates).to_numpy().astype(np.float64)[order]
    n, k = x.shape
    # the last row of each tied day: cumulative sums over rows latest-first, read there, are
    # sums over the risk set {t_j ≥ t}
    last_of_day = np.r_[t[1:] != t[:-1], True]
    day_of = np.cumsum(np.r_[True, t[1:] != t[:-1]]) - 1  # each row's day index
    ends = np.flatnonzero(last_of_day)
    beta = np.zeros(k)
    penalty = ridge * n * np.eye(k)
    for _ in range(50):
        w = np.exp(x @ beta)
        s0 = np.cumsum(w)[ends][day_of]
        s1 = np.cumsum(w[:, None] * x, axis=0)[ends][day_of]
        s2 = np.cumsum(w[:, None, None] * x[:, :, None] * x[:, None, :], axis=0)[ends][day_of]
        mean = s1 / s0[:, None]
        gradient = (e[:, None] * (x - mean)).sum(axis=0) - penalty @ beta
        cov = s2 / s0[:, None, None] - mean[:, :, None] * mean[:, None, :]
        hessian = (e[:, None, None] * cov).sum(axis=0) + penalty
        try:
            step = np.linalg.solve(hessian, gradient)
        except np.linalg.LinAlgError:
            break
        beta = beta + step
        if np.abs(step).max() < 1e-9:
            break
    w = np.exp(x @ beta)
    risk_sum = np.cumsum(w)[ends]  # per distinct day, latest first
    deaths = np.bincount(day_of, weights=e, minlength=len(ends))
    increments = deaths / risk_sum
    times = t[ends][::-1]  # earliest first
    return CoxModel(
        covariates=tuple(covariates),
        coefficients=tuple(float(b) for b in beta),
        times=tuple(float(v) for v in times),
        cumulative_hazard=tuple(float(v) for v in np.cumsum(increments[::-1])),
        events=int(e.sum()),
        observations=n,
        follow_up=float(t.max()) if n else 0.0,
    )


def fit_time_to_churn(scored: pl.DataFrame, censor: dt.date) -> CoxModel:
    """The Cox model of time to churn on the components' shortfalls, fitted on past
    snapshots (``as_of``, ``churned_on``, the components) whose churns are known until
    ``censor``."""
    return fit_cox(times_to_churn(scored, censor), list(COMPONENTS))


def p_churn_before(model: CoxModel, accounts: pl.DataFrame, days: str) -> pl.Series:
    """Each account's P(churn before the date ``days`` ahead, e.g. ``days_to_renewal``), from
    its components today."""
    return model.p_churn_within(
        accounts.select(*shortfall_exprs(model.covariates), col(days)), days
    )


def _pair_matrices(
    t: np.ndarray, e: np.ndarray, risk: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each churned row i (rows of the matrices) against every row j: comparable when
    t_j > t_i (j outlived i), and then 1 if i's risk is higher, ½ on a tie, else 0."""
    events = np.flatnonzero(e > 0)
    comparable = t[None, :] > t[events][:, None]
    score = np.where(risk[events][:, None] > risk[None, :], 1.0, 0.0)
    score = np.where(risk[events][:, None] == risk[None, :], 0.5, score)
    return events, comparable.astype(np.float64), score * comparable


def concordance(
    frame: pl.DataFrame, risk: np.ndarray, days: str = "days", event: str = "churned"
) -> float | None:
    """Harrell's C: of the pairs where one account churned before the other's time, the
    share where the one that churned had the higher risk (ties ½). None without a pair."""
    t = frame[days].cast(pl.Float64).to_numpy()
    e = frame[event].cast(pl.Float64).to_numpy()
    _, comparable, score = _pair_matrices(t, e, risk)
    pairs = comparable.sum()
    return float(score.sum() / pairs) if pairs else None


def concordance_interval(
    frame: pl.DataFrame,
    risk: np.ndarray,
    replicates: int = 200,
    seed: int = 7,
    days: str = "days",
    event: str = "churned",
) -> tuple[float, float]:
    """The 95 % bootstrap interval of Harrell's C, accounts resampled (an account's rows
    weighed by how often it was drawn), every replicate from one matrix product."""
    t = frame[days].cast(pl.Float64).to_numpy()
    e = frame[event].cast(pl.Float64).to_numpy()
    events, comparable, score = _pair_matrices(t, e, risk)
    if not comparable.any():
        return (float("nan"), float("nan"))
    codes = frame.select(col("account_id").rank("dense").cast(pl.Int64) - 1)["account_id"]
    codes = codes.to_numpy()
    rng = np.random.default_rng(seed)
    n = int(codes.max()) + 1
    draws = np.stack([np.bincount(rng.integers(0, n, n), minlength=n) for _ in range(replicates)])
    w = draws[:, codes].astype(np.float64)  # replicates × rows
    conc = ((score @ w.T) * w[:, events].T).sum(axis=0)
    pairs = ((comparable @ w.T) * w[:, events].T).sum(axis=0)
    found = conc[pairs > 0] / pairs[pairs > 0]
    lo, hi = np.percentile(found, [2.5, 97.5])
    return float(lo), float(hi)
