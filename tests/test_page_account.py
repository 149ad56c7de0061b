import polars as pl
from streamlit.proto.Metric_pb2 import Metric
from streamlit.testing.v1 import AppTest

from dashboard.store import Stores
from tests.conftest import type_into

APP = "../dashboard/app.py"
ACCOUNT = "../pages/account.py"


def open_account(account_id: str | None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    if account_id:
        at.query_params["account"] = account_id
    return at.switch_page(ACCOUNT).run()


def test_account_page_through_both_lenses(demo_stores: Stores):
    worst = demo_stores.sources.query("SELECT * FROM account_scores ORDER BY health LIMIT 1").row(
        0, named=True
    )
    at = open_account(worst["account_id"])
    assert not at.exception
    assert at.title[0].value == worst["account_name"]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Health"] == f"{worst['health']:.0f}"
    assert f"CSM **{worst['csm_owner']}**" in at.caption[0].value
    markdown = " ".join(m.value for m in at.markdown)
    assert "CSM — value lens" in markdown and "AM — revenue lens" in markdown
    assert worst["top_cause"] in markdown
    assert len(at.get("plotly_chart")) == 3
    assert [t.label for t in at.tabs] == [
        "Activity",
        "Tickets",
        "Invoices",
        "Surveys",
        "Outcomes",
        "CRM vs billing",
    ]


def test_crm_billing_mismatch_is_shown(demo_stores: Stores):
    mismatched = demo_stores.sources.query(
        """SELECT a.account_id FROM accounts a JOIN subscriptions s USING (account_id)
           WHERE s.status = 'active' GROUP BY a.account_id, a.licensed_seats
           HAVING max(s.seats) <> a.licensed_seats LIMIT 1"""
    )["account_id"][0]
    at = open_account(mismatched)
    assert not at.exception
    assert any("differ between the CRM and billing" in w.value for w in at.warning)


def test_churned_account_and_unknown_id(demo_stores: Stores):
    churned = demo_stores.sources.query(
        "SELECT account_id FROM accounts WHERE status = 'churned' LIMIT 1"
    )["account_id"][0]
    at = open_account(churned)
    assert not at.exception
    assert any("churned" in w.value for w in at.warning)
    at = open_account("ACC-DOES-NOT-EXIST")
    assert not at.exception
    assert "no account with id" in at.error[0].value


def test_without_id_opens_the_weakest_account(demo_stores: Stores):
    at = open_account(None)
    assert not at.exception
    weakest = demo_stores.sources.query(
        "SELECT a.account_name FROM accounts a JOIN account_scores s USING (account_id)"
        " ORDER BY s.health LIMIT 1"
    )["account_name"][0]
    assert at.title[0].value == weakest
    assert pl.Series([at.query_params["account"]]).len() == 1


def _titles(at: AppTest) -> list[str]:
    return [t.value for t in at.title]


def test_the_sidebar_search_opens_an_account_from_any_page(demo_stores: Stores):
    target = demo_stores.sources.query(
        "SELECT account_id, account_name FROM accounts ORDER BY account_id DESC LIMIT 1"
    ).row(0, named=True)
    for page in ("../pages/renewals.py", "../pages/sync.py", ACCOUNT):
        at = AppTest.from_file(APP, default_timeout=30).run()
        at.switch_page(page).run()
        box = at.selectbox(key="search_account")
        assert box.label == "Find an account"
        assert f"{target['account_name']} · {target['account_id']}" in box.options
        box.set_value(target["account_id"]).run()  # picked from the list as typed
        assert not at.exception
        assert _titles(at)[0] == target["account_name"], page
        assert at.query_params["account"] in (target["account_id"], [target["account_id"]])
        assert at.selectbox(key="search_account").value is None  # empty again


def test_typed_text_searches_the_whole_book(demo_stores: Stores):
    name = demo_stores.sources.query(
        "SELECT account_name FROM accounts ORDER BY account_id LIMIT 1"
    )["account_name"][0]
    at = AppTest.from_file(APP, default_timeout=30).run()
    type_into(at, "search_account", name.upper()).run()  # typed, then Enter
    assert not at.exception and _titles(at)[0] == name  # the exact name, in any case
    # a text that several accounts contain offers them as links, and nothing opens
    at = AppTest.from_file(APP, default_timeout=30).run()
    type_into(at, "search_account", "a").run()
    assert _titles(at)[0] == "Portfolio health"
    assert any("Accounts matching “a”" in c.value for c in at.sidebar.caption)
    at = AppTest.from_file(APP, default_timeout=30).run()
    type_into(at, "search_account", "zzz-no-such").run()
    assert any("No account in your book matches" in c.value for c in at.sidebar.caption)


def test_no_am_means_no_am_actions_and_no_arrow_on_dates(demo_stores: Stores):
    no_am = demo_stores.sources.query(
        "SELECT account_id FROM account_scores WHERE am_owner IS NULL AND top_cause IS NOT NULL"
        " LIMIT 1"
    )["account_id"][0]
    at = open_account(no_am)
    assert not at.exception
    assert any("No AM on this account: nobody owns the revenue actions" in i.value for i in at.info)
    renewal = next(m for m in at.metric if m.label == "Renewal")
    assert renewal.delta.startswith("in ") and renewal.proto.direction == Metric.NONE  # no arrow


def test_deltas_say_no_change_and_nothing_without_history():
    from dashboard.ui.cards import change_in_days, format_delta
    from dashboard.views.common import Card

    assert format_delta(Card("ARR red", 100.0, "money", previous=100.2)) == "no change w/w"
    assert format_delta(Card("Accounts", 5, "count", previous=4)) == "+1 w/w"
    assert format_delta(Card("NRR", 0.9, "ratio", previous=0.90001)) == "no change w/w"
    assert format_delta(Card("NRR", 0.9, "ratio", previous=0.906)) == "-0.6 pts w/w"
    assert format_delta(Card("New", 5, "count", note="new")) == "new"
    assert change_in_days(None) == (None, "off")
    assert change_in_days(0.4) == ("no change in 30 days", "off")
    assert change_in_days(-4.2) == ("-4 in 30 days", "auto")


def test_account_page_says_what_changed_and_why(demo_stores: Stores):
    import datetime as dt

    from dashboard.text import md
    from dashboard.views.what_changed import story_rows
    from tests.conftest import TODAY

    week = TODAY - dt.timedelta(days=7)
    ids = demo_stores.sources.query("SELECT account_id FROM account_scores")["account_id"]
    _, frame = story_rows(demo_stores, ids.to_list(), week, TODAY)
    banded = frame.filter(pl.col("kind") == "band").sort("account_id").row(0, named=True)
    at = open_account(banded["account_id"])
    assert not at.exception
    assert "What changed and why" in [s.value for s in at.subheader]
    since = at.segmented_control(key="account_changes_since")
    assert since.value == "since last week"
    markdown = " ".join(m.value for m in at.markdown)
    said = frame.filter(pl.col("account_id") == banded["account_id"]).sort("rank")
    assert f"- {md(said['text'][0])}" in markdown
    assert len(said) <= 5
    captions = " ".join(c.value for c in at.caption)
    assert md(f"since last week: the scores of {week} against {TODAY}") in captions
    if "since the last QBR" in since.options:  # another date: the panel reads from it
        since.set_value("since the last QBR").run()
        assert not at.exception
        assert "since the last QBR" in " ".join(c.value for c in at.caption)
