"""One account's people and the rows that show them (source store): its contacts, its
per-user usage (events and daily roll-up) and its activities with who logged them, for the
Account page's stakeholder map (``scoring.people`` reads them)."""

from __future__ import annotations

import polars as pl

from dashboard.store.sources import SourceStore
from dashboard.store.stakeholder_rows import CONTACTS, SEEN, StakeholderRows, gone_rows

TOUCHES = {
    "account_id": pl.String,
    "occurred_at": pl.Datetime("us"),
    "author": pl.String,
    "role": pl.String,
    "summary": pl.String,
}
CONTACT_COLUMNS = {**CONTACTS, "title": pl.String}
# the map lists the people who decide first: champions, buyers, sponsors, admins, users, unknown
ROLE_ORDER = (
    "CASE role WHEN 'champion' THEN 0 WHEN 'economic buyer' THEN 1 WHEN 'sponsor' THEN 2 "
    "WHEN 'admin' THEN 3 WHEN 'user' THEN 4 ELSE 5 END"
)


def account_people(store: SourceStore, account_id: str) -> StakeholderRows:
    """The account's contacts (with ``title``; champions first, ``ROLE_ORDER``), its usage rows with a user (one per user and
    day), its activities (author, role, summary) and the people later CRM loads left out:
    everything its stakeholder map reads."""
    contacts = store.query(
        f"SELECT {', '.join(CONTACT_COLUMNS)} FROM contacts WHERE account_id = ? "
        f"ORDER BY {ROLE_ORDER}, name, email",
        [account_id],
    ).cast(CONTACT_COLUMNS)  # type: ignore[arg-type]
    usage = store.query(
        """
        SELECT DISTINCT account_id, occurred_at::DATE::TIMESTAMP AS occurred_at,
            trim(user_id) AS user_id
        FROM usage_events WHERE account_id = ? AND user_id IS NOT NULL
        UNION
        SELECT account_id, day::TIMESTAMP, trim(user_id) FROM usage_daily
        WHERE account_id = ? AND user_id IS NOT NULL
        """,
        [account_id, account_id],
    ).cast(SEEN)  # type: ignore[arg-type]
    activities = store.query(
        f"SELECT {', '.join(TOUCHES)} FROM activities WHERE account_id = ?", [account_id]
    ).cast(TOUCHES)  # type: ignore[arg-type]
    return StakeholderRows(contacts, usage, activities, gone_rows(store, [account_id]))


def account_arr(store: SourceStore, account_id: str) -> pl.DataFrame:
    """``account_id``, ``arr`` of the account (the CRM's), as the signals read it."""
    return store.query("SELECT account_id, arr FROM accounts WHERE account_id = ?", [account_id])
