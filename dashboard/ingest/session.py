"""An import: files staged in an in-memory DuckDB, validated against their mappings, then —
only when the user confirms — loaded into the store in one transaction and rescored."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from pathlib import Path

import duckdb
import polars as pl

from dashboard.ingest.mapping import Mapping
from dashboard.ingest.readers import (
    FileError,
    StagedFile,
    create_table,
    stage_file,
    stage_frame,
    view_name,
)
from dashboard.ingest.validate import Prepared, ident, prepare
from dashboard.schema import SOURCE_TABLES
from dashboard.store import Stores

LOAD_ORDER = list(SOURCE_TABLES)  # accounts first: children are checked against them


class ImportSession:
    """Holds the staged files of one import (one browser session or one CLI run)."""

    def __init__(self, limit_mb: int = 500) -> None:
        self.limit_mb = limit_mb
        self.con = duckdb.connect()
        self.files: dict[str, StagedFile] = {}
        self._dir = Path(tempfile.mkdtemp(prefix="tandem-import-"))

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
        staged = stage_file(self.con, name, path, self.limit_mb, sheet)
        self.files[staged.view] = staged
        return staged

    def add_frame(self, name: str, frame: pl.DataFrame) -> StagedFile:
        """Stage an already read frame (a database table) under ``name``."""
        staged = stage_frame(self.con, name, frame)
        self.files[staged.view] = staged
        return staged

    def _query_source(self, mapping: Mapping, name: str) -> str:
        """Run a mapping's SQL on a separate connection that sees only the uploaded files and
        cannot touch the file system; stage its result. Returns the staged table's name."""
        sandbox = duckdb.connect(config={"enable_external_access": False})
        try:
            for view in self.files:
                sandbox.register(
                    view, self.con.sql(f"SELECT * FROM {ident(view)}").to_arrow_table()
                )
            try:
                result = sandbox.sql(mapping.query or "").to_arrow_table()
            except duckdb.Error as exc:
                raise FileError(
                    f"{name}: the mapping's query failed: {str(exc).splitlines()[0]}"
                ) from exc
        finally:
            sandbox.close()
        target = f"__query_{mapping.table}"
        create_table(self.con, target, result)
        return target

    def prepare(
        self, plan: list[tuple[Mapping, str | None]], stores: Stores, today: dt.date
    ) -> list[Prepared]:
        """Validate each (mapping, file view or None for a query mapping), accounts first.

        Child rows are checked against the accounts of this import when it has some, else
        against the accounts already stored.
        """
        ordered = sorted(plan, key=lambda item: LOAD_ORDER.index(item[0].table))
        known = "__known_accounts"
        stored = stores.sources.query("SELECT account_id FROM accounts")
        create_table(self.con, known, stored.to_arrow())
        prepared: list[Prepared] = []
        for mapping, view in ordered:
            name = self.files[view].name if view else f"query for {mapping.table}"
            try:
                source = self._query_source(mapping, name) if mapping.query else ident(view or "")
            except FileError as exc:
                prepared.append(
                    Prepared(table=mapping.table, source=name, mapping=mapping, errors=[str(exc)])
                )
                continue
            result = prepare(self.con, source, name, mapping, known, today)
            if self.files.get(view or "") and self.files[view or ""].bad_lines is not None:
                result.notes.append(
                    f"{self.files[view or ''].bad_lines.height} line(s) could not be read as rows "
                    "(wrong number of fields); they are listed with the rejects"
                )
                bad = self.files[view or ""].bad_lines.select(
                    pl.col("line").alias("row"),
                    pl.concat_str(
                        pl.lit("line "),
                        pl.col("line").cast(pl.String),
                        pl.lit(": "),
                        pl.col("reason"),
                    ).alias("reasons"),
                )
                result.rejects = pl.concat([bad, result.rejects], how="diagonal_relaxed")
            if mapping.table == "accounts" and result.ok:
                self.con.execute(
                    f"CREATE OR REPLACE TABLE {known} AS SELECT account_id FROM {result.valid_view}"
                )
            prepared.append(result)
        return prepared

    def load(self, stores: Stores, prepared: list[Prepared], label: str) -> dict[str, int]:
        """Write every prepared table's valid rows in one published generation: all or none."""
        if any(not p.ok for p in prepared):
            raise FileError("fix the errors above first: nothing was loaded")
        counts: dict[str, int] = {}
        with stores.sources.writer() as writer:
            for p in prepared:
                rows = self.con.sql(f"SELECT * FROM {p.valid_view}").to_arrow_reader()
                counts[p.table] = writer.replace_table(p.table, rows)
                writer.record_load(
                    p.table, f"{label}: {p.source}", counts[p.table], p.mapping.model_dump_json()
                )
        return counts


__all__ = ["FileError", "ImportSession", "view_name"]
