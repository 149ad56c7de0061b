"""Loads that cannot destroy data: every load shows its impact first; a fully rejected table,
a removal of more than half a table and child rows losing their account are refused unless
confirmed; a dry run writes nothing; the demo never mixes with a team's data."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.ingest.demo import DemoSpec, load_demo
from dashboard.jobs.refresh import refresh
from dashboard.store import Stores
from tests.conftest import source_digest, tandem

ROOT = Path(__file__).resolve().parent.parent
TODAY = dt.date(2026, 6, 15)  # conftest's fixed date


def fingerprint(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` and a hash of its bytes."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


table_digest = source_digest


@pytest.fixture
def team(tmp_path: Path) -> tuple[Stores, Path]:
    """A team's workspace holding 120 accounts with usage, surveys and all (not the demo)."""
    root = tmp_path / "data"
    stores = Stores.open(root)
    load_demo(stores.sources, DemoSpec(accounts=120, seed=8, anchor=TODAY))
    with stores.sources.writer() as writer:
        writer.set_meta("workspace", "data")  # the demo's rows, loaded as a team's own
    refresh(stores, TODAY, root)
    return stores, root


def test_a_fully_rejected_table_is_refused_and_the_store_is_unchanged(team, tmp_path):
    stores, root = team
    before = table_digest(stores)
    surveys = tmp_path / "nps.csv"
    surveys.write_text("account_id,responded_at,score\nnobody,2026-01-01,9\nnone,2026-01-02,12\n")
    done = tandem(root, "import", "surveys", str(surveys))
    assert done.returncode == 2, done.stderr
    assert "no row of nps.csv is valid" in done.stderr
    assert "nothing was loaded" in done.stderr
    assert table_digest(stores) == before
    done = tandem(root, "import", "surveys", str(surveys), "--replace")  # not even when forced
    assert done.returncode == 2
    assert table_digest(stores) == before


def test_a_load_removing_more_than_half_a_table_waits_for_a_yes(team, tmp_path):
    stores, root = team
    before = table_digest(stores)
    few = tmp_path / "few.csv"
    rows = stores.sources.query("SELECT account_id, account_name FROM accounts LIMIT 18")
    rows.write_csv(few)
    done = tandem(root, "import", "accounts", str(few), "--mode", "replace")
    assert done.returncode == 2
    assert "removes 102 of the 120 stored rows (more than half)" in done.stderr
    assert table_digest(stores) == before
    # the default, an update, adds and changes but never removes: it loads
    done = tandem(root, "import", "accounts", str(few))
    assert done.returncode == 0, done.stderr
    assert stores.sources.row_count("accounts") == 120
    # confirmed, the replace goes through, with the child rows of the removed accounts
    done = tandem(root, "import", "accounts", str(few), "--replace")
    assert done.returncode == 0, done.stderr
    assert stores.sources.row_count("accounts") == 18
    orphans = stores.sources.scalar(
        "SELECT count(*) FROM usage_events WHERE account_id NOT IN (SELECT account_id FROM accounts)"
    )
    assert orphans == 0


def test_accounts_replaced_under_existing_usage_show_the_child_rows_they_orphan(team, tmp_path):
    stores, root = team
    usage = stores.sources.row_count("usage_events")
    other = tmp_path / "other.csv"
    other.write_text("account_id,account_name\nNEW-1,Newco\nNEW-2,Otherco\n")
    done = tandem(
        root, "import", "accounts", str(other), "--mode", "replace", "--json", "--dry-run"
    )
    assert done.returncode == 2
    out = json.loads(done.stdout)
    impact = out["tables"]["accounts"]
    assert impact["rows_now"] == 120 and impact["rows_after"] == 2 and impact["removed"] == 120
    assert impact["losing_their_account"]["usage_events"] == usage
    assert any("belong to accounts this load removes" in r for r in out["refused"])
    assert stores.sources.row_count("usage_events") == usage


def test_a_dry_run_leaves_the_data_folder_byte_identical(team, tmp_path):
    _stores, root = team
    before = fingerprint(root)
    bad = tmp_path / "tickets.csv"
    bad.write_text("ticket_id,account_id,created_at\nt1,nobody,2026-01-01\nt2,,soon\n")
    done = tandem(root, "import", "tickets", str(bad), "--dry-run", "--json")
    assert done.returncode == 2
    assert json.loads(done.stdout)["files"][0]["rows_rejected"] == 2
    assert fingerprint(root) == before
    fresh = tmp_path / "fresh"  # a folder that does not exist yet stays so
    done = tandem(fresh, "import", "tickets", str(bad), "--dry-run")
    assert not fresh.exists()
    rejects = tmp_path / "rejects-here"
    tandem(root, "import", "tickets", str(bad), "--dry-run", "--rejects", str(rejects))
    assert list(rejects.glob("*.csv")) and fingerprint(root) == before


