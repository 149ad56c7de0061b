import datetime as dt

import numpy as np
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

P = ComponentParams(scale="fixed")  # the fixed targets: formulas pinned on one row
CARD = default_scorecard().model_copy(update={"params": P})


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
    assert comp(tickets_last_90d=3, tickets_prior_90d=3)["support"] == pytest.approx(70.0)
    assert comp(csat_last_90d=3.0)["support"] == pytest.approx(0.6 * 100 + 0.4 * 50)
    assert comp(has_tickets=False)["support"] is None


def test_sentiment_mean_of_recent_nps_and_csat():
    assert comp(nps_recent=6.0)["sentiment"] == pytest.approx(60.0)
    assert comp(nps_recent=6.0, survey_csat_180d=5.0)["sentiment"] == pytest.approx(80.0)
    assert comp(nps_recent=None, nps_latest=None)["sentiment"] is None


def test_engagement_decays_with_days_since_touch():
    assert comp(days_since_last_touch=10)["engagement"] == 100.0
    assert comp(days_since_last_touch=52)["engagement"] == pytest.approx(50.0)
    assert comp(days_since_last_touch=None)["engagement"] == 0.0


def test_billing_reads_payment_behaviour_over_the_window():
    # one of four invoices due in 180 days paid late, one overdue now, 5 days late on average
    row = comp(
        invoices_due_180d=4, invoices_late_180d=1, invoices_overdue=1, mean_days_late_180d=5.0
    )
    assert row["billing"] == pytest.approx(100 - 40 * 0.25 - 25 - 0.8 * 5)
    # late payments in the window cost points though nothing is overdue today
    paid_late = comp(invoices_due_180d=3, invoices_late_180d=3, mean_days_late_180d=20.0)
    assert paid_late["billing"] == pytest.approx(100 - 40 - 16)
    assert comp(invoices_due_180d=0, invoices_late_180d=0)["billing"] == 100.0
    assert comp(has_invoices=False)["billing"] is None


def test_support_counts_a_rising_ticket_trend():
    # 3 tickets now after none before: two doublings of (n + 1) -> 20 points, plus the level
    rising = comp(tickets_last_90d=3, tickets_prior_90d=0, licensed_seats=30)["support"]
    steady = comp(tickets_last_90d=3, tickets_prior_90d=3, licensed_seats=30)["support"]
    assert steady == 100.0 and rising == pytest.approx(100 - 10 * 2)
    assert comp(tickets_last_90d=0, tickets_prior_90d=5)["support"] == 100.0  # falling: no cost


def _portfolio(values: list[float], **row) -> list[float | None]:
    frame = features(*[{"active_users_last_30d": v, "licensed_seats": 100, **row} for v in values])
    return components(frame.lazy(), ComponentParams()).collect()["adoption"].to_list()


def test_portfolio_scale_scores_against_the_portfolio_95th_percentile():
    util = [float(v) for v in range(1, 101)]  # 1 % to 100 % of seats, one account each
    scores = _portfolio(util)
    p95 = np.quantile(np.array(util) / 100, 0.95)
    assert scores[49] == pytest.approx(0.50 / p95 * 100)  # the median account
    assert sum(s == 100.0 for s in scores) == 5  # only the top 5 % saturate
    assert scores == sorted(scores)  # the order of the input is kept: no signal is flattened


def test_portfolio_scale_is_per_snapshot_date_and_keeps_a_floor():
    # the same utilisation on two dates is scored against each date's own portfolio
    one = features(*[{"active_users_last_30d": v, "licensed_seats": 100} for v in (20, 40, 80)])
    two = one.with_columns(
        active_users_last_30d=pl.col("active_users_last_30d") // 2,
        as_of=pl.lit(dt.date(2026, 2, 1)),
    )
    out = components(pl.concat([one, two]).lazy(), ComponentParams()).collect()
    first, second = (
        out.filter(pl.col("as_of") == d)["adoption"].to_list() for d in sorted(set(out["as_of"]))
    )
    assert first == pytest.approx(second)  # half the usage, half the portfolio: same scores
    # a portfolio that barely uses the product is not rescaled into a healthy one
    low = _portfolio([1, 2, 3])  # at most 3 % of seats: target floored at 8 % (80 % ÷ 10)
    assert low[-1] == pytest.approx(3 / 8 * 100)


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
                "invoices_late_180d": 2,
                "mean_days_late_180d": 45.0,
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


