"""The nightly job's files of open work: the CRM task imports (Salesforce, HubSpot) beside the
day's digests, and one calendar feed per owner at a fixed path a calendar can subscribe to
(``calendars/NAME-ID.ics``, rewritten every night; ``NAME-ID`` is ``jobs.digests.file_stems``:
readable, and never shared by two people)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from dashboard.jobs.digests import file_stems
from dashboard.store import AppStore
from dashboard.views.crm_tasks import covered_work, crm_exports, open_work, owner_calendar
from dashboard.views.exports import control_expr, has_control, one_line
from dashboard.workflows.handoffs import open_handoffs
from dashboard.workflows.tasks import tasks

CALENDARS = "calendars"
NOTES_SHOWN = 20  # values with control characters named one by one; the rest counted


def write_work_files(
    app: AppStore,
    scored: pl.DataFrame,
    owners: pl.DataFrame,
    keys: pl.DataFrame,
    domains: pl.DataFrame,
    today: dt.date,
    day_folder: Path,
    data_dir: Path,
    stamp: dt.datetime,
    problems: list[str] | None = None,
    covers: pl.DataFrame | None = None,
) -> list[Path]:
    """Write the CRM task imports into ``day_folder`` and a calendar per owner with open work
    into ``data_dir/calendars``; returns the files written. A feed already there whose owner
    has no open work tonight is rewritten without events (a subscribed calendar then drops
    them). One owner's feed that cannot be written is skipped and said in ``problems``. The
    work of someone on leave goes to whoever covers for them (``covers``, ``covered_work``)."""
    work = open_work(tasks(app, status="open"), open_handoffs(app), scored, today)
    if covers is not None:
        work = covered_work(work, covers)
    exports = crm_exports(work, domains, owners, keys)
    day_folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in (
        ("tasks-salesforce.csv", exports.salesforce_csv),
        ("tasks-hubspot.csv", exports.hubspot_csv),
    ):
        path = day_folder / name
        _replace(path, text.encode("utf-8"))
        written.append(path)
    calendars = data_dir / CALENDARS
    calendars.mkdir(parents=True, exist_ok=True)
    by_owner = work.filter(pl.col("owner").is_not_null()).partition_by("owner", as_dict=True)
    stems = file_stems(owner for (owner,) in by_owner)
    for (owner,), theirs in sorted(by_owner.items()):
        path = calendars / f"{stems[owner]}.ics"
        try:
            _replace(path, owner_calendar(theirs, owner, stamp))
        except Exception as exc:  # one owner's feed never stops the others
            if problems is None:
                raise
            problems.append(
                f"owner {owner!r}: the calendar feed was not written "
                f"({type(exc).__name__}: {one_line(exc)})"
            )
            continue
        written.append(path)
    kept = {p.name for p in written}
    for stale in sorted(calendars.glob("*.ics")):
        if stale.name not in kept:
            empty_feed(stale)
    return written


def _replace(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")  # a subscriber never reads half a file
    tmp.write_bytes(data)
    tmp.replace(path)


def empty_feed(path: Path) -> None:
    """Rewrite a calendar feed without its events (its name and header kept; a file that does
    not read as a calendar is removed)."""
    from icalendar import Calendar  # only when a feed is emptied (views.crm_tasks says why)

    try:
        calendar = Calendar.from_ical(path.read_bytes())
    except (ValueError, IndexError, KeyError):
        path.unlink(missing_ok=True)
        return
    calendar.subcomponents = [c for c in calendar.subcomponents if c.name != "VEVENT"]
    _replace(path, calendar.to_ical())


def control_character_notes(scored: pl.DataFrame, owners: pl.DataFrame) -> list[str]:
    """The names and ids holding a line break or another control character: the files show
    them as one line, and the refresh says which (these values are bad data to fix at the
    source)."""
    people: set[str] = set()
    for frame, columns in ((owners, ["owner"]), (scored, ["csm_owner", "am_owner"])):
        for column in columns:
            if column in frame.columns:
                people |= {n for n in frame[column].drop_nulls().unique() if has_control(n)}
    notes = [
        f"owner {n!r}: a line break or control character in the name; the files show "
        f"{one_line(n)!r}"
        for n in sorted(people)
    ]
    for column, what in (("account_id", "id"), ("account_name", "name")):
        if column not in scored.columns:
            continue
        bad = scored.filter(control_expr(column))
        notes += [
            f"account {one_line(row['account_id'])!r}: a line break or control character "
            f"in its {what}; the files show {one_line(row[column])!r}"
            for row in bad.iter_rows(named=True)
        ]
    if len(notes) > NOTES_SHOWN:
        notes = [*notes[:NOTES_SHOWN], f"and {len(notes) - NOTES_SHOWN} more such values"]
    return notes
