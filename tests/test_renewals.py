"""Renewal calendar, forecast, value validation, rule tasks and the .ics export."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from icalendar import Calendar

from dashboard.jobs.refresh import refresh
from dashboard.store import Stores
from dashboard.store.filters import AccountFilter
from dashboard.views.ics import renewals_ics
from dashboard.views.renewals import renewal_view
from dashboard.workflows.scorecards import default_scorecard
from dashboard.workflows.tasks import tasks
from scoring import forecast as r
from tests.conftest import TODAY


@pytest.fixture(scope="module")
def view(demo_stores: Stores):
    return renewal_view(demo_stores, AccountFilter())


def test_calendar_matches_a_direct_computation(view, demo_stores: Stores):
    direct = demo_stores.sources.query(
        "SELECT date_trunc('month', renewal_date)::DATE AS month, coalesce(band, 'no data') AS band,"
        " count(*) AS accounts, sum(arr) AS arr FROM account_scores"
        " WHERE days_to_renewal BETWEEN 0 AND 366 GROUP BY ALL"
    )
    assert direct.height > 10
    got = view.calendar.join(direct, on=["month", "band"], how="inner", suffix="_direct")
    # every month with renewals in the 12 calendar months is on the calendar, with equal numbers
    in_range = direct.filter(pl.col("month") <= view.calendar["month"].max())
    assert got.height == in_range.height
    assert (got["accounts"] == got["accounts_direct"]).all()
    assert (got["arr"] - got["arr_direct"]).abs().max() < 1e-6
    assert view.calendar["month"].n_unique() == 12


def test_windows_match_a_direct_computation(view, demo_stores: Stores):
    direct = demo_stores.sources.query(
        "SELECT renewal_window AS window, count(*) AS accounts, sum(arr) AS arr,"
        " count(*) FILTER (WHERE band = 'red') AS accounts_red"
        " FROM account_scores WHERE renewal_window IN ('0-30', '31-60', '61-90', '91-180')"
        " GROUP BY ALL"
    )
    got = view.windows.join(direct, on="window", suffix="_direct")
    assert got.height == 4
    assert (got["accounts"] == got["accounts_direct"]).all()
    assert (got["accounts_red"] == got["accounts_red_direct"]).all()
    assert (got["arr"] - got["arr_direct"]).abs().max() < 1e-6


def test_risks_are_red_or_falling_inside_90_days_most_arr_first(view):
    risks = view.risks
    assert risks.height > 0
    assert risks["days_to_renewal"].max() <= 90
    assert ((risks["band"] == "red") | risks["health_falling"]).all()
    assert risks["arr"].is_sorted(descending=True)


def test_forecast_probabilities_come_from_history_when_there_is_enough():
    history = pl.DataFrame(
        {
            "band": ["green"] * 40 + ["yellow"] * 30 + ["red"] * 10,
            "renewed": [True] * 36
            + [False] * 4
            + [True] * 24
            + [False] * 6
            + [True] * 5
            + [False] * 5,
        }
    )
    probs = r.renewal_probabilities(history, minimum=30)
    by_band = {row["band"]: row for row in probs.iter_rows(named=True)}
    assert by_band["green"]["probability"] == pytest.approx(0.9)
    assert by_band["green"]["source"] == "history" and by_band["green"]["renewals"] == 40
    assert by_band["yellow"]["probability"] == pytest.approx(0.8)
    # 10 red renewals are too few: the stated default, and what it rests on is said
    assert by_band["red"]["source"] == "default"
    assert by_band["red"]["probability"] == r.DEFAULT_RENEWAL_PROBABILITY["red"]
    assert by_band["red"]["renewals"] == 10
    calendar = pl.DataFrame(
        {
            "month": [dt.date(2027, 1, 1)] * 3,
            "band": ["green", "yellow", "red"],
            "accounts": [2, 1, 1],
            "arr": [1000.0, 500.0, 200.0],
        }
    )
    forecast = r.renewal_forecast(calendar, probs)
    assert forecast["arr_up"][0] == 1700.0
    assert forecast["expected_arr"][0] == pytest.approx(1000 * 0.9 + 500 * 0.8 + 200 * 0.6)


def test_demo_forecast_rests_on_real_renewal_history(view):
    probs = view.probabilities
    assert probs["renewals"].sum() > 100
    green = probs.filter(pl.col("band") == "green").row(0, named=True)
    red = probs.filter(pl.col("band") == "red").row(0, named=True)
    assert green["probability"] > red["probability"]
    assert view.forecast["expected_arr"].sum() < view.forecast["arr_up"].sum()


def test_value_validation_checklist():
    frame = pl.DataFrame(
        {
            "account_id": ["a", "b", "c"],
            "days_to_renewal": [10, 80, 120],
            "health_change_30d": [2.0, -5.0, 0.0],
            "seat_utilisation": [0.7, None, 0.9],
            "milestones_reached": [1, 0, 3],
            "outcomes_last_90d": [0, 2, 1],
        }
    )
    checked = r.value_validation(frame)
    assert checked["account_id"].to_list() == ["a", "b"]  # c renews after 90 days
    a, b = checked.iter_rows(named=True)
    assert a["checks_passed"] == 3 and a["checks_missing"] == r.VALIDATION_CHECKS["check_outcomes"]
    assert b["checks_passed"] == 1 and not b["check_adoption"]  # no usage data: not done


def test_ics_parses_with_one_event_per_renewal_and_a_90_day_reminder(view):
    renewals = view.renewals.head(25)
    body = renewals_ics(renewals, dt.datetime(2026, 11, 22, 9))
    parsed = Calendar.from_ical(body)
    events = list(parsed.walk("VEVENT"))
    assert len(events) == renewals.height
    first = renewals.row(0, named=True)
    event = events[0]
    assert event.decoded("dtstart") == first["renewal_date"]
    assert first["account_name"] in str(event["summary"])
    assert str(event["uid"]) == f"renewal-{first['account_id']}-{first['renewal_date']}@tandem"
    alarms = list(event.walk("VALARM"))
    assert len(alarms) == 1 and alarms[0].decoded("trigger") == dt.timedelta(days=-90)
    assert len({str(e["uid"]) for e in events}) == len(events)


def test_rule_tasks_are_created_once(tmp_path):
    from dashboard.ingest.demo import DemoSpec, load_demo

    stores = Stores.open(tmp_path)
    load_demo(stores.sources, DemoSpec(accounts=120, seed=5, anchor=TODAY))
    first = refresh(stores, TODAY, tmp_path, digests=False)
    scores = stores.sources.query("SELECT * FROM account_scores")
    made = tasks(stores.app)
    renewing = scores.filter(pl.col("days_to_renewal").is_between(0, 90))
    assert made.filter(pl.col("kind") == "value_review").height == renewing.height
    plans = made.filter(pl.col("kind") == "commercial_plan")
    assert plans.height == renewing.height and set(plans["role"]) == {"am"}
    crossing = scores.filter(pl.col("seat_utilisation") >= 0.8)
    opportunities = made.filter(pl.col("kind") == "expansion_opportunity")
    assert opportunities.height == crossing.height > 0
    assert first.tasks_created == made.height
    again = refresh(stores, TODAY, tmp_path, digests=False)
    assert again.tasks_created == 0
    assert tasks(stores.app).height == made.height


def test_the_nightly_renewal_rates_are_the_history_estimate(view, demo_stores: Stores):
    from dashboard.store.snapshots import band_renewal_snapshots
    from scoring.pipeline import health_at

    history = band_renewal_snapshots(demo_stores.sources, view.as_of)
    direct = r.renewal_probabilities(
        health_at(history.events, history.features, default_scorecard())
    )
    assert view.probabilities.sort("band").equals(direct.sort("band"))
