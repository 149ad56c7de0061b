"""Success plans (issue 27, point 3): the metrics a goal reads from the data and the status
rule, each on a few hand-made rows at a fixed date; the workflow that writes goals (create,
update, a stale edit refused with who changed it, a viewer refused, bad values refused,
nothing written by a refusal); the plan's exports; the demo's goals; the Account page's and
the weekly sync's panels (AppTest)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.store import Stores
from dashboard.store.audit_log import audit_rows
from dashboard.views import success_plan
from dashboard.workflows import goal_edits
from dashboard.workflows.access import LOCAL, Actor, NotAllowed, Viewer
from scoring import goals as rule
from tests.conftest import TODAY

AS_OF = dt.date(2026, 6, 15)
NOW = dt.datetime(2026, 6, 15, 10, 0)


def at(day: str, hour: int = 9) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour))


ACCOUNTS = pl.DataFrame(
    {
        "account_id": ["a", "b", "c", "d", "e"],
        "licensed_seats": [10, 0, 5, 4, 10],
    }
)
USAGE = pl.DataFrame(
    [
        # a: three users in the 30 days to 2026-06-15 (u1 twice), u4 only before them
        ("a", at("2026-06-14"), "u1", "reports", None),
        ("a", at("2026-06-01"), "u1", "search", None),
        ("a", at("2026-05-20"), "u2", "search", None),
        ("a", at("2026-05-17"), "u3", "search", None),  # the window's first day
        ("a", at("2026-05-16"), "u4", "reports", None),  # the day before it
        ("a", at("2026-06-16"), "u5", "reports", None),  # after the date
        # b: users, but no licensed seats
        ("b", at("2026-06-10"), "u1", "search", None),
        # c: no usage at all
        # d: daily rows that count their users (no user ids): the most a row reports
        ("d", at("2026-06-10"), None, "search", 2),
        ("d", at("2026-06-11"), None, "reports", 3),
        # e: named users, all before the window (a quiet month: 0, not unknown)
        ("e", at("2026-03-01"), "u1", "search", None),
    ],
    schema={
        "account_id": pl.String,
        "occurred_at": pl.Datetime("us"),
        "user_id": pl.String,
        "feature": pl.String,
        "active_users": pl.Int64,
    },
    orient="row",
)


def _by_account(frame: pl.DataFrame) -> dict[str, float | None]:
    return {
        a: (None if v is None else round(v, 4))
        for a, v in frame.select("account_id", "value").rows()
    }


def test_seat_utilisation_given_rows():
    got = _by_account(rule.seat_utilisation(ACCOUNTS, USAGE, AS_OF))
    assert got == {"a": 0.3, "b": None, "c": None, "d": 0.75, "e": 0.0}


def test_feature_adoption_given_rows():
    got = _by_account(rule.feature_adoption(ACCOUNTS, USAGE, "reports", AS_OF))
    # a: u1 of u1, u2, u3; b: its one user never used reports; c and e: no active user
    assert got == {"a": 0.3333, "b": 0.0, "c": None, "d": 1.0, "e": None}


def test_tickets_per_month_given_rows():
    tickets = pl.DataFrame(
        {
            "account_id": ["a"] * 7 + ["b"],
            "created_at": [
                at("2026-06-15", 23),
                at("2026-06-01"),
                at("2026-05-01"),
                at("2026-04-10"),
                at("2026-04-01"),
                at("2026-03-18"),  # the 90-day window's first day
                at("2026-03-17"),  # the day before it
                at("2026-06-16"),  # after the date
            ],
        }
    )
    got = _by_account(rule.tickets_per_month(ACCOUNTS, tickets, AS_OF))
    assert got == {"a": 2.0, "b": 0.0, "c": 0.0, "d": 0.0, "e": 0.0}
    # no ticket source at all: unknown for every account, never 0
    unknown = _by_account(rule.tickets_per_month(ACCOUNTS, None, AS_OF))
    assert unknown == dict.fromkeys("abcde")


def _goal(start, current, target, started: str, due: str) -> dict:
    return {
        "start_value": start,
        "current_value": current,
        "target_value": target,
        "start_on": dt.date.fromisoformat(started),
        "due_on": dt.date.fromisoformat(due),
    }


STATUS_CASES = {
    # reached the target
    "done": _goal(40.0, 80.0, 80.0, "2026-03-01", "2026-09-01"),
    # a goal to lower a value, reached
    "done, lowering": _goal(6.0, 3.0, 3.5, "2026-03-01", "2026-09-01"),
    # half the way after a third of the time
    "on track": _goal(40.0, 60.0, 80.0, "2026-04-15", "2026-09-15"),
    # no movement yet, 10 days in: too early to call it stuck
    "on track, early": _goal(40.0, 40.0, 80.0, "2026-06-05", "2026-12-05"),
    # a goal to lower a value, falling as planned
    "on track, lowering": _goal(6.0, 4.0, 2.0, "2026-04-15", "2026-08-15"),
    # 25 % of the way with 75 % of the time gone (more than 10 points short)
    "behind": _goal(40.0, 50.0, 80.0, "2026-03-16", "2026-07-16"),
    # past the due date, not reached
    "behind, late": _goal(40.0, 75.0, 80.0, "2026-03-01", "2026-06-01"),
    # 45 days in and no progress at all
    "stuck": _goal(40.0, 40.0, 80.0, "2026-05-01", "2026-12-01"),
    # moved away from the target
    "stuck, backwards": _goal(6.0, 8.0, 3.0, "2026-04-01", "2026-12-01"),
    # the current value is unknown
    "no data": _goal(40.0, None, 80.0, "2026-04-01", "2026-12-01"),
}


def test_each_status_from_given_goals():
    frame = pl.DataFrame(list(STATUS_CASES.values()))
    got = rule.goal_status(frame, AS_OF)["status"].to_list()
    assert got == [case.split(",")[0] for case in STATUS_CASES]


def test_progress_and_expected_share_of_time():
    frame = pl.DataFrame([STATUS_CASES["behind"], STATUS_CASES["no data"]])
    out = rule.goal_status(frame, AS_OF)
    assert out["progress"].to_list()[0] == pytest.approx(0.25)
    assert out["expected"].to_list()[0] == pytest.approx(91 / 122)
    assert out["progress"].to_list()[1] is None  # unknown, never 0 %


# -- the workflow ------------------------------------------------------------------------------
ACCOUNT = {"account_id": "acc-1", "csm_owner": "Casey CSM", "am_owner": "Avery AM"}
CSM = Viewer("Casey CSM", "csm", "casey@x")
AM = Viewer("Avery AM", "am", "avery@x")


def _create(app, viewer=CSM, **changes) -> str:
    values = {
        "title": "Admins trained",
        "metric": "manual",
        "unit": "admins",
        "start_value": 0.0,
        "current_value": 1.0,
        "target_value": 6.0,
        "owner": "Avery AM",
        "due_on": dt.date(2026, 8, 1),
        "now": NOW,
    }
    return goal_edits.create_goal(app, viewer, ACCOUNT, **{**values, **changes})


def _update(app, goal_id, viewer=AM, seen_version=1, **changes) -> int:
    values = {
        "title": "Admins trained",
        "current_value": 3.0,
        "target_value": 6.0,
        "owner": "Avery AM",
        "due_on": dt.date(2026, 8, 1),
        "now": NOW + dt.timedelta(hours=1),
    }
    return goal_edits.update_goal(
        app, viewer, ACCOUNT, goal_id, seen_version=seen_version, **{**values, **changes}
    )


def _written(app) -> tuple[int, int]:
    """(goal versions stored, goal audit rows)."""
    versions = app.query(
        "SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'goal_versions'"
    )["n"][0]
    n = app.query("SELECT count(*) AS n FROM goal_versions")["n"][0] if versions else 0
    return n, audit_rows(app, "goal %").height


def test_create_then_update_keeps_every_version_audited(empty_stores: Stores):
    app = empty_stores.app
    goal_id = _create(app)
    assert _update(app, goal_id) == 2
    goal = goal_edits.goals(app).row(0, named=True)
    assert (goal["version"], goal["current_value"], goal["created_by"]) == (2, 3.0, "Casey CSM")
    assert (goal["edited_by"], goal["edited_role"], goal["owner_role"]) == ("Avery AM", "am", "am")
    assert goal["start_on"] == NOW.date()
    history = goal_edits.goal_history(app, goal_id)
    assert history.select("version", "current_value", "edited_by").rows() == [
        (1, 1.0, "Casey CSM"),
        (2, 3.0, "Avery AM"),
    ]
    audit = audit_rows(app, "goal %").sort("logged_at")
    assert audit.select("actor", "action", "subject").rows() == [
        ("Casey CSM", "goal create", "acc-1"),
        ("Avery AM", "goal edit", "acc-1"),
    ]
    change = json.loads(audit["detail"][1])
    assert (change["old"]["current_value"], change["new"]["current_value"]) == ("1.0", "3.0")


def test_a_stale_edit_is_refused_saying_who_changed_it_when_to_what(empty_stores: Stores):
    app = empty_stores.app
    goal_id = _create(app)
    _update(app, goal_id, viewer=AM, current_value=4.0)  # the AM's tab
    before = _written(app)
    with pytest.raises(goal_edits.GoalChanged) as refused:  # the CSM's tab, still on version 1
        _update(app, goal_id, viewer=CSM, seen_version=1, current_value=2.0)
    message = str(refused.value)
    assert "this goal changed since you saw it: Avery AM (AM)" in message
    assert (
        "set it to 'Admins trained' (target 6 admins, current 4 admins, owner Avery AM" in message
    )
    assert "at 2026-06-15 11:00" in message and "Nothing was recorded" in message
    assert _written(app) == before
    assert goal_edits.goals(app)["current_value"].to_list() == [4.0]


@pytest.mark.parametrize(
    "viewer",
    [
        Viewer("Lee Leader", "leader"),
        Viewer("Olive Ops", "ops"),
        Viewer("Other CSM", "csm"),  # another book's owner
    ],
)
def test_a_viewer_cannot_edit(empty_stores: Stores, viewer: Viewer):
    app = empty_stores.app
    with pytest.raises(NotAllowed, match="only the account's CSM or AM edits"):
        _create(app, viewer=viewer)
    assert _written(app) == (0, 0)
    goal_id = _create(app)
    before = _written(app)
    with pytest.raises(NotAllowed):
        _update(app, goal_id, viewer=viewer)
    assert _written(app) == before


def test_the_local_user_edits_as_the_owner_they_pick(empty_stores: Stores):
    app = empty_stores.app
    with pytest.raises(NotAllowed, match="say who you are"):
        _create(app, viewer=LOCAL)
    with pytest.raises(NotAllowed, match="not as Someone Else"):
        _create(app, viewer=LOCAL, acting_as=Actor("Someone Else", "csm"))
    assert _written(app) == (0, 0)
    goal_id = _create(app, viewer=LOCAL, acting_as=Actor("Avery AM", "am"))
    assert goal_edits.goals(app).row(0, named=True)["edited_by"] == "Avery AM"
    # a signed-in CSM cannot pass for the AM
    with pytest.raises(NotAllowed):
        _update(app, goal_id, viewer=CSM, acting_as=Actor("Avery AM", "am"))


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"title": "  "}, "name the goal"),
        ({"target_value": 0.0}, "the target is the start value"),
        ({"target_value": None}, "give the target"),
        ({"target_value": float("nan")}, "the target must be a number"),
        ({"owner": "Someone Else"}, "the goal's owner is the account's CSM or its AM"),
        ({"due_on": dt.date(2026, 6, 1)}, "must come after the start"),
        ({"metric": "nps"}, "unknown metric 'nps'"),
        ({"metric": "feature_adoption", "target_value": 50.0}, "name the feature"),
        ({"metric": "seat_utilisation", "start_value": 40.0, "target_value": 120.0}, "0 to 100"),
    ],
)
def test_bad_values_are_refused_and_nothing_is_written(empty_stores: Stores, changes, words):
    with pytest.raises(ValueError, match=words):
        _create(empty_stores.app, **changes)
    assert _written(empty_stores.app) == (0, 0)


def test_an_edit_of_a_goal_on_another_account_is_refused(empty_stores: Stores):
    app = empty_stores.app
    goal_id = _create(app)
    other = {**ACCOUNT, "account_id": "acc-2"}
    with pytest.raises(ValueError, match="there is no goal"):
        goal_edits.update_goal(
            app,
            CSM,
            other,
            goal_id,
            seen_version=1,
            title="x",
            target_value=5.0,
            owner="Casey CSM",
            due_on=dt.date(2026, 8, 1),
            now=NOW,
        )
    assert _written(app)[0] == 1


# -- on the demo -------------------------------------------------------------------------------
def test_the_demo_has_goals_of_every_kind_and_their_statuses(demo_stores: Stores):
    goals = goal_edits.goals(demo_stores.app)
    assert set(goals["metric"]) >= {"seat_utilisation", "tickets_per_month", "manual"}
    assert goals.filter(pl.col("version") > 1).height >= 1  # updated since it was set
    from dashboard.store.marts import largest_pairs

    top = largest_pairs(demo_stores.sources, 1).row(0, named=True)
    pair = f"{top['csm_owner']} + {top['am_owner']}"
    shown = success_plan.pair_goals(demo_stores, pair, TODAY)
    statuses = shown["status"].to_list()
    order = {s: i for i, s in enumerate(rule.STATUSES)}
    assert [order[s] for s in statuses] == sorted(order[s] for s in statuses)  # behind first
    assert "done" in statuses and any(s in ("behind", "stuck") for s in statuses)


def test_a_data_goal_reads_its_current_value_from_the_canonical_tables(demo_stores: Stores):
    """The seat utilisation shown is the account's distinct users in the 30 days to the
    data's date ÷ its licensed seats, counted here in SQL."""
    goal = (
        goal_edits.goals(demo_stores.app)
        .filter(pl.col("metric") == "seat_utilisation")
        .row(0, named=True)
    )
    plan = success_plan.account_plan(demo_stores, goal["account_id"], TODAY)
    shown = plan.goals.filter(pl.col("goal_id") == goal["goal_id"]).row(0, named=True)
    counted = demo_stores.sources.query(
        "SELECT count(DISTINCT user_id) / any_value(a.licensed_seats) * 100 AS v"
        " FROM usage_events u JOIN accounts a USING (account_id) WHERE account_id = $id"
        " AND occurred_at >= $d::DATE - 29 AND occurred_at < $d::DATE + 1",
        {"id": goal["account_id"], "d": plan.as_of},
    )["v"][0]
    assert shown["current_value"] == pytest.approx(round(counted, 1))
    assert shown["current_shown"] == f"{round(counted, 1):g} %"


