"""The SQL of rule-made tasks (app store)."""

from __future__ import annotations

import datetime as dt

import polars as pl

from dashboard.store.appdata import AppStore

# a task's version: its worked content (status, note, who, when) as one digest; a form shows
# it and an update that names another version is refused
VERSION = (
    "md5(concat_ws('|', status, coalesce(note, '\x00'), coalesce(updated_by, '\x00'),"
    " coalesce(strftime(updated_at, '%Y-%m-%dT%H:%M:%S.%f'), '\x00')))"
)
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
        f"SELECT *, {VERSION} AS version FROM tasks"
        " WHERE ($ids IS NULL OR account_id IN (SELECT unnest($ids::VARCHAR[])))"
        " AND ($status IS NULL OR status = $status)"
        " ORDER BY due_on, account_id, task_key",
        {"ids": account_ids, "status": status},
    )


def task_row(app: AppStore, task_key: str) -> dict | None:
    rows = app.query(
        f"SELECT *, {VERSION} AS version FROM tasks WHERE task_key = $key", {"key": task_key}
    )
    return rows.row(0, named=True) if rows.height else None


def set_task(
    app: AppStore,
    task_key: str,
    status: str,
    note: str | None,
    actor: str,
    now: dt.datetime,
    seen_version: str | None = None,
) -> dict | None:
    """Set a task's status and note, unless ``seen_version`` is given and the stored version
    differs. Returns None when there is no such task; otherwise the task as it was before
    (status, note, updated_by, updated_at, version): when its version is not ``seen_version``,
    nothing was written."""
    with app.transaction() as con:
        found = con.execute(
            f"SELECT status, note, updated_by, updated_at, {VERSION} FROM tasks"
            " WHERE task_key = $key",
            {"key": task_key},
        ).fetchall()
        if not found:
            return None
        before = dict(
            zip(("status", "note", "updated_by", "updated_at", "version"), found[0], strict=True)
        )
        if seen_version is not None and before["version"] != seen_version:
            return before
        con.execute(
            "UPDATE tasks SET status = $status, note = $note, updated_by = $actor,"
            " updated_at = $now WHERE task_key = $key",
            {"status": status, "note": note, "actor": actor, "now": now, "key": task_key},
        )
    return before
