"""Every bad input tried, and what it gets: a message naming the file, the row and the column,
never a traceback, and no value altered silently. The README's "What is checked" table lists
the same cases (a test checks it does); the cases are data, in ``bad_inputs.toml``."""

from __future__ import annotations

import datetime as dt
import io
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

from dashboard.ingest.impact import LoadMode
from dashboard.ingest.mapping import Mapping, suggest_columns
from dashboard.ingest.readers import FileError
from dashboard.ingest.session import ImportSession
from dashboard.store import Stores

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TODAY = dt.date(2026, 6, 1)
HEADER = "account_id,account_name,arr,licensed_seats,contract_start,renewal_date\n"


def xlsx_with_formula_without_value() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["account_id", "account_name", "arr"])
    sheet.append(["a1", "Alpha", 10])
    sheet.append(["a2", "Beta", "=B2*2"])  # openpyxl writes the formula, no cached value
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def utf8_with_a_late_latin1_line() -> bytes:
    rows = [f"a{i},Zürich AG {i},10,5,2025-01-01,2026-12-01" for i in range(4000)]
    data = (HEADER + "\n".join(rows) + "\n").encode("utf-8")
    return data + b"late,Caf\xe9 Latin,10,5,2025-01-01,2026-12-01\n"


def a_field_of_1100_kib() -> bytes:
    return b"account_id,account_name\n" + b"a," + b"x" * (1100 * 1024) + b"\n"


MAKERS = {
    f.__name__: f
    for f in (xlsx_with_formula_without_value, utf8_with_a_late_latin1_line, a_field_of_1100_kib)
}


@dataclass(frozen=True)
class Case:
    """One bad input (a ``[[case]]`` of ``bad_inputs.toml``) and what it gets."""

    what: str
    file: str
    table: str
    where: str  # "file", "ok", "two rows" or "row N": where the message is
    message: str
    data: str = ""
    encoding: str = "utf-8"
    make: str | None = None

    def content(self) -> bytes:
        return MAKERS[self.make]() if self.make else self.data.encode(self.encoding)


CASES = [Case(**c) for c in tomllib.loads((HERE / "bad_inputs.toml").read_text())["case"]]


@pytest.fixture
def seeded(empty_stores: Stores) -> Stores:
    session = ImportSession()
    session.add("c.csv", b"account_id,account_name\nc1,Cee\n")
    plan = [
        (
            Mapping(
                table="accounts",
                columns={"account_id": "account_id", "account_name": "account_name"},
            ),
            "c",
        )
    ]
    prepared = session.prepare(plan, empty_stores, TODAY)
    session.load(
        empty_stores, prepared, session.impact(prepared, empty_stores, LoadMode.UPDATE), "seed"
    )
    session.close()
    return empty_stores


@pytest.mark.parametrize("case", CASES, ids=[c.what for c in CASES])
def test_bad_input(seeded: Stores, case: Case):
    name, table, where, message = case.file, case.table, case.where, case.message
    data = case.content()
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
    staged = session.add("a.csv", utf8_with_a_late_latin1_line())
    names = session.con.sql(f'SELECT DISTINCT account_name FROM "{staged.view}" LIMIT 3').fetchall()
    session.close()
    assert all("Zürich AG" in n for (n,) in names)


def test_the_readme_lists_every_case():
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("### What is checked") :]
    missing = [c.what for c in CASES if re.search(re.escape(c.what), section, re.I) is None]
    assert not missing, missing
