"""Actions that can't flip: a form left open on a record that changed since is refused, with who
changed it, when and to what, and nothing is recorded (issue 24, item 1)."""

from __future__ import annotations

import datetime as dt
import shutil

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.store import AppStore, Stores
from dashboard.workflows import handoffs as h
from dashboard.workflows import tasks as t
from dashboard.workflows.access import Actor, NotAllowed, Viewer
from dashboard.workflows.scorecards import (
    ScorecardChanged,
    activate_scorecard,
    activation_version,
    active_scorecard,
    default_scorecard,
    load_saved,
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


def _decision(app: AppStore) -> tuple[str, str]:
    """A decision of the sync of NOW's day (the pair's latest: editable) and its pair."""
    from dashboard.store.pairs import pair_key
    from dashboard.workflows import decisions as d

    pair = pair_key("Cleo CSM", "Avery AM")
    note = d.add_decision(
        app,
        pair,
        "ACC-1",
        "Send the ROI deck",
        "Cleo CSM",
        dt.date(2026, 11, 27),
        "Cleo CSM",
        "csm",
        NOW,
    )
    return pair, note


def test_a_stale_decision_edit_is_refused_with_who_changed_it_to_what(app):
    """Two sync tabs show the decision open; the AM rewrites it; the CSM's tab, still showing
    the old words, sets its status: refused with the AM's edit named, nothing recorded."""
    from dashboard.store.audit_log import audit_rows
    from dashboard.workflows import decisions as d

    pair, note = _decision(app)
    shown = d.decisions(app, pair).row(0, named=True)
    d.edit_decision_as(
        app,
        AM,
        pair,
        note,
        NOW.date(),
        decision="Send the ROI deck and book the QBR",
        owner="Avery AM",
        due_on=dt.date(2026, 11, 30),
        status="open",
        now=NOW + dt.timedelta(minutes=20),
        seen_version=shown["version"],
    )
    for change in (
        lambda: d.edit_decision_as(
            app,
            CSM,
            pair,
            note,
            NOW.date(),
            decision="Send the ROI deck",
            owner="Cleo CSM",
            due_on=dt.date(2026, 11, 27),
            status="dropped",
            now=NOW + dt.timedelta(hours=1),
            seen_version=shown["version"],
        ),
        lambda: d.set_status_as(
            app,
            CSM,
            pair,
            note,
            "done",
            NOW + dt.timedelta(hours=1),
            seen_version=shown["version"],
        ),
    ):
        with pytest.raises(d.DecisionChanged) as refused:
            change()
        message = str(refused.value)
        assert "this decision changed since you saw it" in message
        assert "Avery AM set it to 'open' ('Send the ROI deck and book the QBR'" in message
        assert "Avery AM by 2026-11-30) at 2026-11-22 10:20" in message
        assert "Nothing was recorded" in message
        assert isinstance(refused.value, ChangedSince)
    row = d.decisions(app, pair).row(0, named=True)
    assert (row["decision"], row["status"], row["edited_by"]) == (
        "Send the ROI deck and book the QBR",
        "open",
        "Avery AM",
    )
    assert audit_rows(app, "decision edit").height == 1
    # the version now shown goes through
    d.set_status_as(
        app, CSM, pair, note, "done", NOW + dt.timedelta(hours=1), seen_version=row["version"]
    )
    assert d.decisions(app, pair)["status"].to_list() == ["done"]


def test_a_decision_put_back_as_it_was_is_still_another_version(app):
    """Words changed and changed back read the same, but two changes were made: a tab that
    saw the first words is refused (the AM's second edit is named)."""
    from dashboard.workflows import decisions as d

    pair, note = _decision(app)
    shown = d.decisions(app, pair)["version"][0]
    for words, minutes in (("Other words", 5), ("Send the ROI deck", 10)):
        d.edit_decision_as(
            app,
            AM,
            pair,
            note,
            NOW.date(),
            decision=words,
            owner="Cleo CSM",
            due_on=dt.date(2026, 11, 27),
            status="open",
            now=NOW + dt.timedelta(minutes=minutes),
        )
    assert d.decisions(app, pair)["version"][0] != shown
    with pytest.raises(d.DecisionChanged, match="Avery AM set it to 'open'.*10:10"):
        d.set_status(app, note, "dropped", "Cleo CSM", NOW, seen_version=shown)
    assert d.decisions(app, pair)["status"].to_list() == ["open"]


def test_a_stranger_cannot_set_a_pairs_decision_status(app):
    from dashboard.workflows import decisions as d

    pair, note = _decision(app)
    version = d.decisions(app, pair)["version"][0]
    with pytest.raises(NotAllowed):
        d.set_status_as(app, Viewer("Zed", "csm"), pair, note, "done", NOW, seen_version=version)
    with pytest.raises(ValueError, match="no decision"):
        d.set_status_as(
            app, Viewer("Lee Leader", "leader"), "Someone", note, "done", NOW, seen_version=version
        )
    assert d.decisions(app, pair)["status"].to_list() == ["open"]


# --- the forms (AppTest): two sessions on one account are two tabs -------------------------

APP = "../dashboard/app.py"


@pytest.fixture
def own_demo(demo_dir, tmp_path, app_data_dir) -> Stores:
    """A copy of the demo folder of its own: these tests write handoffs and tasks."""
    data = tmp_path / "data"
    shutil.copytree(demo_dir, data)
    app_data_dir(data)
    return Stores.open(data)


def free_account(stores: Stores) -> dict:
    """A live account with a CSM and an AM and no handoff yet."""
    busy = stores.app.query("SELECT account_id FROM handoffs")["account_id"].to_list()
    return stores.sources.query(
        "SELECT account_id, csm_owner, am_owner FROM account_scores WHERE csm_owner IS NOT NULL"
        " AND am_owner IS NOT NULL AND account_id NOT IN (SELECT unnest($busy::VARCHAR[]))"
        " ORDER BY account_id LIMIT 1",
        {"busy": busy},
    ).row(0, named=True)


def _tab(account_id: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.query_params["account"] = account_id
    at.switch_page("../pages/account.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _as(at: AppTest, account: dict, role: str) -> None:
    """The single local user picks which owner they are."""
    name = account["csm_owner"] if role == "csm" else account["am_owner"]
    at.selectbox(key=f"account_{account['account_id']}_who").set_value(Actor(name, role)).run()


def _step_key(account_id: str, handoff_id: str, steps: int) -> str:
    return f"account_{account_id}_step_{handoff_id}_v{steps}"


def _texts(at: AppTest, kind: str) -> str:
    return " ".join(e.value for e in getattr(at, kind))


def test_the_step_form_records_the_step_seen_and_refuses_a_stale_tab(own_demo: Stores):
    """The issue's scenario: both tabs as the AM on a flagged handoff; A records Qualify; B,
    still showing flagged with Qualify selected, clicks: refused with who, when and what, and
    no 'Move to proposal' is recorded."""
    account = free_account(own_demo)
    aid = account["account_id"]
    hid = h.flag(own_demo.app, aid, "expansion", "seats full", account["csm_owner"], "csm", now=NOW)
    a, b = _tab(aid), _tab(aid)
    for tab in (a, b):
        _as(tab, account, "am")
        tab.selectbox(key=f"{_step_key(aid, hid, 1)}_target").set_value("qualified")
    a.button(key=f"FormSubmitter:{_step_key(aid, hid, 1)}-Record the step").click().run()
    assert not a.exception, [e.message for e in a.exception]
    assert "Qualify recorded on the expansion handoff" in _texts(a, "success")
    b.button(key=f"FormSubmitter:{_step_key(aid, hid, 1)}-Record the step").click().run()
    assert not b.exception, [e.message for e in b.exception]
    refusal = _texts(b, "error")
    assert "this handoff changed since you saw it" in refusal
    assert f"{account['am_owner']} (AM) recorded 'Qualify'" in refusal
    assert "now 'qualified'" in refusal and "Nothing was recorded" in refusal
    history = h.handoff_history(own_demo.app, aid, unmask=True)
    assert history["state"].to_list() == ["flagged", "qualified"]
    # B now shows the fresh form: the next step offered is from 'qualified'
    assert b.selectbox(key=f"{_step_key(aid, hid, 2)}_target").options == [
        "Move to proposal (AM)",
        "Lost (AM)",
    ]
    b.selectbox(key=f"{_step_key(aid, hid, 2)}_target").set_value("proposal")
    b.button(key=f"FormSubmitter:{_step_key(aid, hid, 2)}-Record the step").click().run()
    assert "Move to proposal recorded" in _texts(b, "success")
    assert h.handoff_history(own_demo.app, aid)["state"].to_list() == [
        "flagged",
        "qualified",
        "proposal",
    ]


def test_the_flag_form_refuses_a_stale_tab_and_keeps_the_kind_seen(own_demo: Stores):
    """A flags an expansion; B, still showing no handoff, flags a risk: refused (nothing
    recorded, the message says A's flag); B's fresh form then flags the risk it chose."""
    account = free_account(own_demo)
    aid = account["account_id"]
    a, b = _tab(aid), _tab(aid)
    for tab in (a, b):
        _as(tab, account, "csm")
    flag = f"account_{aid}_flag_v0"
    a.button(key=f"FormSubmitter:{flag}-Flag").click().run()
    assert "Expansion-ready flagged" in _texts(a, "success")
    b.session_state[f"{flag}_kind"] = "risk"
    b.button(key=f"FormSubmitter:{flag}-Flag").click().run()
    assert not b.exception, [e.message for e in b.exception]
    refusal = _texts(b, "error")
    assert f"{aid}'s handoffs changed since you saw it" in refusal
    assert f"{account['csm_owner']} (CSM) flagged a expansion" in refusal
    assert h.handoffs(own_demo.app, [aid])["kind"].to_list() == ["expansion"]
    fresh = f"account_{aid}_flag_v1"
    b.session_state[f"{fresh}_kind"] = "risk"
    b.button(key=f"FormSubmitter:{fresh}-Flag").click().run()
    assert "Risk flagged" in _texts(b, "success")
    assert sorted(h.handoffs(own_demo.app, [aid])["kind"].to_list()) == ["expansion", "risk"]


def test_a_stale_activation_in_the_lab_is_refused_and_nothing_is_rescored(own_demo: Stores):
    """Two lab tabs show 'default' active; A activates one scorecard; B, still showing the
    old version with another picked, clicks Activate: refused with who activated what."""
    app = own_demo.app
    card = active_scorecard(app)
    for name, weight in (("billing-heavy", 40.0), ("adoption-heavy", 35.0)):
        save_scorecard(
            app,
            card.model_copy(update={"name": name, "weights": {**card.weights, "billing": weight}}),
            "ops-ann",
            NOW,
        )
    version = activation_version(app)
    tabs = []
    for _ in range(2):
        at = AppTest.from_file(APP, default_timeout=120).run()
        at.switch_page("../pages/lab.py").run()
        assert not at.exception, [e.message for e in at.exception]
        tabs.append(at)
    a, b = tabs
    a.selectbox(key=f"lab_activate_pick_{version}").set_value("billing-heavy").run()
    b.selectbox(key=f"lab_activate_pick_{version}").set_value("adoption-heavy").run()
    for tab in (a, b):
        tab.checkbox(key=f"lab_confirm_{version}").check().run()
    a.button(key=f"lab_activate_{version}").click().run()
    assert not a.exception, [e.message for e in a.exception]
    assert active_scorecard(app).name == "billing-heavy"
    b.button(key=f"lab_activate_{version}").click().run()
    assert not b.exception, [e.message for e in b.exception]
    refusal = _texts(b, "error")
    assert "the active scorecard changed since you saw it" in refusal
    assert "local user activated 'billing-heavy'" in refusal and "Nothing was recorded" in refusal
    assert active_scorecard(app).name == "billing-heavy"
    assert scorecard_audit(app)["action"].to_list().count("activate scorecard") == 1
    assert own_demo.sources.scalar("SELECT any_value(scorecard) FROM account_scores") == (
        "billing-heavy"
    )
    # B's fresh widgets carry the new version
    assert b.selectbox(key=f"lab_activate_pick_{activation_version(app)}").options


def _two_loads(root) -> list[str]:
    """A team's workspace with two loads of accounts (the command line): their ids, newest
    first."""
    from dashboard.store.load_log import load_records
    from tests.conftest import tandem

    first = "account_id,account_name,csm_owner,arr\n" + "".join(
        f"a{i},Acct {i},Ann Lee,{1000 + i}\n" for i in range(30)
    )
    for name, text in (
        ("a.csv", first),
        ("b.csv", "account_id,account_name,arr\na1,Acct 1,5000\n"),
    ):
        path = root.parent / name
        path.write_text(text)
        done = tandem(root, "import", "accounts", str(path))
        assert done.returncode == 0, done.stderr
    return load_records(Stores.open(root).sources)["load_id"].to_list()


def test_a_stale_undo_is_refused_with_who_undid_what_and_when(tmp_path):
    """Two Data tabs show L3 as the newest load; tab A undoes it; tab B, still showing L3
    newest, undoes it (or the load before it): refused with A's undo named, who and when,
    and nothing is published or audited."""
    from dashboard.store.audit_log import audit_rows
    from dashboard.store.load_log import UndoRefused, load_records
    from dashboard.workflows.loads import undo_load
    from tests.test_undo import fingerprint

    root = tmp_path / "data"
    newest, older = _two_loads(root)
    stores = Stores.open(root)
    done = undo_load(stores, newest, actor="Ann (tab A)", now=NOW, expect_latest=newest)
    undo = load_records(stores.sources).row(0, named=True)
    assert undo["load_id"] == done.undo_id
    before = fingerprint(root / "sources")
    for target in (newest, older):
        with pytest.raises(UndoRefused) as refused:
            undo_load(stores, target, actor="Bo (tab B)", now=NOW, expect_latest=newest)
        message = str(refused.value)
        assert "the load history changed since it was shown" in message
        assert f"{done.undo_id} (undo of {newest}, by Ann (tab A), " in message  # who, what
        assert f"{undo['loaded_at']:%Y-%m-%d %H:%M} UTC" in message  # when
        assert "nothing was undone" in message
    assert fingerprint(root / "sources") == before
    assert audit_rows(stores.app, "undo load")["actor"].to_list() == ["Ann (tab A)"]
    # the history as it is now shown: the undo of the older load goes through
    undo_load(stores, older, actor="Bo (tab B)", now=NOW, expect_latest=done.undo_id)
    assert audit_rows(stores.app, "undo load").height == 2


def test_a_stale_pin_is_refused_with_who_pinned_the_key_to_what(app):
    """Two Data tabs show billing key 'cus_9' matching no account; A pins it to ACC-1; B,
    still showing it unpinned, pins it to ACC-2: refused with A's pin named, nothing written."""
    from dashboard.store.audit_log import audit_rows
    from dashboard.store.pins import pin_rows
    from dashboard.workflows.pins import PinChanged, pin_match, pin_versions

    shown = pin_versions(app, "billing", ["cus_9", "cus_7"])
    assert shown == {"cus_9": "", "cus_7": ""}
    pin_match(app, "billing", "cus_9", "ACC-1", "Ann Ops", NOW, seen_version=shown["cus_9"])
    with pytest.raises(PinChanged) as refused:
        pin_match(
            app,
            "billing",
            "cus_9",
            "ACC-2",
            "Bo Ops",
            NOW + dt.timedelta(minutes=3),
            seen_version=shown["cus_9"],
        )
    message = str(refused.value)
    assert "the pin of 'cus_9' changed since you saw it" in message
    assert "Ann Ops pinned it to 'ACC-1' at 2026-11-22 10:00" in message
    assert "Nothing was recorded" in message and isinstance(refused.value, ChangedSince)
    assert pin_rows(app).rows() == [("billing", "cus_9", "ACC-1")]
    assert audit_rows(app, "pin match")["actor"].to_list() == ["Ann Ops"]
    # another key of the same check is unaffected; the version now shown goes through
    pin_match(app, "billing", "cus_7", "ACC-3", "Bo Ops", NOW, seen_version=shown["cus_7"])
    now_shown = pin_versions(app, "billing", ["cus_9"])["cus_9"]
    assert now_shown
    pin_match(app, "billing", "cus_9", "ACC-2", "Bo Ops", NOW, seen_version=now_shown)
    assert sorted(pin_rows(app).rows()) == [
        ("billing", "cus_7", "ACC-3"),
        ("billing", "cus_9", "ACC-2"),
    ]


def test_a_stale_check_names_the_load_that_came_since(tmp_path):
    """Two Data tabs checked the same file against the stored data; a load lands (A's, or
    another tab's); B's Load is refused with that load named: which files, by whom, when."""
    from dashboard.store.load_log import load_records
    from dashboard.workflows.imports import CheckStamp, StaleCheck, require_same_check

    root = tmp_path / "data"
    _two_loads(root)
    store = Stores.open(root).sources
    latest = load_records(store).row(0, named=True)
    checked = CheckStamp.of(root, "plan", "the version B checked against")
    with pytest.raises(StaleCheck) as refused:
        require_same_check(checked, CheckStamp.of(root, "plan", store.data_version()), store)
    message = str(refused.value)
    assert "the stored data changed since the check (the latest load: " in message
    assert f"{latest['load_id']} (b.csv, by {latest['actor']}, " in message
    assert f"{latest['loaded_at']:%Y-%m-%d %H:%M} UTC)" in message
    assert "nothing was loaded" in message


def test_an_erased_account_says_who_erased_it_and_a_second_erasure_does_nothing(
    own_demo: Stores, tmp_path
):
    """A page drawn before an erasure, clicked after it, finds the account gone: the view
    says who erased it and when; erasing it again is refused and audits nothing."""
    from dashboard.store.audit_log import audit_rows
    from dashboard.store.filters import AccountFilter
    from dashboard.views.account import account_view, erasure
    from dashboard.workflows.gdpr import delete_account

    aid = free_account(own_demo)["account_id"]
    assert erasure(own_demo, aid) is None
    delete_account(own_demo, aid, tmp_path, NOW, "Lee Leader")
    view = account_view(own_demo, AccountFilter(), aid, NOW.date())
    assert not view.found and view.erased == "by Lee Leader at 2026-11-22 10:00"
    with pytest.raises(KeyError, match="there is no data about account"):
        delete_account(own_demo, aid, tmp_path, NOW + dt.timedelta(minutes=1), "Bo Leader")
    erased = audit_rows(own_demo.app, "gdpr delete")
    assert erased.filter(pl.col("subject") == aid)["actor"].to_list() == ["Lee Leader"]


def test_a_scorecard_saved_meanwhile_under_the_same_name_is_named_and_kept(app):
    """Two lab tabs save a candidate under one name: the second is refused with who saved
    the first and when, and the first is kept as saved."""
    card = default_scorecard()
    first = card.model_copy(update={"name": "q1", "weights": {**card.weights, "billing": 40.0}})
    save_scorecard(app, first, "ops-ann", NOW)
    second = card.model_copy(update={"name": "q1", "weights": {**card.weights, "support": 40.0}})
    with pytest.raises(ValueError) as refused:
        save_scorecard(app, second, "ops-bo", NOW + dt.timedelta(minutes=2))
    message = str(refused.value)
    assert "a scorecard named 'q1' exists (saved by ops-ann at 2026-11-22 10:00)" in message
    assert "nothing was saved" in message
    assert load_saved(app, "q1").weights["billing"] == 40.0
    assert scorecard_audit(app)["action"].to_list().count("save scorecard") == 1
