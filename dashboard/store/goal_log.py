"""The SQL of the success plans' goals (app store ``goal_versions``).

A goal is never changed in place: its creation is version 1 and every edit writes the next
version, whole (what it measures, start / current / target, owner, due date, state), with who
wrote it and when. The highest version is the goal; the others its history. Each version is
written with an audit row (action ``goal create`` or ``goal edit``, subject the account) in
the same transaction. A goal's version number is what a form shows: an edit made on another
version is refused, writing nothing."""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import polars as pl

from dashboard.store import audit_log
from dashboard.store.appdata import AppStore
from dashboard.store.ddl import APP_DDL

TABLE = "goal_versions"
FIELDS = (
    "account_id",
    "title",
    "metric",
    "feature",
    "unit",
    "start_value",
    "start_on",
    "current_value",
    "target_value",
    "owner",
    "owner_role",
    "due_on",
    "state",
)
SCHEMA = {
    "goal_id": pl.String,
    "version": pl.Int32,
    "account_id": pl.String,
    "title": pl.String,
    "metric": pl.String,
    "feature": pl.String,
    "unit": pl.String,
    "start_value": pl.Float64,
    "start_on": pl.Date,
    "current_value": pl.Float64,
    "target_value": pl.Float64,
    "owner": pl.String,
    "owner_role": pl.String,
    "due_on": pl.Date,
    "state": pl.String,
    "edited_by": pl.String,
    "edited_role": pl.String,
    "edited_at": pl.Datetime("us"),
}


def _ensure(con: duckdb.DuckDBPyConnection) -> None:
    """The table, in an app store made before it existed (creating it is idempotent)."""
    con.execute(APP_DDL[TABLE])


def _exists(app: AppStore) -> bool:
    found = app.query(
        "SELECT count(*) AS n FROM information_schema.tables WHERE table_name = $t", {"t": TABLE}
    )
    return bool(found["n"][0])


def _latest(con: duckdb.DuckDBPyConnection, goal_id: str) -> dict | None:
    cursor = con.execute(
        f"SELECT * FROM {TABLE} WHERE goal_id = $id ORDER BY version DESC LIMIT 1", {"id": goal_id}
    )
    rows = cursor.fetchall()
    names = [d[0] for d in cursor.description or []]
    return dict(zip(names, rows[0], strict=True)) if rows else None


def write_version(
    app: AppStore,
    goal_id: str,
    values: dict,
    seen_version: int | None,
    editor: str,
    role: str,
    now: dt.datetime,
) -> dict | None:
    """Write ``values`` (every field of ``FIELDS``) as the goal's next version, by ``editor``
    in ``role``, unless its latest version is not ``seen_version`` (None: a new goal, so
    none may exist). Returns None when written; otherwise the latest version as stored
    (``{}`` when the goal edited is gone), and nothing was written."""
    with app.transaction() as con:
        _ensure(con)
        current = _latest(con, goal_id)
        if (current["version"] if current else None) != seen_version:
            return current or {}
        version = (current["version"] if current else 0) + 1
        row = {
            **{f: values[f] for f in FIELDS},
            "goal_id": goal_id,
            "version": version,
            "edited_by": editor,
            "edited_role": role,
            "edited_at": now,
        }
        names = ", ".join(row)
        con.execute(
            f"INSERT INTO {TABLE} ({names}) VALUES ({', '.join('$' + k for k in row)})", row
        )
        audit_log.log_in(
            con,
            now,
            editor,
            "goal create" if version == 1 else "goal edit",
            values["account_id"],
            json.dumps(
                {
                    "goal_id": goal_id,
                    "version": version,
                    "old": _texts(current) if current else None,
                    "new": _texts(values),
                }
            ),
        )
    return None


def _texts(values: dict) -> dict[str, str | None]:
    return {f: None if values.get(f) is None else str(values[f]) for f in FIELDS}


def current_goals(app: AppStore, account_ids: list[str] | None = None) -> pl.DataFrame:
    """The latest version of every goal (of these accounts), with who created it and when
    (``created_by``, ``created_at``), oldest goal first."""
    empty = pl.DataFrame(
        schema={**SCHEMA, "created_by": pl.String, "created_at": pl.Datetime("us")}
    )
    if not _exists(app):
        return empty
    where = "" if account_ids is None else " WHERE account_id IN (SELECT unnest($ids::VARCHAR[]))"
    return app.query(
        "SELECT *, first(edited_by ORDER BY version) OVER w AS created_by,"
        f" min(edited_at) OVER w AS created_at FROM {TABLE}{where}"
        " WINDOW w AS (PARTITION BY goal_id)"
        " QUALIFY version = max(version) OVER w ORDER BY created_at, goal_id",
        {"ids": account_ids} if account_ids is not None else None,
    )


def goal_versions(app: AppStore, goal_id: str) -> pl.DataFrame:
    """Every version of one goal, the first first."""
    if not _exists(app):
        return pl.DataFrame(schema=SCHEMA)
    return app.query(f"SELECT * FROM {TABLE} WHERE goal_id = $id ORDER BY version", {"id": goal_id})


def account_goal_rows(app: AppStore, account_id: str) -> pl.DataFrame:
    """Every version of every goal of an account (a privacy export)."""
    if not _exists(app):
        return pl.DataFrame(schema=SCHEMA)
    return app.query(
        f"SELECT * FROM {TABLE} WHERE account_id = $id ORDER BY goal_id, version",
        {"id": account_id},
    )


def erase_goals(con: duckdb.DuckDBPyConnection, account_id: str) -> None:
    """Delete every version of the account's goals, inside the erasure's transaction."""
    _ensure(con)
    con.execute(f"DELETE FROM {TABLE} WHERE account_id = $id", {"id": account_id})
