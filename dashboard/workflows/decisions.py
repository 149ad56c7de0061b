"""Decisions recorded in a weekly sync, kept in the app store's ``sync_notes`` (so no reload
of the source data can lose them): per account, the decision and who does what by when."""

from __future__ import annotations

import datetime as dt
import uuid

import polars as pl

from dashboard.store import AppStore, decision_log
from scoring.privacy import mask_pii

STATUSES = ("open", "done", "dropped")


def add_decision(
    app: AppStore,
    pair: str,
    account_id: str | None,
    decision: str,
    owner: str | None,
    due_on: dt.date | None,
    author: str,
    role: str,
    now: dt.datetime,
) -> str:
    """Record one decision; refused without words."""
    if not decision.strip():
        raise ValueError("write the decision: what was decided, who does it, by when")
    if len(decision) > 2000:
        raise ValueError(
            f"a decision is a short note: {len(decision):,} characters, keep it under 2,000"
        )
    note_id = uuid.uuid4().hex[:12]
    decision_log.insert_decision(
        app, note_id, pair, account_id, decision.strip(), owner, due_on, author, role, now
    )
    return note_id


def decisions(app: AppStore, pair: str, unmask: bool = False) -> pl.DataFrame:
    """Every decision of a pair, newest sync first."""
    rows = decision_log.decision_rows(app, pair)
    return rows if unmask else mask_pii(rows)


def last_sync(notes: pl.DataFrame, today: dt.date) -> dt.date | None:
    """The date of the pair's last sync before today (the day decisions were last recorded)."""
    earlier = notes.filter(pl.col("sync_on") < today)
    return earlier["sync_on"].max() if earlier.height else None


def set_status(app: AppStore, note_id: str, status: str) -> None:
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r} (expected one of {', '.join(STATUSES)})")
    decision_log.set_decision(app, note_id, status=status)
