"""The one-pass import: a Parquet file read where it lies, checked rows that are not held
twice, a load written by the import's own engine into the generation's file, and the row
numbers every reject is named by."""

import datetime as dt
import os

import polars as pl
import pytest

from dashboard.ingest.impact import LoadMode
from dashboard.ingest.limits import Limits
from dashboard.ingest.mapping import Mapping
from dashboard.ingest.readers import FileError
from dashboard.ingest.session import ImportSession
from dashboard.store import Stores
from tests.conftest import source_digest

TODAY = dt.date(2026, 6, 1)
ACCOUNTS = Mapping(table="accounts", columns={"account_id": "account_id", "account_name": "name"})
USAGE = Mapping(
    table="usage_events",
    columns={"account_id": "account_id", "occurred_at": "at", "user_id": "user", "quantity": "n"},
)


def _accounts(session: ImportSession, stores: Stores) -> None:
    session.add("accounts.csv", b"account_id,name\na1,Acme\na2,Beta\n")
    checked = session.check([(ACCOUNTS, "accounts")], stores, TODAY, LoadMode.REPLACE)
    session.load(stores, checked.prepared, checked.impacts, "test", confirmed=True)


def _usage(path, rows: int = 6) -> pl.DataFrame:
    frame = pl.DataFrame(
        {
            "account_id": ["a1", "a2", "zz", "a1", "a2", "a1"][:rows],
            "at": [dt.datetime(2026, 5, d) for d in range(1, rows + 1)],
            "user": [f"u{i}" for i in range(rows)],
            "n": [1, 2, 3, -4, 5, 6][:rows],
        }
    )
    frame.write_parquet(path)
    return frame


def test_a_parquet_file_is_read_where_it_lies_and_its_rejects_name_its_rows(
    empty_stores: Stores, tmp_path
):
    session = ImportSession(files=[tmp_path / "usage.parquet"])
    _accounts(session, empty_stores)
    _usage(tmp_path / "usage.parquet")
    session.add("usage.parquet", tmp_path / "usage.parquet")
    staged = session.con.sql(
        "SELECT table_type FROM information_schema.tables WHERE table_name = 'usage'"
    ).fetchall()
    assert staged == [("VIEW",)]  # not copied into the staging engine
    checked = session.check([(USAGE, "usage")], empty_stores, TODAY, LoadMode.REPLACE)
    p = checked.prepared[0]
    assert (p.total_rows, p.valid_rows) == (6, 4)
    rejects = dict(zip(p.rejects["row"].to_list(), p.rejects["reasons"].to_list(), strict=True))
    assert rejects == {
        3: "column account_id: no account matches (key zz)",
        4: "column quantity ('n'): -4 is negative",
    }
    assert checked.impacts[0].period == (dt.datetime(2026, 5, 1), dt.datetime(2026, 5, 6))
    counts = session.load(empty_stores, checked.prepared, checked.impacts, "t", confirmed=True)
    session.close()
    assert counts["usage_events"] == 4
    loaded = empty_stores.sources.query(
        "SELECT account_id, user_id, quantity FROM usage_events ORDER BY occurred_at"
    )
    assert loaded.rows() == [("a1", "u0", 1), ("a2", "u1", 2), ("a2", "u4", 5), ("a1", "u5", 6)]
    assert not list(empty_stores.sources.root.glob("*.building*"))


def test_a_parquet_file_changed_after_its_check_is_not_loaded(empty_stores: Stores, tmp_path):
    path = tmp_path / "usage.parquet"
    session = ImportSession(files=[path])
    _accounts(session, empty_stores)
    _usage(path)
    session.add("usage.parquet", path)
    checked = session.check([(USAGE, "usage")], empty_stores, TODAY, LoadMode.REPLACE)
    assert checked.prepared[0].valid_rows == 4
    before = source_digest(empty_stores)
    _usage(path, rows=3)  # another file under the same name, after the check
    os.utime(path, ns=(1, 1))
    with pytest.raises(FileError, match="usage.parquet changed since it was checked"):
        session.load(empty_stores, checked.prepared, checked.impacts, "t", confirmed=True)
    session.close()
    assert source_digest(empty_stores) == before


def test_a_column_named_rowid_does_not_number_the_rows(empty_stores: Stores):
    session = ImportSession()
    _accounts(session, empty_stores)
    session.add(
        "usage.csv",
        b"rowid,account_id,at,user,n\n90,a1,2026-05-01,u1,1\n70,a2,2026-05-02,u2,x\n"
        b"50,a1,2026-05-03,u3,2\n",
    )
    checked = session.check([(USAGE, "usage")], empty_stores, TODAY, LoadMode.REPLACE)
    p = checked.prepared[0]
    session.close()
    assert p.rejects["row"].to_list() == [3]  # the file's row, not the rowid column's 70
    assert p.rejects["reasons"].to_list() == ["column quantity ('n'): x is not a whole number"]


