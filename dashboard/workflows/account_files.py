"""One account in the files Tandem writes under a data folder, found exactly: for a GDPR
export (the records about it) and an erasure (the same records removed).

Every file under the workspace's folder is read, except the stores themselves (``sources/``,
``app.duckdb``, which ``workflows/gdpr.py`` handles table by table) and other workspaces (the
demo's folder, organisations). Each kind of file is read as what it is, and a record matches
on the account's exact id, never a substring (account ``7`` is not ``17``, ``70`` nor
``Acme 7 Ltd``):

- a digest's Markdown: the account lines ``- **NAME** (ID, …`` whose ID is the account's;
- a CSV with an account id column (a digest's ``Account id``, the task imports' ``Tandem
  Account Id``): the rows whose id is the account's; any other CSV (rejected rows, an import
  written by an older Tandem): the rows where a cell, or a field of a rejected raw line, is
  exactly the account's id or name (or, in a task import, its web domain);
- a calendar (``.ics``): the events whose ``X-TANDEM-ACCOUNT-ID`` is the account's (older
  feeds: the ``Account ID`` of their description); a feed left without events is rewritten
  empty, so a subscribed calendar drops them;
- any other text file (the server's logs under ``serve/``): the lines holding the id as a
  value (``account=7``, ``"7"``, ``/7``; not a word between two spaces, as in ``Acme 7
  Ltd``) or the name as a whole phrase;
- a file that is not text (a copied store, say) cannot be searched: it is named in the
  export's manifest and the erasure's result, never skipped silently.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from icalendar import Calendar

from dashboard.store.workspaces import DEMO_FOLDER
from dashboard.text import ACCOUNT_PROPERTY, markdown_id, md, one_line

STORE_PARTS = {"sources", "app.duckdb", "app.duckdb.wal", "orgs"}
ID_COLUMNS = ("Account id", "Tandem Account Id", "account_id")
DELIMITERS = ",;\t|"
# ``- **NAME** (ID, …``: NAME and ID as ``markdown_text``/``markdown_id`` escaped them
DIGEST_LINE = re.compile(r"^- \*\*(?P<name>(?:\\.|[^\\*])*)\*\* \((?P<id>(?:\\.|[^\\,])*), ")
LEGACY_EVENT = re.compile(r"^Account (?P<id>.*?)(?: · |: )", re.MULTILINE)


@dataclass(frozen=True)
class Account:
    """What identifies the account in a file: its exact id, and (for records without an id
    column) its exact name and web domain."""

    account_id: str
    name: str | None = None
    domain: str | None = None

    @property
    def ids(self) -> set[str]:
        """The id as a file may hold it: as stored, as one line, behind CSV's apostrophe."""
        forms = {self.account_id, one_line(self.account_id)}
        return forms | {"'" + f for f in forms if f[:1] in "=+-@\t\r"}

    @property
    def names(self) -> set[str]:
        return {n for n in (self.name, one_line(self.name)) if n}

    def cell_matches(self, cell: str | None, domain: bool = False) -> bool:
        """A cell of a file without an id column: exactly the id or the name (or domain)."""
        if not cell:
            return False
        values = {cell, cell.strip()}
        if any(d in cell for d in DELIMITERS):  # a rejected raw line: its fields
            for delimiter in DELIMITERS:
                values |= {
                    f.strip() for row in csv.reader([cell], delimiter=delimiter) for f in row
                }
        wanted = self.ids | self.names | ({self.domain} if domain and self.domain else set())
        return bool(values & wanted)


@dataclass
class FileHits:
    """The records about the account in one file, in the file's own format."""

    path: Path
    text: str  # what an export hands over: the matching lines, rows (with the header), events
    records: int


@dataclass
class Search:
    hits: list[FileHits] = field(default_factory=list)
    not_read: list[Path] = field(default_factory=list)  # files that are not text


def data_files(data_dir: Path) -> Iterator[Path]:
    """Every file under the workspace's folder but its stores and other workspaces."""
    root = Path(data_dir)
    if not root.exists():
        return
    for top in sorted(root.iterdir()):
        if (
            top.name in STORE_PARTS
            or top.name == DEMO_FOLDER
            or top.name.startswith(f"{DEMO_FOLDER}-")
        ):
            continue
        paths = [top] if top.is_file() else sorted(p for p in top.rglob("*") if p.is_file())
        yield from (p for p in paths if not p.name.endswith(".lock"))


