"""The one import flow (``workflows/import_flow.py``): the Data page, ``tandem import`` and the
connected database check the same files alike, load them, and rescore after the load."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.jobs.refresh import refresh
from dashboard.store import Stores
from dashboard.store.features import default_as_of
from dashboard.store.load_log import load_records
from dashboard.store.marts import scores_are_current
from dashboard.workflows.access import NotAllowed, Viewer
from dashboard.workflows.import_flow import (
    ImportFlow,
    Loaded,
    LoadMode,
    SourceConfig,
    SourceError,
    reload_from_database,
)
from dashboard.workflows.import_flow import check_database as check_db

TODAY = dt.date(2026, 6, 15)
LAST_USE = dt.date(2026, 6, 10)  # the last activity fact
AS_OF = dt.date(2026, 6, 11)  # the data is scored as of the day after it, on every path
ACCOUNTS = pl.DataFrame(
    {
        "account_id": ["a1", "a2", "a3"],
        "account_name": ["Alpha Ltd", "Beta GmbH", "Gamma Inc"],
        "arr": [12000.0, 48000.0, 7000.0],
        "renewal_date": ["2026-09-01", "2026-12-01", "2027-02-01"],
        "segment": ["SMB", "Mid-Market", "SMB"],
    }
)
USAGE = pl.DataFrame(
    {
        "account_id": ["a1", "a1", "a2", "a3", "a2"],
        "occurred_at": [
            "2026-06-01 09:00:00",
            "2026-06-02 10:00:00",
            "2026-06-05 11:00:00",
            "2026-06-08 12:00:00",
            f"{LAST_USE} 13:00:00",
        ],
        "user_id": ["u1", "u2", "u3", "u4", "u3"],
        "feature": ["reports", "reports", "export", "reports", "alerts"],
    }
)


def _files(folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    accounts, usage = folder / "accounts.csv", folder / "usage.csv"
    ACCOUNTS.write_csv(accounts)
    USAGE.write_csv(usage)
    return accounts, usage


def _plan(flow: ImportFlow, accounts: Path, usage: Path) -> list:
    a, u = flow.add(accounts.name, accounts), flow.add(usage.name, usage)
    return [
        (flow.suggest("accounts", a.columns), a.view),
        (flow.suggest("usage_events", u.columns), u.view),
    ]


def _sqlite(path: Path) -> SourceConfig:
    con = sqlite3.connect(path)
    con.execute(
        "CREATE TABLE crm (account_id TEXT, account_name TEXT, arr REAL, renewal_date TEXT,"
        " segment TEXT)"
    )
    con.executemany("INSERT INTO crm VALUES (?, ?, ?, ?, ?)", ACCOUNTS.rows())
    con.execute(
        "CREATE TABLE events (account_id TEXT, occurred_at TEXT, user_id TEXT, feature TEXT)"
    )
    con.executemany("INSERT INTO events VALUES (?, ?, ?, ?)", USAGE.rows())
    con.commit()
    con.close()
    return SourceConfig(
        uri=f"sqlite:///{path}", tables={"accounts": "crm", "usage_events": "events"}
    )


def _rescore(stores: Stores) -> dt.date:
    return refresh(stores, default_as_of(stores.sources, TODAY), stores.sources.root.parent).as_of


def _impacts(checked) -> dict[str, tuple[int, int, int, int, int]]:
    return {
        i.table: (i.rows_now, i.rows_after, i.rows_added, i.rows_removed, i.rows_rejected)
        for i in checked.impacts
    }


def _stored(folder: Path) -> dict[str, pl.DataFrame]:
    stores = Stores.open(folder)
    return {
        "accounts": stores.sources.query(
            "SELECT account_id, account_name, arr, renewal_date, segment FROM accounts ORDER BY 1"
        ),
        "usage_events": stores.sources.query(
            "SELECT account_id, occurred_at, user_id, feature FROM usage_events ORDER BY 2"
        ),
    }


def _scored_as_of(folder: Path) -> dt.date:
    """The scores are there, current, one per live account; the date scored as of."""
    sources = Stores.open(folder).sources
    assert scores_are_current(sources), f"{folder}: not rescored after the load"
    scored = sources.query("SELECT account_id, as_of FROM account_scores ORDER BY 1")
    assert scored["account_id"].to_list() == ["a1", "a2", "a3"]
    return scored["as_of"].unique().item()


def test_the_flow_rescores_the_stores_it_loaded_into_after_the_load(tmp_path):
    accounts, usage = _files(tmp_path / "files")
    stores = Stores.open(tmp_path / "data")
    seen: list[tuple[int, int]] = []

    def rescore(target: Stores) -> dt.date:  # what the rescore finds: the loaded rows
        seen.append(
            (target.sources.row_count("accounts"), target.sources.row_count("usage_events"))
        )
        return _rescore(target)

    flow = ImportFlow(files_allowed=[accounts, usage])
    try:
        checked = flow.check(_plan(flow, accounts, usage), stores.sources, TODAY)
        assert not checked.errors and not checked.refused()
        loaded = flow.load(checked, stores, "test", rescore=rescore, now=dt.datetime(2026, 6, 15))
    finally:
        flow.close()
    assert seen == [(3, 5)]
    assert loaded == Loaded({"accounts": 3, "usage_events": 5}, AS_OF)
    assert _scored_as_of(tmp_path / "data") == AS_OF


def test_a_refused_load_neither_writes_nor_rescores(tmp_path):
    """The identity yes is the flow's rule: a non-leader's yes is refused before anything is
    written, and nothing is rescored."""
    folder = tmp_path / "data"
    stores = Stores.open(folder)
    flow = ImportFlow()
    called: list[Stores] = []
    try:
        staged = flow.add(
            "owners.csv", b"owner,role,email,team\nAnn Lee,csm,ann@tandem.test,EMEA\n"
        )
        plan = [(flow.suggest("owners", staged.columns), staged.view)]
        loaded = flow.load(
            flow.check(plan, stores.sources, TODAY), stores, "first", rescore=lambda s: TODAY
        )
        assert loaded.counts == {"owners": 1}
        flow.add("owners.csv", b"owner,role,email,team\nAnn Lee,csm,ann@elsewhere.test,EMEA\n")
        checked = flow.check(plan, stores.sources, TODAY)
        assert len(checked.identity_changes) == 1
        generation = stores.sources.generation()
        with pytest.raises(NotAllowed, match="only a leader can confirm"):
            flow.load(
                checked,
                stores,
                "second",
                rescore=called.append,  # type: ignore[arg-type]
                confirmed=True,
                identity_confirmed=True,
                viewer=Viewer(name="Bo", role="csm"),
            )
    finally:
        flow.close()
    assert called == [] and stores.sources.generation() == generation


def test_page_command_line_and_database_check_alike_load_alike_and_rescore(
    tmp_path, monkeypatch, app_data_dir
):
    """The same two files through the Data page, ``tandem import`` and a connected SQLite
    database: the same impact, the same stored rows, each rescored as of the same date."""
    accounts, usage = _files(tmp_path / "files")

    # the connected database, through the flow's unattended reload
    db_folder = tmp_path / "db"
    config = _sqlite(tmp_path / "crm.sqlite")
    db_flow, db_checked = check_db(config, Stores.open(db_folder), TODAY)
    db_flow.close()
    loaded = reload_from_database(config, Stores.open(db_folder), TODAY, rescore=_rescore)
    assert loaded.counts == {"accounts": 3, "usage_events": 5}

    # the command line, in its own process
    cli_folder = tmp_path / "cli"
    env = {**os.environ, "TANDEM_DATA_DIR": str(cli_folder)}
    named = ["--as", "accounts.csv=accounts", "--as", "usage.csv=usage_events"]
    command = ["import", str(accounts), str(usage), "--json", *named]
    done = subprocess.run(
        [sys.executable, "-m", "dashboard.cli", *command],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    cli_impacts = {
        t: (i["rows_now"], i["rows_after"], i["added"], i["removed"], i["rejected"])
        for t, i in out["tables"].items()
    }

    # the Data page (the app builds a small demo first, in its own workspace)
    from dashboard.config import get_settings

    page_folder = tmp_path / "page"
    Stores.open(page_folder)
    monkeypatch.setenv("TANDEM_DEMO_ACCOUNTS", "20")
    app_data_dir(page_folder)  # put back, with the settings read again, after the test
    try:
        at = AppTest.from_file("../dashboard/app.py", default_timeout=120).run()
        at.switch_page("../pages/data.py").run()
        files = [(p.name, p.read_bytes(), "text/csv") for p in (accounts, usage)]
        at.file_uploader(key="uploads").set_value(files).run()
        at.selectbox(key="table_accounts").set_value("accounts").run()
        at.selectbox(key="table_usage").set_value("usage_events").run()
        at.button(key="import_check").click().run()
        assert not at.exception and not at.error, [e.value for e in at.error]
        page_checked = at.session_state["import_checked"][1]
        at.button(key="import_load").click().run()
        assert not at.exception
        message = at.success[-1].value
    finally:
        get_settings.cache_clear()

    # one flow: the same impact on an empty workspace, from the same rows
    expected = {"accounts": (0, 3, 3, 0, 0), "usage_events": (0, 5, 5, 0, 0)}
    assert _impacts(db_checked) == cli_impacts == _impacts(page_checked) == expected
    assert {i.mode for i in db_checked.impacts} == {LoadMode.REPLACE}  # the database's rule
    stored = [_stored(f) for f in (db_folder, cli_folder, page_folder)]
    for table in ("accounts", "usage_events"):
        assert stored[0][table].equals(stored[1][table]) and stored[1][table].equals(
            stored[2][table]
        ), table
    # and each rescored after its load, as of the last activity
    assert "3 accounts, 5 usage_events" in message and f"scored as of {AS_OF}" in message
    assert out["as_of"] == AS_OF.isoformat() and out["scored_accounts"] == 3
    assert loaded.as_of == AS_OF
    assert [_scored_as_of(f) for f in (db_folder, cli_folder, page_folder)] == [AS_OF] * 3
    sources = [load_records(Stores.open(f).sources)["source"][0] for f in (db_folder, page_folder)]
    assert sources[0].startswith("database sqlite") and sources[1] == "upload"


def test_the_ui_imports_nothing_of_ingest():
    """Not even lazily or relatively: the UI reaches the import through the workflow."""
    import ast

    root = Path(__file__).resolve().parent.parent
    found = []
    for path in [*(root / "dashboard" / "ui").rglob("*.py"), *(root / "pages").glob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [("." * node.level) + (node.module or "")]
            found += [f"{path.name}: {n}" for n in names if "ingest" in n.split(".")]
    assert not found, found


def test_an_empty_database_table_loads_nothing_and_never_empties_ours(tmp_path):
    """A connected database's empty table (no contacts yet): the rest reloads and that
    table is left out; once rows are stored here, an empty table there is refused, not read
    as 'remove them all', and nothing changes."""
    config = _sqlite(tmp_path / "crm.sqlite")
    con = sqlite3.connect(tmp_path / "crm.sqlite")
    con.execute("CREATE TABLE people (account_id TEXT, name TEXT, email TEXT)")
    con.commit()
    config = SourceConfig(uri=config.uri, tables={**config.tables, "contacts": "people"})
    stores = Stores.open(tmp_path / "data")
    loaded = reload_from_database(config, stores, TODAY, rescore=_rescore)
    assert loaded.counts == {"accounts": 3, "usage_events": 5}
    assert stores.sources.row_count("contacts") == 0
    con.execute("INSERT INTO people VALUES ('a1', 'Ana Berg', 'ana@alpha.example')")
    con.commit()
    assert reload_from_database(config, stores, TODAY, rescore=_rescore).counts["contacts"] == 1
    con.execute("DELETE FROM people")
    con.commit()
    con.close()
    before = stores.sources.generation()
    with pytest.raises(SourceError, match="contacts: the database's table is empty and would"):
        reload_from_database(config, stores, TODAY, rescore=_rescore)
    assert stores.sources.generation() == before and stores.sources.row_count("contacts") == 1
