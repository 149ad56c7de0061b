"""The unmanaged middle, owner load, organisation models, recommendations and assignments."""

from __future__ import annotations

import polars as pl
import pytest

from dashboard.store import Stores
from dashboard.store.filters import AccountFilter
from dashboard.views.unmanaged_middle import Middle, coverage_view
from scoring import middle as c


def _view(stores: Stores, middle: Middle):
    return coverage_view(stores.sources, AccountFilter(), middle, 120, 1e7)


def _direct(stores: Stores, low: float, high: float) -> dict:
    return stores.sources.query(
        """
        WITH bounds AS (SELECT quantile_cont(arr, ?) AS lo, quantile_cont(arr, ?) AS hi
                        FROM account_scores)
        SELECT count(*) AS accounts, sum(arr) AS arr,
            count(*) FILTER (WHERE am_owner IS NULL) AS no_am,
            sum(arr) FILTER (WHERE am_owner IS NULL) AS no_am_arr
        FROM account_scores, bounds WHERE arr BETWEEN lo AND hi
        """,
        [low, high],
    ).row(0, named=True)


def test_middle_without_am_matches_a_direct_computation(demo_stores: Stores):
    view = _view(demo_stores, Middle())
    direct = _direct(demo_stores, 0.25, 0.75)
    summary = {r["coverage"]: r for r in view.summary.iter_rows(named=True)}
    assert summary["no AM"]["accounts"] == direct["no_am"] > 0
    assert summary["no AM"]["arr"] == pytest.approx(direct["no_am_arr"])
    assert summary["with an AM"]["accounts"] + summary["no AM"]["accounts"] == direct["accounts"]
    assert view.unmanaged.height > 0
    assert view.unmanaged["am_owner"].is_null().all() and view.unmanaged["in_middle"].all()
    # every listed account has a signal beyond "no AM touch", and they are ranked
    assert (
        view.unmanaged["sig_expansion"]
        | view.unmanaged["sig_renewal"]
        | view.unmanaged["sig_questions"]
    ).all()
    ranks = view.unmanaged.select("signals", "arr").rows()
    assert ranks == sorted(ranks, key=lambda r: (-r[0], -r[1]))


def test_moving_the_percentile_band_changes_the_figures(demo_stores: Stores):
    wide, narrow = _view(demo_stores, Middle(0.10, 0.90)), _view(demo_stores, Middle(0.40, 0.60))
    counts = [v.accounts["in_middle"].sum() for v in (wide, _view(demo_stores, Middle()), narrow)]
    assert counts[0] > counts[1] > counts[2] > 0
    assert narrow.accounts["in_middle"].sum() == _direct(demo_stores, 0.4, 0.6)["accounts"]
    by_segment = _view(demo_stores, Middle(segments=("Mid-Market",)))
    middle = by_segment.accounts.filter(pl.col("in_middle"))
    assert set(middle["segment"]) == {"Mid-Market"}


def test_owner_load_flags_books_too_large():
    accounts = pl.DataFrame(
        {
            "csm_owner": ["A", "A", "A", "B", "C"],
            "am_owner": [None, "X", "X", "X", "C"],
            "arr": [10.0, 20.0, 30.0, 500.0, 5.0],
        }
    )
    work = pl.DataFrame({"owner": ["A", "C"], "value_acts": [9, 1], "commercial_acts": [1, 3]})
    load = c.owner_load(accounts, work, max_accounts=2, max_arr=400)
    rows = {(r["owner"], r["role"]): r for r in load.iter_rows(named=True)}
    assert rows[("A", "csm")]["accounts"] == 3 and rows[("A", "csm")]["too_large"]  # 3 > 2
    assert rows[("X", "am")]["arr"] == 550 and rows[("X", "am")]["too_large"]  # ARR > 400
    assert rows[("B", "csm")]["accounts"] == 1 and rows[("B", "csm")]["too_large"]  # ARR 500
    assert not rows[("C", "both")]["too_large"]
    assert rows[("C", "both")]["commercial_share"] == pytest.approx(0.75)
    assert rows[("A", "csm")]["commercial_share"] == pytest.approx(0.1)


