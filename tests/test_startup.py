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
