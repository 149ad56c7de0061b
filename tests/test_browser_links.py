"""Links are the view, in the real app under headless Chromium (issue 24, point 5): filter
the Portfolio, open an account, go back (the browser's Back, then the page's back link): the
filters, the breakdown and the count are the same; a shared URL opened in a fresh page draws
the same breakdown."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    _wait_for_run,
    require_chromium,
    streamlit_server,
)

pytestmark = pytest.mark.browser

LISTED = '[data-testid="stCaptionContainer"]:has-text("accounts in the filter")'


@pytest.fixture(scope="module")
def served(demo_dir: Path) -> Iterator[str]:
    require_chromium()
    with streamlit_server(demo_dir) as url:
        yield url


@pytest.fixture(scope="module")
def chromium(served):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _portfolio_state(page) -> dict[str, str]:
    """What the Portfolio shows: its count line, the breakdown's axis titles, the chips."""
    listed = page.locator(LISTED).first
    listed.wait_for(timeout=60_000)
    page.wait_for_selector(".js-plotly-plot .main-svg", timeout=60_000)
    chart = page.locator(".js-plotly-plot").first
    page.wait_for_function(  # the sidebar's five filters drawn (they can come last)
        "() => document.querySelectorAll("
        '\'[data-testid="stSidebar"] [data-testid="stMultiSelect"]\').length >= 5',
        timeout=60_000,
    )
    page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=60_000)
    tags = page.locator('[data-testid="stSidebar"] [data-tag]')
    chips = {tags.nth(i).get_attribute("aria-label") for i in range(tags.count())}
    return {
        "listed": listed.inner_text(),
        "y": chart.locator(".ytitle").first.text_content(),
        "x": chart.locator(".xtitle").first.text_content(),
        "chips": " ".join(sorted(c for c in chips if c)),
    }


def _open_first_account(page) -> None:
    """Select the first row of the accounts table (its row checkbox) and wait for the page."""
    table = page.locator('[data-testid="stDataFrame"]').first
    table.scroll_into_view_if_needed()
    box = table.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + 15, box["y"] + 55)  # the first row's selection cell
    page.wait_for_url("**/account?**", timeout=60_000)
    page.get_by_role("link", name="Back to Portfolio health").wait_for(timeout=60_000)
    _wait_for_run(page)


def _back_on_the_portfolio(page) -> None:
    page.wait_for_url(lambda url: "/account" not in url, timeout=60_000)
    page.get_by_role("heading", name="Portfolio health").wait_for(timeout=60_000)
    _wait_for_run(page)


def test_back_from_an_account_restores_the_filtered_view(chromium, served):
    context = chromium.new_context(viewport={"width": 1440, "height": 2000})
    page = context.new_page()
    page.goto(f"{served}/?segment=SMB&region=EMEA&by=plan&measure=arr")
    _wait_for_run(page)
    before = _portfolio_state(page)
    assert before["y"] == "Plan" and before["x"] == "ARR"
    assert before["chips"] == "EMEA SMB"
    assert before["listed"].startswith("All ") and "All 0 " not in before["listed"]

    _open_first_account(page)
    assert "segment=SMB" in page.url and "region=EMEA" in page.url
    page.go_back()  # the browser's Back
    _back_on_the_portfolio(page)
    assert _portfolio_state(page) == before
    assert "account=" not in page.url and "by=plan" in page.url

    _open_first_account(page)
    page.get_by_role("link", name="Back to Portfolio health").click()  # the page's own
    _back_on_the_portfolio(page)
    assert _portfolio_state(page) == before
    assert page.locator('[data-testid="stException"]').count() == 0
    context.close()


def test_a_shared_link_draws_the_same_breakdown_in_a_fresh_page(chromium, served):
    first = chromium.new_context(viewport={"width": 1440, "height": 2000})
    page = first.new_page()
    page.goto(f"{served}/?segment=Enterprise&by=region&measure=arr")
    _wait_for_run(page)
    shown = _portfolio_state(page)
    link = page.url
    assert "ws=demo" in link and "by=region" in link and "measure=arr" in link
    first.close()

    fresh = chromium.new_context(viewport={"width": 1440, "height": 2000})  # no session
    other = fresh.new_page()
    other.goto(link)
    _wait_for_run(other)
    assert _portfolio_state(other) == shown
    assert shown["y"] == "Region" and shown["x"] == "ARR"
    fresh.close()
