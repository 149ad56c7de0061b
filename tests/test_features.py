import datetime as dt

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from dashboard.ingest.demo import DemoSpec, build_demo
from dashboard.store import Stores
from dashboard.store.features import account_features, default_as_of, features_at, scoring_date
from dashboard.workflows.scorecards import default_scorecard
from scoring.pipeline import score_portfolio
from scoring.scorecard import COMPONENTS

AS_OF = dt.date(2026, 3, 1)
T = dt.datetime


def _load(stores: Stores, tables: dict[str, pl.DataFrame]) -> None:
    with stores.sources.writer() as w:
        for name, frame in tables.items():
            w.replace_table(name, frame)


@pytest.fixture
def small(empty_stores: Stores) -> Stores:
    _load(
        empty_stores,
        {
            "accounts": pl.DataFrame(
                {
                    "account_id": ["a", "b"],
                    "account_name": ["Alpha", "Beta"],
                    "licensed_seats": [10, 5],
                    "arr": [1000.0, 500.0],
                    "contract_start": [dt.date(2025, 1, 1)] * 2,
                    "renewal_date": [dt.date(2026, 4, 15), dt.date(2026, 12, 1)],
                    "status": ["active", "active"],
                }
            ),
            "usage_events": pl.DataFrame(
                {
                    "account_id": ["a", "a", "a", "a", "b"],
                    "occurred_at": [
                        T(2026, 2, 20),
                        T(2026, 2, 21),
                        T(2026, 2, 25),
                        T(2026, 1, 15),
                        T(2026, 1, 10),
                    ],
                    "user_id": ["u1", "u2", "u1", "u1", "x"],
                    "feature": ["f1", "f2", "f1", "f1", "f3"],
                    "quantity": [2, 3, 1, 4, 1],
                }
            ),
            "tickets": pl.DataFrame(
                {
                    "ticket_id": ["t1", "t2", "t3"],
                    "account_id": ["a", "a", "a"],
                    "created_at": [T(2026, 2, 1), T(2026, 2, 10), T(2025, 6, 1)],
                    "resolved_at": [None, T(2026, 3, 5), T(2025, 6, 2)],
                    "priority": ["urgent", "high", "high"],
                    "csat": [None, 4, 5],
                }
            ),
            "invoices": pl.DataFrame(
                {
                    "invoice_id": ["i1", "i2", "i3"],
                    "account_id": ["a", "a", "b"],
                    "issued_on": [dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 1, 1)],
                    "due_on": [dt.date(2026, 1, 31), dt.date(2026, 3, 3), dt.date(2026, 1, 31)],
                    "paid_on": [dt.date(2026, 3, 10), None, dt.date(2026, 1, 20)],
                    "amount": [100.0, 100.0, 50.0],
                }
            ),
            "activities": pl.DataFrame(
                {
                    "account_id": ["a", "a", "b"],
                    "occurred_at": [T(2026, 2, 19, 9), T(2026, 2, 27), T(2025, 12, 1)],
                    "kind": ["meeting", "email", "qbr"],
                    "role": ["am", "csm", "csm"],
                }
            ),
            "surveys": pl.DataFrame(
                {
                    "account_id": ["a", "a"],
                    "responded_at": [T(2026, 1, 5), T(2026, 2, 5)],
                    "score": [9.0, 4.0],
                    "kind": ["nps", "nps"],
                }
            ),
        },
    )
    return empty_stores


def test_features_pinned(small: Stores):
    f = account_features(small.sources, AS_OF)
    a = f.filter(pl.col("account_id") == "a").row(0, named=True)
    assert a["active_users_last_30d"] == 2 and a["active_users_prior_30d"] == 1
    assert a["events_last_30d"] == 6 and a["events_prior_30d"] == 4
    assert a["features_last_30d"] == 2 and a["features_in_catalog"] == 3
    assert a["tickets_last_90d"] == 2
    assert a["tickets_open_high"] == 2  # t2 is resolved only after as_of
    assert a["csat_last_90d"] is None  # t2's CSAT was given after as_of
    assert a["invoices_overdue"] == 1 and a["max_days_past_due"] == 29  # i1 paid after as_of
    assert a["days_since_last_touch"] == 10 and a["last_touch_role"] == "am"
    assert a["days_since_csm_touch"] == 2
    assert a["nps_latest"] == 4.0
    assert a["days_to_renewal"] == 45
    b = f.filter(pl.col("account_id") == "b").row(0, named=True)
    assert b["active_users_last_30d"] == 0 and b["invoices_overdue"] == 0
    assert b["days_since_last_touch"] == 90 and b["nps_latest"] is None


