"""Loads you can undo: every load is a published generation with its record (who, when,
files, mode, rows added/removed/changed per table); ``tandem loads`` lists them, ``tandem
undo`` and the Data page's Undo put the source data back to just before a load, keeping what
people typed. The exports load and score as of a fixed day (``ANCHOR``)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import clock
from dashboard.ingest.demo import DemoSpec, load_demo
from dashboard.store import Stores
from tests.conftest import tandem


def fingerprint(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` and a hash of its bytes."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


ANCHOR = dt.date(2026, 3, 1)  # the exports end the day before: every run scores as of this day


@pytest.fixture(scope="module")
def exports(tmp_path_factory) -> Path:
    """A 40-account portfolio exported as one CSV per canonical table the demo fills (every
    exported table has rows), and ``good.toml``, a bundle that loads them all."""
    from dashboard.schema import SOURCE_TABLES

    folder = tmp_path_factory.mktemp("exports")
    scratch = Stores.open(folder / "scratch")
    load_demo(scratch.sources, DemoSpec(accounts=40, seed=5, anchor=ANCHOR))
    lines = ['source = "good exports"']
    for table in SOURCE_TABLES:
        rows = scratch.sources.query(f"SELECT * FROM {table}")
        if rows.is_empty():  # contacts: the demo has none (a file of no rows is refused)
            continue
        rows.write_csv(folder / f"{table}.csv")
        lines += ["[[load]]", f'table = "{table}"', f'files = ["{table}.csv"]']
    (folder / "good.toml").write_text("\n".join(lines) + "\n")
    return folder


def loaded_good_data(exports: Path, root: Path) -> Stores:
    done = tandem(root, "import", "--bundle", str(exports / "good.toml"))
    assert done.returncode == 0, done.stderr
    return Stores.open(root)


def load_entries(root: Path) -> list[dict]:
    done = tandem(root, "loads", "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def cli_actor() -> str:
    import getpass

    return f"{getpass.getuser()} (command line)"


def test_every_command_line_load_is_recorded_with_who_when_files_and_changes(exports, tmp_path):
    from dashboard.schema import SOURCE_TABLES

    root = tmp_path / "data"
    started = clock.utcnow()
    stores = loaded_good_data(exports, root)
    counts = {table: stores.sources.row_count(table) for table in SOURCE_TABLES}
    crm = tmp_path / "crm_update.csv"
    first = stores.sources.query("SELECT * FROM accounts ORDER BY account_id LIMIT 1")
    crm.write_text(
        "account_id,account_name,arr\n"
        f"{first['account_id'][0]},{first['account_name'][0]},{first['arr'][0] + 1000}\n"
        "NEW-1,Newco,5000\n"
    )
    done = tandem(root, "import", "accounts", str(crm))
    assert done.returncode == 0, done.stderr
    second, good = load_entries(root)  # newest first
    assert second["kind"] == good["kind"] == "load"
    assert second["actor"] == good["actor"] == cli_actor()
    assert second["files"] == ["crm_update.csv"] and second["mode"] == "update"
    assert second["tables"] == {
        "accounts": {"rows_before": 40, "rows_after": 41, "added": 1, "removed": 0, "changed": 1}
    }
    exported = [t for t in SOURCE_TABLES if (exports / f"{t}.csv").exists()]
    assert sorted(good["files"]) == sorted(f"{t}.csv" for t in exported)
    for table in exported:  # the first load added every row of every table
        assert good["tables"][table] == {
            "rows_before": 0,
            "rows_after": counts[table],
            "added": counts[table],
            "removed": 0,
            "changed": 0,
        }, table
    assert good["generation_before"] is None  # the workspace was empty: undo empties it
    assert second["generation_before"] > good["generation"]  # the rescore came in between
    for entry in (good, second):
        loaded_at = dt.datetime.fromisoformat(entry["loaded_at"])
        assert started <= loaded_at <= clock.utcnow()
        assert entry["in_effect"] and entry["undone_by"] is None
    text = tandem(root, "loads").stdout
    assert text.index(second["load_id"]) < text.index(good["load_id"])
    assert "accounts: 40 -> 41 rows; 1 added, 0 removed, 1 changed" in text


def test_a_connected_database_reload_is_recorded(tmp_path):
    import sqlite3

    db = tmp_path / "crm.sqlite"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE crm (account_id TEXT, account_name TEXT, arr REAL)")
    con.execute("INSERT INTO crm VALUES ('s1', 'Sqlite Co', 100.0), ('s2', 'Other Co', 200.0)")
    con.commit()
    con.close()
    root = tmp_path / "data"
    env = {"TANDEM_SOURCE_URI": f"sqlite:///{db}", "TANDEM_SOURCE_TABLES": '{"accounts": "crm"}'}
    done = tandem(root, "refresh", "--as-of", ANCHOR.isoformat(), **env)
    assert done.returncode == 0, done.stderr
    (entry,) = load_entries(root)
    assert entry["actor"] == cli_actor() and entry["mode"] == "replace"
    assert entry["source"] == f"database sqlite:///{db}"
    assert entry["tables"]["accounts"]["added"] == 2


@pytest.fixture
def team_app(exports, tmp_path, monkeypatch):
    """The Data page over a team's workspace holding the good exports (no demo is built)."""
    from dashboard.config import get_settings

    root = tmp_path / "data"
    loaded_good_data(exports, root)
    monkeypatch.setenv("TANDEM_DATA_DIR", str(root))
    get_settings.cache_clear()
    at = AppTest.from_file("../dashboard/app.py", default_timeout=90).run()
    at.switch_page("../pages/data.py").run()
    assert not at.exception
    yield at, root
    get_settings.cache_clear()


