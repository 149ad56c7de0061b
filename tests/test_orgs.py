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

TODAY = dt.date.today()


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
    live = {o: Stores.open(org_dir(get_settings(), o)).sources.scalar(
        "SELECT count(*) FROM account_scores") for o in sizes}  # fmt: skip
    assert counts == live and counts["acme"] != counts["globex"]
