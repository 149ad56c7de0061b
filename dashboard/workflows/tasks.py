"""Rule-made tasks in the app store: created by the nightly job, worked by people."""

from __future__ import annotations

import datetime as dt

import polars as pl

from dashboard.store import AppStore, task_list
from dashboard.text import mask_pii, mask_text
from dashboard.workflows.access import LEADERS, NotAllowed, Viewer
from dashboard.workflows.stale import ChangedSince, when

STATUSES = ("open", "done", "dismissed")


def create_rule_tasks(app: AppStore, tasks: pl.DataFrame, today: dt.date) -> int:
    """The tasks not created before (by key) are added; returns how many are new."""
    if tasks.is_empty():
        return 0
    return task_list.insert_new_tasks(app, tasks, today)


def tasks(
    app: AppStore,
    account_ids: list[str] | None = None,
    status: str | None = None,
    unmask: bool = False,
) -> pl.DataFrame:
    """Tasks (of these accounts, in this status), the earliest due first."""
    rows = task_list.task_rows(app, account_ids, status)
    return rows if unmask else mask_pii(rows)


class TaskChanged(ChangedSince):
    """The task changed since the form showed it; nothing was recorded."""


def update_task(
    app: AppStore,
    task_key: str,
    status: str,
    note: str | None,
    actor: str,
    now: dt.datetime,
    *,
    seen_version: str | None = None,
) -> None:
    """Set a task's status and note (the AM's commercial plan lives in its note); refused,
    writing nothing, when ``seen_version`` (the ``version`` of the row the form showed) is no
    longer the task's: the message says who changed it, when and to what."""
    if status not in STATUSES:
        raise ValueError(f"unknown task status {status!r} (expected one of {', '.join(STATUSES)})")
    before = task_list.set_task(app, task_key, status, note, actor, now, seen_version)
    if before is None:
        raise ValueError(f"there is no task {task_key!r}")
    if seen_version is not None and before["version"] != seen_version:
        note = mask_text(before["note"])
        if note and len(note) > 80:
            note = note[:79] + "…"
        note_now = f" with the note {note!r}" if note else " with no note"
        raise TaskChanged(
            f"this task changed since you saw it: {before['updated_by'] or 'someone'} set it "
            f"to {before['status']!r}{note_now} at {when(before['updated_at'])}. Nothing was "
            "recorded: look at it again and choose."
        )


def update_task_as(
    app: AppStore,
    viewer: Viewer,
    task_key: str,
    status: str,
    note: str | None,
    now: dt.datetime,
    *,
    seen_version: str,
) -> None:
    """``update_task`` by a person: a task is worked by its owner, or by whoever covers for
    them today (a leader or the single local user may work any); recorded under the signed-in name, and only on the version of the
    task the form showed (``seen_version``)."""
    row = task_list.task_row(app, task_key)
    if row is None:
        raise ValueError(f"there is no task {task_key!r}")
    if viewer.role not in LEADERS and not viewer.acts_for(row.get("owner")):
        raise NotAllowed("this task is not yours: its owner works it")
    update_task(app, task_key, status, note, viewer.name, now, seen_version=seen_version)
