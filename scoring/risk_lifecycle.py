"""Risks worked to an end: the time each handoff spent in each stage, and the risk KPIs.

A handoff's steps (``handoff_id``, ``step``, ``state``, ``stepped_at``) are the stages it went
through: a step enters its state, the next step leaves it. The latest step of a handoff still
open has been in its stage until ``now``; an end (saved, lost, won, closed) has no time in
stage. Pure: Polars in, Polars out; the time is handed in.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from scoring.glossary import RISK_ENDS, RISK_LEGACY_OPEN, RISK_OPEN_STAGES

END_STATES = ("saved", "lost", "won", "closed")  # a handoff in one of these is over
DAY_SECONDS = 86_400


def time_in_stage(steps: pl.DataFrame, now: dt.datetime) -> pl.DataFrame:
    """The steps, each handoff's in order, with ``left_at`` (the next step's time; ``now`` for
    the latest step of a handoff still open; null at an end) and ``days_in_stage`` (days,
    one decimal; null at an end)."""
    kind = steps.schema["stepped_at"]
    return (
        steps.sort("handoff_id", "step")
        .with_columns(left_at=pl.col("stepped_at").shift(-1).over("handoff_id"))
        .with_columns(
            left_at=pl.when(pl.col("left_at").is_null() & ~pl.col("state").is_in(END_STATES))
            .then(pl.lit(now).cast(kind))
            .otherwise(pl.col("left_at"))
        )
        .with_columns(
            days_in_stage=(
                (pl.col("left_at") - pl.col("stepped_at")).dt.total_seconds() / DAY_SECONDS
            ).round(1)
        )
    )


@dataclass(frozen=True)
class RiskKpis:
    open_by_stage: pl.DataFrame  # stage, risks, arr (null when an account's ARR is unknown)
    open_risks: int
    saved: int
    lost: int
    median_days_to_resolve: float | None  # flagged -> saved or lost; None: none ended yet
    save_rate: float | None  # saved / (saved + lost); None: none ended yet
    arr_saved: float | None  # Σ ARR of the saved risks' accounts; None: unknown


def _stage(state: str) -> pl.Expr:
    """A risk's stage for the KPIs: a risk weighed before the lifecycle is a plan in place."""
    return (
        pl.when(pl.col(state).is_in(RISK_LEGACY_OPEN)).then(pl.lit("plan")).otherwise(pl.col(state))
    )


def risk_kpis(risks: pl.DataFrame, steps: pl.DataFrame) -> RiskKpis:
    """The KPIs of the risk handoffs ``risks`` (``handoff_id``, ``state``, ``created_at``,
    ``arr``) from their ``steps``: open risks by stage with their ARR, the median days from
    the flag to saved or lost, the save rate and the ARR saved. A risk closed before the
    lifecycle (outcome not recorded) counts in none of them. Unknown stays unknown: no ended
    risk, no median or rate; a saved account with no ARR, no ARR saved."""
    staged = risks.with_columns(stage=_stage("state"))
    grid = pl.DataFrame({"stage": list(RISK_OPEN_STAGES), "rank": range(len(RISK_OPEN_STAGES))})
    per = (
        staged.filter(pl.col("stage").is_in(RISK_OPEN_STAGES))
        .group_by("stage")
        .agg(risks=pl.len(), arr=pl.when(pl.col("arr").null_count() == 0).then(pl.col("arr").sum()))
    )
    by_stage = (
        grid.join(per, on="stage", how="left")
        .with_columns(
            risks=pl.col("risks").fill_null(0).cast(pl.Int64),
            arr=pl.when(pl.col("risks").is_null()).then(0.0).otherwise(pl.col("arr")),
        )
        .sort("rank")
        .drop("rank")
    )
    ended_at = steps.group_by("handoff_id").agg(resolved_at=pl.col("stepped_at").max())
    ended = staged.filter(pl.col("state").is_in(RISK_ENDS)).join(
        ended_at, on="handoff_id", how="left"
    )
    saved = ended.filter(pl.col("state") == "saved")
    days = (pl.col("resolved_at") - pl.col("created_at")).dt.total_seconds() / DAY_SECONDS
    median = ended.select(days.median()).item() if ended.height else None
    return RiskKpis(
        open_by_stage=by_stage,
        open_risks=int(by_stage["risks"].sum()),
        saved=saved.height,
        lost=ended.height - saved.height,
        median_days_to_resolve=None if median is None else round(float(median), 1),
        save_rate=saved.height / ended.height if ended.height else None,
        arr_saved=None
        if not ended.height or saved["arr"].null_count()
        else float(saved["arr"].sum()),
    )
