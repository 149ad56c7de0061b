"""Actions that can't flip: a form left open on a record that changed since is refused, with who
changed it, when and to what, and nothing is recorded (issue 24, item 1)."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from dashboard.store import AppStore, Stores
from dashboard.workflows import handoffs as h
from dashboard.workflows import tasks as t
from dashboard.workflows.access import Actor, Viewer
from dashboard.workflows.scorecards import (
    ScorecardChanged,
    activate_scorecard,
    activation_version,
    active_scorecard,
    default_scorecard,
    save_scorecard,
    scorecard_audit,
)
from dashboard.workflows.stale import ChangedSince

NOW = dt.datetime(2026, 11, 22, 10)
ACCOUNT = {"account_id": "ACC-1", "csm_owner": "Cleo CSM", "am_owner": "Avery AM"}
AM = Viewer("Avery AM", "am")
CSM = Viewer("Cleo CSM", "csm")


@pytest.fixture
def app(tmp_path) -> AppStore:
    return AppStore(tmp_path)


def _steps(app: AppStore) -> list[tuple[str, str]]:
    return h.handoff_history(app, "ACC-1").select("state", "actor").rows()


def _flagged(app: AppStore) -> str:
    return h.flag_as(
        app,
        CSM,
        ACCOUNT,
        "expansion",
        "seats full",
        Actor("Cleo CSM", "csm"),
        seen_steps=0,
        now=NOW,
    )


def test_a_stale_step_is_refused_even_when_it_names_the_fresh_state(app):
    """The issue's flip: tab B saw 'flagged' (1 step); tab A qualified it meanwhile; B's click
    arrives with whatever its rebuilt form now holds ('proposal', from 'qualified'). The
    version B saw refuses it: nothing is recorded, and the message names who, when, what."""
    hid = _flagged(app)
    me = Actor("Avery AM", "am")
    h.advance_as(
        app,
        AM,
        ACCOUNT,
        hid,
        "qualified",
        me,
        from_state="flagged",
        from_kind="expansion",
        seen_step=1,
        now=NOW + dt.timedelta(hours=1),
    )
    with pytest.raises(h.HandoffChanged) as refused:
        h.advance_as(
            app,
            AM,
            ACCOUNT,
            hid,
            "proposal",
            me,
            from_state="qualified",
            from_kind="expansion",
            seen_step=1,
            now=NOW + dt.timedelta(hours=2),
        )
    message = str(refused.value)
    assert "changed since you saw it" in message
    assert "Avery AM (AM) recorded 'Qualify'" in message  # who and what
    assert "2026-11-22 11:00" in message  # when
    assert "now 'qualified'" in message and "Nothing was recorded" in message
    assert isinstance(refused.value, ChangedSince)
    assert _steps(app) == [("flagged", "Cleo CSM"), ("qualified", "Avery AM")]
    assert h.handoffs(app)["state"].to_list() == ["qualified"]


def test_every_step_since_is_named_and_the_current_version_goes_through(app):
    hid = _flagged(app)
    me = Actor("Avery AM", "am")
    for i, (before, after) in enumerate([("flagged", "qualified"), ("qualified", "proposal")]):
        h.advance_as(
            app,
            AM,
            ACCOUNT,
            hid,
            after,
            me,
            from_state=before,
            from_kind="expansion",
            seen_step=i + 1,
            now=NOW + dt.timedelta(hours=i + 1),
        )
    with pytest.raises(h.HandoffChanged, match="'Qualify'.*11:00.*'Move to proposal'.*12:00"):
        h.advance_as(
            app,
            AM,
            ACCOUNT,
            hid,
            "won",
            me,
            from_state="proposal",
            from_kind="expansion",
            seen_step=1,
            now=NOW + dt.timedelta(hours=3),
        )
    assert [s for s, _ in _steps(app)] == ["flagged", "qualified", "proposal"]
    # the version the form now shows (3 steps) goes through
    h.advance_as(
        app,
        AM,
        ACCOUNT,
        hid,
        "won",
        me,
        from_state="proposal",
        from_kind="expansion",
        seen_step=3,
        now=NOW + dt.timedelta(hours=3),
    )
    assert [s for s, _ in _steps(app)] == ["flagged", "qualified", "proposal", "won"]


def test_a_stale_flag_is_refused_with_the_flag_that_came_first(app):
    """Tab B showed no handoff (0 steps) and flags a risk; tab A flagged an expansion first."""
    _flagged(app)
    with pytest.raises(h.HandoffChanged) as refused:
        h.flag_as(
            app,
            CSM,
            ACCOUNT,
            "risk",
            "usage falling",
            Actor("Cleo CSM", "csm"),
            seen_steps=0,
            now=NOW + dt.timedelta(minutes=5),
        )
    message = str(refused.value)
    assert "ACC-1's handoffs changed since you saw it" in message
    assert "Cleo CSM (CSM) flagged a expansion at 2026-11-22 10:00" in message
    assert "Nothing was recorded" in message
    assert h.handoffs(app)["kind"].to_list() == ["expansion"]
    # shown the current version, a risk flag is recorded
    h.flag_as(
        app,
        CSM,
        ACCOUNT,
        "risk",
        "usage falling",
        Actor("Cleo CSM", "csm"),
        seen_steps=1,
        now=NOW + dt.timedelta(minutes=5),
    )
    assert sorted(h.handoffs(app)["kind"].to_list()) == ["expansion", "risk"]


def _task(app: AppStore) -> dict:
    tasks = pl.DataFrame(
        {
            "task_key": ["renewal:ACC-1"],
            "account_id": ["ACC-1"],
            "kind": ["value_review"],
            "role": ["csm"],
            "owner": ["Cleo CSM"],
            "title": ["Review the value"],
            "due_on": [dt.date(2026, 12, 1)],
        }
    )
    from dashboard.store import task_list

    task_list.insert_new_tasks(app, tasks, NOW.date())
    return t.tasks(app).row(0, named=True)


def test_a_stale_task_update_is_refused_with_who_set_it_to_what(app):
    shown = _task(app)
    leader = Viewer("Lee Leader", "leader")
    t.update_task_as(
        app, leader, "renewal:ACC-1", "done", "call booked", NOW, seen_version=shown["version"]
    )
    with pytest.raises(t.TaskChanged) as refused:
        t.update_task_as(
            app,
            CSM,
            "renewal:ACC-1",
            "dismissed",
            None,
            NOW + dt.timedelta(hours=1),
            seen_version=shown["version"],
        )
    message = str(refused.value)
    assert "Lee Leader set it to 'done' with the note 'call booked' at 2026-11-22 10:00" in message
    assert "Nothing was recorded" in message
    row = t.tasks(app).row(0, named=True)
    assert (row["status"], row["note"], row["updated_by"]) == ("done", "call booked", "Lee Leader")
    # the version now shown goes through
    t.update_task_as(
        app,
        CSM,
        "renewal:ACC-1",
        "dismissed",
        None,
        NOW + dt.timedelta(hours=1),
        seen_version=row["version"],
    )
    assert t.tasks(app)["status"].to_list() == ["dismissed"]


def test_a_task_changed_at_the_same_instant_still_has_another_version(app):
    """The version is the content, not only the time: two edits at one instant differ."""
    shown = _task(app)
    t.update_task_as(app, CSM, "renewal:ACC-1", "open", "first", NOW, seen_version=shown["version"])
    middle = t.tasks(app)["version"][0]
    t.update_task_as(app, CSM, "renewal:ACC-1", "open", "second", NOW, seen_version=middle)
    with pytest.raises(t.TaskChanged, match="'second'"):
        t.update_task_as(app, CSM, "renewal:ACC-1", "done", "first", NOW, seen_version=middle)
    assert t.tasks(app)["note"].to_list() == ["second"]


def test_a_stale_activation_is_refused_with_who_activated_what(empty_stores: Stores):
    app = empty_stores.app
    card = default_scorecard()
    for name, weight in (("billing-heavy", 40.0), ("adoption-heavy", 30.0)):
        heavy = card.model_copy(
            update={"name": name, "weights": {**card.weights, "billing": weight}}
        )
        save_scorecard(app, heavy, "ops-ann", NOW - dt.timedelta(hours=1))
    shown = activation_version(app)  # both tabs show 'default' active
    activate_scorecard(app, "billing-heavy", "ops-ann", NOW, seen_version=shown)
    with pytest.raises(ScorecardChanged) as refused:
        activate_scorecard(
            app, "adoption-heavy", "ops-bo", NOW + dt.timedelta(minutes=1), seen_version=shown
        )
    message = str(refused.value)
    assert "ops-ann activated 'billing-heavy' at 2026-11-22 10:00" in message
    assert "Nothing was recorded" in message
    assert active_scorecard(app).name == "billing-heavy"
    assert scorecard_audit(app)["action"].to_list().count("activate scorecard") == 1
    # re-activating the same name after a revert is a new version too
    activate_scorecard(
        app,
        "default",
        "ops-ann",
        NOW + dt.timedelta(minutes=2),
        seen_version=activation_version(app),
    )
    again = activation_version(app)
    assert again != shown  # 'default' active again, but after two activations
    activate_scorecard(
        app, "adoption-heavy", "ops-bo", NOW + dt.timedelta(minutes=3), seen_version=again
    )
    assert active_scorecard(app).name == "adoption-heavy"
