"""The CSM-AM handoff as a tracked workflow, stored in the app store.

An expansion is flagged by the CSM with evidence; the AM qualifies it, moves it to proposal,
then won or lost, sharing pricing options and next steps in the step's note. A risk goes the
other way round and is worked to an end: the CSM flags it, the AM puts a plan in place, the
save is worked (saving) and it ends saved or lost (lost from any open stage). From the plan on
each risk step names the reason (``RISK_REASONS``), and the plan and saving steps an owner and
the next step with its due date (``risk_steps``). Risks weighed or closed before this
lifecycle keep their state: a weighed risk is worked on as a plan in place. Every step is a
row of ``handoff_steps`` (who, which role, when, note); ``handoffs`` holds the state.

A step names the state it starts from and the version of the handoff it was shown (the number
of its last step; a flag, the number of steps on the account's handoffs). Two sessions that
move the same handoff are serialised by the store's transaction, and the later one is refused
with what happened meanwhile (who, when, to what) instead of recording a step nobody chose.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid

import duckdb
import polars as pl

from dashboard.store import AppStore
from dashboard.store import handoff_log as log
from dashboard.text import mask_pii
from dashboard.workflows.access import Actor, Viewer, check_actor
from dashboard.workflows.stale import ChangedSince, when
from scoring.glossary import RISK_ENDS, RISK_LEGACY_OPEN, RISK_OPEN_STAGES, RISK_REASONS

KINDS = ("expansion", "risk")
OPEN_STATES = {
    "expansion": ("flagged", "qualified", "proposal"),
    "risk": (*RISK_OPEN_STAGES, *RISK_LEGACY_OPEN),
}
# every state in which a handoff of either kind is still open
ANY_OPEN_STATE = tuple(dict.fromkeys(s for states in OPEN_STATES.values() for s in states))
# kind -> state -> {next state: the role that may take the step}
FLOW: dict[str, dict[str, dict[str, str]]] = {
    "expansion": {
        "flagged": {"qualified": "am", "lost": "am"},
        "qualified": {"proposal": "am", "lost": "am"},
        "proposal": {"won": "am", "lost": "am"},
    },
    "risk": {
        "flagged": {"plan": "am", "lost": "am"},
        "plan": {"saving": "am", "saved": "am", "lost": "am"},
        "saving": {"saved": "am", "lost": "am"},
        "weighed": {"saving": "am", "saved": "am", "lost": "am"},  # before the lifecycle
    },
}
# the risk steps that name a reason, and those that also name an owner and a next step
RISK_REASON_STEPS = ("plan", "saving", *RISK_ENDS)
RISK_PLAN_STEPS = ("plan", "saving")
STEP_LABELS = {
    "flagged": "Flag",
    "qualified": "Qualify",
    "proposal": "Move to proposal",
    "won": "Won",
    "lost": "Lost",
    "weighed": "Weigh commercially",
    "closed": "Close",
    "plan": "Put a plan in place",
    "saving": "Start saving",
    "saved": "Saved",
}
ROLES = {"csm": "CSM", "am": "AM"}
_RETRIES = 20


class HandoffError(ValueError):
    """A step the workflow refuses, with the reason in words."""


class HandoffChanged(HandoffError, ChangedSince):
    """The handoff (or the account's handoffs) changed since the form was shown."""


def _change(c: log.ChangeRow) -> str:
    """One step in words: who, in which role, did what, when."""
    who = f"{c.actor or 'someone'} ({ROLES.get(c.role or '', c.role or 'unknown role')})"
    did = (
        f"flagged a {c.kind}"
        if c.state == "flagged"
        else (f"recorded {STEP_LABELS.get(c.state, c.state)!r} on the {c.kind} handoff")
    )
    return f"{who} {did} at {when(c.stepped_at)}"


def _changed_message(what: str, changes: list[log.ChangeRow], now_is: str) -> str:
    done = "; ".join(_change(c) for c in changes) or "its steps were removed (an erasure)"
    return (
        f"{what} changed since you saw it: {done}, so it is now {now_is}. Nothing was "
        "recorded: look at it again and choose."
    )


def next_steps(kind: str, state: str) -> dict[str, str]:
    """The states a handoff of ``kind`` in ``state`` may move to, with the role of each step."""
    return FLOW[kind].get(state, {})


def _path_to(kind: str, target: str) -> list[str]:
    """The shortest path of states from flagged to ``target`` (for the refusal message)."""
    paths = [["flagged"]]
    while paths:
        path = paths.pop(0)
        if path[-1] == target:
            return path
        paths.extend([*path, n] for n in FLOW[kind].get(path[-1], {}) if n not in path)
    return []


def _retrying(work):  # noqa: ANN001 - a small local helper
    """Run ``work`` again when another connection committed a conflicting change first (a
    write-write conflict, or the same step number taken): the rerun sees that change."""
    for attempt in range(_RETRIES):
        try:
            return work()
        except (duckdb.TransactionException, duckdb.ConstraintException):
            if attempt == _RETRIES - 1:
                raise
            time.sleep(0.02 * (attempt + 1))
    return None


def flag(
    app: AppStore,
    account_id: str,
    kind: str,
    evidence: str,
    actor: str,
    role: str,
    *,
    now: dt.datetime,
    seen_steps: int | None = None,
) -> str:
    """Open a handoff on an account; refused while one of the same kind is still open, and
    when ``seen_steps`` (the number of steps on the account's handoffs the form was shown) is
    no longer the number stored."""
    if kind not in KINDS:
        raise HandoffError(f"unknown handoff kind {kind!r} (expected one of {', '.join(KINDS)})")
    if role != "csm":
        raise HandoffError(f"a {kind} is flagged by the account's CSM, not by the {ROLES[role]}")
    if not evidence.strip():
        raise HandoffError("say why: the evidence (usage, outcomes, stakeholders) is required")
    handoff_id = uuid.uuid4().hex[:12]

    def work() -> str:
        with app.transaction() as con:
            if seen_steps is not None:
                count = log.account_step_count(con, account_id)
                if count != seen_steps:
                    changes = log.latest_account_steps(con, account_id, count - seen_steps)
                    latest = "".join(f"{c.state!r} on its {c.kind} handoff" for c in changes[-1:])
                    raise HandoffChanged(
                        _changed_message(f"{account_id}'s handoffs", changes, latest or "changed")
                    )
            open_one = log.open_handoff(con, account_id, kind, list(OPEN_STATES[kind]))
            if open_one:
                raise HandoffError(
                    f"{account_id} already has an open {kind} handoff ({open_one.state}, "
                    f"flagged by {open_one.created_by} on {open_one.created_on}); add to it "
                    "instead of flagging again"
                )
            log.insert_handoff(
                con, handoff_id, account_id, kind, evidence.strip(), actor, role, now
            )
        return handoff_id

    return _retrying(work)


def advance(
    app: AppStore,
    handoff_id: str,
    to_state: str,
    actor: str,
    role: str,
    *,
    from_state: str,
    account_has_am: bool,
    note: str = "",
    now: dt.datetime,
    from_kind: str | None = None,
    seen_step: int | None = None,
    risk: dict | None = None,
) -> int:
    """Move a handoff from ``from_state`` to ``to_state``; returns the step number.

    A risk's step from the plan on names, in ``risk``, the ``reason`` (one of
    ``RISK_REASONS``); the plan and saving steps also an ``owner``, the ``next_step`` and its
    ``due_on`` (not before today); refused without them.

    Refused, with the reason, when the move skips a state (won before qualified), when the
    role may not take it, when it is an AM step on an account with no AM (such accounts are
    worked from the unmanaged-middle list), or when someone else moved the handoff first:
    ``seen_step`` is the number of the last step the form was shown, and any step taken
    since refuses this one (with who took it, when, and the state it left).
    """

    def work() -> int:
        with app.transaction() as con:
            row = log.handoff_row(con, handoff_id)
            if row is None:
                raise HandoffError(f"there is no handoff {handoff_id!r}")
            kind, state, account_id = row
            if seen_step is not None and log.last_step_number(con, handoff_id) != seen_step:
                changes = log.steps_after(con, handoff_id, seen_step)
                raise HandoffChanged(_changed_message("this handoff", changes, repr(state)))
            if from_kind is not None and kind != from_kind:
                raise HandoffError(
                    f"this is a {kind} handoff, not the {from_kind} handoff you saw; reload"
                )
            if state != from_state:
                last = log.last_step(con, handoff_id)
                raise HandoffError(
                    f"this handoff is now {state!r}: {last.actor} "
                    f"({ROLES.get(last.role or '', last.role)}) moved it at "
                    f"{last.stepped_at:%Y-%m-%d %H:%M}; reload to see the latest step"
                )
            allowed = next_steps(kind, state)
            if to_state not in allowed:
                path = " → ".join(_path_to(kind, to_state)) or "no path"
                raise HandoffError(
                    f"cannot move a {kind} handoff from {state!r} to {to_state!r}; "
                    f"the workflow is {path}"
                )
            needed = allowed[to_state]
            if needed == "am" and not account_has_am:
                raise HandoffError(
                    f"{account_id} has no AM, so no AM can take this step; it is listed on "
                    "the Unmanaged middle page until an AM is assigned"
                )
            if role != needed:
                raise HandoffError(
                    f"{STEP_LABELS[to_state]!r} is the {ROLES[needed]}'s step, not the "
                    f"{ROLES.get(role, role)}'s"
                )
            details = _risk_details(to_state, risk, now.date()) if kind == "risk" else None
            step = log.next_step_number(con, handoff_id)
            log.insert_step(con, handoff_id, step, to_state, actor, role, note.strip() or None, now)
            if details is not None:
                log.insert_risk_step(con, handoff_id, step, *details)
            log.set_state(con, handoff_id, to_state, now)
        return step

    return _retrying(work)


def _risk_details(
    to_state: str, risk: dict | None, today: dt.date
) -> tuple[str, str | None, str | None, dt.date | None] | None:
    """The reason, owner, next step and due date a risk step names, checked; None for a step
    that names none (a step of a risk weighed before the lifecycle, to closed)."""
    if to_state not in RISK_REASON_STEPS:
        return None
    risk = risk or {}
    reason = risk.get("reason")
    if reason not in RISK_REASONS:
        raise HandoffError(
            f"pick the risk's reason from the list ({', '.join(RISK_REASONS)}); got {reason!r}"
        )
    if to_state not in RISK_PLAN_STEPS:
        return reason, None, None, None
    owner = (risk.get("owner") or "").strip()
    next_step = (risk.get("next_step") or "").strip()
    due_on = risk.get("due_on")
    if not owner:
        raise HandoffError("name the owner of the risk's next step")
    if not next_step:
        raise HandoffError("write the next step: what happens next to save the account")
    if not isinstance(due_on, dt.date) or due_on < today:
        raise HandoffError(f"give the next step a due date, today ({today}) or later")
    return reason, owner, next_step, due_on


def risk_steps(
    app: AppStore, handoff_ids: list[str] | None = None, unmask: bool = False
) -> pl.DataFrame:
    """What each risk step named: reason, owner, next step, due date."""
    rows = log.risk_step_rows(app, handoff_ids)
    return rows if unmask else mask_pii(rows, ("next_step",))


def risk_step_history(app: AppStore) -> pl.DataFrame:
    """Every step of every risk handoff (account, handoff, step, state, who, when)."""
    return log.kind_step_rows(app, "risk")


def handoffs(
    app: AppStore, account_ids: list[str] | None = None, unmask: bool = False
) -> pl.DataFrame:
    """Every handoff (of these accounts), newest first, with the time of its last AM step."""
    rows = log.handoff_rows(app, account_ids)
    return rows if unmask else mask_pii(rows)


def open_handoffs(app: AppStore) -> pl.DataFrame:
    frame = handoffs(app)
    return frame.filter(pl.col("state").is_in(ANY_OPEN_STATE))


def handoff_history(app: AppStore, account_id: str, unmask: bool = False) -> pl.DataFrame:
    """Every step of every handoff on an account, oldest first."""
    rows = log.step_rows(app, account_id)
    return rows if unmask else mask_pii(rows)


def stalled_flags(open_frame: pl.DataFrame, today: dt.date, days: int = 14) -> pl.DataFrame:
    """Open handoffs flagged more than ``days`` days ago on which no AM has taken a step."""
    cutoff = dt.datetime.combine(today - dt.timedelta(days=days), dt.time())
    return open_frame.filter(
        (pl.col("state") == "flagged")
        & (pl.col("created_at") < cutoff)
        & pl.col("last_am_step_at").is_null()
    )


def between_the_chairs(
    accounts: pl.DataFrame, candidates: pl.DataFrame, all_handoffs: pl.DataFrame, today: dt.date
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The two lists of expansions that fall between the chairs.

    - ``stalled``: flagged by the CSM more than 14 days ago with no AM step since (one row per
      handoff, with the account's columns from ``accounts``);
    - ``unflagged``: expansion-ready now and already in the snapshot about 30 days ago, and
      never flagged.
    """
    opened = all_handoffs.filter(pl.col("kind") == "expansion")
    stalled = stalled_flags(opened, today).with_columns(
        days_waiting=(pl.lit(today) - pl.col("created_at").dt.date()).dt.total_days()
    )
    stalled = stalled.join(accounts, on="account_id", how="inner")
    unflagged = candidates.filter(
        pl.col("expansion_ready"),
        pl.col("ready_30d_ago"),
        ~pl.col("account_id").is_in(opened["account_id"].implode()),
    )
    return stalled, unflagged


def flag_as(
    app: AppStore,
    viewer: Viewer,
    account: dict,
    kind: str,
    evidence: str,
    actor: Actor,
    *,
    seen_steps: int,
    now: dt.datetime,
) -> str:
    """``flag`` by a person: refused unless ``actor`` is who they may be on this account, and
    unless the account's handoffs are as the form showed them (``seen_steps`` steps)."""
    check_actor(viewer, actor, account.get("csm_owner"), account.get("am_owner"))
    return flag(
        app,
        account["account_id"],
        kind,
        evidence,
        actor.name,
        actor.role,
        now=now,
        seen_steps=seen_steps,
    )


def advance_as(
    app: AppStore,
    viewer: Viewer,
    account: dict,
    handoff_id: str,
    to_state: str,
    actor: Actor,
    *,
    from_state: str,
    from_kind: str,
    seen_step: int,
    note: str = "",
    now: dt.datetime,
    risk: dict | None = None,
) -> int:
    """``advance`` by a person: refused unless ``actor`` is who they may be on the account,
    and (a tab left open) unless the handoff is still the kind, state and version (its last
    step, ``seen_step``) they saw."""
    check_actor(viewer, actor, account.get("csm_owner"), account.get("am_owner"))
    return advance(
        app,
        handoff_id,
        to_state,
        actor.name,
        actor.role,
        from_state=from_state,
        from_kind=from_kind,
        account_has_am=bool(account.get("am_owner")),
        note=note,
        now=now,
        seen_step=seen_step,
        risk=risk,
    )
