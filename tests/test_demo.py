import datetime as dt

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from dashboard.ingest.demo import DemoSpec, build_demo
from dashboard.schema import SOURCE_TABLES
from dashboard.store import Stores
from tests.conftest import TODAY

SPEC = DemoSpec(accounts=300, seed=5, anchor=dt.date(2026, 6, 30))


@pytest.fixture(scope="module")
def demo() -> dict[str, pl.DataFrame]:
    return build_demo(SPEC)


def test_same_seed_same_tables(demo):
    again = build_demo(SPEC)
    for table in demo:
        assert_frame_equal(demo[table], again[table])


def test_other_seed_other_tables(demo):
    other = build_demo(DemoSpec(accounts=300, seed=6, anchor=SPEC.anchor))
    assert not demo["accounts"].equals(other["accounts"])


def test_every_table_is_filled(demo):
    # usage_daily is the roll-up a team brings instead of (or before) raw events; the demo
    # has raw events (tests/test_usage_daily.py rolls them up)
    assert set(demo) == set(SOURCE_TABLES) - {"usage_daily"}
    assert all(frame.height > 0 for frame in demo.values())


def test_segments_and_arr_are_realistic(demo):
    by_segment = (
        demo["accounts"]
        .group_by("segment")
        .agg(
            n=pl.len(),
            median_arr=pl.col("arr").median(),
            median_seats=pl.col("licensed_seats").median(),
        )
    )
    medians = dict(zip(by_segment["segment"], by_segment["median_arr"], strict=True))
    assert set(medians) == {"Enterprise", "Mid-Market", "SMB"}
    assert medians["Enterprise"] > 3 * medians["Mid-Market"] > 3 * medians["SMB"]
    assert demo["accounts"]["region"].n_unique() >= 4
    assert demo["accounts"]["account_id"].is_unique().all()


def test_owner_models(demo):
    owners, accounts = demo["owners"], demo["accounts"]
    roles = owners["role"].value_counts()
    count = dict(zip(roles["role"], roles["count"], strict=True))
    assert count["csm"] >= 8 and count["am"] >= 4 and count["both"] >= 1
    assert accounts["csm_owner"].null_count() == 0
    combined = accounts.filter(pl.col("csm_owner") == pl.col("am_owner"))
    assert combined.height > 0
    enterprise = accounts.filter(pl.col("segment") == "Enterprise")
    assert enterprise["am_owner"].null_count() == 0  # high-value accounts are worked by a pair
    low, high = accounts["arr"].quantile(0.25), accounts["arr"].quantile(0.75)
    middle_without_am = accounts.filter(
        pl.col("arr").is_between(low, high), pl.col("am_owner").is_null()
    )
    assert middle_without_am.height > 0.2 * accounts.height * 0.5


def test_dates_span_history_and_the_year_ahead(demo):
    accounts = demo["accounts"]
    anchor = SPEC.anchor
    active = accounts.filter(pl.col("status") == "active")
    assert active["renewal_date"].min() > anchor
    assert active["renewal_date"].max() <= anchor + dt.timedelta(days=366)
    churned = accounts.filter(pl.col("status") == "churned")
    assert churned["renewal_date"].max() <= anchor
    usage = demo["usage_events"]["occurred_at"]
    assert usage.max().date() <= anchor
    assert (anchor - usage.min().date()).days >= 700
    assert set(demo["outcomes"]["event"]) == {"renewed", "churned", "expanded", "contracted"}
    assert set(demo["activities"]["kind"]) >= {"call", "meeting", "qbr", "outcome", "milestone"}
    invoices = demo["invoices"]
    overdue = invoices.filter(pl.col("paid_on").is_null(), pl.col("due_on") < anchor)
    late = invoices.filter(pl.col("paid_on") > pl.col("due_on"))
    assert overdue.height > 0 and late.height > 0


def test_no_activity_after_churn(demo):
    churned = (
        demo["accounts"].filter(pl.col("status") == "churned").select("account_id", "renewal_date")
    )
    after = (
        demo["usage_events"]
        .join(churned, on="account_id")
        .filter(pl.col("occurred_at").dt.date() > pl.col("renewal_date"))
    )
    assert after.height == 0


def test_churned_accounts_had_falling_usage_before(demo_stores: Stores):
    """The hidden health drives churn: usage fell in the 90 days before a churn, not a renewal."""
    trend = demo_stores.sources.query(
        """
        WITH renewal_events AS (
            SELECT account_id, occurred_on, event FROM outcomes
            WHERE event IN ('churned', 'renewed') AND occurred_on < ?
        ),
        usage_before AS (
            SELECT r.account_id, r.occurred_on, r.event,
                count(*) FILTER (WHERE u.occurred_at >= r.occurred_on - INTERVAL 45 DAY) AS last_45d,
                count(*) FILTER (WHERE u.occurred_at < r.occurred_on - INTERVAL 45 DAY) AS prior_45d
            FROM renewal_events r JOIN usage_events u ON u.account_id = r.account_id
                AND u.occurred_at >= r.occurred_on - INTERVAL 90 DAY
                AND u.occurred_at < r.occurred_on
            GROUP BY ALL
        )
        SELECT event, count(*) AS n, median(last_45d / prior_45d) AS median_trend
        FROM usage_before WHERE prior_45d > 0 GROUP BY event
        """,
        [TODAY],
    )
    medians = dict(zip(trend["event"], trend["median_trend"], strict=True))
    counts = dict(zip(trend["event"], trend["n"], strict=True))
    assert counts["churned"] >= 30
    assert medians["churned"] < medians["renewed"] - 0.1


def test_the_demo_goals_start_from_each_accounts_value_on_the_day_they_were_set(
    demo_stores: Stores,
):
    """The seeded success-plan goals read their start values for all the accounts at once:
    each data goal starts from its own account's value on the day it was set, as one read of
    that account alone gives it."""
    from dashboard.store.goal_log import current_goals
    from dashboard.views.success_plan import metric_values

    goals = current_goals(demo_stores.app).filter(pl.col("metric") != "manual")
    assert set(goals["metric"]) == {"seat_utilisation", "tickets_per_month"}
    assert goals["account_id"].n_unique() >= 2
    for goal in goals.iter_rows(named=True):
        alone = pl.DataFrame(
            {"account_id": [goal["account_id"]], "metric": [goal["metric"]], "feature": [None]},
            schema={"account_id": pl.String, "metric": pl.String, "feature": pl.String},
        )
        on = goal["created_at"].date()
        value = metric_values(demo_stores.sources, alone, on)["value"][0]
        assert value is not None and goal["start_value"] == pytest.approx(value)
