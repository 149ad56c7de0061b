"""The SQL of saved scorecards (app store): the saved ones, the active one."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

import duckdb
import polars as pl

from dashboard.store.appdata import AppStore
from scoring.scorecard import Scorecard


def stored_scorecard(body: str) -> Scorecard:
    """A saved scorecard's JSON body as the model it was saved from (validated again)."""
    return Scorecard.model_validate_json(body)


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
    con: duckdb.DuckDBPyConnection,
    name: str,
    description: str,
    body: str,
    actor: str,
    now: dt.datetime | None,
) -> None:
    """Save a scorecard under a new name (inside an open transaction)."""
    con.execute(
        "INSERT INTO scorecards SELECT $name, $description, $body, false, $actor, $now"
        " WHERE NOT EXISTS (SELECT 1 FROM scorecards WHERE name = $name)",
        {"name": name, "description": description, "body": body, "actor": actor, "now": now},
    )


def mark_active(con: duckdb.DuckDBPyConnection, name: str) -> None:
    con.execute("UPDATE scorecards SET active = (name = $name)", {"name": name})


class Activation(NamedTuple):
    logged_at: dt.datetime
    actor: str | None
    name: str | None


def activation_count(app: AppStore) -> tuple[str | None, int]:
    """The scorecard marked active (None: the shipped default) and how many activations the
    audit log holds, in one read kept until the app store changes (a form's version, asked
    on every view of the Score lab)."""
    row = app.query(
        "SELECT (SELECT name FROM scorecards WHERE active LIMIT 1) AS active, "
        "(SELECT count(*) FROM audit_log WHERE action = 'activate scorecard') AS activations"
    ).row(0, named=True)
    return row["active"], int(row["activations"])


def activation_state(con: duckdb.DuckDBPyConnection) -> tuple[str | None, int, Activation | None]:
    """The scorecard marked active (None: the shipped default), how many activations the audit
    log holds, and the latest one (when, who, which scorecard)."""
    active = con.execute("SELECT name FROM scorecards WHERE active LIMIT 1").fetchall()
    where = " FROM audit_log WHERE action = 'activate scorecard'"
    count = int(con.execute(f"SELECT count(*){where}").fetchall()[0][0])
    latest = con.execute(
        f"SELECT logged_at, actor, subject{where} ORDER BY logged_at DESC LIMIT 1"
    ).fetchall()
    return (active[0][0] if active else None), count, (Activation(*latest[0]) if latest else None)
