"""An import: files staged in an in-memory DuckDB, validated against their mappings, its
impact on the stored tables shown, then — only when nothing is blocked and what needs a yes
got one — loaded into the store in one published generation.

The staging engine sees only the import's own folder and the files it was given: file
access beyond them is switched off, and its memory, threads and spill folder are fixed and
locked before any file is read. A mapping's SQL runs on another connection that sees only the
staged tables, with a time, memory and thread limit it cannot raise.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path

import duckdb
import polars as pl

from dashboard.ingest.impact import (
    ImportRefused,
    LoadMode,
    TableImpact,
    compute_impacts,
    incoming_view,
    refusals,
)
from dashboard.ingest.limits import Limits, limits_from_settings
from dashboard.ingest.mapping import Mapping
from dashboard.ingest.readers import (
    FileError,
    StagedFile,
    create_table,
    stage_file,
    stage_frame,
    view_name,
)
from dashboard.ingest.validate import Context, Prepared, distinct_values, prepare
from dashboard.schema import ID_COLUMNS, SOURCE_TABLES
from dashboard.store import Stores
from dashboard.store.imports import stored_accounts
from dashboard.store.sources import SourceStore
from dashboard.store.sql import ident, literal

LOAD_ORDER = list(SOURCE_TABLES)  # accounts first: children are checked against them


def staging_connection(
    folder: Path, files: Sequence[Path], limits: Limits
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB that can read only ``folder`` and ``files``, with its memory,
    threads and spill folder set, then locked."""
    con = duckdb.connect()
    (folder / "spill").mkdir(exist_ok=True)
    allowed_dirs = [str(folder.resolve()) + "/"]
    allowed_files = [str(Path(f).resolve()) for f in files]
    con.execute(f"SET allowed_directories = [{', '.join(literal(d) for d in allowed_dirs)}]")
    if allowed_files:
        con.execute(f"SET allowed_paths = [{', '.join(literal(f) for f in allowed_files)}]")
    con.execute(f"SET temp_directory = {literal(str(folder / 'spill'))}")
    con.execute(f"SET memory_limit = '{limits.staging_memory_mb}MB'")
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    return con


