"""Rule-made tasks in the app store: created by the nightly job, worked by people."""

from __future__ import annotations

import datetime as dt

import polars as pl

from dashboard.store import AppStore
from scoring.privacy import mask_pii
from scoring.task_rules import TASK_COLUMNS

STATUSES = ("open", "done", "dismissed")


def create_rule_tasks(app: AppStore, tasks: pl.DataFrame, today: dt.date) -> int:
    """Insert the tasks not created before (by key); returns how many are new."""
    if tasks.is_empty():
        return 0
    with app.transaction() as con:
        before = con.execute("SELECT count(*) FROM tasks").fetchall()[0][0]
        con.register("new_tasks", tasks.select(TASK_COLUMNS).to_arrow())
        con.execute(
            "INSERT INTO tasks (task_key, account_id, kind, role, owner, title, due_on,"
            " created_on) SELECT *, ? FROM new_tasks"
            " WHERE task_key NOT IN (SELECT task_key FROM tasks)",
            [today],
        )
        con.unregister("new_tasks")
        after = con.execute("SELECT count(*) FROM tasks").fetchall()[0][0]
    return after - before


def tasks(
    app: AppStore,
    account_ids: list[str] | None = None,
    status: str | None = None,
    unmask: bool = False,
) -> pl.DataFrame:
    """Tasks (of these accounts, in this status), the earliest due first."""
    clauses, params = ["true"], []
    if account_ids is not None:
        clauses.append("account_id IN (SELECT unnest(?::VARCHAR[]))")
        params.append(account_ids)
    if status is not None:
        clauses.append("status = ?")
        params.append(status)
    rows = app.query(
        f"SELECT * FROM tasks WHERE {' AND '.join(clauses)} ORDER BY due_on, account_id", params
    )
    return rows if unmask else mask_pii(rows)


def update_task(
    app: AppStore, task_key: str, status: str, note: str | None, actor: str, now: dt.datetime
) -> None:
    """Set a task's status and note (the AM's commercial plan lives in its note)."""
    if status not in STATUSES:
        raise ValueError(f"unknown task status {status!r} (expected one of {', '.join(STATUSES)})")
    with app.transaction() as con:
        found = con.execute("SELECT count(*) FROM tasks WHERE task_key = ?", [task_key]).fetchall()
        if not found[0][0]:
            raise ValueError(f"there is no task {task_key!r}")
        con.execute(
            "UPDATE tasks SET status = ?, note = ?, updated_by = ?, updated_at = ?"
            " WHERE task_key = ?",
            [status, note, actor, now, task_key],
        )