def test_the_data_page_records_its_uploads_and_database_reloads_with_the_signed_in_identity(
    team_app, tmp_path, monkeypatch
):
    import sqlite3

    at, root = team_app
    csv = b"account_id,account_name,arr\nUP-1,Uploaded One,1000\nUP-2,Uploaded Two,2000\n"
    at.file_uploader(key="uploads").set_value([("crm_upload.csv", csv, "text/csv")]).run()
    at.button(key="import_check").click().run()
    at.button(key="import_load").click().run()
    assert not at.exception
    upload = load_entries(root)[0]
    assert upload["actor"] == "local user"  # no sign-in configured: the single local user
    assert upload["source"] == "upload" and upload["files"] == ["crm_upload.csv"]
    assert upload["tables"]["accounts"]["added"] == 2

    db = tmp_path / "crm.sqlite"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE crm (account_id TEXT, account_name TEXT)")
    stored = Stores.open(root).sources.query("SELECT account_id, account_name FROM accounts")
    con.executemany("INSERT INTO crm VALUES (?, ?)", [*stored.rows(), ("d1", "Db One")])
    con.commit()
    con.close()
    monkeypatch.setenv("TANDEM_SOURCE_URI", f"sqlite:///{db}")
    monkeypatch.setenv("TANDEM_SOURCE_TABLES", '{"accounts": "crm"}')
    at.run()
    at.button(key="db_refresh").click().run()
    assert not at.exception
    reload = load_entries(root)[0]
    assert reload["actor"] == "local user" and reload["source"] == f"database sqlite:///{db}"
    assert reload["mode"] == "replace" and reload["load_id"] != upload["load_id"]
    assert reload["tables"]["accounts"]["added"] == 1


