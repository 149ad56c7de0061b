"""How well a scorecard's health predicted churn on point-in-time snapshots (pure: Polars and
NumPy, the random seed is a parameter).

Input: one row per account and snapshot date with the health and band a scorecard gave it
then, ``churned`` (churned within the horizon after the snapshot) and ``account_id``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

import numpy as np
import polars as pl

from scoring.metrics import auc_from_rank_sum

col = pl.col
BINS = 101  # health rounded to whole points for the bootstrap
REPLICATE_CHUNK = 50  # bootstrap replicates drawn at a time


@dataclass(frozen=True)
class BandRate:
    """Churn among the account-snapshots of one band."""

    accounts: int
    churned: int
    rate: float


@dataclass(frozen=True)
class Evaluation:
    """How well one health column ranked churn on labelled snapshots."""

    auc: float | None  # None without churners or without stayers
    base_churn_rate: float | None
    band_churn_rates: dict[str, BandRate]
    red_lift: float | None  # churn rate of the red band ÷ the base rate
    bottom_decile_precision: float | None  # churn rate of the lowest-health tenth
    calibration: pl.DataFrame  # decile, mean_health, churn_rate, rows
    n_observations: int
    n_accounts: int
    n_churn_events: int  # accounts that churned within the horizon of some snapshot
    snapshots: list[dt.date]


def evaluate(frame: pl.DataFrame, deciles: int = 10) -> Evaluation:
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
    return Evaluation(
        # low health is risky: a churner's rank by risk is n + 1 - its rank by health
        auc=auc_from_rank_sum(
            positives * (data.height + 1) - data.filter(col("churned"))["_rank"].sum(),
            positives,
            data.height - positives,
        ),
        base_churn_rate=base,
        band_churn_rates={
            r["band"]: BandRate(r["accounts"], r["churned"], r["churn_rate"])
            for r in rates.iter_rows(named=True)
        },
        red_lift=(red["churn_rate"][0] / base) if red.height and base else None,
        bottom_decile_precision=bottom["churned"].mean() if bottom.height else None,
        calibration=calibration,
        n_observations=data.height,
        n_accounts=data["account_id"].n_unique(),
        n_churn_events=data.filter(col("churned"))["account_id"].n_unique(),
        snapshots=sorted(data["as_of"].unique().to_list()) if "as_of" in data.columns else [],
    )


Verdict = Literal["predictive", "no_evidence", "inverse", "no_outcomes"]
VERDICT_WORDS: dict[str, str] = {
    "predictive": "predicts churn: the whole 95 % interval of its AUC is above 0.5",
    "no_evidence": "shows no evidence of predicting churn here: the 95 % interval of its AUC "
    "includes 0.5 (a coin toss)",
    "inverse": "ranks churn backwards here: the whole 95 % interval of its AUC is below 0.5, "
    "so red accounts churned less than green ones",
    "no_outcomes": "cannot be checked: the history holds no churn (or no account that stayed) "
    "within the horizon of its snapshots",
}


def verdict(auc: float | None, interval: tuple[float, float]) -> Verdict:
    """What an AUC and its 95 % interval say: ``predictive`` (interval above 0.5),
    ``inverse`` (below), ``no_evidence`` (it includes 0.5), ``no_outcomes`` (no AUC: no
    churn, or no stayer, to rank)."""
    lo, hi = interval
    if auc is None or np.isnan(lo) or np.isnan(hi):
        return "no_outcomes"
    if lo > 0.5:
        return "predictive"
    if hi < 0.5:
        return "inverse"
    return "no_evidence"


def _histograms(accounts: np.ndarray, bins: np.ndarray, n_accounts: int) -> np.ndarray:
    """Per account, how many of its rows fall in each health bin (accounts × BINS)."""
    counts = np.bincount(accounts * BINS + bins, minlength=n_accounts * BINS)
    return counts.reshape(n_accounts, BINS)


def _account_draw_counts(rng: np.random.Generator, replicates: int, n: int) -> np.ndarray:
    """How often each of ``n`` accounts is drawn in each of ``replicates`` bootstrap samples
    that draw ``n`` accounts with replacement (replicates × n)."""
    draws = rng.integers(0, n, size=(replicates, n), dtype=np.int32)
    counts = np.empty((replicates, n), dtype=np.float32)
    for r in range(replicates):  # a row at a time: a third faster than one bincount of all
        counts[r] = np.bincount(draws[r], minlength=n)
    return counts


def _auc_from_histograms(pos: np.ndarray, neg: np.ndarray) -> np.ndarray:
    """AUC per row of weighted histograms (replicates × BINS): P(health of a churner < health
    of a stayer) + ½ P(equal)."""
    neg_above = np.cumsum(neg[:, ::-1], axis=1)[:, ::-1] - neg  # stayers in higher bins
    num = (pos * (neg_above + 0.5 * neg)).sum(axis=1)
    den = pos.sum(axis=1) * neg.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den, np.nan)


Interval = tuple[float, float]  # a 95 % bootstrap interval: low, high
NO_INTERVAL: Interval = (float("nan"), float("nan"))


@dataclass(frozen=True)
class AucIntervals:
    """95 % intervals for the AUC of two health columns and for their difference."""

    active: Interval  # the first column (the active scorecard's health)
    candidate: Interval  # the second
    difference: Interval  # candidate − active


def bootstrap_aucs(
    frame: pl.DataFrame,
    columns: list[str],
    replicates: int = 400,
    seed: int = 7,
    difference: tuple[str, str] | None = None,
    screening: tuple[str, ...] = (),
) -> dict[str, tuple[float, float]]:
    """95 % intervals for the AUC of each health-like column (lower = riskier), every column
    on the same replicates, each on the rows where it is not null; with ``difference`` (a,
    b), also the interval of AUC(b) − AUC(a) under the key ``"__difference"``.

    Accounts are resampled, not rows (an account appears in many snapshots, so rows are not
    independent): each replicate draws as many accounts as there are, with replacement, and
    weighs each account's rows by how often it was drawn; the AUC comes from histograms of
    the column rounded to whole points (0-100). An account fills at most a dozen of its
    stayers' histogram bins, but a dense matrix product (BLAS, every core) is still three
    times faster than a sparse one here: one product per chunk of replicates serves every
    column. The ``screening`` columns (a table of components alone) rest on the first half
    of the replicates only.
    """
    if frame.is_empty() or frame["churned"].all() or not frame["churned"].any():
        return dict.fromkeys(columns, NO_INTERVAL)
    codes = frame.select(col("account_id").rank("dense").cast(pl.Int64) - 1)[
        "account_id"
    ].to_numpy()
    n = int(codes.max()) + 1
    churned = frame["churned"].to_numpy()
    # few accounts ever churn: their histograms are kept apart, small and dense
    churners = np.unique(codes[churned])
    churner_slot = np.searchsorted(churners, codes)
    binned = frame.select(  # each column as whole points 0-100, -1 where it is null
        [col(c).round(0).clip(0, 100).cast(pl.Int32).fill_null(-1) for c in columns]
    )
    names, bins_of = [], {}
    for name in sorted(columns, key=lambda c: c in screening):  # screening columns last
        bins = binned[name].to_numpy()
        present = bins >= 0
        if (present & churned).any() and (present & ~churned).any():
            names.append(name)
            bins_of[name] = bins
    full = sum(name not in screening for name in names)  # columns on every replicate
    pos_all = np.zeros((len(churners), BINS * len(names)), dtype=np.float32)
    # the stayers' histograms, bins × accounts: each column's block is written whole
    neg_t = np.zeros((BINS * len(names), n), dtype=np.float32)
    flat = neg_t.reshape(-1)  # a view: cell = bin row × n + account
    for i, name in enumerate(names):
        bins = bins_of[name]
        pos, neg = (bins >= 0) & churned, (bins >= 0) & ~churned
        pos_all[:, i * BINS : (i + 1) * BINS] = _histograms(
            churner_slot[pos], bins[pos], len(churners)
        )
        cells, counts = np.unique(
            (bins[neg] + i * BINS).astype(np.int64) * n + codes[neg], return_counts=True
        )
        flat[cells] += counts
    rng = np.random.default_rng(seed)
    half = max(1, replicates // 2)
    auc = {name: np.full(replicates if name not in screening else half, np.nan) for name in names}
    for start in range(0, replicates if names else 0, REPLICATE_CHUNK):  # bounded memory
        weights = _account_draw_counts(rng, min(REPLICATE_CHUNK, replicates - start), n)
        shown = names if start < half else names[:full]
        if not shown:
            break
        width = len(shown) * BINS
        if start >= half and width < len(neg_t):  # the screening columns are done
            neg_t, pos_all = neg_t[:width], pos_all[:, :width]
        pos_w = weights[:, churners] @ pos_all
        neg_w = (neg_t @ weights.T).T  # replicates × (bins × columns)
        for i, name in enumerate(shown):
            cols = slice(i * BINS, (i + 1) * BINS)
            stop = min(start + len(weights), len(auc[name]))
            found = _auc_from_histograms(pos_w[:, cols], neg_w[:, cols])
            auc[name][start:stop] = found[: stop - start]

    def interval(values: np.ndarray) -> tuple[float, float]:
        lo, hi = np.nanpercentile(values, [2.5, 97.5])
        return float(lo), float(hi)

    out = {name: interval(auc[name]) if name in auc else NO_INTERVAL for name in columns}
    if difference and all(name in auc for name in difference):
        out["__difference"] = interval(auc[difference[1]] - auc[difference[0]])
    return out


def bootstrap_auc(
    frame: pl.DataFrame, health_a: str, health_b: str, replicates: int = 400, seed: int = 7
) -> AucIntervals:
    """95 % intervals for the AUC of two health columns and for their difference (b − a), on
    the rows where both are known (see ``bootstrap_aucs``)."""
    data = frame.filter(col(health_a).is_not_null(), col(health_b).is_not_null())
    found = bootstrap_aucs(data, [health_a, health_b], replicates, seed, (health_a, health_b))
    return AucIntervals(found[health_a], found[health_b], found.get("__difference", NO_INTERVAL))


FIT_ROWS = 60_000  # rows the weights are fitted on at most: every churn row, then stayers


def fit_sample(y: np.ndarray, seed: int, rows: int = FIT_ROWS) -> tuple[np.ndarray, np.ndarray]:
    """The rows to fit on and their weights: all rows when there are few; else every churned
    row (up to half the budget) and a random sample of the stayers, each sampled row weighted
    by the inverse of its sampling rate, so the fit estimates the same model as on all rows
    (case-control sampling; churn is rare, the stayers carry little information each)."""
    if len(y) <= rows:
        return np.arange(len(y)), np.ones(len(y))
    rng = np.random.default_rng(seed)
    churn, stay = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    take_churn = min(len(churn), rows // 2)
    take_stay = min(len(stay), rows - take_churn)
    picked_churn = rng.choice(churn, take_churn, replace=False)
    picked_stay = rng.choice(stay, take_stay, replace=False)
    weights = np.concatenate(
        [np.full(take_churn, len(churn) / take_churn), np.full(take_stay, len(stay) / take_stay)]
    )
    return np.concatenate([picked_churn, picked_stay]), weights / weights.mean()


def shortfalls(frame: pl.DataFrame, components: list[str]) -> np.ndarray:
    """Each component's shortfall (100 − score) ÷ 100 per row; a missing component counts
    as the row's mean shortfall, as health does (its weight goes to the components present)."""
    x = frame.select([((100 - col(c)) / 100).alias(c) for c in components]).with_columns(
        row_mean=pl.mean_horizontal(pl.all())
    )
    x = x.select([col(c).fill_null(col("row_mean")).fill_null(0.5) for c in components])
    return x.to_numpy().astype(np.float64)


