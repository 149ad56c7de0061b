"""The audit log (app store): who did what to which subject, when. Written in the same
transaction as the change it records where there is one."""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl

from dashboard.store.appdata import AppStore


def log_in(
    con: duckdb.DuckDBPyConnection,
    now: dt.datetime,
    actor: str | None,
    action: str,
    subject: str | None,
    detail: str | None = None,
) -> None:
    """One audit row, inside an open transaction."""
    con.execute(
        "INSERT INTO audit_log VALUES ($now, $actor, $action, $subject, $detail)",
        {"now": now, "actor": actor, "action": action, "subject": subject, "detail": detail},
    )


def log(
    app: AppStore,
    now: dt.datetime,
    actor: str | None,
    action: str,
    subject: str | None,
    detail: str | None = None,
) -> None:
    """One audit row, in a transaction of its own."""
    with app.transaction() as con:
        log_in(con, now, actor, action, subject, detail)


def audit_rows(app: AppStore, action_like: str = "%") -> pl.DataFrame:
    """The audit log's rows whose action matches (SQL LIKE), newest first."""
    return app.query(
        "SELECT logged_at, actor, action, subject, detail FROM audit_log"
        " WHERE action LIKE $like ORDER BY logged_at DESC",
        {"like": action_like},
    )


def forget_subject(con: duckdb.DuckDBPyConnection, subject: str) -> None:
    """Remove every audit row about a subject (an erased account keeps only the erasure)."""
    con.execute("DELETE FROM audit_log WHERE subject = $subject", {"subject": subject})
