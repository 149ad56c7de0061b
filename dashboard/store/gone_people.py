"""The people a later CRM load left out (source store): when a contacts load covers an account
(an update names it; a replace names it in its file) and leaves out a person stored for it, the
person is recorded as gone from the CRM, dated by two bounds, instead of vanishing.

Two tables, written in the same generation as the contacts (an undo of the load, which
restores the generation before it, takes the record back with it):

- ``contacts_listed``: per account, the day of the latest contacts load that listed its
  people (the lower bound of a later departure);
- ``contacts_gone``: one row per person gone from the CRM: who (``account_id``,
  ``contact_id``, ``name``, ``email``, ``role``), ``listed_on`` (the last load that listed
  them; null: listed before Tandem kept that day) and ``gone_by`` (the day of the load that
  left them out: they were gone by then, left on some day in between, unknown).

A person is the same person in both loads by CRM id, else by e-mail (any case), else, when
neither is stored, by name (any case). A person whose ``left_on`` is stored has left on a known
day and is not recorded as gone; a person recorded as gone who is listed again by a later load
is no longer gone (the record is removed). A replace whose file does not name an account at
all records nobody of it as gone: that file says nothing about the account's people.

Each table is created when first written (a generation made before has none: readers see no
one gone)."""

from __future__ import annotations

import datetime as dt

import duckdb

from dashboard.store.sql import ident

GONE_TABLE = "contacts_gone"
LISTED_TABLE = "contacts_listed"
TABLES = (GONE_TABLE, LISTED_TABLE)


def _ddl(catalog: str | None) -> list[str]:
    prefix = f"{ident(catalog)}." if catalog else ""
    return [
        f"CREATE TABLE IF NOT EXISTS {prefix}{GONE_TABLE} (\n"
        "  account_id VARCHAR NOT NULL, contact_id VARCHAR, name VARCHAR, email VARCHAR,\n"
        "  role VARCHAR, listed_on DATE, gone_by DATE NOT NULL\n)",
        f"CREATE TABLE IF NOT EXISTS {prefix}{LISTED_TABLE} (\n"
        "  account_id VARCHAR NOT NULL, listed_on DATE NOT NULL\n)",
    ]


def _same_person(stored: str, listed: str) -> str:
    """SQL: the row ``stored`` and the row ``listed`` (aliases) are the same person."""
    return (
        f"({listed}.account_id = {stored}.account_id AND ("
        f"{listed}.contact_id = {stored}.contact_id"
        f" OR lower(trim({listed}.email)) = lower(trim({stored}.email))"
        f" OR ({stored}.contact_id IS NULL AND {stored}.email IS NULL"
        f" AND lower(trim({listed}.name)) = lower(trim({stored}.name)))))"
    )


def record_gone(
    con: duckdb.DuckDBPyConnection,
    target: str,
    incoming: str,
    today: dt.date,
    catalog: str | None = None,
) -> None:
    """Before a contacts load writes ``incoming`` (a relation on ``con``) into ``target`` (the
    stored contacts, qualified), inside the load's transaction: record as gone the stored
    people of the accounts ``incoming`` names whom it leaves out (and who have no
    ``left_on``), remove the records of people it lists again, and note ``today`` as the day
    those accounts' people were listed. ``catalog``: the generation's name when attached."""
    prefix = f"{ident(catalog)}." if catalog else ""
    gone, listed = f"{prefix}{GONE_TABLE}", f"{prefix}{LISTED_TABLE}"
    for statement in _ddl(catalog):
        con.execute(statement)
    named = f"(SELECT DISTINCT account_id FROM {incoming})"
    con.execute(
        f"DELETE FROM {gone} AS g WHERE EXISTS (SELECT 1 FROM {incoming} AS i"
        f" WHERE {_same_person('g', 'i')})"
    )
    con.execute(
        f"INSERT INTO {gone} SELECT s.account_id, s.contact_id, s.name, s.email, s.role,"
        f" l.listed_on, ?::DATE AS gone_by FROM {target} AS s"
        f" LEFT JOIN {listed} AS l ON l.account_id = s.account_id"
        f" WHERE s.account_id IN {named} AND s.left_on IS NULL"
        f" AND NOT EXISTS (SELECT 1 FROM {incoming} AS i WHERE {_same_person('s', 'i')})",
        [today],
    )
    con.execute(f"DELETE FROM {listed} WHERE account_id IN {named}")
    con.execute(f"INSERT INTO {listed} SELECT account_id, ?::DATE FROM {named}", [today])
