"""End to end: Streamlit's OIDC sign-in against a provider on loopback, in headless Chromium,
as a CSM and as a leader, and what each one sees; an unverified e-mail, and a subject or an
e-mail that comes back paired with another, are refused and logged."""

from __future__ import annotations

import shutil
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
def signed_dir(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the demo's folder: sign-ins write the subjects they keep into its app store."""
    folder = tmp_path_factory.mktemp("signed") / "data"
    shutil.copytree(demo_dir, folder)
    return folder


@pytest.fixture(scope="module")
def signed_app(signed_dir: Path, tmp_path_factory: pytest.TempPathFactory):
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
        with streamlit_server(signed_dir, cwd=home, port=port) as url:
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
        for person, expected, scope in (
            (csm, book, "the accounts you own"),
            (leader, total, "every account"),
        ):
            context, page = _sign_in_as(browser, url, provider, person["email"])
            sidebar = page.locator('[data-testid="stSidebar"]')
            assert sidebar.get_by_text(f"{person['owner']} ({person['role']})").count() == 1
            assert sidebar.get_by_text(scope).count() == 1
            metric = page.locator('[data-testid="stMetric"]').filter(has_text="Accounts").first
            assert metric.locator('[data-testid="stMetricValue"]').inner_text() == f"{expected:,}"
            context.close()
        browser.close()


def _refused(browser, url: str, provider, email: str, **claims) -> str:
    """Sign in with these claims overridden; the page's refusal (it must refuse)."""
    from playwright.sync_api import expect

    provider.next_user, provider.next_claims = email, claims
    context = browser.new_context(viewport={"width": 1440, "height": 1600})
    try:
        page = context.new_page()
        page.goto(url)
        page.get_by_role("button", name="Sign in").click()
        refusal = page.get_by_text("You cannot sign in")
        expect(refusal).to_be_visible(timeout=60_000)
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()
        assert page.get_by_role("heading", name="Portfolio health").count() == 0
        return refusal.inner_text()
    finally:
        provider.next_claims = {}
        context.close()


def test_an_unverified_email_or_a_subject_paired_with_another_email_is_refused(
    signed_app, signed_dir: Path
):
    from playwright.sync_api import sync_playwright

    url, provider = signed_app
    stores = Stores.open(signed_dir)
    owners = stores.sources.query("SELECT owner, role, email FROM owners ORDER BY owner")
    leader = owners.filter(owners["role"] == "leader").row(0, named=True)
    am, other = owners.filter(owners["role"] == "am").head(2).iter_rows(named=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        # a leader's address the provider has not verified does not sign in as the leader
        text = _refused(browser, url, provider, leader["email"], email_verified=False)
        assert "has not verified this e-mail address" in text
        # the AM's first sign-in keeps the provider's subject beside the e-mail
        context, _ = _sign_in_as(browser, url, provider, am["email"])
        context.close()
        # the same e-mail from another subject, the same subject with another owner's e-mail
        text = _refused(browser, url, provider, am["email"], sub="someone-else")
        assert "from another account at the provider" in text
        text = _refused(browser, url, provider, other["email"], sub=am["email"])
        assert "with another e-mail address" in text
        browser.close()
    kept = stores.app.query(
        "SELECT subject, email FROM identities WHERE email = ?", [am["email"].lower()]
    )
    assert kept.rows() == [(am["email"], am["email"].lower())]
    refused = stores.app.query(
        "SELECT actor, detail FROM audit_log WHERE action = 'sign-in refused' ORDER BY logged_at"
    )
    assert refused["actor"].to_list() == [leader["email"], am["email"], other["email"]]
    assert "someone-else" in refused["detail"][1]
