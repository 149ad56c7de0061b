"""The app store: what people type into Tandem (scorecards, handoffs, sync notes, mappings,
audit log). It lives in its own DuckDB file, so no rebuild of the source data can touch it.

Connections are short-lived: each operation opens the file, does its work in one transaction
and closes it, so the web app and the nightly job (another process) can both use it. A process
that finds the file locked by another one retries for a few seconds.

Opening the file costs about 15 ms, so reads are kept per process, keyed by the query, its
values and the file's signature (modification time and size of the file and its WAL, and a
count of this process's writes): any committed write, here or in another process, changes
the signature, and the next read goes to the file.
"""

from __future__ import annotations

import contextlib
import errno
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from dashboard.store.ddl import APP_MIGRATIONS, migrate
from dashboard.store.sources import StoreError, verify_tables

_LOCK_RETRY_SECONDS = 30.0
# DuckDB races when two threads of one process open and close the same file read-write at
# once ("Unique file handle conflict"). Every AppStore on one file shares one lock, so the
# sessions of the web app (threads) take turns; other processes are kept out by DuckDB's
# file lock, which _connect waits for.
_FILE_LOCKS: dict[Path, threading.Lock] = {}
_FILE_LOCKS_GUARD = threading.Lock()


def _file_lock(path: Path) -> threading.Lock:
    with _FILE_LOCKS_GUARD:
        return _FILE_LOCKS.setdefault(path, threading.Lock())


_READS: OrderedDict[tuple[Any, ...], tuple[tuple[Any, ...], pl.DataFrame]] = OrderedDict()
_READS_KEPT = 512
_READS_GUARD = threading.Lock()  # the kept reads of every file (one per organisation)
_WRITES: dict[Path, int] = {}  # committed transactions per file, in this process


def disk_full(exc: BaseException) -> bool:
    """True when ``exc`` (or what caused it) says the disk is full."""
    while exc is not None:
        if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
            return True
        if "no space left" in str(exc).lower() or "disk is full" in str(exc).lower():
            return True
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return False


def _stat(path: Path) -> tuple[int, int]:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return (0, 0)
    return (st.st_mtime_ns, st.st_size)


class AppStore:
    def __init__(self, data_dir: Path) -> None:
        Path(data_dir).mkdir(parents=True, exist_ok=True)
        self.path = Path(data_dir) / "app.duckdb"
        self._key = self.path.resolve()  # one lock, one count of writes, per file
        self._lock = _file_lock(self._key)
        self._held: tuple[int, duckdb.DuckDBPyConnection] | None = None
        with self._lock, self._connect() as con:
            migrate(con, APP_MIGRATIONS)  # a no-op on a file of this version

    @contextmanager
    def held(self) -> Iterator[None]:
        """Keep one read-write connection open for a batch of operations of this thread (the
        demo's seeded history: some forty transactions, each of which would otherwise open the
        file and checkpoint it on close). Other threads and processes open the file as usual."""
        with self._lock:
            con = duckdb.connect(str(self.path))
        self._held = (threading.get_ident(), con)
        try:
            yield
        finally:
            self._held = None
            with self._lock:
                con.close()

    @contextmanager
    def _connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        held = self._held
        if held is not None and held[0] == threading.get_ident():
            yield held[1]  # this thread's batch keeps its connection open
            return
        deadline = time.monotonic() + _LOCK_RETRY_SECONDS
        fresh = not self.path.exists()  # moved away (a workspace move) or never created
        if fresh:
            read_only = False
        while True:
            try:
                con = duckdb.connect(str(self.path), read_only=read_only)
                break
            except duckdb.ConnectionException as exc:
                if not read_only:
                    raise StoreError(f"cannot open the app store {self.path}: {exc}") from exc
                # this process has the file open read-write right now: read the same way
                read_only = False
            except (duckdb.IOException, duckdb.ResourceInUseException) as exc:
                # held by another process, or (ResourceInUse) still being closed here
                transient = "lock" in str(exc).lower() or isinstance(
                    exc, duckdb.ResourceInUseException
                )
                if not transient or time.monotonic() > deadline:
                    raise StoreError(f"cannot open the app store {self.path}: {exc}") from exc
                time.sleep(0.05)
            except duckdb.Error as exc:
                raise StoreError(f"{self.path} is not a Tandem app store: {exc}") from exc
        try:
            if fresh:
                migrate(con, APP_MIGRATIONS)
            yield con
        finally:
            con.close()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One transaction on the app store: committed if the block succeeds, else rolled back."""
        with self._lock, self._connect() as con:
            con.execute("BEGIN")
            try:
                yield con
                con.execute("COMMIT")
            except BaseException as exc:
                with contextlib.suppress(duckdb.Error):  # a failed COMMIT left none to undo
                    con.execute("ROLLBACK")
                if disk_full(exc):
                    raise StoreError(
                        f"could not save to {self.path}: the disk is full. Nothing was "
                        "written; free some space and try again"
                    ) from exc
                raise
            finally:
                _WRITES[self._key] = _WRITES.get(self._key, 0) + 1

    def signature(self) -> tuple[Any, ...]:
        """Changes whenever a write is committed to the file, here or in another process."""
        return self._signature()

    def _signature(self) -> tuple[Any, ...]:
        wal = self.path.with_name(self.path.name + ".wal")
        return (_stat(self.path), _stat(wal), _WRITES.get(self._key, 0))

    def query(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> pl.DataFrame:
        """A read, on a read-only connection (readers in several processes share the file),
        or the same read kept from before when the file has not changed since."""
        with self._lock:
            key, signature = (self._key, sql, repr(params)), self._signature()
            with _READS_GUARD:
                kept = _READS.get(key)
                if kept is not None and kept[0] == signature:
                    _READS.move_to_end(key)
                    return kept[1].clone()
            with self._connect(read_only=True) as con:
                result = con.sql(sql, params=params or None).pl()
            with _READS_GUARD:  # one entry per query: a changed file replaces it
                _READS[key] = (signature, result)
                _READS.move_to_end(key)
                while len(_READS) > _READS_KEPT:
                    _READS.popitem(last=False)
            return result.clone()

    def verify(self) -> None:
        """Read every block of the app store (it is small): a damaged file is found at
        start-up, with a message, instead of as a traceback on the page that reads it."""
        with self._lock, self._connect(read_only=True) as con:
            try:
                verify_tables(con, self.path)
            except StoreError as exc:
                raise StoreError(
                    str(exc).replace(
                        "Run `tandem repair` to serve the newest generation "
                        "that reads whole, or restore a backup.",
                        "Restore app.duckdb from a backup (tandem backup).",
                    )
                ) from exc
