"""Score lab: metrics against textbook computations, no leakage, the backtest on the demo,
the fitted suggestion, save / activate / audit / revert, and the command line."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import subprocess
import sys
from dataclasses import replace
from itertools import product

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from dashboard import clock
from dashboard.store import Stores
from dashboard.store.features import features_at
from dashboard.store.filters import AccountFilter
from dashboard.store.snapshots import backtest_dates, point_in_time_features, snapshot_on_or_before
from dashboard.views.lab import (
    backtest_report,
    backtest_snapshots,
    portfolio_components,
    run_backtest,
)
from dashboard.workflows.scorecards import (
    activate_scorecard,
    active_scorecard,
    default_scorecard,
    save_scorecard,
    saved_scorecards,
    scorecard_audit,
)
from scoring import backtest as bt
from scoring.lab_analysis import calibrate, compare_on_snapshots, out_of_time_split
from scoring.metrics import roc_auc
from scoring.people import SIGNALS, signals_at
from scoring.pipeline import health_scores
from scoring.scorecard import COMPONENTS
from scoring.what_if import impact, migration, movers, rescore

NOW = dt.datetime(2026, 11, 22, 12)


def _only(component: str):
    card = default_scorecard()
    weights = {c: (1.0 if c == component else 0.0) for c in card.weights}
    return card.model_copy(update={"name": f"{component} only", "weights": weights})


def _textbook_auc(scores: list[float], labels: list[bool]) -> float:
    """P(score of a positive > score of a negative) + ½ P(tie), by counting every pair."""
    pos = [s for s, y in zip(scores, labels, strict=True) if y]
    neg = [s for s, y in zip(scores, labels, strict=True) if not y]
    wins = sum((p > n) + 0.5 * (p == n) for p, n in product(pos, neg))
    return wins / (len(pos) * len(neg))


def test_auc_on_a_hand_computed_example():
    # positives 0.9, 0.4; negatives 0.5, 0.4, 0.1: pairs won 3 + 0 + ½ (the tie) + 1 = 4.5 of 6
    frame = pl.DataFrame({"s": [0.9, 0.4, 0.5, 0.4, 0.1], "y": [True, True, False, False, False]})
    assert roc_auc(frame, "s", "y") == pytest.approx(4.5 / 6)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_auc_matches_the_pairwise_definition_on_random_data(seed):
    rng = np.random.default_rng(seed)
    labels = rng.random(300) < 0.2
    scores = np.round(rng.normal(labels * 0.7, 1.0), 1)  # rounding makes ties
    frame = pl.DataFrame({"s": scores, "y": labels})
    assert roc_auc(frame, "s", "y") == pytest.approx(
        _textbook_auc(scores.tolist(), labels.tolist())
    )
    # the backtest's AUC (low health = risky) is the same on the negated score
    snapshot_rows = pl.DataFrame(
        {
            "health": -scores,
            "churned": labels,
            "band": "red",
            "account_id": [f"A{i % 40}" for i in range(300)],
        }
    )
    assert bt.evaluate(snapshot_rows).auc == pytest.approx(roc_auc(frame, "s", "y"))


def test_lift_precision_and_band_rates_by_hand():
    frame = pl.DataFrame(
        {
            "account_id": [f"a{i}" for i in range(10)],
            "health": [5.0, 15, 25, 35, 45, 55, 65, 75, 85, 95],
            "band": ["red"] * 4 + ["yellow"] * 3 + ["green"] * 3,
            "churned": [True, True, False, False, True, False, False, False, False, False],
        }
    )
    result = bt.evaluate(frame)
    assert result.base_churn_rate == pytest.approx(0.3)
    assert result.band_churn_rates["red"] == bt.BandRate(accounts=4, churned=2, rate=0.5)
    assert result.red_lift == pytest.approx(0.5 / 0.3)
    assert result.bottom_decile_precision == 1.0  # the lowest 10 % (one account) churned
    assert result.n_accounts == 10 and result.n_churn_events == 3
    assert result.auc == pytest.approx(
        _textbook_auc([-h for h in frame["health"]], frame["churned"].to_list())
    )
    assert result.calibration["rows"].sum() == 10


def test_bootstrap_interval_covers_the_estimate_and_noise_straddles_zero():
    rng = np.random.default_rng(4)
    n = 4000
    churned = rng.random(n) < 0.15
    frame = pl.DataFrame(
        {
            "account_id": [f"a{i % 1000}" for i in range(n)],
            "churned": churned,
            "h1": np.clip(70 - 25 * churned + rng.normal(0, 15, n), 0, 100),
        }
    ).with_columns(h2=pl.col("h1") + pl.Series(rng.normal(0, 0.3, n)))
    ci = bt.bootstrap_auc(frame, "h1", "h2", replicates=300)
    auc = roc_auc(frame.with_columns(r=-pl.col("h1")), "r", "churned")
    assert ci.active[0] < auc < ci.active[1]
    assert ci.difference[0] < 0 < ci.difference[1]  # two near-identical scores


def test_fitted_weights_ignore_a_component_with_no_signal():
    rng = np.random.default_rng(5)
    n = 5000
    churned = rng.random(n) < 0.2
    frame = pl.DataFrame(
        {
            "signal": np.clip(75 - 40 * churned + rng.normal(0, 15, n), 0, 100),
            "noise": rng.uniform(0, 100, n),
            "churned": churned,
        }
    )
    weights = bt.fit_weights(frame, ["signal", "noise"])
    assert weights["signal"] > 90 and weights["noise"] < 10
    backwards = frame.with_columns(noise=100 - pl.col("signal"))  # high score = churn
    weights = bt.fit_weights(backwards, ["signal", "noise"])
    assert weights == {"signal": 100.0, "noise": 0.0}  # a backwards signal gets no weight
    assert sum(weights.values()) == pytest.approx(100, abs=0.2)


def test_adding_data_after_a_snapshot_never_changes_it(tmp_path):
    from dashboard.ingest.demo import DemoSpec, load_demo

    stores = Stores.open(tmp_path)
    load_demo(stores.sources, DemoSpec(accounts=80, seed=9, anchor=dt.date(2026, 6, 30)))
    dates = [dt.date(2026, 2, 1), dt.date(2026, 3, 1), dt.date(2026, 4, 1)]
    before = features_at(stores.sources, dates)
    late = dt.datetime(2026, 3, 15, 12)
    accounts = stores.sources.query("SELECT account_id FROM accounts ORDER BY account_id LIMIT 5")[
        "account_id"
    ]
    with stores.sources.writer() as writer:
        rows = pl.DataFrame(
            {
                "account_id": accounts,
                "occurred_at": [late] * 5,
                "user_id": ["late-user"] * 5,
                "feature": ["late"] * 5,
                "quantity": [50] * 5,
            }
        )
        writer.append("usage_events", rows)
        writer.execute(
            "INSERT INTO tickets (ticket_id, account_id, created_at, priority)"
            " SELECT 'late-' || account_id, account_id, ?, 'urgent' FROM accounts"
            " ORDER BY account_id LIMIT 5",
            [late],
        )
        writer.execute(
            "INSERT INTO activities (account_id, occurred_at, kind, role)"
            " SELECT account_id, ?, 'meeting', 'am' FROM accounts ORDER BY account_id LIMIT 5",
            [late],
        )
        # a later expansion, and today's ARR that includes it (the CRM's ARR is today's) on
        # accounts still active: a churned account's ARR today is 0 and the ARR it had is
        # what its churn lost (scoring.glossary.arr_on), so raising its CRM ARR is no
        # consistent later fact
        active = (
            "SELECT account_id FROM accounts WHERE status = 'active' ORDER BY account_id LIMIT 5"
        )
        writer.execute(
            "INSERT INTO outcomes (account_id, occurred_on, event, arr_change)"
            f" SELECT account_id, DATE '2026-03-20', 'expanded', 1000 FROM ({active})"
        )
        writer.execute(f"UPDATE accounts SET arr = arr + 1000 WHERE account_id IN ({active})")
    after = features_at(stores.sources, dates)
    for day in dates[:2]:  # snapshots before the new rows: identical
        old, new = (f.filter(pl.col("as_of") == day) for f in (before, after))
        differ = [c for c in old.columns if not old[c].equals(new[c])]
        assert not differ, f"{day}: {differ}"
    changed = before.filter(pl.col("as_of") == dates[2]).equals(
        after.filter(pl.col("as_of") == dates[2])
    )
    assert not changed  # the later snapshot does see them


@pytest.mark.parametrize("step", [30, 31, 17])  # the backtest's grid, and dates off it
def test_many_snapshot_dates_in_one_query_equal_each_date_alone(demo_stores: Stores, step):
    last = dt.date(2025, 12, 1)
    dates = [last - dt.timedelta(days=step * k) for k in range(4)]
    together = features_at(demo_stores.sources, dates)
    alone = pl.concat([features_at(demo_stores.sources, [d]) for d in sorted(dates)])
    assert together.height > 1000
    assert_frame_equal(together, alone)


def test_backtest_snapshots_lie_on_one_30_day_grid(demo_stores: Stores):
    dates = backtest_dates(demo_stores.sources, horizon=90)
    assert len(dates) == 12 and dates == sorted(dates)
    assert {(b - a).days for a, b in itertools.pairwise(dates)} == {30}
    assert all((d - dt.date(1970, 1, 1)).days % 30 == 0 for d in dates)
    later = backtest_dates(demo_stores.sources, horizon=180)
    assert set(later) <= {d - dt.timedelta(days=30 * k) for d in dates for k in range(12)}
    assert snapshot_on_or_before(dates[-1] + dt.timedelta(days=29)) == dates[-1]
    assert snapshot_on_or_before(dates[-1] + dt.timedelta(days=30)) > dates[-1]


def test_demo_backtest_default_beats_a_no_signal_scorecard(demo_stores: Stores):
    card = default_scorecard()
    weak = _only("engagement")  # the demo's touches carry almost no churn signal
    result = run_backtest(demo_stores.sources, card, weak, horizon=90)
    default_auc, weak_auc = result.active.auc, result.candidate.auc
    assert default_auc > 0.7
    assert weak_auc < default_auc
    assert result.intervals.difference[1] < 0  # clearly worse, beyond the noise
    assert len(result.dates) == 12 and result.dates == sorted(result.dates)
    assert result.dates[-1] <= clock.today() - dt.timedelta(days=90)
    assert result.active.n_churn_events > 20
    assert result.active_verdict == "predictive"
    assert [c.component for c in result.components] == list(weak.weights)


def test_the_component_table_holds_the_stakeholder_signals_on_the_same_snapshots(
    demo_stores: Stores,
):
    snapshots = backtest_snapshots(demo_stores.sources)
    card = default_scorecard()
    result = compare_on_snapshots(snapshots, card, card, calibration=False)
    table = backtest_report(result, card.name, card.name, same=True).components
    # expect: the seven components, then the three signals (no weight: not in the scorecard)
    assert table["component"].to_list() == [*COMPONENTS, *SIGNALS]
    signals = table.filter(pl.col("component").is_in(SIGNALS))
    assert signals["weight"].null_count() == 3 and table["weight"].null_count() == 3
    observations = result.candidate.n_observations
    for row in signals.iter_rows(named=True):  # counts on the same account-snapshots
        assert 0 < row["raised_churned"] <= row["raised"] <= row["known"] <= observations
        assert row["known_churned"] <= row["known"]
        assert row["coverage"] == pytest.approx(row["known"] / observations)
        assert row["low"] <= row["auc"] <= row["high"]
    # the store's reduced rows (a contact's usage once a day, each account's first row) give
    # the signals that every row of the tables gives
    sources = demo_stores.sources
    every = signals_at(
        sources.query("SELECT * FROM contacts"),
        sources.query("SELECT account_id, occurred_at, user_id FROM usage_events"),
        sources.query("SELECT account_id, occurred_at, summary FROM activities"),
        point_in_time_features(sources, snapshots.dates).select("account_id", "as_of", "arr"),
    )
    assert_frame_equal(every, snapshots.signals)


@pytest.fixture(scope="module")
def portfolios(tmp_path_factory) -> dict[str, Stores]:
    """Three portfolios of 1,200 accounts built unlike each other: the demo's shape, one whose
    usage does not follow health (the signal sits in support, billing and surveys) and one
    whose licences are nearly full everywhere (seats saturate)."""
    from dashboard.ingest.demo import DemoSpec, load_demo

    shapes = {
        "demo shape": {},
        "signal outside usage": {"usage_signal": 0.0},
        "saturated seats": {"seat_fill": 0.35},
    }
    out = {}
    for i, (name, shape) in enumerate(shapes.items()):
        stores = Stores.open(tmp_path_factory.mktemp(f"shape{i}"))
        load_demo(stores.sources, DemoSpec(accounts=1200, seed=21 + i, **shape))
        out[name] = stores
    return out


@pytest.mark.parametrize("shape", ["demo shape", "signal outside usage", "saturated seats"])
def test_the_calibrated_scorecard_is_fitted_before_and_checked_after(portfolios, shape):
    snapshots = backtest_snapshots(portfolios[shape].sources)
    calibrated = calibrate(snapshots, default_scorecard())
    # out of time: every fitted snapshot's 90 days of outcome close before the first checked one
    assert calibrated.train_dates[-1] + dt.timedelta(days=90) <= calibrated.test_dates[0]
    assert sum(calibrated.weights.values()) == pytest.approx(100, abs=0.5)
    assert all(w >= 0 for w in calibrated.weights.values())
    assert calibrated.verdict == "predictive" and calibrated.refused is None
    lo, hi = calibrated.interval_calibrated
    assert lo < calibrated.auc_calibrated < hi
    # as good as the best single component on the same later snapshots, or within 0.02
    later = snapshots.labelled.filter(pl.col("as_of").is_in(calibrated.test_dates))
    scored = health_scores(later, default_scorecard())
    best = max(bt.evaluate(scored.with_columns(health=pl.col(c))).auc or 0 for c in COMPONENTS)
    assert calibrated.auc_calibrated >= best - 0.02, (shape, calibrated.weights)
    table = calibrated.calibration
    assert table["decile"].to_list() == list(range(1, 11)) and table["n"].sum() > 1000
    assert table["observed"][-1] > 3 * table["observed"][0]  # the riskiest tenth churns most


def test_a_thin_history_gets_no_calibrated_scorecard_and_says_why(demo_stores: Stores):
    snapshots = backtest_snapshots(demo_stores.sources)
    train = out_of_time_split(snapshots.dates, 90).train
    thin = snapshots.labelled.filter(pl.col("as_of").is_in(train))
    events = thin.filter(pl.col("churned"))["account_id"].n_unique()
    fewer = replace(
        snapshots,
        labelled=snapshots.labelled.filter(
            ~pl.col("churned")
            | pl.col("account_id").is_in(
                thin.filter(pl.col("churned"))["account_id"]
                .unique()
                .head(min(events, 29))
                .implode()
            )
        ),
    )
    calibrated = calibrate(fewer, default_scorecard())
    assert calibrated.scorecard is None and calibrated.weights == {}
    assert "calibrating needs at least 30" in calibrated.refused


@pytest.mark.parametrize(("dates", "horizon"), [(12, 90), (12, 180), (3, 90)])
def test_out_of_time_split_keeps_outcomes_before_the_checked_snapshots(dates, horizon):
    grid = [dt.date(2025, 1, 1) + dt.timedelta(days=30 * i) for i in range(dates)]
    split = out_of_time_split(grid, horizon)
    train, test = split.train, split.test
    assert test == grid[-len(test) :] and len(test) >= 1
    assert all(d + dt.timedelta(days=horizon) <= test[0] for d in train) or train == grid[:1]


def test_a_weight_change_moves_bands_and_explains_who_moved(demo_stores: Stores):
    card = default_scorecard()
    comps = portfolio_components(demo_stores.sources, AccountFilter(), card.params)
    heavy = card.model_copy(update={"weights": {**card.weights, "billing": 60.0}})
    before, after = rescore(comps, card), rescore(comps, heavy)
    stored = demo_stores.sources.query("SELECT account_id, health FROM account_scores")
    same = before.join(stored, on="account_id", suffix="_stored")
    assert (same["health"] - same["health_stored"]).abs().max() < 1e-9  # the lab = the mart
    moves = migration(before, after)
    assert moves["accounts"].sum() == before.height
    moved = movers(comps, comps, card, heavy)
    assert moved["change"].abs().is_sorted(descending=True)
    assert moved["moved_by"].str.contains("billing").mean() > 0.8  # billing missing: others move
    assert set(impact(after)) == {
        "accounts_red",
        "red_arr_renewing_90d",
        "expansion_ready",
        "median_health",
    }


def test_save_activate_audit_and_revert(empty_stores: Stores):
    app = empty_stores.app
    assert active_scorecard(app).name == "default"
    card = default_scorecard()
    heavy = card.model_copy(
        update={"name": "billing-heavy", "weights": {**card.weights, "billing": 40.0}}
    )
    save_scorecard(app, heavy, "ops-ann", NOW - dt.timedelta(hours=1))
    with pytest.raises(ValueError, match="exists"):
        save_scorecard(app, heavy, "ops-ann", NOW)
    diff = activate_scorecard(app, "billing-heavy", "ops-ann", NOW, seen_version="default#0")
    assert diff == {"weights.billing": [10.0, 40.0]}
    assert active_scorecard(app).name == "billing-heavy"
    activate_scorecard(
        app, "default", "ops-bo", NOW + dt.timedelta(hours=1), seen_version="billing-heavy#1"
    )  # revert
    assert active_scorecard(app).name == "default"
    assert saved_scorecards(app).filter(pl.col("active"))["name"].to_list() == ["default"]
    audit = scorecard_audit(app)
    assert audit["action"].to_list() == [
        "activate scorecard",
        "activate scorecard",
        "save scorecard",
    ]
    assert audit["actor"].to_list() == ["ops-bo", "ops-ann", "ops-ann"]
    assert json.loads(audit["detail"][1])["changes"] == {"weights.billing": [10.0, 40.0]}
    assert audit["changes"][1] == "weights.billing: 10.0 → 40.0"


def test_backtest_command_prints_the_metrics(demo_dir, tmp_path):
    env = {**os.environ, "TANDEM_DATA_DIR": str(demo_dir)}
    run = subprocess.run(
        [sys.executable, "-m", "dashboard.cli", "backtest", "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    out = json.loads(run.stdout)
    for key in ("auc", "auc_ci", "band_churn_rates", "n_accounts", "n_churn_events", "snapshots"):
        assert key in out
    assert out["auc_ci"][0] < out["auc"] < out["auc_ci"][1]
    assert len(out["snapshots"]) == 12
    # each stakeholder signal alone beside the components, with what it rests on
    assert [row["component"] for row in out["signals"]] == list(SIGNALS)
    assert all(row["raised_churned"] <= row["raised"] <= row["known"] for row in out["signals"])
    reliability = out["reliability"]  # the calibration table with its largest gap
    assert reliability["deciles"] == out["calibration"]
    gaps = [abs(r["predicted"] - r["observed"]) for r in out["calibration"]]
    assert reliability["largest_gap"] == (pytest.approx(max(gaps)) if gaps else None)
    for row in out["calibration"]:  # each decile with its interval and what it rests on
        assert row["low"] <= row["observed"] <= row["high"]
        assert 0 < row["accounts"] <= row["n"] and row["churned_accounts"] <= row["accounts"]
        assert row["judged"] == (row["high"] - row["low"] <= 0.10 + 1e-12)
    judged = [abs(r["predicted"] - r["observed"]) for r in out["calibration"] if r["judged"]]
    assert reliability["largest_judged_gap"] == (pytest.approx(max(judged)) if judged else None)
    assert reliability["not_judged"] == [r["decile"] for r in out["calibration"] if not r["judged"]]
    timed = out["survival"]  # time to churn, out of time: a concordance inside its interval
    if timed["concordance"] is not None:
        assert timed["concordance_ci"][0] <= timed["concordance"] <= timed["concordance_ci"][1]
    else:
        assert timed["note"]
    card = tmp_path / "weak.toml"
    card.write_text('name = "weak"\n[weights]\nengagement = 1\n')
    weak = json.loads(
        subprocess.run(
            [
                sys.executable,
                "-m",
                "dashboard.cli",
                "backtest",
                "--scorecard",
                str(card),
                "--json",
                "--horizon",
                "180",
            ],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    assert weak["scorecard"] == "weak" and weak["horizon_days"] == 180 and weak["auc"] < out["auc"]
    bad = subprocess.run(
        [sys.executable, "-m", "dashboard.cli", "backtest", "--scorecard", "nope"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and "no scorecard named 'nope'" in bad.stderr


def test_the_nightly_job_keeps_the_past_snapshots_the_lab_and_the_forecast_read(
    demo_stores: Stores,
):
    store = demo_stores.sources
    held = set(store.query("SELECT DISTINCT as_of FROM snapshot_features")["as_of"].to_list())
    for horizon in (90, 180):
        assert set(backtest_dates(store, horizon)) <= held
    # read from the mart, the snapshots equal the ones the feature query builds
    dates = backtest_dates(store, 90)
    assert_frame_equal(point_in_time_features(store, dates), features_at(store, dates))
    kept = backtest_snapshots(store, 90)
    assert kept.labelled.height > 1000 and kept.dates == dates


def test_the_published_scores_say_the_churn_before_the_renewal_date(demo_stores: Stores):
    found = demo_stores.sources.query(
        "SELECT band, days_to_renewal, churn_probability, p_churn_before_renewal AS p "
        "FROM account_scores"
    )
    known = found.filter(pl.col("p").is_not_null())
    assert found["churn_probability"].is_not_null().any()  # the demo's history calibrates
    assert known.height > 0.9 * found.height  # unknown only without a renewal date ahead
    assert known["p"].is_between(0, 1).all()
    assert (known["days_to_renewal"] >= 0).all()
    by_band = dict(known.group_by("band").agg(pl.col("p").mean()).iter_rows())
    assert by_band["red"] > by_band["yellow"] > by_band["green"]


def test_a_change_to_the_source_data_drops_the_kept_snapshots(tmp_path):
    from dashboard.ingest.demo import DemoSpec, load_demo
    from dashboard.jobs.refresh import refresh

    stores = Stores.open(tmp_path)
    load_demo(stores.sources, DemoSpec(accounts=60, seed=4, anchor=dt.date(2026, 6, 30)))
    refresh(stores, dt.date(2026, 6, 30), tmp_path, digests=False)
    dates = backtest_dates(stores.sources, 90)
    before = point_in_time_features(stores.sources, dates)
    with stores.sources.writer() as writer:  # a late usage burst, before every snapshot
        accounts = writer.query("SELECT account_id FROM accounts")["account_id"]
        writer.append(
            "usage_events",
            pl.DataFrame(
                {
                    "account_id": accounts,
                    "occurred_at": [dt.datetime.combine(dates[0], dt.time()) - dt.timedelta(days=1)]
                    * len(accounts),
                    "user_id": ["new-user"] * len(accounts),
                    "quantity": [500] * len(accounts),
                }
            ),
        )
    tables = stores.sources.query("SELECT table_name FROM information_schema.tables")
    assert "snapshot_features" not in tables["table_name"].to_list()
    after = point_in_time_features(stores.sources, dates)  # rebuilt from the new data
    assert_frame_equal(after, features_at(stores.sources, dates))
    first = pl.col("as_of") == dates[0]
    assert (
        after.filter(first)["events_last_30d"].sum() > before.filter(first)["events_last_30d"].sum()
    )
    refresh(stores, dt.date(2026, 6, 30), tmp_path, digests=False)  # kept again
    tables = stores.sources.query("SELECT table_name FROM information_schema.tables")
    assert "snapshot_features" in tables["table_name"].to_list()


def test_kept_snapshots_are_read_only_when_this_feature_query_built_them(tmp_path):
    from dashboard.ingest.demo import DemoSpec, load_demo
    from dashboard.jobs.refresh import refresh
    from dashboard.store.features import FEATURES_VERSION

    stores = Stores.open(tmp_path)
    load_demo(stores.sources, DemoSpec(accounts=60, seed=5, anchor=dt.date(2026, 6, 30)))
    refresh(stores, dt.date(2026, 6, 30), tmp_path, digests=False)
    dates = backtest_dates(stores.sources, 90)
    with stores.sources.writer() as writer:  # mark the kept rows, as only a read would show
        writer.con.execute("UPDATE snapshot_features SET events_last_30d = -1")
    assert (point_in_time_features(stores.sources, dates)["events_last_30d"] == -1).all()
    with stores.sources.writer() as writer:  # as if an older Tandem had built them
        writer.set_meta("snapshot_features_version", "older")
    rebuilt = point_in_time_features(stores.sources, dates)
    assert (rebuilt["events_last_30d"] >= 0).all()
    assert FEATURES_VERSION != "older"


def test_the_kept_snapshots_hold_what_a_health_score_reads(demo_stores: Stores):
    snapshots = backtest_snapshots(demo_stores.sources, 90)
    full = features_at(demo_stores.sources, snapshots.dates)
    assert snapshots.labelled.width < full.width
    edited = default_scorecard().model_copy(
        update={
            "params": default_scorecard().params.model_copy(
                update={"adoption_target": 0.5, "support_csat_weight": 0.0}
            )
        }
    )
    for card in (default_scorecard(), edited):
        kept = health_scores(snapshots.labelled, card)["health"]
        assert kept.equals(health_scores(full, card)["health"])


@pytest.mark.parametrize("seed", [1, 2])
def test_the_churn_curve_is_the_maximum_likelihood_logistic_fit(seed):
    from sklearn.linear_model import LogisticRegression

    from scoring.churn_risk import fit_churn_model, reliability

    rng = np.random.default_rng(seed)
    health = rng.uniform(0, 100, 5000)
    churned = rng.random(5000) < 1 / (1 + np.exp(-(1.5 - 0.06 * health)))
    frame = pl.DataFrame(
        {"account_id": [f"a{i}" for i in range(5000)], "health": health, "churned": churned}
    )
    model = fit_churn_model(frame, 90)
    reference = LogisticRegression(C=np.inf, tol=1e-10, max_iter=10_000).fit(
        health.reshape(-1, 1), churned
    )
    assert model.slope == pytest.approx(reference.coef_[0][0], rel=1e-4)
    assert model.intercept == pytest.approx(reference.intercept_[0], rel=1e-4)
    assert model.slope == pytest.approx(-0.06, abs=0.01)  # the curve that made the data
    table = reliability(frame.with_columns(churn_probability=model.probability()))
    assert table["n"].sum() == 5000 and table["predicted"].is_sorted()
    assert (table["predicted"] - table["observed"]).abs().max() < 0.06  # calibrated per decile


def test_the_nightly_job_offers_a_calibrated_scorecard_and_never_activates_it(portfolios, tmp_path):
    from dashboard.jobs.refresh import refresh

    stores = portfolios["signal outside usage"]
    anchor = dt.date(2026, 1, 1)  # the demo's default anchor
    result = refresh(stores, anchor, tmp_path, digests=False, calibrate=True)
    assert result.calibrated.startswith("saved 'calibrated 2026-01-01'"), result.calibrated
    saved = saved_scorecards(stores.app).filter(pl.col("name") == "calibrated 2026-01-01")
    assert saved.height == 1 and not saved["active"][0]
    assert saved["created_by"][0] == "Tandem (nightly calibration)"
    assert active_scorecard(stores.app).name == "default"  # a person activates it, or nobody
    again = refresh(stores, anchor, tmp_path, digests=False, calibrate=True)
    assert "saved already" in again.calibrated


def test_the_backtest_says_how_many_churns_carry_no_date(tmp_path):
    """Given a demo history where 3 churned accounts lose their churn outcome (a churn flag
    with no date), expect the lab's backtest to say "not computable: 3 churned accounts carry
    no date" and leave them out of the labels, like the Portfolio's NRR and GRR."""
    from dashboard.ingest.demo import DemoSpec, load_demo

    stores = Stores.open(tmp_path)
    load_demo(stores.sources, DemoSpec(accounts=80, seed=9, anchor=dt.date(2026, 6, 30)))
    with stores.sources.writer() as writer:
        writer.execute(
            "DELETE FROM outcomes WHERE event = 'churned' AND account_id IN (SELECT account_id"
            " FROM accounts WHERE status = 'churned' ORDER BY account_id LIMIT 3)"
        )
    card = default_scorecard()
    snapshots = backtest_snapshots(stores.sources, 90)
    assert snapshots.undated_churns == 3
    report = backtest_report(
        compare_on_snapshots(snapshots, card, card), card.name, card.name, True
    )
    assert "not computable: 3 churned accounts carry no date" in report.caption
