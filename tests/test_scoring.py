import datetime as dt

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from dashboard.workflows.scorecards import default_scorecard
from scoring.components import components
from scoring.health import apply_scorecard
from scoring.kpis import retention
from scoring.metrics import roc_auc
from scoring.pipeline import score_portfolio
from scoring.scorecard import COMPONENTS, ComponentParams, Scorecard
from tests.scoring_frames import features

P = ComponentParams()
CARD = default_scorecard()


def comp(**row) -> dict:
    return components(features(row).lazy(), P).collect().row(0, named=True)


# -- each formula pinned on a hand-made row ----------------------------------------------------
def test_adoption_is_utilisation_over_target():
    assert comp(active_users_last_30d=4, licensed_seats=10)["adoption"] == pytest.approx(50.0)
    assert comp(active_users_last_30d=12, licensed_seats=10)["adoption"] == 100.0
    assert comp(has_usage=False)["adoption"] is None


def test_usage_trend_ramp():
    assert comp(active_users_last_30d=5, active_users_prior_30d=10)["usage_trend"] == 0.0
    assert comp(active_users_last_30d=12, active_users_prior_30d=10)["usage_trend"] == 100.0
    flat = comp(active_users_last_30d=10, active_users_prior_30d=10)["usage_trend"]
    assert flat == pytest.approx((1.0 - 0.5) / (1.2 - 0.5) * 100)
    silent = comp(
        active_users_last_30d=0, active_users_prior_30d=0, events_last_30d=0, events_prior_30d=0
    )
    assert silent["usage_trend"] is None


def test_breadth_share_of_catalog():
    assert comp(features_last_30d=3, features_in_catalog=10)["breadth"] == pytest.approx(50.0)


def test_support_penalties_and_csat_blend():
    assert comp(tickets_open_high=2)["support"] == pytest.approx(50.0)
    # 3 tickets per 10 seats = 2 over the allowance -> 100 - 30
    assert comp(tickets_last_90d=3)["support"] == pytest.approx(70.0)
    assert comp(csat_last_90d=3.0)["support"] == pytest.approx(0.6 * 100 + 0.4 * 50)
    assert comp(has_tickets=False)["support"] is None


def test_sentiment_mean_of_nps_and_csat():
    assert comp(nps_latest=6.0)["sentiment"] == pytest.approx(60.0)
    assert comp(nps_latest=6.0, survey_csat_180d=5.0)["sentiment"] == pytest.approx(80.0)
    assert comp(nps_latest=None)["sentiment"] is None


def test_engagement_decays_with_days_since_touch():
    assert comp(days_since_last_touch=10)["engagement"] == 100.0
    assert comp(days_since_last_touch=52)["engagement"] == pytest.approx(50.0)
    assert comp(days_since_last_touch=None)["engagement"] == 0.0


def test_billing_penalties():
    assert comp(invoices_overdue=1, max_days_past_due=25)["billing"] == pytest.approx(100 - 25 - 20)
    assert comp(has_invoices=False)["billing"] is None


def test_health_coverage_and_band():
    card = CARD.model_copy(
        update={"weights": {c: (1.0 if c in ("adoption", "billing") else 0.0) for c in COMPONENTS}}
    )
    frame = features({"active_users_last_30d": 2, "licensed_seats": 10}, {"has_invoices": False})
    out = apply_scorecard(components(frame.lazy(), P), card).collect()
    # a0: adoption 25, billing 100 -> 62.5, yellow ; a1: adoption 100, billing missing
    assert out["health"].to_list() == [pytest.approx(62.5), pytest.approx(100.0)]
    assert out["coverage"].to_list() == [1.0, 0.5]
    assert out["band"].to_list() == ["yellow", "green"]


def test_drivers_name_cause_and_action_for_both_lenses():
    scored = score_portfolio(
        features(
            {
                "active_users_last_30d": 3,
                "active_users_prior_30d": 3,
                "licensed_seats": 40,
                "invoices_overdue": 2,
                "max_days_past_due": 45,
            }
        ),
        CARD,
    )
    drivers = scored.drivers
    assert drivers["component"].to_list()[:2] == ["adoption", "billing"]
    adoption = drivers.row(0, named=True)
    assert adoption["cause"] == "seat utilisation 8% (3 of 40 seats active in 30 days)"
    assert adoption["next_action"].endswith("— CSM")
    billing = drivers.row(1, named=True)
    assert billing["cause"].startswith("2 invoices overdue, oldest 45 days past due")
    assert billing["am_action"] == "Chase the overdue invoices with finance"
    assert scored.accounts["top_driver"][0] == "adoption"


def test_renewal_risk_and_expansion():
    rows = features(
        {
            "days_to_renewal": 45,
            "active_users_last_30d": 1,
            "nps_latest": 2.0,
            "days_since_last_touch": 120,
            "tickets_open_high": 2,
        },  # red inside 90 days  # fmt: skip
        {
            "days_to_renewal": 300,
            "active_users_last_30d": 10,
            "active_users_prior_30d": 8,
            "features_last_30d": 8,
            "outcomes_last_90d": 1,
        },  # fmt: skip
    )
    out = score_portfolio(rows, CARD).accounts
    assert out["renewal_window"].to_list() == ["31-60", "> 180"]
    assert out["risk_before_deadline"].to_list() == [True, False]
    assert out["expansion_ready"].to_list() == [False, True]
    assert out["expansion_window"][1] == "now"
    assert "seat utilisation ≥ 80%" in out["triggers_fired"][1]
    assert out["coverage_class"].to_list() == ["pair", "pair"]