def test_tied_drivers_rank_in_the_order_of_components_every_time():
    """Sentiment, engagement and billing each lose 10 points on every account: their ranks
    follow the components' order on all 3,000 (an unstable sort ranked them at random, so
    two runs on the same data, a local and a warehouse one, published different drivers)."""
    row = {
        "nps_latest": 0.0,
        "nps_recent": 0.0,
        "invoices_overdue": 2,
        "max_days_past_due": 200,
        "invoices_late_180d": 2,
        "mean_days_late_180d": 90.0,
        "days_since_last_touch": 300,
    }
    drivers = score_portfolio(features(*[row] * 3000), CARD).drivers
    ranks = drivers.group_by("component", "rank").len().sort("rank")
    assert ranks.rows() == [("sentiment", 1, 3000), ("engagement", 2, 3000), ("billing", 3, 3000)]


def test_a_negative_zero_reads_zero_in_a_cause():
    """DuckDB's sum of zeros can be -0.0 (PostgreSQL's is 0.0): the cause said "NPS -0.0"
    on one engine and "NPS 0.0" on the other."""
    for value in (-0.0, -0.04, -1e-17):
        drivers = score_portfolio(features({"nps_latest": 0.0, "nps_recent": value}), CARD).drivers
        cause = drivers.filter(pl.col("component") == "sentiment")["cause"].item()
        assert cause.startswith("NPS 0.0 over recent answers"), cause


