"""Read an uploaded file (CSV/TSV, Parquet, XLSX) into a staging DuckDB table.

One reader for the command line, the Data page and a connected database. Before anything is
parsed, the file is checked against the import's limits (``ingest/limits.py``): its size, its
size once decompressed, its rows and columns, its longest value. Its content, not its name,
says what it is (a workbook named ``.csv``, JSON, UTF-16 text, binary data are each named).

CSV dialects (delimiter, quoting) are sniffed by DuckDB; rows with the wrong number of fields,
lines over the length limit and lines that are not valid UTF-8 in a UTF-8 file are set aside
with their line numbers (DuckDB's ``store_rejects``) instead of failing the file. Whatever is
wrong with a whole file raises ``FileError`` with a message naming the file.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
import sys
import threading
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

import duckdb
import polars as pl
import pyarrow as pa

from dashboard.ingest.limits import Limits
from dashboard.store.sql import ident, literal

TEXT_SUFFIXES = {".csv", ".tsv", ".txt"}
SUPPORTED = TEXT_SUFFIXES | {".parquet", ".xlsx"}
_HEAD = 65536
# A Parquet file cannot be scanned as bytes (its pages are compressed): its text is checked
# for control characters cell by cell, which costs about one more read of each text column;
# above this many rows that is skipped, and the import says so
PARQUET_CONTROL_ROWS = 2_000_000
ROWS_SUFFIX = "__rows"  # a file read where it lies: its rows with their numbers (_row)
_CONTROL_BYTES = bytes([*range(9), *range(11, 13), *range(14, 32), 127])  # not tab, LF, CR
_PLAIN_BYTES = bytes(b for b in range(256) if b not in _CONTROL_BYTES and b not in b"\r\n")
_UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)


class FileError(ValueError):
    """A whole file cannot be read; the message says which file and why."""


@dataclass
class StagedFile:
    """An uploaded file staged as a table (text columns, or a Parquet file's own types)."""

    name: str  # the file name as uploaded
    view: str  # the staging table's name (the file's stem, as an SQL identifier)
    columns: list[str]
    rows: int
    notes: list[str] = field(default_factory=list)  # what was assumed (encoding, delimiter…)
    bad_lines: pl.DataFrame | None = None  # line, reason, text of rows that could not be read
    first_row: int = 2  # the number a spreadsheet gives the first data row (1 without header)
    controls: bool = True  # a cell may hold control characters (False: a scan found none)
    read_from: tuple[Path, int, int] | None = None  # read where it lies: path, size, mtime
    # columns a Parquet file stores with a dictionary in every row group (few distinct
    # values): their text is checked value by value, not row by row (``validate.prepare``)
    dictionary: frozenset[str] = frozenset()

    def changed(self) -> bool:
        """A file read where it lies that is no longer what was staged (checked)."""
        if self.read_from is None:
            return False
        path, size, mtime = self.read_from
        try:
            stat = path.stat()
        except OSError:
            return True
        return (stat.st_size, stat.st_mtime_ns) != (size, mtime)

    def skipped(self) -> list[int]:
        """The file rows set aside as bad lines (not in the staged table), sorted."""
        return [] if self.bad_lines is None else sorted(self.bad_lines["line"].to_list())


def create_table(con: duckdb.DuckDBPyConnection, name: str, data: pa.Table) -> None:
    """Create (or replace) the staging table ``name`` holding ``data``."""
    con.register("_arrow_in", data)
    try:
        con.execute(f"CREATE OR REPLACE TABLE {ident(name)} AS SELECT * FROM _arrow_in")
    finally:
        con.unregister("_arrow_in")


def drop_relation(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Drop the table or view ``name`` if there is one (a name may change kind)."""
    found = con.execute(
        "SELECT 'TABLE' FROM duckdb_tables() WHERE table_name = $n AND NOT temporary"
        " UNION ALL SELECT 'VIEW' FROM duckdb_views() WHERE view_name = $n AND NOT internal",
        {"n": name},
    ).fetchall()
    for (kind,) in found:
        con.execute(f"DROP {kind} IF EXISTS {ident(name)}")


def view_name(file_name: str) -> str:
    """``Ravenstack Accounts.csv`` -> ``ravenstack_accounts``: how SQL mappings name files."""
    stem = Path(file_name).stem.lower()
    name = re.sub(r"[^a-z0-9]+", "_", stem).strip("_") or "file"
    return f"t_{name}" if name[0].isdigit() else name


def _mb(n: int) -> str:
    return f"{n / 2**20:,.1f} MB" if n < 10 * 2**20 else f"{n / 2**20:,.0f} MB"


def check_size(name: str, size: int, limits: Limits) -> None:
    if size > limits.max_file_mb * 2**20:
        raise FileError(
            f"{name} is {_mb(size)}; the upload limit is {limits.max_file_mb:,} MB "
            "(setting TANDEM_MAX_UPLOAD_MB)"
        )


def content_kind(head: bytes) -> str:
    """What the first bytes of a file say it is: xlsx (a zip), parquet, utf16, json,
    binary or text."""
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or (
        len(head) > 8 and head[1:8:2] == b"\x00\x00\x00\x00" and head[0:8:2].isascii()
    ):
        return "utf16"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped[:1] in (b"{", b"["):
        return "json"
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
    if b"\x00" in head and controls > max(1, len(head) // 1000):  # one NUL in a cell is text
        return "binary"
    return "text"


def _check_kind(name: str, kind: str, head: bytes) -> None:
    """Refuse a file whose content is not what its name says, naming what it is."""
    suffix = Path(name).suffix.lower()
    expected = "xlsx" if suffix == ".xlsx" else "parquet" if suffix == ".parquet" else "text"
    if kind == "utf16" and expected == "text":
        return  # read as UTF-16
    if kind == expected:
        return
    nul = head.find(b"\x00")
    what = {
        "xlsx": "an Excel workbook (a zip file)",
        "parquet": "a Parquet file",
        "utf16": "UTF-16 text",
        "json": "JSON, not a table",
        "binary": f"not a text file (binary content at byte {nul})",
        "text": "a text (CSV) file",
    }[kind]
    hint = {
        "xlsx": "name it .xlsx",
        "parquet": "name it .parquet",
        "utf16": "save it as CSV (UTF-8)",
        "json": "export the data as CSV, Parquet or XLSX",
        "binary": "export it as CSV, Parquet or XLSX",
        "text": "name it .csv",
    }[kind]
    raise FileError(f"{name} is {what}, though its name says {suffix or 'nothing'}; {hint}")


def _check_header(name: str, header: list[str], limits: Limits) -> None:
    if len(header) > limits.max_columns:
        raise FileError(
            f"{name} has {len(header):,} columns; the limit is {limits.max_columns:,} "
            "(setting TANDEM_MAX_COLUMNS)"
        )
    seen: dict[str, tuple[int, str]] = {}
    for index, column in enumerate(header, start=1):
        key = column.strip().lower()
        if not key:
            raise FileError(f"{name}: column {index} has no name in the header row")
        if key in seen:
            first, original = seen[key]
            other = (
                ""
                if original.strip() == column.strip()
                else f", as {original.strip()!r}: names are compared without case"
            )
            raise FileError(
                f"{name}: column name {column.strip()!r} appears twice (columns {first} and "
                f"{index}{other}); rename one and upload again"
            )
        seen[key] = (index, column)


def _utf8_or_latin1(path: Path, head: bytes) -> tuple[str, str | None]:
    """The encoding to read a text file with, and a note when it is not UTF-8.

    Valid UTF-8 is UTF-8, and a line in it that is not (a Latin-1 character pasted in) is
    rejected by line later, never a reason to re-read the whole file as Latin-1. A file is
    read as Latin-1 only when it has bytes invalid in UTF-8 and no UTF-8 character anywhere.
    """
    try:
        head.decode("utf-8")
        return "utf-8", None
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 4:  # a character cut at the sample's end
            return "utf-8", None
    if _UTF8_MULTIBYTE.search(head):
        return "utf-8", None
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 24), b""):
            if _UTF8_MULTIBYTE.search(chunk):
                return "utf-8", None
    return "latin-1", "not valid UTF-8: read as Latin-1 (ISO-8859-1)"


def _transcode_utf16(path: Path, workdir: Path) -> Path:
    """A UTF-8 copy of a UTF-16 file, written in chunks into the session's folder."""
    target = workdir / (path.stem + ".utf8.csv")
    with path.open("rb") as raw:
        head = raw.read(2)
        encoding = "utf-16" if head in (b"\xff\xfe", b"\xfe\xff") else "utf-16-le"
        raw.seek(0)
        reader = codecs.getreader(encoding)(raw, errors="replace")
        with target.open("w", encoding="utf-8", newline="") as out:
            for chunk in iter(lambda: reader.read(1 << 20), ""):
                out.write(chunk)
    return target


def _long_line(name: str, path: Path, line: int, delimiter: str, limits: Limits) -> FileError:
    """Name the row and column of a value over the length limit (an error path only)."""
    csv.field_size_limit(sys.maxsize)
    with path.open(encoding="utf-8", errors="replace", newline="") as f:
        reader = csv.reader(f, delimiter=delimiter)
        header = next(reader, [])
        for number, row in enumerate(reader, start=2):
            for column, value in itertools.zip_longest(header, row, fillvalue=""):
                if len(value.encode()) > limits.max_cell_bytes:
                    return FileError(
                        f"{name}, line {number}, column {column!r}: a value of "
                        f"{_mb(len(value.encode()))} is longer than the limit of "
                        f"{limits.max_cell_kb:,} KiB (setting TANDEM_MAX_CELL_KB)"
                    )
            if number > line + 1:
                break
    return FileError(
        f"{name}, line {line}: the line is longer than {limits.max_cell_kb:,} KiB "
        "(setting TANDEM_MAX_CELL_KB)"
    )


def scan_bytes(path: Path, stop: threading.Event | None = None) -> tuple[bool, int, int]:
    """One pass over a text file's bytes: whether it holds a control byte other than tab
    and line ends (the scan stops there), and its line feeds and carriage returns.
    ``stop``: set when the answer is no longer wanted (the file was refused)."""
    newlines = returns = 0
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 24), b""):
            if stop is not None and stop.is_set():
                break
            # keep only the bytes that matter (line ends and control bytes, a few in a
            # hundred), then look at those: three times cheaper than three passes
            kept = chunk.translate(None, _PLAIN_BYTES)
            if len(kept.translate(None, _CONTROL_BYTES)) != len(kept):
                return True, newlines, returns
            newlines += kept.count(b"\n")
            returns += kept.count(b"\r")
    return False, newlines, returns


