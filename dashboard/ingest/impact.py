"""What a load would do to the stored tables, computed before anything is written.

Per table: rows now and after, rows added, removed and changed, the period an event file
covers, child rows that would lose their account. A load in which no row is valid is
blocked; one that would remove more than half of a table's rows, or leave child rows without
their account, waits for a person's confirmation (``--replace`` on the command line, a tick
on the Data page). Unattended loads (a connected database) are never confirmed.
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
from dashboard.schema import DATE_COLUMNS, ID_COLUMNS
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

    @property
    def needs_confirmation(self) -> bool:
        return bool(self.warnings)


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
    keys = imports.stored_row_keys(store, table) if store else pl.DataFrame(
        {"id": [], "row_hash": []}, schema={"id": pl.String, "row_hash": pl.UInt64}
    )  # fmt: skip
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
    con: duckdb.DuckDBPyConnection, table: str, view: str
) -> tuple[dt.datetime, dt.datetime] | None:
    column = DATE_COLUMNS[table]
    if column is None:
        return None
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
            added, changed, same, missing = _id_counts(con, table, view, store)
            removed = missing if mode is LoadMode.REPLACE else 0
            after = valid if mode is LoadMode.REPLACE else now + added
            changed = 0 if mode is LoadMode.APPEND else changed
            lost = removed
        else:
            period = _period(con, table, view)
            in_period = imports.rows_in_period(store, table, *period) if store and period else 0
            replaced = {LoadMode.REPLACE: now, LoadMode.UPDATE: in_period}.get(mode, 0)
            after = now - replaced + valid
            # rows of the period are replaced by the file's: added and removed are the net
            added, removed, changed = max(0, valid - replaced), max(0, replaced - valid), 0
            lost = max(0, now - after)
        orphans = _orphans(con, store, replaced) if table == "accounts" and mode is LoadMode.REPLACE else {}  # fmt: skip
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
            )  # fmt: skip
        )
    return impacts


def refusals(impacts: list[TableImpact], confirmed: bool) -> list[str]:
    """Why these impacts may not load (empty: they may)."""
    reasons = [i.blocked for i in impacts if i.blocked]
    if not confirmed:
        reasons += [w for i in impacts for w in i.warnings]
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
            "status": [
                "blocked" if i.blocked else "needs a yes" if i.warnings else "ready"
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
            "status": pl.String,
        },  # fmt: skip
    )
