"""The SQL of saved scorecards (app store): the saved ones, the active one."""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl

from dashboard.store.appdata import AppStore


def active_body(app: AppStore) -> str | None:
    """The active scorecard's JSON body, if one is marked active."""
    rows = app.query("SELECT body FROM scorecards WHERE active LIMIT 1")
    return rows["body"][0] if rows.height else None


def scorecard_rows(app: AppStore) -> pl.DataFrame:
    """Every saved scorecard: name, description, active, who and when, body."""
    return app.query(
        "SELECT name, description, active, created_by, created_at, body FROM scorecards"
        " ORDER BY created_at"
    )


def insert_scorecard(
    con: duckdb.DuckDBPyConnection, name: str, description: str, body: str, actor: str,
    now: dt.datetime | None,
) -> None:  # fmt: skip
    """Save a scorecard under a new name (inside an open transaction)."""
    con.execute(
        "INSERT INTO scorecards SELECT $name, $description, $body, false, $actor, $now"
        " WHERE NOT EXISTS (SELECT 1 FROM scorecards WHERE name = $name)",
        {"name": name, "description": description, "body": body, "actor": actor, "now": now},
    )


def mark_active(con: duckdb.DuckDBPyConnection, name: str) -> None:
    con.execute("UPDATE scorecards SET active = (name = $name)", {"name": name})
