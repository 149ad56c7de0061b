"""End to end: Streamlit's OIDC sign-in against a provider on loopback, in headless Chromium,
as a CSM and as a leader, and what each one sees."""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboard.store import Stores
from tests.oidc import oidc_provider
from tests.pg import free_port
from tests.test_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    _wait_for_run,
    require_chromium,
    streamlit_server,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def signed_app(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    require_chromium()
    with oidc_provider() as provider:
        port = free_port()
        home = tmp_path_factory.mktemp("signin")  # streamlit reads ./.streamlit/secrets.toml
        (home / ".streamlit").mkdir()
        (home / ".streamlit" / "secrets.toml").write_text(
            "[auth]\n"
            f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
            'cookie_secret = "a-test-cookie-secret-of-some-length"\n'
            f'client_id = "{provider.client_id}"\n'
            f'client_secret = "{provider.client_secret}"\n'
            f'server_metadata_url = "{provider.metadata_url}"\n'
        )
        with streamlit_server(demo_dir, cwd=home, port=port) as url:
            yield url, provider


def _sign_in_as(browser, url: str, provider, email: str):
    from playwright.sync_api import expect

    provider.next_user = email
    context = browser.new_context(viewport={"width": 1440, "height": 1600})
    page = context.new_page()
    page.goto(url)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Portfolio health")).to_be_visible(timeout=60_000)
    _wait_for_run(page)
    return context, page


def test_a_csm_and_a_leader_sign_in_and_see_their_own_scope(signed_app, demo_stores: Stores):
    from playwright.sync_api import sync_playwright

    url, provider = signed_app
    owners = demo_stores.sources.query("SELECT owner, role, email FROM owners")
    csm = owners.filter(owners["role"] == "csm").row(0, named=True)
    leader = owners.filter(owners["role"] == "leader").row(0, named=True)
    book = demo_stores.sources.scalar(
        "SELECT count(*) FROM account_scores WHERE csm_owner = ? OR am_owner = ?",
        [csm["owner"], csm["owner"]],
    )
    total = demo_stores.sources.scalar("SELECT count(*) FROM account_scores")
    assert 0 < book < total
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for person, expected, scope in ((csm, book, "the accounts you own"),
                                        (leader, total, "every account")):  # fmt: skip
            context, page = _sign_in_as(browser, url, provider, person["email"])
            sidebar = page.locator('[data-testid="stSidebar"]')
            assert sidebar.get_by_text(f"{person['owner']} ({person['role']})").count() == 1
            assert sidebar.get_by_text(scope).count() == 1
            metric = page.locator('[data-testid="stMetric"]').filter(has_text="Accounts").first
            assert metric.locator('[data-testid="stMetricValue"]').inner_text() == f"{expected:,}"
            context.close()
        browser.close()
