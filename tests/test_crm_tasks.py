"""Tasks where the AM works: the nightly job writes the open rule tasks and open handoffs as a
Salesforce Task import and a HubSpot task import, and a calendar feed per owner."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

from icalendar import Calendar

from dashboard.jobs.refresh import refresh
from dashboard.text import EMAIL, PHONE
from dashboard.views.crm_tasks import HUBSPOT_IDS, SALESFORCE_IDS
from dashboard.workflows.handoffs import open_handoffs
from dashboard.workflows.tasks import tasks

SALESFORCE = ["Subject", "ActivityDate", "Status", "Priority", "Type", "WhatId", "Description"]
HUBSPOT = [
    "Task Title",
    "Due Date",
    "Task Status",
    "Priority",
    "Task Type",
    "Notes",
    "Assigned To",
    "Company Domain Name",
    "Company Record ID",
]


def _rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_open_work_is_written_as_crm_task_imports_and_calendar_feeds(
    demo_dir, demo_stores, tmp_path
):
    from tests.conftest import TODAY

    result = refresh(demo_stores, TODAY, tmp_path, digests=True)
    by_name = {p.name: p for p in result.work_files}
    open_tasks = tasks(demo_stores.app, status="open")
    flows = open_handoffs(demo_stores.app)
    assert open_tasks.height > 0 and flows.height > 0
    salesforce = _rows(by_name["tasks-salesforce.csv"].read_text())
    hubspot = _rows(by_name["tasks-hubspot.csv"].read_text())
    assert len(salesforce) == len(hubspot) >= open_tasks.height + 1  # tasks, and handoff steps
    assert list(salesforce[0])[: len(SALESFORCE)] == SALESFORCE
    assert list(hubspot[0])[: len(HUBSPOT)] == HUBSPOT
    for row in salesforce:
        assert (
            re.fullmatch(r"\d{4}-\d{2}-\d{2}", row["ActivityDate"])
            and row["Status"] == "Not Started"
        )
        assert row["Priority"] in {"High", "Normal"} and len(row["Subject"]) <= 255
    for row in hubspot:
        assert row["Task Status"] == "NOT_STARTED" and row["Priority"] in {"HIGH", "MEDIUM"}
        assert row["Company Domain Name"] or row["Company Record ID"]  # associated with a company
    # the AM's handoff step is theirs, with their e-mail for HubSpot to match its user
    owners = dict(demo_stores.sources.query("SELECT owner, email FROM owners").iter_rows())
    step = next(r for r in hubspot if r["Tandem Task Key"].startswith("handoff:"))
    assert step["Assigned To"] in owners.values()
    for text in (
        by_name["tasks-salesforce.csv"].read_text(),
        by_name["tasks-hubspot.csv"].read_text(),
    ):
        notes = "\n".join(r.get("Description", r.get("Notes", "")) for r in _rows(text))
        assert not re.search(PHONE, notes) and not re.search(EMAIL, notes)
    # one calendar per owner with open work, every event on its due date
    feeds = [p for p in result.work_files if p.suffix == ".ics"]
    assert feeds and all(p.parent == tmp_path / "calendars" for p in feeds)
    owners_with_work = {r["Tandem Owner"] for r in salesforce if r["Tandem Owner"]}
    assert len(feeds) == len(owners_with_work)
    calendar = Calendar.from_ical(feeds[0].read_bytes())
    events = calendar.walk("VEVENT")
    assert events and all(isinstance(e.decoded("dtstart"), dt.date) for e in events)
    uids = {str(e["uid"]) for e in events}
    again = refresh(demo_stores, TODAY, tmp_path, digests=True)  # the same UIDs next night
    same = Calendar.from_ical(
        next(p for p in again.work_files if p.name == feeds[0].name).read_bytes()
    )
    assert {str(e["uid"]) for e in same.walk("VEVENT")} == uids


DAY = dt.date(2026, 11, 22)
# a name that tries every trick: line breaks (CRLF, lone CR), NUL and other control
# characters, a Markdown link, emphasis, bare URLs, an e-mail address and a phone number
HOSTILE = (
    "Acme\r\n[Verify your SSO](https://evil.example/phish) \x00ana@acme.io\x07 "
    "+44 20 7946 0958 **now**\rwww.evil.example\u2028end"
)
WRITTEN = (
    "Acme [Verify your SSO](https[:]//evil.example/phish) [e-mail hidden] "
    "[phone hidden] **now** www[.]evil.example end"
)
MARKDOWN_SPECIAL = re.compile(r"(?<!\\)[\[\]*<>`_]")


def _hostile_world(root, owner: str):
    """A 40-account demo whose largest account worked by an AM is named ``HOSTILE``, its AM
    renamed ``owner``, with a risk the CSM flagged (the AM's to weigh) whose evidence carries
    the same text."""
    from dashboard.ingest.demo import DemoSpec, load_demo
    from dashboard.store import Stores
    from dashboard.workflows import handoffs as h

    stores = Stores.open(root)
    load_demo(stores.sources, DemoSpec(accounts=40, seed=3, anchor=DAY))
    row = stores.sources.query(
        "SELECT account_id, csm_owner, am_owner FROM accounts WHERE am_owner IS NOT NULL"
        " AND csm_owner <> am_owner ORDER BY arr DESC LIMIT 1"
    ).row(0, named=True)
    with stores.sources.writer() as writer:
        writer.execute(
            "UPDATE accounts SET account_name = ? WHERE account_id = ?",
            [HOSTILE, row["account_id"]],
        )
        for table, column in (
            ("accounts", "csm_owner"),
            ("accounts", "am_owner"),
            ("owners", "owner"),
        ):
            writer.execute(
                f"UPDATE {table} SET {column} = ? WHERE {column} = ?", [owner, row["am_owner"]]
            )
    h.flag(
        stores.app,
        row["account_id"],
        "risk",
        HOSTILE,
        row["csm_owner"],
        "csm",
        now=dt.datetime(2026, 11, 20, 9),
    )
    return stores, row["account_id"]


def test_every_file_text_is_one_line_masked_and_links_nothing(tmp_path):
    """Digests (.md, .csv), both CRM task imports, the owner's calendar feed and the renewal
    .ics: no line break inside a value (CR, LF, a lone CR, U+2028), no NUL or control
    character, no e-mail address or phone number, no live URL, no Markdown syntax from data;
    the value is there, written as one line."""
    from dashboard.jobs.digests import file_stem
    from dashboard.store.filters import AccountFilter
    from dashboard.views.ics import renewals_ics
    from dashboard.views.renewals import renewal_view

    owner = "Ann\rLee"
    stores, account = _hostile_world(tmp_path, owner)
    result = refresh(stores, DAY, tmp_path)
    files = {p: p.read_bytes() for p in result.digests + result.work_files}
    renewals = renewal_view(stores, AccountFilter()).renewals
    assert account in renewals["account_id"].to_list()
    files[tmp_path / "renewals.ics"] = renewals_ics(renewals, dt.datetime(2026, 11, 22, 9))
    feed = tmp_path / "calendars" / f"{file_stem(owner)}.ics"
    assert feed in files
    seen = []
    for path, data in files.items():
        text = data.decode("utf-8")
        assert "\x00" not in text and "\x07" not in text and "\u2028" not in text, path
        values = text.splitlines()
        if path.suffix == ".ics":  # RFC 5545: CRLF between lines, and nowhere else
            assert "\r" not in text.replace("\r\n", "") and "\n" not in text.replace("\r\n", "")
            events = Calendar.from_ical(data).walk("VEVENT")
            values = [str(e.get(k, "")) for e in events for k in ("summary", "description")]
        else:
            assert "\r" not in text, path
        if path.suffix == ".csv":
            rows = _rows(text)
            assert all(None not in r for r in rows), path  # no row broken across lines
            # ids are written as they are (a CRM matches on them): a random handoff id's hex
            # can hold nine digits in a row, which reads as a phone number (about 1 run in 17)
            ids = {"Assigned To", *SALESFORCE_IDS, *HUBSPOT_IDS}
            values = [v or "" for r in rows for k, v in r.items() if k not in ids]
        if path.suffix == ".md":
            for line in values:
                if account in line:
                    data_part = line.removeprefix("- **").replace("** (", " (", 1)
                    assert not MARKDOWN_SPECIAL.search(data_part), line
        for value in values:
            assert not re.search(EMAIL, value) and not re.search(PHONE, value), (path, value)
            assert not re.search(r"(?i)https?://|www\.", value), (path, value)
        seen += [(path.name, v) for v in values if account in v or WRITTEN in v]
    # the value was written, as one line, in every kind of file
    markdown = "Acme \\[Verify your SSO\\](https\\[\\:\\]//evil.example/phish) \\[e-mail hidden\\]"
    assert any(name.endswith(".md") and markdown in v for name, v in seen)
    written_in = {name for name, v in seen if WRITTEN in v}
    assert {"tasks-salesforce.csv", "tasks-hubspot.csv", feed.name, "renewals.ics"} <= written_in
    calendar = Calendar.from_ical(files[feed])
    assert str(calendar["x-wr-calname"]) == "Tandem: Ann Lee"
    assert {str(e["x-tandem-account-id"]) for e in calendar.walk("VEVENT")} >= {account}


def test_the_demos_feeds_leave_the_teams_workspace_at_the_first_import(tmp_path):
    """A demo an older Tandem built in the data folder moves to ``demo/`` at the first import:
    its calendar feeds (the demo's owners and accounts) went with it only for the stores and
    digests, and stayed in the team's ``calendars/``, served to subscribers as the team's."""
    from dashboard.ingest.demo import DemoSpec, load_demo
    from dashboard.store import Stores
    from tests.conftest import tandem

    stores = Stores.open(tmp_path)
    load_demo(stores.sources, DemoSpec(accounts=40, seed=3, anchor=DAY))
    demo_feeds = {p.name for p in refresh(stores, DAY, tmp_path).work_files if p.suffix == ".ics"}
    assert demo_feeds
    accounts = tmp_path / "crm.csv"
    accounts.write_text("account_id,account_name,csm_owner\nR-1,Real One,Team Csm\n")
    done = tandem(tmp_path, "import", "accounts", str(accounts))
    assert done.returncode == 0, done.stderr
    left = {p.name for p in (tmp_path / "calendars").glob("*.ics")}
    assert not left & demo_feeds, left
    assert {p.name for p in (tmp_path / "demo" / "calendars").glob("*.ics")} == demo_feeds
    team = Stores.open(tmp_path)
    refresh(team, DAY, tmp_path)  # the team's own nightly job: still none of the demo's
    assert not {p.name for p in (tmp_path / "calendars").glob("*.ics")} & demo_feeds