def fit_weights(train: pl.DataFrame, components: list[str], seed: int = 7) -> dict[str, float]:
    """Non-negative weights for the components that predict churn: scikit-learn's logistic
    regression of churn on the components' shortfalls. A component whose coefficient comes
    out ≤ 0 (no signal, or a backwards one) gets weight 0 and the model is fitted again on
    the rest, until every coefficient is positive. Returned scaled to sum to 100; equal
    weights when no component has a positive coefficient.

    The logit is then a weighted sum of shortfalls, so ranking accounts by it is ranking
    them by the health these weights give (a person can read the weights as the scorecard).
    """
    from sklearn.linear_model import LogisticRegression  # 1-8 s to import: only when fitting

    y = train["churned"].cast(pl.Int8).to_numpy()
    keep, weight = fit_sample(y, seed)
    features, y = shortfalls(train, components)[keep], y[keep]
    kept = list(range(len(components)))
    coefficients = np.zeros(len(components))
    while kept and 0 < y.sum() < len(y):
        model = LogisticRegression(C=10.0, max_iter=1000).fit(
            features[:, kept], y, sample_weight=weight
        )
        coef = model.coef_[0]
        if (coef > 0).all():
            coefficients[kept] = coef
            break
        kept = [k for k, c in zip(kept, coef, strict=True) if c > 0]
    if coefficients.sum() <= 0:
        return {c: round(100 / len(components), 1) for c in components}
    share = 100 * coefficients / coefficients.sum()
    return {c: round(float(w), 1) for c, w in zip(components, share, strict=True)}


