"""Cover during leave: "X covers for Y from … to …" (workflows/covers.py).

Given hand-made owners and fixed dates (never today's): the cover holds on its first and last
day and not after; while it holds X's scope has Y's accounts and X acts on them as X (the
audit rows carry X's name); only Y, a leader or ops set it; invalid and overlapping covers are
refused, recording nothing; Y's digests and open work go to X naming both."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from aiosmtpd.controller import Controller
from streamlit.testing.v1 import AppTest

from dashboard.ingest.demo import DemoSpec, load_demo
from dashboard.jobs.delivery import DeliverySettings
from dashboard.jobs.digests import build_digests, covered_digest, digest_markdown
from dashboard.jobs.refresh import refresh
from dashboard.store import Stores
from dashboard.store.audit_log import audit_rows
from dashboard.store.delivery_log import recent_deliveries
from dashboard.store.filters import AccountFilter
from dashboard.store.marts import account_table, owner_rows
from dashboard.views.crm_tasks import covered_work
from dashboard.workflows import covers as cv
from dashboard.workflows import goal_edits
from dashboard.workflows import tasks as t
from dashboard.workflows.access import Actor, NotAllowed, Viewer, actors_for
from tests.conftest import TODAY
from tests.pg import free_port
from tests.test_delivery import Inbox

OWNERS = pl.DataFrame(
    {
        "owner": ["Ann Away", "Bo Backup", "Cy Csm", "Al Am", "Lee Leader", "Ora Ops"],
        "role": ["csm", "csm", "csm", "am", "leader", "ops"],
        "email": ["ann@x", "bo@x", "cy@x", "al@x", "lee@x", "ora@x"],
    }
)
ANN = Viewer("Ann Away", "csm", "ann@x")
BO = Viewer("Bo Backup", "csm", "bo@x")
CY = Viewer("Cy Csm", "csm", "cy@x")
LEE = Viewer("Lee Leader", "leader", "lee@x")
ORA = Viewer("Ora Ops", "ops", "ora@x")
SET_ON = dt.date(2026, 3, 1)
FIRST, LAST = dt.date(2026, 3, 2), dt.date(2026, 3, 6)
NOW = dt.datetime(2026, 3, 1, 9, 30)


def _set(app, viewer=ANN, coverer="Bo Backup", covered="Ann Away", first=FIRST, last=LAST):
    return cv.set_cover(app, viewer, OWNERS, coverer, covered, first, last, SET_ON, NOW)


def test_a_cover_holds_on_its_first_and_last_day_and_not_after(empty_stores: Stores):
    app = empty_stores.app
    _set(app)
    expect = {
        dt.date(2026, 3, 1): (),
        FIRST: ("Ann Away",),
        dt.date(2026, 3, 4): ("Ann Away",),
        LAST: ("Ann Away",),
        dt.date(2026, 3, 7): (),
    }
    for day, covering in expect.items():
        assert cv.covering_for(app, "Bo Backup", day) == covering, day
        assert cv.with_covers(app, BO, day).scope() == ["Bo Backup", *covering], day
    assert cv.covering_for(app, "Ann Away", FIRST) == ()  # the one away covers nobody
    audit = audit_rows(app, "cover%")
    assert audit.select("actor", "action", "subject").rows() == [
        ("Ann Away", "cover set", "Ann Away")
    ]
    assert '"coverer": "Bo Backup"' in audit["detail"][0]
    assert '"ends_on": "2026-03-06"' in audit["detail"][0]


def test_a_leader_and_ops_set_anyones_cover_a_stranger_cannot(empty_stores: Stores):
    app = empty_stores.app
    with pytest.raises(NotAllowed, match="set by the person going on leave, a leader or ops"):
        _set(app, viewer=CY)  # another CSM, not Ann
    with pytest.raises(NotAllowed):
        _set(app, viewer=BO)  # the coverer cannot name themself Ann's cover
    assert cv.covers(app).is_empty() and audit_rows(app, "cover%").is_empty()
    _set(app, viewer=LEE)
    _set(app, viewer=ORA, first=dt.date(2026, 4, 1), last=dt.date(2026, 4, 3))
    assert audit_rows(app, "cover set")["actor"].sort().to_list() == ["Lee Leader", "Ora Ops"]


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"first": LAST, "last": FIRST}, "the last day (2026-03-02) comes before the first"),
        ({"coverer": "Ann Away"}, "Ann Away cannot cover for themself"),
        ({"coverer": "Ora Ops"}, "Ora Ops cannot carry a book"),
        ({"coverer": "Nobody Known"}, "Nobody Known cannot carry a book"),
        ({"covered": "Lee Leader", "viewer": LEE}, "Lee Leader has no book to cover"),
        (
            {"first": dt.date(2026, 2, 20), "last": dt.date(2026, 2, 28)},
            "the last day (2026-02-28) has passed",
        ),
    ],
)
def test_an_invalid_cover_is_refused_and_nothing_is_recorded(
    empty_stores: Stores, changes: dict, words: str
):
    app = empty_stores.app
    with pytest.raises(cv.CoverRefused, match=words.replace("(", r"\(").replace(")", r"\)")):
        _set(app, **changes)
    assert cv.covers(app).is_empty() and audit_rows(app, "cover%").is_empty()


@pytest.mark.parametrize(
    ("changes", "words"),
    [  # against Bo covering for Ann, 2 to 6 March
        ({"coverer": "Cy Csm", "first": LAST}, "Ann Away is already covered by Bo Backup"),
        (  # Bo also covers for Cy, 6 to 9 March: two books at once is allowed
            {"viewer": CY, "coverer": "Bo Backup", "covered": "Cy Csm", "first": LAST},
            None,
        ),
        (
            {"viewer": BO, "coverer": "Cy Csm", "covered": "Bo Backup", "first": LAST},
            "Bo Backup covers for Ann Away then",
        ),
        (
            {"viewer": LEE, "coverer": "Ann Away", "covered": "Cy Csm"},
            "Ann Away is away then (Bo Backup covers for them)",
        ),
    ],
)
def test_an_overlapping_cover_is_refused_and_nothing_is_recorded(
    empty_stores: Stores, changes: dict, words: str | None
):
    app = empty_stores.app
    _set(app)
    changes = {"last": dt.date(2026, 3, 9), **changes}
    if words is None:  # Bo may cover two people at once: not a clash
        _set(app, **changes)
        assert cv.covering_for(app, "Bo Backup", LAST) == ("Ann Away", "Cy Csm")
        return
    with pytest.raises(cv.CoverRefused, match=words.replace("(", r"\(").replace(")", r"\)")):
        _set(app, **changes)
    assert cv.covers(app).height == 1 and audit_rows(app, "cover%").height == 1


def test_ending_a_cover_early_on_its_version_and_a_stale_end_is_refused(empty_stores: Stores):
    app = empty_stores.app
    cover_id = _set(app)
    back = dt.date(2026, 3, 4)  # Ann is back on the 4th
    cv.end_cover(app, ANN, cover_id, 1, back, NOW + dt.timedelta(days=3))
    assert cv.covering_for(app, "Bo Backup", dt.date(2026, 3, 3)) == ("Ann Away",)
    assert cv.covering_for(app, "Bo Backup", back) == ()
    assert cv.covers(app)["last_day"].to_list() == [dt.date(2026, 3, 3)]
    with pytest.raises(cv.CoverChanged, match="Ann Away changed it at 2026-03-04 09:30"):
        cv.end_cover(app, BO, cover_id, 1, back, NOW + dt.timedelta(days=3))
    with pytest.raises(NotAllowed):
        cv.end_cover(app, CY, cover_id, 2, back, NOW + dt.timedelta(days=3))
    assert audit_rows(app, "cover%")["action"].to_list() == ["cover end", "cover set"]
    # the days freed can be covered again, by someone else
    _set(app, viewer=LEE, coverer="Cy Csm", first=back, last=LAST)
    assert cv.covering_for(app, "Cy Csm", LAST) == ("Ann Away",)


@pytest.fixture
def two_csms(demo_stores: Stores) -> tuple[str, str]:
    """Two CSMs of the demo who share no account: X (covers) and Y (away)."""
    by_csm = demo_stores.sources.query(
        "SELECT csm_owner, count(*) AS n FROM account_scores GROUP BY 1 ORDER BY n DESC, 1"
    )["csm_owner"].to_list()
    return by_csm[0], by_csm[1]


def test_while_the_cover_holds_x_sees_and_acts_on_ys_book_as_x(
    demo_stores: Stores, empty_stores: Stores, two_csms: tuple[str, str]
):
    x, y = two_csms
    owners = owner_rows(demo_stores.sources)
    app = empty_stores.app  # the covers and the goal in a store of their own
    first, last = dt.date(2026, 7, 6), dt.date(2026, 7, 17)
    y_viewer = Viewer(y, "csm", "y@x")
    cv.set_cover(app, y_viewer, owners, x, y, first, last, dt.date(2026, 7, 1), NOW)
    ys = account_table(demo_stores.sources, AccountFilter(scope=[y]))
    assert ys.height > 0
    before = cv.with_covers(app, Viewer(x, "csm", "x@x"), dt.date(2026, 7, 5))
    during = cv.with_covers(app, Viewer(x, "csm", "x@x"), last)
    after = cv.with_covers(app, Viewer(x, "csm", "x@x"), dt.date(2026, 7, 18))
    seen = {
        name: set(account_table(demo_stores.sources, AccountFilter(scope=v.scope()))["account_id"])
        for name, v in (("before", before), ("during", during), ("after", after))
    }
    assert set(ys["account_id"]) <= seen["during"]
    assert not set(ys["account_id"]) & (seen["before"] | seen["after"])
    account = ys.filter(pl.col("csm_owner") == y).row(0, named=True)
    assert actors_for(before, y, account["am_owner"]) == []
    assert actors_for(during, y, account["am_owner"]) == [Actor(x, "csm")]
    goal_edits.create_goal(
        app,
        during,
        account,
        title="Admins trained",
        metric="manual",
        unit="admins",
        start_value=1.0,
        target_value=4.0,
        owner=y,
        due_on=dt.date(2026, 9, 1),
        now=dt.datetime(2026, 7, 8, 10, 0),
    )
    goal = audit_rows(app, "goal create").row(0, named=True)
    assert (goal["actor"], goal["subject"]) == (x, account["account_id"])
    with pytest.raises(NotAllowed):  # after the cover, X is back to their own book
        goal_edits.editor_for(after, account)


def test_the_covered_owners_tasks_are_worked_by_the_coverer_as_themself(empty_stores: Stores):
    app = empty_stores.app
    _set(app)
    task = pl.DataFrame(
        {
            "task_key": ["k1"],
            "account_id": ["A1"],
            "kind": ["renewal_prep"],
            "role": ["csm"],
            "owner": ["Ann Away"],
            "title": ["Prepare the renewal"],
            "due_on": [dt.date(2026, 3, 10)],
        }
    )
    t.create_rule_tasks(app, task, SET_ON)
    version = t.tasks(app)["version"][0]
    with pytest.raises(NotAllowed, match="this task is not yours"):
        t.update_task_as(
            app, cv.with_covers(app, BO, SET_ON), "k1", "done", None, NOW, seen_version=version
        )
    bo = cv.with_covers(app, BO, FIRST)
    t.update_task_as(app, bo, "k1", "done", "called", NOW, seen_version=version)
    assert t.tasks(app).select("status", "updated_by").row(0) == ("done", "Bo Backup")


def test_covered_work_goes_to_the_coverer_naming_both():
    work = pl.DataFrame(
        {
            "key": ["t1", "t2"],
            "owner": ["Ann Away", "Cy Csm"],
            "title": ["Prepare the renewal", "Call the sponsor"],
        }
    )
    covers = pl.DataFrame({"coverer": ["Bo Backup"], "covered": ["Ann Away"], "last_day": [LAST]})
    assert covered_work(work, covers).rows() == [
        ("t1", "Bo Backup", "Prepare the renewal (covering for Ann Away until 2026-03-06)"),
        ("t2", "Cy Csm", "Call the sponsor"),
    ]
    assert covered_work(work, covers.clear()).equals(work)


def test_the_covered_owners_digests_go_to_the_coverer_naming_both(
    demo_stores: Stores, two_csms: tuple[str, str]
):
    x, y = two_csms
    scored = demo_stores.sources.query("SELECT * FROM account_scores")
    owners = owner_rows(demo_stores.sources)
    until = TODAY + dt.timedelta(days=11)
    covers = pl.DataFrame({"coverer": [x], "covered": [y], "last_day": [until]})
    plain = {(d.owner, d.role): d for d in build_digests(scored, owners, TODAY)}
    routed = {(d.owner, d.role): d for d in build_digests(scored, owners, TODAY, covers=covers)}
    ys = routed[(y, "csm")]
    assert (ys.to, ys.recipient, ys.covering_until) == (x, x, until)
    assert ys.title == f"{x} — CSM digest, covering for {y}, {TODAY.isoformat()}"
    assert ys.intro.startswith(f"Covering for {y} until {until.isoformat()}: {y}'s accounts")
    assert ys.rows.equals(plain[(y, "csm")].rows)  # the same accounts, to another person
    assert f"Covering for {y} until {until.isoformat()}" in digest_markdown(ys)
    mine = routed[(x, "csm")]  # X still gets their own digest too, as before
    assert (mine.to, mine.title) == (x, plain[(x, "csm")].title)
    assert mine.rows.equals(plain[(x, "csm")].rows)
    assert all(d.to == d.owner for k, d in routed.items() if k != (y, "csm"))


def test_a_digest_readdressed_by_hand():
    from dashboard.jobs.digests import Digest

    own = Digest("Ann Away", "am", SET_ON, "t", "The revenue side.", pl.DataFrame())
    covered = covered_digest(own, "Bo Backup", LAST)
    assert covered.to == "Bo Backup" and own.to == "Ann Away"
    assert covered.title == "Bo Backup — AM digest, covering for Ann Away, 2026-03-01"
    assert covered.intro == (
        "Covering for Ann Away until 2026-03-06: Ann Away's accounts come to Bo Backup while "
        "Ann Away is away. The revenue side."
    )


APP = "../dashboard/app.py"


def _sync_as(viewer: Viewer) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state["viewer"] = viewer
    at.switch_page("../pages/sync.py")
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_the_cover_panel_sets_and_ends_a_cover(demo_stores: Stores):
    owners = owner_rows(demo_stores.sources)
    pairs = demo_stores.sources.query(
        "SELECT csm_owner, count(*) AS n FROM account_scores WHERE am_owner IS NOT NULL"
        " GROUP BY 1 ORDER BY n DESC, 1"
    )["csm_owner"].to_list()
    y, x = pairs[-1], pairs[-2]  # small books: no other test signs in as them
    assert owners.filter(pl.col("owner") == y)["role"][0] in cv.BOOK_ROLES
    away = Viewer(y, "csm", "y@x")
    try:
        at = _sync_as(away)
        assert at.selectbox(key="cover_covered").options == [y]  # a CSM sets only their own
        at.selectbox(key="cover_coverer").set_value(x)
        at.date_input(key="cover_ends").set_value(TODAY + dt.timedelta(days=6))
        at.button(key="FormSubmitter:cover_set-Set the cover").click().run()
        assert not at.exception
        assert [s.value for s in at.success] == [
            f"{x} covers for {y} from {TODAY} to {TODAY + dt.timedelta(days=6)}."
        ]
        shown = at.dataframe[-1].value
        assert shown[["covered", "coverer"]].values.tolist() == [[y, x]]
        # the one covering sees Y's accounts in the sidebar's words and in their pair list
        at_x = _sync_as(Viewer(x, "csm", "x@x"))
        assert any(f"those of {y}, whom you cover for" in c.value for c in at_x.sidebar.caption)
        assert any(y in o for o in at_x.selectbox(key="sync_pair").options)
        ys_account = demo_stores.sources.query(
            "SELECT account_id FROM account_scores WHERE csm_owner = ? ORDER BY 1 LIMIT 1", [y]
        )["account_id"][0]
        at_acc = AppTest.from_file(APP, default_timeout=30)
        at_acc.session_state["viewer"] = Viewer(x, "csm", "x@x")
        at_acc.query_params["account"] = ys_account
        at_acc.switch_page("../pages/account.py").run()
        assert not at_acc.exception and not at_acc.error
        assert f"Acting as {x} (CSM), covering for {y}" in [c.value for c in at_acc.caption]
        # setting the same again is refused, nothing recorded
        at.selectbox(key="cover_coverer").set_value(x)
        at.button(key="FormSubmitter:cover_set-Set the cover").click().run()
        assert any(f"{y} is already covered by {x}" in e.value for e in at.error)
        assert cv.active_covers(demo_stores.app, TODAY).height == 1
        at.button(key="FormSubmitter:cover_end-End the cover").click().run()
        assert not at.exception
        assert any("The cover is ended" in s.value for s in at.success)
        assert cv.active_covers(demo_stores.app, TODAY).is_empty()
    finally:  # never leave a cover holding for the other tests of the session
        for row in cv.active_covers(demo_stores.app, TODAY).iter_rows(named=True):
            cv.end_cover(demo_stores.app, away, row["cover_id"], row["version"], TODAY, NOW)


@pytest.fixture
def mail() -> Iterator[tuple[str, Inbox]]:
    """A real SMTP server on loopback (aiosmtpd) keeping what it is sent."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield f"smtp://127.0.0.1:{controller.port}", inbox
    controller.stop()