def may_hold_controls(scanned: tuple[bool, int, int], rows: int) -> bool:
    """Whether a text file may have control characters in its cells (``scan_bytes``): a
    control byte other than tab and line ends, a lone carriage return, or more lines than
    rows (a line break inside a quoted cell). Far cheaper than a check of every cell."""
    control, newlines, returns = scanned
    return control or bool(returns and returns != newlines) or newlines > rows + 1


def stage_csv(
    con: duckdb.DuckDBPyConnection, name: str, path: Path, limits: Limits, workdir: Path
) -> StagedFile:
    """Stage a delimited text file; raises ``FileError`` for a file that is not a table."""
    if path.stat().st_size == 0:
        raise FileError(f"{name} is empty")
    with path.open("rb") as f:
        head = f.read(_HEAD)
    kind = content_kind(head)
    _check_kind(name, kind, head)
    notes: list[str] = []
    if kind == "utf16":
        path = _transcode_utf16(path, workdir)
        notes.append("UTF-16 text: read as UTF-16")
        with path.open("rb") as f:
            head = f.read(_HEAD)
    encoding, note = _utf8_or_latin1(path, head)
    if note:
        notes.append(note)
    view = view_name(name)
    text = head.decode(encoding, errors="replace").lstrip("\ufeff")
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise FileError(f"{name}: the first line is empty; it should hold the column names")
    first_line = lines[0]
    try:
        sniff = con.sql(
            "SELECT Delimiter FROM sniff_csv(?, encoding := ?, header := true, sample_size := 2048)",
            params=[str(path), encoding],
        ).fetchall()
        delimiter = sniff[0][0] if sniff else ","
    except duckdb.Error:
        delimiter = ","
    if delimiter not in first_line:  # ragged rows can mislead DuckDB's sniffer
        try:
            delimiter = csv.Sniffer().sniff(text[:8192], delimiters=",;\t|").delimiter
        except csv.Error:
            delimiter = ","
    header = next(csv.reader(io.StringIO(first_line), delimiter=delimiter))
    _check_header(name, header, limits)
    for table in (f"{view}__rejects", f"{view}__scan", view + ROWS_SUFFIX, view):
        drop_relation(con, table)
    # the bytes are scanned by this process while DuckDB reads the file with its own threads
    stop = threading.Event()
    scanner = ThreadPoolExecutor(1, thread_name_prefix="tandem-scan")
    scan = scanner.submit(scan_bytes, path, stop)
    try:
        try:
            con.execute(
                f"CREATE OR REPLACE TABLE {ident(view)} AS SELECT * FROM read_csv(?, all_varchar = true,"
                " header = true, delim = ?, encoding = ?, store_rejects = true,"
                f" rejects_table = {literal(view + '__rejects')}, rejects_scan = {literal(view + '__scan')},"
                # one row past the limit says the file is over it: the read stops there
                " max_line_size = ?) LIMIT ?",
                [
                    str(path),
                    delimiter,
                    encoding,
                    max(limits.max_cell_bytes, 4096),
                    limits.max_rows + 1,
                ],
            )
        except duckdb.Error as exc:
            message = str(exc)
            found = re.search(r"CSV Error on Line: (\d+)", message)
            if "line size" in message.lower() or "maximum line" in message.lower():
                line = int(found.group(1)) + 1 if found else 0
                raise _long_line(name, path, line, delimiter, limits) from exc
            where = f", line {int(found.group(1)) + 1}" if found else ""
            first = message.splitlines()[0].removeprefix("Invalid Input Error: ")
            raise FileError(f"{name}{where}: {first}") from exc
        rows = con.sql(f"SELECT count(*) FROM {ident(view)}").fetchall()[0][0]
        bad = con.sql(
            "SELECT line, CASE error_type WHEN 'INVALID ENCODING' THEN"
            " 'not valid UTF-8 (a character in another encoding, such as Latin-1?): save the file as UTF-8'"
            " WHEN 'LINE SIZE OVER MAXIMUM' THEN 'the line is longer than the limit of "
            f"{limits.max_cell_kb:,} KiB (setting TANDEM_MAX_CELL_KB)'"
            f" ELSE error_message END AS reason, csv_line AS text FROM {ident(view + '__rejects')}"
            " ORDER BY line"
        ).pl()
        bad = bad.unique("line", keep="first", maintain_order=True)
        if rows == 0 and bad.is_empty():
            raise FileError(f"{name} has a header but no data rows")
        if rows > limits.max_rows:
            con.execute(f"DROP TABLE {ident(view)}")
            raise FileError(
                f"{name} has more than {limits.max_rows:,} rows; the limit is {limits.max_rows:,}"
                " (setting TANDEM_MAX_ROWS); it was read no further"
            )
        if delimiter != ",":
            notes.append(f"delimiter {'TAB' if delimiter == chr(9) else repr(delimiter)}")
        columns = list(con.sql(f"SELECT * FROM {ident(view)} LIMIT 0").columns)
        controls = may_hold_controls(scan.result(), rows + bad.height)
    finally:
        stop.set()  # a refused file is read no further
        scanner.shutdown(wait=True)
    return StagedFile(
        name, view, columns, rows, notes, bad if bad.height else None, controls=controls
    )


