"""Tasks where the AM works: the nightly job writes the open rule tasks and open handoffs as a
Salesforce Task import and a HubSpot task import, and a calendar feed per owner."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

from icalendar import Calendar

from dashboard.jobs.refresh import refresh
from dashboard.workflows.handoffs import open_handoffs
from dashboard.workflows.tasks import tasks
from scoring.privacy import EMAIL, PHONE

SALESFORCE = ["Subject", "ActivityDate", "Status", "Priority", "Type", "WhatId", "Description"]
HUBSPOT = ["Task Title", "Due Date", "Task Status", "Priority", "Task Type", "Notes", "Assigned To",
           "Company Domain Name", "Company Record ID"]  # fmt: skip


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
