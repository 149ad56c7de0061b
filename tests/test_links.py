"""Links are the view (issue 24, point 5): the workspace, the filters, the Portfolio's
breakdown, measure and chart pick and the Renewals month live in the URL; opening an account
keeps them, its way back restores them, and an account of the other workspace says so."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from urllib.parse import parse_qs

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.ingest.demo import DemoSpec, load_demo
from dashboard.jobs.refresh import refresh
from dashboard.store import Stores
from tests.conftest import TODAY, tandem

APP = "../dashboard/app.py"


def _param(at: AppTest, key: str) -> list[str]:
    """A URL parameter's values as the app left them (one value or several)."""
    if key not in at.query_params:
        return []
    value = at.query_params[key]
    return value if isinstance(value, list) else [value]


def _app(params: dict[str, str | list[str]], page: str | None = None) -> AppTest:
    """The app opened on a link: ``page`` (the Portfolio without one) with ``params``."""
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    if page:
        at.switch_page(f"../pages/{page}.py")
    at.run()
    assert not at.exception, at.exception
    return at


def _listed(at: AppTest) -> str:
    return next(c.value for c in at.caption if "accounts in the filter" in c.value)


def _smb_region(demo_stores: Stores) -> tuple[str, int]:
    """The region holding the most red SMB accounts, and how many it holds."""
    row = demo_stores.sources.query(
        "SELECT a.region, count(*) AS n FROM account_scores s JOIN accounts a USING (account_id)"
        " WHERE a.segment = 'SMB' AND s.band = 'red' GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1"
    ).row(0)
    return row[0], row[1]


def test_a_shared_portfolio_link_reproduces_the_view(demo_stores: Stores):
    region, red = _smb_region(demo_stores)
    at = _app({"segment": "SMB", "by": "region", "measure": "arr", "pick": f"region:{region}:red"})
    assert at.multiselect(key="filter_segment").value == ["SMB"]
    assert at.selectbox(key="portfolio_dim").value == "region"
    assert at.segmented_control(key="portfolio_measure").value == "arr"
    assert _listed(at).startswith(f"{red:,} of ")
    assert f"red band in Region {region}" in _listed(at)
    assert at.dataframe[0].value.shape[0] == red
    # the run writes the view back: the link is whole, with its workspace
    assert _param(at, "by") == ["region"] and _param(at, "measure") == ["arr"]
    assert _param(at, "pick") == [f"region:{region}:red"]
    assert _param(at, "segment") == ["SMB"] and _param(at, "ws") == ["demo"]


def test_a_change_lands_in_the_link(demo_stores: Stores):
    at = _app({})
    at.selectbox(key="portfolio_dim").set_value("plan").run()
    at.segmented_control(key="portfolio_measure").set_value("arr").run()
    at.multiselect(key="filter_region").set_value(["EMEA"]).run()
    assert _param(at, "by") == ["plan"] and _param(at, "measure") == ["arr"]
    assert _param(at, "region") == ["EMEA"]


@pytest.mark.parametrize("pick", ["nope:x:red", "segment:SMB:purple", "::", "region"])
def test_a_pick_that_is_no_pick_is_ignored(demo_stores: Stores, pick: str):
    at = _app({"pick": pick})
    assert _listed(at).startswith("All ")
    assert "pick" not in at.query_params


