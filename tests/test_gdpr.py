"""GDPR requests: export everything about one account, delete it everywhere."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile

import polars as pl
import pytest

from dashboard.ingest.demo import DemoSpec, load_demo
from dashboard.jobs.gdpr import account_data, delete_account, export_account
from dashboard.jobs.refresh import refresh
from dashboard.store import Stores
from dashboard.workflows import decisions as sync_notes
from dashboard.workflows import handoffs as h

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
    h.flag(stores.app, row["account_id"], "risk", "call me on +44 20 7946 0958", row["csm_owner"],
           "csm", now=NOW)  # fmt: skip
    sync_notes.add_decision(stores.app, "A + B", row["account_id"], "Renewal call", None, None,
                            "A", "csm", NOW)  # fmt: skip
    return stores, tmp_path, row["account_id"]


def test_export_has_every_table_and_a_manifest(world):
    stores, root, account = world
    blob = export_account(stores, account, root, NOW)
    zf = zipfile.ZipFile(io.BytesIO(blob))
    manifest = json.loads(zf.read("manifest.json"))
    assert manifest["account_id"] == account
    for table in ("accounts", "usage_events", "score_snapshots", "account_scores", "handoffs",
                  "handoff_steps", "sync_notes", "snapshot_features"):  # fmt: skip
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
    assert audit["actor"][0] is None and audit["detail"][0] is None
    reopened = Stores.open(root)
    assert reopened.sources.scalar("SELECT count(*) FROM account_scores WHERE account_id = ?",
                                   [account]) == 0  # fmt: skip


def test_erasure_from_the_account_page(world, app_data_dir):
    from streamlit.testing.v1 import AppTest

    stores, root, account = world
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
