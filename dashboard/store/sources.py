"""The source store: canonical tables and scores, published as immutable generations.

Every write builds a new DuckDB file beside the current one (a copy of it, changed), then swaps
a one-line ``CURRENT`` pointer with an atomic rename. Readers open the published file read-only,
so any number of browser sessions and processes can read while a load or the nightly job
writes, and a write that fails or is killed halfway never touches what is being served.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import fcntl
import gc
import os
import re
import shutil
import threading
import uuid
import weakref
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import polars as pl
import pyarrow as pa

from dashboard import clock
from dashboard.config import get_settings
from dashboard.schema import (
    BY_ACCOUNT,
    CHILD_TABLES,
    DATE_COLUMNS,
    ID_COLUMNS,
    SCHEMA_VERSION,
    SOURCE_TABLES,
    conform,
)
from dashboard.store.ddl import (
    SNAPSHOT_ADDED_COLUMNS,
    SOURCE_MIGRATIONS,
    SchemaError,
    ddl,
    migrate,
    schema_version,
)
from dashboard.store.gone_people import TABLES as GONE_TABLES
from dashboard.store.gone_people import record_gone
from dashboard.store.sql import ident

_GEN_PREFIX = "gen-"
# Derived tables rebuilt whole by the scoring job; their columns follow the scored frames.
MARTS = (
    "account_scores",
    "account_drivers",
    "renewal_rates",
    "churn_model",
    "snapshot_features",
    "warehouse_features",  # warehouse mode: the feature rows the warehouse computed
)
# Marts computed from the source rows alone (not from a scorecard): a writer that changes the
# source data drops them in the generation it builds, so none outlives the data it came from.
SOURCE_DERIVED_MARTS = ("snapshot_features", "warehouse_features")


class StoreError(RuntimeError):
    """A store operation failed; the message says what and where."""


class StaleDataError(StoreError):
    """A writer was built on data that changed since it was read (an import or an erasure
    published in between): what it computed would bring the old data back."""


_GEN_NAME = re.compile(r"^gen-\d{6,}\.duckdb$")
_OPEN_STORES: weakref.WeakSet[SourceStore] = weakref.WeakSet()
_REMEMBERED: dict[str, dict[tuple[str, str], Any]] = {}  # per folder: (generation, key) -> value
T = TypeVar("T")


@atexit.register
def _close_at_exit() -> None:
    """Close every reader and free what still holds a connection before the interpreter
    tears its modules down: DuckDB's bindings report connections alive at that point as
    "leaked instances" (noise after a clean run, and files left open)."""
    for store in list(_OPEN_STORES):
        store.close()
    gc.collect()


def _open(path: Path, *, read_only: bool) -> duckdb.DuckDBPyConnection:
    limit = get_settings().duckdb_memory_limit
    config = {"memory_limit": limit, "temp_directory": str(path.parent / "spill")} if limit else {}
    try:
        return duckdb.connect(str(path), read_only=read_only, config=config)
    except duckdb.Error as exc:
        raise StoreError(f"cannot open the store file {path}: {exc}") from exc


def _file_identity(path: Path) -> str:
    """The file's name, inode and change time: another file under the same name differs."""
    try:
        stat = path.stat()
    except OSError:
        return f"{path.name}:gone"
    return f"{path.name}:{stat.st_ino}:{stat.st_ctime_ns}"


