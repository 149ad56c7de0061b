"""The load log: every load (and every undo) is a published generation of the source store
with its record, and a load can be undone by publishing a copy of the generation before it.

The log is a table of the source store itself (``load_log``), written in the same generation
as the load it records, so a load and its record are published together or not at all. Each
generation carries the whole log; an undo builds its generation from the kept generation
before the load, then puts the whole log back with every entry's state brought up to date
(an entry is in effect when it was in effect in the restored generation). Entries are
``L<n>`` (a load) and ``U<n>`` (an undo), ``n`` being the generation they published.

What people typed (the app store: handoffs, notes, decisions, mappings, pins, the audit log)
is in another file: an undo never touches it.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from dashboard import clock
from dashboard.schema import ID_COLUMNS, SOURCE_TABLES, columns
from dashboard.store.sources import SourceStore, SourceWriter, StoreError
from dashboard.store.sql import ident

LOG_TABLE = "load_log"
LOG_DDL = (
    f"CREATE TABLE IF NOT EXISTS {LOG_TABLE} (\n"
    "  load_id VARCHAR NOT NULL, kind VARCHAR NOT NULL, generation VARCHAR NOT NULL,\n"
    "  generation_before VARCHAR, actor VARCHAR, loaded_at TIMESTAMP NOT NULL,\n"
    "  source VARCHAR, files VARCHAR, mode VARCHAR, tables VARCHAR, undoes VARCHAR,\n"
    "  undone_by VARCHAR\n)"
)
LOG_COLUMNS = [
    "load_id",
    "kind",
    "generation",
    "generation_before",
    "actor",
    "loaded_at",
    "source",
    "files",
    "mode",
    "tables",
    "undoes",
    "undone_by",
]
LOG_SCHEMA = {
    "load_id": pl.String,
    "kind": pl.String,
    "generation": pl.String,
    "generation_before": pl.String,
    "actor": pl.String,
    "loaded_at": pl.Datetime("us"),
    "source": pl.String,
    "files": pl.String,
    "mode": pl.String,
    "tables": pl.String,
    "undoes": pl.String,
    "undone_by": pl.String,
}
KEEP_SETTING = "TANDEM_KEEP_GENERATIONS"


class UndoRefused(StoreError):
    """An undo that cannot (or may not yet) be done; nothing was changed."""


def command_line_actor() -> str:
    """Who runs a command: the operating-system user, marked as the command line."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry and no LOGNAME/USER (a bare container)
        user = os.environ.get("USER") or "unknown user"
    return f"{user} (command line)"


def _now() -> dt.datetime:
    return clock.utcnow()


def _generation_number(name: str) -> int:
    return int(Path(name).stem.removeprefix("gen-"))


def _ensure(writer: SourceWriter) -> None:
    writer.con.execute(LOG_DDL)


def record_load(
    writer: SourceWriter,
    *,
    actor: str,
    source: str,
    files: Sequence[str],
    mode: str,
    tables: Mapping[str, Mapping[str, int]],
    at: dt.datetime | None = None,
) -> str:
    """Record the load this writer publishes (in its own generation); returns its id."""
    _ensure(writer)
    load_id = f"L{_generation_number(writer.generation)}"
    writer.con.execute(
        f"INSERT INTO {LOG_TABLE} BY NAME SELECT ? AS load_id, 'load' AS kind,"
        " ? AS generation, ? AS generation_before, ? AS actor, ? AS loaded_at, ? AS source,"
        " ? AS files, ? AS mode, ? AS tables",
        [
            load_id,
            writer.generation,
            writer.base,
            actor,
            at or _now(),
            source,
            json.dumps(list(files)),
            mode,
            json.dumps(tables),
        ],
    )
    return load_id


def _empty_log() -> pl.DataFrame:
    return pl.DataFrame(schema=LOG_SCHEMA)


