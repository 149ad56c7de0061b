import datetime as dt
import itertools
from pathlib import Path

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.jobs.refresh import refresh
from dashboard.store import Stores
from dashboard.text import format_value
from scoring.kpis import retention
from tests.conftest import TODAY

APP = "../dashboard/app.py"


@pytest.fixture
def portfolio(demo_stores: Stores) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    return at


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_renders_kpis_charts_and_table(portfolio: AppTest, demo_stores: Stores):
    at = portfolio
    assert at.title[0].value == "Portfolio health"
    labels = [m.label for m in at.metric]
    assert labels == [
        "Accounts",
        "ARR",
        "ARR green",
        "ARR yellow",
        "ARR red",
        "Median health",
        "ARR at risk",
        "Expected ARR lost to churn (90 d)",
        "NRR (12 mo)",
        "GRR (12 mo)",
    ]
    live = demo_stores.sources.scalar("SELECT count(*) FROM account_scores")
    assert _metric(at, "Accounts") == f"{live:,}"
    # Σ ARR × p over the accounts, p calibrated on the demo's own churn history
    expected = demo_stores.sources.scalar("SELECT sum(arr * churn_probability) FROM account_scores")
    assert expected > 0 and _metric(at, "Expected ARR lost to churn (90 d)") == format_value(
        expected, "money"
    )
    assert len(at.get("plotly_chart")) == 3
    table = at.dataframe[0].value
    assert len(table) == live  # every account in the filter, not the weakest few
    assert table["health"].is_monotonic_increasing


def test_kpi_cards_match_direct_computation(portfolio: AppTest, demo_stores: Stores):
    scores = demo_stores.sources.query("SELECT arr, band, health FROM account_scores")
    red_arr = scores.filter(pl.col("band") == "red")["arr"].sum()
    expected = f"${red_arr / 1e6:,.2f}M" if red_arr >= 1e6 else f"${red_arr:,.0f}"
    assert _metric(portfolio, "ARR red") == expected
    assert _metric(portfolio, "Median health") == f"{scores['health'].median():.1f}"
    accounts = demo_stores.sources.query(
        "SELECT account_id, arr, status, contract_start FROM accounts"
    )
    outcomes = demo_stores.sources.query("SELECT * FROM outcomes")
    nrr = retention(accounts, outcomes, TODAY - dt.timedelta(days=365), TODAY)["nrr"]
    assert _metric(portfolio, "NRR (12 mo)") == f"{nrr:.1%}"


def test_filters_apply_to_every_number(portfolio: AppTest, demo_stores: Stores):
    at = portfolio
    at.multiselect(key="filter_segment").set_value(["Enterprise"]).run()
    assert not at.exception
    n = demo_stores.sources.scalar(
        "SELECT count(*) FROM account_scores WHERE segment = 'Enterprise'"
    )
    assert _metric(at, "Accounts") == f"{n:,}"
    assert set(at.dataframe[0].value["segment"]) == {"Enterprise"}


def test_breakdown_switches_dimension_and_measure(portfolio: AppTest):
    at = portfolio
    at.selectbox(key="portfolio_dim").set_value("region").run()
    at.segmented_control(key="portfolio_measure").set_value("arr").run()
    assert not at.exception
    spec = at.get("plotly_chart")[0].proto.spec
    assert "North America" in spec and '"x":' in spec


def test_selecting_a_row_opens_the_account_page(portfolio: AppTest, demo_stores: Stores):
    at = portfolio
    second = demo_stores.sources.query(
        "SELECT account_id, account_name FROM account_scores"
        " ORDER BY health ASC NULLS FIRST, arr DESC LIMIT 2"
    ).row(1, named=True)
    at.session_state["portfolio_table"] = {"selection": {"rows": [1], "columns": [], "cells": []}}
    at.run()
    assert not at.exception
    assert at.query_params["account"] in (second["account_id"], [second["account_id"]])
    assert at.title[0].value == second["account_name"]
    assert at.metric[0].label == "Health"


def test_the_list_holds_every_account_of_the_filter_at_2000_accounts(tmp_path, app_data_dir):
    from dashboard.ingest.demo import DemoSpec, load_demo
    from dashboard.jobs.refresh import refresh

    stores = Stores.open(app_data_dir(tmp_path))
    load_demo(stores.sources, DemoSpec(accounts=2000, seed=5, anchor=TODAY))
    refresh(stores, TODAY, tmp_path, backfill_weeks=1)
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    live = stores.sources.scalar("SELECT count(*) FROM account_scores")
    assert live > 1500 and len(at.dataframe[0].value) == live
    # sorted by ARR, the largest red account is in the list (it was not, in the weakest 200)
    table = at.dataframe[0].value
    largest_red = stores.sources.scalar(
        "SELECT account_name FROM account_scores WHERE band = 'red' ORDER BY arr DESC LIMIT 1"
    )
    assert largest_red in set(table["account_name"])
    at.multiselect(key="filter_region").set_value(["EMEA"]).run()
    in_filter = stores.sources.scalar("SELECT count(*) FROM account_scores WHERE region = 'EMEA'")
    assert len(at.dataframe[0].value) == in_filter
    assert f"All {in_filter:,} accounts in the filter" in " ".join(c.value for c in at.caption)


