"""scoring.churn_risk on hand-made rows: given these rows, expect these probabilities."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from scoring import churn_risk
from scoring.glossary import COMPONENTS

DAY = dt.date(2026, 3, 1)
LATER = dt.date(2026, 3, 31)


def _group(prefix: str, day: dt.date, n: int, churns: int, **scores: float) -> pl.DataFrame:
    """``n`` account-snapshots with the same component scores (90 unless given), ``churns``
    of them churned; health is the components' plain mean."""
    assert set(scores) <= set(COMPONENTS)
    values = {c: scores.get(c, 90.0) for c in COMPONENTS}
    health = sum(values.values()) / len(values)
    return pl.DataFrame(
        {
            "account_id": [f"{prefix}{i}" for i in range(n)],
            "as_of": [day] * n,
            "churned": [i < churns for i in range(n)],
            "health": [health] * n,
            **{c: [v] * n for c, v in values.items()},
        }
    )


def test_reliability_table_of_known_predictions_and_outcomes():
    # given: 20 predictions 0.05, 0.10, ..., 1.00; the accounts predicted at 0.55 and above
    # churned, and one at 0.20
    p = [0.05 * (i + 1) for i in range(20)]
    frame = pl.DataFrame(
        {"churn_probability": p, "churned": [x > 0.5 or i == 3 for i, x in enumerate(p)]}
    )
    table = churn_risk.reliability(frame)
    # expect: ten deciles of two rows, mean prediction of each pair, its churn rate
    assert table["decile"].to_list() == list(range(1, 11))
    assert table["n"].to_list() == [2] * 10
    assert table["predicted"].to_list() == pytest.approx([0.075 + 0.1 * k for k in range(10)])
    assert table["observed"].to_list() == [0.0, 0.5, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0]


def _disagreeing() -> pl.DataFrame:
    # the same health (78.6: one component at 0, six at 90) three ways: adoption or billing
    # collapsed churns 40 %, support collapsed 1 %; every component fine (health 90) churns 1 %
    return pl.concat(
        [
            _group("u", DAY, 200, 80, adoption=0.0),
            _group("b", DAY, 200, 80, billing=0.0),
            _group("s", DAY, 200, 2, support=0.0),
            _group("g", DAY, 1000, 10),
        ]
    )


def test_a_model_on_the_components_fixes_the_curve_health_flattens():
    rows = _disagreeing()
    fitted = churn_risk.fit_churn_model(rows, 90)
    on_health = churn_risk.fit_churn_model(
        rows.select("account_id", "as_of", "churned", "health"), 90
    )
    assert fitted.components == COMPONENTS and on_health.components == ()
    found = (
        rows.with_columns(new=fitted.probability(), old=on_health.probability())
        .group_by(pl.col("account_id").str.head(1))
        .agg(pl.col("new", "old").mean())
    )
    by = {r["account_id"]: r for r in found.iter_rows(named=True)}
    # expect: the components' model says what each group did, within 4 points (the ridge
    # that keeps coefficients finite shrinks the collapsed groups a little: 36.8 %)
    assert by["u"]["new"] == pytest.approx(0.40, abs=0.04)
    assert by["b"]["new"] == pytest.approx(0.40, abs=0.04)
    assert by["s"]["new"] < 0.03 and by["g"]["new"] < 0.03  # 1 % each
    assert rows.select(fitted.probability()).to_series().mean() == pytest.approx(172 / 1600)
    # the one curve on health gives the three groups of health 78.6 one probability, 27 %
    # ((80 + 80 + 2) ÷ 600): the riskiest accounts said at two thirds of what they did
    assert by["u"]["old"] == pytest.approx(162 / 600, abs=0.005)
    assert by["s"]["old"] == pytest.approx(by["u"]["old"])


def test_the_base_rate_moves_to_the_latest_known_snapshot():
    # given: the same accounts on two snapshots, churning 2 % on the earlier, 6 % on the later
    rows = pl.concat(
        [
            _group("e", DAY, 500, 10, adoption=40.0),
            _group("f", DAY, 500, 0),
            _group("e", LATER, 500, 30, adoption=40.0),
            _group("f", LATER, 500, 0),
        ]
    )
    fitted = churn_risk.fit_churn_model(rows, 90)
    # expect: the mean probability on the latest snapshot is its churn, 3 % (30 of 1,000)
    latest = rows.filter(pl.col("as_of") == LATER).select(fitted.probability())
    assert latest.to_series().mean() == pytest.approx(0.03, abs=1e-6)
    assert fitted.base_date == LATER and fitted.base_shift > 0


