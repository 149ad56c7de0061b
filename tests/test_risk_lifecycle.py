"""Risks worked to an end (issue 26 point 4): time in stage and the KPIs, on hand-made rows with
fixed dates (given / expect)."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from scoring.risk_lifecycle import risk_kpis, time_in_stage

D = dt.datetime(2026, 6, 1, 9)
NOW = dt.datetime(2026, 6, 15, 9)


def _steps(rows: list[tuple[str, int, str, dt.datetime]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={
            "handoff_id": pl.String,
            "step": pl.Int32,
            "state": pl.String,
            "stepped_at": pl.Datetime("us"),
        },
        orient="row",
    )


STEPS = _steps(
    [
        # r1: flagged 2 days, plan 3 days, saving 5 days, saved
        ("r1", 1, "flagged", D),
        ("r1", 3, "saving", D + dt.timedelta(days=5)),
        ("r1", 2, "plan", D + dt.timedelta(days=2)),
        ("r1", 4, "saved", D + dt.timedelta(days=10)),
        # r2: flagged 1.5 days, then lost
        ("r2", 1, "flagged", D),
        ("r2", 2, "lost", D + dt.timedelta(days=1, hours=12)),
        # r3: flagged, a plan in place since 2026-06-11 09:00 (open: until now)
        ("r3", 1, "flagged", D + dt.timedelta(days=7)),
        ("r3", 2, "plan", D + dt.timedelta(days=10)),
        # r4: flagged on 2026-06-14 21:00 and still flagged
        ("r4", 1, "flagged", D + dt.timedelta(days=13, hours=12)),
        # r5: weighed before the lifecycle (a plan), then closed with no outcome
        ("r5", 1, "flagged", D),
        ("r5", 2, "closed", D + dt.timedelta(days=4)),
    ]
)
RISKS = pl.DataFrame(
    {
        "handoff_id": ["r1", "r2", "r3", "r4", "r5", "r6"],
        "state": ["saved", "lost", "plan", "flagged", "closed", "weighed"],
        "created_at": [D, D, D + dt.timedelta(days=7), D + dt.timedelta(days=13, hours=12), D, D],
        "arr": [50_000.0, 20_000.0, 30_000.0, None, 10_000.0, 5_000.0],
    }
)


def test_time_in_stage_runs_from_a_step_to_the_next_and_to_now_while_open():
    timed = time_in_stage(STEPS, NOW)
    got = {(r["handoff_id"], r["state"]): r["days_in_stage"] for r in timed.to_dicts()}
    assert got == {
        ("r1", "flagged"): 2.0,
        ("r1", "plan"): 3.0,
        ("r1", "saving"): 5.0,
        ("r1", "saved"): None,  # an end has no time in stage
        ("r2", "flagged"): 1.5,
        ("r2", "lost"): None,
        ("r3", "flagged"): 3.0,
        ("r3", "plan"): 4.0,  # 2026-06-11 09:00 -> now, 2026-06-15 09:00
        ("r4", "flagged"): 0.5,
        ("r5", "flagged"): 4.0,
        ("r5", "closed"): None,
    }
    assert timed.filter(pl.col("handoff_id") == "r1")["step"].to_list() == [1, 2, 3, 4]


def test_open_risks_by_stage_count_the_legacy_weighed_as_a_plan_and_keep_unknown_arr():
    kpis = risk_kpis(RISKS, STEPS)
    assert kpis.open_by_stage.rows() == [
        ("flagged", 1, None),  # r4: its account's ARR is unknown, so the stage's is too
        ("plan", 2, 35_000.0),  # r3 and r6 (weighed before the lifecycle)
        ("saving", 0, 0.0),
    ]
    assert kpis.open_risks == 3


def test_median_days_to_resolve_save_rate_and_arr_saved():
    kpis = risk_kpis(RISKS, STEPS)
    # r1 saved after 10 days, r2 lost after 1.5; r5 closed without an outcome counts nowhere
    assert kpis.median_days_to_resolve == pytest.approx(5.75, abs=0.05)
    assert (kpis.saved, kpis.lost) == (1, 1)
    assert kpis.save_rate == pytest.approx(0.5)
    assert kpis.arr_saved == 50_000.0


def test_with_no_risk_ended_the_kpis_are_unknown_not_zero():
    kpis = risk_kpis(RISKS.filter(pl.col("handoff_id").is_in(["r3", "r4"])), STEPS)
    assert kpis.median_days_to_resolve is None
    assert kpis.save_rate is None
    assert kpis.arr_saved is None
    lost_only = risk_kpis(RISKS.filter(pl.col("handoff_id") == "r2"), STEPS)
    assert (lost_only.save_rate, lost_only.arr_saved) == (0.0, 0.0)  # known: nothing saved


def test_a_saved_account_with_no_arr_leaves_the_arr_saved_unknown():
    risks = RISKS.with_columns(
        arr=pl.when(pl.col("handoff_id") == "r1").then(None).otherwise(pl.col("arr"))
    )
    assert risk_kpis(risks, STEPS).arr_saved is None
