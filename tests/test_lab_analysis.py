"""scoring.lab_analysis on a few hand-made rows: given these rows, expect these numbers."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from scoring import backtest as bt
from scoring import churn_risk
from scoring.backtest import AucIntervals
from scoring.lab_analysis import (
    ComponentAuc,
    Split,
    churn_calibration,
    out_of_time_split,
    signal_aucs,
    signal_scores,
    walk_forward,
)
from scoring.people import SIGNALS

D = [dt.date(2026, 1, 1) + dt.timedelta(days=30 * i) for i in range(6)]  # 30 days apart


@pytest.mark.parametrize(
    ("dates", "horizon", "expected"),
    [
        # 6 snapshots: the later third (2) checked; fitted on those whose 60 days close by D[4]
        (D, 60, Split(train=[D[0], D[1], D[2]], test=[D[4], D[5]])),
        # a 30-day horizon: every earlier snapshot closes in time
        (D, 30, Split(train=[D[0], D[1], D[2], D[3]], test=[D[4], D[5]])),
        # a year's horizon closes after every checked snapshot: the first one is kept
        (D, 365, Split(train=[D[0]], test=[D[4], D[5]])),
        # three snapshots: two fitted, one checked
        (D[:3], 30, Split(train=[D[0], D[1]], test=[D[2]])),
        # one snapshot: nothing later to check on
        (D[:1], 30, Split(train=[D[0]], test=[])),
    ],
)
def test_out_of_time_split(dates, horizon, expected):
    assert out_of_time_split(dates, horizon) == expected


def _labelled(day: dt.date, health: list[float], churned: list[bool], prefix: str = "a"):
    return pl.DataFrame(
        {
            "account_id": [f"{prefix}{i}" for i in range(len(health))],
            "as_of": [day] * len(health),
            "health": health,
            "churned": churned,
        }
    )


def test_calibration_bins_of_the_later_snapshot():
    # given: two earlier snapshots of 80 accounts (health 0-79; the 20 lowest churn, and
    # every other one up to 58: 40 churn events, low health churning more) ...
    train_health = [float(i) for i in range(80)]
    train_churned = [i < 20 or (i < 60 and i % 2 == 0) for i in range(80)]
    # ... and a later one of 20 accounts, health 5, 10, ..., 100, the six lowest churned
    test_health = [5.0 * (i + 1) for i in range(20)]
    test_churned = [h <= 30 for h in test_health]
    scored = pl.concat(
        [
            _labelled(D[0], train_health, train_churned),
            _labelled(D[1], train_health, train_churned),
            _labelled(D[2], test_health, test_churned, prefix="b"),
        ]
    )
    found = churn_calibration(scored, D[:3], horizon=30)
    # expect: ten bins of two rows each, by rising predicted churn (falling health): the
    # three riskiest bins hold the six churned accounts
    assert found.note is None
    table = found.table
    assert table["decile"].to_list() == list(range(1, 11))
    assert table["n"].to_list() == [2] * 10
    assert table["observed"].to_list() == [0.0] * 7 + [1.0] * 3
    assert table["predicted"].is_sorted() and table["predicted"].n_unique() == 10


def test_no_calibration_bins_without_thirty_churn_events():
    # given: 29 churned accounts on the earlier snapshots, fewer than the rule's 30
    health = [float(i) for i in range(60)]
    churned = [i < 29 for i in range(60)]
    scored = pl.concat(
        [_labelled(D[0], health, churned), _labelled(D[1], health, churned, prefix="b")]
    )
    found = churn_calibration(scored, D[:2], horizon=30)
    # expect: no table, and the reason
    assert found.table.is_empty()
    assert found.table.columns == list(churn_risk.RELIABILITY_SCHEMA)
    assert found.note == (
        "2026-01-31: the history holds 29 churn events within the horizon of its snapshots; "
        "calibrating needs at least 30"
    )


def _pair(active: list[float], candidate: list[float], churned: list[bool]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "account_id": [f"a{i}" for i in range(len(active))],
            "churned": churned,
            "health": active,
            "health_b": candidate,
        }
    )


def test_difference_interval_of_the_same_score_is_zero():
    # given: ten accounts, the candidate scores every one as the active scorecard does
    health = [10.0, 20, 30, 40, 50, 60, 70, 80, 90, 95]
    churned = [True, False, True, False, False, True, False, False, False, False]
    found = bt.bootstrap_auc(_pair(health, health, churned), "health", "health_b", 200)
    # expect: the same interval for both, and a difference of exactly 0 in every replicate
    assert isinstance(found, AucIntervals)
    assert found.active == found.candidate
    assert found.difference == (0.0, 0.0)
    assert bt.judge_candidate(0.7, 0.7, found.difference) == "no_difference"


def test_difference_interval_of_a_perfect_candidate_against_a_backwards_one():
    # given: twenty accounts, the ten churned ones the healthiest for the active scorecard
    # (AUC 0) and the least healthy for the candidate (AUC 1)
    churned = [i < 10 for i in range(20)]
    active = [50.0 + i if c else float(i) for i, c in enumerate(churned)]
    candidate = [float(i) if c else 50.0 + i for i, c in enumerate(churned)]
    found = bt.bootstrap_auc(_pair(active, candidate, churned), "health", "health_b", 200)
    # expect: candidate − active = 1 in every replicate: the whole interval above 0
    assert found.active == (0.0, 0.0)
    assert found.candidate == (1.0, 1.0)
    assert found.difference == (1.0, 1.0)
    assert bt.judge_candidate(0.0, 1.0, found.difference) == "better"


def test_survival_check_fits_on_the_earlier_snapshots_and_ranks_the_later():
    # given: 120 accounts; account i has adoption 0.8 × i (the other components 90) and, for
    # i < 100, churns on day 1 + i after D[0]; snapshots D[0], D[1], D[2] of the accounts
    # still there. Fitted on D[0] and D[1] (churns seen until D[2], day 60: 60 of them);
    # checked on D[2] (churns seen until D[2] + 30 days: accounts 60-89)
    from scoring.glossary import COMPONENTS
    from scoring.lab_analysis import survival_check

    accounts = (
        pl.DataFrame({"i": list(range(120))})
        .with_columns(
            account_id=pl.format("a{}", pl.col("i")),
            churned_on=pl.when(pl.col("i") < 100)
            .then(pl.lit(D[0]) + pl.duration(days=1 + pl.col("i")))
            .otherwise(None),
            **{c: pl.lit(90.0) for c in COMPONENTS},
        )
        .with_columns(adoption=0.8 * pl.col("i"))
    )
    scored = pl.concat(
        [
            accounts.with_columns(as_of=pl.lit(day)).filter(
                pl.col("churned_on").is_null() | (pl.col("churned_on") > pl.lit(day))
            )
            for day in D[:3]
        ]
    )
    found = survival_check(scored, D[:3], horizon=30)
    # expect: the one who churned first was always the riskier: C = 1, on 60 checked rows
    # (accounts 60-119 at D[2]) of which 30 churned by D[2] + 30 days
    assert found.note is None
    assert found.concordance == 1.0 and found.interval == (1.0, 1.0)
    assert (found.events, found.observations) == (30, 60)
    # too few churns before the checked snapshot: no model, and why
    few = scored.filter(pl.col("i") >= 40)
    assert "calibrating needs at least 30" in (survival_check(few, D[:3], horizon=30).note or "")


def _book(day: dt.date, risky_churns: int, safe_churns: int = 2) -> pl.DataFrame:
    """1,000 accounts on ``day``: 500 at health 40 (``r``), ``risky_churns`` of them churned,
    and 500 at health 90 (``g``), ``safe_churns`` churned."""
    return pl.concat(
        [
            _labelled(day, [40.0] * 500, [i < risky_churns for i in range(500)], "r"),
            _labelled(day, [90.0] * 500, [i < safe_churns for i in range(500)], "g"),
        ]
    )


def test_each_later_snapshot_is_predicted_by_the_model_known_on_its_date():
    # given: six snapshots 30 days apart, a 60-day horizon; churn doubles from D2 to D3
    # (32 -> 62 of 1,000) and stays there
    churns = [20, 20, 30, 60, 60, 60]
    scored = pl.concat([_book(day, n) for day, n in zip(D, churns, strict=True)])
    # the later third (D4, D5) is checked: on D4 the outcomes of D0-D2 had closed, on D5
    # those of D0-D3 too (D3 + 60 days = D5)
    found, reasons = walk_forward(scored, D, 60, [D[4], D[5]])
    mean = found.group_by("as_of").agg(pl.col("churn_probability").mean())
    by_day = dict(mean.iter_rows())
    # expect: each checked snapshot's mean probability is the churn of the latest snapshot
    # known on its date (the base-rate update), D5 already at the doubled rate
    assert reasons == []
    assert by_day[D[4]] == pytest.approx(32 / 1000, abs=1e-6)
    assert by_day[D[5]] == pytest.approx(62 / 1000, abs=1e-6)
    # and the reliability table rests on both: predicted churn over its rows = their mean
    table = churn_calibration(scored, D, 60).table
    predicted = (table["predicted"] * table["n"]).sum() / table["n"].sum()
    assert predicted == pytest.approx((32 + 62) / 2000, abs=1e-6)
    assert table["n"].sum() == 2000 and table["accounts"].sum() >= 1000


def test_a_checked_snapshot_with_no_known_outcome_gets_no_probability_and_says_why():
    scored = pl.concat([_book(day, 40) for day in D[:3]])
    found, reasons = walk_forward(scored, D[:3], 60, [D[1], D[2]])
    # D1: no snapshot's 60 days had closed; D2: D0's had (42 churn events: enough)
    assert reasons == [f"{D[1]}: no snapshot's 60 days of outcome had closed by {D[1]}"]
    assert found["as_of"].unique().to_list() == [D[2]]


def test_a_stakeholder_signal_alone_with_its_counts_lift_and_auc():
    # given: ten account-snapshots; champion_left raised on four (three churned), not raised
    # on five (one churned), unknown on one (churned); the other signals unknown everywhere
    rows = pl.DataFrame(
        {
            "churned": [True, True, True, False, True, False, False, False, False, True],
            "champion_left": [True] * 4 + [False] * 5 + [None],
            "champion_quiet": [None] * 10,
            "no_economic_buyer": [None] * 10,
        },
        schema_overrides={"champion_quiet": pl.Boolean, "no_economic_buyer": pl.Boolean},
    )
    quiet, left, buyer = signal_aucs(rows, {"champion_left": (0.6, 0.9)})
    # expect: of the 4 × 5 churner-stayer pairs among the known rows, 12 ranked right (raised
    # churner, stayer not raised), 7 tied, 1 wrong: AUC (12 + 7 / 2) / 20
    assert left == ComponentAuc(
        "champion_left", None, 0.775, 0.6, 0.9, 0.9, 4, 3, 9, 4, (3 / 4) / (4 / 9)
    )
    assert left.lift == pytest.approx(1.6875)
    # unknown everywhere: no AUC, no interval, no lift, nothing known (never "0 % churn")
    assert (quiet.auc, quiet.coverage, quiet.known, quiet.raised, quiet.lift) == (
        None,
        0,
        0,
        0,
        None,
    )
    assert buyer.component == "no_economic_buyer" and np.isnan(buyer.low)


def test_signal_scores_rank_a_raised_signal_as_risky():
    rows = pl.DataFrame(
        {s: [True, False, None] for s in SIGNALS}, schema=dict.fromkeys(SIGNALS, pl.Boolean)
    )
    assert signal_scores(rows).rows() == [(0.0,) * 3, (100.0,) * 3, (None,) * 3]
