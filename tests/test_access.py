"""Scoping: a CSM sees their own book, through every way in (the tables and their downloads,
the URL, the Account page, the sync page); leaders see everything; pages for leaders and ops
refuse the others."""

from __future__ import annotations

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.store import Stores
from dashboard.store.filters import AccountFilter
from dashboard.store.marts import account_table
from dashboard.store.pairs import pairs
from dashboard.workflows.access import LOCAL, Viewer, account_visible, viewer_for_email

APP = "../dashboard/app.py"


@pytest.fixture
def csm(demo_stores: Stores) -> Viewer:
    name = demo_stores.sources.query(
        "SELECT csm_owner FROM account_scores WHERE coverage_class = 'pair'"
        " GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
    )["csm_owner"][0]
    return Viewer(name=name, role="csm", email=f"{name.split()[0].lower()}@example.com")


def _as(viewer: Viewer, page: str | None = None, **params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state["viewer"] = viewer  # what the sign-in step sets on the server
    for key, value in params.items():  # a link to the page (the home page keeps only its own)
        at.query_params[key] = value
    if page:
        at.switch_page(f"../pages/{page}.py")
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_the_store_layer_scopes_every_account_query(demo_stores: Stores, csm: Viewer):
    mine = AccountFilter(scope=csm.scope())
    table = account_table(demo_stores.sources, mine)
    assert table.height > 0
    assert ((table["csm_owner"] == csm.name) | (table["am_owner"] == csm.name)).all()
    other = demo_stores.sources.query(
        "SELECT account_id FROM account_scores WHERE csm_owner <> ? AND"
        " coalesce(am_owner, '') <> ? LIMIT 1",
        [csm.name, csm.name],
    )["account_id"][0]
    assert not account_visible(demo_stores.sources, mine, other)
    assert account_visible(demo_stores.sources, AccountFilter(), other)
    assert account_table(demo_stores.sources, AccountFilter(scope=[])).is_empty()


def test_a_csm_sees_their_book_and_cannot_reach_another(demo_stores: Stores, csm: Viewer):
    at = _as(csm)
    table = at.dataframe[0].value
    assert set(table["csm_owner"]) | set(table["am_owner"].dropna()) >= {csm.name}
    assert ((table["csm_owner"] == csm.name) | (table["am_owner"] == csm.name)).all()
    other = demo_stores.sources.query(
        "SELECT account_id, account_name FROM account_scores WHERE csm_owner <> ?"
        " AND coalesce(am_owner, '') <> ? LIMIT 1",
        [csm.name, csm.name],
    ).row(0, named=True)
    at = _as(csm, "account", account=other["account_id"])
    assert at.error[0].value == f"There is no account with id {other['account_id']!r}."
    assert other["account_name"] not in [t.value for t in at.title]
    # the sync page lists only the CSM's own pairs, whatever the link says
    foreign = pairs(demo_stores.sources).filter(
        (pl.col("csm") != csm.name) & (pl.col("am") != csm.name)
    )["key"][0]
    at = _as(csm, "sync", pair=foreign)
    options = at.selectbox(key="sync_pair").options
    assert foreign not in options and all(csm.name in o for o in options)
    for page, what in (
        ("lab", "The score lab"),
        ("data", "The Data page"),
        ("unmanaged_middle", "The Unmanaged middle page"),
    ):
        at = _as(csm, page)
        assert at.error[0].value == f"{what} is for leaders and ops.", page


def test_leaders_and_the_local_user_see_everything(demo_stores: Stores):
    total = demo_stores.sources.scalar("SELECT count(*) FROM account_scores")
    for viewer in (Viewer(name="Lee", role="leader"), LOCAL):
        at = _as(viewer)
        metric = next(m for m in at.metric if m.label == "Accounts")
        assert metric.value == f"{total:,}"
    assert any("Single-user local mode" in c.value for c in _as(LOCAL).sidebar.caption)


def test_people_are_found_by_email_in_the_owners_table():
    owners = pl.DataFrame(
        {
            "owner": ["Ann Lee", "Bo Chan"],
            "role": ["csm", "leader"],
            "email": ["Ann.Lee@Example.com", "bo@example.com"],
        }
    )
    assert viewer_for_email(owners, "ann.lee@example.com ") == Viewer(
        name="Ann Lee", role="csm", email="ann.lee@example.com "
    )
    assert viewer_for_email(owners, "bo@example.com").sees_everything
    assert viewer_for_email(owners, "eve@evil.test") is None
