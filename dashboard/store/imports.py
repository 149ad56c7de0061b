"""What an import needs to know of the stored data to show its impact before it writes:
the stored ids with a fingerprint of each row, how many event rows fall in a period, and how
many child rows each account has. Read from the published generation, never written."""

from __future__ import annotations

import datetime as dt

import polars as pl

from dashboard.schema import CHILD_TABLES, DATE_COLUMNS, ID_COLUMNS, columns
from dashboard.store.sources import SourceStore
from dashboard.store.sql import ident


def row_hash_sql(table: str) -> str:
    """A fingerprint of a canonical row: equal rows, equal fingerprints (the staging engine
    computes the same expression on the incoming rows)."""
    return "hash(" + ", ".join(ident(c) for c in columns(table)) + ")"


def stored_row_keys(store: SourceStore, table: str) -> pl.DataFrame:
    """``id`` (lower case, as ids are compared) and ``row_hash`` of every stored row of a
    table that has an id column."""
    id_column = ID_COLUMNS[table]
    return store.query(
        f"SELECT lower({ident(id_column)}) AS id, {row_hash_sql(table)} AS row_hash "
        f"FROM {ident(table)}"
    )


def rows_in_period(store: SourceStore, table: str, first: dt.datetime, last: dt.datetime) -> int:
    """Stored rows of an event table dated from ``first`` to ``last`` (both included)."""
    column = DATE_COLUMNS[table]
    assert column is not None
    return int(
        store.scalar(
            f"SELECT count(*) FROM {ident(table)} WHERE {ident(column)} BETWEEN ? AND ?",
            [first, last],
        )
    )


def rows_of_accounts(store: SourceStore, table: str, accounts: list[str]) -> int:
    """Stored rows of ``table`` that belong to one of ``accounts``."""
    if not accounts:
        return 0
    return int(
        store.scalar(
            f"SELECT count(*) FROM {ident(table)} WHERE account_id IN (SELECT unnest(?))",
            [accounts],
        )
    )


def child_rows_by_account(store: SourceStore) -> pl.DataFrame:
    """``table_name``, ``account_id``, ``rows``: how many rows each account has per table."""
    parts = [
        f"SELECT '{table}' AS table_name, account_id, count(*) AS rows FROM {table} GROUP BY 2"
        for table in CHILD_TABLES
    ]
    return store.query(" UNION ALL ".join(parts))


def stored_accounts(store: SourceStore) -> pl.DataFrame:
    """The stored accounts' ids, names and domains (what child rows are matched against)."""
    return store.query("SELECT account_id, account_name, domain FROM accounts")


def account_domains(store: SourceStore) -> pl.DataFrame:
    """Each account's web domain (account_id, domain), where the CRM export had one."""
    return store.query("SELECT account_id, domain FROM accounts WHERE domain IS NOT NULL")


def contact_keys_sql(relation: str) -> str:
    """``key, system, account_id`` of a contacts relation: each contact's CRM id and e-mail
    lead to its account (a task keyed by the contact, a survey by the person's e-mail). A
    contact id is a key only when it cannot be mistaken for another system's id: eight
    characters or more with a letter (Salesforce's ``003…``, UUIDs, ``cont_…``); a small
    number (a Pipedrive person 12) could be any system's organisation 12."""
    return (
        f"SELECT contact_id AS key, 'contact' AS system, account_id FROM {relation}"
        " WHERE contact_id IS NOT NULL AND account_id IS NOT NULL"
        " AND length(contact_id) >= 8 AND regexp_matches(contact_id, '[A-Za-z]')"
        f" UNION ALL SELECT lower(trim(email)) AS key, 'contact e-mail' AS system, account_id"
        f" FROM {relation} WHERE email IS NOT NULL AND account_id IS NOT NULL"
    )


def stored_account_keys(store: SourceStore) -> pl.DataFrame:
    """Other systems' ids for the stored accounts (``account_keys``)."""
    return store.query("SELECT key, system, account_id FROM account_keys")


def stored_match_keys(store: SourceStore) -> pl.DataFrame:
    """What a row's key may find its account by: other systems' ids (``account_keys``) and
    the stored contacts' CRM ids and e-mails."""
    return store.query(
        f"SELECT key, system, account_id FROM account_keys UNION ALL {contact_keys_sql('contacts')}"
    )


def stored_owner_ids(store: SourceStore) -> pl.DataFrame:
    """The stored owners' CRM ids and names."""
    return store.query(
        "SELECT owner_id, owner FROM owners WHERE owner_id IS NOT NULL AND owner IS NOT NULL"
    )


def stored_identities(store: SourceStore) -> pl.DataFrame:
    """The stored owners' names, e-mails, roles and teams: who signs in as whom and who gets
    which digest (an import shows the changes to them before it writes)."""
    return store.query("SELECT owner, email, role, team FROM owners")
