"""The SQL of rule-made tasks (app store)."""

from __future__ import annotations

import datetime as dt

import polars as pl

from dashboard.store.appdata import AppStore

TASK_INSERT_COLUMNS = ("task_key", "account_id", "kind", "role", "owner", "title", "due_on")


def insert_new_tasks(app: AppStore, tasks: pl.DataFrame, created_on: dt.date) -> int:
    """Insert the tasks whose key is not stored yet; returns how many were new."""
    with app.transaction() as con:
        before = con.execute("SELECT count(*) FROM tasks").fetchall()[0][0]
        con.register("new_tasks", tasks.select(TASK_INSERT_COLUMNS).to_arrow())
        try:
            con.execute(
                "INSERT INTO tasks (task_key, account_id, kind, role, owner, title, due_on,"
                " created_on) SELECT *, $created_on FROM new_tasks"
                " WHERE task_key NOT IN (SELECT task_key FROM tasks)",
                {"created_on": created_on},
            )
        finally:
            con.unregister("new_tasks")
        after = con.execute("SELECT count(*) FROM tasks").fetchall()[0][0]
    return after - before


def task_rows(
    app: AppStore, account_ids: list[str] | None = None, status: str | None = None
) -> pl.DataFrame:
    """Tasks (of these accounts, in this status), the earliest due first."""
    return app.query(
        "SELECT * FROM tasks"
        " WHERE ($ids IS NULL OR account_id IN (SELECT unnest($ids::VARCHAR[])))"
        " AND ($status IS NULL OR status = $status)"
        " ORDER BY due_on, account_id",
        {"ids": account_ids, "status": status},
    )


def task_row(app: AppStore, task_key: str) -> dict | None:
    rows = app.query("SELECT * FROM tasks WHERE task_key = $key", {"key": task_key})
    return rows.row(0, named=True) if rows.height else None


def set_task(
    app: AppStore, task_key: str, status: str, note: str | None, actor: str, now: dt.datetime
) -> bool:
    """Set a task's status and note; False when there is no such task."""
    with app.transaction() as con:
        found = con.execute(
            "SELECT count(*) FROM tasks WHERE task_key = $key", {"key": task_key}
        ).fetchall()[0][0]
        if not found:
            return False
        con.execute(
            "UPDATE tasks SET status = $status, note = $note, updated_by = $actor,"
            " updated_at = $now WHERE task_key = $key",
            {"status": status, "note": note, "actor": actor, "now": now, "key": task_key},
        )
    return True