def stage_frame(
    con: duckdb.DuckDBPyConnection,
    name: str,
    frame: pl.DataFrame,
    limits: Limits,
    notes: list[str] | None = None,
    bad_lines: pl.DataFrame | None = None,
    first_row: int = 1,
) -> StagedFile:
    """Stage an already parsed frame (XLSX, a database table), every column cast to text."""
    if frame.width == 0:
        raise FileError(f"{name} has no columns")
    if frame.height == 0:
        raise FileError(f"{name} has a header but no data rows")
    _check_header(name, frame.columns, limits)
    if frame.height > limits.max_rows:
        raise FileError(
            f"{name} has {frame.height:,} rows; the limit is {limits.max_rows:,} "
            "(setting TANDEM_MAX_ROWS)"
        )
    view = view_name(name)
    for relation in (view, view + ROWS_SUFFIX):
        drop_relation(con, relation)
    create_table(con, view, frame.select(pl.all().cast(pl.String)).to_arrow())
    return StagedFile(name, view, frame.columns, frame.height, notes or [], bad_lines, first_row)


def stage_parquet(
    con: duckdb.DuckDBPyConnection, name: str, path: Path, limits: Limits
) -> StagedFile:
    """Stage a Parquet file with its own column types (no text round trip), after checking
    its rows, columns and uncompressed size from its footer."""
    with path.open("rb") as f:
        head = f.read(16)
    _check_kind(name, content_kind(head), head)
    view = view_name(name)
    try:
        rows, size = con.execute(
            "SELECT sum(num_rows), (SELECT coalesce(sum(total_uncompressed_size), 0)"
            " FROM parquet_metadata($p)) FROM parquet_file_metadata($p)",
            {"p": str(path)},
        ).fetchall()[0]
        cols = con.execute("SELECT * FROM read_parquet(?) LIMIT 0", [str(path)]).description
        dictionary = frozenset(
            r[0]
            for r in con.execute(
                "SELECT path_in_schema FROM parquet_metadata(?) GROUP BY 1"
                " HAVING bool_and(dictionary_page_offset IS NOT NULL)",
                [str(path)],
            ).fetchall()
        )
    except duckdb.Error as exc:
        raise FileError(
            f"{name} is not a readable Parquet file: {str(exc).splitlines()[0]}"
        ) from exc
    if size > limits.max_uncompressed_mb * 2**20:
        raise FileError(
            f"{name} holds {_mb(size)} once decompressed; the limit is "
            f"{limits.max_uncompressed_mb:,} MB (setting TANDEM_MAX_UNCOMPRESSED_MB)"
        )
    if rows > limits.max_rows:
        raise FileError(
            f"{name} has {rows:,} rows; the limit is {limits.max_rows:,} (setting TANDEM_MAX_ROWS)"
        )
    names = [c[0] for c in cols]
    _check_header(name, names, limits)
    for relation in (view, view + ROWS_SUFFIX):
        drop_relation(con, relation)
    try:
        if {"file_row_number", "_row"} & {n.lower() for n in names}:  # names of our own
            con.execute(f"CREATE TABLE {ident(view)} AS SELECT * FROM read_parquet(?)", [str(path)])
        else:  # read where it lies, with its own row numbers: never held in memory whole
            con.execute(
                f"CREATE VIEW {ident(view + ROWS_SUFFIX)} AS SELECT file_row_number + 1 AS _row,"
                f" * EXCLUDE (file_row_number) FROM read_parquet({literal(str(path))},"
                " file_row_number = true)"
            )
            con.execute(
                f"CREATE VIEW {ident(view)} AS SELECT * EXCLUDE (_row)"
                f" FROM {ident(view + ROWS_SUFFIX)}"
            )
            con.execute(f"SELECT * FROM {ident(view)} LIMIT 1").fetchall()
    except duckdb.Error as exc:
        raise FileError(
            f"{name} is not a readable Parquet file: {str(exc).splitlines()[0]}"
        ) from exc
    if rows == 0:
        raise FileError(f"{name} has a header but no data rows")
    controls = rows <= PARQUET_CONTROL_ROWS
    notes = (
        []
        if controls
        else [
            f"text not checked for control characters: {rows:,} rows is over the "
            f"{PARQUET_CONTROL_ROWS:,} a Parquet file is checked cell by cell for"
        ]
    )
    stat = path.stat()
    return StagedFile(
        name,
        view,
        names,
        int(rows),
        notes,
        first_row=1,
        controls=controls,
        read_from=(path, stat.st_size, stat.st_mtime_ns),
        dictionary=dictionary,
    )


