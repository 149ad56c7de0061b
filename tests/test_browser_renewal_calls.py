"""The renewal call end to end in headless Chromium (issue 26 point 1, issue 24 point 1): a call
recorded on the Renewal calendar, refused at T-90 without a reason for the change, kept with
one, and shown as a disagreement in the pair's weekly sync; two tabs on one renewal, the one
left open refused with who called what, when, and nothing recorded. Every wait is on a
condition."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import polars as pl
import pytest

from dashboard.store import Stores
from dashboard.store.filters import AccountFilter
from dashboard.store.pairs import pair_key
from dashboard.views.renewals import renewal_view
from dashboard.workflows import renewal_calls as rc
from scoring.glossary import CALL_FREEZE_DAYS, LIKELY_RENEW_BELOW
from tests.conftest import TODAY
from tests.test_browser import ARTIFACTS, _wait_for_run
from tests.test_browser_flip import _close, _pick, _two_tabs, chromium, served  # noqa: F401

pytestmark = pytest.mark.browser
FREEZE_LABEL = (
    f"Why the call is made or changed after the freeze ({CALL_FREEZE_DAYS} days before the renewal)"
)


def _option(row: dict) -> str:
    """The renewal as the form's picker names it."""
    return f"{row['account_name']} · renews {row['renewal_date']}"


def _renewals(data: Path) -> pl.DataFrame:
    return renewal_view(Stores.open(data), AccountFilter()).calls.sort("account_id")


def _open_call(tab, row: dict) -> None:
    """Pick ``row``'s renewal in the call form and wait for its form to be drawn; picked again
    when a rerun closed the list before the option was clicked."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect

    expect(tab.get_by_role("button", name="Record the call")).to_be_visible(timeout=60_000)
    for attempt in range(3):
        _settled(tab)
        picker = tab.get_by_label("Renewal to call", exact=True)
        picker.scroll_into_view_if_needed()
        picker.click()
        picker.fill(row["account_name"])  # the list shows its first options only: filter it
        try:
            tab.get_by_role("option", name=_option(row), exact=True).click(timeout=15_000)
            break
        except PlaywrightTimeout:
            if attempt == 2:
                raise
            tab.keyboard.press("Escape")
    expect(tab.get_by_label("Renewal to call")).to_have_value(_option(row), timeout=30_000)
    _settled(tab)


def _settled(tab) -> None:
    """No run is going on (the status widget is absent, the page's title drawn)."""
    _wait_for_run(tab)


def _fill_call(tab, call: str, reason: str) -> None:
    """Pick the call and type its reason, and see both in the form before anything is
    clicked: a rerun still under way when the call was picked draws the form afresh (the
    renewal's own call again), and a click then records what the form shows."""
    from playwright.sync_api import expect

    for _ in range(3):
        _pick(tab, "Call", call)
        tab.get_by_label("Reason", exact=True).fill(reason)
        _wait_for_run(tab)
        if tab.get_by_label("Call", exact=True).input_value() == call:
            break
    expect(tab.get_by_label("Call", exact=True)).to_have_value(call)
    expect(tab.get_by_label("Reason", exact=True)).to_have_value(reason)


def test_a_call_frozen_at_t90_needs_a_reason_and_shows_in_the_sync(chromium, served):  # noqa: F811
    """The AM (single-user mode) calls at risk a renewal the model says is likely to renew
    (90 days or fewer out): refused without a reason for the late call, kept with one, and
    the pair's weekly sync lists it as a disagreement with the model."""
    from playwright.sync_api import expect

    url, data = served
    calls = _renewals(data)
    row = calls.filter(
        pl.col("call_frozen"),
        pl.col("call") == "no call",
        pl.col("churn_probability") < LIKELY_RENEW_BELOW,
        pl.col("coverage_class").is_in(["pair", "combined"]),
    ).row(0, named=True)
    aid, renewal = row["account_id"], row["renewal_date"]
    page = chromium.new_context(viewport={"width": 1440, "height": 2400}).new_page()
    page.goto(f"{url}/renewals")
    _wait_for_run(page)
    _open_call(page, row)
    expect(page.get_by_label(FREEZE_LABEL)).to_be_visible()
    _fill_call(page, "at risk", "sponsor left, budget frozen")
    page.get_by_role("button", name="Record the call").click()
    refusal = page.get_by_text("calls on this renewal froze on").first
    expect(refusal).to_be_visible(timeout=30_000)
    assert rc.call_history(Stores.open(data).app, aid, renewal).is_empty()
    page.get_by_label(FREEZE_LABEL).fill("procurement only now engaged")
    page.get_by_role("button", name="Record the call").click()
    expect(page.get_by_text("Call recorded: at risk on").first).to_be_visible(timeout=30_000)
    expect(page.get_by_text("current call: at risk by").first).to_be_visible(timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / "renewal-call-frozen.png"), full_page=True)
    kept = rc.call_history(Stores.open(data).app, aid, renewal)
    assert kept.select("category", "reason", "frozen_change_reason").rows() == [
        ("at risk", "sponsor left, budget frozen", "procurement only now engaged")
    ]
    # the weekly sync of the account's pair lists the call beside the model that disagrees
    page.goto(f"{url}/sync?pair={quote(pair_key(row['csm_owner'], row['am_owner']))}")
    _wait_for_run(page)
    expect(page.get_by_role("button", name="Print view (HTML, print to PDF)")).to_be_visible(
        timeout=60_000
    )
    heading = page.get_by_role("heading", name="Renewal calls the model disagrees with")
    expect(heading).to_be_visible()
    grid = heading.locator("xpath=following::*[@data-testid='stDataFrame'][1]")
    expect(grid).to_be_visible()
    grid.scroll_into_view_if_needed()
    # the grid draws on a canvas; its cells are kept as text in the canvas's table
    cells = grid.locator("td[role=gridcell]")
    expect(cells.first).to_be_attached(timeout=30_000)
    texts = cells.all_text_contents()
    # account, renewal, ARR, churn risk, call
    assert (texts[0], texts[1], texts[4]) == (row["account_name"], str(renewal), "at risk")
    assert texts.count(row["account_name"]) == 1  # the one disagreement of the pair
    page.screenshot(path=str(ARTIFACTS / "renewal-call-sync.png"), full_page=True)
    page.context.close()


