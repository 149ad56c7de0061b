"""End to end: the real app under `streamlit run`, driven in headless Chromium (every page,
a filter in the URL, a chart click, the lab's backtest, an upload)."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import pytest

from tests.browsing import ARTIFACTS, PAGES, _wait_for_run, streamlit_server

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(("path", "title", "has_chart"), PAGES)
def test_page_renders_without_exception(browser, app_url, path, title, has_chart):
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1440, "height": 2000})
    page.goto(f"{app_url}/{path}")
    _wait_for_run(page)
    heading = page.get_by_role("heading", name=title) if title else page.locator("h1")
    expect(heading.first).to_be_visible(timeout=30_000)
    if has_chart:
        page.wait_for_selector(".js-plotly-plot .main-svg", timeout=30_000)
    expect(page.locator('[data-testid="stDataFrame"]').first).to_be_visible(timeout=30_000)
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.get_by_text("Page not found").count() == 0
    name = path.split("?")[0] or "home"
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    page.close()


def test_filter_in_sidebar_lands_in_the_url(browser, app_url):
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1440, "height": 2000})
    page.goto(f"{app_url}/?segment=Enterprise")
    _wait_for_run(page)
    # under a loaded CI machine the sidebar's widgets can arrive after the main column's text
    page.get_by_text("Download these accounts (CSV)").wait_for(timeout=30_000)
    sidebar = page.locator('[data-testid="stSidebar"]')
    expect(sidebar.get_by_text("Enterprise").first).to_be_visible(timeout=30_000)
    assert "segment=Enterprise" in page.url
    page.close()


def test_clicking_a_month_on_the_renewal_calendar_lists_it(browser, app_url):
    page = browser.new_page(viewport={"width": 1440, "height": 2000})
    page.goto(f"{app_url}/renewals")
    _wait_for_run(page)
    page.wait_for_selector(".js-plotly-plot .bars path", state="attached", timeout=30_000)
    picker = page.get_by_label("Accounts renewing in (or click a month)")
    before = picker.input_value()
    bars = page.locator(".js-plotly-plot").first.locator(".bars path")
    heights = [(bars.nth(i).bounding_box() or {"height": 0})["height"] for i in range(bars.count())]
    tallest = max(range(len(heights)), key=heights.__getitem__)
    page.wait_for_timeout(500)
    bars.nth(tallest).click(force=True)
    deadline = time.monotonic() + 30
    while picker.input_value() == before and time.monotonic() < deadline:
        page.wait_for_timeout(200)
    assert picker.input_value() != before
    assert page.locator('[data-testid="stException"]').count() == 0
    page.close()


def test_running_the_backtest_in_the_score_lab(browser, app_url):
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1440, "height": 2600})
    page.goto(f"{app_url}/lab")
    _wait_for_run(page)
    page.get_by_role("button", name="Run the backtest").click()
    # the verdict in words (one: the candidate is still the active scorecard), each component
    verdict = page.get_by_text("predicts churn: the whole 95 % interval")
    expect(verdict).to_be_visible(timeout=60_000)
    _wait_for_run(page)
    expect(page.get_by_text("The candidate has the active scorecard's settings")).to_be_visible()
    expect(page.get_by_text("Each component alone")).to_be_visible(timeout=30_000)
    assert page.locator('[data-testid="stException"]').count() == 0
    page.get_by_text("Each component alone").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "lab-backtest.png"))
    page.close()


def _csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    import csv

    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _check_upload(page, path: Path, mode: str | None = None) -> None:
    """Upload ``path`` on the Data page, pick the load mode, press Check the data. Each step
    waits for the rerun it causes (a click during a rerun can be lost)."""
    from playwright.sync_api import expect

    page.locator('[data-testid="stFileUploader"] input[type=file]').set_input_files(str(path))
    page.get_by_text(f"{path.name} — ").first.wait_for(timeout=30_000)  # the file is staged
    _wait_for_run(page)
    if mode:
        radio = page.get_by_role("radio", name=re.compile("^" + re.escape(mode)))
        for _ in range(3):
            page.get_by_text(mode).first.click()
            _wait_for_run(page)
            if radio.is_checked():
                break
        expect(radio).to_be_checked()
    page.get_by_role("button", name="Check the data").click()
    page.get_by_text("What the load does to the stored tables").wait_for(timeout=60_000)
    _wait_for_run(page)


def test_an_upload_shows_its_preview_and_waits_for_a_yes(browser, demo_dir, tmp_path):
    """A CRM export (the README's example columns) is checked, previewed and loaded into the
    team's workspace; a second, smaller file in Replace mode removes most of the accounts,
    so the load button stays off until the person says yes."""
    from playwright.sync_api import expect

    from dashboard.store.workspaces import team_store

    data = tmp_path / "data"
    shutil.copytree(demo_dir, data)
    header = ["Company Name", "ARR (USD)", "Renewal Date", "Account Owner"]
    names = ["Acme Corp", "Birch Labs", "Cedar Health", "Delta Freight", "Elm Studio", "Fir Bank"]
    first = _csv(tmp_path / "crm_export.csv", header,
                 [[n, str(10_000 * (i + 1)), f"2027-0{i + 1}-15", "Jo Smith"] for i, n in enumerate(names)])  # fmt: skip
    second = _csv(tmp_path / "crm_export_small.csv", header, [["Acme Corp", "99000", "2027-03-01", "Jo Smith"]])  # fmt: skip
    with streamlit_server(data) as url:
        page = browser.new_page(viewport={"width": 1440, "height": 2400})
        page.goto(f"{url}/data")
        _wait_for_run(page)
        _check_upload(page, first)
        expect(page.get_by_text("6 of 6 rows are fine").first).to_be_visible()
        expect(page.get_by_text("account ids are derived from the names").first).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "upload-preview.png"), full_page=True)
        page.get_by_role("button", name="Load into Tandem").click()
        expect(page.get_by_text("Loaded 6 accounts").first).to_be_visible(timeout=90_000)
        _wait_for_run(page)
        assert page.locator('[data-testid="stException"]').count() == 0
        # the page shows the team's workspace now, not the demo it showed before the load
        expect(page.locator('[data-testid="stMetricValue"]').first).to_have_text("6")
        page.screenshot(path=str(ARTIFACTS / "upload-loaded.png"), full_page=True)

        page.locator('[data-testid="stFileChipDeleteBtn"]').first.click()
        _wait_for_run(page)
        _check_upload(page, second, mode="Replace: each table becomes exactly")
        expect(page.get_by_text("This load needs a yes").first).to_be_visible()
        load = page.get_by_role("button", name="Load into Tandem")
        expect(load).to_be_disabled()
        page.screenshot(path=str(ARTIFACTS / "upload-needs-a-yes.png"), full_page=True)
        accounts_now = team_store(data).scalar("SELECT count(*) FROM accounts")
        assert accounts_now == 6  # nothing written while it waits
        page.get_by_text("Yes: make these changes to the stored data").click()
        _wait_for_run(page)
        expect(load).to_be_enabled()
        load.click()
        expect(page.get_by_text("Loaded 1 accounts").first).to_be_visible(timeout=90_000)
        assert page.locator('[data-testid="stException"]').count() == 0
        page.close()
    assert team_store(data).scalar("SELECT count(*) FROM accounts") == 1