def search(data_dir: Path, account: Account, erase: bool = False) -> Search:
    """The account's records in every data file; with ``erase``, each file is rewritten
    without them (through a temporary file: never half a file)."""
    found = Search()
    for path in data_files(data_dir):
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            found.not_read.append(path)
            continue
        reader = {".md": _markdown, ".csv": _csv, ".ics": _calendar}.get(path.suffix, _lines)
        mine, rest = reader(text, account, path)
        if mine is None:
            continue
        found.hits.append(FileHits(path, mine[0], mine[1]))
        if erase:
            _rewrite(path, rest)
    return found


def _rewrite(path: Path, text: str) -> None:
    """A log a running process still writes to is rewritten in place (a new file would leave
    the process writing to the old one); any other file through a temporary file, so a
    calendar or a reader never sees half a file."""
    if path.suffix == ".log":
        with path.open("r+", encoding="utf-8", newline="") as f:
            f.write(text)
            f.truncate()
        return
    tmp = path.with_name(path.name + ".erasing")
    tmp.write_text(text, encoding="utf-8", newline="")
    tmp.replace(path)


Split = tuple[tuple[str, int] | None, str]  # (the account's records, how many) and the rest


def _split_lines(text: str, matches: Callable[[str], bool]) -> Split:
    lines = text.splitlines(keepends=True)
    hit = [matches(line.rstrip("\r\n")) for line in lines]
    if not any(hit):
        return None, text
    mine = "".join(line for line, h in zip(lines, hit, strict=True) if h)
    rest = "".join(line for line, h in zip(lines, hit, strict=True) if not h)
    return (mine, sum(hit)), rest


def _markdown(text: str, account: Account, path: Path) -> Split:
    ids = {markdown_id(i) for i in account.ids} | {md(i) for i in account.ids}

    def matches(line: str) -> bool:
        found = DIGEST_LINE.match(line)
        return found is not None and found["id"] in ids

    return _split_lines(text, matches)


def _csv(text: str, account: Account, path: Path) -> Split:
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows:
        return None, text
    header, body = rows[0], rows[1:]
    id_columns = [i for i, name in enumerate(header) if name in ID_COLUMNS]
    domain = path.name.startswith("tasks-")

    def matches(row: list[str]) -> bool:
        if id_columns:
            return any(i < len(row) and row[i] in account.ids for i in id_columns)
        return any(account.cell_matches(cell, domain) for cell in row)

    mine = [r for r in body if matches(r)]
    if not mine:
        return None, text

    def write(records: list[list[str]]) -> str:
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows([header, *records])
        return out.getvalue()

    return (write(mine), len(mine)), write([r for r in body if not matches(r)])


def _event_account(event: Any) -> str | None:
    if ACCOUNT_PROPERTY in event:
        return str(event[ACCOUNT_PROPERTY])
    found = LEGACY_EVENT.search(str(event.get("description", "")))
    return found["id"] if found else None


def _calendar(text: str, account: Account, path: Path) -> Split:
    try:
        calendar = Calendar.from_ical(text)
    except (ValueError, IndexError, KeyError):
        return _lines(text, account, path)  # not a calendar after all: read as lines
    events = [c for c in calendar.subcomponents if c.name == "VEVENT"]
    mine = [e for e in events if _event_account(e) in account.ids]
    if not mine:
        return None, text
    others = [c for c in calendar.subcomponents if not any(c is e for e in mine)]
    calendar.subcomponents = mine
    exported = calendar.to_ical().decode("utf-8")
    calendar.subcomponents = others  # no event left: the feed stays, empty
    return (exported, len(mine)), calendar.to_ical().decode("utf-8")


def _lines(text: str, account: Account, path: Path) -> Split:
    """Lines holding the id as a value (not a word between two spaces, as ``7`` in ``Acme 7
    Ltd``: after ``=``, ``:``, a quote, a slash, a bracket or at a line's edge) or the name
    as a whole phrase."""
    ids = [re.escape(w) for w in account.ids if w]
    names = [re.escape(w) for w in account.names]
    id_pattern = re.compile(rf"(?<![\w.@-])(?:{'|'.join(ids)})(?![\w@-]|\.\w)")
    name_pattern = re.compile(rf"(?<!\w)(?:{'|'.join(names)})(?!\w)") if names else None

    def matches(line: str) -> bool:
        for found in id_pattern.finditer(line):
            before, after = (
                line[found.start() - 1 : found.start()],
                line[found.end() : found.end() + 1],
            )
            if not (before == " " and after == " "):
                return True
        return name_pattern is not None and name_pattern.search(line) is not None

    return _split_lines(text, matches)
