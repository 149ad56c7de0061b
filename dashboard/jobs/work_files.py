"""The nightly job's files of open work: the CRM task imports (Salesforce, HubSpot) beside the
day's digests, and one calendar feed per owner at a fixed path a calendar can subscribe to
(``calendars/NAME.ics``, rewritten every night)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from dashboard.jobs.digests import slug
from dashboard.store import AppStore
from dashboard.views.crm_tasks import crm_exports, open_work, owner_calendar
from dashboard.workflows.handoffs import open_handoffs
from dashboard.workflows.tasks import tasks


def write_work_files(
    app: AppStore, scored: pl.DataFrame, owners: pl.DataFrame, keys: pl.DataFrame,
    domains: pl.DataFrame, today: dt.date, day_folder: Path, data_dir: Path, stamp: dt.datetime,
) -> list[Path]:  # fmt: skip
    """Write the CRM task imports into ``day_folder`` and a calendar per owner with open work
    into ``data_dir/calendars``; returns the files written."""
    work = open_work(tasks(app, status="open"), open_handoffs(app), scored, today)
    exports = crm_exports(work, domains, owners, keys)
    day_folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in (("tasks-salesforce.csv", exports.salesforce_csv), ("tasks-hubspot.csv", exports.hubspot_csv)):  # fmt: skip
        path = day_folder / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    calendars = data_dir / "calendars"
    calendars.mkdir(parents=True, exist_ok=True)
    by_owner = work.filter(pl.col("owner").is_not_null()).partition_by("owner", as_dict=True)
    for (owner,), theirs in sorted(by_owner.items()):
        path = calendars / f"{slug(owner)}.ics"
        tmp = path.with_suffix(".ics.tmp")  # a subscriber never reads half a file
        tmp.write_bytes(owner_calendar(theirs, owner, stamp))
        tmp.replace(path)
        written.append(path)
    return written