def test_the_plan_exports_read_like_the_page_and_escape_what_people_typed(
    demo_dir: Path, tmp_path: Path
):
    stores = Stores.open(_demo_copy(demo_dir, tmp_path))
    goal = goal_edits.goals(stores.app).filter(pl.col("metric") == "manual").row(0, named=True)
    account = stores.sources.query(
        "SELECT account_id, csm_owner, am_owner FROM accounts WHERE account_id = $id",
        {"id": goal["account_id"]},
    ).row(0, named=True)
    goal_edits.create_goal(
        stores.app,
        LOCAL,
        account,
        title="<script>x</script> [win](http://evil.example) mail ana@corp.example",
        metric="manual",
        unit="teams",
        start_value=1.0,
        target_value=4.0,
        owner=account["csm_owner"],
        due_on=TODAY + dt.timedelta(days=30),
        now=NOW,
        acting_as=Actor(account["csm_owner"], "csm"),
    )
    plan = success_plan.account_plan(stores, account["account_id"], TODAY)
    text = success_plan.plan_markdown(plan)
    assert text.startswith(f"# Success plan — {plan.account_name}")
    assert "| Goal | Measured by | Start | Now | Target | Progress | Owner | Due | Status |" in text
    row = f"| {goal['title']} | Entered by hand | 0 {goal['unit']} | "
    assert row in text and goal["goal_id"] not in text
    assert "ana@corp.example" not in text and "http://" not in text
    assert "| 1 teams | 1 teams | 4 teams | 0% |" in text
    page = success_plan.plan_html(plan)
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert f"<h1>Success plan — {plan.account_name}</h1>" in page
    assert "<td>Entered by hand</td><td>1 teams</td><td>1 teams</td><td>4 teams</td>" in page


