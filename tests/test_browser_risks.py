"""A risk worked to an end in headless Chromium (issue 26 point 4): the AM takes a risk the
CSM flagged ten days ago to a plan in place, saving and saved, each step with its reason,
owner and next step; the history shows the days spent in each stage. Every wait is on a
condition."""

from __future__ import annotations

import datetime as dt

import pytest

from dashboard.store import Stores
from dashboard.workflows import handoffs as h
from tests.conftest import TODAY
from tests.test_browser import ARTIFACTS, _wait_for_run
from tests.test_browser_flip import _close, _free_account, _pick, chromium, served  # noqa: F401

pytestmark = pytest.mark.browser
FLAGGED_AT = dt.datetime.combine(TODAY - dt.timedelta(days=10), dt.time(0))
REASON = "Reason (from the list; every step from the plan on)"
NEXT = "Next step (a plan in place and saving name one)"


def _step(tab, label: str, done: str, reason: str, next_step: str | None = None) -> None:
    from playwright.sync_api import expect

    # the rerun after the last step has drawn its fresh form (not the old one beside it)
    expect(tab.get_by_label("Next step", exact=True)).to_have_count(1, timeout=30_000)
    _pick(tab, "Next step", label)
    expect(tab.get_by_label("Next step", exact=True)).to_have_value(label)
    _pick(tab, REASON, reason)
    if next_step:
        tab.get_by_label(NEXT).fill(next_step)
    tab.get_by_role("button", name="Record the step").click()
    expect(tab.get_by_text(done).first).to_be_visible(timeout=30_000)


def test_a_risk_taken_from_flagged_to_saved_shows_its_time_in_stage(chromium, served):  # noqa: F811
    from playwright.sync_api import expect

    url, data = served
    stores = Stores.open(data)
    account = _free_account(stores)
    aid = account["account_id"]
    h.flag(stores.app, aid, "risk", "usage down 40 %", account["csm_owner"], "csm", now=FLAGGED_AT)
    tab = chromium.new_context(viewport={"width": 1440, "height": 2400}).new_page()
    tab.goto(f"{url}/account?account={aid}")
    _wait_for_run(tab)
    _pick(
        tab, "Acting as (single-user mode: pick the owner you are)", f"{account['am_owner']} (AM)"
    )
    expect(tab.get_by_label("Next step", exact=True)).to_have_value(
        "Put a plan in place (AM)", timeout=30_000
    )
    _step(
        tab,
        "Put a plan in place (AM)",
        "Put a plan in place recorded",
        "champion left",
        "QBR with the new VP",
    )
    _step(tab, "Start saving (AM)", "Start saving recorded", "champion left", "exec sponsor call")
    _step(tab, "Saved (AM)", "Saved recorded", "champion left")
    expect(tab.get_by_label("Next step", exact=True)).to_have_count(0, timeout=30_000)
    tab.screenshot(path=str(ARTIFACTS / "risk-saved.png"), full_page=True)
    assert h.handoff_history(Stores.open(data).app, aid)["state"].to_list() == [
        "flagged",
        "plan",
        "saving",
        "saved",
    ]
    grid = tab.get_by_text("History", exact=True).locator(
        "xpath=following::*[@data-testid='stDataFrame'][1]"
    )
    grid.scroll_into_view_if_needed()
    rows = grid.locator("tbody tr")
    expect(rows).to_have_count(4, timeout=30_000)
    # handoff, step, state, days in stage
    shown = [rows.nth(i).locator("td").all_text_contents()[:4] for i in range(4)]
    assert [r[2] for r in shown] == ["flagged", "plan in place", "saving", "saved"]
    assert 10.0 <= float(shown[0][3]) < 11.0  # flagged at midnight ten days ago
    assert float(shown[1][3]) < 0.1 and float(shown[2][3]) < 0.1
    assert shown[3][3] in ("", "—", "None")  # an end has no time in stage
    _close([tab])