def test_data_after_as_of_never_changes_features(empty_stores: Stores):
    tables = build_demo(DemoSpec(accounts=120, seed=3, anchor=dt.date(2026, 6, 1)))
    cut = dt.date(2026, 2, 1)
    date_cols = {
        "usage_events": "occurred_at",
        "tickets": "created_at",
        "surveys": "responded_at",
        "activities": "occurred_at",
        "invoices": "issued_on",
        "outcomes": "occurred_on",
    }
    _load(empty_stores, tables)
    full = account_features(empty_stores.sources, cut)
    truncated = {
        name: frame.filter(pl.col(date_cols[name]).cast(pl.Date) < cut)
        if name in date_cols
        else frame
        for name, frame in tables.items()
    }
    # what was known then: tickets not yet resolved, invoices not yet paid
    truncated["tickets"] = truncated["tickets"].with_columns(
        resolved_at=pl.when(pl.col("resolved_at") < dt.datetime(2026, 2, 1)).then("resolved_at"),
        csat=pl.when(pl.col("resolved_at") < dt.datetime(2026, 2, 1)).then("csat"),
    )
    truncated["invoices"] = truncated["invoices"].with_columns(
        paid_on=pl.when(pl.col("paid_on") < cut).then("paid_on")
    )
    # outcomes after the cut carry ARR changes and churns the score must not see; the
    # features rebuild ARR and the live set as of the cut, so both stores must agree
    _load(empty_stores, truncated)
    again = account_features(empty_stores.sources, cut)
    ignore = ["arr", "renewal_date", "days_to_renewal"]  # contract facts, known in advance
    assert_frame_equal(full.drop(ignore), again.drop(ignore))
    card = default_scorecard()
    scores = [
        score_portfolio(f, card).accounts.select("account_id", *COMPONENTS, "health")
        for f in (full, again)
    ]
    assert_frame_equal(*scores)


def test_the_scoring_date_is_the_last_activity_never_an_administrative_or_future_date(
    empty_stores: Stores,
):
    """Given an export whose activity ends on 2025-06-30 but which carries a scheduled invoice
    issued in 2027, due dates, renewals and contract ends years ahead, expect it scored as of
    2025-07-01 (the day after its last usage event), the table named, the future row counted
    out; and never after the run's date."""
    today = dt.date(2026, 12, 7)
    _load(
        empty_stores,
        {
            "accounts": pl.DataFrame(
                {
                    "account_id": ["a"],
                    "account_name": ["Alpha"],
                    "status": ["active"],
                    "contract_start": [dt.date(2024, 1, 1)],
                    "renewal_date": [dt.date(2028, 1, 1)],
                }
            ),
            "usage_events": pl.DataFrame(
                {"account_id": ["a", "a"], "occurred_at": [T(2025, 6, 1), T(2025, 6, 30, 15)]}
            ),
            "tickets": pl.DataFrame(
                {"ticket_id": ["t1"], "account_id": ["a"], "created_at": [T(2025, 6, 20)]}
            ),
            "invoices": pl.DataFrame(
                {
                    "invoice_id": ["i1", "i2"],
                    "account_id": ["a", "a"],
                    "issued_on": [dt.date(2025, 5, 1), dt.date(2027, 1, 1)],
                    "due_on": [dt.date(2025, 5, 31), dt.date(2027, 1, 31)],
                }
            ),
        },
    )
    found = scoring_date(empty_stores.sources, today)
    assert found.as_of == dt.date(2025, 7, 1) == default_as_of(empty_stores.sources, today)
    assert (found.table, found.column, found.last_date) == (
        "usage_events",
        "occurred_at",
        dt.date(2025, 6, 30),
    )
    assert found.future_rows == 1
    assert "usage_events.occurred_at on 2025-06-30" in found.sentence()
    assert "1 activity row dated after the run's date is not counted" in found.sentence()
    # a run dated inside the data is scored as of its own date, never after it
    same_day = scoring_date(empty_stores.sources, dt.date(2025, 6, 30))
    assert same_day.as_of == dt.date(2025, 6, 30) and same_day.table == "usage_events"
    # no dated activity at all: the run's date, said so
    with empty_stores.sources.writer() as w:
        for table in ("usage_events", "tickets", "invoices"):
            w.replace_table(table, empty_stores.sources.query(f"SELECT * FROM {table} LIMIT 0"))
    assert scoring_date(empty_stores.sources, today).as_of == today