@dataclass(frozen=True)
class Check:
    """A scorecard's health checked against the churn that followed its point-in-time
    snapshots: the verdict and what it rests on (the nightly job keeps one, for the active
    scorecard, beside the scores)."""

    verdict: Verdict
    auc: float | None
    interval: tuple[float, float]
    churn_events: int
    observations: int


def check(scored: pl.DataFrame, replicates: int = 400, seed: int = 7) -> Check:
    """The verdict on ``scored`` (``account_id``, ``as_of``, ``churned``, ``health``,
    ``band``): the same AUC, bootstrap and seed as the Score lab's backtest of the active
    scorecard, so the lab and every page say the same."""
    rows = scored.filter(col("health").is_not_null())
    found = evaluate(rows)
    interval = bootstrap_aucs(rows, ["health"], replicates, seed)["health"]
    return Check(
        verdict(found.auc, interval),
        found.auc,
        interval,
        found.n_churn_events,
        found.n_observations,
    )


Judgement = Literal["better", "worse", "no_difference", "no_outcomes"]


def judge_candidate(
    auc_active: float | None, auc_candidate: float | None, difference: tuple[float, float]
) -> Judgement:
    """A candidate against the active scorecard, by the 95 % interval of AUC(candidate) −
    AUC(active), never by the point: ``better`` only when the whole interval is above 0,
    ``worse`` when it is below, ``no_difference`` when it includes 0 (+0.004 with an interval
    of −0.01 to +0.02 is noise), ``no_outcomes`` when there is no AUC to compare."""
    lo, hi = difference
    if auc_active is None or auc_candidate is None or np.isnan(lo) or np.isnan(hi):
        return "no_outcomes"
    if lo > 0:
        return "better"
    if hi < 0:
        return "worse"
    return "no_difference"