def test_a_second_accounts_file_does_not_see_its_own_ids_as_another_files(empty_stores: Stores):
    """The checked rows of a typed source are a view read again by the load: the ids of the
    files checked before it are pinned as they were, not as they grow afterwards."""
    session = ImportSession()
    first = pl.DataFrame({"account_id": ["a1", "a2"], "name": ["Acme", "Beta"]})
    second = pl.DataFrame({"account_id": ["a3", "a1"], "name": ["Gamma", "Acme again"]})
    session.add_frame("first", first)
    session.add_frame("second", second)
    checked = session.check(
        [(ACCOUNTS, "first"), (ACCOUNTS, "second")], empty_stores, TODAY, LoadMode.REPLACE
    )
    assert [p.valid_rows for p in checked.prepared] == [2, 1]
    assert checked.prepared[1].rejects["reasons"].to_list() == [
        "column account_id: duplicate id a1 (also in another file of this import)"
    ]
    counts = session.load(empty_stores, checked.prepared, checked.impacts, "t", confirmed=True)
    session.close()
    assert counts["accounts"] == 3
    ids = empty_stores.sources.query("SELECT account_id FROM accounts ORDER BY 1")
    assert ids["account_id"].to_list() == ["a1", "a2", "a3"]


def _generations(stores: Stores) -> list[str]:
    return sorted(p.name for p in stores.sources.root.glob("gen-*.duckdb"))


def test_a_replace_is_written_once_as_it_is_checked_and_published_as_checked(
    empty_stores: Stores, tmp_path
):
    """In replace mode the checked rows are written into a copy of the published generation
    while they are checked; with nothing published in between, the load publishes that
    copy: the rows, their counts and the rest of the store are as a load writes them."""
    session = ImportSession(files=[tmp_path / "usage.parquet"])
    _accounts(session, empty_stores)
    frame = _usage(tmp_path / "usage.parquet")
    session.add("usage.parquet", tmp_path / "usage.parquet")
    checked = session.check([(USAGE, "usage")], empty_stores, TODAY, LoadMode.REPLACE)
    p = checked.prepared[0]
    assert (p.total_rows, p.valid_rows, p.valid_accounts) == (6, 4, 2)
    assert not list(empty_stores.sources.root.glob("*.building*"))  # nothing in the store yet
    # every row valid: the one pass is the count
    session.add_frame("good", frame.filter(pl.col("n") > 0, pl.col("account_id") != "zz"))
    again = session.check([(USAGE, "good")], empty_stores, TODAY, LoadMode.REPLACE)
    g = again.prepared[0]
    assert (g.total_rows, g.valid_rows, g.unknown_accounts, g.valid_accounts) == (4, 4, 0, 2)
    assert g.rejects.is_empty()
    assert g.dates == (dt.datetime(2026, 5, 1), dt.datetime(2026, 5, 6))
    accounts_before = empty_stores.sources.query("SELECT * FROM accounts ORDER BY ALL")
    counts = session.load(empty_stores, again.prepared, again.impacts, "t", confirmed=True)
    session.close()
    assert counts["usage_events"] == 4
    loaded = empty_stores.sources.query(
        "SELECT account_id, user_id, quantity FROM usage_events ORDER BY occurred_at"
    )
    assert loaded.rows() == [("a1", "u0", 1), ("a2", "u1", 2), ("a2", "u4", 5), ("a1", "u5", 6)]
    assert empty_stores.sources.query("SELECT * FROM accounts ORDER BY ALL").equals(accounts_before)
    tables = empty_stores.sources.query("SELECT table_name FROM loads ORDER BY loaded_at")
    assert tables["table_name"].to_list()[-1] == "usage_events"  # the load's record is there


def test_a_generation_published_between_the_check_and_the_load_is_kept(
    empty_stores: Stores, tmp_path
):
    """The copy a replace was checked into is built on the generation published then: when
    another load publishes before this one, the load builds on that one instead (its rows
    stay) and still writes exactly the rows it checked."""
    session = ImportSession(files=[tmp_path / "usage.parquet"])
    _accounts(session, empty_stores)
    _usage(tmp_path / "usage.parquet")
    session.add("usage.parquet", tmp_path / "usage.parquet")
    checked = session.check([(USAGE, "usage")], empty_stores, TODAY, LoadMode.REPLACE)
    other = ImportSession()  # meanwhile, someone loads owners
    other.add("owners.csv", b"owner,email\nJo Park,jo@example.com\n")
    owners = Mapping(table="owners", columns={"owner": "owner", "email": "email"})
    done = other.check([(owners, "owners")], empty_stores, TODAY, LoadMode.UPDATE)
    other.load(empty_stores, done.prepared, done.impacts, "other", confirmed=True)
    other.close()
    published = _generations(empty_stores)
    counts = session.load(empty_stores, checked.prepared, checked.impacts, "t", confirmed=True)
    session.close()
    assert counts["usage_events"] == 4
    assert empty_stores.sources.query("SELECT owner FROM owners")["owner"].to_list() == ["Jo Park"]
    loaded = empty_stores.sources.query("SELECT user_id FROM usage_events ORDER BY occurred_at")
    assert loaded["user_id"].to_list() == ["u0", "u1", "u4", "u5"]
    assert _generations(empty_stores)[-1] > published[-1]  # a new generation on top
    assert not list(empty_stores.sources.root.glob("*.building*"))


