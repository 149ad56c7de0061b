"""The CSM-AM handoff workflow: impossible moves refused, concurrent sessions lose no step."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import polars as pl
import pytest

from dashboard.jobs.digests import build_digests, file_stem, write_digest_files
from dashboard.store import AppStore
from dashboard.workflows import handoffs as h
from scoring.digests import chairs_rows

NOW = dt.datetime(2026, 11, 22, 10)


@pytest.fixture
def app(tmp_path) -> AppStore:
    return AppStore(tmp_path)


def _flag(app: AppStore, account: str = "ACC-1", kind: str = "expansion", at=NOW) -> str:
    return h.flag(app, account, kind, "seat utilisation 92 %", "Cleo CSM", "csm", now=at)


def test_the_whole_expansion_path_is_recorded_with_who_role_and_when(app):
    hid = _flag(app)
    for i, state in enumerate(["qualified", "proposal", "won"], start=1):
        step = h.advance(
            app,
            hid,
            state,
            "Avery AM",
            "am",
            from_state=["flagged", "qualified", "proposal"][i - 1],
            account_has_am=True,
            note=f"step {state}",
            now=NOW + dt.timedelta(days=i),
        )
        assert step == i + 1
    history = h.handoff_history(app, "ACC-1")
    assert history["state"].to_list() == ["flagged", "qualified", "proposal", "won"]
    assert history["role"].to_list() == ["csm", "am", "am", "am"]
    assert history["actor"].to_list() == ["Cleo CSM", "Avery AM", "Avery AM", "Avery AM"]
    assert history["stepped_at"].is_sorted()
    assert h.handoffs(app)["state"].to_list() == ["won"]


def test_won_before_qualified_is_refused_with_the_path(app):
    hid = _flag(app)
    with pytest.raises(
        h.HandoffError, match="from 'flagged' to 'won'.*flagged → qualified → proposal → won"
    ):
        h.advance(
            app, hid, "won", "Avery AM", "am", from_state="flagged", account_has_am=True, now=NOW
        )
    assert h.handoffs(app)["state"].to_list() == ["flagged"]
    assert h.handoff_history(app, "ACC-1").height == 1


def test_an_am_step_on_an_account_without_am_goes_to_the_unmanaged_middle(app):
    hid = _flag(app)
    with pytest.raises(h.HandoffError, match="has no AM.*Unmanaged middle"):
        h.advance(
            app,
            hid,
            "qualified",
            "Someone",
            "am",
            from_state="flagged",
            account_has_am=False,
            now=NOW,
        )


def test_roles_take_only_their_own_steps(app):
    with pytest.raises(h.HandoffError, match="flagged by the account's CSM"):
        h.flag(app, "ACC-1", "expansion", "evidence", "Avery AM", "am", now=NOW)
    with pytest.raises(h.HandoffError, match="evidence"):
        h.flag(app, "ACC-1", "expansion", "  ", "Cleo CSM", "csm", now=NOW)
    hid = _flag(app)
    with pytest.raises(h.HandoffError, match="AM's step, not the CSM's"):
        h.advance(
            app,
            hid,
            "qualified",
            "Cleo CSM",
            "csm",
            from_state="flagged",
            account_has_am=True,
            now=NOW,
        )
    with pytest.raises(h.HandoffError, match="already has an open expansion handoff"):
        _flag(app)
    # a risk goes the other way: the CSM flags it, the AM puts a plan in place
    risk = _flag(app, kind="risk")
    h.advance(
        app,
        risk,
        "plan",
        "Avery AM",
        "am",
        from_state="flagged",
        account_has_am=True,
        note="two-year term",
        now=NOW,
        risk={
            "reason": "price",
            "owner": "Avery AM",
            "next_step": "offer the two-year term",
            "due_on": NOW.date() + dt.timedelta(days=7),
        },
    )
    assert set(h.handoffs(app)["kind"]) == {"expansion", "risk"}


def test_a_stale_session_is_told_what_happened_instead_of_overwriting(app):
    hid = _flag(app)
    h.advance(
        app, hid, "qualified", "Avery AM", "am", from_state="flagged", account_has_am=True, now=NOW
    )
    # a second session still showing "flagged" tries the same step
    with pytest.raises(h.HandoffError, match="now 'qualified': Avery AM \\(AM\\) moved it"):
        h.advance(
            app, hid, "lost", "Other AM", "am", from_state="flagged", account_has_am=True, now=NOW
        )
    assert h.handoff_history(app, "ACC-1")["state"].to_list() == ["flagged", "qualified"]


def test_two_sessions_changing_handoffs_at_once_lose_no_step(tmp_path):
    # two AppStore objects = two sessions with their own connections to the same file
    first, second = AppStore(tmp_path), AppStore(tmp_path)
    ids = [_flag(first, f"ACC-{i}") for i in range(12)]
    errors: list[Exception] = []

    def session(store: AppStore, name: str) -> None:
        for hid in ids:
            for source, target in (("flagged", "qualified"), ("qualified", "proposal")):
                try:
                    h.advance(
                        store,
                        hid,
                        target,
                        name,
                        "am",
                        from_state=source,
                        account_has_am=True,
                        now=NOW,
                    )
                except h.HandoffError:
                    pass  # the other session took this step first: refused, not lost
                except Exception as exc:
                    errors.append(exc)

    threads = [
        threading.Thread(target=session, args=(s, n)) for s, n in ((first, "A"), (second, "B"))
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    steps = first.query("SELECT handoff_id, step, state FROM handoff_steps ORDER BY ALL")
    per_handoff = steps.group_by("handoff_id").agg(pl.col("state"), pl.col("step"))
    assert per_handoff.height == 12
    for row in per_handoff.iter_rows(named=True):
        assert row["state"] == ["flagged", "qualified", "proposal"]
        assert row["step"] == [1, 2, 3]
    assert set(first.query("SELECT state FROM handoffs")["state"]) == {"proposal"}


def test_fallen_between_the_chairs_and_in_the_digests(app, tmp_path):
    today = NOW.date()
    _flag(app, "ACC-old", at=NOW - dt.timedelta(days=20))
    _flag(app, "ACC-new", at=NOW - dt.timedelta(days=3))
    answered = _flag(app, "ACC-answered", at=NOW - dt.timedelta(days=20))
    h.advance(
        app,
        answered,
        "qualified",
        "Avery AM",
        "am",
        from_state="flagged",
        account_has_am=True,
        now=NOW,
    )
    ids = ["ACC-old", "ACC-new", "ACC-answered", "ACC-ready", "ACC-fresh"]
    accounts = pl.DataFrame(
        {
            "account_id": ids,
            "account_name": [i.lower() for i in ids],
            "csm_owner": ["Cleo"] * 5,
            "am_owner": ["Avery"] * 5,
            "arr": [1000.0] * 5,
            "health": [80.0] * 5,
            "band": ["green"] * 5,
            "days_to_renewal": [200] * 5,
        }
    )
    candidates = accounts.with_columns(
        expansion_ready=pl.lit(True),
        ready_30d_ago=pl.Series([True, True, True, True, False]),
        triggers_fired=pl.lit("seat utilisation ≥ 80%"),
    )
    stalled, unflagged = h.between_the_chairs(accounts, candidates, h.handoffs(app), today)
    assert stalled["account_id"].to_list() == ["ACC-old"]
    assert stalled["days_waiting"].to_list() == [20]
    assert unflagged["account_id"].to_list() == ["ACC-ready"]  # ACC-fresh: ready < 30 days
    rows = chairs_rows(stalled, unflagged)
    scored = accounts.with_columns(
        band=pl.lit("green"),
        health_falling=pl.lit(False),
        risk_before_deadline=pl.lit(False),
        expansion_ready=pl.lit(False),
        invoices_overdue=pl.lit(0),
        top_cause=pl.lit(None, pl.String),
        csm_next=pl.lit(None, pl.String),
        am_next=pl.lit(None, pl.String),
        max_days_past_due=pl.lit(0),
        expansion_window=pl.lit("now"),
        triggers_fired=pl.lit(None, pl.String),
        top_action=pl.lit(None, pl.String),
    )
    owners = pl.DataFrame({"owner": ["Lee"], "role": ["leader"]})
    write_digest_files(build_digests(scored, owners, today, rows), tmp_path)
    am = (tmp_path / f"{file_stem('Avery')}-am.md").read_text()
    csm = (tmp_path / f"{file_stem('Cleo')}-csm.md").read_text()
    assert "acc-old" in am and "flagged by Cleo CSM 20 days ago" in am and "acc-ready" not in am
    assert "acc-ready" in csm and "never flagged" in csm and "acc-old" not in csm
    leader = (tmp_path / f"{file_stem('Lee')}-leader.md").read_text()
    assert "acc-old" in leader and "acc-ready" in leader


def test_sessions_flagging_the_same_account_at_once_open_one_handoff(tmp_path):
    # the check for an open handoff and the insert are one transaction, and transactions on
    # the app store take turns (one lock per file in a process, DuckDB's file lock across)
    sessions = [AppStore(tmp_path) for _ in range(6)]
    outcomes: list[str] = []
    start = threading.Barrier(len(sessions))

    def session(store: AppStore) -> None:
        start.wait()
        try:
            _flag(store, "ACC-RACE")
            outcomes.append("opened")
        except h.HandoffError as exc:
            outcomes.append(str(exc))

    threads = [threading.Thread(target=session, args=(s,)) for s in sessions]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("opened") == 1
    assert all("already has an open expansion handoff" in o for o in outcomes if o != "opened")
    rows = sessions[0].query("SELECT count(*) AS n FROM handoffs WHERE account_id = 'ACC-RACE'")
    assert rows["n"][0] == 1


def _flag_in_another_process(data_dir: str, start_at: float) -> str:
    import time

    store = AppStore(Path(data_dir))
    time.sleep(max(0.0, start_at - time.time()))
    try:
        _flag(store, "ACC-RACE")
        return "opened"
    except h.HandoffError as exc:
        return str(exc)


def test_processes_flagging_the_same_account_at_once_open_one_handoff(tmp_path):
    import multiprocessing
    import time

    AppStore(tmp_path)  # created and migrated before the race
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(3) as pool:
        start_at = time.time() + 4  # after every process has imported Tandem
        outcomes = pool.starmap(_flag_in_another_process, [(str(tmp_path), start_at)] * 3)
    assert outcomes.count("opened") == 1, outcomes
    rows = AppStore(tmp_path).query("SELECT count(*) AS n FROM handoffs")
    assert rows["n"][0] == 1


PLAN = {
    "reason": "champion left",
    "owner": "Avery AM",
    "next_step": "meet the new VP",
    "due_on": NOW.date() + dt.timedelta(days=5),
}


def _risk_step(app: AppStore, hid: str, target: str, start: str, at: dt.datetime, risk=PLAN):
    return h.advance(
        app, hid, target, "Avery AM", "am", from_state=start, account_has_am=True, now=at, risk=risk
    )


def test_a_risk_is_worked_from_flagged_to_saved_with_reason_owner_and_next_step(app):
    """flagged -> plan in place -> saving -> saved; each step from the plan on keeps its
    reason, owner, next step and due date (issue 26 point 4)."""
    hid = _flag(app, kind="risk")
    _risk_step(app, hid, "plan", "flagged", NOW + dt.timedelta(days=1))
    saving = {**PLAN, "next_step": "exec sponsor call", "due_on": NOW.date() + dt.timedelta(days=9)}
    _risk_step(app, hid, "saving", "plan", NOW + dt.timedelta(days=3), saving)
    _risk_step(app, hid, "saved", "saving", NOW + dt.timedelta(days=8), {"reason": "champion left"})
    assert h.handoff_history(app, "ACC-1")["state"].to_list() == [
        "flagged",
        "plan",
        "saving",
        "saved",
    ]
    kept = h.risk_steps(app, [hid], unmask=True)
    assert kept.select("step", "reason", "owner", "next_step", "due_on").rows() == [
        (2, "champion left", "Avery AM", "meet the new VP", dt.date(2026, 11, 27)),
        (3, "champion left", "Avery AM", "exec sponsor call", dt.date(2026, 12, 1)),
        (4, "champion left", None, None, None),
    ]
    assert h.handoffs(app)["state"].to_list() == ["saved"]
    # a saved risk is over: no step leaves it, and a new risk may be flagged
    assert h.next_steps("risk", "saved") == {}
    _flag(app, kind="risk", at=NOW + dt.timedelta(days=9))


@pytest.mark.parametrize(
    ("target", "risk", "message"),
    [
        ("plan", None, "pick the risk's reason from the list"),
        ("plan", {**PLAN, "reason": "vibes"}, "pick the risk's reason from the list"),
        ("plan", {**PLAN, "owner": " "}, "name the owner"),
        ("plan", {**PLAN, "next_step": ""}, "write the next step"),
        ("plan", {**PLAN, "due_on": None}, "give the next step a due date"),
        ("plan", {**PLAN, "due_on": NOW.date() - dt.timedelta(days=1)}, "today .2026-11-22. or"),
        ("lost", {"reason": ""}, "pick the risk's reason from the list"),
        ("weighed", PLAN, "cannot move a risk handoff from 'flagged' to 'weighed'"),
    ],
)
def test_a_risk_step_without_its_reason_owner_or_next_step_records_nothing(
    app, target, risk, message
):
    hid = _flag(app, kind="risk")
    with pytest.raises(h.HandoffError, match=message):
        _risk_step(app, hid, target, "flagged", NOW, risk)
    assert h.handoff_history(app, "ACC-1")["state"].to_list() == ["flagged"]
    assert h.risk_steps(app).is_empty()


def test_a_risk_weighed_before_the_lifecycle_is_worked_on_as_a_plan(app):
    hid = _flag(app, kind="risk")
    with app.transaction() as con:  # as an older Tandem recorded it
        from dashboard.store import handoff_log as log

        log.insert_step(con, hid, 2, "weighed", "Avery AM", "am", "two-year term", NOW)
        log.set_state(con, hid, "weighed", NOW)
    assert "weighed" in h.OPEN_STATES["risk"]
    _risk_step(app, hid, "lost", "weighed", NOW + dt.timedelta(days=2), {"reason": "budget cut"})
    assert h.handoffs(app)["state"].to_list() == ["lost"]


def test_an_overdue_risk_step_goes_to_its_owner_then_after_a_week_to_the_leaders(app, tmp_path):
    """A risk's next step due 2026-11-20 is 2 days late on 2026-11-22: in the AM's digest, not
    the leader's; one due 2026-11-12 (10 days late) in both; one due today in neither."""
    from dashboard.views.risks import overdue_risks

    today = NOW.date()
    dues = {"ACC-2late": 2, "ACC-10late": 10, "ACC-today": 0}
    for account, late in dues.items():
        hid = _flag(app, account, kind="risk", at=NOW - dt.timedelta(days=30))
        plan = {**PLAN, "owner": "Avery", "due_on": today - dt.timedelta(days=late)}
        # the plan was put in place when its due date was still ahead
        _risk_step(app, hid, "plan", "flagged", NOW - dt.timedelta(days=late + 1), plan)
    ids = list(dues)
    scored = pl.DataFrame(
        {
            "account_id": ids,
            "account_name": [i.lower() for i in ids],
            "csm_owner": ["Cleo"] * 3,
            "am_owner": ["Avery"] * 3,
            "arr": [1000.0] * 3,
            "health": [40.0] * 3,
            "band": ["green"] * 3,
            "days_to_renewal": [60] * 3,
            "health_falling": [False] * 3,
            "risk_before_deadline": [False] * 3,
            "expansion_ready": [False] * 3,
            "invoices_overdue": [0] * 3,
            "top_cause": [None] * 3,
            "csm_next": [None] * 3,
            "am_next": [None] * 3,
            "max_days_past_due": [0] * 3,
            "expansion_window": ["now"] * 3,
            "triggers_fired": [None] * 3,
            "top_action": [None] * 3,
        },
        schema_overrides=dict.fromkeys(
            ("top_cause", "csm_next", "am_next", "triggers_fired", "top_action"), pl.String
        ),
    )
    rows = overdue_risks(app, scored, today)
    assert rows.select("account_id", "role", "to_leader").rows() == [
        ("ACC-10late", "am", True),
        ("ACC-2late", "am", False),
    ]
    assert rows["cause"][1] == "'meet the new VP' was due 2026-11-20 (2 days late), owner Avery"
    owners = pl.DataFrame({"owner": ["Lee"], "role": ["leader"]})
    write_digest_files(build_digests(scored, owners, today, rows), tmp_path)
    am = (tmp_path / f"{file_stem('Avery')}-am.md").read_text()
    leader = (tmp_path / f"{file_stem('Lee')}-leader.md").read_text()
    assert "acc-2late" in am and "acc-10late" in am and "acc-today" not in am
    assert "risk step overdue (plan in place)" in am
    assert "acc-10late" in leader and "acc-2late" not in leader
