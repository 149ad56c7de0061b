"""A corrupted or foreign file where a store should be gives a message at start-up, not a
traceback, and is left untouched."""

from __future__ import annotations

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

APP = "../dashboard/app.py"


@pytest.fixture
def data_dir(tmp_path, app_data_dir):
    return app_data_dir(tmp_path)


def _start() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_garbage_app_store(data_dir):
    (data_dir / "app.duckdb").write_bytes(b"this is not a database" * 100)
    at = _start()
    assert "cannot open its data folder" in at.error[0].value
    assert "app.duckdb" in at.error[0].value and "cannot open the app store" in at.error[0].value
    assert (data_dir / "app.duckdb").read_bytes().startswith(b"this is not")


def test_foreign_source_generation(data_dir):
    sources = data_dir / "sources"
    sources.mkdir()
    con = duckdb.connect(str(sources / "gen-000001.duckdb"))
    con.execute("CREATE TABLE meta (key VARCHAR, value VARCHAR)")
    con.execute("INSERT INTO meta VALUES ('schema_version', '99')")
    con.close()
    (sources / "CURRENT").write_text("gen-000001.duckdb")
    at = _start()
    assert "newer Tandem" in at.error[0].value


def test_the_app_shell_builds_and_scores_the_demo_on_an_empty_folder(data_dir, monkeypatch):
    """Start-up scoring lives in the app shell (dashboard/app.py), which also hands the UI
    the refresh its "rescore" runs: an empty folder gets a scored demo at the first view."""
    from dashboard.config import get_settings
    from dashboard.store import Stores
    from dashboard.store.marts import has_scores, scores_are_current

    monkeypatch.setenv("TANDEM_DEMO_ACCOUNTS", "60")
    get_settings.cache_clear()
    at = AppTest.from_file(APP, default_timeout=180).run()
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    demo = Stores.open(data_dir / "demo")
    assert demo.sources.scalar("SELECT count(*) FROM accounts") == 60
    assert has_scores(demo.sources) and scores_are_current(demo.sources)
    get_settings.cache_clear()


def test_the_first_start_writes_no_digests_and_the_nightly_job_still_does(data_dir, monkeypatch):
    """The first start scores the demo with its 12 weeks of history and its people's
    handoffs, and writes no digest (they are for delivery: no page reads them); the nightly
    job writes them for the same day."""
    import datetime as dt

    from dashboard.config import get_settings
    from dashboard.jobs.refresh import refresh
    from dashboard.store import Stores, handoff_log
    from tests.conftest import TODAY

    monkeypatch.setenv("TANDEM_DEMO_ACCOUNTS", "80")
    get_settings.cache_clear()
    at = AppTest.from_file(APP, default_timeout=180).run()
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    folder = data_dir / "demo"
    demo = Stores.open(folder)
    weeks = demo.sources.query("SELECT DISTINCT as_of FROM score_snapshots ORDER BY 1")["as_of"]
    assert weeks.to_list() == [TODAY - dt.timedelta(days=7 * k) for k in range(12, -1, -1)]
    assert handoff_log.handoff_count(demo.app) > 0  # the demo's people have their history
    assert not (folder / "digests").exists() and not (folder / "calendars").exists()
    result = refresh(demo, TODAY, folder)
    assert result.digests and all(
        p.parent == folder / "digests" / "2026-06-15" for p in result.digests
    )
    get_settings.cache_clear()


def test_the_first_page_imports_no_module_only_other_pages_need():
    """What the app shell and the Portfolio page import (every `import` of dashboard/app.py
    and pages/portfolio.py, in a fresh process) loads none of the heavy libraries that only
    a file written, a fit or a warehouse needs: they are imported where they are used."""
    import ast
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    names = set()
    for script in ("dashboard/app.py", "pages/portfolio.py"):
        for node in ast.walk(ast.parse((root / script).read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
            elif isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
    names.discard("__future__")
    heavy = ["icalendar", "sklearn", "sqlglot", "scipy", "lifelines", "openpyxl"]
    code = (
        "import importlib, sys\n"
        f"for name in {sorted(names)!r}: importlib.import_module(name)\n"
        f"print(sorted(m for m in {heavy!r} if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=root, check=True
    )
    assert "dashboard.jobs.refresh" in names and "dashboard.ui.portfolio_panels" in names
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stdout
