"""Risks worked to an end: the KPIs and the open risks with their owner and next step (the
Renewal calendar), and an account's handoff history with the time spent in each stage."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from dashboard.store import AppStore
from dashboard.views.common import Card
from dashboard.workflows import handoffs as h
from scoring.digests import overdue_risk_rows
from scoring.glossary import RISK_STAGE_LABELS
from scoring.risk_lifecycle import risk_kpis, time_in_stage

ACCOUNT_COLUMNS = ("account_id", "account_name", "arr", "csm_owner", "am_owner")


@dataclass(frozen=True)
class RiskBoard:
    cards: list[Card]
    by_stage: pl.DataFrame  # stage, risks, arr
    open_risks: pl.DataFrame  # one row per open risk: stage, days in it, reason, owner, next step


def risk_board(app: AppStore, accounts: pl.DataFrame, now: dt.datetime) -> RiskBoard:
    """The risk handoffs of ``accounts`` (rows with ``ACCOUNT_COLUMNS``): the KPIs, the open
    risks by stage and each open risk with its latest reason, owner, next step and due date,
    and whether that step is overdue."""
    kept = accounts.select(ACCOUNT_COLUMNS)
    ids = kept["account_id"].to_list()
    risks = (
        h.handoffs(app, ids)
        .filter(pl.col("kind") == "risk")
        .join(kept, on="account_id", how="left")
    )
    steps = h.risk_step_history(app).filter(
        pl.col("handoff_id").is_in(risks["handoff_id"].implode())
    )
    kpis = risk_kpis(risks, steps)
    timed = time_in_stage(steps, now)
    current = timed.group_by("handoff_id").agg(
        pl.col("days_in_stage").sort_by("step").last(),
        stage_since=pl.col("stepped_at").max(),
    )
    details = (
        h.risk_steps(app, risks["handoff_id"].to_list())
        .sort("step")
        .group_by("handoff_id")
        .agg(pl.col("reason", "owner", "next_step", "due_on").last())
    )
    today = now.date()
    open_risks = (
        risks.filter(pl.col("state").is_in(h.OPEN_STATES["risk"]))
        .join(current, on="handoff_id", how="left")
        .join(details, on="handoff_id", how="left")
        .with_columns(
            stage=pl.col("state").replace_strict(RISK_STAGE_LABELS, default=pl.col("state")),
            overdue=pl.col("due_on") < today,
        )
        .sort(["overdue", "due_on", "arr"], descending=[True, False, True], nulls_last=True)
    )
    cards = [
        Card("Open risks", kpis.open_risks, "count", lower_is_better=True),
        Card(
            "Median days to resolve",
            kpis.median_days_to_resolve,
            "score",
            help="From the CSM's flag to saved or lost, over the risks that ended",
            note=None if kpis.saved + kpis.lost else "no risk ended yet",
        ),
        Card(
            "Save rate",
            kpis.save_rate,
            "ratio",
            help="Saved ÷ (saved + lost)",
            note=f"{kpis.saved} saved, {kpis.lost} lost",
        ),
        Card(
            "ARR saved",
            kpis.arr_saved,
            "money",
            help="Σ ARR of the accounts whose risk was saved",
            note=None if kpis.arr_saved is not None or not kpis.saved else "an ARR is unknown",
        ),
    ]
    by_stage = kpis.open_by_stage.with_columns(
        stage=pl.col("stage").replace_strict(RISK_STAGE_LABELS, default=pl.col("stage"))
    )
    return RiskBoard(cards=cards, by_stage=by_stage, open_risks=open_risks)


def handoff_stages(
    app: AppStore, account_id: str, now: dt.datetime, unmask: bool = False
) -> pl.DataFrame:
    """Every step of an account's handoffs, oldest first, with the days spent in the stage
    it entered (to ``now`` while open) and what a risk step named (reason, owner, next
    step, due date)."""
    history = h.handoff_history(app, account_id, unmask)
    if history.is_empty():
        return history.with_columns(
            days_in_stage=pl.lit(None, pl.Float64),
            reason=pl.lit(None, pl.String),
            owner=pl.lit(None, pl.String),
            next_step=pl.lit(None, pl.String),
            due_on=pl.lit(None, pl.Date),
        )
    timed = time_in_stage(history.select("handoff_id", "step", "state", "stepped_at"), now)
    details = h.risk_steps(app, history["handoff_id"].unique().to_list(), unmask)
    return (
        history.join(
            timed.select("handoff_id", "step", "days_in_stage"),
            on=["handoff_id", "step"],
            how="left",
        )
        .join(details, on=["handoff_id", "step"], how="left")
        .with_columns(
            state=pl.col("state").replace_strict(RISK_STAGE_LABELS, default=pl.col("state"))
        )
    )


def overdue_risks(app: AppStore, scored: pl.DataFrame, today: dt.date) -> pl.DataFrame:
    """The digest rows of the open risks whose next step is overdue on ``today`` (to its
    owner; to the leaders too once ``RISK_ESCALATE_DAYS`` late): ``scored`` is the
    ``account_scores`` mart."""
    board = risk_board(app, scored, dt.datetime.combine(today, dt.time()))
    facts = scored.select("account_id", "health", "band", "days_to_renewal")
    return overdue_risk_rows(board.open_risks.join(facts, on="account_id", how="left"), today)
