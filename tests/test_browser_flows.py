"""End to end, the flows people walk through: a team behind nginx, the sidebar search, two
tabs on one handoff, the Expansion form, a chart click. The real app in headless Chromium
(a file of its own, so the two browser files run in parallel workers)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.browsing import ARTIFACTS, PAGES, ROOT, _wait_for_run, require_chromium, streamlit_server
from tests.pg import free_port

pytestmark = pytest.mark.browser


def require_nginx() -> None:
    if not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()):
        if os.environ.get("CI"):
            pytest.fail("nginx is missing in CI: .ci/run should have installed it")
        pytest.skip("Debian's nginx package is not installed (.ci/run installs it)")


@contextmanager
def team_server(data_dir: Path, workers: int) -> Iterator[dict]:
    """``tandem serve --workers N`` in its own process; yields what it printed (url, workers)."""

    port = free_port()
    env = {**os.environ, "TANDEM_DATA_DIR": str(data_dir)}
    server = subprocess.Popen(
        [sys.executable, "-m", "dashboard.cli", "serve", "--workers", str(workers), "--port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        line = server.stdout.readline()  # printed once every server answers
        if not line:
            pytest.fail(f"tandem serve did not start:\n{server.stderr.read()}")
        yield json.loads(line)
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_tandem_serve_with_two_workers_serves_every_page_through_the_proxy(browser, demo_dir):
    from playwright.sync_api import expect

    require_nginx()
    with team_server(demo_dir, 2) as served:
        assert len(served["workers"]) == 2
        cookies = set()
        for i, (path, title, _) in enumerate(PAGES):
            context = browser.new_context(viewport={"width": 1440, "height": 1600})
            page = context.new_page()
            page.goto(f"{served['url']}/{path}")
            _wait_for_run(page)  # the script ran: the websocket came through the proxy
            heading = page.get_by_role("heading", name=title) if title else page.locator("h1")
            expect(heading.first).to_be_visible(timeout=30_000)
            assert page.locator('[data-testid="stException"]').count() == 0
            (cookie,) = [c for c in context.cookies() if c["name"] == "tandem_worker"]
            cookies.add(cookie["value"])
            if i == 0:  # the same browser stays on its process: the cookie does not change
                page.reload()
                _wait_for_run(page)
                assert [c["value"] for c in context.cookies() if c["name"] == "tandem_worker"] == [
                    cookie["value"]
                ]
                page.screenshot(path=str(ARTIFACTS / "served-through-nginx.png"))
            context.close()
        assert len(cookies) == len(PAGES)  # each new browser was given its own


@pytest.fixture(scope="module")
def own_app(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The app over a copy of the demo folder, for tests that write (handoffs)."""
    require_chromium()
    data = tmp_path_factory.mktemp("own") / "data"
    shutil.copytree(demo_dir, data)
    with streamlit_server(data) as url:
        yield url, data


def _search(page, text: str) -> None:
    box = page.get_by_label("Find an account")
    box.click()
    box.fill(text)
    page.wait_for_timeout(300)
    box.press("Enter")


def test_the_sidebar_search_opens_the_account_from_two_pages(browser, app_url, demo_stores):
    from playwright.sync_api import expect

    names = demo_stores.sources.query(
        "SELECT account_id, account_name FROM account_scores ORDER BY arr DESC LIMIT 2"
    ).rows()
    for path, (account_id, name) in zip(("", "renewals"), names, strict=True):
        page = browser.new_page(viewport={"width": 1440, "height": 1200})
        page.goto(f"{app_url}/{path}")
        _wait_for_run(page)
        _search(page, name)
        expect(page.get_by_role("heading", name=name).first).to_be_visible(timeout=30_000)
        assert f"account={account_id}" in page.url
        assert page.locator('[data-testid="stException"]').count() == 0
        page.close()


def _open_expansion_free_account(data: Path) -> str:
    """A live account with a CSM, an AM and no open handoff."""
    from dashboard.store import Stores

    stores = Stores.open(data)
    busy = set(stores.app.query("SELECT account_id FROM handoffs")["account_id"].to_list())
    candidates = stores.sources.query(
        "SELECT account_id FROM account_scores WHERE csm_owner IS NOT NULL"
        " AND am_owner IS NOT NULL ORDER BY account_id"
    )["account_id"].to_list()
    return next(a for a in candidates if a not in busy)