def test_the_nightly_job_sends_ys_digest_to_x_and_puts_ys_work_in_xs_calendar(
    tmp_path: Path, mail: tuple[str, Inbox]
):
    smtp_url, inbox = mail
    anchor = dt.date(2026, 5, 1)
    stores = Stores.open(tmp_path)
    load_demo(stores.sources, DemoSpec(accounts=120, seed=8, anchor=anchor))
    refresh(stores, anchor, tmp_path, digests=False)  # the tasks of the rules, to cover
    owners = owner_rows(stores.sources)
    csms = stores.sources.query(
        "SELECT csm_owner FROM account_scores GROUP BY 1 ORDER BY count(*) DESC, 1"
    )["csm_owner"].to_list()
    x, y = csms[0], csms[1]
    until = anchor + dt.timedelta(days=4)
    y_viewer = Viewer(y, "csm", "y@x")
    cv.set_cover(stores.app, y_viewer, owners, x, y, anchor, until, anchor, NOW)
    settings = DeliverySettings(smtp_url=smtp_url, backoff_seconds=0.01)
    result = refresh(stores, anchor, tmp_path, delivery=settings)
    assert result.delivery.failed == 0
    address = dict(owners.select("owner", "email").iter_rows())
    sent = {m["Subject"]: rcpt for m, rcpt in zip(inbox.messages, inbox.recipients, strict=True)}
    covering = [s for s in sent if f"covering for {y}" in s]
    # Y's digests (both, for a combined owner), each to X, not to Y
    assert f"{x} — CSM digest, covering for {y}, {anchor.isoformat()}" in covering
    assert all(sent[subject] == [address[x]] for subject in covering)
    assert address[y] not in [r[0] for r in sent.values()]
    assert any(s.startswith(f"{x} — CSM digest, {anchor}") for s in sent)  # X's own too
    log = recent_deliveries(stores.app).filter(pl.col("owner") == y)
    assert log["target"].str.contains(f"to {x}, covering for {y}").all()
    day = tmp_path / "digests" / anchor.isoformat()
    y_file = next(p for p in day.glob("*-csm.md") if f"covering for {y}" in p.read_text())
    assert f"Covering for {y} until {until.isoformat()}" in y_file.read_text()
    open_of_y = t.tasks(stores.app, status="open").filter(pl.col("owner") == y)
    assert open_of_y.height > 0  # Y's open rule tasks are in X's calendar, naming both
    feeds = {p.name: p.read_text() for p in (tmp_path / "calendars").glob("*.ics")}
    x_feed = next(v for k, v in feeds.items() if k.startswith(x.split()[0].lower()))
    assert f"(covering for {y} until {until.isoformat()})" in x_feed.replace("\n ", "")


def test_the_coverer_makes_the_covered_ams_renewal_call_as_themself():
    from dashboard.workflows import renewal_calls as rc

    acc = {
        "account_id": "ACC-1",
        "account_name": "Acme",
        "csm_owner": "Cy Csm",
        "am_owner": "Al Am",
        "arr": 120_000.0,
        "renewal_date": dt.date(2026, 6, 1),
    }
    covering = Viewer("Bo Backup", "csm", covering=("Al Am",))
    stranger = Viewer("Bo Backup", "csm")
    assert rc.caller_for(covering, acc) == Actor("Bo Backup", "am")
    with pytest.raises(NotAllowed):
        rc.caller_for(stranger, acc)
    renewals = pl.DataFrame(
        {
            "account_id": ["ACC-1", "ACC-2"],
            "csm_owner": ["Cy Csm", "Bo Backup"],
            "am_owner": ["Al Am", None],
        }
    )
    assert rc.callable_by(covering, renewals)["account_id"].to_list() == ["ACC-1", "ACC-2"]
    assert rc.callable_by(stranger, renewals)["account_id"].to_list() == ["ACC-2"]