def test_falling_health_flags_risk_before_deadline():
    now = features({"days_to_renewal": 60, "active_users_last_30d": 5})
    before = features({"days_to_renewal": 90, "active_users_last_30d": 10})
    out = score_portfolio(now, CARD, before).accounts.row(0, named=True)
    assert out["health_change_30d"] < -10 and out["band"] != "red"
    assert out["health_falling"] and out["risk_before_deadline"]


# -- scorecards refuse what makes no sense ----------------------------------------------------
@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"weights": {"adoption": -1}}, "must not be negative: adoption=-1"),
        ({"weights": {"adoption": 0, "billing": 0}}, "all weights are zero"),
        ({"weights": {"happiness": 1}}, "unknown component happiness"),
        ({"thresholds": {"red": 80, "green": 60}}, "red (80.0) must be below green (60.0)"),
    ],
)
def test_invalid_scorecards_are_refused_naming_the_field(change, message):
    body = {"name": "x", "weights": {"adoption": 1}} | change
    with pytest.raises(ValidationError) as err:
        Scorecard.model_validate(body)
    assert message in str(err.value)
    field = next(iter(change))
    assert field in str(err.value)


def test_default_scorecard_loads():
    assert CARD.name == "default"
    assert CARD.weights["adoption"] == 25 and CARD.thresholds.red == 40


# -- properties ---------------------------------------------------------------------------------
score = st.one_of(st.none(), st.floats(0, 100))
weights = st.fixed_dictionaries({c: st.floats(0, 10) for c in COMPONENTS}).filter(
    lambda w: sum(w.values()) > 0.01
)


def _health(row: dict, w: dict) -> float | None:
    card = CARD.model_copy(update={"weights": w})
    frame = pl.DataFrame([row], schema={c: pl.Float64 for c in COMPONENTS})
    return apply_scorecard(frame.lazy(), card).collect()["health"][0]


@settings(max_examples=150, deadline=None)
@given(st.fixed_dictionaries({c: score for c in COMPONENTS}), weights)
def test_health_stays_within_0_100(row, w):
    h = _health(row, w)
    assert h is None or -1e-9 <= h <= 100 + 1e-9


@settings(max_examples=150, deadline=None)
@given(
    st.fixed_dictionaries({c: score for c in COMPONENTS}),
    weights,
    st.sampled_from(COMPONENTS),
    st.floats(0, 100),
)
def test_raising_a_component_never_lowers_health(row, w, name, bump):
    if row[name] is None:
        return
    before = _health(row, w)
    after = _health({**row, name: min(100.0, row[name] + bump)}, w)
    if before is not None:
        assert after >= before - 1e-9


@settings(max_examples=100, deadline=None)
@given(st.fixed_dictionaries({c: score for c in COMPONENTS}), weights, st.floats(0.01, 1000))
def test_scaling_all_weights_changes_nothing(row, w, factor):
    a, b = _health(row, w), _health(row, {k: v * factor for k, v in w.items()})
    assert (a is None and b is None) or a == pytest.approx(b)


@settings(max_examples=100, deadline=None)
@given(
    st.fixed_dictionaries({c: st.floats(0, 100) for c in COMPONENTS}),
    weights,
    st.sampled_from(COMPONENTS),
)
def test_missing_component_renormalises(row, w, name):
    without = {**row, name: None}
    rest = {k: v for k, v in w.items() if k != name}
    if sum(rest.values()) <= 0:
        return
    expected = sum(without[k] * rest[k] for k in rest) / sum(rest.values())
    assert _health(without, w) == pytest.approx(expected)


# -- KPIs and metrics -------------------------------------------------------------------------
def test_retention_on_a_hand_made_history():
    d = dt.date
    accounts = pl.DataFrame(
        {
            "account_id": ["a", "b", "c", "d"],
            "arr": [120.0, 100.0, 50.0, 70.0],
            "status": ["active", "churned", "active", "active"],
            "contract_start": [d(2020, 1, 1), d(2020, 1, 1), d(2020, 1, 1), d(2025, 6, 1)],
        }
    )
    outcomes = pl.DataFrame(
        {
            "account_id": ["a", "b", "c"],
            "occurred_on": [d(2025, 3, 1), d(2025, 4, 1), d(2025, 5, 1)],
            "event": ["expanded", "churned", "contracted"],
            "arr_change": [20.0, -100.0, -10.0],
        }
    )
    r = retention(accounts, outcomes, d(2025, 1, 1), d(2025, 12, 31))
    # start ARR: a 100 + b 100 + c 60 = 260 (d started later)
    assert r["starting_arr"] == 260.0 and r["accounts_at_start"] == 3
    assert r["grr"] == pytest.approx((260 - 100 - 10) / 260)
    assert r["nrr"] == pytest.approx((260 - 100 - 10 + 20) / 260)
    assert r["logo_churn"] == pytest.approx(1 / 3)
    assert r["renewal_rate"] == pytest.approx((100 + 60) / 260)


def test_roc_auc_by_hand():
    frame = pl.DataFrame({"s": [0.1, 0.4, 0.35, 0.8], "y": [False, False, True, True]})
    assert roc_auc(frame, "s", "y") == pytest.approx(0.75)
    ties = pl.DataFrame({"s": [1.0, 1.0], "y": [True, False]})
    assert roc_auc(ties, "s", "y") == pytest.approx(0.5)
    assert roc_auc(frame.filter(pl.col("y")), "s", "y") is None
