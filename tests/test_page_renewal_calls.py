"""AppTest: the Renewal calendar shows each renewal's call beside the model and lists the
disagreements; a call is recorded through the page's form (issue 26, point 1)."""

from __future__ import annotations

import datetime as dt
import shutil

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.store import Stores
from dashboard.store.filters import AccountFilter
from dashboard.store.pairs import pair_key
from dashboard.views.renewals import renewal_view
from dashboard.workflows import renewal_calls as rc
from dashboard.workflows.access import LOCAL
from scoring.glossary import LIKELY_CHURN_FROM
from tests.conftest import TODAY

APP = "../dashboard/app.py"
NOW = dt.datetime.combine(TODAY, dt.time(9))


@pytest.fixture
def own_demo(demo_dir, tmp_path, app_data_dir) -> Stores:
    """A copy of the demo folder of its own: these tests record calls."""
    data = tmp_path / "data"
    shutil.copytree(demo_dir, data)
    app_data_dir(data)
    return Stores.open(data)


def _open() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("../pages/renewals.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _frames_with(at: AppTest, column: str) -> list[pl.DataFrame]:
    return [pl.from_pandas(d.value) for d in at.dataframe if column in d.value.columns]


def test_the_page_shows_the_call_and_lists_the_disagreement(own_demo: Stores):
    calls = renewal_view(own_demo, AccountFilter()).calls
    risky = calls.filter(pl.col("churn_probability") >= LIKELY_CHURN_FROM).sort("arr")
    assert risky.height, "the demo has a renewal the model says is likely to churn"
    bet = risky.row(-1, named=True)  # the model says it churns; the AM commits
    rc.record_call(
        own_demo.app,
        LOCAL,
        bet,
        "commit",
        "verbal yes from the sponsor",
        bet["arr"],
        NOW,
        seen_version=None,
        frozen_change_reason="late call" if bet["call_frozen"] else None,
    )
    at = _open()
    headings = [h.value for h in at.subheader]
    assert "The renewal call beside the model" in headings
    shown = _frames_with(at, "disagrees")
    assert shown, "the renewals with their call are drawn"
    every = shown[0]
    line = every.filter(pl.col("account_name") == bet["account_name"])
    assert line["call"].to_list() == ["commit"] and line["disagrees"].to_list() == [True]
    assert (every["call"] == "no call").sum() == calls.height - 1
    disagreements = next(f for f in _frames_with(at, "reason") if "disagrees" not in f.columns)
    assert disagreements["account_name"].to_list() == [bet["account_name"]]
    rollup = next(f for f in _frames_with(at, "model_expected_arr"))
    commit = rollup.filter(pl.col("call") == "commit").row(0, named=True)
    assert commit["renewals"] == 1 and commit["call_expected_arr"] == pytest.approx(bet["arr"])


def _click_record(at: AppTest) -> AppTest:
    at.button[[b.label for b in at.button].index("Record the call")].click().run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _pick(at: AppTest, account_id: str) -> AppTest:
    return at.selectbox(key="renewal_call_pick").set_value(account_id).run()


def test_a_call_recorded_in_the_form_is_kept_and_a_stale_one_refused(own_demo: Stores):
    calls = renewal_view(own_demo, AccountFilter()).calls
    open_row = calls.filter(~pl.col("call_frozen")).sort("account_id").row(0, named=True)
    picked = open_row["account_id"]
    at = _pick(_open(), picked)
    form = f"renewal_call_{picked}_vnone"
    assert not [t for t in at.text_area if t.key == f"{form}_change"], "not frozen: no reason"
    at.selectbox(key=f"{form}_category").set_value("at risk")
    at.number_input(key=f"{form}_arr").set_value(1234.0)
    at.text_area(key=f"{form}_reason").set_value("champion left in May")
    _click_record(at)
    assert at.success[-1].value.startswith("Call recorded: **at risk** on")
    kept = rc.call_history(own_demo.app, picked, open_row["renewal_date"])
    assert kept.select("category", "expected_arr", "reason", "frozen_change_reason").rows() == [
        ("at risk", 1234.0, "champion left in May", None)
    ]
    # the form is drawn again for the new version, showing the call and its history
    version = kept["call_id"][0]
    assert at.selectbox(key=f"renewal_call_{picked}_v{version}_category").value == "at risk"
    assert [f.height for f in _frames_with(at, "seq")] == [1]  # the history
    # another tab made a call meanwhile: a submit of the form drawn before is refused
    before = _pick(_open(), picked)
    rc.record_call(
        own_demo.app,
        LOCAL,
        open_row,
        "commit",
        "other tab",
        1.0,
        NOW,
        seen_version=version,
    )
    form = f"renewal_call_{picked}_v{version}"
    assert before.selectbox(key=f"{form}_category").value == "at risk"  # what this tab saw
    before.text_area(key=f"{form}_reason").set_value("my older view")
    _click_record(before)
    refusal = before.error[-1].value
    assert "changed since you saw it" in refusal and "commit" in refusal
    assert "Nothing was recorded" in refusal
    assert rc.call_history(own_demo.app, picked, open_row["renewal_date"])["reason"].to_list() == [
        "champion left in May",
        "other tab",
    ]


def test_a_call_after_the_freeze_is_refused_without_a_reason_for_the_change(own_demo: Stores):
    """90 days or fewer before the renewal the form asks why; a submit without it records
    nothing and says when the call froze; with it the call is kept with its reason."""
    calls = renewal_view(own_demo, AccountFilter()).calls
    frozen = calls.filter(pl.col("call_frozen")).sort("account_id").row(0, named=True)
    aid, renewal = frozen["account_id"], frozen["renewal_date"]
    assert (renewal - TODAY).days <= 90
    at = _pick(_open(), aid)
    form = f"renewal_call_{aid}_vnone"
    at.selectbox(key=f"{form}_category").set_value("commit")
    at.text_area(key=f"{form}_reason").set_value("signed order form in legal")
    _click_record(at)
    refusal = at.error[-1].value
    assert f"froze on {renewal - dt.timedelta(days=90)}" in refusal.replace("\\", "")
    assert rc.call_history(own_demo.app, aid, renewal).is_empty()
    at.text_area(key=f"{form}_change").set_value("legal review moved the date")
    _click_record(at)
    assert at.success[-1].value.startswith("Call recorded: **commit** on")
    kept = rc.call_history(own_demo.app, aid, renewal)
    assert kept.select("category", "frozen_change_reason").rows() == [
        ("commit", "legal review moved the date")
    ]


def test_the_weekly_sync_lists_a_call_the_model_disagrees_with(own_demo: Stores):
    calls = renewal_view(own_demo, AccountFilter()).calls
    bet = (
        calls.filter(
            pl.col("churn_probability") >= LIKELY_CHURN_FROM,
            pl.col("am_owner").is_not_null(),
            pl.col("csm_owner").is_not_null(),
        )
        .sort("account_id")
        .row(0, named=True)
    )
    rc.record_call(
        own_demo.app,
        LOCAL,
        bet,
        "commit",
        "verbal yes from the sponsor",
        bet["arr"],
        NOW,
        seen_version=None,
        frozen_change_reason="late call" if bet["call_frozen"] else None,
    )
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.query_params["pair"] = pair_key(bet["csm_owner"], bet["am_owner"])
    at.switch_page("../pages/sync.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert "Renewal calls the model disagrees with" in [h.value for h in at.subheader]
    shown = [f for f in _frames_with(at, "call") if "expected_arr" in f.columns]
    assert [f["account_name"].to_list() for f in shown] == [[bet["account_name"]]]
    assert shown[0]["call"].to_list() == ["commit"]
