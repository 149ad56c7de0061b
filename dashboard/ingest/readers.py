"""Read an uploaded file (CSV/TSV, Parquet, XLSX) into a staging DuckDB table, all as text.

CSV dialects (delimiter, quoting) are sniffed by DuckDB; rows with the wrong number of fields
are set aside with their line numbers (DuckDB's ``store_rejects``) instead of failing the file.
Whatever is wrong with a whole file raises ``FileError`` with a message naming the file.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa

TEXT_SUFFIXES = {".csv", ".tsv", ".txt"}
SUPPORTED = TEXT_SUFFIXES | {".parquet", ".xlsx"}


class FileError(ValueError):
    """A whole file cannot be read; the message says which file and why."""


@dataclass
class StagedFile:
    """An uploaded file staged as a table of text columns."""

    name: str  # the file name as uploaded
    view: str  # the staging table's name (the file's stem, as an SQL identifier)
    columns: list[str]
    rows: int
    notes: list[str] = field(default_factory=list)  # what was assumed (encoding, delimiter…)
    bad_lines: pl.DataFrame | None = None  # line, reason, text of rows that could not be read


def create_table(con: duckdb.DuckDBPyConnection, name: str, data: pa.Table) -> None:
    """Create (or replace) the staging table ``name`` holding ``data``."""
    con.register("_arrow_in", data)
    try:
        con.execute(f'CREATE OR REPLACE TABLE "{name}" AS SELECT * FROM _arrow_in')
    finally:
        con.unregister("_arrow_in")


def view_name(file_name: str) -> str:
    """``Ravenstack Accounts.csv`` -> ``ravenstack_accounts``: how SQL mappings name files."""
    stem = Path(file_name).stem.lower()
    name = re.sub(r"[^a-z0-9]+", "_", stem).strip("_") or "file"
    return f"t_{name}" if name[0].isdigit() else name


def check_size(name: str, size: int, limit_mb: int) -> None:
    if size > limit_mb * 2**20:
        raise FileError(
            f"{name} is {size / 2**20:,.0f} MB; the upload limit is {limit_mb:,} MB "
            "(setting TANDEM_MAX_UPLOAD_MB)"
        )


def _check_text(name: str, head: bytes) -> None:
    nul = head.find(b"\x00")
    if nul >= 0:
        raise FileError(
            f"{name} is not a text file (binary content at byte {nul}); "
            "export it as CSV, Parquet or XLSX"
        )


def _check_header(name: str, header: list[str]) -> None:
    seen: dict[str, int] = {}
    for index, column in enumerate(header, start=1):
        key = column.strip()
        if not key:
            raise FileError(f"{name}: column {index} has no name in the header row")
        if key in seen:
            raise FileError(
                f"{name}: column name {key!r} appears twice (columns {seen[key]} and {index}); "
                "rename one and upload again"
            )
        seen[key] = index


def stage_csv(con: duckdb.DuckDBPyConnection, name: str, path: Path) -> StagedFile:
    """Stage a delimited text file; raises ``FileError`` for a file that is not a table."""
    size = path.stat().st_size
    if size == 0:
        raise FileError(f"{name} is empty")
    with path.open("rb") as f:
        head = f.read(65536)
    _check_text(name, head)
    notes: list[str] = []
    encoding = "utf-8"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the sample's end
            encoding = "latin-1"
    view = view_name(name)
    sniff = con.sql(
        "SELECT Delimiter, Quote FROM sniff_csv(?, encoding := ?, header := true)",
        params=[str(path), encoding],
    ).fetchall()
    delimiter = sniff[0][0] if sniff else ","
    text = head.decode(encoding, errors="replace").lstrip("\ufeff")
    first_line = text.splitlines()[0]
    if delimiter not in first_line:  # ragged rows can mislead DuckDB's sniffer
        try:
            delimiter = csv.Sniffer().sniff(text[:8192], delimiters=",;\t|").delimiter
        except csv.Error:
            delimiter = ","
    header = next(csv.reader(io.StringIO(first_line), delimiter=delimiter))
    _check_header(name, header)

    def read(enc: str) -> None:
        con.execute(
            f'CREATE OR REPLACE TABLE "{view}" AS SELECT * FROM read_csv(?, all_varchar = true,'
            " header = true, delim = ?, encoding = ?, store_rejects = true,"
            f" rejects_table = '{view}__rejects', rejects_scan = '{view}__scan')",
            [str(path), delimiter, enc],
        )

    try:
        read(encoding)
    except duckdb.InvalidInputException as exc:
        if "unicode" not in str(exc).lower() or encoding == "latin-1":
            raise FileError(f"{name}: {str(exc).splitlines()[0]}") from exc
        encoding = "latin-1"
        read(encoding)
    if encoding == "latin-1":
        notes.append("not valid UTF-8: read as Latin-1 (ISO-8859-1)")
    if delimiter != ",":
        notes.append(f"delimiter {'TAB' if delimiter == chr(9) else repr(delimiter)}")
    rows = con.sql(f'SELECT count(*) FROM "{view}"').fetchall()[0][0]
    bad = con.sql(
        f"SELECT line, error_message AS reason, csv_line AS text FROM {view}__rejects ORDER BY line"
    ).pl()
    if rows == 0 and bad.is_empty():
        raise FileError(f"{name} has a header but no data rows")
    columns = [c for c in con.sql(f'SELECT * FROM "{view}" LIMIT 0').columns]
    return StagedFile(name, view, columns, rows, notes, bad if bad.height else None)


def stage_frame(
    con: duckdb.DuckDBPyConnection, name: str, frame: pl.DataFrame, notes: list[str] | None = None
) -> StagedFile:
    """Stage an already parsed frame (Parquet, XLSX), every column cast to text."""
    if frame.width == 0:
        raise FileError(f"{name} has no columns")
    if frame.height == 0:
        raise FileError(f"{name} has a header but no data rows")
    _check_header(name, frame.columns)
    view = view_name(name)
    create_table(con, view, frame.select(pl.all().cast(pl.String)).to_arrow())
    return StagedFile(name, view, frame.columns, frame.height, notes or [])


def stage_parquet(con: duckdb.DuckDBPyConnection, name: str, path: Path) -> StagedFile:
    """Stage a Parquet file with its own column types (no text round trip)."""
    view = view_name(name)
    try:
        con.execute(
            f'CREATE OR REPLACE TABLE "{view}" AS SELECT * FROM read_parquet(?)', [str(path)]
        )
    except duckdb.Error as exc:
        raise FileError(
            f"{name} is not a readable Parquet file: {str(exc).splitlines()[0]}"
        ) from exc
    rows = con.sql(f'SELECT count(*) FROM "{view}"').fetchall()[0][0]
    cols = con.sql(f'SELECT * FROM "{view}" LIMIT 0').columns
    if rows == 0:
        raise FileError(f"{name} has a header but no data rows")
    return StagedFile(name, view, cols, rows)


def excel_sheets(path: Path) -> list[str]:
    """The sheet names of a workbook."""
    import fastexcel

    try:
        return fastexcel.read_excel(str(path)).sheet_names
    except Exception as exc:
        raise FileError(f"{path.name} is not a readable XLSX workbook: {exc}") from exc


def stage_xlsx(
    con: duckdb.DuckDBPyConnection, name: str, path: Path, sheet: str | None = None
) -> StagedFile:
    import fastexcel

    try:
        reader = fastexcel.read_excel(str(path))
        chosen = sheet or reader.sheet_names[0]
        frame = pl.from_arrow(reader.load_sheet_by_name(chosen, dtypes="string").to_arrow())
    except Exception as exc:
        raise FileError(f"{name}: cannot read sheet {sheet!r}: {exc}") from exc
    assert isinstance(frame, pl.DataFrame)
    for index, column in enumerate(frame.columns, start=1):
        if column.startswith("__UNNAMED__") or not column.strip():
            raise FileError(
                f"{name}, sheet {chosen!r}: column {index} has no header in row 1 "
                "(merged header cells?); give every column its own header"
            )
    return stage_frame(con, f"{name}", frame, [f"sheet {chosen!r}"])


def stage_file(
    con: duckdb.DuckDBPyConnection, name: str, path: Path, limit_mb: int, sheet: str | None = None
) -> StagedFile:
    """Stage any supported file, by its extension."""
    check_size(name, path.stat().st_size, limit_mb)
    suffix = Path(name).suffix.lower()
    if suffix in TEXT_SUFFIXES:
        return stage_csv(con, name, path)
    if suffix == ".parquet":
        return stage_parquet(con, name, path)
    if suffix == ".xlsx":
        return stage_xlsx(con, name, path, sheet)
    raise FileError(
        f"{name}: unsupported file type {suffix or '(none)'}; use CSV, TSV, Parquet or XLSX"
    )
