"""Density and noise (issue 24, point 7): next actions that belong to their row, no $0
expansion signal, the tables a meeting reads at full width with its columns first, and no
chart toolbar across a legend."""

from __future__ import annotations

import json

import polars as pl
from streamlit.testing.v1 import AppTest

from dashboard.store import Stores
from dashboard.store.filters import AccountFilter
from dashboard.ui import columns
from dashboard.ui.layout import PHONE_CSS
from dashboard.views.expansion import expansion_view
from dashboard.views.sync import build_agenda, pair_choices
from tests.conftest import TODAY

APP = "../dashboard/app.py"


def test_next_actions_are_the_rows_own(demo_stores: Stores):
    scores = demo_stores.sources.query(
        "SELECT s.top_driver, s.top_action, a.licensed_seats FROM account_scores s"
        " JOIN accounts a USING (account_id) WHERE s.top_action IS NOT NULL"
    )
    by_driver = scores.group_by("top_driver").agg(
        pl.len().alias("rows"), pl.col("top_action").n_unique().alias("actions")
    )
    common = by_driver.filter(pl.col("rows") >= 5)
    assert common.height >= 2
    # not one text per driver: the account's own numbers are in it
    assert (common["actions"] > 1).all(), common
    seats = scores.filter(pl.col("top_driver") == "adoption").row(0, named=True)
    assert "active in 30 days" in seats["top_action"]
    assert f"of {seats['licensed_seats']} active" in seats["top_action"]


def test_the_portfolio_lists_row_specific_actions(demo_stores: Stores):
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    table = at.dataframe[0].value
    actions = table["top_action"].dropna()
    drivers = demo_stores.sources.scalar("SELECT count(DISTINCT top_driver) FROM account_scores")
    assert actions.nunique() > 3 * drivers


def test_no_expansion_signal_is_worth_nothing(demo_stores: Stores):
    ready_at_zero = demo_stores.sources.scalar(
        "SELECT count(*) FROM account_scores WHERE expansion_ready AND expansion_potential = 0"
    )
    assert ready_at_zero > 0  # the demo has them: the lists below leave them out
    for pair in pair_choices(demo_stores.sources, None).keys:
        signals = build_agenda(demo_stores, pair, TODAY).signals
        assert (signals["expansion_potential"] > 0).all(), pair
    unflagged = expansion_view(demo_stores, AccountFilter(), TODAY).unflagged
    assert (unflagged["expansion_potential"] > 0).all()


def test_the_sync_tables_are_full_width_with_the_meetings_columns_first(demo_stores: Stores):
    at = AppTest.from_file(APP, default_timeout=60)
    at.switch_page("../pages/sync.py").run()
    assert not at.exception
    for column in at.columns:  # no agenda table is squeezed into half the page
        assert not [d for d in column.dataframe if (d.key or "").startswith("sync_")]
    assert columns.sync_signals().order[:3] == [
        "account_name",
        "expansion_potential",
        "days_to_renewal",
    ]
    assert columns.sync_risks().order[:3] == ["account_name", "arr", "days_to_renewal"]


def test_no_chart_toolbar_across_a_legend(demo_stores: Stores):
    at = AppTest.from_file(APP, default_timeout=60).run()
    figures = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    assert figures
    for figure in figures:  # the toolbar stands along the right edge, the legend on top
        assert figure["layout"]["modebar"]["orientation"] == "v"
    assert ".modebar-container { display: none" in PHONE_CSS  # on a phone: none at all
