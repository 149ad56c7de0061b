"""Injection strings through every URL parameter and form field reach DuckDB as bound values
(or are dropped by allow-lists): nothing breaks, nothing is changed."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.store import Stores
from dashboard.store.pairs import pairs
from dashboard.workflows import decisions as sync_notes
from tests.conftest import type_into

APP = "../dashboard/app.py"
NASTY = [
    "'; DROP TABLE accounts; --",
    "x' OR '1'='1",
    '") UNION SELECT * FROM owners --',
    "ACC-000001'; DELETE FROM handoffs; --",
    "%' AND 1=1 --",
]
PAGES = ["portfolio", "account", "renewals", "expansion", "sync", "unmanaged_middle", "lab", "data"]


def _counts(stores: Stores) -> dict[str, int]:
    sources = {
        t: stores.sources.scalar(f"SELECT count(*) FROM {t}")
        for t in ("accounts", "usage_events", "account_scores", "owners")
    }
    app = {
        t: stores.app.query(f"SELECT count(*) AS n FROM {t}")["n"][0]
        for t in ("handoffs", "sync_notes", "scorecards")
    }
    return {**sources, **app}


@pytest.mark.parametrize("page", PAGES)
def test_url_parameters(page, demo_stores: Stores):
    before = _counts(demo_stores)
    for value in NASTY:
        at = AppTest.from_file(APP, default_timeout=30).run()
        for key in ("segment", "region", "csm", "am", "plan", "account", "pair", "dim", "sort"):
            at.query_params[key] = value
        at.switch_page(f"../pages/{page}.py").run()
        assert not at.exception, (page, value, [e.message for e in at.exception])
    assert _counts(demo_stores) == before


def test_form_fields(demo_stores: Stores):
    before = _counts(demo_stores)
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.switch_page("../pages/account.py").run()
    for value in NASTY:
        type_into(at, "search_account", value).run()  # typed, then Enter
        assert not at.exception
    key = pairs(demo_stores.sources)["key"][0]
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.query_params["pair"] = key
    at.switch_page("../pages/sync.py").run()
    for value in NASTY:
        at.text_area(key="decision_text").input(value)
        at.button(key="FormSubmitter:new_decision-Save the decision").click().run()
        assert not at.exception
    # the handoff evidence (expansion page) and a scorecard's name and description (lab)
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.switch_page("../pages/expansion.py").run()
    evidence = next(t for t in at.text_area if t.key and t.key.endswith("_evidence"))
    evidence.input(NASTY[0])
    form = evidence.key.removesuffix("_evidence")  # the form's key: account id and version
    at.button(key=f"FormSubmitter:{form}-Flag").click().run()
    assert not at.exception
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.switch_page("../pages/lab.py").run()
    for i, value in enumerate(NASTY):
        at.text_input(key="lab_name").input(value)
        at.text_input(key="lab_description").input(NASTY[-1 - i])
        at.button(key="FormSubmitter:lab_save-Save").click().run()
        assert not at.exception
    from dashboard.workflows.scorecards import saved_scorecards

    assert set(NASTY) <= set(saved_scorecards(demo_stores.app)["name"])
    saved = sync_notes.decisions(demo_stores.app, key)["decision"].to_list()
    assert all(v in saved for v in NASTY)  # stored verbatim, as values
    after = _counts(demo_stores)
    assert after["sync_notes"] == before["sync_notes"] + len(NASTY)
    assert after["handoffs"] == before["handoffs"] + 1
    assert after["scorecards"] == before["scorecards"] + len(NASTY)
    unchanged = ("accounts", "usage_events", "account_scores", "owners")
    assert {k: after[k] for k in unchanged} == {k: before[k] for k in unchanged}
