"""AppTest: the Weekly sync and Unmanaged middle pages."""

from __future__ import annotations

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.store import Stores
from dashboard.store.pairs import pairs
from dashboard.workflows import decisions as sync_notes
from tests.test_page_portfolio import _metric

APP = "../dashboard/app.py"


def _open(page: str, **params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    for key, value in params.items():
        at.query_params[key] = value
    at.switch_page(f"../pages/{page}.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


@pytest.fixture
def a_pair(demo_stores: Stores) -> dict:
    return pairs(demo_stores.sources).filter(pl.col("model") == "pair").row(1, named=True)


def test_the_pair_in_the_link_opens_its_sync(demo_stores: Stores, a_pair: dict):
    at = _open("sync", pair=a_pair["key"])
    assert at.title[0].value == "Weekly sync"
    assert at.selectbox(key="sync_pair").value == a_pair["key"]
    assert _metric(at, "Shared accounts") == f"{a_pair['accounts']:,}"
    labels = [b.proto.label for b in at.get("download_button")]
    assert (
        "Agenda and decisions (Markdown)" in labels and "Print view (HTML, print to PDF)" in labels
    )


def test_recording_a_decision_in_the_sync(demo_stores: Stores, a_pair: dict):
    at = _open("sync", pair=a_pair["key"])
    at.text_area(key="decision_text").input("Ask the sponsor for an ROI review in May")
    at.button(key="FormSubmitter:new_decision-Save the decision").click().run()
    assert not at.exception
    saved = sync_notes.decisions(demo_stores.app, a_pair["key"])
    assert "Ask the sponsor for an ROI review in May" in saved["decision"].to_list()
    # an empty decision is refused with a message, nothing saved
    at.button(key="FormSubmitter:new_decision-Save the decision").click().run()
    assert any("write the decision" in e.value for e in at.error)
    assert sync_notes.decisions(demo_stores.app, a_pair["key"]).height == saved.height


def test_last_syncs_decisions_show_with_their_status(demo_stores: Stores):
    # the demo recorded last week's decisions for the largest pairs
    key = pairs(demo_stores.sources).filter(pl.col("model") == "pair")["key"][0]
    at = _open("sync", pair=key)
    assert any(m.value.startswith("**From the last sync") for m in at.markdown)
    tables = [e.value for e in at.dataframe]
    assert any(
        "decision" in t.columns and t["decision"].str.contains("ROI review").any() for t in tables
    )


def test_unmanaged_middle_page(demo_stores: Stores):
    at = _open("unmanaged_middle")
    assert at.title[0].value == "Unmanaged middle"
    no_am = demo_stores.sources.query(
        "WITH b AS (SELECT quantile_cont(arr, 0.25) lo, quantile_cont(arr, 0.75) hi"
        " FROM account_scores) SELECT count(*) AS n FROM account_scores, b"
        " WHERE arr BETWEEN lo AND hi AND am_owner IS NULL"
    )["n"][0]
    assert _metric(at, "No AM") == f"{no_am:,}"
    before = int(_metric(at, "Accounts in the middle").replace(",", ""))
    at.slider(key="middle_pct").set_value((10, 90)).run()
    assert not at.exception
    assert int(_metric(at, "Accounts in the middle").replace(",", "")) > before
    assert any(m.value.startswith("**Assign an AM") for m in at.markdown)
    at.segmented_control(key="middle_by").set_value("segment").run()
    assert not at.exception
    assert set(at.dataframe[0].value["segment"]) <= {"Mid-Market"}


def test_the_arr_limit_reads_in_millions(demo_stores: Stores):
    """ "10.0" ($M), not "10000000": the limit a leader types, and the books it flags."""
    at = _open("unmanaged_middle")
    limit = at.number_input(key="max_arr_m")
    assert limit.value == 10.0 and "$M" in limit.label
    load = next(t.value for t in at.dataframe if "too_large" in t.columns)
    largest = float(load["arr"].max())
    assert largest > 100_000
    limit.set_value(round(largest / 1e6 - 0.05, 1)).run()  # just below the largest book
    assert not at.exception
    load = next(t.value for t in at.dataframe if "too_large" in t.columns)
    assert bool(load.loc[load["arr"].idxmax(), "too_large"])
