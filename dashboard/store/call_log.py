"""The SQL of the renewal calls (app store ``renewal_calls``).

A call is never changed in place: each call made on a renewal (an account and its renewal
date) is a row, numbered (``seq``) from 1; the row with the highest number is the call, the
others its history. Each row is written with an audit row (action ``renewal call``, subject
the account) in the same transaction. A call's version is its call id: a form shows it, and a
call made on another version (or on none when one exists) is refused."""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import polars as pl

from dashboard.store import audit_log
from dashboard.store.appdata import AppStore
from dashboard.store.ddl import APP_DDL

ACTION = "renewal call"
SCHEMA = {
    "call_id": pl.String,
    "account_id": pl.String,
    "renewal_date": pl.Date,
    "category": pl.String,
    "reason": pl.String,
    "expected_arr": pl.Float64,
    "frozen_change_reason": pl.String,
    "caller": pl.String,
    "role": pl.String,
    "called_at": pl.Datetime("us"),
    "seq": pl.Int32,
}


def _ensure(con: duckdb.DuckDBPyConnection) -> None:
    """The table, in an app store made before it existed (creating it is idempotent)."""
    con.execute(APP_DDL["renewal_calls"])


def _exists(app: AppStore) -> bool:
    found = app.query(
        "SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'renewal_calls'"
    )
    return bool(found["n"][0])


def insert_call(
    app: AppStore,
    call: dict,
    seen_version: str | None,
    now: dt.datetime,
) -> dict | None:
    """Write ``call`` (every column but ``seq``) as the next call on its renewal, unless the
    renewal's current call is not ``seen_version`` (None: the form showed no call). Returns
    None when written; otherwise the current call (nothing was written)."""
    with app.transaction() as con:
        _ensure(con)
        rows = con.execute(
            "SELECT call_id, category, expected_arr, caller, called_at, seq FROM renewal_calls"
            " WHERE account_id = $a AND renewal_date = $d ORDER BY seq DESC LIMIT 1",
            {"a": call["account_id"], "d": call["renewal_date"]},
        ).fetchall()
        current = (
            dict(
                zip(
                    ("call_id", "category", "expected_arr", "caller", "called_at", "seq"),
                    rows[0],
                    strict=True,
                )
            )
            if rows
            else None
        )
        if (current["call_id"] if current else None) != seen_version:
            return current or {"call_id": None}
        con.execute(
            "INSERT INTO renewal_calls VALUES ($call_id, $account_id, $renewal_date, $category,"
            " $reason, $expected_arr, $frozen_change_reason, $caller, $role, $called_at, $seq)",
            {**call, "seq": (current["seq"] if current else 0) + 1},
        )
        audit_log.log_in(
            con,
            now,
            call["caller"],
            ACTION,
            call["account_id"],
            json.dumps(
                {
                    "call_id": call["call_id"],
                    "renewal_date": str(call["renewal_date"]),
                    "category": call["category"],
                    "expected_arr": call["expected_arr"],
                    "replaces": current["call_id"] if current else None,
                    "frozen_change_reason": call["frozen_change_reason"],
                }
            ),
        )
    return None


def call_rows(app: AppStore, account_id: str, renewal_date: dt.date) -> pl.DataFrame:
    """Every call made on a renewal, the first first."""
    if not _exists(app):
        return pl.DataFrame(schema=SCHEMA)
    return app.query(
        "SELECT * FROM renewal_calls WHERE account_id = $a AND renewal_date = $d ORDER BY seq",
        {"a": account_id, "d": renewal_date},
    )


def current_calls(app: AppStore) -> pl.DataFrame:
    """The current call of every renewal that has one, with the number of calls made on it."""
    if not _exists(app):
        return pl.DataFrame(schema={**SCHEMA, "calls": pl.Int64})
    return app.query(
        "SELECT *, count(*) OVER (PARTITION BY account_id, renewal_date) AS calls"
        " FROM renewal_calls QUALIFY row_number() OVER"
        " (PARTITION BY account_id, renewal_date ORDER BY seq DESC) = 1"
    )
