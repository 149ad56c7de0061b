"""GDPR requests: export everything about one account, delete it everywhere."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile

import polars as pl
import pytest

from dashboard.ingest.demo import DemoSpec, load_demo
from dashboard.jobs.refresh import refresh
from dashboard.store import Stores
from dashboard.workflows import decisions as sync_notes
from dashboard.workflows import handoffs as h
from dashboard.workflows.gdpr import account_data, delete_account, export_account

TODAY = dt.date(2026, 11, 22)
NOW = dt.datetime(2026, 11, 22, 12)


@pytest.fixture
def world(tmp_path):
    stores = Stores.open(tmp_path)
    load_demo(stores.sources, DemoSpec(accounts=60, seed=13, anchor=TODAY))
    refresh(stores, TODAY, tmp_path, backfill_weeks=2)
    row = stores.sources.query(
        "SELECT account_id, csm_owner FROM account_scores WHERE csm_owner IS NOT NULL"
        " ORDER BY arr DESC LIMIT 1"
    ).row(0, named=True)
    h.flag(
        stores.app,
        row["account_id"],
        "risk",
        "call me on +44 20 7946 0958",
        row["csm_owner"],
        "csm",
        now=NOW,
    )
    sync_notes.add_decision(
        stores.app, "A + B", row["account_id"], "Renewal call", None, None, "A", "csm", NOW
    )
    return stores, tmp_path, row["account_id"]


def test_export_has_every_table_and_a_manifest(world):
    stores, root, account = world
    blob = export_account(stores, account, root, NOW)
    zf = zipfile.ZipFile(io.BytesIO(blob))
    manifest = json.loads(zf.read("manifest.json"))
    assert manifest["account_id"] == account
    for table in (
        "accounts",
        "usage_events",
        "score_snapshots",
        "account_scores",
        "handoffs",
        "handoff_steps",
        "sync_notes",
        "snapshot_features",
    ):
        assert table in manifest["tables"], table
        csv_rows = pl.read_csv(io.BytesIO(zf.read(f"csv/{table}.csv")))
        assert csv_rows.height == manifest["tables"][table]
        assert json.loads(zf.read(f"json/{table}.json"))
    usage = stores.sources.scalar(
        "SELECT count(*) FROM usage_events WHERE account_id = ?", [account]
    )
    assert manifest["tables"]["usage_events"] == usage
    with pytest.raises(KeyError, match="no account"):
        export_account(stores, "ACC-NOPE", root, NOW)


def test_delete_removes_the_account_everywhere_and_keeps_only_id_and_time(world):
    stores, root, account = world
    other = stores.sources.scalar("SELECT count(*) FROM accounts WHERE account_id <> ?", [account])
    digests = list((root / "digests").rglob("*"))
    assert any(account in p.read_text() for p in digests if p.is_file())
    done = delete_account(stores, account, root, NOW)
    assert done.rows["accounts"] == 1 and done.rows["handoffs"] == 1
    assert account_data(stores, account) == {}
    assert stores.sources.scalar("SELECT count(*) FROM accounts") == other  # the rest kept
    assert not any(account in p.read_text() for p in digests if p.is_file())
    # no generation file still holds the account's bytes
    for gen in (root / "sources").glob("gen-*.duckdb"):
        assert account.encode() not in gen.read_bytes()
    audit = stores.app.query("SELECT * FROM audit_log WHERE subject = ?", [account])
    assert audit.height == 1 and audit["action"][0] == "gdpr delete"
    assert audit["actor"][0] is None
    # what was removed, counted (never a value of the account's data)
    what = json.loads(audit["detail"][0])
    assert what["rows"]["accounts"] == 1 and what["rows"]["handoffs"] == 1
    assert what["files"] >= 1 and what["records_in_files"] >= 1
    assert account not in audit["detail"][0]
    reopened = Stores.open(root)
    assert (
        reopened.sources.scalar(
            "SELECT count(*) FROM account_scores WHERE account_id = ?", [account]
        )
        == 0
    )


def test_erasure_from_the_account_page(world, app_data_dir):
    from streamlit.testing.v1 import AppTest

    _stores, root, account = world
    app_data_dir(root)
    at = AppTest.from_file("../dashboard/app.py", default_timeout=30).run()
    at.query_params["account"] = account
    at.switch_page("../pages/account.py").run()
    assert at.button(key="gdpr_delete").disabled
    at.text_input(key="gdpr_confirm").input(account).run()
    at.button(key="gdpr_delete").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("erased" in s.value for s in at.success)
    assert account_data(Stores.open(root), account) == {}


def _short_ids(stores: Stores) -> None:
    """The demo's ids ``ACC-000007`` become ``7``: ids that are substrings of each other."""
    from dashboard.store.account_data import tables_with_accounts

    with stores.sources.writer() as writer:
        for table in tables_with_accounts(stores.sources):
            if writer.has_table(table):
                writer.execute(
                    f"UPDATE {table} SET account_id = regexp_replace(account_id, '^ACC-0*', '')"
                )