def test_assignments_go_to_the_freest_am_of_the_segment_then_the_region():
    accounts = pl.DataFrame(
        {
            "account_id": [f"a{i}" for i in range(7)],
            "segment": ["Mid", "Mid", "Mid", "Mid", "Ent", "Ent", "Ent"],
            "region": ["EU", "EU", "EU", "EU", "US", "US", "US"],
            "am_owner": ["P", "P", "P", "Q", "R", "R", None],
        }
    )
    uncovered = pl.DataFrame(
        {
            "account_id": ["u1", "u2", "u3", "u4", "u5"],
            "segment": ["Mid", "Mid", "Mid", "SMB", "SMB"],
            "region": ["EU", "EU", "EU", "US", "APAC"],
            "arr": [50.0, 40.0, 30.0, 20.0, 10.0],
        }
    )
    out = c.suggest_assignments(uncovered, accounts, max_accounts=4).sort("arr", descending=True)
    # Mid: P has 3 (capacity 1), Q has 1 (capacity 3): Q, Q, then P and Q tie at 1 -> P by name
    assert out["suggested_am"].to_list()[:3] == ["Q", "Q", "P"]
    assert out["matched_on"].to_list()[:3] == ["segment"] * 3
    # no AM works SMB: the region decides; nobody works APAC
    assert out.row(3, named=True)["suggested_am"] == "R"
    assert out.row(3, named=True)["matched_on"] == "region"
    assert out.row(4, named=True)["suggested_am"] is None


def test_org_models_measure_each_models_failure():
    accounts = pl.DataFrame(
        {
            "account_id": ["p1", "p2", "c1", "c2", "s1", "s2"],
            "segment": ["Ent", "Ent", "Mid", "Mid", "Mid", "SMB"],
            "coverage_class": ["pair", "pair", "combined", "combined", "csm_only", "csm_only"],
            "arr": [100.0, 100.0, 50.0, 50.0, 20.0, 10.0],
            "expansion_ready": [True, False, True, False, True, False],
            "days_to_renewal": [200, 200, 20, 25, 300, 300],
            "days_since_last_touch": [5, 5, 90, 10, 5, 5],
            "days_since_am_touch": [5, 5, 90, 10, None, None],
            "commercial_questions_90d": [0, 0, 0, 0, 0, 1],
            "has_activities": [True] * 6,
        }
    )
    models = {r["segment"]: r for r in c.org_models(accounts, ["p1"], ["c1"]).iter_rows(named=True)}
    assert models["Ent"]["main_model"] == "pair" and models["Ent"]["pair_stalled"] == 1
    assert models["Mid"]["main_model"] == "combined"
    assert models["Mid"]["combined_late_renewals"] == 1  # c1: renews in 20 days, 90 days quiet
    assert models["Mid"]["combined_missed_expansions"] == 1
    assert models["Mid"]["csm_only_blind_spot"] == 1  # s1 is expansion-ready with no AM
    assert models["SMB"]["csm_only_blind_arr"] == 10.0  # s2: price questions with no AM


def test_recommendations_name_the_role_to_hire_with_evidence():
    am_pain = c.Symptoms(
        blind_spot_accounts=12,
        blind_spot_arr=240_000.0,
        overloaded_owners=["Ann"],
        median_days_to_first_milestone=20.0,
        early_adoption_dropoff=0.1,
        late_renewal_share=0.4,
        unflagged_ready_share=0.5,
    )
    rows = c.recommendations(am_pain)
    assert rows["change"].to_list()[0].startswith("Assign an AM to the 12")
    assert "$240,000" in rows["evidence"][0]
    assert "Ann" in rows["change"][1]
    hire = rows.filter(pl.col("change").str.starts_with("Hire"))
    assert hire["change"][0] == "Hire an AM first" and "40%" in hire["evidence"][0]
    csm_pain = c.Symptoms(
        blind_spot_accounts=0,
        blind_spot_arr=0.0,
        overloaded_owners=[],
        median_days_to_first_milestone=80.0,
        early_adoption_dropoff=0.4,
        late_renewal_share=0.1,
        unflagged_ready_share=None,
    )
    rows = c.recommendations(csm_pain)
    assert rows["change"].to_list() == ["Hire a CSM first"]
    assert "80 days" in rows["evidence"][0]
