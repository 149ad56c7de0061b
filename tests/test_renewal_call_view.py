"""The renewal call beside the model on the Renewal calendar (issue 26, point 1): on hand-made
renewals and calls, which ones disagree (the glossary's rule and thresholds) and the forecast
by call category beside the model's."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from dashboard.views.renewals import call_disagreements, call_rollup, with_calls
from scoring.glossary import LIKELY_CHURN_FROM, LIKELY_RENEW_BELOW, NO_CALL
from tests.conftest import TODAY

K = 1_000.0


def _renewal(account_id: str, arr: float, days: int, p: float | None) -> dict:
    return {
        "account_id": account_id,
        "account_name": f"Account {account_id}",
        "arr": arr,
        "days_to_renewal": days,
        "renewal_date": TODAY + dt.timedelta(days=days),
        "churn_probability": p,
    }


RENEWALS = pl.DataFrame(
    [
        _renewal("A", 100 * K, 120, 0.35),  # likely to churn, called commit: disagree
        _renewal("B", 50 * K, 200, 0.02),  # likely to renew, called at risk: disagree
        _renewal("C", 30 * K, 150, 0.02),  # likely to renew, omitted: disagree
        _renewal("D", 40 * K, 60, 0.10),  # in between, commit: no disagreement
        _renewal("E", 70 * K, 100, None),  # no probability: unknown, not "agrees"
        _renewal("F", 10 * K, 30, 0.25),  # no call on this renewal: unknown
        _renewal("G", 5 * K, 300, 0.01),  # beyond three quarters: not in the calls
        _renewal("H", 20 * K, 90, 0.20),  # best case never disagrees
        _renewal("I", 8 * K, 80, LIKELY_CHURN_FROM),  # the threshold itself counts: disagree
        _renewal("J", 12 * K, 10, LIKELY_RENEW_BELOW),  # not below it: no disagreement
    ]
)


def _call(account_id: str, category: str, expected: float, days: int | None = None) -> dict:
    renewal = RENEWALS.filter(pl.col("account_id") == account_id)["renewal_date"][0]
    return {
        "account_id": account_id,
        "renewal_date": renewal if days is None else TODAY + dt.timedelta(days=days),
        "call_id": f"c-{account_id}",
        "category": category,
        "reason": "why",
        "expected_arr": expected,
        "frozen_change_reason": None,
        "caller": "Avery AM",
        "called_at": dt.datetime(2026, 6, 1, 9),
        "calls": 1,
        "version": f"c-{account_id}",
    }


CALLS = pl.DataFrame(
    [
        _call("A", "commit", 100 * K),
        _call("B", "at risk", 20 * K),
        _call("C", "omitted", 0.0),
        _call("D", "commit", 40 * K),
        _call("E", "commit", 60 * K),
        _call("F", "commit", 10 * K, days=-335),  # the call on F's last renewal, not this one
        _call("G", "commit", 5 * K),
        _call("H", "best case", 15 * K),
        _call("I", "commit", 8 * K),
        _call("J", "at risk", 6 * K),
    ]
)


@pytest.fixture(scope="module")
def called() -> pl.DataFrame:
    return with_calls(RENEWALS, CALLS)


def test_each_renewal_in_three_quarters_shows_its_call_beside_the_model(called):
    got = dict(zip(called["account_id"], called["call"], strict=True))
    assert "G" not in got  # 300 days away
    assert got["F"] == NO_CALL  # a call on another renewal date is not this renewal's call
    assert got["A"] == "commit" and got["H"] == "best case"
    frozen = dict(zip(called["account_id"], called["call_frozen"], strict=True))
    assert frozen["H"] and frozen["J"] and not frozen["E"]  # 90 days or fewer to go: frozen
    verdict = dict(zip(called["account_id"], called["disagrees"], strict=True))
    assert verdict == {
        "A": True,
        "B": True,
        "C": True,
        "D": False,
        "E": None,
        "F": None,
        "H": False,
        "I": True,
        "J": False,
    }


def test_the_disagreements_are_listed_the_most_arr_first(called):
    listed = call_disagreements(called)
    assert listed["account_id"].to_list() == ["A", "B", "C", "I"]


def test_the_forecast_rolls_up_by_call_beside_the_model(called):
    rolled = call_rollup(called)
    rows = {r["call"]: r for r in rolled.iter_rows(named=True)}
    assert rolled["call"].to_list() == ["commit", "best case", "at risk", "omitted", NO_CALL, "all"]
    commit = rows["commit"]  # A, D, E, I
    assert (commit["renewals"], commit["arr"], commit["call_expected_arr"]) == (4, 218 * K, 208 * K)
    # the model: Σ ARR × (1 − p) over A, D and I; E has no probability and is counted apart
    assert commit["model_expected_arr"] == pytest.approx(
        100 * K * 0.65 + 40 * K * 0.9 + 8 * K * 0.8
    )
    assert commit["without_probability"] == 1
    assert rows["best case"]["model_expected_arr"] == pytest.approx(16 * K)
    at_risk = rows["at risk"]  # B and J
    assert (at_risk["renewals"], at_risk["arr"], at_risk["call_expected_arr"]) == (
        2,
        62 * K,
        26 * K,
    )
    assert at_risk["model_expected_arr"] == pytest.approx(50 * K * 0.98 + 12 * K * 0.95)
    assert rows["omitted"]["call_expected_arr"] == 0.0  # called at nothing: a real zero
    assert rows[NO_CALL]["call_expected_arr"] is None  # nobody called: unknown, not $0
    assert rows[NO_CALL]["model_expected_arr"] == pytest.approx(7.5 * K)
    total = rows["all"]
    assert (total["renewals"], total["arr"], total["without_probability"]) == (9, 340 * K, 1)
    assert total["call_expected_arr"] is None  # F is not called yet
    assert total["model_expected_arr"] == pytest.approx(220.7 * K)


def test_a_category_nobody_called_is_zero_renewals_and_a_blind_model_is_unknown():
    only_e = with_calls(RENEWALS.filter(pl.col("account_id") == "E"), CALLS)
    rows = {r["call"]: r for r in call_rollup(only_e).iter_rows(named=True)}
    assert rows["best case"]["renewals"] == 0 and rows["best case"]["arr"] == 0.0
    assert rows["commit"]["model_expected_arr"] is None  # E has no probability
    assert rows["all"]["model_expected_arr"] is None
    assert rows["all"]["call_expected_arr"] == 60 * K  # every renewal called