def test_opening_an_account_keeps_the_view_and_its_back_link_restores_it(demo_stores: Stores):
    at = _app({"segment": "SMB", "region": "EMEA", "by": "plan", "measure": "arr"})
    listed = _listed(at)
    rows = at.dataframe[0].value.shape[0]
    at.session_state["portfolio_table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert not at.exception
    assert len(_param(at, "account")) == 1 and at.metric[0].label == "Health"
    assert _param(at, "segment") == ["SMB"] and _param(at, "region") == ["EMEA"]
    back = at.get("page_link")[0].proto
    assert back.label == "Back to Portfolio health"
    assert "segment=SMB" in back.query_string and "by=plan" in back.query_string
    assert "measure=arr" in back.query_string and "account=" not in back.query_string
    # the browser's Back: the Portfolio runs with the account's address (Streamlit keeps
    # the query string of the page it leaves); the view comes back whole
    at.switch_page("../pages/portfolio.py").run()
    assert not at.exception
    assert "account" not in at.query_params
    assert at.selectbox(key="portfolio_dim").value == "plan"
    assert at.segmented_control(key="portfolio_measure").value == "arr"
    assert at.multiselect(key="filter_region").value == ["EMEA"]
    assert _listed(at) == listed and at.dataframe[0].value.shape[0] == rows


def test_a_renewals_month_lives_in_the_link(demo_stores: Stores):
    at = _app({})
    at.switch_page("../pages/renewals.py").run()
    months = at.selectbox(key="renewal_month").options
    assert len(months) > 2
    at.selectbox(key="renewal_month").select_index(2).run()
    month = _param(at, "month")
    assert len(month) == 1
    shared = _app({"month": month[0]}, "renewals")
    assert shared.selectbox(key="renewal_month").value.isoformat()[:7] == month[0]


@pytest.fixture(scope="module")
def two_workspaces(tmp_path_factory) -> Path:
    """A data folder with a team's own 4 accounts and, in ``demo/``, a 60-account demo."""
    root = tmp_path_factory.mktemp("two-workspaces")
    crm = root.parent / f"{root.name}-crm.csv"
    renew = (TODAY + dt.timedelta(days=120)).isoformat()
    pl.DataFrame(
        {
            "account_id": ["T-1", "T-2", "T-3", "T-4"],
            "account_name": ["Team One", "Team Two", "Team Three", "Team Four"],
            "arr": [1000, 2000, 3000, 4000],
            "renewal_date": [renew] * 4,
        }
    ).write_csv(crm)
    done = tandem(root, "import", "accounts", str(crm))
    assert done.returncode == 0, done.stderr
    demo = Stores.open(root / "demo")
    load_demo(demo.sources, DemoSpec(accounts=60, seed=5, anchor=TODAY))
    refresh(demo, TODAY, root / "demo")
    return root


def test_an_account_of_the_other_workspace_says_so_and_offers_the_switch(
    two_workspaces, app_data_dir
):
    app_data_dir(two_workspaces)
    demo_id = Stores.open(two_workspaces / "demo").sources.scalar(
        "SELECT min(account_id) FROM accounts"
    )
    at = _app({"account": demo_id}, "account")
    assert not at.error, [e.value for e in at.error]  # not "There is no account with id"
    assert "is in the **Demo** workspace" in at.warning[0].value
    at.button(key="links_switch_workspace").click().run()
    assert not at.exception
    assert _param(at, "ws") == ["demo"] and _param(at, "account") == [demo_id]
    assert at.metric[0].label == "Health"  # the account itself, in the demo


def test_a_link_names_its_workspace(two_workspaces, app_data_dir):
    app_data_dir(two_workspaces)
    at = _app({"ws": "demo"})
    assert _param(at, "ws") == ["demo"]
    demo = Stores.open(two_workspaces / "demo").sources
    team_scores = Stores.open(two_workspaces).sources
    live = "SELECT count(*) FROM account_scores"
    assert next(m.value for m in at.metric if m.label == "Accounts") == str(demo.scalar(live))
    team = _app({"ws": "data"})
    assert next(m.value for m in team.metric if m.label == "Accounts") == "4"
    assert team_scores.scalar(live) == 4


def test_an_id_no_workspace_holds_is_not_there(two_workspaces, app_data_dir):
    app_data_dir(two_workspaces)
    at = _app({"account": "ACC-999999"}, "account")
    assert "There is no account with id" in at.error[0].value
    assert not at.warning


def test_the_way_back_to_the_sync_keeps_its_pair(demo_stores: Stores):
    from dashboard.views.sync import build_agenda, pair_choices

    keys = pair_choices(demo_stores.sources, None).keys
    pair = next(k for k in keys[1:] if build_agenda(demo_stores, k, TODAY).risks.height)
    at = _app({"pair": pair}, "sync")
    assert at.selectbox(key="sync_pair").value == pair
    at.session_state["sync_risks"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert not at.exception
    back = at.get("page_link")[0].proto
    assert back.label == "Back to Weekly sync"
    assert parse_qs(back.query_string)["pair"] == [pair]
    # the browser's Back: the sync runs with the account's address, its pair comes back
    at.switch_page("../pages/sync.py").run()
    assert at.selectbox(key="sync_pair").value == pair


def test_the_unmanaged_middle_lives_in_the_link(demo_stores: Stores):
    at = _app({}, "unmanaged_middle")
    assert _param(at, "middle_by") == ["arr"] and _param(at, "middle_pct") == ["25-75"]
    at.slider(key="middle_pct").set_value((10, 90)).run()
    assert _param(at, "middle_pct") == ["10-90"]
    shared = _app(
        {"middle_by": "segment", "middle_segment": ["SMB", "Enterprise"]}, "unmanaged_middle"
    )
    assert not shared.exception
    assert shared.segmented_control(key="middle_by").value == "segment"
    assert shared.multiselect(key="middle_segments").value == ["SMB", "Enterprise"]
    assert _param(shared, "middle_segment") == ["SMB", "Enterprise"]
    assert "middle_pct" not in shared.query_params
    wide = _app({"middle_pct": "10-90"}, "unmanaged_middle")
    assert wide.slider(key="middle_pct").value == (10, 90)
    assert _app({"middle_pct": "7-300"}, "unmanaged_middle").slider(key="middle_pct").value == (
        25,
        75,
    )


def test_coming_back_to_the_unmanaged_middle_keeps_its_percentiles(demo_stores: Stores):
    # The session remembers a page's settings as its link writes them ("10-90"); coming back
    # to the page gave the slider that text, and the page failed ("could not convert string
    # to float: '25-75'": 27 of 384 views under bench/load.py, where sessions go round pages)
    at = _app({}, "unmanaged_middle")
    at.slider(key="middle_pct").set_value((10, 90)).run()
    at.switch_page("../pages/portfolio.py").run()
    assert not at.exception, at.exception
    at.switch_page("../pages/unmanaged_middle.py").run()
    assert not at.exception, at.exception
    assert at.slider(key="middle_pct").value == (10, 90)
    assert _param(at, "middle_pct") == ["10-90"]