def _log_sql() -> str:
    return f"SELECT {', '.join(LOG_COLUMNS)} FROM {LOG_TABLE} ORDER BY generation DESC"


def _has_log_sql() -> str:
    return f"SELECT count(*) AS n FROM information_schema.tables WHERE table_name = '{LOG_TABLE}'"


def load_records(store: SourceStore) -> pl.DataFrame:
    """Every recorded load and undo of the published data, newest first (``LOG_COLUMNS``;
    ``undone_by`` is the undo that took an entry back, None while it is in effect)."""
    if store.current_path() is None or not store.has_table(LOG_TABLE):
        return _empty_log()
    return store.query(_log_sql()).cast(LOG_SCHEMA)  # type: ignore[arg-type]


def _log_of(store: SourceStore, path: Path | None) -> pl.DataFrame:
    """The log as a kept generation holds it (an empty one for no generation)."""
    if path is None or store.query_generation(path, _has_log_sql())["n"][0] == 0:
        return _empty_log()
    return store.query_generation(path, _log_sql()).cast(LOG_SCHEMA)  # type: ignore[arg-type]


def _row_counts(store: SourceStore, path: Path | None) -> dict[str, int]:
    if path is None:
        return dict.fromkeys(SOURCE_TABLES, 0)
    sql = " UNION ALL ".join(
        f"SELECT '{t}' AS t, count(*) AS n FROM {ident(t)}" for t in SOURCE_TABLES
    )
    rows = store.query_generation(path, sql)
    return dict(zip(rows["t"], rows["n"], strict=True))


@dataclass(frozen=True)
class UndoPlan:
    """What undoing an entry does, decided on the published generation."""

    target: dict[str, Any]  # the entry undone (a row of the log)
    later: list[dict[str, Any]]  # later loads in effect that go with it, newest first
    latest: str  # the newest entry in effect when this was decided
    restore: str | None  # the generation the data goes back to (None: an empty store)
    rows_now: dict[str, int] = field(default_factory=dict)
    rows_after: dict[str, int] = field(default_factory=dict)

    @property
    def load_id(self) -> str:
        return str(self.target["load_id"])


def describe(entry: Mapping[str, Any]) -> str:
    """One line for an entry: id, what, who, when."""
    files = json.loads(entry["files"] or "[]")
    what = (
        f"undo of {', '.join(json.loads(entry['undoes'] or '[]'))}"
        if entry["kind"] == "undo"
        else ", ".join(files) or str(entry["source"])
    )
    when = entry["loaded_at"]
    stamp = when.strftime("%Y-%m-%d %H:%M") if isinstance(when, dt.datetime) else str(when)
    return f"{entry['load_id']} ({what}, by {entry['actor']}, {stamp} UTC)"


def _in_effect(log: pl.DataFrame) -> pl.DataFrame:
    return log.filter(pl.col("undone_by").is_null())


