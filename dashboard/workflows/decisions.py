"""Decisions recorded in a weekly sync, kept in the app store's ``sync_notes`` (so no reload
of the source data can lose them): per account, the decision and who does what by when."""

from __future__ import annotations

import datetime as dt
import uuid

import polars as pl

from dashboard.store import AppStore, decision_log
from dashboard.store.pairs import split_pair
from dashboard.text import mask_pii, mask_text
from dashboard.workflows.access import Actor, NotAllowed, Viewer
from dashboard.workflows.stale import ChangedSince, when

STATUSES = ("open", "done", "dropped")


def add_decision(
    app: AppStore,
    pair: str,
    account_id: str | None,
    decision: str,
    owner: str | None,
    due_on: dt.date | None,
    author: str,
    role: str,
    now: dt.datetime,
) -> str:
    """Record one decision; refused without words."""
    if not decision.strip():
        raise ValueError("write the decision: what was decided, who does it, by when")
    if len(decision) > 2000:
        raise ValueError(
            f"a decision is a short note: {len(decision):,} characters, keep it under 2,000"
        )
    note_id = uuid.uuid4().hex[:12]
    decision_log.insert_decision(
        app, note_id, pair, account_id, decision.strip(), owner, due_on, author, role, now
    )
    return note_id


def decisions(app: AppStore, pair: str, unmask: bool = False) -> pl.DataFrame:
    """Every decision of a pair, newest sync first."""
    rows = decision_log.decision_rows(app, pair)
    return rows if unmask else mask_pii(rows)


def last_sync(notes: pl.DataFrame, today: dt.date) -> dt.date | None:
    """The date of the pair's last sync before today (the day decisions were last recorded)."""
    earlier = notes.filter(pl.col("sync_on") < today)
    return earlier["sync_on"].max() if earlier.height else None


class DecisionChanged(ChangedSince):
    """The decision changed since the form showed it; nothing was recorded."""


def _changed(before: dict | None, note_id: str, seen_version: str | None) -> None:
    """Refuse (``DecisionChanged``) a change made on a version of the decision that is no
    longer its own, saying who changed it, when and to what."""
    if before is None:
        raise ValueError(f"there is no decision {note_id!r}")
    if seen_version is None or before["version"] == seen_version:
        return
    words = mask_text(before["decision"]) or ""
    if len(words) > 80:
        words = words[:79] + "…"
    who = mask_text(before["owner"]) if before["owner"] else "nobody named"
    due = f"by {before['due_on']}" if before["due_on"] else "with no date"
    raise DecisionChanged(
        f"this decision changed since you saw it: {mask_text(before['changed_by']) or 'someone'}"
        f" set it to {before['status']!r} ({words!r}, {who} {due}) at "
        f"{when(before['changed_at'])}. Nothing was recorded: look at it again and choose."
    )


def set_status(
    app: AppStore,
    note_id: str,
    status: str,
    editor: str | None = None,
    now: dt.datetime | None = None,
    *,
    seen_version: str | None = None,
) -> None:
    """Change a decision's status (audited with ``editor``, as every change to a decision);
    refused, writing nothing, when ``seen_version`` (the ``version`` of the row the form
    showed) is no longer the decision's: the message says who changed it, when and to what."""
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r} (expected one of {', '.join(STATUSES)})")
    before = decision_log.set_decision(
        app, note_id, status=status, editor=editor, now=now, seen_version=seen_version
    )
    _changed(before, note_id, seen_version)


def set_status_as(
    app: AppStore,
    viewer: Viewer,
    pair: str,
    note_id: str,
    status: str,
    now: dt.datetime,
    *,
    seen_version: str,
) -> None:
    """``set_status`` by a person on the sync page: either of the pair (or a leader; the local
    user), on a decision of the pair, and only on the version the form showed."""
    csm, am = split_pair(pair)
    if viewer.role != "local" and decision_author(viewer, csm, am) is None:
        raise NotAllowed(f"only {csm} or {am} (or a leader) change this pair's decisions")
    row = decision_log.decision_row(app, note_id)
    if row is None or row["pair"] != pair:
        raise ValueError(f"there is no decision {note_id!r} in this sync")
    set_status(app, note_id, status, viewer.name, now, seen_version=seen_version)