def test_arr_on_a_past_date_is_what_the_history_says_and_what_the_kpis_start_from(
    empty_stores: Stores,
):
    """Given a churned account whose CRM ARR (100) is not what its churn lost (the churn
    carries its own amount, -80) and an expansion before it, the features' ARR on each past
    date is the glossary's ``arr_on`` (the history's: 60, then 80, then lost), not the CRM's
    ARR less the other changes (80, 100; the SQL's before); and the KPIs' starting ARR on a
    date is the sum of the features' ARR that day: one definition."""
    from scoring.kpis import retention

    d = dt.date
    accounts = pl.DataFrame(
        {
            "account_id": ["x", "y"],
            "account_name": ["Churned with its own amount", "Expanding"],
            "arr": [100.0, 50.0],
            "licensed_seats": [10, 10],
            "contract_start": [d(2025, 1, 1)] * 2,
            "renewal_date": [d(2026, 4, 1), d(2026, 12, 1)],
            "status": ["churned", "active"],
        }
    )
    outcomes = pl.DataFrame(
        {
            "account_id": ["x", "x", "y"],
            "occurred_on": [d(2026, 2, 15), d(2026, 4, 1), d(2026, 3, 10)],
            "event": ["expanded", "churned", "expanded"],
            "arr_change": [20.0, -80.0, 10.0],
        }
    )
    _load(empty_stores, {"accounts": accounts, "outcomes": outcomes})
    got = features_at(empty_stores.sources, [d(2026, 2, 1), d(2026, 3, 1)])
    expect = {
        ("x", d(2026, 2, 1)): 60.0,
        ("x", d(2026, 3, 1)): 80.0,
        ("y", d(2026, 2, 1)): 40.0,
        ("y", d(2026, 3, 1)): 40.0,
    }
    assert {(r["account_id"], r["as_of"]): r["arr"] for r in got.iter_rows(named=True)} == expect
    kpis = retention(accounts, outcomes, d(2026, 3, 1), d(2026, 12, 31))
    assert (
        kpis["starting_arr"] == 120.0 == got.filter(pl.col("as_of") == d(2026, 3, 1))["arr"].sum()
    )
    assert kpis["grr"] == pytest.approx((120 - 80) / 120)


def test_churned_is_read_from_one_place(empty_stores: Stores):
    """Given the two sources of "churned" disagreeing (a churn outcome on an account the CRM
    still calls active; a CRM churn with no outcome to date it), every store reading agrees
    with the glossary's ``churn_dates``: the live accounts of the features, the undated count
    (and the Account page's profile, which read the CRM's status alone before)."""
    from dashboard.store.features import account_churns
    from dashboard.store.snapshots import undated_churn_count

    d = dt.date
    _load(
        empty_stores,
        {
            "accounts": pl.DataFrame(
                {
                    "account_id": ["a", "b", "c", "d"],
                    "account_name": ["Outcome only", "Status only", "Both", "Active"],
                    "arr": [10.0, 20.0, 30.0, 40.0],
                    "contract_start": [d(2025, 1, 1)] * 4,
                    "renewal_date": [d(2026, 9, 1), d(2026, 1, 1), d(2026, 4, 1), d(2026, 9, 1)],
                    "status": ["active", "churned", "churned", "active"],
                }
            ),
            "outcomes": pl.DataFrame(
                {
                    "account_id": ["a", "c"],
                    "occurred_on": [d(2026, 2, 10), d(2026, 4, 1)],
                    "event": ["churned", "churned"],
                    "arr_change": [-10.0, -30.0],
                }
            ),
        },
    )
    churns = account_churns(empty_stores.sources).sort("account_id")
    assert churns.rows() == [
        ("a", True, d(2026, 2, 10)),
        ("b", True, None),
        ("c", True, d(2026, 4, 1)),
        ("d", False, None),
    ]
    live = features_at(empty_stores.sources, [d(2026, 3, 1)])["account_id"].sort().to_list()
    assert live == ["c", "d"]  # a churned on 10 Feb; b churned, undated, its renewal passed
    assert undated_churn_count(empty_stores.sources) == 1


def test_features_of_many_dates_in_one_query_are_each_dates_own(demo_stores: Stores):
    """The nightly job reads every date it scores (today, a month ago, the kept and the
    backfilled snapshots) in one feature query: each date's rows are the rows of that date's
    own query, in the same order (the touches carried from one date to the next change
    nothing)."""
    today = dt.date(2026, 6, 15)
    dates = [today - dt.timedelta(days=d) for d in (400, 95, 30, 7, 0)]
    together = features_at(demo_stores.sources, dates)
    assert together["as_of"].unique().sort().to_list() == dates
    for day in dates:
        alone = features_at(demo_stores.sources, [day])
        assert alone.height > 0
        assert_frame_equal(together.filter(pl.col("as_of") == day), alone, check_exact=False)
