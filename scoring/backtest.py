"""How well a scorecard's health predicted churn on point-in-time snapshots (pure: Polars and
NumPy, the random seed is a parameter).

Input: one row per account and snapshot date with the health and band a scorecard gave it
then, ``churned`` (churned within the horizon after the snapshot) and ``account_id``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from scoring.metrics import auc_from_rank_sum

col = pl.col
BINS = 101  # health rounded to whole points for the bootstrap
REPLICATE_CHUNK = 50  # bootstrap replicates drawn at a time


def evaluate(frame: pl.DataFrame, deciles: int = 10) -> dict[str, Any]:
    """AUC of health for churn (lower health = riskier), churn rate per band, lift of the red
    band, precision of the bottom decile, a calibration table, and what it rests on."""
    # one ranking of health serves the AUC and the deciles (ties share a rank)
    data = frame.filter(col("health").is_not_null()).with_columns(
        _rank=col("health").rank("average")
    )
    base = data["churned"].mean() if data.height else None
    rates = (
        data.group_by("band")
        .agg(accounts=pl.len(), churned=col("churned").sum(), churn_rate=col("churned").mean())
        .sort(pl.col("band").replace_strict({"red": 0, "yellow": 1, "green": 2}, default=3))
    )
    red = rates.filter(col("band") == "red")
    cutoff = data["health"].quantile(0.1, "lower") if data.height else None
    bottom = data.filter(col("health") <= cutoff) if cutoff is not None else data.clear()
    calibration = (
        data.with_columns(
            decile=(col("_rank") * deciles / (data.height + 1)).floor().cast(pl.Int32) + 1
        )
        .group_by("decile")
        .agg(mean_health=col("health").mean(), churn_rate=col("churned").mean(), rows=pl.len())
        .sort("decile")
    )
    positives = int(data["churned"].sum()) if data.height else 0
    return {
        # low health is risky: a churner's rank by risk is n + 1 - its rank by health
        "auc": auc_from_rank_sum(
            positives * (data.height + 1) - data.filter(col("churned"))["_rank"].sum(),
            positives,
            data.height - positives,
        ),
        "base_churn_rate": base,
        "band_churn_rates": {
            r["band"]: {"accounts": r["accounts"], "churned": r["churned"], "rate": r["churn_rate"]}
            for r in rates.iter_rows(named=True)
        },
        "red_lift": (red["churn_rate"][0] / base) if red.height and base else None,
        "bottom_decile_precision": bottom["churned"].mean() if bottom.height else None,
        "calibration": calibration,
        "n_observations": data.height,
        "n_accounts": data["account_id"].n_unique(),
        "n_churn_events": data.filter(col("churned"))["account_id"].n_unique(),
        "snapshots": sorted(data["as_of"].unique().to_list()) if "as_of" in data.columns else [],
    }


def _histograms(accounts: np.ndarray, bins: np.ndarray, n_accounts: int) -> np.ndarray:
    """Per account, how many of its rows fall in each health bin (accounts × BINS)."""
    counts = np.bincount(accounts * BINS + bins, minlength=n_accounts * BINS)
    return counts.reshape(n_accounts, BINS).astype(np.float32)


def _account_draw_counts(rng: np.random.Generator, replicates: int, n: int) -> np.ndarray:
    """How often each of ``n`` accounts is drawn in each of ``replicates`` bootstrap samples
    that draw ``n`` accounts with replacement (replicates × n)."""
    draws = rng.integers(0, n, size=(replicates, n), dtype=np.int64)
    draws += np.arange(replicates, dtype=np.int64)[:, None] * n  # replicate r's slots: r*n + id
    counts = np.bincount(draws.ravel(), minlength=replicates * n).reshape(replicates, n)
    return counts.astype(np.float32)


def _auc_from_histograms(pos: np.ndarray, neg: np.ndarray) -> np.ndarray:
    """AUC per row of weighted histograms (replicates × BINS): P(health of a churner < health
    of a stayer) + ½ P(equal)."""
    neg_above = np.cumsum(neg[:, ::-1], axis=1)[:, ::-1] - neg  # stayers in higher bins
    num = (pos * (neg_above + 0.5 * neg)).sum(axis=1)
    den = pos.sum(axis=1) * neg.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den, np.nan)


def bootstrap_auc(
    frame: pl.DataFrame, health_a: str, health_b: str, replicates: int = 400, seed: int = 7
) -> dict[str, tuple[float, float]]:
    """95 % intervals for the AUC of two health columns and for their difference (b − a).

    Accounts are resampled, not rows (an account appears in many snapshots, so rows are not
    independent): each replicate draws as many accounts as there are, with replacement, and
    weighs each account's rows by how often it was drawn; the AUC comes from health
    histograms rounded to whole points.
    """
    data = frame.filter(col(health_a).is_not_null(), col(health_b).is_not_null())
    if data.is_empty() or data["churned"].all() or not data["churned"].any():
        return {"a": (np.nan, np.nan), "b": (np.nan, np.nan), "difference": (np.nan, np.nan)}
    codes = data.select(col("account_id").rank("dense").cast(pl.Int64) - 1)["account_id"].to_numpy()
    n = int(codes.max()) + 1
    churned = data["churned"].to_numpy()
    # few accounts ever churn: their histograms are kept apart, small
    churners = np.unique(codes[churned])
    hist = {}
    for name in (health_a, health_b):
        bins = data[name].round(0).clip(0, 100).cast(pl.Int64).to_numpy()
        hist[name] = (
            _histograms(np.searchsorted(churners, codes[churned]), bins[churned], len(churners)),
            _histograms(codes[~churned], bins[~churned], n),
        )
    rng = np.random.default_rng(seed)
    auc = {name: np.empty(replicates) for name in hist}
    for start in range(0, replicates, REPLICATE_CHUNK):  # bounded memory, reused
        weights = _account_draw_counts(rng, min(REPLICATE_CHUNK, replicates - start), n)
        for name, (pos, neg) in hist.items():
            auc[name][start : start + len(weights)] = _auc_from_histograms(
                weights[:, churners] @ pos, weights @ neg
            )

    def interval(values: np.ndarray) -> tuple[float, float]:
        lo, hi = np.nanpercentile(values, [2.5, 97.5])
        return float(lo), float(hi)

    return {
        "a": interval(auc[health_a]),
        "b": interval(auc[health_b]),
        "difference": interval(auc[health_b] - auc[health_a]),
    }


def fit_weights(
    train: pl.DataFrame, components: list[str], iterations: int = 400, seed: int = 7
) -> dict[str, float]:
    """Non-negative weights for the components that predict churn: a logistic model of churn
    on each component's shortfall (100 − score, a missing component counts as the account's
    mean shortfall), coefficients kept ≥ 0 by projected gradient descent. Returned scaled to
    sum to 100; a component with no signal gets 0.
    """
    x = train.select([((100 - col(c)) / 100).alias(c) for c in components]).with_columns(
        row_mean=pl.mean_horizontal(pl.all())
    )
    x = x.select([col(c).fill_null(col("row_mean")).fill_null(0.5) for c in components])
    features = x.to_numpy().astype(np.float64)
    y = train["churned"].cast(pl.Float64).to_numpy()
    if len(y) > 200_000:  # a fixed random subsample keeps the fit fast at any size
        keep = np.random.default_rng(seed).choice(len(y), 200_000, replace=False)
        features, y = features[keep], y[keep]
    mean, std = features.mean(axis=0), features.std(axis=0) + 1e-9
    z = (features - mean) / std
    w = np.zeros(z.shape[1])
    b = np.log((y.mean() + 1e-9) / (1 - y.mean() + 1e-9))
    m, v = np.zeros_like(w), np.zeros_like(w)
    for step in range(1, iterations + 1):  # Adam on the mean log-loss, projected onto w >= 0
        p = 1 / (1 + np.exp(-(z @ w + b)))
        grad_w, grad_b = z.T @ (p - y) / len(y), float((p - y).mean())
        m, v = 0.9 * m + 0.1 * grad_w, 0.999 * v + 0.001 * grad_w**2
        w = np.maximum(
            w - 0.05 * (m / (1 - 0.9**step)) / (np.sqrt(v / (1 - 0.999**step)) + 1e-8), 0
        )
        b -= 0.05 * grad_b
    raw = w / std  # back to the scale of the shortfalls
    if raw.sum() <= 0:
        return {c: 100 / len(components) for c in components}
    return {c: round(float(100 * r / raw.sum()), 1) for c, r in zip(components, raw, strict=True)}