class ImportSession:
    """Holds the staged files of one import (one browser session or one CLI run)."""

    def __init__(self, limits: Limits | None = None, files: Sequence[Path] = ()) -> None:
        self.limits = limits or limits_from_settings()
        self._dir = Path(tempfile.mkdtemp(prefix="tandem-import-"))
        self.con = staging_connection(self._dir, files, self.limits)
        self.files: dict[str, StagedFile] = {}

    def close(self) -> None:
        self.con.close()
        shutil.rmtree(self._dir, ignore_errors=True)

    def save_upload(self, name: str, data: bytes) -> Path:
        """Keep uploaded bytes as a file in the session's own folder."""
        path = self._dir / Path(name).name
        path.write_bytes(data)
        return path

    def add(self, name: str, data: bytes | Path, sheet: str | None = None) -> StagedFile:
        """Stage a file (uploaded bytes or a path); raises ``FileError`` for a bad file."""
        if isinstance(data, bytes):
            path = self.save_upload(name, data)
        else:
            path = Path(data)
            if not path.exists():
                raise FileError(f"{name}: no such file")
        staged = stage_file(self.con, name, path, self.limits, self._dir, sheet)
        self.files[staged.view] = staged
        return staged

    def add_frame(self, name: str, frame: pl.DataFrame) -> StagedFile:
        """Stage an already read frame (a database table) under ``name``."""
        staged = stage_frame(self.con, name, frame, self.limits)
        self.files[staged.view] = staged
        return staged

    def distinct_values(self, view: str, column: str, limit: int = 31) -> list[str]:
        """Distinct values of a staged file's column (for the value maps on screen)."""
        if view not in self.files or column not in self.files[view].columns:
            return []
        return distinct_values(self.con, view, column, limit)

    def _query_source(self, mapping: Mapping, name: str) -> str:
        """Run a mapping's SQL on a separate connection that sees only the staged files,
        cannot touch the file system and runs under the query limits; stage its result."""
        sandbox = duckdb.connect()
        sandbox.execute(f"SET memory_limit = '{self.limits.query_memory_mb}MB'")
        sandbox.execute(f"SET threads = {self.limits.query_threads}")
        sandbox.execute("SET enable_external_access = false")
        sandbox.execute("SET lock_configuration = true")
        timer = threading.Timer(self.limits.query_seconds, sandbox.interrupt)
        try:
            for view in self.files:
                sandbox.register(
                    view, self.con.sql(f"SELECT * FROM {ident(view)}").to_arrow_table()
                )
            timer.start()
            try:
                relation = sandbox.sql(mapping.query or "")
                if relation is None:
                    raise FileError(f"{name}: the mapping's query returns no rows (not a SELECT)")
                result = relation.limit(self.limits.max_rows + 1).to_arrow_table()
            except duckdb.InterruptException as exc:
                raise FileError(
                    f"{name}: the mapping's query ran over its time limit of "
                    f"{self.limits.query_seconds:g} s (setting TANDEM_QUERY_SECONDS)"
                ) from exc
            except duckdb.OutOfMemoryException as exc:
                raise FileError(
                    f"{name}: the mapping's query ran over its memory limit of "
                    f"{self.limits.query_memory_mb:,} MB (setting TANDEM_QUERY_MEMORY_MB)"
                ) from exc
            except duckdb.Error as exc:
                raise FileError(
                    f"{name}: the mapping's query failed: {str(exc).splitlines()[0]}"
                ) from exc
        finally:
            timer.cancel()
            sandbox.close()
        if result.num_rows > self.limits.max_rows:
            raise FileError(
                f"{name}: the mapping's query returns more than {self.limits.max_rows:,} rows "
                "(setting TANDEM_MAX_ROWS)"
            )
        target = f"__query_{mapping.table}"
        create_table(self.con, target, result)
        return target

    def prepare(
        self,
        plan: list[tuple[Mapping, str | None]],
        store: SourceStore | Stores | None,
        today: dt.date,
        mode: LoadMode = LoadMode.UPDATE,
    ) -> list[Prepared]:
        """Validate each (mapping, file view or None for a query mapping), accounts first.

        Child rows are checked against the accounts the store will hold after the load:
        this import's accounts and (unless it replaces them) the stored ones. ``store`` is
        the workspace the import writes into (None: an empty one).
        """
        store = store.sources if isinstance(store, Stores) else store
        ordered = sorted(plan, key=lambda item: LOAD_ORDER.index(item[0].table))
        known = "__known_accounts"
        stored = stored_accounts(store) if store and store.current_path() else None
        imports_accounts = any(m.table == "accounts" for m, _ in plan)
        keep_stored = stored is not None and not (imports_accounts and mode is LoadMode.REPLACE)
        base = stored.select("account_id") if keep_stored and stored is not None else None
        create_table(
            self.con,
            known,
            (
                base
                if base is not None
                else pl.DataFrame({"account_id": []}, schema={"account_id": pl.String})
            ).to_arrow(),  # fmt: skip
        )
        prepared: list[Prepared] = []
        seen_ids: dict[str, str] = {}
        for mapping, view in ordered:
            name = self.files[view].name if view else f"query for {mapping.table}"
            staged = self.files.get(view or "")
            try:
                source = self._query_source(mapping, name) if mapping.query else ident(view or "")
            except FileError as exc:
                prepared.append(
                    Prepared(table=mapping.table, source=name, mapping=mapping, errors=[str(exc)])
                )
                continue
            ctx = Context(
                today=today,
                limits=self.limits,
                known_accounts=known,
                earlier_ids=seen_ids.get(mapping.table),
                first_row=staged.first_row if staged else 1,
                skipped=tuple(staged.skipped()) if staged else (),
            )
            result = prepare(self.con, source, name, mapping, ctx, view or f"query_{mapping.table}")
            if staged is not None and staged.bad_lines is not None:
                result.notes.append(
                    f"{staged.bad_lines.height} line(s) could not be read as rows; they are "
                    "listed with the rejects"
                )
                bad = staged.bad_lines.select(
                    pl.col("line").cast(pl.Int64).alias("row"),
                    pl.concat_str(
                        pl.lit("line "), pl.col("line").cast(pl.String), pl.lit(": "),
                        pl.col("reason"),
                    ).alias("reasons"),
                )  # fmt: skip
                result.rejects = pl.concat([bad, result.rejects], how="diagonal_relaxed").sort(
                    "row"
                )
                result.total_rows += staged.bad_lines.height
            if result.ok:
                id_column = ID_COLUMNS.get(mapping.table)
                if id_column:
                    ids = f"__ids_{mapping.table}"
                    union = f"SELECT id FROM {ids} UNION ALL " if mapping.table in seen_ids else ""
                    self.con.execute(
                        f"CREATE OR REPLACE TABLE {ids} AS {union}"
                        f"SELECT {ident(id_column)} AS id FROM {ident(result.valid_view)}"
                    )
                    seen_ids[mapping.table] = ids
                if mapping.table == "accounts":
                    self.con.execute(
                        f"INSERT INTO {known} SELECT account_id FROM {ident(result.valid_view)}"
                    )
            prepared.append(result)
        return prepared

    def impact(
        self, prepared: list[Prepared], store: SourceStore | Stores | None, mode: LoadMode
    ) -> list[TableImpact]:
        """What loading the valid rows would do to each stored table (nothing is written)."""
        store = store.sources if isinstance(store, Stores) else store
        if store is not None and store.current_path() is None:
            store = None
        return compute_impacts(self.con, prepared, store, mode, self.limits)

    def load(
        self,
        stores: Stores,
        prepared: list[Prepared],
        impacts: list[TableImpact],
        label: str,
        *,
        confirmed: bool = False,
    ) -> dict[str, int]:
        """Write every table's valid rows in one published generation: all or none.
        Refused (``ImportRefused``, nothing written) when a source has errors, a table is
        blocked, or a table's impact needs a confirmation that was not given."""
        if any(not p.ok for p in prepared):
            raise FileError("fix the errors above first: nothing was loaded")
        refused = refusals(impacts, confirmed)
        if refused:
            raise ImportRefused("nothing was loaded: " + "; ".join(refused))
        counts: dict[str, int] = {}
        mapping_of = {p.table: p.mapping.model_dump_json() for p in prepared}
        with stores.sources.writer() as writer:
            for impact in sorted(impacts, key=lambda i: LOAD_ORDER.index(i.table)):
                view = incoming_view(impact.table)
                id_column = ID_COLUMNS.get(impact.table)
                ids = (
                    self.con.sql(
                        f"SELECT DISTINCT lower({ident(id_column)}) AS id FROM {ident(view)}"
                    ).to_arrow_table()
                    if id_column and impact.mode is LoadMode.UPDATE
                    else None
                )
                cursor = self.con.cursor()  # the rows stream while this connection goes on
                try:
                    rows = cursor.sql(f"SELECT * FROM {ident(view)}").to_arrow_reader()
                    counts[impact.table] = writer.load_rows(
                        impact.table, rows, impact.mode, ids=ids, period=impact.period
                    )
                finally:
                    cursor.close()
                writer.record_load(
                    impact.table,
                    f"{label}: {', '.join(impact.sources)} ({impact.mode.value})",
                    counts[impact.table],
                    mapping_of.get(impact.table),
                )
        return counts


__all__ = ["FileError", "ImportRefused", "ImportSession", "LoadMode", "view_name"]
