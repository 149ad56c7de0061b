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
    pos, neg = stats["pos"], stats["neg"]
    if not pos or not neg:
        return None
    return (stats["rank_sum"] - pos * (pos + 1) / 2) / (pos * neg)
