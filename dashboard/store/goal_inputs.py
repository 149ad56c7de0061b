"""The canonical rows a success plan's metrics are read from (source store): the accounts'
seats, their usage in a window and their tickets (scoring/goals.py computes the metrics)."""

from __future__ import annotations

import datetime as dt

import polars as pl

from dashboard.store.sources import SourceStore

USAGE = {
    "account_id": pl.String,
    "occurred_at": pl.Datetime("us"),
    "user_id": pl.String,
    "feature": pl.String,
    "active_users": pl.Int64,
}


def _has_rows(store: SourceStore, table: str) -> bool:
    present = store.query(
        "SELECT count(*) AS n FROM information_schema.tables WHERE table_name = $t", {"t": table}
    )["n"][0]
    return bool(present) and store.query(f"SELECT 1 AS one FROM {table} LIMIT 1").height > 0


def seats(store: SourceStore, account_ids: list[str]) -> pl.DataFrame:
    """``account_id``, ``licensed_seats`` of these accounts."""
    return store.query(
        "SELECT account_id, licensed_seats FROM accounts"
        " WHERE account_id IN (SELECT unnest($ids::VARCHAR[]))",
        {"ids": account_ids},
    )


def usage(
    store: SourceStore, account_ids: list[str], since: dt.date, until: dt.date
) -> pl.DataFrame:
    """These accounts' usage rows from ``since`` to ``until`` (both included), and one row per
    account that ever named its users before ``since`` (so a quiet month reads as 0 users,
    not as unknown)."""
    if not _has_rows(store, "usage_events"):
        return pl.DataFrame(schema=USAGE)
    return store.query(
        "SELECT account_id, occurred_at, user_id, feature, active_users FROM usage_events"
        " WHERE account_id IN (SELECT unnest($ids::VARCHAR[]))"
        " AND occurred_at >= $since AND occurred_at < $until::DATE + 1"
        " UNION ALL SELECT account_id, min(occurred_at), any_value(user_id), NULL,"
        " any_value(active_users) FROM usage_events"
        " WHERE account_id IN (SELECT unnest($ids::VARCHAR[])) AND occurred_at < $since"
        " AND (user_id IS NOT NULL OR active_users IS NOT NULL) GROUP BY account_id",
        {"ids": account_ids, "since": since, "until": until},
    ).cast(USAGE)  # type: ignore[arg-type]


def tickets(
    store: SourceStore, account_ids: list[str], since: dt.date, until: dt.date
) -> pl.DataFrame | None:
    """These accounts' tickets opened from ``since`` to ``until``; None when no ticket was
    ever loaded (the metric is unknown, not 0)."""
    if not _has_rows(store, "tickets"):
        return None
    return store.query(
        "SELECT account_id, created_at FROM tickets"
        " WHERE account_id IN (SELECT unnest($ids::VARCHAR[]))"
        " AND created_at >= $since AND created_at < $until::DATE + 1",
        {"ids": account_ids, "since": since, "until": until},
    )


def features(store: SourceStore, account_id: str) -> list[str]:
    """The features the account's usage names, most used first."""
    if not _has_rows(store, "usage_events"):
        return []
    return store.query(
        "SELECT feature FROM usage_events WHERE account_id = $id AND feature IS NOT NULL"
        " GROUP BY feature ORDER BY sum(quantity) DESC, feature",
        {"id": account_id},
    )["feature"].to_list()
