"""The Account page's stakeholder map (AppTest on the demo): its people with e-mails masked,
roles, last seen and left on, the raised signals with both roles' actions, and an account
with no contacts loaded said as such."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from dashboard.store import Stores
from dashboard.store.pairs import pair_key
from dashboard.text import EMAIL_MASK, md
from dashboard.views.stakeholders import stakeholder_map
from dashboard.views.sync import agenda_markdown, build_agenda
from tests.conftest import TODAY
from tests.missing_sources import build, open_page, said

APP = "../dashboard/app.py"
ACCOUNT = "../pages/account.py"


def open_account(account_id: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    at.query_params["account"] = account_id
    return at.switch_page(ACCOUNT).run()


def _table(at: AppTest):
    return next(d.value for d in at.dataframe if "touched_by" in d.value.columns)


def test_stakeholder_map_shows_people_masked_and_a_champion_who_left(demo_stores: Stores):
    as_of = demo_stores.sources.scalar("SELECT max(as_of) FROM account_scores")
    left = demo_stores.sources.query(
        """
        SELECT c.account_id, c.name, c.left_on FROM contacts c JOIN account_scores s
            USING (account_id)
        WHERE c.role = 'champion' AND c.left_on <= ? AND c.left_on > ? - INTERVAL 180 DAY
        ORDER BY c.account_id, c.name LIMIT 1
        """,
        [as_of, as_of],
    ).row(0, named=True)
    people = demo_stores.sources.query(
        "SELECT name, role FROM contacts WHERE account_id = ?", [left["account_id"]]
    )
    at = open_account(left["account_id"])
    assert not at.exception
    assert "Stakeholders" in [s.value for s in at.subheader]
    table = _table(at)
    assert sorted(table["name"].to_list()) == sorted(people["name"].to_list())
    assert set(table["email"].dropna()) <= {EMAIL_MASK}  # PII masked by default
    assert not table["email"].dropna().empty
    shown_left = table.loc[table["name"] == left["name"], "left_on"].iloc[0]
    assert str(shown_left)[:10] == str(left["left_on"])
    said = " ".join(m.value for m in at.markdown)
    assert f"**Champion left** — {left['name']}, left on {left['left_on']}" in said
    assert "CSM: Find and onboard the new champion" in said
    assert "AM: Re-establish the commercial relationship before the renewal" in said


def test_no_contacts_loaded_is_said(tmp_path: Path, app_data_dir):
    app_data_dir(build(tmp_path / "data"))  # a hand-made portfolio with no contacts table
    at = open_page("account", {"account": "a"})
    assert "Stakeholders" in [s.value for s in at.subheader]
    assert any("No contacts loaded for this account" in c.value for c in at.caption)
    assert "Champion" not in said(at)  # unknown people raise no signal


def test_the_sync_agenda_lists_a_champion_who_left_on_a_shared_account(demo_stores: Stores):
    as_of = demo_stores.sources.scalar("SELECT max(as_of) FROM account_scores")
    left = demo_stores.sources.query(
        """
        SELECT s.account_name, s.csm_owner, s.am_owner, c.name, c.left_on
        FROM contacts c JOIN account_scores s USING (account_id)
        WHERE c.role = 'champion' AND c.left_on <= ? AND c.left_on > ? - INTERVAL 180 DAY
            AND s.am_owner IS NOT NULL
        ORDER BY c.account_id, c.name LIMIT 1
        """,
        [as_of, as_of],
    ).row(0, named=True)
    pair = pair_key(left["csm_owner"], left["am_owner"])
    line = f"Champion left: {left['account_name']} ({left['name']}, left on {left['left_on']})"
    agenda = build_agenda(demo_stores, pair, TODAY)
    assert line in agenda.stakeholders["line"].to_list()
    assert md(line) in agenda_markdown(agenda)  # escaped as every cell
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.query_params["pair"] = pair
    at.switch_page("../pages/sync.py").run()
    assert not at.exception
    assert "Stakeholder signals" in [s.value for s in at.subheader]
    table = next(d.value for d in at.dataframe if "line" in d.value.columns)
    assert line in table["line"].to_list()


def test_e_mails_masked_unless_unmasked(demo_stores: Stores):
    account = demo_stores.sources.query(
        "SELECT account_id FROM contacts WHERE email IS NOT NULL ORDER BY account_id LIMIT 1"
    )["account_id"][0]
    emails = demo_stores.sources.query(
        "SELECT email FROM contacts WHERE account_id = ? AND email IS NOT NULL", [account]
    )["email"]
    masked = stakeholder_map(demo_stores.sources, account, TODAY)
    shown = stakeholder_map(demo_stores.sources, account, TODAY, unmask=True)
    assert set(masked.people["email"].drop_nulls()) == {EMAIL_MASK}
    assert sorted(shown.people["email"].drop_nulls()) == sorted(emails)