def test_a_chart_click_lists_only_what_it_picked(portfolio: AppTest, demo_stores: Stores):
    from dashboard.views.portfolio import ChartPick

    at = portfolio
    at.session_state["portfolio_pick"] = ChartPick("segment", "Enterprise", "red")
    at.run()
    assert not at.exception
    expected = demo_stores.sources.scalar(
        "SELECT count(*) FROM account_scores WHERE segment = 'Enterprise' AND band = 'red'"
    )
    table = at.dataframe[0].value
    assert expected > 0 and len(table) == expected
    assert set(table["segment"]) == {"Enterprise"}
    captions = " ".join(c.value for c in at.caption)
    assert f"{expected:,} of " in captions and "red band in Segment Enterprise" in captions
    at.button(key="portfolio_unpick").click().run()
    live = demo_stores.sources.scalar("SELECT count(*) FROM account_scores")
    assert len(at.dataframe[0].value) == live


def test_clicks_parse_into_picks():
    from dashboard.ui.selection import bar_pick, treemap_pick
    from dashboard.views.portfolio import ChartPick

    assert bar_pick([{"y": "EMEA", "customdata": "yellow", "curve_number": 1}], "region") == (
        ChartPick("region", "EMEA", "yellow")
    )
    assert bar_pick([], "region") is None
    assert treemap_pick([{"id": "Portfolio/SMB/green"}]) == ChartPick("segment", "SMB", "green")
    assert treemap_pick([{"id": "Portfolio/SMB"}]) == ChartPick("segment", "SMB", None)
    assert treemap_pick([{"id": "Portfolio"}]) is None


def test_week_over_week_compares_with_the_week_before_the_data_date(tmp_path):
    """Data scored as of an earlier day (an old export, a nightly job that stopped): the
    delta is against the snapshot a week before that day, not against the latest snapshot
    before a week ago (the scored day itself: "no change")."""
    from dashboard.ingest.demo import DemoSpec, load_demo
    from dashboard.jobs.refresh import refresh
    from dashboard.store.filters import AccountFilter
    from dashboard.store.marts import weekly_trend
    from dashboard.views.portfolio import portfolio_view

    stores = Stores.open(tmp_path)
    anchor = TODAY - dt.timedelta(days=60)
    load_demo(stores.sources, DemoSpec(accounts=300, seed=3, anchor=anchor))
    refresh(stores, anchor, tmp_path, backfill_weeks=1)
    trend = weekly_trend(stores.sources, AccountFilter())
    arr_on = dict(zip(trend["as_of"], trend["arr"], strict=True))
    assert arr_on[anchor - dt.timedelta(days=7)] != arr_on[anchor]
    view = portfolio_view(stores.sources, AccountFilter(), TODAY)
    arr = next(c for c in view.cards if c.label == "ARR")
    assert view.as_of == anchor and arr.value == arr_on[anchor]
    assert arr.previous == arr_on[anchor - dt.timedelta(days=7)]


# -- facts that read right: hand-made portfolios on a fixed date ------------------------------
FIXED = dt.date(2026, 3, 1)


def _tiny_portfolio(root, accounts: dict, outcomes: dict | None = None, **money) -> Path:
    """A hand-made portfolio scored as of ``FIXED``: the given accounts (one usage event a
    week each for the live ones) and outcomes."""
    stores = Stores.open(root)
    frame = pl.DataFrame(accounts).with_columns(
        account_name=pl.col("account_id").str.to_uppercase(),
        contract_start=pl.lit(dt.date(2022, 1, 1)),
        csm_owner=pl.lit("Cam"),
    )
    live = frame.filter(pl.col("status") == "active")["account_id"].to_list()
    usage = pl.DataFrame(
        {
            "account_id": [a for a in live for _ in range(8)],
            "occurred_at": [
                dt.datetime(2026, 2, 28) - dt.timedelta(days=7 * w) for _ in live for w in range(8)
            ],
            "user_id": ["u1"] * (8 * len(live)),
        }
    )
    with stores.sources.writer() as w:
        w.replace_table("accounts", frame)
        w.replace_table("usage_events", usage)
        if outcomes:
            w.replace_table("outcomes", pl.DataFrame(outcomes))
    refresh(stores, FIXED, root, digests=False, **money)
    return root


