import threading

import polars as pl
import pytest

from dashboard.store import StoreError, Stores

ACCOUNTS = pl.DataFrame({"account_id": ["a1", "a2"], "account_name": ["Alpha", "Beta"]})


def _accounts(stores: Stores) -> list[str]:
    return stores.sources.query("SELECT account_id FROM accounts ORDER BY 1")[
        "account_id"
    ].to_list()


def test_query_returns_polars(empty_stores: Stores):
    with empty_stores.sources.writer() as w:
        w.replace_table("accounts", ACCOUNTS)
    frame = empty_stores.sources.query("SELECT * FROM accounts WHERE account_id = ?", ["a2"])
    assert isinstance(frame, pl.DataFrame)
    assert frame["account_name"].to_list() == ["Beta"]


def test_failed_replace_keeps_previous_contents_whole(empty_stores: Stores):
    with empty_stores.sources.writer() as w:
        w.replace_table("accounts", ACCOUNTS)
    # 5,000 good rows, then one that breaks the NOT NULL contract: the insert fails midway.
    bad = pl.DataFrame(
        {
            "account_id": [f"x{i}" for i in range(5000)] + [None],
            "account_name": ["X"] * 5001,
        }
    )
    with pytest.raises(Exception, match="NOT NULL"), empty_stores.sources.writer() as w:
        w.replace_table("accounts", bad)
    assert _accounts(empty_stores) == ["a1", "a2"]


def test_failed_replace_inside_a_writer_rolls_back_that_table(empty_stores: Stores):
    with empty_stores.sources.writer() as w:
        w.replace_table("accounts", ACCOUNTS)
        with pytest.raises(Exception, match="NOT NULL"):
            w.replace_table("accounts", pl.DataFrame({"account_id": [None], "account_name": ["?"]}))
        assert w.query("SELECT count(*) AS n FROM accounts")["n"][0] == 2


def test_writer_that_fails_halfway_publishes_nothing(empty_stores: Stores):
    with empty_stores.sources.writer() as w:
        w.replace_table("accounts", ACCOUNTS)
    before = empty_stores.sources.generation()
    with pytest.raises(RuntimeError, match="boom"), empty_stores.sources.writer() as w:
        w.replace_table("accounts", ACCOUNTS.head(1))
        raise RuntimeError("boom")
    assert empty_stores.sources.generation() == before
    assert _accounts(empty_stores) == ["a1", "a2"]
    assert not list(empty_stores.sources.root.glob("*.building*"))


def test_readers_see_old_or_new_never_half(empty_stores: Stores):
    big = pl.DataFrame({"account_id": [f"b{i}" for i in range(50_000)], "account_name": "B"})
    with empty_stores.sources.writer() as w:
        w.replace_table("accounts", ACCOUNTS)
    seen: list[int] = []
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            seen.append(empty_stores.sources.row_count("accounts"))

    readers = [threading.Thread(target=read) for _ in range(4)]
    for t in readers:
        t.start()
    for _ in range(3):
        with empty_stores.sources.writer() as w:
            w.replace_table("accounts", big)
        with empty_stores.sources.writer() as w:
            w.replace_table("accounts", ACCOUNTS)
    stop.set()
    for t in readers:
        t.join()
    assert seen and set(seen) <= {2, 50_000}


def test_old_generations_are_pruned(empty_stores: Stores):
    for _ in range(6):
        with empty_stores.sources.writer() as w:
            w.replace_table("accounts", ACCOUNTS)
    gens = list(empty_stores.sources.root.glob("gen-*.duckdb"))
    assert len(gens) == empty_stores.sources.keep_generations


def test_source_rebuild_never_touches_app_data(empty_stores: Stores):
    with empty_stores.app.transaction() as con:
        con.execute(
            "INSERT INTO sync_notes (note_id, pair, decision, written_at) "
            "VALUES ('n1', 'csm|am', 'Send ROI deck', now())"
        )
    with empty_stores.sources.writer() as w:
        w.replace_table("accounts", ACCOUNTS)
    assert empty_stores.app.query("SELECT decision FROM sync_notes")["decision"].to_list() == [
        "Send ROI deck"
    ]


def test_foreign_file_gives_a_clear_message(tmp_path):
    (tmp_path / "app.duckdb").write_text("this is not a database")
    with pytest.raises(StoreError, match="app.duckdb"):
        Stores.open(tmp_path)


def test_row_count_refuses_unknown_tables(empty_stores: Stores):
    with pytest.raises(StoreError, match="unknown table"):
        empty_stores.sources.row_count("accounts; DROP TABLE accounts")


def test_a_reader_migrates_a_generation_of_an_older_schema(tmp_path):
    import duckdb

    stores = Stores.open(tmp_path)
    with stores.sources.writer() as w:
        w.replace_table("accounts", ACCOUNTS)
    path = stores.sources.current_path()
    con = duckdb.connect(str(path))  # make it a version-1 file, as the previous Tandem wrote
    con.execute("ALTER TABLE score_snapshots DROP COLUMN expansion_ready")
    con.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    con.close()
    reopened = Stores.open(tmp_path)
    assert reopened.sources.row_count("accounts") == 2  # migrated, not deadlocked
    assert reopened.sources.current_path() != path
    columns = reopened.sources.query("DESCRIBE score_snapshots")["column_name"].to_list()
    assert "expansion_ready" in columns