# -- the panels (AppTest) ----------------------------------------------------------------------
APP = "../dashboard/app.py"


def _plain(shown: str) -> str:
    """A message as read on screen (the Markdown escapes gone)."""
    return shown.replace("\\", "")


def _goal_table(at: AppTest):
    """The goals table on the page (the one with the goals' columns)."""
    (table,) = [d.value for d in at.dataframe if "measure" in d.value.columns]
    return table


def _demo_copy(demo_dir: Path, tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(demo_dir, data)
    return data


def test_the_account_page_adds_and_updates_a_goal(demo_dir: Path, tmp_path: Path, app_data_dir):
    data = app_data_dir(_demo_copy(demo_dir, tmp_path))
    stores = Stores.open(data)
    account = stores.sources.query(
        "SELECT account_id, csm_owner, am_owner FROM account_scores WHERE csm_owner IS NOT NULL"
        " AND am_owner IS NOT NULL AND account_id NOT IN"
        " (SELECT unnest($busy::VARCHAR[])) ORDER BY account_id LIMIT 1",
        {"busy": goal_edits.goals(stores.app)["account_id"].to_list()},
    ).row(0, named=True)
    aid = account["account_id"]
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.query_params["account"] = aid
    at.switch_page("../pages/account.py").run()
    assert not at.exception
    assert any("No goal yet" in c.value for c in at.caption)
    key = f"goals_{aid}"
    at.selectbox(key=f"{key}_metric").select("manual").run()
    form = f"{key}_new_manual_None"
    at.text_input(key=f"{form}_title").input("Admins trained")
    at.text_input(key=f"{form}_unit").input("admins")
    at.number_input(key=f"{form}_current").set_value(1.0)
    at.number_input(key=f"{form}_target").set_value(5.0)
    at.button[[b.label for b in at.button].index("Add the goal")].click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("Goal added: Admins trained" in _plain(s.value) for s in at.success)
    goal = goal_edits.goals(Stores.open(data).app, [aid]).row(0, named=True)
    assert (goal["current_value"], goal["target_value"], goal["edited_by"]) == (
        1.0,
        5.0,
        account["csm_owner"],  # the local user acted as the first owner offered: the CSM
    )
    table = _goal_table(at)
    assert table["title"].tolist() == ["Admins trained"]
    assert table["status"].tolist() == ["on track"]  # 20 % of the way on its first day
    edit = f"{key}_edit_{goal['goal_id']}_v1"
    at.number_input(key=f"{edit}_current").set_value(5.0)
    at.button[[b.label for b in at.button].index("Save the goal")].click().run()
    assert not at.exception
    assert any("Goal saved: Admins trained (version 2)" in _plain(s.value) for s in at.success)
    assert _goal_table(at)["status"].tolist() == ["done"]
    assert goal_edits.goal_history(Stores.open(data).app, goal["goal_id"]).height == 2
    # a goal read from the data: its start is the value the form showed, read today
    at.selectbox(key=f"{key}_metric").select("seat_utilisation").run()
    start = success_plan.metric_now(Stores.open(data), aid, "seat_utilisation", None, TODAY)
    assert any(f"Start (from the data, today): {start:g} %" in c.value for c in at.caption)
    form = f"{key}_new_seat_utilisation_None"
    at.text_input(key=f"{form}_title").input("Every seat in use")
    at.number_input(key=f"{form}_target").set_value(min(start + 10.0, 100.0))
    at.button[[b.label for b in at.button].index("Add the goal")].click().run()
    assert not at.exception
    seats = goal_edits.goals(Stores.open(data).app, [aid]).filter(
        pl.col("metric") == "seat_utilisation"
    )
    assert seats.select("title", "start_value", "current_value", "unit").row(0) == (
        "Every seat in use",
        start,
        None,  # read from the data, never stored
        "%",
    )
    assert "Every seat in use" in _goal_table(at)["title"].tolist()


def test_a_leader_reads_the_plan_and_cannot_edit_it(demo_stores: Stores):
    goal = goal_edits.goals(demo_stores.app).row(0, named=True)
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["viewer"] = Viewer("Lee Leader", "leader", "lee@x")
    at.run()
    at.query_params["account"] = goal["account_id"]
    at.switch_page("../pages/account.py").run()
    assert not at.exception
    assert any("Only the account's CSM or AM edits" in i.value for i in at.info)
    assert "Save the goal" not in [b.label for b in at.button]
    assert "Add the goal" not in [b.label for b in at.button]
    downloads = [d.proto.label for d in at.get("download_button")]
    assert "Success plan (Markdown)" in downloads


def test_the_sync_reviews_the_pairs_goals_behind_and_stuck_first(demo_stores: Stores):
    from urllib.parse import quote  # noqa: F401  (the page reads the pair from the URL)

    from dashboard.store.marts import largest_pairs

    top = largest_pairs(demo_stores.sources, 1).row(0, named=True)
    pair = f"{top['csm_owner']} + {top['am_owner']}"
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.query_params["pair"] = pair
    at.switch_page("../pages/sync.py").run()
    assert not at.exception, [e.message for e in at.exception]
    table = _goal_table(at)
    expected = success_plan.pair_goals(demo_stores, pair, TODAY)
    assert table["title"].tolist() == expected["title"].to_list()
    assert table["status"].tolist()[0] in ("behind", "stuck")
    late = expected.filter(pl.col("status").is_in(["behind", "stuck"])).height
    assert any(
        f"{late} of {expected.height} goal(s) behind or stuck" in c.value for c in at.caption
    )
    assert "Save the goal" in [b.label for b in at.button]  # the local user edits as the pair


def test_a_privacy_export_holds_every_version_and_an_erasure_removes_them(
    demo_dir: Path, tmp_path: Path
):
    from dashboard.workflows.gdpr import account_data, delete_account

    data = _demo_copy(demo_dir, tmp_path)
    stores = Stores.open(data)
    goal = goal_edits.goals(stores.app).filter(pl.col("version") > 1).row(0, named=True)
    aid = goal["account_id"]
    found = account_data(stores, aid)
    versions = found["goal_versions"]
    assert versions.filter(pl.col("goal_id") == goal["goal_id"])["version"].to_list() == [1, 2]
    done = delete_account(stores, aid, data, NOW)
    assert done.rows["goal_versions"] == versions.height
    assert goal_edits.goals(stores.app, [aid]).is_empty()
    assert goal_edits.goal_history(stores.app, goal["goal_id"]).is_empty()
    assert audit_rows(stores.app, "goal %").filter(pl.col("subject") == aid).is_empty()
    assert goal_edits.goals(stores.app).height > 0  # the other accounts' goals are kept


def test_a_tab_left_open_cannot_overwrite_a_goal(demo_dir: Path, tmp_path: Path, app_data_dir):
    """The Account page shows a goal at version 2; meanwhile the other side changes it (a
    third version); the page's Save is refused with who changed it, and nothing is written."""
    data = app_data_dir(_demo_copy(demo_dir, tmp_path))
    stores = Stores.open(data)
    goal = goal_edits.goals(stores.app).filter(pl.col("version") == 2).row(0, named=True)
    aid = goal["account_id"]
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.query_params["account"] = aid
    at.switch_page("../pages/account.py").run()
    key = f"goals_{aid}"
    at.selectbox(key=f"{key}_pick").select(goal["goal_id"]).run()
    account = stores.sources.query(
        "SELECT account_id, csm_owner, am_owner FROM accounts WHERE account_id = $id", {"id": aid}
    ).row(0, named=True)
    goal_edits.update_goal(  # the other tab
        stores.app,
        Viewer(account["am_owner"], "am"),
        account,
        goal["goal_id"],
        seen_version=2,
        title=goal["title"],
        current_value=5.0,
        target_value=goal["target_value"],
        owner=goal["owner"],
        due_on=goal["due_on"],
        now=NOW,
    )
    edit = f"{key}_edit_{goal['goal_id']}_v2"
    at.number_input(key=f"{edit}_current").set_value(3.0)
    at.button[[b.label for b in at.button].index("Save the goal")].click().run()
    assert not at.exception
    refusal = " ".join(_plain(e.value) for e in at.error)
    assert f"this goal changed since you saw it: {account['am_owner']} (AM)" in refusal
    assert "Nothing was recorded" in refusal
    history = goal_edits.goal_history(Stores.open(data).app, goal["goal_id"])
    assert history["current_value"].to_list()[-1] == 5.0 and history.height == 3


def test_an_app_store_made_before_goals_reads_none_and_gains_the_table_on_first_write(
    empty_stores: Stores,
):
    app = empty_stores.app
    with app.transaction() as con:  # an app store of the version before goals
        con.execute("DROP TABLE goal_versions")
    assert goal_edits.goals(app).is_empty()
    assert goal_edits.goal_history(app, "nope").is_empty()
    goal_id = _create(app)
    assert goal_edits.goals(app)["goal_id"].to_list() == [goal_id]


def test_a_dropped_goal_stays_on_the_account_and_leaves_the_sync_and_the_plan(
    demo_dir: Path, tmp_path: Path
):
    stores = Stores.open(_demo_copy(demo_dir, tmp_path))
    goal = goal_edits.goals(stores.app).filter(pl.col("metric") == "manual").row(0, named=True)
    account = stores.sources.query(
        "SELECT account_id, csm_owner, am_owner FROM accounts WHERE account_id = $id",
        {"id": goal["account_id"]},
    ).row(0, named=True)
    goal_edits.update_goal(
        stores.app,
        Viewer(account["csm_owner"], "csm"),
        account,
        goal["goal_id"],
        seen_version=goal["version"],
        title=goal["title"],
        current_value=goal["current_value"],
        target_value=goal["target_value"],
        owner=goal["owner"],
        due_on=goal["due_on"],
        state="dropped",
        now=NOW,
    )
    plan = success_plan.account_plan(stores, goal["account_id"], TODAY)
    kept = plan.goals.filter(pl.col("goal_id") == goal["goal_id"])
    assert kept["status"].to_list() == ["dropped"]
    assert goal["title"] not in success_plan.plan_markdown(plan)
    pair = f"{account['csm_owner']} + {account['am_owner']}"
    assert goal["goal_id"] not in success_plan.pair_goals(stores, pair, TODAY)["goal_id"]


def test_a_leader_reviews_the_pairs_goals_in_the_sync_without_editing(demo_stores: Stores):
    from dashboard.store.marts import largest_pairs

    top = largest_pairs(demo_stores.sources, 1).row(0, named=True)
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["viewer"] = Viewer("Lee Leader", "leader", "lee@x")
    at.run()
    at.query_params["pair"] = f"{top['csm_owner']} + {top['am_owner']}"
    at.switch_page("../pages/sync.py").run()
    assert not at.exception
    assert len(_goal_table(at)) >= 1
    assert any("Only the account's CSM or AM edits" in i.value for i in at.info)
    assert "Save the goal" not in [b.label for b in at.button]
    assert "Success plan (HTML, print to PDF)" in [d.proto.label for d in at.get("download_button")]
