"""Rule-made tasks in the app store: created by the nightly job, worked by people."""

from __future__ import annotations

import datetime as dt

import polars as pl

from dashboard.store import AppStore, task_list
from dashboard.workflows.access import LEADERS, NotAllowed, Viewer
from scoring.privacy import mask_pii
from scoring.task_rules import TASK_COLUMNS

STATUSES = ("open", "done", "dismissed")


def create_rule_tasks(app: AppStore, tasks: pl.DataFrame, today: dt.date) -> int:
    """The tasks not created before (by key) are added; returns how many are new."""
    if tasks.is_empty():
        return 0
    return task_list.insert_new_tasks(app, tasks.select(TASK_COLUMNS), today)


def tasks(
    app: AppStore,
    account_ids: list[str] | None = None,
    status: str | None = None,
    unmask: bool = False,
) -> pl.DataFrame:
    """Tasks (of these accounts, in this status), the earliest due first."""
    rows = task_list.task_rows(app, account_ids, status)
    return rows if unmask else mask_pii(rows)


def update_task(
    app: AppStore, task_key: str, status: str, note: str | None, actor: str, now: dt.datetime
) -> None:
    """Set a task's status and note (the AM's commercial plan lives in its note)."""
    if status not in STATUSES:
        raise ValueError(f"unknown task status {status!r} (expected one of {', '.join(STATUSES)})")
    if not task_list.set_task(app, task_key, status, note, actor, now):
        raise ValueError(f"there is no task {task_key!r}")


def update_task_as(
    app: AppStore, viewer: Viewer, task_key: str, status: str, note: str | None, now: dt.datetime
) -> None:
    """``update_task`` by a person: a task is worked by its owner (a leader or the single local
    user may work any); recorded under the signed-in name."""
    row = task_list.task_row(app, task_key)
    if row is None:
        raise ValueError(f"there is no task {task_key!r}")
    if viewer.role not in LEADERS and row.get("owner") != viewer.name:
        raise NotAllowed("this task is not yours: its owner works it")
    update_task(app, task_key, status, note, viewer.name, now)
