"""AppTest: the Renewal calendar and Expansion windows pages."""

from __future__ import annotations

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.store import Stores
from dashboard.workflows import handoffs as h
from dashboard.workflows.access import Actor
from tests.test_page_portfolio import _metric

APP = "../dashboard/app.py"


def _open(page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.switch_page(f"../pages/{page}.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


@pytest.fixture
def renewals(demo_stores: Stores) -> AppTest:
    return _open("renewals")


@pytest.fixture
def expansion(demo_stores: Stores) -> AppTest:
    return _open("expansion")


def test_renewal_calendar_numbers(renewals: AppTest, demo_stores: Stores):
    at = renewals
    assert at.title[0].value == "Renewal calendar"
    in_90 = demo_stores.sources.query(
        "SELECT count(*) AS n, sum(arr) AS arr FROM account_scores"
        " WHERE days_to_renewal BETWEEN 0 AND 90"
    ).row(0, named=True)
    value = _metric(at, "ARR renewing in 90 days")
    expected = in_90["arr"]
    assert value == (f"${expected / 1e6:,.2f}M" if expected >= 1e6 else f"${expected:,.0f}")
    risks = demo_stores.sources.scalar(
        "SELECT count(*) FROM account_scores WHERE risk_before_deadline"
    )
    assert _metric(at, "Accounts at risk") == f"{risks:,}"
    assert len(at.get("plotly_chart")) == 2
    spec = at.get("plotly_chart")[0].proto.spec
    assert "expected renewal ARR" in spec
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Renewals as a calendar (.ics)" in labels and "Renewals (CSV)" in labels


def test_picking_a_month_lists_its_renewals(renewals: AppTest, demo_stores: Stores):
    at = renewals
    months = at.selectbox(key="renewal_month").options
    at.selectbox(key="renewal_month").set_value(at.selectbox(key="renewal_month").value).run()
    second = at.selectbox(key="renewal_month")
    second.select_index(2).run()
    assert not at.exception
    month = at.selectbox(key="renewal_month").value
    listed = at.dataframe[0].value
    expected = demo_stores.sources.scalar(
        "SELECT count(*) FROM account_scores WHERE days_to_renewal BETWEEN 0 AND 366"
        " AND date_trunc('month', renewal_date) = ?",
        [month],
    )
    assert len(months) == 12 and len(listed) == expected > 0


def test_filters_reach_the_calendar(renewals: AppTest, demo_stores: Stores):
    at = renewals
    at.multiselect(key="filter_segment").set_value(["SMB"]).run()
    assert not at.exception
    n = demo_stores.sources.scalar(
        "SELECT count(*) FROM account_scores WHERE segment = 'SMB'"
        " AND days_to_renewal BETWEEN 0 AND 366"
    )
    metric = next(m for m in at.metric if m.label == "ARR renewing in 12 months")
    assert metric.proto.delta == f"{n:,} accounts"


def test_expansion_page_ranks_by_readiness(expansion: AppTest, demo_stores: Stores):
    at = expansion
    assert at.title[0].value == "Expansion windows"
    ready = demo_stores.sources.scalar("SELECT count(*) FROM account_scores WHERE expansion_ready")
    assert _metric(at, "Expansion-ready accounts") == f"{ready:,}"
    ranked = at.dataframe[0].value
    assert ranked["expansion_readiness"].is_monotonic_decreasing
    # the demo's stalled flags (21 days, no AM step) are on the fallen-between-the-chairs list
    # (found by its column: the picked account's handoff history may be a table before it)
    stalled = next(d.value for d in at.dataframe if "days_waiting" in d.value.columns)
    assert len(stalled) >= 1 and (stalled["days_waiting"] > 14).all()


def test_flag_then_qualify_through_the_page(expansion: AppTest, demo_stores: Stores):
    at = expansion
    open_ids = set(h.handoffs(demo_stores.app).filter(pl.col("kind") == "expansion")["account_id"])
    candidates = demo_stores.sources.query(
        "SELECT account_id, csm_owner, am_owner FROM account_scores WHERE triggers_fired_count > 0"
        " AND am_owner IS NOT NULL AND csm_owner <> am_owner"
    ).filter(~pl.col("account_id").is_in(list(open_ids)))
    target = candidates.row(0, named=True)
    pick = next(s for s in at.selectbox if s.label == "Account")
    pick.set_value(target["account_id"]).run()
    key = f"expansion_{target['account_id']}"  # every widget of the panel is per account
    # the flag form's keys carry the version of the account's handoffs: their steps
    steps = int(h.handoffs(demo_stores.app, [target["account_id"]])["steps"].sum())
    flag = f"{key}_flag_v{steps}"
    at.text_area(key=f"{flag}_evidence").input("Seats at 95 %, the VP asked for a quote")
    at.button(key=f"FormSubmitter:{flag}-Flag").click().run()
    assert not at.exception, [e.message for e in at.exception]
    mine = h.handoffs(demo_stores.app, [target["account_id"]])
    assert mine["state"].to_list() == ["flagged"]
    assert mine["created_by"][0] == target["csm_owner"]
    assert mine["evidence"][0] == "Seats at 95 %, the VP asked for a quote"
    # the AM qualifies it: pick the AM as the acting person, then record the step
    who = at.selectbox(key=f"{key}_who")
    who.set_value(Actor(target["am_owner"], "am")).run()
    hid = mine["handoff_id"][0]
    step = f"{key}_step_{hid}_v1"  # the handoff and its version (its last step)
    at.text_area(key=f"{step}_note").input("Two options: +50 seats or Enterprise")
    at.button(key=f"FormSubmitter:{step}-Record the step").click().run()
    assert not at.exception
    history = h.handoff_history(demo_stores.app, target["account_id"])
    assert history["state"].to_list() == ["flagged", "qualified"]
    assert history["role"].to_list() == ["csm", "am"]
    assert "Two options" in history["note"][1]


def test_at_risk_means_one_thing_on_every_page(demo_stores: Stores):
    """The same accounts are at risk on the Portfolio, the Renewal calendar and the Sync, and
    every card that counts them says what it counts."""
    from dashboard.store.pairs import pairs, split_pair
    from dashboard.text import format_value
    from scoring.signals import RISK_TERMS

    at_risk = demo_stores.sources.query(
        "SELECT account_id, arr, csm_owner, am_owner FROM account_scores WHERE risk_before_deadline"
    )
    portfolio = AppTest.from_file(APP, default_timeout=30).run()
    card = next(m for m in portfolio.metric if m.label == "ARR at risk")
    assert card.value == format_value(at_risk["arr"].sum(), "money")
    assert card.help == RISK_TERMS["at_risk"]
    renewals = AppTest.from_file(APP, default_timeout=30).run()
    renewals.switch_page("../pages/renewals.py").run()
    card = next(m for m in renewals.metric if m.label == "Accounts at risk")
    assert card.value == f"{at_risk.height:,}" and card.help == RISK_TERMS["at_risk"]
    key = pairs(demo_stores.sources)["key"][0]
    csm, am = split_pair(key)
    sync = AppTest.from_file(APP, default_timeout=30).run()
    sync.query_params["pair"] = key
    sync.switch_page("../pages/sync.py").run()
    card = next(m for m in sync.metric if m.label == "At risk")
    mine = at_risk.filter(pl.col("csm_owner") == csm, pl.col("am_owner") == am)
    assert card.value == f"{mine.height:,}"
    assert card.help == RISK_TERMS["at_risk"]