def test_a_stale_tab_cannot_record_a_call(chromium, served):  # noqa: F811
    """Two tabs on one renewal with no call; A calls it commit; B, still showing no call,
    calls it at risk: refused with A's call named, and only A's call is kept."""
    from playwright.sync_api import expect

    url, data = served
    row = (
        _renewals(data)
        .filter(~pl.col("call_frozen"), pl.col("call") == "no call")
        .row(0, named=True)
    )
    aid, renewal = row["account_id"], row["renewal_date"]
    tabs = _two_tabs(chromium, f"{url}/renewals")
    for tab in tabs:
        _open_call(tab, row)
        expect(tab.get_by_label(FREEZE_LABEL)).to_have_count(0)
    a, b = tabs
    _fill_call(a, "commit", "PO in procurement")
    _fill_call(b, "at risk", "budget cut")
    a.get_by_role("button", name="Record the call").click()
    expect(a.get_by_text("Call recorded: commit on").first).to_be_visible(timeout=30_000)
    b.get_by_role("button", name="Record the call").click()
    refusal = b.get_by_text("this renewal's call changed since you saw it").first
    expect(refusal).to_be_visible(timeout=30_000)
    expect(refusal).to_contain_text("called it 'commit'")
    expect(refusal).to_contain_text("Nothing was recorded")
    b.screenshot(path=str(ARTIFACTS / "stale-call-refused.png"), full_page=True)
    kept = rc.call_history(Stores.open(data).app, aid, renewal)
    assert kept.select("category", "reason").rows() == [("commit", "PO in procurement")]
    assert renewal > TODAY
    _close(tabs)