def decision_history(app: AppStore, note_id: str, unmask: bool = False) -> pl.DataFrame:
    """Every version of a decision, oldest first, each with who wrote it: an edit by someone
    else never passes for the author's words."""
    rows = decision_log.decision_history(app, note_id)
    return rows if unmask else mask_pii(rows)


def decision_author(viewer: Viewer, csm: str, am: str) -> Actor | None:
    """Who writes a decision in a pair's sync: a signed-in person as themself (the pair's CSM,
    its AM, the combined owner, or a leader); None for the local user, who picks."""
    if viewer.role == "local":
        return None
    if viewer.name == csm == am:
        return Actor(viewer.name, "both")
    if viewer.name in (csm, am):
        return Actor(viewer.name, "csm" if viewer.name == csm else "am")
    if viewer.acts_for(csm) or viewer.acts_for(am):  # covering for one of the pair
        return Actor(viewer.name, "csm" if viewer.acts_for(csm) else "am")
    if viewer.role in ("leader", "ops"):
        return Actor(viewer.name, "leader")
    raise NotAllowed("only the pair (or a leader) records the pair's decisions")


def add_decision_as(
    app: AppStore,
    viewer: Viewer,
    pair: str,
    account_id: str | None,
    decision: str,
    owner: str | None,
    due_on: dt.date | None,
    now: dt.datetime,
    local_author: Actor | None = None,
) -> str:
    """``add_decision`` written by the signed-in person (the local user names the author)."""
    csm, am = split_pair(pair)
    author = decision_author(viewer, csm, am) or local_author
    if author is None or (viewer.role == "local" and author.name not in (csm, am)):
        raise NotAllowed("say who wrote the decision: the pair's CSM or AM")
    return add_decision(
        app, pair, account_id, decision, owner, due_on, author.name, author.role, now
    )


def due_state(today: dt.date) -> pl.Expr:
    """ "overdue" for an open decision past its date, "due today" on the day, else null."""
    open_one = pl.col("status") == "open"
    return (
        pl.when(open_one & (pl.col("due_on") < today))
        .then(pl.lit("overdue"))
        .when(open_one & (pl.col("due_on") == today))
        .then(pl.lit("due today"))
    )


def edit_decision_as(
    app: AppStore,
    viewer: Viewer,
    pair: str,
    note_id: str,
    today: dt.date,
    *,
    decision: str,
    owner: str | None,
    due_on: dt.date | None,
    status: str,
    now: dt.datetime | None = None,
    seen_version: str | None = None,
) -> None:
    """Change a decision of the pair's latest sync (its words, who, by when, status): it can
    be edited until the next sync; after it, only its status changes (``set_status``).
    Either of the pair (or a leader) may edit; the decision then shows who edited it and its
    history keeps every earlier version with who wrote it (``decision_history``). Refused,
    writing nothing, when ``seen_version`` is no longer the decision's version (another tab
    changed it): the message says who, when and to what."""
    csm, am = split_pair(pair)
    if viewer.role != "local" and decision_author(viewer, csm, am) is None:
        raise NotAllowed(f"only {csm} or {am} (or a leader) edit this pair's decisions")
    row = decision_log.decision_row(app, note_id)
    if row is None or row["pair"] != pair:
        raise ValueError(f"there is no decision {note_id!r} in this sync")
    made_on = row["written_at"].date()
    later = decision_log.decision_rows(app, pair).filter(pl.col("sync_on") > made_on)
    if later.height:
        raise NotAllowed(
            f"this decision is from the sync of {made_on}; the sync of "
            f"{later['sync_on'].max()} came after it, so its words stay as written (change its "
            "status instead)"
        )
    if not decision.strip():
        raise ValueError("write the decision: it cannot be empty")
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r} (expected one of {', '.join(STATUSES)})")
    before = decision_log.set_decision(
        app,
        note_id,
        status=status,
        decision=decision.strip(),
        owner=owner,
        due_on=due_on,
        editor=viewer.name,
        now=now,
        seen_version=seen_version,
    )
    _changed(before, note_id, seen_version)