def _records(root) -> dict[str, list[str]]:
    """Every record of every data file: Markdown and log lines, CSV rows, calendar events."""
    import csv

    from icalendar import Calendar

    out: dict[str, list[str]] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if not path.is_file() or rel.split("/")[0] in ("sources", "app.duckdb"):
            continue
        if path.suffix == ".csv":
            out[rel] = ["\x1f".join(r) for r in csv.reader(io.StringIO(path.read_text()))]
        elif path.suffix == ".ics":
            events = Calendar.from_ical(path.read_bytes()).walk("VEVENT")
            out[rel] = [e.to_ical().decode() for e in events]
        else:
            out[rel] = path.read_text().splitlines()
    return out


def test_export_and_erasure_find_one_account_exactly_in_every_file(tmp_path):
    """Account ``7`` among ``17``, ``70`` and an account named ``Acme 7 Ltd``: the export and
    the erasure find its records in every file Tandem writes (digests .md and .csv, both task
    imports, the calendar feeds, a saved renewal .ics, rejected rows, a server log), and touch
    no other account's. Before, both matched the id as a substring (exporting ``7`` handed over
    other accounts' lines) and read the digests only (the feeds and task files kept it). An
    owner whose only work was the account keeps a feed without events."""
    from icalendar import Calendar

    from dashboard.jobs.digests import file_stem
    from dashboard.store.filters import AccountFilter
    from dashboard.views.ics import renewals_ics
    from dashboard.views.renewals import renewal_view
    from tests.conftest import tandem

    root = tmp_path / "data"
    stores = Stores.open(root)
    load_demo(stores.sources, DemoSpec(accounts=80, seed=13, anchor=TODAY))
    _short_ids(stores)
    victim, name, solo = "7", "Zephyr Seven GmbH", "Solo Owner"
    with stores.sources.writer() as writer:
        writer.set_meta("workspace", "data")  # the team's own data: an import stays here
        writer.execute(
            "UPDATE accounts SET account_name = ?, domain = 'zephyr7.example',"
            " am_owner = ? WHERE account_id = ?",
            [name, solo, victim],
        )
        writer.execute(
            "INSERT INTO owners (owner, role, email) VALUES (?, 'am', 'solo@t.example')", [solo]
        )
        writer.execute("UPDATE accounts SET account_name = 'Acme 7 Ltd' WHERE account_id = '8'")
    neighbours = ["17", "70", "8"]
    refresh(stores, TODAY, root)
    csm = dict(stores.sources.query("SELECT account_id, csm_owner FROM accounts").iter_rows())
    for account in [victim, *neighbours]:
        h.flag(
            stores.app,
            account,
            "risk",
            f"renewal at risk at {account}",
            csm[account],
            "csm",
            now=NOW,
        )
    result = refresh(stores, TODAY, root)  # the handoffs become the AMs' tasks and events
    (root / "downloads").mkdir()
    view = renewal_view(stores, AccountFilter())
    (root / "downloads" / "renewals.ics").write_bytes(renewals_ics(view.renewals, NOW))
    bad = tmp_path / "tickets.csv"
    bad.write_text(
        "ticket_id,account_id,opened_at\nT1,7,not a date\nT2,17,not a date\nT3,70,not a date\n"
    )
    tandem(root, "import", "tickets", str(bad), "--dry-run", "--rejects", str(root / "rejects"))
    assert list((root / "rejects").glob("*.csv"))
    (root / "serve").mkdir()
    (root / "serve" / "worker-1.log").write_text(
        "GET /account?account=7 failed\nGET /account?account=17 failed\nAcme 7 Ltd opened\n"
    )
    solo_feed = f"calendars/{file_stem(solo)}.ics"
    before = _records(root)
    solo_events = Calendar.from_ical((root / solo_feed).read_bytes()).walk("VEVENT")
    assert solo_events and {str(e["x-tandem-account-id"]) for e in solo_events} == {victim}

    def about_victim(file: str, record: str) -> bool:
        """Independently of the code under test: the record is about account 7."""
        if file.endswith(".ics"):
            return f"X-TANDEM-ACCOUNT-ID:{victim}\r\n" in record
        if file.endswith(".log"):
            return "account=7 " in record
        if file.startswith("rejects/"):
            return f"\x1f{victim}\x1f" in record
        return name in record

    expected = {f: [r for r in rs if about_victim(f, r)] for f, rs in before.items()}
    expected = {f: rs for f, rs in expected.items() if rs}
    kinds = {f.split("/")[0] + (f[f.rfind(".") :] if "." in f else "") for f in expected}
    assert kinds >= {
        "digests.md",
        "digests.csv",
        "calendars.ics",
        "downloads.ics",
        "rejects.csv",
        "serve.log",
    }
    assert any(f.endswith("tasks-hubspot.csv") for f in expected)
    assert any(f.endswith("tasks-salesforce.csv") for f in expected)

    zf = zipfile.ZipFile(io.BytesIO(export_account(stores, victim, root, NOW)))
    manifest = json.loads(zf.read("manifest.json"))
    assert manifest["data_files"] == {f: len(rs) for f, rs in expected.items()}
    assert manifest["files_not_read"] == []
    for file in expected:
        text = zf.read(f"files/{file}").decode()
        for other in ("Acme 7 Ltd", "account=17", "at risk at 17", "at risk at 70"):
            assert other not in text, (file, other)

    done = delete_account(stores, victim, root, NOW)
    assert done.files == {f: len(rs) for f, rs in expected.items()}
    after = _records(root)
    for file, records in before.items():
        kept = [r for r in records if r not in expected.get(file, [])]
        assert after[file] == kept, file  # every other account's record as it was
    for path in root.rglob("*"):
        if path.is_file() and path.suffix in (".md", ".csv", ".ics", ".log"):
            text = path.read_text()
            assert name not in text and "zephyr7.example" not in text, path
    # the owner whose only work was the account: the feed stays, without events
    assert Calendar.from_ical((root / solo_feed).read_bytes()).walk("VEVENT") == []
    assert len(result.work_files) > 3
    again = refresh(stores, TODAY, root)  # the next night: still no work, still empty
    assert root / solo_feed not in again.work_files
    assert Calendar.from_ical((root / solo_feed).read_bytes()).walk("VEVENT") == []


