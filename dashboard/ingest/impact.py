"""What a load would do to the stored tables, computed before anything is written.

Per table: rows now and after, rows added, removed and changed, the period an event file
covers, child rows that would lose their account. A load in which no row is valid is
blocked; one that would remove more than half of a table's rows, or leave child rows without
their account, waits for a person's confirmation (``--replace`` on the command line, a tick
on the Data page). Unattended loads (a connected database) are never confirmed.

The ``owners`` table is who people are: sign-in finds a person by their e-mail there, and
digests go to it. A load that would change a stored owner's e-mail, role or team, remove an
owner, or give a new owner an e-mail another owner holds lists each of those as an identity
change; it needs its own yes (``identity_confirmed``), which only a leader gives, and each
change is audited with its old and new value. A name in a file is never enough to re-key a
person.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from enum import StrEnum

import duckdb
import polars as pl

from dashboard.ingest.limits import Limits
from dashboard.ingest.readers import create_table
from dashboard.ingest.validate import Prepared
from dashboard.schema import BY_ACCOUNT, DATE_COLUMNS, ID_COLUMNS
from dashboard.store import imports
from dashboard.store.sources import SourceStore
from dashboard.store.sql import ident


class LoadMode(StrEnum):
    """How an import changes a stored table."""

    UPDATE = "update"
    REPLACE = "replace"
    APPEND = "append"


MODE_LABELS = {
    LoadMode.UPDATE: "Update: add new rows and replace those with the same id (event tables: "
    "the period the file covers); keep the rest",
    LoadMode.REPLACE: "Replace: each table becomes exactly what the files hold",
    LoadMode.APPEND: "Append: add the new rows; rows whose id is already stored stay as they are",
}
REMOVAL_SHARE = 0.5  # a load that removes more than this share of a table waits for a yes


IDENTITY_FIELDS = ("email", "role", "team")


@dataclass(frozen=True)
class IdentityChange:
    """One change a load would make to a stored person: ``field`` is email, role or team
    (``removed`` for an owner a replace drops; ``email`` with ``holder`` for a new owner
    given an e-mail another owner holds)."""

    owner: str
    field: str
    old: str | None
    new: str | None
    holder: str | None = None

    def describe(self) -> str:
        if self.field == "removed":
            return f"{self.owner}: removed (e-mail {self.old or 'none'})"
        if self.holder:
            return f"{self.owner}: new owner with the e-mail {self.new}, which {self.holder} holds"
        return f"{self.owner}: {self.field} {self.old or '(none)'} → {self.new or '(none)'}"


class ImportRefused(ValueError):
    """A load that is blocked, or that needs a confirmation it did not get; nothing written."""


@dataclass(frozen=True)
class TableImpact:
    table: str
    mode: LoadMode
    sources: tuple[str, ...]
    rows_now: int
    rows_after: int
    rows_valid: int
    rows_rejected: int
    rows_added: int
    rows_removed: int
    rows_changed: int
    orphans: dict[str, int] = field(default_factory=dict)
    period: tuple[dt.datetime, dt.datetime] | None = None
    blocked: str | None = None
    warnings: tuple[str, ...] = ()
    identity_changes: tuple[IdentityChange, ...] = ()

    @property
    def needs_confirmation(self) -> bool:
        return bool(self.warnings)

    @property
    def needs_identity_yes(self) -> bool:
        return bool(self.identity_changes)


def incoming_view(table: str) -> str:
    return f"__incoming_{table}"


def _incoming(con: duckdb.DuckDBPyConnection, table: str, parts: list[Prepared]) -> str:
    """One view of every valid row for ``table``, from all the files that feed it."""
    union = " UNION ALL BY NAME ".join(f"SELECT * FROM {ident(p.valid_view)}" for p in parts)
    view = incoming_view(table)
    con.execute(f"CREATE OR REPLACE VIEW {ident(view)} AS {union}")
    return view


def _id_counts(
    con: duckdb.DuckDBPyConnection, table: str, view: str, store: SourceStore | None
) -> tuple[int, int, int, int]:
    """(added, changed, unchanged, stored ids not in the file) for a table with an id."""
    id_column = ID_COLUMNS[table]
    stored = f"__stored_{table}"
    keys = (
        imports.stored_row_keys(store, table)
        if store
        else pl.DataFrame(
            {"id": [], "row_hash": []}, schema={"id": pl.String, "row_hash": pl.UInt64}
        )
    )
    create_table(con, stored, keys.to_arrow())
    added, changed, same, missing = con.execute(
        f"""
        WITH incoming AS (
            SELECT lower({ident(id_column)}) AS id, {imports.row_hash_sql(table)} AS row_hash
            FROM {ident(view)}
        ),
        compared AS (
            SELECT i.id, i.row_hash, s.row_hash AS stored_hash
            FROM incoming i LEFT JOIN {ident(stored)} s USING (id)
        )
        SELECT
            count(*) FILTER (WHERE stored_hash IS NULL),
            count(*) FILTER (WHERE stored_hash IS NOT NULL AND stored_hash <> row_hash),
            count(*) FILTER (WHERE stored_hash = row_hash),
            (SELECT count(*) FROM {ident(stored)} WHERE id NOT IN (SELECT id FROM incoming))
        FROM compared
        """
    ).fetchall()[0]
    return int(added), int(changed), int(same), int(missing)


def _period(
    con: duckdb.DuckDBPyConnection, table: str, view: str, parts: list[Prepared]
) -> tuple[dt.datetime, dt.datetime] | None:
    """The first and last date of the incoming rows (each file's, from its counts pass)."""
    column = DATE_COLUMNS[table]
    if column is None:
        return None
    if all(p.dates is not None for p in parts):
        firsts = [p.dates[0] for p in parts if p.dates and p.dates[0] is not None]
        lasts = [p.dates[1] for p in parts if p.dates and p.dates[1] is not None]
        first, last = (min(firsts), max(lasts)) if firsts else (None, None)
    else:
        first, last = con.execute(
            f"SELECT min({ident(column)}), max({ident(column)}) FROM {ident(view)}"
        ).fetchall()[0]
    if first is None:
        return None

    start = first if isinstance(first, dt.datetime) else dt.datetime.combine(first, dt.time())
    end = last if isinstance(last, dt.datetime) else dt.datetime.combine(last, dt.time(23, 59, 59))
    return start, end


def _orphans(
    con: duckdb.DuckDBPyConnection, store: SourceStore | None, replaced: set[str]
) -> dict[str, int]:
    """Stored child rows whose account is not among the incoming accounts (a replace of the
    accounts), per child table that this import does not replace too."""
    if store is None:
        return {}
    children = imports.child_rows_by_account(store)
    if children.is_empty():
        return {}
    create_table(con, "__stored_children", children.to_arrow())
    rows = con.execute(
        f"SELECT table_name, sum(rows) FROM __stored_children WHERE account_id NOT IN"
        f" (SELECT account_id FROM {ident(incoming_view('accounts'))}) GROUP BY 1 ORDER BY 1"
    ).fetchall()
    return {t: int(n) for t, n in rows if t not in replaced and n}


def _identity_changes(
    con: duckdb.DuckDBPyConnection, view: str, store: SourceStore | None, mode: LoadMode
) -> tuple[IdentityChange, ...]:
    """What this load of ``owners`` would change about the stored people (see the module)."""
    if store is None:
        return ()
    stored = imports.stored_identities(store)
    if stored.is_empty():
        return ()
    create_table(con, "__stored_identities", stored.to_arrow())
    norm = "nullif(trim(lower(CAST({} AS VARCHAR))), '')"
    changed_parts = [
        f"SELECT s.owner, '{f}' AS field, s.{f} AS old, i.{f} AS new, NULL AS holder"
        f" FROM __stored_identities s JOIN {ident(view)} i ON lower(i.owner) = lower(s.owner)"
        f" WHERE {norm.format('s.' + f)} IS DISTINCT FROM {norm.format('i.' + f)}"
        for f in IDENTITY_FIELDS
    ]
    if mode is LoadMode.APPEND:  # stored rows stay as they are: only new owners can clash
        changed_parts = []
    if mode is LoadMode.REPLACE:
        changed_parts.append(
            "SELECT s.owner, 'removed', s.email, NULL, NULL FROM __stored_identities s"
            f" WHERE lower(s.owner) NOT IN (SELECT lower(owner) FROM {ident(view)})"
        )
    changed_parts.append(  # a new owner holding a stored owner's e-mail: two people, one login
        "SELECT i.owner, 'email', NULL, i.email, s.owner FROM"
        f" {ident(view)} i JOIN __stored_identities s"
        f" ON {norm.format('i.email')} = {norm.format('s.email')}"
        " AND lower(i.owner) <> lower(s.owner)"
        f" WHERE lower(i.owner) NOT IN (SELECT lower(owner) FROM __stored_identities)"
    )
    rows = con.execute(
        f"SELECT DISTINCT * FROM ({' UNION ALL '.join(changed_parts)}) ORDER BY 1, 2"
    ).fetchall()
    return tuple(
        IdentityChange(str(o), str(f), _text(old), _text(new), _text(holder))
        for o, f, old, new, holder in rows
    )


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def compute_impacts(
    con: duckdb.DuckDBPyConnection,
    prepared: list[Prepared],
    store: SourceStore | None,
    mode: LoadMode,
    limits: Limits,
) -> list[TableImpact]:
    """The impact of loading every valid prepared source in ``mode``, per table."""
    by_table: dict[str, list[Prepared]] = defaultdict(list)
    for p in prepared:
        if p.ok:
            by_table[p.table].append(p)
    replaced = set(by_table) if mode is LoadMode.REPLACE else set()
    impacts: list[TableImpact] = []
    for table, parts in by_table.items():
        view = _incoming(con, table, parts)
        valid = sum(p.valid_rows for p in parts)
        rejected = sum(p.total_rows - p.valid_rows - p.not_customers for p in parts)
        now = store.row_count(table) if store else 0
        period = None
        if table in ID_COLUMNS:
            added, changed, _same, missing = _id_counts(con, table, view, store)
            removed = missing if mode is LoadMode.REPLACE else 0
            after = valid if mode is LoadMode.REPLACE else now + added
            changed = 0 if mode is LoadMode.APPEND else changed
            lost = removed
        else:
            period = _period(con, table, view, parts)
            in_period = imports.rows_in_period(store, table, *period) if store and period else 0
            if table in BY_ACCOUNT and store:  # the stored rows of the file's accounts go
                named = [
                    r[0]
                    for r in con.execute(
                        f"SELECT DISTINCT account_id FROM {ident(view)}"
                    ).fetchall()
                ]
                in_period = imports.rows_of_accounts(store, table, named)
            replaced = {LoadMode.REPLACE: now, LoadMode.UPDATE: in_period}.get(mode, 0)
            after = now - replaced + valid
            # rows of the period are replaced by the file's: added and removed are the net
            added, removed, changed = max(0, valid - replaced), max(0, replaced - valid), 0
            lost = max(0, now - after)
        orphans = (
            _orphans(con, store, replaced)
            if table == "accounts" and mode is LoadMode.REPLACE
            else {}
        )
        warnings: list[str] = []
        if now and lost > REMOVAL_SHARE * now:
            warnings.append(
                f"{table}: removes {lost:,} of the {now:,} stored rows (more than half)"
            )
        if orphans:
            listed = ", ".join(f"{n:,} {t}" for t, n in orphans.items())
            warnings.append(
                f"{table}: {listed} rows belong to accounts this load removes; they would be "
                "removed with them"
            )
        blocked = None
        if valid == 0:
            blocked = f"{table}: no row of {', '.join(p.source for p in parts)} is valid"
        elif table == "accounts" and after > limits.max_accounts:
            blocked = (
                f"accounts: {after:,} accounts after the load; the limit is "
                f"{limits.max_accounts:,} (setting TANDEM_MAX_ACCOUNTS)"
            )
        identity = _identity_changes(con, view, store, mode) if table == "owners" else ()
        impacts.append(
            TableImpact(
                table=table,
                mode=mode,
                sources=tuple(p.source for p in parts),
                rows_now=now,
                rows_after=after,
                rows_valid=valid,
                rows_rejected=rejected,
                rows_added=added,
                rows_removed=removed,
                rows_changed=changed,
                orphans=orphans,
                period=period,
                blocked=blocked,
                warnings=tuple(warnings),
                identity_changes=identity,
            )
        )
    return impacts


def identity_changes(impacts: list[TableImpact]) -> list[IdentityChange]:
    return [c for i in impacts for c in i.identity_changes]


def refusals(
    impacts: list[TableImpact], confirmed: bool, identity_confirmed: bool = False
) -> list[str]:
    """Why these impacts may not load (empty: they may). The row-count yes and the identity
    yes are separate: one never stands for the other."""
    reasons = [i.blocked for i in impacts if i.blocked]
    if not confirmed:
        reasons += [w for i in impacts for w in i.warnings]
    changes = identity_changes(impacts)
    if changes and not identity_confirmed:
        reasons.append(
            f"owners: changes who {len(changes)} person(s) are (sign-in and digests follow the "
            "owners table): "
            + "; ".join(c.describe() for c in changes)
            + " — a leader must confirm identity changes"
        )
    return reasons


def impact_frame(impacts: list[TableImpact]) -> pl.DataFrame:
    """The impacts as a table for the screen and the command line."""
    return pl.DataFrame(
        {
            "table": [i.table for i in impacts],
            "rows_now": [i.rows_now for i in impacts],
            "rows_after": [i.rows_after for i in impacts],
            "added": [i.rows_added for i in impacts],
            "removed": [i.rows_removed for i in impacts],
            "changed": [i.rows_changed for i in impacts],
            "rejected": [i.rows_rejected for i in impacts],
            "losing_their_account": [sum(i.orphans.values()) for i in impacts],
            "identity_changes": [len(i.identity_changes) for i in impacts],
            "status": [
                "blocked"
                if i.blocked
                else "needs a leader's yes"
                if i.identity_changes
                else "needs a yes"
                if i.warnings
                else "ready"
                for i in impacts
            ],
        },
        schema={
            "table": pl.String,
            "rows_now": pl.Int64,
            "rows_after": pl.Int64,
            "added": pl.Int64,
            "removed": pl.Int64,
            "changed": pl.Int64,
            "rejected": pl.Int64,
            "losing_their_account": pl.Int64,
            "identity_changes": pl.Int64,
            "status": pl.String,
        },
    )