# -- XLSX ---------------------------------------------------------------------------------------
def _check_workbook(name: str, path: Path, limits: Limits) -> zipfile.ZipFile:
    """The workbook's zip, after checking what it expands to (a zip bomb is refused here,
    before a byte of it is decompressed)."""
    with path.open("rb") as f:
        head = f.read(16)
    _check_kind(name, content_kind(head), head)
    try:
        book = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise FileError(f"{name} is not a readable XLSX workbook: {exc}") from exc
    expanded = sum(i.file_size for i in book.infolist())
    stored = max(1, sum(i.compress_size for i in book.infolist()))
    if expanded > limits.max_uncompressed_mb * 2**20:
        raise FileError(
            f"{name} expands to {_mb(expanded)}; the limit is {limits.max_uncompressed_mb:,} MB "
            "(setting TANDEM_MAX_UNCOMPRESSED_MB)"
        )
    ratio = expanded / stored
    if ratio > limits.max_compression_ratio and expanded > 8 * 2**20:
        raise FileError(
            f"{name} expands {ratio:,.0f} times ({_mb(stored)} to {_mb(expanded)}), far more "
            "than a real workbook: it is refused as a possible zip bomb"
        )
    if "xl/workbook.xml" not in book.namelist():
        raise FileError(f"{name} is a zip file but not an XLSX workbook")
    return book


_NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
}


def _sheet_part(book: zipfile.ZipFile, sheet: str) -> str | None:
    """The zip member holding a sheet's cells."""
    workbook = ElementTree.fromstring(book.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(book.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target", "") for r in rels.findall("rel:Relationship", _NS)}
    for node in workbook.iterfind("m:sheets/m:sheet", _NS):
        if node.get("name") == sheet:
            target = targets.get(node.get(f"{{{_NS['r']}}}id"), "")
            return target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return None


def _formulas_without_values(book: zipfile.ZipFile, sheet: str) -> list[tuple[int, str]]:
    """(sheet row, cell) of every formula cell with no saved value (a file written by a
    program that does not compute formulas): those cells would read as empty."""
    part = _sheet_part(book, sheet)
    if part is None or part not in book.namelist():
        return []
    found: list[tuple[int, str]] = []
    cell_tag, f_tag, v_tag = (f"{{{_NS['m']}}}{t}" for t in ("c", "f", "v"))
    with book.open(part) as stream:
        for _, node in ElementTree.iterparse(stream):
            if node.tag != cell_tag:
                continue
            formula, value = node.find(f_tag), node.find(v_tag)
            if formula is not None and (value is None or not (value.text or "").strip()):
                ref = node.get("r", "")
                row = int(re.sub(r"\D", "", ref) or 0)
                found.append((row, ref))
            node.clear()
    return found


_DIMENSION = re.compile(rb'<(?:\w+:)?dimension ref="(?:[A-Z]+\d+:)?[A-Z]+(\d+)"')
_ROW = re.compile(rb"<(?:\w+:)?row[\s>/]")


def _check_sheet_rows(name: str, book: zipfile.ZipFile, sheet: str, limits: Limits) -> None:
    """Refuse a sheet over the row limit before it is loaded: by the rows its dimension
    declares, then by counting its rows as the XML streams out of the zip, stopping as soon
    as the count passes the limit (memory stays bounded whatever the sheet's size)."""
    part = _sheet_part(book, sheet)
    if part is None or part not in book.namelist():
        return
    over = (
        f"{name}, sheet {sheet!r}: {{}}; the limit is {limits.max_rows:,} rows "
        "(setting TANDEM_MAX_ROWS)"
    )
    rows, tail = 0, b""
    with book.open(part) as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            if not rows and not tail:
                declared = _DIMENSION.search(chunk[:65536])
                if declared and int(declared.group(1)) - 1 > limits.max_rows:
                    raise FileError(
                        over.format(f"it declares {int(declared.group(1)) - 1:,} data rows")
                    )
            text = tail + chunk
            rows += len(_ROW.findall(text, 0, max(0, len(text) - 16)))
            tail = text[max(0, len(text) - 16) :]
            if rows - 1 > limits.max_rows:
                raise FileError(over.format(f"it has more than {limits.max_rows:,} data rows"))


def excel_sheets(path: Path, limits: Limits | None = None) -> list[str]:
    """The sheet names of a workbook (after the workbook's size checks)."""
    import fastexcel

    _check_workbook(path.name, path, limits or Limits()).close()
    try:
        return fastexcel.read_excel(str(path)).sheet_names
    except Exception as exc:
        raise FileError(f"{path.name} is not a readable XLSX workbook: {exc}") from exc


def stage_xlsx(
    con: duckdb.DuckDBPyConnection, name: str, path: Path, limits: Limits, sheet: str | None
) -> StagedFile:
    import fastexcel

    book = _check_workbook(name, path, limits)
    try:
        reader = fastexcel.read_excel(str(path))
        chosen = sheet or reader.sheet_names[0]
    except Exception as exc:
        raise FileError(f"{name}: cannot read sheet {sheet!r}: {exc}") from exc
    _check_sheet_rows(name, book, chosen, limits)  # before a cell of it is loaded
    try:
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
    with book:
        missing = _formulas_without_values(book, chosen)
    bad = None
    if missing:
        by_row: dict[int, list[str]] = {}
        for row, ref in missing:
            by_row.setdefault(row, []).append(ref)
        bad = pl.DataFrame(
            {
                "line": list(by_row),
                "reason": [
                    f"cell {', '.join(refs)}: a formula with no saved value (open the workbook "
                    "in Excel or LibreOffice and save it, so its values are stored)"
                    for refs in by_row.values()
                ],
                "text": [None] * len(by_row),
            },
            schema={"line": pl.Int64, "reason": pl.String, "text": pl.String},
        )
        keep = pl.int_range(2, frame.height + 2).is_in(list(by_row)).not_()
        frame = frame.filter(keep)
    return stage_frame(con, name, frame, limits, [f"sheet {chosen!r}"], bad, first_row=2)


def stage_file(
    con: duckdb.DuckDBPyConnection,
    name: str,
    path: Path,
    limits: Limits,
    workdir: Path,
    sheet: str | None = None,
) -> StagedFile:
    """Stage any supported file, by its extension, once its content says it is that."""
    check_size(name, path.stat().st_size, limits)
    suffix = Path(name).suffix.lower()
    if suffix in TEXT_SUFFIXES:
        return stage_csv(con, name, path, limits, workdir)
    if suffix == ".parquet":
        return stage_parquet(con, name, path, limits)
    if suffix == ".xlsx":
        return stage_xlsx(con, name, path, limits, sheet)
    raise FileError(
        f"{name}: unsupported file type {suffix or '(none)'}; use CSV, TSV, Parquet or XLSX"
    )
