"""The delivery log (app store): every digest sent, skipped or failed, by owner, role, day and
channel; what makes a second delivery the same day send nothing new."""

from __future__ import annotations

import datetime as dt

import polars as pl

from dashboard.store.appdata import AppStore


def sent_keys(app: AppStore, day: dt.date) -> set[tuple[str, str, str]]:
    """(owner, role, channel) of every digest of ``day`` already delivered."""
    rows = app.query(
        "SELECT DISTINCT owner, role, channel FROM deliveries WHERE day = $day AND status = 'sent'",
        {"day": day},
    )
    return set(rows.iter_rows())


def record_delivery(
    app: AppStore,
    *,
    day: dt.date,
    owner: str,
    role: str,
    channel: str,
    target: str,
    status: str,
    attempts: int,
    error: str | None,
    at: dt.datetime,
) -> None:
    """One line of the log, in a transaction of its own (a crash never loses a sent line)."""
    with app.transaction() as con:
        con.execute(
            "INSERT INTO deliveries VALUES ($day, $owner, $role, $channel, $target, $status,"
            " $attempts, $error, $at)",
            {
                "day": day,
                "owner": owner,
                "role": role,
                "channel": channel,
                "target": target,
                "status": status,
                "attempts": attempts,
                "error": error,
                "at": at,
            },
        )


def recent_deliveries(app: AppStore, limit: int = 500) -> pl.DataFrame:
    """The latest lines of the log, newest first."""
    return app.query(
        "SELECT delivered_at, day, owner, role, channel, target, status, attempts, error"
        " FROM deliveries ORDER BY delivered_at DESC, owner, role LIMIT $limit",
        {"limit": limit},
    )