def _decide(
    store: SourceStore, current: Path | None, load_id: str | None, expect_latest: str | None
) -> UndoPlan:
    """Which generation an undo of ``load_id`` (None: the newest load in effect) restores,
    or ``UndoRefused`` with why not. ``expect_latest``: the newest entry in effect that the
    person saw when they asked (refused when the history moved on since)."""
    log = _log_of(store, current)
    live = _in_effect(log)
    if live.is_empty():
        raise UndoRefused(
            "there is no load to undo: no recorded load is in effect (loads made before "
            "Tandem kept a load log are not recorded)"
        )
    latest = str(live["load_id"][0])
    if expect_latest is not None and latest != expect_latest:
        newer = live.filter(pl.col("generation") > _generation_of(log, expect_latest))
        shown = newer.head(5) if newer.height else live.head(1)
        moved = "; ".join(describe(r) for r in shown.iter_rows(named=True))
        raise UndoRefused(
            f"the load history changed since it was shown (now: {moved}); nothing was undone. "
            "Look at the history again before undoing."
        )
    if load_id is None:
        loads = live.filter(pl.col("kind") == "load")
        if loads.is_empty():
            raise UndoRefused("there is no load to undo: no recorded load is in effect")
        load_id = str(loads["load_id"][0])
    found = log.filter(pl.col("load_id") == load_id)
    if found.is_empty():
        known = ", ".join(log["load_id"].head(10).to_list()) or "none"
        raise UndoRefused(f"there is no load {load_id!r} in the load log (recent: {known})")
    target = found.row(0, named=True)
    if target["undone_by"] is not None:
        raise UndoRefused(
            f"{load_id} is not in effect: {target['undone_by']} already undid it; nothing was "
            "changed"
        )
    before = target["generation_before"]
    restore = store.kept_generation(before) if before else None
    if before and restore is None:
        raise UndoRefused(
            f"the generation before {load_id} ({before}) is no longer kept: Tandem keeps the "
            f"newest {store.keep_generations} generations of the source store "
            f"({KEEP_SETTING}={store.keep_generations}; an erasure keeps only one). Nothing "
            "was changed. Load the right files in replace mode, or restore a backup; raise "
            f"{KEEP_SETTING} to keep loads undoable for longer."
        )
    kept = set(_in_effect(_log_of(store, restore))["load_id"].to_list())
    later = live.filter(
        (pl.col("load_id") != load_id)
        & (pl.col("kind") == "load")
        & ~pl.col("load_id").is_in(list(kept))
    )
    return UndoPlan(
        target,
        list(later.iter_rows(named=True)),
        latest,
        before,
        _row_counts(store, current),
        _row_counts(store, restore),
    )


def _generation_of(log: pl.DataFrame, load_id: str) -> str:
    found = log.filter(pl.col("load_id") == load_id)["generation"]
    return str(found[0]) if found.len() else ""


def undo_plan(
    store: SourceStore, load_id: str | None = None, expect_latest: str | None = None
) -> UndoPlan:
    """What ``undo`` would do now (nothing is written); ``UndoRefused`` when it cannot, or
    when the newest entry in effect is no longer ``expect_latest``."""
    return _decide(store, store.current_path(), load_id, expect_latest)


def _table_changes(writer: SourceWriter, current: Path, tables: set[str]) -> dict[str, Any]:
    """Rows added, removed and changed per table from the published generation to the one
    being built (exact: by id where the table has one, else row by row)."""
    out: dict[str, Any] = {}
    writer.con.execute("ATTACH ? AS __published (READ_ONLY)", [str(current)])
    try:
        for table in sorted(tables):
            cols = ", ".join(ident(c) for c in columns(table))
            new, old = (
                f"(SELECT {cols} FROM main.{ident(table)})",
                f"(SELECT {cols} FROM __published.{ident(table)})",
            )
            now_rows, after = writer.con.execute(
                f"SELECT (SELECT count(*) FROM {old}), (SELECT count(*) FROM {new})"
            ).fetchall()[0]
            id_column = ID_COLUMNS.get(table)
            if id_column:
                key = f"lower({ident(id_column)})"
                added, removed, changed = writer.con.execute(
                    f"WITH n AS (SELECT {key} AS id, hash({cols}) AS h FROM {new}),"
                    f" o AS (SELECT {key} AS id, hash({cols}) AS h FROM {old})"
                    " SELECT (SELECT count(*) FROM n ANTI JOIN o USING (id)),"
                    " (SELECT count(*) FROM o ANTI JOIN n USING (id)),"
                    " (SELECT count(*) FROM n JOIN o USING (id) WHERE n.h <> o.h)"
                ).fetchall()[0]
            else:
                added, removed = writer.con.execute(
                    f"SELECT (SELECT count(*) FROM ({new} EXCEPT ALL {old})),"
                    f" (SELECT count(*) FROM ({old} EXCEPT ALL {new}))"
                ).fetchall()[0]
                changed = 0
            out[table] = {
                "rows_before": int(now_rows),
                "rows_after": int(after),
                "added": int(added),
                "removed": int(removed),
                "changed": int(changed),
            }
    finally:
        writer.con.execute("DETACH __published")
    return out


