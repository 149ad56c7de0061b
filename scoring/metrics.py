"""How well a score separates outcomes (pure Polars)."""

from __future__ import annotations

import polars as pl


def roc_auc(frame: pl.DataFrame, score: str, label: str) -> float | None:
    """ROC AUC of ``score`` for the boolean ``label`` (higher score = more likely positive).

    Mann-Whitney form: (Σ ranks of positives − n₊(n₊+1)/2) ÷ (n₊·n₋), ties at average rank.
    None when either class is empty.
    """
    data = frame.select(pl.col(score).cast(pl.Float64), pl.col(label).cast(pl.Boolean)).drop_nulls()
    ranked = data.with_columns(rank=pl.col(score).rank("average"))
    stats = ranked.select(
        pos=pl.col(label).sum(),
        neg=(~pl.col(label)).sum(),
        rank_sum=pl.col("rank").filter(pl.col(label)).sum(),
    ).row(0, named=True)
    return auc_from_rank_sum(stats["rank_sum"], stats["pos"], stats["neg"])


def auc_from_rank_sum(rank_sum: float, pos: int, neg: int) -> float | None:
    """ROC AUC from the sum of the positives' average ranks (ascending score) among all
    ``pos + neg`` rows; None when either class is empty."""
    if not pos or not neg:
        return None
    return (rank_sum - pos * (pos + 1) / 2) / (pos * neg)