def test_app_store_reads_are_kept_until_a_write_here_or_in_another_process(tmp_path):
    import subprocess
    import sys

    from dashboard.store import AppStore, appdata

    app = AppStore(tmp_path)
    with app.transaction() as con:
        con.execute("CREATE TABLE notes (body VARCHAR)")
    count = "SELECT count(*) AS n FROM notes"
    assert app.query(count)["n"][0] == 0
    opens = []
    original = appdata.AppStore._connect

    def counting(self, read_only=False):
        opens.append(read_only)
        return original(self, read_only)

    appdata.AppStore._connect = counting
    try:
        assert app.query(count)["n"][0] == 0
        assert opens == []  # kept: the file did not change
        with AppStore(tmp_path).transaction() as con:  # another session of this process
            con.execute("INSERT INTO notes VALUES ('one')")
        assert app.query(count)["n"][0] == 1
        code = (
            "import duckdb, sys; con = duckdb.connect(sys.argv[1]);"
            " con.execute(\"INSERT INTO notes VALUES ('two')\"); con.close()"
        )
        subprocess.run([sys.executable, "-c", code, str(app.path)], check=True)
        assert app.query(count)["n"][0] == 2  # another process's write is seen
    finally:
        appdata.AppStore._connect = original


def test_a_held_batch_keeps_one_connection_and_lets_the_file_go_after(tmp_path):
    """The demo's seeded history writes some forty transactions through one held connection:
    each sees the one before, a failed one is rolled back alone, and after the batch another
    process can write the file again."""
    import subprocess
    import sys

    import duckdb

    from dashboard.store import AppStore

    app = AppStore(tmp_path)
    with app.held():
        with app.transaction() as con:
            con.execute("CREATE TABLE notes (body VARCHAR)")
        with app.transaction() as con:
            con.execute("INSERT INTO notes VALUES ('one')")
        with pytest.raises(duckdb.Error), app.transaction() as con:
            con.execute("INSERT INTO notes VALUES ('half')")
            con.execute("INSERT INTO no_such_table VALUES (1)")
        assert app.query("SELECT list(body) AS b FROM notes")["b"][0].to_list() == ["one"]
    code = (
        "import duckdb, sys; con = duckdb.connect(sys.argv[1]);"
        " con.execute(\"INSERT INTO notes VALUES ('two')\"); con.close()"
    )
    subprocess.run([sys.executable, "-c", code, str(app.path)], check=True)  # released
    assert sorted(app.query("SELECT list(body) AS b FROM notes")["b"][0].to_list()) == [
        "one",
        "two",
    ]


def test_weekly_usage_runs_to_today_with_empty_weeks_at_zero(empty_stores: Stores):
    import datetime as dt

    from dashboard.store.account_detail import weekly_usage

    today = dt.date(2026, 12, 2)  # a Wednesday
    events = pl.DataFrame(
        {
            "account_id": ["a1"] * 3,
            "occurred_at": [
                dt.datetime(2026, 10, 5, 9),
                dt.datetime(2026, 10, 6, 9),
                dt.datetime(2026, 10, 20, 9),
            ],
            "user_id": ["u1", "u2", "u1"],
            "feature": ["f"] * 3,
            "quantity": [1, 1, 1],
        }
    )
    with empty_stores.sources.writer() as w:
        w.replace_table("accounts", ACCOUNTS)
        w.replace_table("usage_events", events)
    weeks = weekly_usage(empty_stores.sources, "a1", today, weeks=10)
    assert weeks.height == 10 and weeks["week"][-1] == dt.date(2026, 11, 30)  # today's week
    assert weeks["week"][0] == dt.date(2026, 9, 28)
    by_week = dict(zip(weeks["week"], weeks["active_users"], strict=True))
    assert by_week[dt.date(2026, 10, 5)] == 2 and by_week[dt.date(2026, 10, 12)] == 0  # a gap
    assert by_week[dt.date(2026, 10, 19)] == 1
    assert weeks["active_users"][-6:].to_list() == [0] * 6  # the drop to zero, up to today
    assert weeks["partial"].to_list() == [False] * 9 + [True]


def test_the_search_reads_percent_and_underscore_as_characters(empty_stores: Stores):
    """``%`` listed every account and ``_`` matched any character (ILIKE wildcards)."""
    from dashboard.store.account_detail import find_accounts
    from dashboard.store.filters import AccountFilter

    with empty_stores.sources.writer() as w:
        w.replace_table(
            "accounts",
            pl.DataFrame(
                {
                    "account_id": ["a1", "a2", "a3"],
                    "account_name": ["100% Uptime", "Acme_Labs", "AcmeXLabs"],
                }
            ),
        )
        w.execute("CREATE TABLE account_scores (account_id VARCHAR, health DOUBLE, band VARCHAR)")

    def found(text: str) -> list[str]:
        return find_accounts(empty_stores.sources, AccountFilter(), text)["account_id"].to_list()

    assert found("%") == ["a1"]
    assert found("acme_") == ["a2"]
    assert sorted(found("acme")) == ["a2", "a3"]


def test_what_every_run_asks_is_read_once_per_published_generation(empty_stores: Stores):
    """Page runs ask "is the store empty?" and "are the scores current?" every time: the store
    computes each once per published generation, and again after a publish."""
    store = empty_stores.sources
    with store.writer() as w:
        w.replace_table("accounts", ACCOUNTS)
    calls: list[int] = []

    def count() -> int:
        calls.append(1)
        return store.row_count("accounts")

    assert store.remembered("accounts", count) == 2
    assert store.remembered("accounts", count) == 2
    assert len(calls) == 1
    with store.writer() as w:
        w.replace_table("accounts", ACCOUNTS.head(1))
    assert store.remembered("accounts", count) == 1  # a publish: computed again, not the old 2
    assert len(calls) == 2
