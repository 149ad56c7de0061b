"""The probability that an account churns within the horizon, calibrated on the
organisation's own history (pure: Polars and NumPy; no clock, no files).

A logistic curve of churn on health (Platt scaling), fitted on past snapshots whose outcome
is known: health stays the one read of an account, and the probability says what that
health has meant here. Expected ARR at risk is Σ ARR × p.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

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


@dataclass(frozen=True)
class ChurnModel:
    """logit P(churn within ``horizon`` days) = ``intercept`` + ``slope`` × health."""

    intercept: float
    slope: float
    horizon: int
    churn_events: int
    observations: int

    def probability(self, health: str = "health") -> pl.Expr:
        """P(churn within the horizon) for a health column (null where health is null)."""
        return 1.0 / (1.0 + (-(self.intercept + self.slope * col(health))).exp())


def logistic_fit(x: np.ndarray, y: np.ndarray, steps: int = 50) -> tuple[float, float]:
    """Maximum-likelihood (intercept, slope) of P(y) = 1 ÷ (1 + e^−(a + b·x)), one feature,
    by Newton's method (the textbook iteratively reweighted least squares; it converges in a
    handful of steps on a convex likelihood). Equal to scikit-learn's unpenalised logistic
    regression (a test checks it), without the seconds that importing scikit-learn costs the
    nightly job. Clean separation (no overlap of the classes) keeps the last finite step."""
    design = np.column_stack([np.ones_like(x), x])
    beta = np.array([np.log((y.mean() + 1e-9) / (1 - y.mean() + 1e-9)), 0.0])
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(design @ beta)))
        w = p * (1 - p)
        hessian = design.T @ (design * w[:, None])
        try:
            step = np.linalg.solve(hessian, design.T @ (y - p))
        except np.linalg.LinAlgError:
            break
        if not np.isfinite(step).all():
            break
        beta = beta + step
        if np.abs(step).max() < 1e-10:
            break
    return float(beta[0]), float(beta[1])


def fit_churn_model(labelled: pl.DataFrame, horizon: int, health: str = "health") -> ChurnModel:
    """Fit the curve on rows holding ``health``, ``churned`` and ``account_id`` (call
    ``too_thin`` first: this fits whatever it is given)."""
    data = labelled.filter(col(health).is_not_null())
    x = data[health].cast(pl.Float64).to_numpy() / 100.0
    y = data["churned"].cast(pl.Float64).to_numpy()
    intercept, slope = logistic_fit(x, y)
    return ChurnModel(
        intercept=intercept,
        slope=slope / 100.0,
        horizon=horizon,
        churn_events=churn_events(data),
        observations=data.height,
    )


def reliability(
    frame: pl.DataFrame, predicted: str = "churn_probability", deciles: int = 10
) -> pl.DataFrame:
    """Predicted vs observed churn per decile of the predicted probability: ``decile`` (1 =
    lowest risk), ``predicted`` (mean p), ``observed`` (churn rate), ``n`` (rows)."""
    data = frame.filter(col(predicted).is_not_null())
    if data.is_empty():
        return pl.DataFrame(
            schema={
                "decile": pl.Int32,
                "predicted": pl.Float64,
                "observed": pl.Float64,
                "n": pl.UInt32,
            }
        )
    rank = col(predicted).rank("ordinal")
    return (
        data.with_columns(decile=((rank - 1) * deciles // data.height).cast(pl.Int32) + 1)
        .group_by("decile")
        .agg(
            predicted=col(predicted).mean(),
            observed=col("churned").cast(pl.Float64).mean(),
            n=pl.len(),
        )
        .sort("decile")
    )


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
