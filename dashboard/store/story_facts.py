"""Read queries for "what changed and why" (``scoring.story``): the scores kept on or before a
date, the scores of the scoring date, and the facts between two dates (tickets, invoices,
contacts, the last QBR). Every account id is a bound parameter."""

from __future__ import annotations

import datetime as dt

import polars as pl

from dashboard.store.sources import SourceStore


def snapshot_on_or_before(store: SourceStore, day: dt.date) -> dt.date | None:
    """The date of the latest kept score snapshot on or before ``day`` (None: none kept)."""
    return store.scalar("SELECT max(as_of) FROM score_snapshots WHERE as_of <= ?", [day])


def snapshot_scores(store: SourceStore, account_ids: list[str], day: dt.date) -> pl.DataFrame:
    """The snapshot rows of these accounts kept on ``day`` (one per account)."""
    return store.query(
        "SELECT s.* FROM score_snapshots s"
        " WHERE s.as_of = $day AND s.account_id IN (SELECT unnest($ids::VARCHAR[]))"
        " ORDER BY account_id",
        {"day": day, "ids": list(account_ids)},
    )


def current_scores(store: SourceStore, account_ids: list[str]) -> pl.DataFrame:
    """The published scores of these accounts, with their features (what causes are read
    from) and their owners."""
    return store.query(
        "SELECT * FROM account_scores WHERE account_id IN (SELECT unnest($ids::VARCHAR[]))"
        " ORDER BY account_id",
        {"ids": list(account_ids)},
    )


def tickets_between(
    store: SourceStore, account_ids: list[str], start: dt.date, end: dt.date
) -> pl.DataFrame:
    """The tickets of these accounts created from ``start`` to before ``end``."""
    return store.query(
        "SELECT account_id, created_at, priority FROM tickets"
        " WHERE account_id IN (SELECT unnest($ids::VARCHAR[]))"
        " AND created_at >= $start::DATE AND created_at < $end::DATE",
        {"ids": list(account_ids), "start": start, "end": end},
    )


def invoices_due_between(
    store: SourceStore, account_ids: list[str], start: dt.date, end: dt.date
) -> pl.DataFrame:
    """The invoices of these accounts due from ``start`` to before ``end``."""
    return store.query(
        "SELECT account_id, due_on, paid_on, amount FROM invoices"
        " WHERE account_id IN (SELECT unnest($ids::VARCHAR[]))"
        " AND due_on >= $start::DATE AND due_on < $end::DATE",
        {"ids": list(account_ids), "start": start, "end": end},
    )


def account_contacts(store: SourceStore, account_ids: list[str]) -> pl.DataFrame:
    """The contacts of these accounts (the customer's people)."""
    return store.query(
        "SELECT * FROM contacts WHERE account_id IN (SELECT unnest($ids::VARCHAR[]))",
        {"ids": list(account_ids)},
    )


def last_qbr(store: SourceStore, account_id: str, before: dt.date) -> dt.date | None:
    """The date of the account's last QBR (an activity of kind ``qbr``) before ``before``."""
    return store.scalar(
        "SELECT max(occurred_at)::DATE FROM activities"
        " WHERE account_id = ? AND kind = 'qbr' AND occurred_at < ?::DATE",
        [account_id, before],
    )
