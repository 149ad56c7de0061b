"""tandem backup: a consistent copy that Tandem opens as is."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

from dashboard.store import Stores
from dashboard.workflows import decisions as sync_notes

NOW = dt.datetime(2026, 11, 22, 12)


def test_backup_copies_both_stores(demo_dir, tmp_path):
    stores = Stores.open(demo_dir)
    sync_notes.add_decision(stores.app, "P + Q", None, "backed up", None, None, "x", "csm", NOW)
    dest = tmp_path / "bak"
    env = {**os.environ, "TANDEM_DATA_DIR": str(demo_dir)}
    run = subprocess.run(
        [sys.executable, "-m", "dashboard.cli", "backup", str(dest)],
        env=env,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    manifest = json.loads(run.stdout)
    assert "app.duckdb" in manifest["files"] and manifest["source_generation"]
    copy = Stores.open(dest)
    for table in ("accounts", "usage_events", "account_scores", "score_snapshots"):
        sql = f"SELECT count(*) FROM {table}"
        assert copy.sources.scalar(sql) == stores.sources.scalar(sql)
    assert "backed up" in copy.app.query("SELECT decision FROM sync_notes")["decision"].to_list()
    again = subprocess.run(
        [sys.executable, "-m", "dashboard.cli", "backup", str(dest)],
        env=env,
        capture_output=True,
        text=True,
    )
    assert again.returncode == 2 and "not empty" in again.stderr
