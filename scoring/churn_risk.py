"""The probability that an account churns within the horizon, calibrated on the
organisation's own history (pure: Polars and NumPy; no clock, no files).

A logistic model of churn on the health components' shortfalls, fitted on past snapshots
whose outcome is known, then its base rate moved to the latest of them. Health stays the one
read of an account; the probability says what its components have meant here. Expected ARR at
risk is Σ ARR × p.

Why not one curve on health: health averages the components, so an account with one
component collapsed and the others fine sits in the middle, and the curve on health is too
flat where the components disagree (the riskiest tenth was predicted at half the churn it
showed). Why the base-rate update: churn drifts, and a model fitted on a year of snapshots
predicts that year's mean rate; the intercept is moved so that the mean probability on the
latest snapshot whose outcome is known equals the churn observed there.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

import numpy as np
import polars as pl

from scoring.glossary import COMPONENTS

col = pl.col
# The rule for a history that can calibrate: at least this many accounts churned within the
# horizon of a snapshot (fewer, and a fitted curve or weight set is mostly noise).
MIN_CHURN_EVENTS = 30


def churn_events(labelled: pl.DataFrame) -> int:
    """Accounts that churned within the horizon of at least one snapshot."""
    return labelled.filter(col("churned"))["account_id"].n_unique() if labelled.height else 0


def too_thin(labelled: pl.DataFrame) -> str | None:
    """Why this history cannot calibrate a probability or a scorecard, or None when it can."""
    events = churn_events(labelled)
    if events >= MIN_CHURN_EVENTS:
        return None
    return (
        f"the history holds {events:,} churn event{'s' if events != 1 else ''} within the "
        f"horizon of its snapshots; calibrating needs at least {MIN_CHURN_EVENTS}"
    )


def shortfall_exprs(components: tuple[str, ...]) -> list[pl.Expr]:
    """Each component's shortfall (100 − score) ÷ 100, a missing one counted as the row's mean
    shortfall (as health gives its weight to the components present), 0.5 when none is known
    (the same as ``backtest.shortfalls``)."""
    raw = [((100 - col(c)) / 100) for c in components]
    mean = pl.mean_horizontal(raw)
    return [r.fill_null(mean).fill_null(0.5).alias(c) for r, c in zip(raw, components, strict=True)]


@dataclass(frozen=True)
class ChurnModel:
    """logit P(churn within ``horizon`` days) = ``intercept`` + Σ ``coefficients`` ×
    shortfall of each of ``components``, or, with no components (rows without them),
    ``intercept`` + ``slope`` × health. ``base_shift`` (already in ``intercept``) is what the
    base-rate update on the snapshot of ``base_date`` added to the fitted intercept."""

    intercept: float
    slope: float
    horizon: int
    churn_events: int
    observations: int
    components: tuple[str, ...] = ()
    coefficients: tuple[float, ...] = ()
    base_shift: float = 0.0
    base_date: dt.date | None = None

    def logit(self, health: str = "health") -> pl.Expr:
        if not self.components:
            return self.intercept + self.slope * col(health)
        terms = shortfall_exprs(self.components)
        return pl.sum_horizontal(
            [pl.lit(self.intercept)]
            + [b * t for b, t in zip(self.coefficients, terms, strict=True)]
        )

    def probability(self, health: str = "health") -> pl.Expr:
        """P(churn within the horizon) (null where health is null: nothing to read)."""
        p = 1.0 / (1.0 + (-self.logit(health)).exp())
        return pl.when(col(health).is_not_null()).then(p).otherwise(None)


def logistic_fit(x: np.ndarray, y: np.ndarray, steps: int = 50) -> tuple[float, float]:
    """Maximum-likelihood (intercept, slope) of P(y) = 1 ÷ (1 + e^−(a + b·x)), one feature,
    by Newton's method (the textbook iteratively reweighted least squares; it converges in a
    handful of steps on a convex likelihood). Equal to scikit-learn's unpenalised logistic
    regression (a test checks it), without the seconds that importing scikit-learn costs the
    nightly job. Clean separation (no overlap of the classes) keeps the last finite step."""
    beta = logistic_fit_many(x[:, None], y, ridge=0.0, steps=steps)
    return float(beta[0]), float(beta[1])


RIDGE = 1e-3  # per row: keeps the coefficients finite when a component separates the classes


def logistic_fit_many(
    x: np.ndarray, y: np.ndarray, ridge: float = RIDGE, steps: int = 100
) -> np.ndarray:
    """Maximum-likelihood (intercept, coefficients…) of P(y) = 1 ÷ (1 + e^−(a + x·b)) by
    Newton's method, the coefficients (not the intercept) under a small ridge penalty
    (``ridge`` × rows × |b|²÷2) so that a component that alone separates churn stays finite."""
    design = np.column_stack([np.ones(len(x)), x])
    beta = np.zeros(design.shape[1])
    beta[0] = np.log((y.mean() + 1e-9) / (1 - y.mean() + 1e-9))
    penalty = np.eye(design.shape[1]) * ridge * len(y)
    penalty[0, 0] = 0.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(design @ beta)))
        hessian = design.T @ (design * (p * (1 - p))[:, None]) + penalty
        try:
            step = np.linalg.solve(hessian, design.T @ (y - p) - penalty @ beta)
        except np.linalg.LinAlgError:
            break
        if not np.isfinite(step).all():
            break
        beta = beta + step
        if np.abs(step).max() < 1e-10:
            break
    return beta


def base_rate_shift(logits: np.ndarray, observed: float) -> float:
    """The shift d with mean(1 ÷ (1 + e^−(logit + d))) = ``observed``: the base-rate update
    (bisection on a monotone function; 0 when the rate is 0 or 1, which no shift reaches)."""
    if not 0.0 < observed < 1.0 or logits.size == 0:
        return 0.0
    lo, hi = -10.0, 10.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if np.mean(1.0 / (1.0 + np.exp(-(logits + mid)))) < observed:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def fit_churn_model(
    labelled: pl.DataFrame,
    horizon: int,
    health: str = "health",
    components: tuple[str, ...] | None = None,
) -> ChurnModel:
    """Fit the model on rows holding ``health``, ``churned``, ``account_id`` and ``as_of``,
    and the component columns (call ``too_thin`` first: this fits whatever it is given).

    The rule: logistic regression of churn on the shortfalls of the components present in
    the rows (``components``: default the seven of ``glossary.COMPONENTS``), then the
    intercept moved so that the mean probability on the latest snapshot (``as_of``) equals
    the churn observed on it (the base-rate update). Rows without components: one curve on
    health, with the same update."""
    data = labelled.filter(col(health).is_not_null())
    y = data["churned"].cast(pl.Float64).to_numpy()
    names = tuple(c for c in (components or tuple(COMPONENTS)) if c in data.columns)
    if names:
        x = data.select(shortfall_exprs(names)).to_numpy().astype(np.float64)
        beta = logistic_fit_many(x, y)
        model = ChurnModel(
            intercept=float(beta[0]),
            slope=0.0,
            horizon=horizon,
            churn_events=churn_events(data),
            observations=data.height,
            components=names,
            coefficients=tuple(float(b) for b in beta[1:]),
        )
    else:
        intercept, slope = logistic_fit(data[health].cast(pl.Float64).to_numpy() / 100.0, y)
        model = ChurnModel(intercept, slope / 100.0, horizon, churn_events(data), data.height)
    if "as_of" not in data.columns or data.is_empty():
        return model
    latest = data["as_of"].max()
    last = data.filter(col("as_of") == latest)
    logits = last.select(model.logit(health)).to_series().to_numpy()
    shift = base_rate_shift(logits, float(last["churned"].cast(pl.Float64).mean() or 0.0))
    return replace(model, intercept=model.intercept + shift, base_shift=shift, base_date=latest)


TOLERANCE = 0.05  # the rule: each decile's predicted churn within 5 points of the observed
Z95 = 1.959964  # the normal quantile of a two-sided 95 % interval
RELIABILITY_SCHEMA = {
    "decile": pl.Int32,
    "predicted": pl.Float64,
    "observed": pl.Float64,
    "n": pl.UInt32,
    "low": pl.Float64,
    "high": pl.Float64,
    "accounts": pl.UInt32,
    "churned_accounts": pl.UInt32,
    "judged": pl.Boolean,
}


def _wilson(rate: pl.Expr, n: pl.Expr, z: float = Z95) -> tuple[pl.Expr, pl.Expr]:
    """Wilson's 95 % interval of a rate seen on ``n`` independent units."""
    centre = (rate + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * (rate * (1 - rate) / n + z * z / (4 * n * n)).sqrt()
    return (centre - half).clip(0.0, 1.0), (centre + half).clip(0.0, 1.0)


def reliability(
    frame: pl.DataFrame, predicted: str = "churn_probability", deciles: int = 10
) -> pl.DataFrame:
    """Predicted vs observed churn per decile of the predicted probability: ``decile`` (1 =
    lowest risk), ``predicted`` (mean p), ``observed`` (churn rate), ``n`` (rows), ``accounts``
    and ``churned_accounts`` (distinct; rows without ``account_id`` count as accounts of their
    own), ``low`` and ``high``, and ``judged``.

    The interval is the observed rate ± 1.96 standard errors clustered by account (an account
    sits in several snapshots, so its rows are not independent: the error resampling accounts
    would give, in one pass), widened to at least Wilson's interval on the decile's distinct
    accounts (a decile with no churn, or only churn, is not known exactly however its rows
    fall). ``judged``: the interval spans at most 2 × ``TOLERANCE``, so the observed rate is
    known well enough to hold the decile to the 5-point rule. A decile not judged is shown
    with its counts, never dropped."""
    if predicted not in frame.columns or frame.is_empty():
        return pl.DataFrame(schema=RELIABILITY_SCHEMA)
    data = frame.filter(col(predicted).is_not_null())
    if data.is_empty():
        return pl.DataFrame(schema=RELIABILITY_SCHEMA)
    rank = col(predicted).rank("ordinal")
    account = col("account_id") if "account_id" in data.columns else pl.int_range(pl.len())
    per_account = (
        data.with_columns(decile=((rank - 1) * deciles // data.height).cast(pl.Int32) + 1)
        .group_by("decile", account.alias("_account"))
        .agg(
            p=col(predicted).sum(),
            c=col("churned").cast(pl.Float64).sum(),
            m=pl.len().cast(pl.Float64),
        )
    )
    rate = col("c").sum() / col("m").sum()
    clusters = pl.len().cast(pl.Float64)
    table = (
        per_account.group_by("decile")
        .agg(
            predicted=col("p").sum() / col("m").sum(),
            observed=rate,
            n=col("m").sum().cast(pl.UInt32),
            accounts=pl.len().cast(pl.UInt32),
            churned_accounts=(col("c") > 0).sum().cast(pl.UInt32),
            _se=(clusters / (clusters - 1) * ((col("c") - rate * col("m")) ** 2).sum()).sqrt()
            / col("m").sum(),
        )
        .sort("decile")
    )
    wilson_low, wilson_high = _wilson(col("observed"), col("accounts").cast(pl.Float64))
    spread = Z95 * col("_se").fill_nan(None).fill_null(1.0)  # one account: nothing known
    return (
        table.with_columns(
            low=pl.min_horizontal((col("observed") - spread).clip(0.0, 1.0), wilson_low),
            high=pl.max_horizontal((col("observed") + spread).clip(0.0, 1.0), wilson_high),
        )
        .with_columns(judged=(col("high") - col("low")) <= 2 * TOLERANCE + 1e-12)
        .select(list(RELIABILITY_SCHEMA))
    )


def largest_gap(table: pl.DataFrame, judged_only: bool = False) -> float | None:
    """The largest |predicted − observed| over a reliability table's deciles (None: no table,
    or with ``judged_only`` no judged decile). The rule the probability is held to: within
    ``TOLERANCE`` (5 points) in every judged decile, out of time."""
    if judged_only and "judged" in table.columns:
        table = table.filter(col("judged"))
    if table.is_empty():
        return None
    return float((table["predicted"] - table["observed"]).abs().max())


def expected_arr_at_risk(frame: pl.DataFrame, probability: str = "churn_probability") -> float:
    """Σ ARR × P(churn) over the frame's accounts (0 when no probability is known)."""
    return float(frame.select((col("arr") * col(probability)).sum()).item() or 0.0)


def brier(frame: pl.DataFrame, predicted: str = "churn_probability") -> float | None:
    """Mean squared error of the probability against the outcome (lower is better)."""
    data = frame.filter(col(predicted).is_not_null())
    if data.is_empty():
        return None
    p, y = data[predicted].to_numpy(), data["churned"].cast(pl.Float64).to_numpy()
    return float(np.mean((p - y) ** 2))
