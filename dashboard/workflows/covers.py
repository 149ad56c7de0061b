"""Cover during leave: "X covers for Y from … to …".

While a cover holds (from its first day to its last, both inclusive, on the app's clock),
X sees and acts on Y's book as themself: Y's accounts are in X's scope, X takes Y's role on
them (so every step, edit and task X works is recorded under X's name), and Y's digests go
to X, naming both. The cover ends by itself after its last day (nothing to run: it is read
from the dates); it can also be ended early.

Who sets or ends a cover: Y themself, a leader or ops (the admins), or the single local user;
the coverer may also end it (hand the book back). Checked on the server from the signed-in
viewer. Refused, writing nothing, with a message: a last day before the first, one already
past, X and Y the same person, someone who is not in the owners table with a book to carry
(CSM, AM or both; a leader may cover too), and a cover that overlaps another of Y's, one of
X's own leave, or one Y gives while Y covers someone else. Ending names the version of the
cover the form showed; a stale one is refused (``CoverChanged``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

import polars as pl

from dashboard.store import AppStore, cover_log
from dashboard.workflows.access import NotAllowed, Viewer
from dashboard.workflows.stale import ChangedSince, when

BOOK_ROLES = ("csm", "am", "both")  # whose book can be covered
COVER_ROLES = (*BOOK_ROLES, "leader")  # who can carry another's book
SET_BY = ("leader", "ops", "local")  # who may set anyone's cover (Y may set their own)


class CoverRefused(ValueError):
    """The cover cannot be set as asked; the message says why. Nothing was recorded."""


class CoverChanged(ChangedSince):
    """The cover changed since the form showed it; nothing was recorded."""


def covers(app: AppStore) -> pl.DataFrame:
    """Every cover as it stands, with its last day (``last_day``: its end date, or the day
    before it was ended early), the earliest first."""
    return cover_log.cover_rows(app).with_columns(last_day=cover_log.LAST_DAY)


def active_covers(app: AppStore, day: dt.date) -> pl.DataFrame:
    """The covers that hold on ``day`` (``coverer``, ``covered``, ``last_day``, …)."""
    return cover_log.active_on(covers(app), day)


def covering_for(app: AppStore, name: str, day: dt.date) -> tuple[str, ...]:
    """The people whose books ``name`` carries on ``day``."""
    rows = active_covers(app, day).filter(pl.col("coverer") == name)
    return tuple(sorted(set(rows["covered"].to_list())))


def with_covers(app: AppStore, viewer: Viewer, day: dt.date) -> Viewer:
    """The viewer with the books they carry on ``day`` (read on every run: a cover ends by
    itself after its last day). The single local user sees everything and covers nobody."""
    if viewer.role == "local":
        return viewer
    return dataclasses.replace(viewer, covering=covering_for(app, viewer.name, day))


def _person(owners: pl.DataFrame, name: str) -> dict | None:
    found = owners.filter(pl.col("owner") == name)
    return found.row(0, named=True) if found.height else None


def _may_change(viewer: Viewer, covered: str, coverer: str | None = None) -> None:
    if viewer.role in SET_BY or viewer.name in (covered, coverer):
        return
    raise NotAllowed("a cover during leave is set by the person going on leave, a leader or ops")


def _overlap(others: pl.DataFrame, coverer: str, covered: str, first: dt.date, last: dt.date):
    """The reason a new cover clashes with the stored ones, or None."""
    live = others.filter(
        pl.col("last_day") >= pl.col("starts_on"),  # one ended before it began never held
        pl.col("starts_on") <= last,
        pl.col("last_day") >= first,
    )
    for column, who, says in (
        ("covered", covered, "{covered} is already covered by {coverer}"),
        ("covered", coverer, "{covered} is away then ({coverer} covers for them)"),
        ("coverer", covered, "{coverer} covers for {covered} then"),
    ):
        clash = live.filter(pl.col(column) == who)
        if clash.height:
            row = clash.row(0, named=True)
            return (
                says.format(covered=row["covered"], coverer=row["coverer"])
                + f" from {row['starts_on']} to {row['last_day']}: end that cover first or "
                "choose other dates"
            )
    return None


def set_cover(
    app: AppStore,
    viewer: Viewer,
    owners: pl.DataFrame,
    coverer: str,
    covered: str,
    starts_on: dt.date,
    ends_on: dt.date,
    today: dt.date,
    now: dt.datetime,
) -> str:
    """Record that ``coverer`` covers for ``covered`` from ``starts_on`` to ``ends_on`` (both
    inclusive), by the signed-in ``viewer``; audited (``cover set``). Returns the cover's id.
    ``NotAllowed`` for a viewer who may not set it, ``CoverRefused`` for an invalid or
    overlapping cover: nothing is recorded either way."""
    _may_change(viewer, covered)
    if coverer == covered:
        raise CoverRefused(f"{covered} cannot cover for themself: choose someone else")
    who = _person(owners, covered)
    if who is None or who.get("role") not in BOOK_ROLES:
        raise CoverRefused(
            f"{covered} has no book to cover: only a CSM or an AM in the owners table has one"
        )
    by = _person(owners, coverer)
    if by is None or by.get("role") not in COVER_ROLES:
        raise CoverRefused(
            f"{coverer} cannot carry a book: the one covering is a CSM, an AM or a leader in "
            "the owners table"
        )
    if ends_on < starts_on:
        raise CoverRefused(f"the last day ({ends_on}) comes before the first ({starts_on})")
    if ends_on < today:
        raise CoverRefused(f"the last day ({ends_on}) has passed: a cover is for today or later")
    cover_id = uuid.uuid4().hex[:12]
    values = {
        "cover_id": cover_id,
        "coverer": coverer,
        "covered": covered,
        "starts_on": starts_on,
        "ends_on": ends_on,
        "ended_on": None,
    }
    result = cover_log.write_version(
        app,
        values,
        None,
        viewer.name,
        now,
        lambda others: _overlap(
            others.with_columns(last_day=cover_log.LAST_DAY), coverer, covered, starts_on, ends_on
        ),
    )
    if isinstance(result, str):
        raise CoverRefused(result)
    return cover_id


def end_cover(
    app: AppStore,
    viewer: Viewer,
    cover_id: str,
    seen_version: int,
    today: dt.date,
    now: dt.datetime,
) -> None:
    """End a cover today (the covered person is back: from today their book is theirs
    alone), by the covered person, the coverer, a leader or ops; audited (``cover end``).
    Refused, recording nothing, when the cover changed since the form showed it (another
    ``seen_version``) or is already over."""
    found = covers(app).filter(pl.col("cover_id") == cover_id)
    if found.is_empty():
        raise ValueError(f"there is no cover {cover_id!r}")
    row = found.row(0, named=True)
    _may_change(viewer, row["covered"], row["coverer"])
    if row["version"] == seen_version and row["last_day"] < today:
        raise CoverRefused(f"this cover ended on {row['last_day']}: there is nothing to end")
    result = cover_log.write_version(
        app, {**row, "ended_on": today}, seen_version, viewer.name, now, lambda others: None
    )
    if isinstance(result, dict):
        raise CoverChanged(
            f"this cover changed since you saw it: {result.get('edited_by') or 'someone'} "
            f"changed it at {when(result.get('edited_at'))}. Nothing was recorded: look at it "
            "again and choose."
        )