def _cards(app_data_dir, root) -> dict[str, object]:
    app_data_dir(root)
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception, [e.message for e in at.exception]
    return {m.label: m for m in at.metric}


def test_undated_churns_make_nrr_and_grr_not_computable_on_the_cards(tmp_path, app_data_dir):
    """Given 2 churned accounts with no churn date beside 2 live ones, expect the NRR and GRR
    cards to say "not computable: 2 churned accounts carry no date", not 100.0 %."""
    root = _tiny_portfolio(
        tmp_path,
        {
            "account_id": ["a", "b", "c", "d"],
            "arr": [1000.0, 2000.0, 500.0, 700.0],
            "status": ["active", "active", "churned", "churned"],
        },
    )
    cards = _cards(app_data_dir, root)
    for label in ("NRR (12 mo)", "GRR (12 mo)"):
        assert cards[label].value == "—", (label, cards[label].value)
        assert cards[label].delta == "not computable: 2 churned accounts carry no date"


def test_an_all_eur_portfolio_shows_euros(tmp_path, app_data_dir):
    """Given accounts all in EUR (the reporting currency left at USD), expect € on the cards."""
    root = _tiny_portfolio(
        tmp_path,
        {
            "account_id": ["a", "b"],
            "arr": [1000.0, 2500.0],
            "status": ["active"] * 2,
            "currency": ["EUR", "eur"],
        },
    )
    cards = _cards(app_data_dir, root)
    assert cards["ARR"].value == "€3,500"
    assert not any("$" in m.value for m in cards.values()), {k: m.value for k, m in cards.items()}


MIXED_ACCOUNTS = {
    "account_id": ["a", "b", "c"],
    "arr": [1000.0, 2000.0, 500.0],
    "status": ["active"] * 3,
    "currency": ["USD", "EUR", "EUR"],
}


def test_mixed_currencies_without_rates_are_never_summed(tmp_path, app_data_dir):
    """Given USD and EUR accounts and no exchange rates, expect no one summed ARR figure: the
    card shows each currency's sum apart and the page says why."""
    root = _tiny_portfolio(tmp_path, MIXED_ACCOUNTS)
    cards = _cards(app_data_dir, root)
    assert cards["ARR"].value == "—"
    assert cards["ARR"].delta == "€2,500 + $1,000 (not summed: no exchange rates)"
    assert "3,500" not in " ".join(m.value + (m.delta or "") for m in cards.values())
    assert cards["NRR (12 mo)"].delta == "not computable: several currencies, no rates"
    at = AppTest.from_file(APP, default_timeout=60).run()
    said = " ".join(c.value for c in at.caption)
    assert "totals are shown per currency, not summed" in said and "Not drawn" in said, said


def test_mixed_currencies_with_rates_show_the_converted_total_and_say_so(tmp_path, app_data_dir):
    """Given USD and EUR accounts and a rates file to EUR, expect the total converted to EUR
    (1000 USD × 0.9 + 2500 EUR = €3,400) and the page naming the rate and its date."""
    rates = tmp_path / "rates.csv"
    rates.write_text("currency,rate_to_reporting,rate_date\nUSD,0.9,2026-02-27\n")
    root = _tiny_portfolio(tmp_path / "store", MIXED_ACCOUNTS, currency="EUR", fx_rates=rates)
    cards = _cards(app_data_dir, root)
    assert cards["ARR"].value == "€3,400"
    app_data_dir(root)
    at = AppTest.from_file(APP, default_timeout=60).run()
    said = " ".join(c.value for c in at.caption)
    assert "converted to EUR" in said and "1 USD = 0.9 EUR (2026-02-27)" in said, said


def _stuck_tab(at: AppTest):
    return next(t for t in at.tabs if t.label.startswith("Stuck in onboarding"))