def test_erasure_removes_the_accounts_renewal_calls_and_risk_steps(world):
    """What people typed about the account in a renewal call or a risk step (a reason, a next
    step) is exported with it and erased with it; nobody else's is touched."""
    from dashboard.workflows import renewal_calls as rc
    from dashboard.workflows.access import LOCAL

    stores, root, account = world
    hid = h.handoffs(stores.app, [account])["handoff_id"][0]
    am = stores.sources.query(
        "SELECT am_owner FROM account_scores WHERE account_id = ?", [account]
    )["am_owner"][0]
    plan = {
        "reason": "champion left",
        "owner": am or "someone",
        "next_step": "ring +44 20 7946 0958",
        "due_on": TODAY + dt.timedelta(days=3),
    }
    h.advance(
        stores.app,
        hid,
        "plan",
        am or "x",
        "am",
        from_state="flagged",
        account_has_am=True,
        now=NOW,
        risk=plan,
    )
    owners = stores.sources.query(
        "SELECT account_id, csm_owner, am_owner FROM account_scores ORDER BY account_id"
    )
    other = owners.filter(pl.col("account_id") != account).row(0, named=True)
    renewal = TODAY + dt.timedelta(days=120)  # in the call horizon, not frozen
    for row in (owners.filter(pl.col("account_id") == account).row(0, named=True), other):
        rc.record_call(
            stores.app,
            LOCAL,
            {**row, "renewal_date": renewal},
            "commit",
            "sponsor on +44 20 7946 0958",
            1.0,
            NOW,
            seen_version=None,
        )
    found = account_data(stores, account)
    assert found["risk_steps"].height == 1 and found["renewal_calls"].height == 1
    delete_account(stores, account, root, NOW)
    assert account_data(stores, account) == {}
    assert h.risk_steps(stores.app).is_empty()
    kept = rc.current_calls(stores.app)
    assert account not in kept["account_id"].to_list()
    assert kept["account_id"].to_list() == [other["account_id"]]
