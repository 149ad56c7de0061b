"""The connected database: a real PostgreSQL server on loopback, started here."""

import contextlib
import datetime as dt
import os
import socket
import subprocess
import sys
import threading

import pytest

from dashboard.ingest.connectors import SourceConfig, SourceError, redact_uri, source_config
from dashboard.jobs.refresh import refresh
from dashboard.store import Stores
from dashboard.store.features import default_as_of
from dashboard.workflows.import_flow import reload_from_database
from tests.pg import PASSWORD, find_bin, free_port, postgres_server

TODAY = dt.date(2026, 6, 1)

if not find_bin("initdb"):
    if os.environ.get("CI"):
        pytest.fail("PostgreSQL is missing in CI: .ci/run should have installed it", pytrace=False)
    pytest.skip("Debian's postgresql package is not installed", allow_module_level=True)


@pytest.fixture(scope="module")
def pg_uri() -> str:
    with postgres_server() as uri:
        import adbc_driver_postgresql.dbapi as driver

        con = driver.connect(uri)
        cur = con.cursor()
        cur.execute(
            "CREATE TABLE crm_accounts (account_id text, account_name text, arr numeric(12,2),"
            " renewal_date date, segment text)"
        )
        cur.execute(
            "INSERT INTO crm_accounts VALUES ('a1', 'Alpha', 12000.50, '2026-09-01', 'SMB'),"
            " ('a2', 'Beta', 48000, '2026-12-01', 'Mid-Market')"
        )
        cur.execute("CREATE TABLE events (acct text, ts timestamp, who text, what text)")
        cur.execute(
            "INSERT INTO events SELECT 'a1', timestamp '2026-05-01' + (g || ' hours')::interval,"
            " 'u' || (g % 5), 'reports' FROM generate_series(1, 200) g"
        )
        con.commit()
        cur.close()
        con.close()
        yield uri


def rescore(stores: Stores) -> dt.date:
    """The caller's rescore the import flow runs after a reload (the CLI's and the app's
    are ``refresh`` too)."""
    return refresh(stores, default_as_of(stores.sources, TODAY), stores.sources.root.parent).as_of


def load_from_database(cfg: SourceConfig, stores: Stores, today: dt.date) -> dict[str, int]:
    """A reload through the one import flow; the rows written per table."""
    return reload_from_database(cfg, stores, today, rescore=rescore).counts


def config(uri: str, **kw) -> SourceConfig:
    tables = {
        "accounts": "crm_accounts",
        "usage_events": "SELECT acct AS account_id, ts AS occurred_at, who AS user_id, what AS feature FROM events",
    }
    return SourceConfig(uri=uri, tables=kw.pop("tables", tables), **kw)


def test_loads_tables_and_queries_from_postgres(pg_uri, empty_stores: Stores):
    counts = load_from_database(config(pg_uri), empty_stores, TODAY)
    assert counts == {"accounts": 2, "usage_events": 200}
    accounts = empty_stores.sources.query(
        "SELECT account_id, arr, renewal_date FROM accounts ORDER BY 1"
    )
    assert accounts["arr"].to_list() == [12000.5, 48000.0]  # NUMERIC arrives as a number
    assert accounts["renewal_date"][0] == dt.date(2026, 9, 1)
    source = empty_stores.sources.scalar("SELECT source FROM loads WHERE table_name = 'accounts'")
    assert "***" in source and PASSWORD not in source


def _assert_unchanged(stores: Stores, before: int) -> None:
    assert stores.sources.row_count("accounts") == before


def test_wrong_password(pg_uri, empty_stores: Stores):
    load_from_database(config(pg_uri), empty_stores, TODAY)
    wrong = pg_uri.replace(PASSWORD, "not-the-password")
    with pytest.raises(SourceError) as err:
        load_from_database(config(wrong), empty_stores, TODAY)
    assert "password authentication failed" in str(err.value)
    assert "not-the-password" not in str(err.value) and PASSWORD not in str(err.value)
    _assert_unchanged(empty_stores, 2)


def test_refused_connection(empty_stores: Stores):
    uri = f"postgresql://tandem:{PASSWORD}@127.0.0.1:{free_port()}/postgres"
    with pytest.raises(SourceError) as err:
        load_from_database(config(uri), empty_stores, TODAY)
    message = str(err.value)
    assert "127.0.0.1" in message and ("refused" in message.lower() or "connect" in message.lower())
    assert PASSWORD not in message
    _assert_unchanged(empty_stores, 0)


def test_timeout(empty_stores: Stores):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(5)
    port = silent.getsockname()[1]
    stop = threading.Event()

    def accept_and_wait() -> None:
        silent.settimeout(0.2)
        held = []
        while not stop.is_set():
            with contextlib.suppress(OSError):  # accept() times out every 0.2 s
                held.append(silent.accept()[0])

    thread = threading.Thread(target=accept_and_wait, daemon=True)
    thread.start()
    try:
        uri = f"postgresql://tandem:{PASSWORD}@127.0.0.1:{port}/postgres"
        with pytest.raises(SourceError) as err:
            load_from_database(config(uri, timeout_seconds=1), empty_stores, TODAY)
        assert "timeout" in str(err.value).lower()
        assert PASSWORD not in str(err.value)
    finally:
        stop.set()
        thread.join()
        silent.close()
    _assert_unchanged(empty_stores, 0)


def test_bad_rows_in_the_database_stop_the_whole_refresh(pg_uri, empty_stores: Stores):
    load_from_database(config(pg_uri), empty_stores, TODAY)
    tables = {"accounts": "SELECT NULL::text AS account_id, 'x' AS account_name"}
    with pytest.raises(
        SourceError,
        match=r"accounts: 1 row\(s\) rejected \(row 1: column account_id: required but empty",
    ):
        load_from_database(config(pg_uri, tables=tables), empty_stores, TODAY)
    _assert_unchanged(empty_stores, 2)


def test_sqlite_source(tmp_path, empty_stores: Stores):
    import sqlite3

    db = tmp_path / "crm.sqlite"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE accounts (account_id TEXT, account_name TEXT, arr REAL)")
    con.execute("INSERT INTO accounts VALUES ('s1', 'Sqlite Co', 100.0)")
    con.commit()
    con.close()
    counts = load_from_database(
        SourceConfig(uri=f"sqlite:///{db}", tables={"accounts": "accounts"}), empty_stores, TODAY
    )
    assert counts == {"accounts": 1}


def test_config_from_secrets_and_redaction(tmp_path, monkeypatch):
    monkeypatch.delenv("TANDEM_SOURCE_URI", raising=False)
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(
        '[tandem.source]\nuri = "postgresql://u:pw@h:5432/db"\n[tandem.source.tables]\naccounts = "crm_accounts"\n'
    )
    cfg = source_config(secrets)
    assert cfg is not None and cfg.tables == {"accounts": "crm_accounts"}
    assert redact_uri(cfg.uri) == "postgresql://u:***@h:5432/db"


def test_refresh_command_reloads_the_source(pg_uri, tmp_path):
    env = {
        **os.environ,
        "TANDEM_DATA_DIR": str(tmp_path),
        "TANDEM_SOURCE_URI": pg_uri,
        "TANDEM_SOURCE_TABLES": '{"accounts": "crm_accounts"}',
    }
    done = subprocess.run(
        [sys.executable, "-m", "dashboard.cli", "refresh", "--as-of", "2026-06-01"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "reloaded from postgresql://tandem:***@" in done.stderr and PASSWORD not in done.stderr
    assert Stores.open(tmp_path).sources.row_count("accounts") == 2
