"""AppTest: a risk worked from flagged to saved on the account page, each step with its reason,
owner and next step; the history shows the time spent in each stage and the Renewal calendar
its KPIs (issue 26 point 4)."""

from __future__ import annotations

import datetime as dt

import polars as pl
from streamlit.testing.v1 import AppTest

from dashboard.store import Stores
from dashboard.workflows import handoffs as h
from tests.conftest import TODAY
from tests.test_flip import _as, _step_key, _tab, _texts, free_account, own_demo  # noqa: F401

FLAGGED_AT = dt.datetime.combine(TODAY - dt.timedelta(days=10), dt.time(0))


def _step(at: AppTest, aid: str, hid: str, version: int, target: str, **fields: object) -> None:
    form = _step_key(aid, hid, version)
    at.selectbox(key=f"{form}_target").set_value(target)
    if "reason" in fields:
        at.selectbox(key=f"{form}_reason").set_value(fields["reason"])
    if "next_step" in fields:
        at.text_input(key=f"{form}_next").set_value(fields["next_step"])
    if "due_on" in fields:
        at.date_input(key=f"{form}_due").set_value(fields["due_on"])
    at.button(key=f"FormSubmitter:{form}-Record the step").click().run()
    assert not at.exception, [e.message for e in at.exception]


def _history(at: AppTest) -> pl.DataFrame:
    return next(pl.from_pandas(d.value) for d in at.dataframe if "days_in_stage" in d.value.columns)


def test_a_risk_is_worked_from_flagged_to_saved_with_its_time_in_stage(own_demo: Stores):  # noqa: F811
    account = free_account(own_demo)
    aid = account["account_id"]
    hid = h.flag(
        own_demo.app, aid, "risk", "usage down 40 %", account["csm_owner"], "csm", now=FLAGGED_AT
    )
    at = _tab(aid)
    _as(at, account, "am")
    # a plan without its reason records nothing and says why
    _step(
        at,
        aid,
        hid,
        1,
        "plan",
        next_step="QBR with the new VP",
        due_on=TODAY + dt.timedelta(days=7),
    )
    assert "pick the risk's reason from the list" in _texts(at, "error")
    assert h.handoff_history(own_demo.app, aid)["state"].to_list() == ["flagged"]
    _step(at, aid, hid, 1, "plan", reason="champion left")
    assert "Put a plan in place recorded on the risk handoff" in _texts(at, "success")
    _step(
        at,
        aid,
        hid,
        2,
        "saving",
        reason="champion left",
        next_step="exec sponsor call",
        due_on=TODAY + dt.timedelta(days=14),
    )
    _step(at, aid, hid, 3, "saved", reason="champion left")
    assert "Saved recorded on the risk handoff" in _texts(at, "success")
    assert h.handoff_history(own_demo.app, aid)["state"].to_list() == [
        "flagged",
        "plan",
        "saving",
        "saved",
    ]
    kept = h.risk_steps(own_demo.app, [hid], unmask=True)
    assert kept.select("reason", "owner", "next_step", "due_on").rows() == [
        ("champion left", account["am_owner"], "QBR with the new VP", TODAY + dt.timedelta(days=7)),
        ("champion left", account["am_owner"], "exec sponsor call", TODAY + dt.timedelta(days=14)),
        ("champion left", None, None, None),
    ]
    history = _history(at).filter(pl.col("kind") == "risk")
    assert history["state"].to_list() == ["flagged", "plan in place", "saving", "saved"]
    days = history["days_in_stage"].to_list()
    assert 10.0 <= days[0] < 11.0  # flagged at midnight ten days ago, worked today
    assert days[1] < 0.1 and days[2] < 0.1 and days[3] is None  # an end has no time in stage
    # the Renewal calendar's KPIs count it
    at.switch_page("../pages/renewals.py").run()
    assert not at.exception, [e.message for e in at.exception]
    metrics = {m.label: m.value for m in at.metric}
    arr = own_demo.sources.query(
        "SELECT arr FROM account_scores WHERE account_id = $a", {"a": aid}
    )["arr"][0]
    assert metrics["Save rate"] == "100.0%"
    assert metrics["ARR saved"] == f"${arr:,.0f}"
    assert 10.0 <= float(metrics["Median days to resolve"]) < 11.0


def test_a_stale_tab_cannot_record_a_risk_step_nobody_chose(own_demo: Stores):  # noqa: F811
    """Two tabs as the AM on a flagged risk: A puts a plan in place; B, still showing flagged
    with 'Lost' and a reason picked, clicks: refused with A's step named, nothing recorded."""
    account = free_account(own_demo)
    aid = account["account_id"]
    hid = h.flag(
        own_demo.app, aid, "risk", "usage down", account["csm_owner"], "csm", now=FLAGGED_AT
    )
    a, b = _tab(aid), _tab(aid)
    for tab in (a, b):
        _as(tab, account, "am")
    form = _step_key(aid, hid, 1)
    b.selectbox(key=f"{form}_target").set_value("lost")
    b.selectbox(key=f"{form}_reason").set_value("budget cut")
    _step(a, aid, hid, 1, "plan", reason="price", next_step="two-year offer")
    assert "Put a plan in place recorded" in _texts(a, "success")
    b.button(key=f"FormSubmitter:{form}-Record the step").click().run()
    assert not b.exception, [e.message for e in b.exception]
    refusal = _texts(b, "error")
    assert "this handoff changed since you saw it" in refusal
    assert f"{account['am_owner']} (AM) recorded 'Put a plan in place'" in refusal
    assert "Nothing was recorded" in refusal
    assert h.handoff_history(own_demo.app, aid)["state"].to_list() == ["flagged", "plan"]
    assert h.risk_steps(own_demo.app, [hid], unmask=True)["reason"].to_list() == ["price"]