def test_importing_after_the_app_built_the_demo_leaves_no_demo_row(tmp_path, monkeypatch):
    from dashboard.config import get_settings

    monkeypatch.setenv("TANDEM_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TANDEM_DEMO_ACCOUNTS", "40")
    get_settings.cache_clear()
    at = AppTest.from_file("../dashboard/app.py", default_timeout=90).run()
    assert not at.exception
    demo = Stores.open(tmp_path / "demo")
    assert demo.sources.row_count("accounts") == 40
    assert demo.app.query("SELECT count(*) AS n FROM handoffs")["n"][0] > 0
    accounts = tmp_path / "crm.csv"
    accounts.write_text("account_id,account_name,arr\nR-1,Real One,1000\nR-2,Real Two,2000\n")
    done = tandem(tmp_path, "import", "accounts", str(accounts))
    assert done.returncode == 0, done.stderr
    real = Stores.open(tmp_path)
    assert sorted(real.sources.query("SELECT account_id FROM accounts")["account_id"]) == [
        "R-1",
        "R-2",
    ]
    for table in ("activities", "usage_events", "tickets", "owners"):
        assert real.sources.row_count(table) == 0, table
    for table in ("handoffs", "tasks", "sync_notes"):
        assert real.app.query(f"SELECT count(*) AS n FROM {table}")["n"][0] == 0, table
    assert demo.sources.row_count("accounts") == 40  # the demo is still there to switch back to
    get_settings.cache_clear()


def test_a_demo_an_older_tandem_built_in_the_data_folder_moves_aside_on_import(tmp_path):
    stores = Stores.open(tmp_path)
    load_demo(stores.sources, DemoSpec(accounts=30, seed=3, anchor=TODAY))
    refresh(stores, TODAY, tmp_path)
    accounts = tmp_path / "crm.csv"
    accounts.write_text("account_id,account_name\nR-1,Real One\n")
    done = tandem(tmp_path, "import", "accounts", str(accounts))
    assert done.returncode == 0, done.stderr
    assert Stores.open(tmp_path).sources.row_count("accounts") == 1
    assert Stores.open(tmp_path).sources.row_count("usage_events") == 0
    assert Stores.open(tmp_path / "demo").sources.row_count("accounts") == 30


def test_a_store_kept_open_sees_the_team_data_after_the_demo_moves_aside(tmp_path):
    """The app keeps one store object per folder. When the demo an older Tandem built in the
    data folder moves aside, the team's first generation gets the same file name the demo's
    had: the open store must read the new file, not the moved one, and its cache key must
    change (it did not: the Data page showed the demo's 400 accounts under 'Your data')."""
    stores = Stores.open(tmp_path)
    load_demo(stores.sources, DemoSpec(accounts=30, seed=3, anchor=TODAY))
    kept_open = Stores.open(tmp_path).sources
    assert kept_open.row_count("accounts") == 30
    key_before = kept_open.identity()
    accounts = tmp_path / "crm.csv"
    accounts.write_text("account_id,account_name\nR-1,Real One\n")
    done = tandem(tmp_path, "import", "accounts", str(accounts))
    assert done.returncode == 0, done.stderr
    assert kept_open.row_count("accounts") == 1
    assert kept_open.identity() != key_before


def eighteen_accounts(path: Path, prefix: str) -> Path:
    """A CRM file of 18 accounts (ids ``<prefix>-0`` …) with ARR and seats, nothing else."""
    lines = ["account_id,account_name,arr,licensed_seats"]
    lines += [f"{prefix}-{i},Account {prefix}{i},{1000 * (i + 1)},{10 + i}" for i in range(18)]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_eighteen_accounts_alone_in_a_fresh_workspace_are_not_red(tmp_path):
    accounts = eighteen_accounts(tmp_path / "crm.csv", "A")
    done = tandem(tmp_path, "import", "accounts", str(accounts))
    assert done.returncode == 0, done.stderr
    scores = Stores.open(tmp_path).sources.query("SELECT band, health FROM account_scores")
    assert scores.height == 18
    assert "red" not in set(scores["band"])


def test_accounts_no_usage_or_billing_row_names_are_missing_there_not_zero(team, tmp_path):
    stores, root = team
    crm = eighteen_accounts(tmp_path / "new.csv", "N")
    done = tandem(root, "import", "accounts", str(crm))
    assert done.returncode == 0, done.stderr
    new = stores.sources.query(
        "SELECT * FROM account_scores WHERE account_id LIKE 'N-%' ORDER BY account_id"
    )
    assert new.height == 18
    assert new["adoption"].null_count() == 18 and new["billing"].null_count() == 18
    assert all("usage" in m and "invoices" in m for m in new["missing_sources"])
    assert "red" not in set(new["band"])
    old = stores.sources.query("SELECT adoption FROM account_scores WHERE account_id LIKE 'ACC-%'")
    assert old["adoption"].null_count() < old.height  # the others keep their usage
