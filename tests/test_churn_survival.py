"""scoring.survival on hand-made rows: given these times to churn, expect these curves."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from scoring import survival

# six accounts, days from the snapshot (2026-01-01) to the churn or to the last day known
# (censored: ``churned`` false)
SIX = pl.DataFrame(
    {
        "account_id": [f"a{i}" for i in range(6)],
        "days": [1, 2, 2, 3, 4, 5],
        "churned": [True, True, False, True, False, True],
        "band": ["red"] * 6,
    }
)


def test_kaplan_meier_by_hand():
    curve = survival.kaplan_meier(SIX)
    assert curve["days"].to_list() == [1, 2, 3, 4, 5]
    assert curve["at_risk"].to_list() == [6, 5, 3, 2, 1]
    assert curve["events"].to_list() == [1, 1, 1, 0, 1]
    # 5/6, × 4/5, × 2/3, × 1, × 0
    assert curve["survival"].to_list() == pytest.approx([5 / 6, 4 / 6, 4 / 9, 4 / 9, 0.0])


def test_kaplan_meier_per_band_keeps_the_bands_apart():
    two = pl.concat(
        [
            SIX,
            pl.DataFrame(
                {"account_id": ["g0", "g1"], "days": [1, 3], "churned": [False, True]}
            ).with_columns(band=pl.lit("green")),
        ]
    )
    curve = survival.kaplan_meier(two, by="band")
    green = curve.filter(pl.col("band") == "green")
    assert green["at_risk"].to_list() == [2, 1] and green["survival"].to_list() == [1.0, 0.0]
    red = curve.filter(pl.col("band") == "red")
    assert red["survival"].to_list() == pytest.approx([5 / 6, 4 / 6, 4 / 9, 4 / 9, 0.0])


def test_cox_without_an_effect_gives_the_nelson_aalen_baseline():
    model = survival.fit_cox(SIX.with_columns(x=pl.lit(0.0)), ["x"])
    assert model.coefficients == (0.0,)
    assert model.times == (1.0, 2.0, 3.0, 4.0, 5.0)
    # Σ churns ÷ at risk: 1/6, + 1/5, + 1/3, + 0, + 1/1
    found = model.baseline(np.array([0.0, 1.0, 2.0, 2.5, 4.0, 5.0]))
    h = [0, 1 / 6, 1 / 6 + 1 / 5, 1 / 6 + 1 / 5, 1 / 6 + 1 / 5 + 1 / 3, 1 / 6 + 1 / 5 + 1 / 3 + 1]
    assert found.tolist() == pytest.approx(h)
    # P(churn within d days) = 1 − e^−H(d); a date already past: unknown, never 0 or 100 %
    days = pl.DataFrame({"x": [0.0] * 5, "to_renewal": [2, 0, -3, 6, None]})
    p = model.p_churn_within(days, "to_renewal")
    assert p[0] == pytest.approx(1 - math.exp(-(1 / 6 + 1 / 5))) and p[1] == 0.0 and p[2] is None
    # beyond the 5 days the history followed, or no renewal date: the curve is not known
    assert model.follow_up == 5.0 and p[3] is None and p[4] is None


def test_cox_coefficient_is_the_partial_likelihood_maximum():
    # given: x = 1 churned on days 1 and 3, x = 0 on days 2 and 4. The partial likelihood's
    # score, by hand: 2 − 2r/(2r + 2) − r/(r + 2) − r/(r + 1) with r = e^b
    rows = pl.DataFrame({"days": [1, 3, 2, 4], "churned": [True] * 4, "x": [1.0, 1.0, 0.0, 0.0]})
    lo, hi = 0.0, 5.0
    for _ in range(100):
        mid = (lo + hi) / 2
        r = math.exp(mid)
        if 2 - 2 * r / (2 * r + 2) - r / (r + 2) - r / (r + 1) > 0:
            lo = mid
        else:
            hi = mid
    model = survival.fit_cox(rows, ["x"], ridge=0.0)
    assert model.coefficients[0] == pytest.approx(lo, abs=1e-6)
    assert model.events == 4 and model.observations == 4


def test_cox_recovers_a_known_hazard_ratio():
    # given: exponential times, the hazard twice as high (b = ln 2) for x = 1, censored at 300
    rng = np.random.default_rng(3)
    x = rng.integers(0, 2, 4000).astype(float)
    t = rng.exponential(200 / np.exp(math.log(2) * x))
    rows = pl.DataFrame({"days": np.minimum(np.ceil(t), 300), "churned": t < 300, "x": x})
    model = survival.fit_cox(rows, ["x"])
    assert model.coefficients[0] == pytest.approx(math.log(2), abs=0.08)
    # the baseline at 100 days: 100 ÷ 200 for x = 0
    assert model.baseline(np.array([100.0]))[0] == pytest.approx(0.5, abs=0.05)


def test_concordance_by_hand_and_its_interval():
    rows = pl.DataFrame(
        {"account_id": ["a", "b", "c"], "days": [1, 2, 3], "churned": [True, True, False]}
    )
    # a churned first and is riskiest (2 pairs right), b churned before c but is less risky
    assert survival.concordance(rows, np.array([3.0, 1.0, 2.0])) == pytest.approx(2 / 3)
    assert survival.concordance(rows, np.array([3.0, 2.0, 1.0])) == 1.0
    assert survival.concordance(rows, np.array([1.0, 1.0, 1.0])) == 0.5  # ties: ½
    none = rows.with_columns(churned=pl.lit(False))
    assert survival.concordance(none, np.array([3.0, 2.0, 1.0])) is None
    rng = np.random.default_rng(5)
    many = pl.DataFrame(
        {
            "account_id": [f"a{i}" for i in range(300)],
            "days": rng.integers(1, 100, 300),
            "churned": rng.random(300) < 0.5,
        }
    )
    risk = -many["days"].to_numpy() + rng.normal(0, 30, 300)  # informative, noisy
    c = survival.concordance(many, risk)
    lo, hi = survival.concordance_interval(many, risk)
    assert 0.5 < lo < c < hi < 1.0
