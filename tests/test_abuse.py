"""A hostile user and hostile files: every case here was found by trying it, and each failed
on the code before it was fixed. Nothing they try reaches outside the import's own files,
names another person's accounts, acts in someone else's role, or runs in a spreadsheet."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from pathlib import Path

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.config import get_settings
from dashboard.ingest.demo import DemoSpec, load_demo
from dashboard.ingest.limits import Limits
from dashboard.ingest.mapping import Mapping
from dashboard.ingest.readers import FileError
from dashboard.ingest.session import ImportSession
from dashboard.jobs.refresh import refresh
from dashboard.store import Stores
from dashboard.text import md, neutralise_formulas, plain_label
from dashboard.workflows import decisions, handoffs
from dashboard.workflows.access import Actor, NotAllowed, Viewer
from tests.conftest import tandem

ROOT = Path(__file__).resolve().parent.parent
TODAY = dt.date(2026, 6, 15)  # conftest's fixed date
NOW = dt.datetime(2026, 6, 15, 10, 0)


# -- hostile files -----------------------------------------------------------------------------
def _zip_bomb(path: Path, megabytes: int) -> None:
    """An XLSX whose one cell expands to ``megabytes`` MB (a few hundred KB on disk)."""
    cell = "A" * (1 << 20)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr("[Content_Types].xml", "<Types/>")
        book.writestr(
            "xl/workbook.xml", "<workbook><sheets><sheet name='S' r:id='rId1'/></sheets></workbook>"
        )
        with book.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(b"<worksheet><sheetData><row r='1'><c r='A1' t='inlineStr'><is><t>")
            for _ in range(megabytes):
                sheet.write(cell.encode())
            sheet.write(b"</t></is></c></row></sheetData></worksheet>")


def test_a_zip_bomb_workbook_is_refused_before_it_is_read(tmp_path):
    bomb = tmp_path / "bomb.xlsx"
    _zip_bomb(bomb, 300)
    assert bomb.stat().st_size < 2 * 2**20
    session = ImportSession(Limits())
    with pytest.raises(FileError, match="bomb.xlsx expands .* zip bomb"):
        session.add("bomb.xlsx", bomb)
    session.close()
    done = tandem(tmp_path / "data", "import", "accounts", str(bomb))
    assert done.returncode == 2 and "zip bomb" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_workbook_over_the_decompressed_limit_is_refused(tmp_path):
    bomb = tmp_path / "big.xlsx"
    _zip_bomb(bomb, 30)
    session = ImportSession(Limits(max_uncompressed_mb=20, max_compression_ratio=10_000))
    with pytest.raises(FileError, match=r"big.xlsx expands to 30 MB; the limit is 20 MB"):
        session.add("big.xlsx", bomb)
    session.close()


def test_more_accounts_than_a_workspace_holds_are_refused(tmp_path):
    crm = tmp_path / "crm.csv"
    crm.write_text("account_id,account_name\n" + "".join(f"a{i},A{i}\n" for i in range(60)))
    done = tandem(tmp_path / "data", "import", "accounts", str(crm), TANDEM_MAX_ACCOUNTS="50")
    assert done.returncode == 2
    assert "60 accounts after the load; the limit is 50" in done.stderr
    assert not (tmp_path / "data" / "sources").exists()


def test_the_staging_engine_reads_no_file_but_the_imports_own(tmp_path):
    session = ImportSession()
    session.add("a.csv", b"x,y\n1,2\n")
    with pytest.raises(Exception, match="disabled by configuration|Permission"):
        session.con.sql("SELECT * FROM read_csv('/etc/passwd')").fetchall()
    with pytest.raises(Exception, match="locked"):
        session.con.execute("SET enable_external_access = true")
    session.close()


def test_a_hostile_header_is_one_name_not_sql(tmp_path):
    header = "status\" FROM read_csv('/etc/passwd') --"
    data = f'account_id,account_name,"{header.replace(chr(34), chr(34) * 2)}"\na,A,active\n'
    session = ImportSession()
    staged = session.add("evil.csv", data.encode())
    assert header in staged.columns
    assert session.distinct_values(staged.view, header) == ["active"]
    assert session.distinct_values(staged.view, 'status"') == []  # not a column: nothing
    session.close()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r) SELECT i AS account_id, 'x' AS account_name FROM r",
            "time limit of 2 s",
        ),
        ("SET memory_limit = '1TB'; SELECT 'a' AS account_id, 'A' AS account_name", "locked"),
        ("SET threads = 64; SELECT 'a' AS account_id, 'A' AS account_name", "locked"),
        ("SELECT * FROM read_csv('/etc/passwd')", "the mapping's query failed"),
        ("ATTACH '/tmp/x.duckdb' AS x; SELECT 1 AS account_id", "the mapping's query failed"),
    ],
)
def test_mapping_queries_run_under_limits_they_cannot_raise(query, message):
    session = ImportSession(Limits(query_seconds=2))
    session.add("accounts.csv", b"account_id,account_name\na,A\n")
    prepared = session.prepare([(Mapping(table="accounts", query=query), None)], None, TODAY)
    session.close()
    assert prepared[0].errors and message in prepared[0].errors[0], prepared[0].errors


# -- what leaves Tandem -----------------------------------------------------------------------
def test_downloads_neutralise_formulas():
    frame = pl.DataFrame(
        {
            "name": [
                '=HYPERLINK("http://x")',
                "+cmd|' /C calc'!A0",
                "@SUM(A1)",
                "-2+3",
                "\tx",
                "Acme",
            ],
            "arr": [1.0, -2.0, 3.0, 4.0, 5.0, 6.0],
        }
    )
    safe = neutralise_formulas(frame)
    assert safe["name"].to_list()[:5] == ["'" + v for v in frame["name"].to_list()[:5]]
    assert safe["name"][5] == "Acme" and safe["arr"].to_list() == frame["arr"].to_list()


def test_data_shown_through_markdown_and_charts_stays_text():
    hostile = "![x](http://127.0.0.1:9/x.png) [click](http://evil) :red[x] $x$ <b>b</b>"
    shown = md(hostile)
    for raw in ("![", ":red[", "<b>", "$x$"):
        assert raw not in shown, raw  # nothing left that Markdown would act on
    assert "\\!\\[x\\]" in shown and "\\<b\\>" in shown
    assert plain_label('<a href="http://x">s</a>') == '&lt;a href="http://x"&gt;s&lt;/a&gt;'


# -- roles that hold ---------------------------------------------------------------------------
@pytest.fixture
def world(tmp_path) -> tuple[Stores, Path]:
    stores = Stores.open(tmp_path)
    load_demo(stores.sources, DemoSpec(accounts=80, seed=6, anchor=TODAY))
    refresh(stores, TODAY, tmp_path)
    return stores, tmp_path


def _pair_account(stores: Stores) -> dict:
    return stores.sources.query(
        "SELECT * FROM account_scores WHERE coverage_class = 'pair' ORDER BY arr DESC LIMIT 1"
    ).row(0, named=True)


def test_a_csm_cannot_act_as_the_am(world):
    stores, _ = world
    account = _pair_account(stores)
    csm = Viewer(account["csm_owner"], "csm", "csm@x")
    as_am = Actor(account["am_owner"], "am")
    with pytest.raises(NotAllowed):
        handoffs.flag_as(
            stores.app, csm, account, "expansion", "seats full", as_am, seen_steps=0, now=NOW
        )
    hid = handoffs.flag_as(
        stores.app,
        csm,
        account,
        "expansion",
        "seats full",
        Actor(csm.name, "csm"),
        seen_steps=0,
        now=NOW,
    )
    with pytest.raises(NotAllowed):
        handoffs.advance_as(
            stores.app,
            csm,
            account,
            hid,
            "qualified",
            as_am,
            from_state="flagged",
            from_kind="expansion",
            seen_step=1,
            now=NOW,
        )
    am = Viewer(account["am_owner"], "am", "am@x")
    handoffs.advance_as(
        stores.app,
        am,
        account,
        hid,
        "qualified",
        Actor(am.name, "am"),
        from_state="flagged",
        from_kind="expansion",
        seen_step=1,
        now=NOW,
    )
    steps = handoffs.handoff_history(stores.app, account["account_id"])
    assert steps.select("actor", "role").rows() == [(csm.name, "csm"), (am.name, "am")]


def test_a_stale_tab_cannot_turn_a_flag_into_another_kind(world):
    stores, _ = world
    account = _pair_account(stores)
    csm = Viewer(account["csm_owner"], "csm")
    me = Actor(csm.name, "csm")
    risk = handoffs.flag_as(
        stores.app, csm, account, "risk", "usage falling", me, seen_steps=0, now=NOW
    )
    # tab B still shows the risk as an expansion it could step: refused, nothing changes
    with pytest.raises(handoffs.HandoffError, match="risk handoff, not the expansion"):
        handoffs.advance_as(
            stores.app,
            csm,
            account,
            risk,
            "closed",
            me,
            from_state="flagged",
            from_kind="expansion",
            seen_step=1,
            now=NOW,
        )
    with pytest.raises(handoffs.HandoffError, match="already has an open risk"):
        handoffs.flag_as(stores.app, csm, account, "risk", "again", me, seen_steps=1, now=NOW)
    kinds = handoffs.handoffs(stores.app, [account["account_id"]])["kind"].to_list()
    assert kinds == ["risk"]


def test_decisions_are_written_by_the_signed_in_person(world):
    stores, _ = world
    account = _pair_account(stores)
    pair = f"{account['csm_owner']} + {account['am_owner']}"
    csm = Viewer(account["csm_owner"], "csm")
    decisions.add_decision_as(
        stores.app,
        csm,
        pair,
        None,
        "ROI review",
        None,
        None,
        NOW,
        local_author=Actor(account["am_owner"], "am"),
    )
    row = decisions.decisions(stores.app, pair).row(0, named=True)
    assert (row["author"], row["role"]) == (csm.name, "csm")  # the picker is ignored
    stranger = Viewer("Someone Else", "csm")
    with pytest.raises(NotAllowed):
        decisions.add_decision_as(stores.app, stranger, pair, None, "x", None, None, NOW)


def test_erasure_and_unmasked_export_are_for_leaders_and_audited(world, app_data_dir):
    stores, root = world
    app_data_dir(root)
    account = _pair_account(stores)
    csm = Viewer(account["csm_owner"], "csm", "c@x")
    at = AppTest.from_file("../dashboard/app.py", default_timeout=60)
    at.session_state["viewer"] = csm
    at.query_params["account"] = account["account_id"]
    at.switch_page("../pages/account.py").run()
    assert not at.exception
    assert not [b for b in at.button if b.key and b.key.startswith("gdpr")]  # no panel at all
    leader = Viewer("Lee Leader", "leader", "lee@x")
    at = AppTest.from_file("../dashboard/app.py", default_timeout=60)
    at.session_state["viewer"] = leader
    at.query_params["account"] = account["account_id"]
    at.switch_page("../pages/account.py").run()
    at.button(key=f"gdpr_prepare_{account['account_id']}").click().run()
    assert not at.exception
    audit = stores.app.query("SELECT actor, action, subject FROM audit_log")
    assert ("Lee Leader", "gdpr export", account["account_id"]) in audit.rows()
    at.text_input(key="gdpr_confirm").input(account["account_id"]).run()
    at.button(key="gdpr_delete").click().run()
    audit = stores.app.query("SELECT actor, action, subject FROM audit_log")
    assert audit.rows() == [("Lee Leader", "gdpr delete", account["account_id"])]


def test_the_gdpr_export_reads_the_organisation_it_was_asked_in(tmp_path, monkeypatch):
    monkeypatch.setenv("TANDEM_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TANDEM_ORGS", json.dumps({"acme": ["acme.com"], "globex": ["globex.com"]}))
    get_settings.cache_clear()
    for org, seed in (("acme", 1), ("globex", 2)):
        stores = Stores.open(tmp_path / "orgs" / org)
        load_demo(stores.sources, DemoSpec(accounts=30, seed=seed, anchor=TODAY))
        with stores.sources.writer() as writer:
            writer.set_meta("workspace", "data")
        refresh(stores, TODAY, tmp_path / "orgs" / org)
    globex = Stores.open(tmp_path / "orgs" / "globex")
    name = globex.sources.scalar(
        "SELECT account_name FROM accounts WHERE account_id = 'ACC-000003'"
    )
    at = AppTest.from_file("../dashboard/app.py", default_timeout=60)
    at.session_state["org"] = "globex"
    at.query_params["account"] = "ACC-000003"
    at.switch_page("../pages/account.py").run()
    at.button(key="gdpr_prepare_ACC-000003").click().run()
    assert not at.exception
    export = at.session_state["gdpr_export_ACC-000003"]
    with zipfile.ZipFile(io.BytesIO(export)) as zf:
        accounts = pl.read_csv(zf.read("csv/accounts.csv"))
    assert accounts["account_name"].to_list() == [name]
    assert not (tmp_path / "app.duckdb").exists() and not (tmp_path / "sources").exists()
    get_settings.cache_clear()


def test_a_csm_sees_no_name_outside_their_book(world, app_data_dir):
    stores, root = world
    app_data_dir(root)
    mine = _pair_account(stores)
    other = stores.sources.query(
        "SELECT account_id, account_name FROM accounts WHERE csm_owner <> $me AND"
        " coalesce(am_owner, '') <> $me LIMIT 1",
        {"me": mine["csm_owner"]},
    ).row(0, named=True)
    csm = Viewer(mine["csm_owner"], "csm", "c@x")
    seen = []
    for wanted in (other["account_id"], "ACC-999999"):
        at = AppTest.from_file("../dashboard/app.py", default_timeout=60)
        at.session_state["viewer"] = csm
        at.query_params["account"] = wanted
        at.switch_page("../pages/account.py").run()
        assert not at.exception
        text = " ".join(
            [e.value for e in at.error]
            + [str(s.options) for s in at.selectbox]
            + [t.value for t in at.title]
            + [c.value for c in at.caption]
        )
        assert other["account_name"] not in text
        seen.append(at.error[0].value.replace(wanted, "ID"))
    assert seen[0] == seen[1]  # "not yours" and "does not exist" read the same


def test_digests_and_rejects_neutralise_formulas(world, tmp_path):
    stores, root = world
    victim = stores.sources.scalar("SELECT account_id FROM account_scores ORDER BY health LIMIT 1")
    with stores.sources.writer() as writer:
        writer.execute(
            'UPDATE accounts SET account_name = \'=HYPERLINK("http://x","y")\' WHERE account_id = $id',
            {"id": victim},
        )
    refresh(stores, TODAY, root)
    texts = [p.read_text() for p in (root / "digests").rglob("*.csv")]
    assert any("'=HYPERLINK" in t for t in texts)
    assert not any(line.startswith("=") or ",=HYP" in t for t in texts for line in t.splitlines())
    bad = tmp_path / "t.csv"
    bad.write_text("ticket_id,account_id,created_at\n@SUM(A1),nobody,2026-01-01\n")
    done = tandem(
        root, "import", "tickets", str(bad), "--dry-run", "--rejects", str(tmp_path / "r")
    )
    rejected = next((tmp_path / "r").glob("*.csv")).read_text()
    assert "'@SUM(A1)" in rejected and done.returncode == 2
