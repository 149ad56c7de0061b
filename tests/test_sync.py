"""The weekly sync: what changed since the last sync, decisions that survive every rebuild,
and the agenda's exports."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from dashboard.ingest.demo import DemoSpec, load_demo
from dashboard.jobs.refresh import refresh
from dashboard.store import Stores
from dashboard.store.pairs import changes_since, pair_key, pairs, split_pair
from dashboard.views.sync import agenda_html, agenda_markdown, build_agenda
from dashboard.workflows import decisions as sync_notes
from tests.conftest import TODAY

NOW = dt.datetime.combine(TODAY, dt.time(11))


def test_pair_keys_round_trip():
    assert split_pair(pair_key("Ann", "Bo")) == ("Ann", "Bo")
    assert pair_key("Cy", "Cy") == "Cy" and split_pair("Cy") == ("Cy", "Cy")


def test_band_changes_match_the_snapshots(demo_stores: Stores):
    since = TODAY - dt.timedelta(days=7)
    ids = demo_stores.sources.query("SELECT account_id FROM account_scores")["account_id"]
    changes = changes_since(demo_stores.sources, ids.to_list(), since, 40.0)
    direct = demo_stores.sources.query(
        "SELECT a.account_id FROM account_scores a JOIN score_snapshots s USING (account_id)"
        " WHERE s.as_of = (SELECT max(as_of) FROM score_snapshots WHERE as_of <= ?)"
        " AND a.band IS DISTINCT FROM s.band",
        [since],
    )
    got = changes.filter(pl.col("change") == "band change")
    assert sorted(got["account_id"]) == sorted(direct["account_id"]) and got.height > 0
    tickets = demo_stores.sources.scalar(
        "SELECT count(*) FROM tickets WHERE created_at >= ? AND created_at < ?"
        " AND account_id IN (SELECT account_id FROM account_scores)",
        [since, TODAY],
    )
    assert changes.filter(pl.col("change") == "new ticket").height == tickets
    drivers = changes.filter(pl.col("change") == "new driver")
    assert drivers["detail"].str.contains(" fell to ").all()


def test_the_next_sync_starts_where_the_last_one_ended(demo_stores: Stores):
    pair = pairs(demo_stores.sources).filter(pl.col("model") == "pair")["key"][-1]
    csm, am = split_pair(pair)
    account = build_agenda(demo_stores, pair, TODAY).accounts["account_id"][0]
    before = build_agenda(demo_stores, pair, TODAY)
    assert not before.since_last_sync and before.since == TODAY - dt.timedelta(days=7)
    last_week = NOW - dt.timedelta(days=6)
    note = sync_notes.add_decision(
        demo_stores.app, pair, account, "Send the ROI deck", csm, TODAY, csm, "csm", last_week
    )
    today = sync_notes.add_decision(
        demo_stores.app,
        pair,
        None,
        "Quote +20 seats",
        am,
        TODAY + dt.timedelta(days=3),
        am,
        "am",
        NOW,
    )
    agenda = build_agenda(demo_stores, pair, TODAY)
    assert agenda.since_last_sync and agenda.since == last_week.date()
    assert agenda.last_decisions["note_id"].to_list() == [note]
    sync_notes.set_status(demo_stores.app, note, "done")
    with pytest.raises(ValueError, match="unknown status"):
        sync_notes.set_status(demo_stores.app, note, "maybe")
    with pytest.raises(ValueError, match="write the decision"):
        sync_notes.add_decision(demo_stores.app, pair, None, "  ", am, None, am, "am", NOW)
    agenda = build_agenda(demo_stores, pair, TODAY)
    assert agenda.last_decisions["status"].to_list() == ["done"]
    todays = agenda.decisions.filter(pl.col("note_id") == today)
    md = agenda_markdown(agenda, todays)
    for section in (
        "## Since last sync",
        "## Renewals in 90 days",
        "## Handoffs waiting",
        "## Expansion signals not yet flagged",
        "## At risk (renewing within 90 days, red or falling)",
        "## Last sync's decisions",
        "## Decisions",
    ):
        assert section in md
    assert "Send the ROI deck" in md and "Quote +20 seats" in md and "| done" in md
    page = agenda_html(agenda, todays)
    assert page.startswith("<!doctype html>") and "@page" in page and "Quote +20 seats" in page
    # what the pair would send: the page's labels, whole dollars, no ids, no raw floats
    import re

    for raw in ("account_name", "note_id", "checks_passed", "expansion_potential", "_"):
        assert f"| {raw}" not in md and f"<th>{raw}" not in page, raw
    assert not re.search(r"\d+\.\d{3,}", md), "an unformatted float in the agenda"
    assert not re.search(r"\d{2}:\d{2}:\d{2}\.\d+", md), "a microsecond timestamp"
    assert today not in md and "| Account |" in md


def test_html_export_escapes_what_people_typed(demo_stores: Stores):
    pair = pairs(demo_stores.sources)["key"][0]
    note = sync_notes.add_decision(
        demo_stores.app, pair, None, "<script>alert(1)</script> & co", None, None, "x", "csm", NOW
    )
    agenda = build_agenda(demo_stores, pair, TODAY)
    page = agenda_html(agenda, agenda.decisions.filter(pl.col("note_id") == note))
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in page


def test_notes_survive_refresh_and_a_reload_of_all_source_data(tmp_path):
    stores = Stores.open(tmp_path)
    load_demo(stores.sources, DemoSpec(accounts=60, seed=3, anchor=TODAY))
    refresh(stores, TODAY, tmp_path, digests=False)
    pair = pairs(stores.sources)["key"][0]
    note = sync_notes.add_decision(stores.app, pair, None, "Keep this", None, None, "x", "csm", NOW)
    refresh(stores, TODAY, tmp_path, digests=False)
    load_demo(stores.sources, DemoSpec(accounts=80, seed=4, anchor=TODAY))  # every table replaced
    refresh(stores, TODAY, tmp_path, digests=False)
    again = Stores.open(tmp_path)  # and a new process opening the folder
    kept = sync_notes.decisions(again.app, pair)
    assert kept["note_id"].to_list() == [note] and kept["decision"][0] == "Keep this"


def test_only_rows_changed_in_an_editor_are_saved():
    from dashboard.ui.tables import edited_rows

    original = pl.DataFrame(
        {"k": ["a", "b", "c"], "status": ["open", "open", "open"], "note": [None, "x", ""]}
    )
    edited = original.with_columns(
        status=pl.Series(["open", "done", "open"]), note=pl.Series(["", "x", "new"])
    )
    changed = edited_rows(edited, original, "k", ["status", "note"])
    assert changed["k"].to_list() == ["b", "c"]  # a: None → "" is no change
    assert edited_rows(edited, original, "k", ["status"])["k"].to_list() == ["b"]


def test_a_decision_is_editable_until_the_next_sync_and_overdue_ones_are_marked(tmp_path):
    from dashboard.workflows.access import NotAllowed, Viewer

    stores = Stores.open(tmp_path)
    local = Viewer(name="local", role="local")
    pair = "Cam|Ama"
    monday = dt.datetime(2026, 11, 23, 10)
    note = sync_notes.add_decision(
        stores.app, pair, None, "Send the deck", "Cam", dt.date(2026, 11, 25), "Cam", "csm", monday
    )
    # the same sync (no later one yet): words, owner, date and status change
    sync_notes.edit_decision_as(
        stores.app,
        local,
        pair,
        note,
        monday.date(),
        decision="Send the ROI deck",
        owner="Ama",
        due_on=dt.date(2026, 11, 27),
        status="open",
    )
    rows = sync_notes.decisions(stores.app, pair)
    assert rows.select("decision", "owner", "due_on").row(0) == (
        "Send the ROI deck",
        "Ama",
        dt.date(2026, 11, 27),
    )
    marked = rows.with_columns(due=sync_notes.due_state(dt.date(2026, 11, 30)))
    assert marked["due"].to_list() == ["overdue"]
    assert rows.with_columns(due=sync_notes.due_state(dt.date(2026, 11, 27)))["due"].to_list() == [
        "due today"
    ]
    with pytest.raises(ValueError, match="cannot be empty"):
        sync_notes.edit_decision_as(
            stores.app,
            local,
            pair,
            note,
            monday.date(),
            decision=" ",
            owner="Ama",
            due_on=None,
            status="open",
        )
    stranger = Viewer(name="Zed", role="csm")
    with pytest.raises(NotAllowed):
        sync_notes.edit_decision_as(
            stores.app,
            stranger,
            pair,
            note,
            monday.date(),
            decision="x",
            owner="Ama",
            due_on=None,
            status="open",
        )
    # the next sync: the old decision's words are kept, its status still changes
    sync_notes.add_decision(
        stores.app,
        pair,
        None,
        "Book the QBR",
        "Cam",
        None,
        "Cam",
        "csm",
        monday + dt.timedelta(days=7),
    )
    with pytest.raises(NotAllowed, match="came after it"):
        sync_notes.edit_decision_as(
            stores.app,
            local,
            pair,
            note,
            monday.date(),
            decision="Rewritten",
            owner="Ama",
            due_on=None,
            status="done",
        )
    sync_notes.set_status(stores.app, note, "done")
    kept = sync_notes.decisions(stores.app, pair).filter(pl.col("note_id") == note)
    assert kept.select("decision", "status").row(0) == ("Send the ROI deck", "done")


def test_the_sync_page_hides_the_filters_that_do_not_apply(demo_stores: Stores):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file("../dashboard/app.py", default_timeout=30).run()
    at.multiselect(key="filter_segment").set_value(["Enterprise"]).run()
    at.switch_page("../pages/sync.py").run()
    assert not at.exception
    assert not [m for m in at.multiselect if (m.key or "").startswith("filter_")]
    assert "segment" not in at.query_params and "pair" in at.query_params
    at.switch_page("../pages/portfolio.py").run()  # the selection is back where it applies
    assert at.multiselect(key="filter_segment").value == ["Enterprise"]


def test_a_decision_edited_by_the_other_side_shows_its_editor_and_keeps_the_authors_words(
    tmp_path,
):
    from dashboard.store.audit_log import audit_rows
    from dashboard.workflows.access import NotAllowed, Viewer

    stores = Stores.open(tmp_path)
    pair = pair_key("Cam", "Ama")
    cam, ama = Viewer(name="Cam", role="csm"), Viewer(name="Ama", role="am")
    monday = dt.datetime(2026, 11, 23, 10)
    note = sync_notes.add_decision_as(
        stores.app, ama, pair, None, "No discount above 5 %", "Ama", dt.date(2026, 11, 30), monday
    )
    assert sync_notes.decisions(stores.app, pair)["edited_by"].to_list() == [None]
    edited_at = monday + dt.timedelta(minutes=20)
    sync_notes.edit_decision_as(
        stores.app,
        cam,
        pair,
        note,
        monday.date(),
        decision="AM approves a 40 % discount",
        owner="Ama",
        due_on=dt.date(2026, 11, 30),
        status="open",
        now=edited_at,
    )
    row = sync_notes.decisions(stores.app, pair).row(0, named=True)
    assert (row["decision"], row["author"]) == ("AM approves a 40 % discount", "Ama")
    assert (row["edited_by"], row["edited_at"]) == ("Cam", edited_at)
    history = sync_notes.decision_history(stores.app, note)
    assert history.select("written_by", "decision").rows() == [
        ("Ama", "No discount above 5 %"),
        ("Cam", "AM approves a 40 % discount"),
    ]
    assert history["version_at"].to_list() == [monday, edited_at]
    # the AM puts it back: three versions, each with its writer; the status change is audited
    sync_notes.edit_decision_as(
        stores.app,
        ama,
        pair,
        note,
        monday.date(),
        decision="No discount above 5 %",
        owner="Ama",
        due_on=dt.date(2026, 11, 30),
        status="open",
        now=edited_at + dt.timedelta(minutes=5),
    )
    sync_notes.set_status(stores.app, note, "done", "Cam", edited_at + dt.timedelta(hours=1))
    history = sync_notes.decision_history(stores.app, note)
    assert history.select("written_by", "decision", "status").rows() == [
        ("Ama", "No discount above 5 %", "open"),
        ("Cam", "AM approves a 40 % discount", "open"),
        ("Ama", "No discount above 5 %", "open"),
        ("Cam", "No discount above 5 %", "done"),
    ]
    audit = audit_rows(stores.app, "decision edit")
    assert audit.height == 3 and audit["subject"].unique().to_list() == [note]
    # an edit that changes nothing is no version; a stranger is refused and changes nothing
    sync_notes.set_status(stores.app, note, "done", "Cam")
    with pytest.raises(NotAllowed):
        sync_notes.edit_decision_as(
            stores.app,
            Viewer(name="Zed", role="csm"),
            pair,
            note,
            monday.date(),
            decision="x",
            owner="Ama",
            due_on=None,
            status="open",
        )
    assert audit_rows(stores.app, "decision edit").height == 3


def test_the_sync_page_shows_what_changed_and_why(demo_stores: Stores):
    from streamlit.testing.v1 import AppTest

    key = pairs(demo_stores.sources).filter(pl.col("model") == "pair")["key"][0]
    agenda = build_agenda(demo_stores, key, TODAY)
    at = AppTest.from_file("../dashboard/app.py", default_timeout=30).run()
    at.query_params["pair"] = key
    at.switch_page("../pages/sync.py").run()
    assert not at.exception
    assert at.subheader[0].value == "What changed and why"
    shown = next(d for d in at.dataframe if d.key == "sync_stories").value
    assert shown["changes"].tolist() == agenda.stories["changes"].to_list()
    assert shown["changes"].str.len().gt(0).all() and len(shown) > 0