def survey_export(path: Path, stores: Stores) -> Path:
    """A survey tool's export (``Email, Company, Score, Created At``): not an account list.
    Half its companies are stored accounts' names, half are not."""
    names = stores.sources.query("SELECT account_name FROM accounts ORDER BY 1 LIMIT 15")
    companies = names["account_name"].to_list() + [f"Prospect {i}" for i in range(15)]
    lines = ["Email,Company,Score,Created At"]
    lines += [
        f"p{i}@example.com,{c},{i % 11},2026-02-{1 + i % 27:02d}" for i, c in enumerate(companies)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def source_tables(stores: Stores) -> dict[str, pl.DataFrame]:
    """Every canonical table's rows, sorted (compared by content, whatever the order)."""
    from dashboard.schema import SOURCE_TABLES

    return {t: stores.sources.query(f"SELECT * FROM {t} ORDER BY ALL") for t in SOURCE_TABLES}


def assert_same_tables(found: dict[str, pl.DataFrame], expected: dict[str, pl.DataFrame]) -> None:
    for table, rows in expected.items():
        assert found[table].equals(rows), f"{table}: {found[table].height} rows, not {rows.height}"


def scores(stores: Stores) -> pl.DataFrame:
    return stores.sources.query(
        "SELECT account_id, health, band, coverage FROM account_scores ORDER BY account_id"
    )


def test_undo_puts_every_source_table_back_and_keeps_what_people_typed(
    exports, tmp_path, monkeypatch
):
    from dashboard.store.audit_log import audit_rows
    from dashboard.workflows.decisions import add_decision
    from dashboard.workflows.handoffs import flag

    # enough generations kept for the undo of the undo below (3 allow undoing the last load)
    monkeypatch.setenv("TANDEM_KEEP_GENERATIONS", "10")
    root = tmp_path / "data"
    stores = loaded_good_data(exports, root)
    good, good_scores = source_tables(stores), scores(stores)
    account = stores.sources.query("SELECT account_id, csm_owner FROM accounts LIMIT 1").row(0)
    typed_at = dt.datetime(2026, 3, 1, 9, 30)
    flag(stores.app, account[0], "risk", "usage halved", account[1], "csm", now=typed_at)
    add_decision(
        stores.app,
        "Cleo|Ade",
        account[0],
        "call the sponsor",
        "Ade",
        ANCHOR,
        "Cleo",
        "csm",
        typed_at,
    )
    typed = {
        t: stores.app.query(f"SELECT * FROM {t} ORDER BY ALL") for t in ("handoffs", "sync_notes")
    }

    survey = survey_export(tmp_path / "nps_responses.csv", stores)
    done = tandem(root, "import", "accounts", str(survey))  # update mode: junk rows added
    assert done.returncode == 0, done.stderr
    wrong = source_tables(stores)
    assert wrong["accounts"].height > good["accounts"].height
    (wrong_load, _) = load_entries(root)

    done = tandem(root, "undo")  # the latest load
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["undone"] == wrong_load["load_id"] and result["also_undone"] == []
    assert result["restored_generation"] == wrong_load["generation_before"]
    junk = wrong["accounts"].height - good["accounts"].height
    assert result["tables"]["accounts"]["removed"] == junk
    assert_same_tables(source_tables(stores), good)
    assert scores(stores).equals(good_scores)  # rescored as of the same day: the same scores
    for table, rows in typed.items():  # what people typed is untouched
        assert stores.app.query(f"SELECT * FROM {table} ORDER BY ALL").equals(rows), table
    audit = audit_rows(stores.app, "undo load")
    assert audit.height == 1 and audit["actor"][0] == cli_actor()
    assert audit["subject"][0] == wrong_load["load_id"]
    assert json.loads(audit["detail"][0])["undo"] == result["undo_id"]

    entries = {e["load_id"]: e for e in load_entries(root)}
    undo = entries[result["undo_id"]]
    assert undo["kind"] == "undo" and undo["actor"] == cli_actor()
    assert undo["undoes"] == [wrong_load["load_id"]]
    assert entries[wrong_load["load_id"]]["undone_by"] == result["undo_id"]
    assert "[undone by " + result["undo_id"] + "]" in tandem(root, "loads").stdout

    # the undo is a step like any other: undoing it brings the junk back, and again away
    done = tandem(root, "undo", result["undo_id"])
    assert done.returncode == 0, done.stderr
    assert_same_tables(source_tables(stores), wrong)
    assert load_entries(root)[1]["undone_by"] is not None  # the first undo, undone
    done = tandem(root, "undo")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["undone"] == wrong_load["load_id"]
    assert_same_tables(source_tables(stores), good)
    done = tandem(root, "undo", wrong_load["load_id"])  # no longer in effect
    assert done.returncode == 2 and "already undid it" in done.stderr


def test_undo_asks_before_taking_later_loads_and_refuses_what_is_no_longer_kept(exports, tmp_path):
    root = tmp_path / "data"
    keep = {"TANDEM_KEEP_GENERATIONS": "10"}
    done = tandem(root, "import", "--bundle", str(exports / "good.toml"), **keep)
    assert done.returncode == 0, done.stderr
    stores = Stores.open(root)
    good = source_tables(stores)
    survey = survey_export(tmp_path / "nps_responses.csv", stores)
    assert tandem(root, "import", "accounts", str(survey), **keep).returncode == 0
    fix = tmp_path / "owners_fix.csv"
    fix.write_text("owner,role,email\nNew Owner,csm,new.owner@example.com\n")
    assert tandem(root, "import", "owners", str(fix), **keep).returncode == 0
    later, wrong, _good = load_entries(root)
    before = fingerprint(root / "sources")

    done = tandem(root, "undo", wrong["load_id"], **keep)
    assert done.returncode == 2
    assert f"also undoes the later load {later['load_id']} (owners_fix.csv" in done.stderr
    assert "--yes" in done.stderr and "nothing was changed" in done.stderr
    assert fingerprint(root / "sources") == before  # refused: nothing written at all

    done = tandem(root, "undo", wrong["load_id"], "--yes", **keep)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["also_undone"] == [later["load_id"]]
    assert_same_tables(source_tables(stores), good)

    # with two generations kept, the one before a load is gone after its rescore
    short = {"TANDEM_KEEP_GENERATIONS": "2"}
    assert tandem(root, "import", "owners", str(fix), **short).returncode == 0
    latest = load_entries(root)[0]
    before = fingerprint(root / "sources")
    done = tandem(root, "undo", **short)
    assert done.returncode == 2
    assert (
        f"the generation before {latest['load_id']} ({latest['generation_before']}) is no longer kept"
        in done.stderr
    )
    assert "TANDEM_KEEP_GENERATIONS=2" in done.stderr and "Nothing was changed" in done.stderr
    assert fingerprint(root / "sources") == before


def test_the_data_page_undoes_a_load_after_a_yes_and_refuses_a_stale_click(
    team_app, tmp_path, monkeypatch
):
    from dashboard.store.audit_log import audit_rows
    from dashboard.store.load_log import UndoRefused
    from dashboard.workflows.loads import undo_load

    monkeypatch.setenv("TANDEM_KEEP_GENERATIONS", "10")  # the loads below keep what precedes
    at, root = team_app
    stores = Stores.open(root)
    good = source_tables(stores)
    survey = survey_export(tmp_path / "nps_responses.csv", stores)
    assert tandem(root, "import", "accounts", str(survey)).returncode == 0
    wrong = load_entries(root)[0]
    at.run()  # the page as drawn now: the survey load is the newest
    fix = tmp_path / "owners_fix.csv"
    fix.write_text("owner,role,email\nNew Owner,csm,new.owner@example.com\n")
    assert tandem(root, "import", "owners", str(fix)).returncode == 0  # another tab, meanwhile
    before = fingerprint(root / "sources")
    at.button(key=f"undo_{wrong['load_id']}").click().run()  # drawn before the owners load
    assert not at.exception
    shown = [e.value.replace("\\", "") for e in at.error]  # as written, unescaped
    assert any("the load history changed since it was shown" in e for e in shown), shown
    assert fingerprint(root / "sources") == before
    assert at.button(key=f"undo_{wrong['load_id']}")  # the page shows the history again

    latest = load_entries(root)[0]["load_id"]
    with pytest.raises(UndoRefused, match="the load history changed since it was shown"):
        undo_load(
            stores, latest, actor="x", now=dt.datetime(2026, 3, 1), expect_latest=wrong["load_id"]
        )
    assert fingerprint(root / "sources") == before

    at.button(key=f"undo_{wrong['load_id']}").click().run()  # now with the page up to date
    warning = at.warning[0].value.replace("\\", "")
    assert f"Undo {wrong['load_id']}" in warning and "nps_responses.csv" in warning
    assert f"It also undoes the later load(s):\n- {latest}" in warning
    assert fingerprint(root / "sources") == before  # nothing until the yes
    at.button(key="undo_confirm").click().run()
    assert not at.exception
    assert at.success[0].value.startswith(f"Undid {wrong['load_id']} (and {latest}) as U")
    assert_same_tables(source_tables(stores), good)
    audit = audit_rows(stores.app, "undo load")
    assert audit["actor"].to_list() == ["local user"]
    undo = load_entries(root)[0]
    assert undo["kind"] == "undo" and undo["actor"] == "local user"
    assert undo["undoes"] == [wrong["load_id"], latest]
    rows = {m.value.split("**")[1]: m.value for m in at.markdown if m.value.startswith("**")}
    assert f"undone by {undo['load_id']}" in rows[wrong["load_id"]]
    assert "—" not in rows[good_load := load_entries(root)[-1]["load_id"]], rows[good_load]
    table = at.dataframe[0].value
    counts = dict(zip(table["table_name"], table["row_count"], strict=True))
    assert counts["accounts"] == good["accounts"].height  # the page shows the restored data


def test_undoing_a_contacts_load_takes_back_the_people_it_recorded_gone(tmp_path):
    # given: two accounts and their people loaded on 1 May from the command line, then the
    # CRM's next export on 1 June (update) without X's champion Bo
    root = tmp_path / "data"
    crm = tmp_path / "accounts.csv"
    crm.write_text("account_id,account_name,arr\nX,Xeno,90000\nY,Yak,80000\n")
    header = "contact_id,account_id,name,email,role\n"
    first, later = tmp_path / "contacts_may.csv", tmp_path / "contacts_june.csv"
    first.write_text(
        header + "003X00000001,X,Ann,ann@xeno.io,user\n003X00000002,X,Bo,bo@xeno.io,champion\n"
        "003Y00000001,Y,Yu,yu@yak.io,champion\n"
    )
    later.write_text(header + "003X00000001,X,Ann,ann@xeno.io,user\n")
    for path, day in ((crm, "2026-05-01"), (first, "2026-05-01"), (later, "2026-06-01")):
        table = "accounts" if path == crm else "contacts"
        done = tandem(root, "import", table, str(path), TANDEM_TODAY=day)
        assert done.returncode == 0, done.stderr
    stores = Stores.open(root)
    gone_sql = "SELECT account_id, name, listed_on, gone_by FROM contacts_gone"
    assert stores.sources.query(gone_sql).rows() == [
        ("X", "Bo", dt.date(2026, 5, 1), dt.date(2026, 6, 1))
    ]
    # when: the June load is undone
    done = tandem(root, "undo")
    assert done.returncode == 0, done.stderr
    # expect: Bo is back among the contacts and no longer recorded gone (Y never was)
    assert stores.sources.query(gone_sql).is_empty()
    assert stores.sources.query("SELECT name FROM contacts ORDER BY name").rows() == [
        ("Ann",),
        ("Bo",),
        ("Yu",),
    ]
