"""The Weekly sync says only what the person did (issue 24, point 7): opening the page saves
nothing and pops nothing; saving a decision says it was saved."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.ingest.demo import DemoSpec, load_demo
from dashboard.jobs.refresh import refresh
from dashboard.store import Stores
from dashboard.ui.tables import rows_as_edited
from dashboard.workflows import decisions
from tests.conftest import TODAY

APP = "../dashboard/app.py"


@pytest.fixture(scope="module")
def small_demo(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("sync-noise")
    stores = Stores.open(root / "demo")
    load_demo(stores.sources, DemoSpec(accounts=60, seed=7, anchor=TODAY))
    refresh(stores, TODAY, root / "demo")
    return root


def _sync(at: AppTest | None = None) -> AppTest:
    at = at or AppTest.from_file(APP, default_timeout=60)
    at.switch_page("../pages/sync.py").run()
    assert not at.exception, at.exception
    return at


def test_opening_the_sync_saves_nothing_and_saving_says_saved(small_demo, app_data_dir):
    app_data_dir(small_demo)
    at = _sync()
    assert not at.toast
    at.text_area(key="decision_text").input("Run an ROI review before the quote")
    next(b for b in at.button if b.label == "Save the decision").click()
    at.run()
    assert [t.value for t in at.toast] == ["Saved: the decision is recorded"]
    at.run()  # said once
    assert not at.toast
    app = Stores.open(small_demo / "demo").app
    note = app.query("SELECT note_id FROM sync_notes WHERE decision LIKE 'Run an ROI%'")
    assert note.height == 1
    versions = decisions.decision_history(app, note["note_id"][0]).height
    for _ in range(2):  # a fresh tab, twice: no toast, and no version nobody wrote
        again = _sync()
        assert not again.toast, [t.value for t in again.toast]
    assert decisions.decision_history(app, note["note_id"][0]).height == versions


def test_only_a_persons_edit_is_an_edit():
    shown = [
        {
            "note_id": "a",
            "decision": "Send the deck",
            "due_on": dt.date(2026, 6, 20),
            "status": "open",
            "version": "v1",
        },
        {"note_id": "b", "decision": None, "due_on": None, "status": "open", "version": "v2"},
    ]
    editable = ("decision", "due_on", "status")
    assert rows_as_edited({}, shown, editable, ("due_on",)) == []
    # the editor hands dates back as text, and an empty text for a missing one
    same = {0: {"due_on": "2026-06-20T00:00:00", "status": "open"}, 1: {"decision": ""}}
    assert rows_as_edited(same, shown, editable, ("due_on",)) == []
    changed = rows_as_edited(
        {1: {"status": "done"}, 0: {"due_on": "2026-06-27"}}, shown, editable, ("due_on",)
    )
    assert [(r["note_id"], r["status"], r["due_on"], r["version"]) for r in changed] == [
        ("b", "done", None, "v2"),
        ("a", "open", dt.date(2026, 6, 27), "v1"),
    ]
    assert rows_as_edited({5: {"status": "done"}}, shown, editable) == []  # no longer there