@dataclass(frozen=True)
class UndoResult:
    undo_id: str
    undone: str  # the entry undone
    also_undone: list[str]  # later loads that went with it
    restored: str | None  # the generation whose data is now published (None: empty)
    tables: dict[str, Any]


def undo(
    store: SourceStore,
    load_id: str | None,
    *,
    actor: str,
    expect_latest: str | None = None,
    confirm_later: bool = False,
    at: dt.datetime | None = None,
) -> UndoResult:
    """Publish a new generation equal (in its data) to the one before ``load_id`` (None:
    the newest load in effect), with the whole log kept and brought up to date and the
    undo recorded. Refused (``UndoRefused``, nothing written) when the entry is unknown or
    already undone, the generation before it is no longer kept, the history moved on from
    ``expect_latest``, or later loads would go too and ``confirm_later`` is not given."""
    decided: list[UndoPlan] = []
    published: list[Path] = []

    def choose(current: Path | None) -> Path | None:
        plan = _decide(store, current, load_id, expect_latest)
        if plan.later and not confirm_later:
            raise UndoRefused(
                f"undoing {plan.load_id} also removes the later load(s) "
                + "; ".join(describe(r) for r in plan.later)
                + ": nothing was changed. Confirm to undo them all (--yes)."
            )
        decided.append(plan)
        published.append(current)  # type: ignore[arg-type]  # a plan exists: so does current
        return store.kept_generation(plan.restore) if plan.restore else None

    with store.writer(start_from=choose) as writer:
        plan, current = decided[0], published[0]
        undo_id = f"U{_generation_number(writer.generation)}"
        full = _log_of(store, current)  # the whole history, as published
        has_log = writer.query(_has_log_sql())["n"][0] > 0
        restored_log = writer.query(_log_sql()) if has_log else _empty_log()
        effect = dict(zip(restored_log["load_id"], restored_log["undone_by"], strict=True))
        # in effect as in the restored generation; recorded since: undone now (or before)
        merged = full.with_columns(
            undone_by=pl.when(pl.col("load_id").is_in(list(effect)))
            .then(pl.col("load_id").replace_strict(effect, default=None, return_dtype=pl.String))
            .otherwise(pl.coalesce("undone_by", pl.lit(undo_id)))
        )
        flipped = full.filter(full["undone_by"].is_null() != merged["undone_by"].is_null())
        touched = {t for entry in flipped["tables"].to_list() for t in json.loads(entry or "{}")}
        touched &= set(SOURCE_TABLES)
        tables = _table_changes(writer, current, touched) if current is not None else {}
        undone = [plan.load_id, *[str(r["load_id"]) for r in plan.later]]
        _ensure(writer)
        writer.execute(f"DELETE FROM {LOG_TABLE}")  # counted as a change: a new data version
        with writer._incoming(merged.select(LOG_COLUMNS)):
            writer.con.execute(f"INSERT INTO {LOG_TABLE} BY NAME SELECT * FROM _incoming")
        writer.con.execute(
            f"INSERT INTO {LOG_TABLE} BY NAME SELECT ? AS load_id, 'undo' AS kind,"
            " ? AS generation, ? AS generation_before, ? AS actor, ? AS loaded_at,"
            " ? AS source, '[]' AS files, 'undo' AS mode, ? AS tables, ? AS undoes",
            [
                undo_id,
                writer.generation,
                writer.base,
                actor,
                at or _now(),
                f"restored {plan.restore or 'an empty store'}",
                json.dumps(tables),
                json.dumps(undone),
            ],
        )
    return UndoResult(undo_id, plan.load_id, undone[1:], plan.restore, tables)