def test_a_stale_tab_cannot_flip_a_flag(browser, own_app):
    """Two tabs on one account: A flags an expansion; B, still showing no handoff, flags with
    Expansion-ready picked. B is refused with who flagged it; one expansion is stored, no risk."""
    from playwright.sync_api import expect

    from dashboard.store import Stores

    url, data = own_app
    account_id = _open_expansion_free_account(data)
    context = browser.new_context(viewport={"width": 1440, "height": 2400})
    tabs = [context.new_page(), context.new_page()]
    for tab in tabs:
        tab.goto(f"{url}/account?account={account_id}")
        _wait_for_run(tab)
        tab.get_by_role("button", name="Flag", exact=True).wait_for(timeout=30_000)
    a, b = tabs
    a.get_by_role("button", name="Flag", exact=True).click()
    expect(a.get_by_text("Expansion-ready flagged, as").first).to_be_visible(timeout=30_000)
    b.get_by_text("Expansion-ready", exact=True).first.click()
    b.get_by_role("button", name="Flag", exact=True).click()
    expect(b.get_by_text("already has an open expansion handoff").first).to_be_visible(
        timeout=30_000
    )
    b.screenshot(path=str(ARTIFACTS / "stale-flag-refused.png"), full_page=True)
    kinds = (
        Stores.open(data)
        .app.query("SELECT kind FROM handoffs WHERE account_id = $a", {"a": account_id})["kind"]
        .to_list()
    )
    assert kinds == ["expansion"]
    context.close()


def test_the_expansion_form_shows_the_picked_accounts_evidence(browser, own_app):
    from playwright.sync_api import expect

    from dashboard.store import Stores

    url, data = own_app
    ready = Stores.open(data).sources.query(
        "SELECT account_id, account_name, triggers_fired FROM account_scores"
        " WHERE triggers_fired_count > 0 AND csm_owner IS NOT NULL ORDER BY account_id"
    )
    page = browser.new_page(viewport={"width": 1440, "height": 2600})
    page.goto(f"{url}/expansion")
    _wait_for_run(page)
    seen = []
    for _account_id, name, triggers in ready.head(40).rows():
        if len(seen) == 2:
            break
        if any(triggers == s for s in seen):
            continue  # two accounts whose evidence differs
        picker = page.get_by_label("Account", exact=True)
        picker.click()
        picker.fill(name)
        page.wait_for_timeout(300)
        picker.press("Enter")
        _wait_for_run(page)
        page.get_by_role("heading", name="Fallen between the chairs").wait_for(timeout=30_000)
        page.wait_for_timeout(500)
        evidence = page.get_by_label("Evidence (usage, outcomes, stakeholder context)")
        if not evidence.count():
            continue  # an open handoff already: no flag form on this one
        expect(evidence.first).to_have_value(triggers, timeout=30_000)
        seen.append(triggers)
    assert len(seen) == 2
    page.close()


def test_a_click_on_a_band_bar_lists_its_accounts(browser, app_url, demo_stores):
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1440, "height": 2000})
    page.goto(app_url)
    _wait_for_run(page)
    page.wait_for_selector(".js-plotly-plot .bars path", state="attached", timeout=30_000)
    page.wait_for_timeout(500)
    page.locator(".js-plotly-plot").first.locator(".bars path").first.click(force=True)
    caption = page.get_by_text(re.compile(r"accounts in the filter: \w+ band in Segment"))
    expect(caption.first).to_be_visible(timeout=30_000)
    shown, total = re.findall(r"[\d,]+", caption.first.inner_text())[:2]
    live = demo_stores.sources.scalar("SELECT count(*) FROM account_scores")
    assert int(total.replace(",", "")) == live and int(shown.replace(",", "")) < live
    page.screenshot(path=str(ARTIFACTS / "portfolio-chart-pick.png"), full_page=True)
    page.get_by_role("button", name="Show all").click()
    expect(page.get_by_text(f"All {live:,} accounts in the filter").first).to_be_visible(
        timeout=30_000
    )
    page.close()