def test_renewal_risk_and_expansion():
    rows = features(
        {
            "days_to_renewal": 45,
            "active_users_last_30d": 1,
            "nps_latest": 2.0,
            "days_since_last_touch": 120,
            "tickets_open_high": 2,
        },  # red inside 90 days
        {
            "days_to_renewal": 300,
            "active_users_last_30d": 10,
            "active_users_prior_30d": 8,
            "features_last_30d": 8,
            "outcomes_last_90d": 1,
        },
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
# Weights are numbers a person sets: no subnormal floats (5e-324 halved is 0, so a weight that
# alone carried an account would vanish when every weight is scaled: hypothesis found it).
weights = st.fixed_dictionaries(
    {c: st.floats(0, 10, allow_subnormal=False) for c in COMPONENTS}
).filter(lambda w: sum(w.values()) > 0.01)


def _health(row: dict, w: dict) -> float | None:
    card = CARD.model_copy(update={"weights": w})
    frame = pl.DataFrame([row], schema=dict.fromkeys(COMPONENTS, pl.Float64))
    return apply_scorecard(frame.lazy(), card).collect()["health"][0]


@settings(max_examples=150, deadline=None)
@given(st.fixed_dictionaries(dict.fromkeys(COMPONENTS, score)), weights)
def test_health_stays_within_0_100(row, w):
    h = _health(row, w)
    assert h is None or -1e-9 <= h <= 100 + 1e-9


@settings(max_examples=150, deadline=None)
@given(
    st.fixed_dictionaries(dict.fromkeys(COMPONENTS, score)),
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
@given(st.fixed_dictionaries(dict.fromkeys(COMPONENTS, score)), weights, st.floats(0.01, 1000))
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


def test_a_churn_without_an_amount_loses_the_accounts_arr():
    """An export that dates its churns without an ARR amount (RavenStack's churn events):
    the churn still counts, at the account's ARR, not as a change of nothing (GRR 100 %)."""
    d = dt.date
    accounts = pl.DataFrame(
        {
            "account_id": ["a", "b"],
            "arr": [300.0, 100.0],
            "status": ["active", "churned"],
            "contract_start": [d(2020, 1, 1), d(2020, 1, 1)],
        }
    )
    outcomes = pl.DataFrame(
        {
            "account_id": ["b"],
            "occurred_on": [d(2025, 4, 1)],
            "event": ["churned"],
            "arr_change": [None],
        },
        schema_overrides={"arr_change": pl.Float64},
    )
    r = retention(accounts, outcomes, d(2025, 1, 1), d(2025, 12, 31))
    assert r["starting_arr"] == 400.0 and r["accounts_at_start"] == 2
    assert r["grr"] == pytest.approx(300 / 400) and r["logo_churn"] == pytest.approx(1 / 2)
    assert r["renewal_rate"] == 0.0  # the one renewal event was the churn


def test_a_churn_without_a_date_makes_dated_kpis_not_computable_never_100():
    """Given a churn file whose churned accounts carry no churn date (status churned, no
    outcome), expect NRR, GRR, logo churn and the renewal rate not computable, with the note
    naming how many; not 100 % (they used to drop out of the starting ARR unseen). An account
    that started after the period could not have churned in it and changes nothing."""
    d = dt.date
    accounts = pl.DataFrame(
        {
            "account_id": ["a", "b", "c", "late"],
            "arr": [300.0, 100.0, 50.0, 80.0],
            "status": ["active", "churned", "churned", "churned"],
            "contract_start": [d(2020, 1, 1), d(2020, 1, 1), None, d(2026, 3, 1)],
        }
    )
    outcomes = pl.DataFrame(
        {
            "account_id": ["a"],
            "occurred_on": [d(2025, 6, 1)],
            "event": ["renewed"],
            "arr_change": [0.0],
        },
        schema_overrides={"arr_change": pl.Float64},
    )
    r = retention(accounts, outcomes, d(2025, 1, 1), d(2025, 12, 31))
    assert r["nrr"] is None and r["grr"] is None and r["logo_churn"] is None
    assert r["renewal_rate"] is None
    assert r["undated_churns"] == 2  # b and c; "late" started after the period
    assert r["note"] == "not computable: 2 churned accounts carry no date"
    assert r["renewal_note"] == "not computable: 2 churned accounts carry no date"
    # dated, the same churns are counted: b lost 100 on 2025-04-01
    dated = pl.DataFrame(
        {
            "account_id": ["a", "b", "c"],
            "occurred_on": [d(2025, 6, 1), d(2025, 4, 1), d(2024, 5, 1)],
            "event": ["renewed", "churned", "churned"],
            "arr_change": [0.0, None, None],
        },
        schema_overrides={"arr_change": pl.Float64},
    )
    r = retention(accounts, dated, d(2025, 1, 1), d(2025, 12, 31))
    assert r["grr"] == pytest.approx(300 / 400) and r["note"] is None
    assert r["undated_churns"] == 0


def test_roc_auc_by_hand():
    frame = pl.DataFrame({"s": [0.1, 0.4, 0.35, 0.8], "y": [False, False, True, True]})
    assert roc_auc(frame, "s", "y") == pytest.approx(0.75)
    ties = pl.DataFrame({"s": [1.0, 1.0], "y": [True, False]})
    assert roc_auc(ties, "s", "y") == pytest.approx(0.5)
    assert roc_auc(frame.filter(pl.col("y")), "s", "y") is None


def test_a_health_on_too_little_data_is_no_history_to_compare_with():
    from scoring.pipeline import health_only, health_scores
    from tests.scoring_frames import features

    card = default_scorecard()
    thin = {"has_usage": False, "has_tickets": False, "has_surveys": False, "has_invoices": False}
    frame = features({}, thin, {"has_tickets": False})  # full, barely any data, most data
    scored = health_scores(frame, card)
    kept = health_only(frame, card)
    low = scored.filter(pl.col("low_coverage"))["account_id"].to_list()
    assert low == ["a1"]
    assert kept.filter(pl.col("account_id").is_in(low))["health"].null_count() == len(low)
    rest = kept.filter(~pl.col("account_id").is_in(low))
    assert (
        rest["health"].null_count() == scored.filter(~pl.col("low_coverage"))["health"].null_count()
    )


def test_expansion_potential_is_seats_to_target_at_growth_plus_the_plan_up():
    ready = {"active_users_prior_30d": 8, "features_last_30d": 8, "outcomes_last_90d": 1}
    rows = features(
        # 10 seats, 10 users growing 25 % a month: 10 × min(1.25³, 2) = 19.5 users → 25 seats
        {**ready, "plan": "Starter", "arr": 10_000.0, "active_users_last_30d": 10},
        # the same use but the top plan: seats only
        {**ready, "plan": "Enterprise", "arr": 20_000.0, "active_users_last_30d": 10},
        # ready (growing, green, an outcome), users well inside the licence even after three
        # months of growth, narrow use: the model says none
        {
            "plan": "Starter",
            "licensed_seats": 100,
            "active_users_last_30d": 30,
            "active_users_prior_30d": 27,
            "outcomes_last_90d": 1,
            "features_last_30d": 3,
        },
        # not ready: no potential
        {"plan": "Starter", "active_users_last_30d": 5, "features_last_30d": 1},
    )
    out = score_portfolio(rows, CARD).accounts
    assert out["expansion_ready"].to_list()[:2] == [True, True]
    assert out["seats_to_add"].to_list()[:2] == [15, 15]
    # row 0: 15 seats × $1,000 + 10 seats × ($2,000 − $1,000) for the plan up (Enterprise's median)
    assert out["expansion_potential"][0] == 15 * 1_000 + 10 * (2_000 - 1_000)
    assert out["upgrade_to"][0] == "Enterprise" and out["upgrade_to"][1] is None
    assert out["expansion_potential"][1] == 15 * 2_000
    assert out["expansion_ready"][2] and out["seats_to_add"][2] == 0
    assert out["upgrade_to"][2] is None and out["expansion_potential"][2] == 0
    assert out["expansion_potential"][3] == 0 and not out["expansion_ready"][3]


def test_support_without_seats_counts_tickets_per_account_against_the_portfolio():
    """Given accounts whose licensed seats are missing (tickets loaded, seats not), expect
    support scored by the stated fallback, tickets per account against the portfolio's
    median, instead of no data: at or under the median an account is within the allowance
    (no penalty); 6 tickets against a median of 2.5 is 1.4 allowances over (−15 each)."""
    rows = components(
        features(
            {"licensed_seats": None, "tickets_last_90d": 2, "tickets_prior_90d": 2},
            {"licensed_seats": None, "tickets_last_90d": 2, "tickets_prior_90d": 2},
            {"licensed_seats": None, "tickets_last_90d": 6, "tickets_prior_90d": 6},
            {"licensed_seats": 10, "tickets_last_90d": 3, "tickets_prior_90d": 3},
        ).lazy(),
        P,
    ).collect()
    support = rows["support"].to_list()
    # the portfolio's median tickets per account is 2.5 (2, 2, 3, 6)
    assert support[0] == pytest.approx(100.0 - 15 * max(0.0, 2 / 2.5 - 1))  # under: 100
    assert support[2] == pytest.approx(100.0 - 15 * (6 / 2.5 - 1))
    assert support[3] == pytest.approx(70.0)  # with seats: 3 per 10 seats, as before
    assert None not in support


def test_retention_of_several_currencies_is_computed_in_the_reporting_currency():
    """Given a USD account that churned (1,000) beside an EUR one (2,000) and a rate of 0.9
    EUR per USD, expect GRR over EUR sums: 2,000 ÷ (900 + 2,000), not 2,000 ÷ 3,000."""
    from scoring.currency import retention_in_reporting

    d = dt.date
    accounts = pl.DataFrame(
        {
            "account_id": ["us", "eu"],
            "arr": [1000.0, 2000.0],
            "status": ["churned", "active"],
            "contract_start": [d(2020, 1, 1)] * 2,
            "currency": ["usd", None],  # none: the reporting currency
        }
    )
    outcomes = pl.DataFrame(
        {
            "account_id": ["us"],
            "occurred_on": [d(2025, 4, 1)],
            "event": ["churned"],
            "arr_change": [-1000.0],
        },
    )
    converted = retention_in_reporting(accounts, outcomes, {"USD": 0.9}, "EUR")
    r = retention(*converted, d(2025, 1, 1), d(2025, 12, 31))
    assert r["starting_arr"] == pytest.approx(2900.0)
    assert r["grr"] == pytest.approx(2000 / 2900)
