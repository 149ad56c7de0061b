"""Organisations: one store per organisation, chosen at sign-in (here: by the local user);
a reader connection cannot reach any other file, so no query joins across organisations."""

from __future__ import annotations

import datetime as dt
import json
import os

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.config import get_settings, org_dir, org_for_email
from dashboard.ingest.demo import DemoSpec, load_demo
from dashboard.jobs.refresh import refresh
from dashboard.store import StoreError, Stores

TODAY = dt.date(2026, 6, 15)  # conftest's fixed date


@pytest.fixture
def two_orgs(tmp_path, app_data_dir, monkeypatch):
    monkeypatch.setenv("TANDEM_ORGS", json.dumps({"acme": ["acme.com"], "globex": ["globex.com"]}))
    app_data_dir(tmp_path)
    settings = get_settings()
    sizes = {"acme": 30, "globex": 50}
    for org, n in sizes.items():
        stores = Stores.open(org_dir(settings, org))
        load_demo(stores.sources, DemoSpec(accounts=n, seed=n, anchor=TODAY))
        refresh(stores, TODAY, org_dir(settings, org), digests=False)
    yield settings, sizes
    os.environ.pop("TANDEM_ORGS", None)
    get_settings.cache_clear()


def test_people_belong_to_an_organisation_by_email_domain(two_orgs):
    settings, _ = two_orgs
    assert org_for_email(settings, "Ann@ACME.com") == "acme"
    assert org_for_email(settings, "bo@globex.com") == "globex"
    assert org_for_email(settings, "eve@evil.test") is None
    with pytest.raises(ValueError, match="unknown organisation"):
        org_dir(settings, "initech")


def test_no_query_can_reach_another_organisations_store(two_orgs):
    settings, _ = two_orgs
    acme = Stores.open(org_dir(settings, "acme"))
    globex_file = Stores.open(org_dir(settings, "globex")).sources.current_path()
    for sql in (
        f"ATTACH '{globex_file}' AS other",
        f"SELECT * FROM '{globex_file}'",
        f"SELECT * FROM read_csv('{org_dir(settings, 'globex')}/digests/x.csv')",
    ):
        with pytest.raises(Exception, match="(?i)external access|disabled|Permission"):
            acme.sources.query(sql)
    with pytest.raises((StoreError, Exception)):
        acme.sources.query("SELECT count(*) FROM other.accounts")


def test_each_organisation_sees_its_own_portfolio(two_orgs):
    _, sizes = two_orgs
    at = AppTest.from_file("../dashboard/app.py", default_timeout=30).run()
    assert not at.exception, [e.message for e in at.exception]
    counts = {}
    for org in ("acme", "globex"):
        at.sidebar.selectbox(key="org").set_value(org).run()
        assert not at.exception
        counts[org] = int(
            next(m for m in at.metric if m.label == "Accounts").value.replace(",", "")
        )
    live = {
        o: Stores.open(org_dir(get_settings(), o)).sources.scalar(
            "SELECT count(*) FROM account_scores"
        )
        for o in sizes
    }
    assert counts == live and counts["acme"] != counts["globex"]


def test_a_check_holds_only_for_the_organisation_plan_and_data_it_was_given_for(tmp_path):
    from dashboard.workflows.imports import CheckStamp, StaleCheck, require_same_check

    acme, globex = tmp_path / "orgs" / "acme", tmp_path / "orgs" / "globex"
    checked = CheckStamp.of(acme, "plan-1", "v1")
    require_same_check(checked, CheckStamp.of(acme / ".", "plan-1", "v1"))  # the same folder
    for other, what in (
        (CheckStamp.of(globex, "plan-1", "v1"), "another organisation"),
        (CheckStamp.of(acme, "plan-2", "v1"), "mappings or mode changed"),
        (CheckStamp.of(acme, "plan-1", "v2"), "stored data changed"),
    ):
        with pytest.raises(StaleCheck, match=what):
            require_same_check(checked, other)


def test_a_load_checked_in_one_organisation_never_lands_in_another(two_orgs):
    """Single-user mode: check (and confirm) a replace in acme, switch the sidebar to globex
    and press Load in the same moment: nothing lands anywhere; globex must be checked anew."""
    settings, sizes = two_orgs
    five = "account_id,account_name,csm_owner,arr\n" + "".join(
        f"n{i},New {i},Ann Lee,1000\n" for i in range(5)
    )
    at = AppTest.from_file("../dashboard/app.py", default_timeout=60).run()
    at.sidebar.selectbox(key="org").set_value("acme").run()
    at.switch_page("../pages/data.py").run()
    assert not at.exception, [e.message for e in at.exception]
    at.file_uploader(key="uploads").set_value([("five.csv", five.encode(), "text/csv")]).run()
    at.selectbox(key="table_five").set_value("accounts").run()
    at.radio(key="import_mode").set_value("replace").run()
    at.button(key="import_check").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.button(key="import_load").disabled is False
    before = {o: Stores.open(org_dir(settings, o)).sources.data_version() for o in sizes}
    at.sidebar.selectbox(key="org").set_value("globex")
    at.button(key="import_load").click().run()
    assert not at.exception, [e.message for e in at.exception]
    after = {o: Stores.open(org_dir(settings, o)).sources.data_version() for o in sizes}
    assert after == before  # nothing written in either organisation
    assert Stores.open(org_dir(settings, "globex")).sources.row_count("accounts") == sizes["globex"]
    assert not [b for b in at.button if b.key == "import_load"]  # globex is checked anew
    # checked again, in globex, it may load there
    at.button(key="import_check").click().run()
    assert not at.exception and at.button(key="import_load").disabled is False