def test_the_probability_is_unknown_without_health_and_a_missing_component_takes_the_mean():
    fitted = churn_risk.fit_churn_model(_disagreeing(), 90)
    row = dict.fromkeys(COMPONENTS, 90.0) | {"health": 90.0}
    frame = pl.DataFrame(
        [row, row | {"health": None}, row | {"adoption": None}],
        schema=dict.fromkeys(row, pl.Float64),
    )
    p = frame.select(fitted.probability()).to_series()
    assert p[1] is None  # no health: unknown, never 0
    assert p[2] == pytest.approx(p[0])  # adoption missing counts as the others' shortfall


def test_base_rate_shift_reaches_the_observed_rate():
    logits = pl.Series([-3.0, -2.0, -1.0]).to_numpy()
    shift = churn_risk.base_rate_shift(logits, 0.5)
    assert (1 / (1 + pl.Series(-(logits + shift)).exp())).mean() == pytest.approx(0.5)
    assert churn_risk.base_rate_shift(logits, 0.0) == 0.0  # no shift reaches a rate of 0


def _decile_rows(accounts: int, snapshots: int, churned_accounts: int) -> pl.DataFrame:
    """One decile's rows (every prediction 0.1): ``accounts`` accounts seen on ``snapshots``
    snapshots each, the first ``churned_accounts`` churned on every one."""
    return pl.DataFrame(
        {
            "account_id": [f"a{i}" for i in range(accounts) for _ in range(snapshots)],
            "churn_probability": [0.1] * (accounts * snapshots),
            "churned": [i < churned_accounts for i in range(accounts) for _ in range(snapshots)],
        }
    )


def test_a_deciles_observed_rate_has_an_interval_over_its_accounts():
    # given: one decile of 1,000 accounts, 100 churned (10 %), each seen once; the same
    # 400 rows from 100 accounts seen on four snapshots (10 churned)
    many = churn_risk.reliability(_decile_rows(1000, 1, 100), deciles=1).row(0, named=True)
    few = churn_risk.reliability(_decile_rows(100, 4, 10), deciles=1).row(0, named=True)
    # expect: 10 % observed both ways, known to about ±2 points on 1,000 accounts (judged)
    # and to about ±6 on 100 accounts whatever their 400 rows (not judged: a 5-point rule
    # cannot be held on it)
    assert many["observed"] == few["observed"] == pytest.approx(0.10)
    assert (many["accounts"], many["churned_accounts"], many["n"]) == (1000, 100, 1000)
    assert (few["accounts"], few["churned_accounts"], few["n"]) == (100, 10, 400)
    assert many["low"] == pytest.approx(0.082, abs=0.01)
    assert many["high"] == pytest.approx(0.119, abs=0.01)
    assert many["judged"]
    assert few["high"] - few["low"] > 0.10 and not few["judged"]
    assert few["low"] < 0.10 < few["high"]


def test_a_decile_with_no_churn_is_not_certain():
    # given: 20 accounts, none churned
    row = churn_risk.reliability(_decile_rows(20, 3, 0), deciles=1).row(0, named=True)
    # expect: observed 0, but up to 16 % is as likely on 20 accounts (Wilson), not judged;
    # resampling alone would say exactly 0
    assert row["observed"] == 0.0 and row["low"] == 0.0
    assert row["high"] == pytest.approx(0.161, abs=0.001)
    assert not row["judged"]


def test_the_largest_gap_over_judged_deciles_leaves_the_unjudged_out():
    # given: a judged decile off by 2 points and an unjudged one off by 30
    table = pl.DataFrame(
        {
            "predicted": [0.12, 0.40],
            "observed": [0.10, 0.10],
            "judged": [True, False],
        }
    )
    assert churn_risk.largest_gap(table) == pytest.approx(0.30)
    assert churn_risk.largest_gap(table, judged_only=True) == pytest.approx(0.02)
    assert churn_risk.largest_gap(table.filter(~pl.col("judged")), judged_only=True) is None
