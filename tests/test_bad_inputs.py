"""Every bad input tried, and what it gets: a message naming the file, the row and the column,
never a traceback, and no value altered silently. The README's "What is checked" table lists
the same cases (a test checks it does), one row per case here."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import pytest

from dashboard.ingest.impact import LoadMode
from dashboard.ingest.mapping import Mapping, suggest_columns
from dashboard.ingest.readers import FileError
from dashboard.ingest.session import ImportSession
from dashboard.store import Stores

ROOT = Path(__file__).resolve().parent.parent
TODAY = dt.date(2026, 6, 1)
HEADER = "account_id,account_name,arr,licensed_seats,contract_start,renewal_date\n"


def _xlsx_with_formula_without_value() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["account_id", "account_name", "arr"])
    sheet.append(["a1", "Alpha", 10])
    sheet.append(["a2", "Beta", "=B2*2"])  # openpyxl writes the formula, no cached value
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _utf8_with_a_late_latin1_line() -> bytes:
    rows = [f"a{i},Zürich AG {i},10,5,2025-01-01,2026-12-01" for i in range(4000)]
    data = (HEADER + "\n".join(rows) + "\n").encode("utf-8")
    return data + b"late,Caf\xe9 Latin,10,5,2025-01-01,2026-12-01\n"


# (what, file name, bytes, table, where the message is: "file" or a row, the message)
CASES: list[tuple[str, str, object, str, str, str]] = [
    ("an empty file", "a.csv", b"", "accounts", "file", "a.csv is empty"),
    ("a header and no rows", "a.csv", b"account_id,account_name\n", "accounts", "file", "has a header but no data rows"),
    ("binary content", "a.csv", b"\x7fELF\x02\x00\x00binary", "accounts", "file", "is not a text file (binary content at byte 5)"),
    ("a workbook named .csv", "a.csv", b"PK\x03\x04\x14\x00rest", "accounts", "file", "is an Excel workbook (a zip file), though its name says .csv"),
    ("a CSV named .xlsx", "a.xlsx", b"account_id,account_name\na,A\n", "accounts", "file", "is a text (CSV) file, though its name says .xlsx"),
    ("JSON", "a.csv", b'[{"account_id": "a"}]', "accounts", "file", "is JSON, not a table"),
    ("a header name twice", "a.csv", b"account_id,name,name\n1,a,b\n", "accounts", "file", "column name 'name' appears twice (columns 2 and 3)"),
    ("arr and ARR as two headers", "a.csv", b"account_id,account_name,arr,ARR\na,A,1,2\n", "accounts", "file", "column name 'ARR' appears twice (columns 3 and 4, as 'arr': names are compared without case)"),
    ("a column with no name", "a.csv", b"account_id,,x\na,b,c\n", "accounts", "file", "column 2 has no name in the header row"),
    ("UTF-16 text", "a.csv", ("account_id,account_name\na,Zoë\n").encode("utf-16"), "accounts", "ok", "UTF-16 text: read as UTF-16"),
    ("a field over the length limit", "a.csv", b"account_id,account_name\n" + b"a," + b"x" * (1100 * 1024) + b"\n", "accounts", "file", "line 2, column 'account_name': a value of 1.1 MB is longer than the limit of 1,024 KiB"),
    ("negative seats", "a.csv", (HEADER + "a,A,10,-3,2025-01-01,2026-12-01\n").encode(), "accounts", "row 2", "column licensed_seats: -3 is negative"),
    ("seats of 1e20", "a.csv", (HEADER + "a,A,10,1e20,2025-01-01,2026-12-01\n").encode(), "accounts", "row 2", "column licensed_seats: 1e20 is above 10,000,000"),
    ("NaN ARR", "a.csv", (HEADER + "a,A,NaN,3,2025-01-01,2026-12-01\n").encode(), "accounts", "row 2", "column arr: NaN is not a number"),
    ("infinite ARR", "a.csv", (HEADER + "a,A,inf,3,2025-01-01,2026-12-01\n").encode(), "accounts", "row 2", "column arr: inf is not a number"),
    ("negative money", "a.csv", (HEADER + "a,A,-5,3,2025-01-01,2026-12-01\n").encode(), "accounts", "row 2", "column arr: -5 is negative"),
    ("the year 99999", "a.csv", (HEADER + "a,A,5,3,99999-01-01,2026-12-01\n").encode(), "accounts", "row 2", "column contract_start: 99999-01-01 is not a plausible date (before 1900 or after 2199)"),
    ("the date 0001-01-01", "a.csv", (HEADER + "a,A,5,3,0001-01-01,2026-12-01\n").encode(), "accounts", "row 2", "column contract_start: 0001-01-01 is not a plausible date"),
    ("a contract start after its renewal", "a.csv", (HEADER + "a,A,5,3,2026-01-01,2025-12-01\n").encode(), "accounts", "row 2", "column contract_start: 2026-01-01 is after renewal_date 2025-12-01"),
    ("an unparseable date", "a.csv", (HEADER + "a,A,5,3,yesterday,2026-12-01\n").encode(), "accounts", "row 2", "column contract_start: yesterday is not a date"),
    ("ids that differ only by case", "a.csv", (HEADER + "ACC-1,A,5,3,,\nacc-1,B,5,3,,\n").encode(), "accounts", "row 3", "column account_id: duplicate id acc-1 (first at row 2)"),
    ("ids that differ only by spaces", "a.csv", (HEADER + "a1,A,5,3,,\n  a1 ,B,5,3,,\n").encode(), "accounts", "row 3", "column account_id: duplicate id a1 (first at row 2)"),
    ("ids that differ only by Unicode spaces", "a.csv", (HEADER + "a1,A,5,3,,\n\u00a0a1\u2003,B,5,3,,\n").encode(), "accounts", "row 3", "column account_id: duplicate id a1 (first at row 2)"),
    ("a status outside the vocabulary", "a.csv", b"account_id,account_name,status\na,A,paused\n", "accounts", "row 2", "column status: paused is not one of active, churned"),
    ("CSAT 7", "t.csv", b"ticket_id,account_id,created_at,csat\nt1,c1,2026-05-01,7\n", "tickets", "row 2", "column csat: 7 is above 5"),
    ("a ticket in the future", "t.csv", b"ticket_id,account_id,created_at\nt1,c1,2030-01-01\n", "tickets", "row 2", "column created_at: 2030-01-01 is in the future"),
    ("an unknown account", "t.csv", b"ticket_id,account_id,created_at\nt1,nope,2026-05-01\n", "tickets", "row 2", "column account_id: no account matches (key nope)"),
    ("a whole number that is not", "t.csv", b"ticket_id,account_id,created_at,csat\nt1,c1,2026-05-01,five\n", "tickets", "row 2", "column csat: five is not a whole number"),
    ("two ragged lines", "t.csv", b"ticket_id,account_id,created_at\nt1,c1,2026-05-01\nt2,c1\nt3,c1,2026-05-02,x\nt4,c1,2026-05-03\n", "tickets", "two rows", "line 3: Expected Number of Columns: 3 Found: 2"),
    ("one Latin-1 line in a UTF-8 file", "a.csv", _utf8_with_a_late_latin1_line(), "accounts", "row 4002", "not valid UTF-8"),
    ("a formula cell with no saved value", "a.xlsx", _xlsx_with_formula_without_value(), "accounts", "row 3", "cell C3: a formula with no saved value"),
    ("ISO dates in a column read as European", "a.csv", (HEADER + "a,A,5,3,25/01/2025,2026-12-01\nb,B,5,3,2025-02-03,2026-12-01\n").encode(), "accounts", "ok", "dates read as European"),
]  # fmt: skip


@pytest.fixture
def seeded(empty_stores: Stores) -> Stores:
    session = ImportSession()
    session.add("c.csv", b"account_id,account_name\nc1,Cee\n")
    plan = [(Mapping(table="accounts", columns={"account_id": "account_id", "account_name": "account_name"}), "c")]  # fmt: skip
    prepared = session.prepare(plan, empty_stores, TODAY)
    session.load(
        empty_stores, prepared, session.impact(prepared, empty_stores, LoadMode.UPDATE), "seed"
    )
    session.close()
    return empty_stores


@pytest.mark.parametrize(("what", "name", "data", "table", "where", "message"), CASES, ids=[c[0] for c in CASES])  # fmt: skip
def test_bad_input(seeded: Stores, what, name, data, table, where, message):
    session = ImportSession()
    try:
        if where == "file":
            with pytest.raises(FileError) as err:
                session.add(name, data)
            assert message in str(err.value), str(err.value)
            assert name in str(err.value)  # names the file
            return
        staged = session.add(name, data)
        mapping = Mapping(table=table, columns=suggest_columns(table, staged.columns))
        prepared = session.prepare([(mapping, staged.view)], seeded, TODAY)[0]
        assert prepared.ok, prepared.errors
        text = " | ".join(prepared.notes + staged.notes)
        if where == "ok":
            assert message in text and prepared.valid_rows == prepared.total_rows, (
                text,
                prepared.rejects,
            )
            return
        rejects = {r["row"]: r["reasons"] for r in prepared.rejects.iter_rows(named=True)}
        if where == "two rows":
            assert len(rejects) == 2 and message in " ".join(rejects.values()), rejects
            return
        row = int(where.removeprefix("row "))
        assert row in rejects and message in rejects[row], rejects
    finally:
        session.close()


def test_the_latin1_line_does_not_re_read_the_file_as_latin1(seeded: Stores):
    session = ImportSession()
    staged = session.add("a.csv", _utf8_with_a_late_latin1_line())
    names = session.con.sql(f'SELECT DISTINCT account_name FROM "{staged.view}" LIMIT 3').fetchall()
    session.close()
    assert all("Zürich AG" in n for (n,) in names)


def test_the_readme_lists_every_case():
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("### What is checked") :]
    missing = [what for what, *_ in CASES if re.search(re.escape(what), section, re.I) is None]
    assert not missing, missing