def _stuck_by_hand(demo_stores: Stores) -> set[str]:
    """The demo's accounts stuck in onboarding, found here from the raw events: live, started
    61 to 364 days before the date, with seats and usage, and no two whole weeks running
    (7-day blocks from the start) where distinct users reached 10 % of the seats."""
    accounts = demo_stores.sources.query(
        "SELECT account_id, account_name, contract_start, licensed_seats FROM accounts"
        " WHERE status = 'active' AND licensed_seats > 0"
        " AND contract_start > ?::DATE - 365 AND contract_start < ?::DATE - 60",
        [TODAY, TODAY],
    )
    events = demo_stores.sources.query(
        "SELECT account_id, occurred_at, user_id FROM usage_events"
        " WHERE account_id IN (SELECT unnest(?::VARCHAR[])) AND occurred_at < ?::DATE",
        [accounts["account_id"].to_list(), TODAY],
    )
    stuck = set()
    for account in accounts.iter_rows(named=True):
        mine = events.filter(pl.col("account_id") == account["account_id"])
        if mine.is_empty():
            continue  # no usage row: unknown, not stuck
        whole = (TODAY - account["contract_start"]).days // 7
        met = []
        for week in range(min(whole, 53)):
            lo = dt.datetime.combine(account["contract_start"], dt.time()) + dt.timedelta(
                days=7 * week
            )
            users = mine.filter(
                pl.col("occurred_at") >= lo, pl.col("occurred_at") < lo + dt.timedelta(days=7)
            )["user_id"].n_unique()
            met.append(users >= 0.1 * account["licensed_seats"])
        if not any(a and b for a, b in itertools.pairwise(met)):
            stuck.add(account["account_name"])
    return stuck


def test_the_onboarding_panel_states_the_rule_and_lists_the_stuck_accounts(
    portfolio: AppTest, demo_stores: Stores
):
    at = portfolio
    assert "Onboarding: time to value" in [h.value for h in at.subheader]
    assert any(
        c.value.startswith("First value: 10% of the licensed seats active in 2 weeks running")
        for c in at.caption
    )
    tab = _stuck_tab(at)
    table = tab.dataframe[0].value
    assert tab.label == f"Stuck in onboarding ({len(table)})"
    assert set(table["account_name"]) == _stuck_by_hand(demo_stores) != set()
    assert (table["days_since_start"] > 60).all()
    assert table["action"].str.len().min() > 20  # each row says what the CSM does
    cohorts = next(t for t in at.tabs if t.label == "By cohort").dataframe[0].value
    assert cohorts["reached"].sum() > 0 and cohorts["not_yet"].sum() >= len(table)
    assert (
        cohorts["accounts"].sum()
        == (
            cohorts["reached"] + cohorts["not_yet"] + cohorts["churned_first"] + cohorts["unknown"]
        ).sum()
    )


def test_the_onboarding_panel_follows_the_filter(portfolio: AppTest):
    at = portfolio
    csm = _stuck_tab(at).dataframe[0].value["csm_owner"].iloc[0]
    at.multiselect(key="filter_csm").set_value([csm]).run()
    assert not at.exception
    assert set(_stuck_tab(at).dataframe[0].value["csm_owner"]) == {csm}


def test_the_onboarding_rule_comes_from_the_settings(demo_stores: Stores, monkeypatch):
    from dashboard.config import get_settings

    monkeypatch.setenv("TANDEM_VALUE_RULE", "logged")
    monkeypatch.setenv("TANDEM_ONBOARDING_DAYS", "45")
    get_settings.cache_clear()
    try:
        at = AppTest.from_file(APP, default_timeout=30).run()
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert not at.exception
    assert any(
        c.value.startswith(
            "First value: the first outcome or milestone logged after the contract start; "
            "stuck in onboarding: no first value 45 days after it."
        )
        for c in at.caption
    )


def test_the_largest_movers_panel_lists_them_with_their_sentence(
    portfolio: AppTest, demo_stores: Stores
):
    at = portfolio
    assert "Largest movers this week" in [s.value for s in at.subheader]
    table = next(d for d in at.dataframe if d.key == "portfolio_movers").value
    week = TODAY - dt.timedelta(days=7)
    direct = demo_stores.sources.query(
        "SELECT a.account_name, a.health - s.health AS change FROM account_scores a"
        " JOIN score_snapshots s USING (account_id) WHERE s.as_of = ?"
        " ORDER BY abs(a.health - s.health) DESC, a.arr DESC LIMIT 1",
        [week],
    ).row(0, named=True)
    assert table["account_name"].iloc[0] == direct["account_name"]
    assert abs(table["health_change"].iloc[0] - direct["change"]) < 1e-9
    assert table["change"].notna().all() and 0 < len(table) <= 10
    assert any(f"Health of {week} against {TODAY}" in c.value for c in at.caption)


def test_the_movers_panel_says_when_no_week_of_scores_is_kept(tmp_path, app_data_dir):
    from dashboard.ingest.demo import DemoSpec, load_demo

    stores = Stores.open(tmp_path)
    load_demo(stores.sources, DemoSpec(accounts=40, seed=3, anchor=TODAY))
    refresh(stores, TODAY, tmp_path, digests=False)  # one day of scores, none a week before
    app_data_dir(tmp_path)
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    assert not [d for d in at.dataframe if d.key == "portfolio_movers"]
    assert any("Not available: no scores were kept a week before" in c.value for c in at.caption)