def verify_tables(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Read every column of every table on ``con`` (DuckDB checks each block's checksum as it
    reads it); raises ``StoreError`` naming the damaged table."""
    tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
    for table in tables:
        try:
            con.execute(f"SELECT sum(hash(COLUMNS(*))) FROM {ident(table)}").fetchall()
        except duckdb.Error as exc:
            raise StoreError(
                f"the store file {path} is damaged (table {table}: "
                f"{str(exc).splitlines()[0]}). Nothing was changed. Run `tandem repair` to "
                "serve the newest generation that reads whole, or restore a backup."
            ) from exc


def verify_file(path: Path) -> None:
    """Read every block of a store file: the schema version, then every column of every
    table. Raises ``StoreError`` saying what is damaged; costs about a second per 10M rows."""
    con = _open(path, read_only=True)
    try:
        try:
            version = schema_version(con)
        except duckdb.Error as exc:
            raise StoreError(f"{path} is not a Tandem store: {exc}") from exc
        if version > SCHEMA_VERSION:
            raise SchemaError(f"{path} was made by a newer Tandem (v{version})")
        verify_tables(con, path)
    finally:
        con.close()


def copy_database(source: Path, target: Path) -> None:
    """Copy every table of the DuckDB file ``source`` into ``target``, rewritten table by
    table in one read transaction (a consistent copy, with no deleted rows' bytes)."""
    con = duckdb.connect()
    try:
        con.execute("ATTACH ? AS src (READ_ONLY)", [str(source)])
        con.execute("ATTACH ? AS dst", [str(target)])
        con.execute("COPY FROM DATABASE src TO dst")
    finally:
        con.close()


ANY = object()  # writer(): no expectation about the data version


def write_rows(
    con: duckdb.DuckDBPyConnection,
    table: str,
    incoming: str,
    mode: str,
    *,
    ids: str | None = None,
    period: tuple[dt.datetime, dt.datetime] | None = None,
    catalog: str | None = None,
    today: dt.date | None = None,
) -> int:
    """Write an import's valid rows (the relation ``incoming`` on ``con``, canonical columns)
    into a source table, in one transaction, as ``mode`` says: ``replace`` (the table
    becomes the rows), ``update`` (rows whose lower-cased id is in the relation ``ids``,
    column ``id``, are replaced; in a ``BY_ACCOUNT`` table, the rows of the accounts the
    relation names; in another table without ids, the rows of ``period``; the rest stay) or
    ``append`` (rows whose id is already stored are left as they are). ``catalog``: the
    generation's name when it is attached to ``con`` (None: ``con``'s own database).
    A contacts load in ``update`` or ``replace`` mode first records the stored people of the
    accounts it names whom it leaves out as gone from the CRM (``gone_people.record_gone``,
    dated ``today``, default the clock's). Returns the rows written."""
    id_column = ID_COLUMNS.get(table)
    date_column = DATE_COLUMNS.get(table)
    target = f"{ident(catalog)}.{ident(table)}" if catalog else ident(table)
    key = f"lower({ident(id_column)})" if id_column else ""
    con.execute("BEGIN")
    try:
        if table in BY_ACCOUNT and mode in ("update", "replace"):
            record_gone(con, target, incoming, today or clock.today(), catalog)
        if mode == "replace":
            # a new, empty table: the old rows' blocks are freed whole, with no deletion to
            # record row by row (much faster for millions of rows)
            con.execute(f"DROP TABLE {target}")
            con.execute(ddl(table, target))
        elif mode == "update" and id_column and ids is not None:
            con.execute(f"DELETE FROM {target} WHERE {key} IN (SELECT id FROM {ids})")
        elif mode == "update" and table in BY_ACCOUNT:
            con.execute(
                f"DELETE FROM {target} WHERE account_id IN (SELECT account_id FROM {incoming})"
            )
        elif mode == "update" and period is not None and date_column:
            con.execute(
                f"DELETE FROM {target} WHERE {ident(date_column)} BETWEEN ? AND ?", list(period)
            )
        keep_stored = (
            f" WHERE {key} NOT IN (SELECT {key} FROM {target})"
            if mode == "append" and id_column
            else ""
        )
        written = con.execute(
            f"INSERT INTO {target} BY NAME SELECT * FROM {incoming}{keep_stored}"
        ).fetchall()[0][0]
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return int(written)


class SourceWriter:
    """A connection to a generation being built; published only if the block succeeds."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        generation: str = "",
        base: str | None = None,
        path: Path | None = None,
    ) -> None:
        self.con = con
        self.path = path  # the file being built
        self.generation = generation  # the name this generation is published under
        self.base = base  # the generation published while it was built (None: none yet)
        self.sources_changed = False
        self.accounts_replaced = False
        self.adopted = False  # built from a file prepared ahead (``SourceStore.writer``)

    def _sources_changed(self) -> None:
        self.sources_changed = True
        for mart in SOURCE_DERIVED_MARTS:
            self.con.execute(f"DROP TABLE IF EXISTS {mart}")

    def data_version(self) -> str | None:
        """The version of the source data this generation holds (see ``SourceStore``)."""
        rows = self.con.execute("SELECT value FROM meta WHERE key = 'data_version'").fetchall()
        return rows[0][0] if rows else None

    def _finish(self) -> None:
        """Before publishing: when the source data changed, give it a new version and drop
        the scores and snapshots of accounts that are no longer there."""
        if not self.sources_changed:
            return
        self.set_meta("data_version", uuid.uuid4().hex)
        if self.accounts_replaced:  # confirmed by whoever replaced them (the load's impact)
            for child in CHILD_TABLES:
                self.con.execute(
                    f"DELETE FROM {child} WHERE account_id NOT IN (SELECT account_id FROM accounts)"
                )
            for table in GONE_TABLES:  # who left an account that is no longer there
                if self.has_table(table):
                    self.con.execute(
                        f"DELETE FROM {table} WHERE account_id NOT IN "
                        "(SELECT account_id FROM accounts)"
                    )
        for table in ("account_scores", "account_drivers", "score_snapshots"):
            if self.has_table(table):
                self.con.execute(
                    f"DELETE FROM {table} WHERE account_id NOT IN (SELECT account_id FROM accounts)"
                )

    @contextlib.contextmanager
    def _incoming(self, frame: pl.DataFrame | pa.RecordBatchReader) -> Iterator[None]:
        """``frame`` visible to SQL as ``_incoming`` for the duration of the block."""
        data = frame if isinstance(frame, pa.RecordBatchReader) else frame.to_arrow()
        self.con.register("_incoming", data)
        try:
            yield
        finally:
            with contextlib.suppress(duckdb.Error):
                self.con.unregister("_incoming")

    def replace_table(
        self, table: str, frame: pl.DataFrame | pl.LazyFrame | pa.RecordBatchReader
    ) -> int:
        """Replace the whole contents of ``table`` in one transaction; return the row count.

        A record-batch reader (already canonical: the import's valid rows) streams straight
        in. On any failure the previous contents stay, whole, and the error is raised.
        """
        data = frame.collect() if isinstance(frame, pl.LazyFrame) else frame
        if table in SOURCE_TABLES and isinstance(data, pl.DataFrame):
            data = conform(table, data)
        with self._incoming(data):
            self.con.execute("BEGIN")
            try:
                self.con.execute(f"DELETE FROM {table}")
                self.con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _incoming")
                self.con.execute("COMMIT")
            except BaseException:
                self.con.execute("ROLLBACK")
                raise
        if table in SOURCE_TABLES:
            self._sources_changed()
        if isinstance(data, pa.RecordBatchReader):
            return int(self.con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])
        return data.height

    def load_rows(
        self,
        table: str,
        rows: pa.RecordBatchReader,
        mode: str,
        *,
        ids: pa.Table | None = None,
        period: tuple[dt.datetime, dt.datetime] | None = None,
    ) -> int:
        """Write an import's valid rows (``write_rows``) from a record-batch reader; ``ids``:
        the lower-cased ids an ``update`` replaces (column ``id``)."""
        with self._incoming(rows):
            if ids is not None:
                self.con.register("_incoming_ids", ids)
            try:
                written = write_rows(
                    self.con,
                    table,
                    "_incoming",
                    mode,
                    ids="_incoming_ids" if ids is not None else None,
                    period=period,
                )
            finally:
                if ids is not None:
                    with contextlib.suppress(duckdb.Error):
                        self.con.unregister("_incoming_ids")
        self.rows_loaded(table, mode)
        return written

    def rows_loaded(self, table: str, mode: str) -> None:
        """Note that ``table``'s rows changed (``write_rows`` run by whichever engine)."""
        self._sources_changed()
        if table == "accounts" and mode == "replace":
            self.accounts_replaced = True

    @contextlib.contextmanager
    def handed_over(self) -> Iterator[Path]:
        """The generation's file for another engine of this process to write (``ATTACH``
        it, write, ``DETACH``) while this writer's connection is closed; reopened after.
        The rows then go from the engine that holds them straight into the file, with all
        its threads, and are never converted on the way."""
        if self.path is None:
            raise StoreError("this writer has no file to hand over")
        self.con.execute("CHECKPOINT")
        self.con.close()
        try:
            yield self.path
        finally:
            self.con = _open(self.path, read_only=False)

    def replace_mart(self, name: str, frame: pl.DataFrame) -> int:
        """Replace a derived table (scores, drivers) whose columns follow the frame."""
        if name not in MARTS:
            raise StoreError(f"unknown mart {name!r}")
        with self._incoming(frame):
            self.con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM _incoming")
        return frame.height

    def append(self, table: str, frame: pl.DataFrame) -> int:
        """Append ``frame`` to ``table`` (by column name) in one statement."""
        with self._incoming(frame):
            self.con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _incoming")
        if table in SOURCE_TABLES:
            self._sources_changed()
        return frame.height

    def set_meta(self, key: str, value: str) -> None:
        self.con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [key, value])

    def replace_snapshot_days(self, frame: pl.DataFrame) -> int:
        """Replace the kept score snapshots of the days in ``frame`` with its rows."""
        days = frame["as_of"].unique().to_list()
        for column, kind in SNAPSHOT_ADDED_COLUMNS.items():  # a store made before them
            self.con.execute(
                f"ALTER TABLE score_snapshots ADD COLUMN IF NOT EXISTS {column} {kind}"
            )
        self.con.execute(
            "DELETE FROM score_snapshots WHERE as_of IN (SELECT unnest(?::DATE[]))", [days]
        )
        with self._incoming(frame):
            self.con.execute("INSERT INTO score_snapshots BY NAME SELECT * FROM _incoming")
        return frame.height

    def has_table(self, name: str) -> bool:
        """True when the generation being built has a table called ``name``."""
        return bool(
            self.query(
                "SELECT count(*) AS n FROM information_schema.tables WHERE table_name = ?", [name]
            )["n"][0]
        )

    def record_load(self, table: str, source: str, rows: int, mapping: str | None = None) -> None:
        """Note in ``loads`` where a table's contents came from."""
        self.con.execute(
            "INSERT INTO loads VALUES (?, ?, ?, ?, ?)",
            [table, source, clock.utcnow(), rows, mapping],
        )

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        """Any statement; counted as a change to the source data."""
        self.con.execute(sql, params or [])
        self._sources_changed()

    def query(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> pl.DataFrame:
        return self.con.sql(sql, params=params or None).pl()


class SourceStore:
    """Opens the published generation for reading and builds new ones for writing."""

    def __init__(self, data_dir: Path, keep_generations: int = 3, *, create: bool = True) -> None:
        """``create=False`` opens a store for reading only if it exists: nothing is created
        or migrated under the folder (a dry run)."""
        self.root = Path(data_dir) / "sources"
        self.create = create
        if create:
            self.root.mkdir(parents=True, exist_ok=True)
        self.keep_generations = keep_generations
        self._lock = threading.Lock()
        # the open reader and the identity of the file it reads (a name can come back: a
        # workspace that moved aside leaves the folder to a new store counting from 1)
        self._reader: tuple[str, duckdb.DuckDBPyConnection] | None = None
        _OPEN_STORES.add(self)

    # -- publication -------------------------------------------------------------------------
    @property
    def _pointer(self) -> Path:
        return self.root / "CURRENT"

    def current_path(self) -> Path | None:
        """The published generation's file, or None before the first write.

        The pointer rule: when generations exist but ``CURRENT`` is missing, unreadable or
        names no generation, nothing may guess which one is served. Reading, writing, building
        a demo and pruning all stop here with a ``StoreError`` that says what to do.
        """
        try:
            name = self._pointer.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            if self._generations():
                raise StoreError(self._pointer_message("is missing")) from None
            return None
        except (OSError, UnicodeDecodeError) as exc:
            raise StoreError(self._pointer_message(f"cannot be read ({exc})")) from exc
        if not _GEN_NAME.match(name):
            raise StoreError(self._pointer_message(f"does not name a generation ({name[:40]!r})"))
        path = self.root / name
        if not path.exists():
            raise StoreError(self._pointer_message(f"names {name}, which does not exist"))
        return path

    @property
    def repair_command(self) -> str:
        """The command that repairs this store (the demo's workspace has its own flag)."""
        return "tandem repair --demo" if self.root.parent.name == "demo" else "tandem repair"

    def _pointer_message(self, problem: str) -> str:
        gens = [p.name for p in self._generations()]
        return (
            f"the pointer {self._pointer} {problem}, but {len(gens)} generation(s) of data are "
            f"there ({', '.join(gens[-3:])}). Nothing was changed or removed. Run "
            f"`{self.repair_command}` to point it at the newest generation that reads whole, or "
            f"write the name of the generation to serve into {self._pointer.name}."
        )

    def repair(self) -> Path | None:
        """Point ``CURRENT`` at the newest generation that opens and reads whole (every
        table scanned); return it, or None when none does. Nothing is removed."""
        with self.write_lock():
            for path in reversed(self._generations()):
                try:
                    verify_file(path)
                except StoreError:
                    continue
                self._point_at(path)
                return path
        return None

    def _point_at(self, target: Path) -> None:
        tmp_pointer = self._pointer.with_suffix(".tmp")
        tmp_pointer.write_text(target.name)
        os.replace(tmp_pointer, self._pointer)

    def _generations(self) -> list[Path]:
        return sorted(self.root.glob(f"{_GEN_PREFIX}*.duckdb"))

    def kept_generation(self, name: str) -> Path | None:
        """The file of the generation called ``name`` while it is kept (None once pruned)."""
        path = self.root / name
        return path if _GEN_NAME.match(name) and path.exists() else None

    def query_generation(self, path: Path, sql: str) -> pl.DataFrame:
        """A read query on a kept generation that is not (or not yet) the published one."""
        con = _open(path, read_only=True)
        try:
            return con.sql(sql).pl()
        finally:
            con.close()

    def _next_path(self) -> Path:
        gens = self._generations()
        last = int(gens[-1].stem.removeprefix(_GEN_PREFIX)) if gens else 0
        return self.root / f"{_GEN_PREFIX}{last + 1:06d}.duckdb"

    @contextlib.contextmanager
    def writer(
        self,
        *,
        expect_data_version: str | object | None = ANY,
        start_from: Callable[[Path | None], Path | None] | None = None,
        build_in: Path | None = None,
        adopt: tuple[Path, str] | None = None,
    ) -> Iterator[SourceWriter]:
        """Build the next generation from the current one; publish it if the block succeeds.

        Writers from all processes are serialised by a lock file. Readers keep reading the
        current generation throughout and switch to the new one on their next query.
        ``expect_data_version`` (from ``data_version()`` before the work began) makes the
        writer refuse, with ``StaleDataError``, when the source data changed since: a refresh
        that scored data an import or an erasure has replaced publishes nothing.
        ``start_from`` (an undo) is called under the lock with the published generation and
        returns the kept generation to build from instead (None: an empty store); what it
        raises stops the writer with nothing published. ``build_in`` (an import's own
        folder) is where the file is built, so that the import's engine, which may write
        only there, can write its rows into it (``SourceWriter.handed_over``); it is moved
        into the store when published. ``adopt`` (an import's file from ``prebuild`` and the
        identity it returned) is the file to build on, moved rather than copied, when the
        published generation is still the one it was copied from (``writer.adopted``);
        else the writer copies the published one as usual.
        """
        with self.write_lock():
            with self._new_generation(build_in) as building:
                current = self.current_path()
                source = current if start_from is None else start_from(current)
                adopted = False
                if (
                    adopt is not None
                    and start_from is None
                    and current is not None
                    and _file_identity(current) == adopt[1]
                    and not Path(str(adopt[0]) + ".wal").exists()
                ):
                    with contextlib.suppress(OSError):  # another file system: copied below
                        os.replace(adopt[0], building)
                        adopted = True
                if source is not None and not adopted:
                    shutil.copyfile(source, building)
                con = _open(building, read_only=False)
                writer: SourceWriter | None = None
                try:
                    migrate(con, SOURCE_MIGRATIONS)
                    writer = SourceWriter(
                        con, building.stem + ".duckdb", current.name if current else None, building
                    )
                    writer.adopted = adopted
                    found = writer.data_version()
                    if expect_data_version is not ANY and found != expect_data_version:
                        raise StaleDataError(
                            "the source data changed while this was computed (an import or an "
                            "erasure was published meanwhile); nothing was published"
                        )
                    yield writer
                    writer._finish()
                    writer.con.execute("CHECKPOINT")
                finally:
                    con.close()
                    if writer is not None:
                        writer.con.close()  # its own, reopened after a hand-over
            self._prune()

    def prebuild(self, dest: Path) -> str | None:
        """Copy the published generation to ``dest`` (migrated to this schema) for an import
        to write into while it is checked; returns the identity of the generation copied,
        which ``writer(adopt=...)`` compares (None: there is none, nothing copied). A
        published generation never changes, so the copy needs no lock."""
        current = self.current_path()
        if current is None:
            return None
        identity = _file_identity(current)
        try:
            shutil.copyfile(current, dest)
        except FileNotFoundError:  # pruned meanwhile: the load copies as usual
            return None
        if _file_identity(current) != identity:
            dest.unlink(missing_ok=True)
            return None
        con = _open(dest, read_only=False)
        try:
            migrate(con, SOURCE_MIGRATIONS)
            con.execute("CHECKPOINT")
        finally:
            con.close()
        return identity

    @contextlib.contextmanager
    def write_lock(self) -> Iterator[None]:
        """One writer at a time, across processes (a lock file)."""
        self.root.mkdir(parents=True, exist_ok=True)
        lock_file = (self.root / ".write.lock").open("w")
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)
            lock_file.close()

    @contextlib.contextmanager
    def _new_generation(self, build_in: Path | None = None) -> Iterator[Path]:
        """The file the next generation is built in (call under the write lock): published in
        one atomic step if the block succeeds, removed with its WAL if it fails. Built in
        ``build_in`` (another folder), it is moved beside the store first (copied, then
        renamed, when that folder is on another file system)."""
        target = self._next_path()
        building = target.with_suffix(".building")
        for leftover in self.root.glob("*.building*"):
            leftover.unlink()
        built = building if build_in is None else Path(build_in) / building.name
        try:
            yield built
            if built != building:
                try:
                    os.replace(built, building)
                except OSError:  # another file system: a copy, renamed in one step below
                    shutil.copyfile(built, building)
                    built.unlink()
        except BaseException:
            for partial in [
                *self.root.glob(building.name + "*"),
                *built.parent.glob(built.name + "*"),
            ]:
                partial.unlink(missing_ok=True)
            raise
        os.replace(building, target)
        self._point_at(target)

    def compact(self) -> Path | None:
        """Publish a copy of the current generation rewritten table by table into a fresh
        file (deleted rows leave no bytes behind), then remove every older generation.
        Used after an erasure request; returns the new generation's file."""
        with self.write_lock():
            current = self.current_path()
            if current is None:
                return None
            with self._new_generation() as building:
                copy_database(current, building)
            published = self.current_path()
            for old in self._generations():
                if old != published:
                    with contextlib.suppress(FileNotFoundError):
                        old.unlink()
            return published

    def _prune(self) -> None:
        """Remove the oldest generations beyond ``keep_generations``; never the published
        one nor any newer (the pointer is read first: an unreadable one prunes nothing)."""
        current = self.current_path()
        if current is None:
            return
        older = [g for g in self._generations() if g.name < current.name]
        for old in older[: max(0, len(older) - (self.keep_generations - 1))]:
            with contextlib.suppress(FileNotFoundError):
                old.unlink()

    # -- reading -----------------------------------------------------------------------------
    def _connection(self) -> duckdb.DuckDBPyConnection:
        """The read-only connection to the published generation, reopened when a newer one
        is published (and after migrating an older file's schema)."""
        for _ in range(10):
            path = self.current_path()
            if path is None:
                if not self.create:
                    raise StoreError(f"there is no store in {self.root.parent}")
                with self.writer():
                    pass  # publish an empty, migrated generation
                continue
            identity = _file_identity(path)
            with self._lock:
                if self._reader is not None and self._reader[0] == identity:
                    return self._reader[1]
                try:
                    con = _open(path, read_only=True)
                except StoreError:
                    if path.exists() or self.current_path() == path:
                        raise
                    continue  # pruned between reading the pointer and opening it: reread
                # a reader sees this generation only: no other file, no ATTACH, no URL
                con.execute("SET enable_external_access = false")
                try:
                    version = schema_version(con)
                except duckdb.Error as exc:
                    raise StoreError(f"{path} is not a Tandem store: {exc}") from exc
                if version == SCHEMA_VERSION:
                    self._reader = (identity, con)
                    return con
                con.close()
                if version > SCHEMA_VERSION:
                    raise SchemaError(f"{path} was made by a newer Tandem (v{version})")
                if not self.create:
                    raise StoreError(
                        f"{path} has an older schema (v{version}): run `tandem refresh` once"
                    )
            with self.writer():
                pass  # an older schema: the writer migrates the copy it builds
        raise StoreError(f"the published generation in {self.root} keeps changing; try again")

    def close(self) -> None:
        """Close the reader connection (the next query opens the published generation again)."""
        with self._lock:
            if self._reader is not None:
                self._reader[1].close()
                self._reader = None

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor of its own on the published generation (one per query or thread)."""
        return self._connection().cursor()

    def query(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> pl.DataFrame:
        """Run a read query on the published generation and return a Polars frame."""
        cur = self.cursor()
        try:
            return cur.sql(sql, params=params or None).pl()
        finally:
            cur.close()

    def scalar(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        """The first value of the first row of a read query (None when no rows)."""
        cur = self.cursor()
        try:
            rows = cur.execute(sql, params or []).fetchall()
        finally:
            cur.close()
        return rows[0][0] if rows else None

    def generation(self) -> str | None:
        """The published generation's name (changes on every write)."""
        path = self.current_path()
        return path.name if path else None

    def identity(self) -> str:
        """A cache key for what is published: the generation's name and the identity of its
        file, so a folder that started over (same names, other files) never reuses a key."""
        path = self.current_path()
        return _file_identity(path) if path else "empty"

    def remembered(self, key: str, compute: Callable[[], T]) -> T:
        """``compute()`` once per published generation: what every page run asks (is the
        store empty, are its scores current) costs one query per generation, not per run.
        A publish changes the identity, so the next call computes again."""
        slot = (self.identity(), key)
        memo = _REMEMBERED.setdefault(str(self.root), {})
        if slot not in memo:
            if len(memo) > 64:
                memo.clear()
            memo[slot] = compute()
        return memo[slot]

    def has_table(self, name: str) -> bool:
        """True when the published generation has a table called ``name``."""
        return bool(
            self.scalar(
                "SELECT count(*) AS n FROM information_schema.tables WHERE table_name = ?", [name]
            )
        )

    def row_count(self, table: str) -> int:
        if table not in SOURCE_TABLES and table not in ("score_snapshots", "loads"):
            raise StoreError(f"unknown table {table!r}")
        return int(self.scalar(f"SELECT count(*) FROM {table}"))

    def verify(self) -> None:
        """Check that the published generation reads whole (``verify_file``)."""
        path = self.current_path()
        if path is not None:
            verify_file(path)

    def data_version(self) -> str | None:
        """The version of the published source data: a new one whenever an import, a
        connector reload or an erasure changes a source table (scoring alone keeps it)."""
        if self.current_path() is None:
            return None
        return self.scalar("SELECT max(value) FROM meta WHERE key = 'data_version'")

    def is_empty(self) -> bool:
        """True while no accounts are loaded (asked on every page run: once per generation)."""
        if self.current_path() is None:
            return True
        return self.remembered("is_empty", lambda: self.row_count("accounts") == 0)