def test_a_session_that_may_not_build_ahead_writes_no_copy(empty_stores: Stores, tmp_path):
    """A dry run (``prebuild = False``) checks in views only: no copy of the store is made,
    and the counts and rejects are the same."""
    session = ImportSession(files=[tmp_path / "usage.parquet"])
    _accounts(session, empty_stores)
    _usage(tmp_path / "usage.parquet")
    session.add("usage.parquet", tmp_path / "usage.parquet")
    session.prebuild = False
    checked = session.check([(USAGE, "usage")], empty_stores, TODAY, LoadMode.REPLACE)
    copies = list(session._dir.glob("*.duckdb"))
    p = checked.prepared[0]
    session.close()
    assert copies == []
    assert (p.total_rows, p.valid_rows) == (6, 4)
    assert p.rejects["row"].to_list() == [3, 4]


def _import_by_values(stores: Stores, path, by_values: bool) -> tuple:
    """Import ``path`` (usage events) into ``stores``: its dictionary text columns checked
    value by value (as staged), or every row checked (``by_values`` False)."""
    session = ImportSession(Limits(max_cell_kb=1), files=[path])
    _accounts(session, stores)
    staged = session.add("usage.parquet", path)
    if not by_values:
        staged.dictionary = frozenset()
    checked = session.check([(USAGE, "usage")], stores, TODAY, LoadMode.REPLACE)
    p = checked.prepared[0]
    if p.ok:
        session.load(stores, checked.prepared, checked.impacts, "t", confirmed=True)
    session.close()
    loaded = stores.sources.query(
        "SELECT account_id, user_id, quantity FROM usage_events ORDER BY occurred_at"
    )
    counts = (p.total_rows, p.valid_rows, p.unknown_accounts, p.valid_accounts, p.dates)
    return staged.dictionary, counts, p.rejects, p.notes, loaded.rows()


@pytest.mark.parametrize("dirty", [False, True])
def test_a_parquet_files_text_checked_by_its_values_is_checked_as_row_by_row(tmp_path, dirty):
    """A Parquet file's dictionary columns are checked once per distinct value: a column
    whose values all stay as they are is written as it is; one with a value to trim, an
    empty one, one over the length limit or with a control character is checked row by
    row. Either way the rejects (row, column, reason), notes, counts and rows loaded are
    those of checking every row."""
    users = ["u0", "u1", "u2", "u3", "u4", "u5", "u6"]
    accounts = ["a1", "a2", "a1", "a1", "a2", "a1", "a2"]
    if dirty:
        users = [" u0", "u1\u00a0", "u2", "", "x" * 2000, "u\x01five", "u6"]
        accounts = ["a1", "a2", "", "a1 ", "a2", "a1", "a2"]
    path = tmp_path / "usage.parquet"
    pl.DataFrame(
        {
            "account_id": accounts,
            "at": [dt.datetime(2026, 5, d) for d in range(1, 8)],
            "user": users,
            "n": [1, 2, 3, 4, 5, 6, 7],
        }
    ).write_parquet(path)
    by_values = _import_by_values(Stores.open(tmp_path / "a"), path, True)
    by_rows = _import_by_values(Stores.open(tmp_path / "b"), path, False)
    assert {"account_id", "user"} <= by_values[0]  # polars writes text with a dictionary
    assert by_values[1] == by_rows[1]  # the counts
    assert by_values[2].equals(by_rows[2])  # the rejects, row by row
    assert by_values[3:] == by_rows[3:]  # the notes and the rows loaded
    if dirty:
        assert dict(zip(*by_values[2].select("row", "reasons"), strict=True)) == {
            3: "column account_id: required but empty",  # a Parquet file's rows from 1
            5: "column user_id ('user'): a value longer than 1 KiB",
            6: "column user_id ('user'): u\ufffdfive holds a control character (a NUL, a line"
            " break…): keys must be plain text",
        }
        assert by_values[4] == [("a1", "u0", 1), ("a2", "u1", 2), ("a1", None, 4), ("a2", "u6", 7)]
    else:
        assert by_values[2].is_empty()
        assert by_values[4] == list(zip(accounts, users, [1, 2, 3, 4, 5, 6, 7], strict=True))
