"""A success plan's goals, written by the account's CSM or AM.

A goal measures one metric read from the data (seat utilisation, a feature's adoption,
tickets per month) or a value entered by hand; it has a start (the value when it was set), a
target, an owner (the account's CSM or AM) and a due date. Its current value is read from the
data, or (entered by hand) typed at each update. Its status is computed (scoring/goals.py).

Who edits: the account's CSM and AM, as themselves (the local user, with no sign-in, picks
which of the two they are). Anyone else who can see the account — a leader, ops, another
book's owner — reads the plan: a viewer, refused (``NotAllowed``) before anything is written.

Every edit is a new version of the goal (app store ``goal_versions``), audited with the
editor's identity. An edit names the version the form showed, and carries the values the
person saw and changed; one made on another version is refused (``GoalChanged``), writing
nothing, saying who changed the goal, when and to what.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid

import polars as pl

from dashboard.store import AppStore, goal_log
from dashboard.text import mask_pii, mask_text
from dashboard.workflows.access import Actor, NotAllowed, Viewer, actors_for
from dashboard.workflows.stale import ChangedSince, when

# what a goal can measure: its label, and its unit (None: the person names it)
METRICS: dict[str, tuple[str, str | None]] = {
    "seat_utilisation": ("Seat utilisation", "%"),
    "feature_adoption": ("Feature adoption", "%"),
    "tickets_per_month": ("Tickets per month", "tickets"),
    "manual": ("Entered by hand", None),
}
STATES = ("open", "dropped")
MAX_TITLE = 200
TEXTS = ("title", "edited_by", "owner")


class GoalChanged(ChangedSince):
    """The goal changed since the form showed it; nothing was recorded."""


def editor_for(viewer: Viewer, account: dict, acting_as: Actor | None = None) -> Actor:
    """Who writes this edit: the signed-in person in their role on the account (``acting_as``
    picks one of a combined owner's two roles); the local user as the owner they picked.
    Refused for anyone else: they read the plan."""
    actors = actors_for(viewer, account.get("csm_owner"), account.get("am_owner"))
    if not actors:
        raise NotAllowed(
            "only the account's CSM or AM edits its success plan; you can read it and export it"
        )
    if acting_as is None:
        if viewer.role == "local":
            raise NotAllowed("say who you are: the account's CSM or its AM")
        return actors[0]
    if acting_as not in actors:
        raise NotAllowed(
            f"you can edit only as yourself, in your own role on the account "
            f"(not as {acting_as.name}, {acting_as.role.upper()})"
        )
    return acting_as


def _number(name: str, value: float | None, *, required: bool) -> float | None:
    if value is None:
        if required:
            raise ValueError(f"give the {name}: a number")
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"the {name} must be a number (got {value!r})")
    return float(value)


def _checked(account: dict, values: dict) -> dict:
    """The goal's values, cleaned; ``ValueError`` naming the field for a bad one."""
    metric = values["metric"]
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r} (expected one of {', '.join(METRICS)})")
    title = (values.get("title") or "").strip()
    if not title:
        raise ValueError("name the goal: what the customer wants to reach")
    if len(title) > MAX_TITLE:
        raise ValueError(f"a goal's name is short: {len(title):,} characters, keep it under 200")
    feature = (values.get("feature") or "").strip() or None
    if metric == "feature_adoption" and not feature:
        raise ValueError("name the feature whose adoption the goal measures")
    unit = METRICS[metric][1] or ((values.get("unit") or "").strip() or None)
    manual = metric == "manual"
    start = _number("start value", values.get("start_value"), required=manual)
    current = _number("current value", values.get("current_value"), required=manual)
    target = _number("target", values.get("target_value"), required=True)
    for name, v in (("start value", start), ("current value", current), ("target", target)):
        if v is not None and unit == "%" and not 0 <= v <= 100:
            raise ValueError(f"the {name} is a share of 0 to 100 % (got {v:g})")
        if v is not None and v < 0 and not manual:
            raise ValueError(f"the {name} cannot be below 0 (got {v:g})")
    if start is not None and target == start:
        raise ValueError(f"the target is the start value ({target:g}): set a target to reach")
    owner = values.get("owner")
    owners = {account.get("csm_owner"): "csm", account.get("am_owner"): "am"}
    if not owner or owner not in owners:
        raise ValueError("the goal's owner is the account's CSM or its AM")
    start_on, due_on = values.get("start_on"), values.get("due_on")
    if not isinstance(due_on, dt.date):
        raise ValueError("give the goal a due date")
    if due_on <= start_on:
        raise ValueError(f"the due date ({due_on}) must come after the start ({start_on})")
    state = values.get("state") or "open"
    if state not in STATES:
        raise ValueError(f"unknown state {state!r} (expected one of {', '.join(STATES)})")
    return {
        "account_id": account["account_id"],
        "title": title,
        "metric": metric,
        "feature": feature if metric == "feature_adoption" else None,
        "unit": unit,
        "start_value": start,
        "start_on": start_on,
        "current_value": current if manual else None,  # read from the data otherwise
        "target_value": target,
        "owner": owner,
        "owner_role": owners[owner],
        "due_on": due_on,
        "state": state,
    }


def create_goal(
    app: AppStore,
    viewer: Viewer,
    account: dict,
    *,
    title: str,
    metric: str,
    target_value: float | None,
    owner: str | None,
    due_on: dt.date | None,
    now: dt.datetime,
    start_value: float | None = None,
    current_value: float | None = None,
    feature: str | None = None,
    unit: str | None = None,
    acting_as: Actor | None = None,
) -> str:
    """A new goal on ``account`` (its ``account_id``, ``csm_owner``, ``am_owner``), started
    today with the start value the person saw (a data metric's value today; typed for one
    entered by hand). Returns its id."""
    editor = editor_for(viewer, account, acting_as)
    values = _checked(
        account,
        {
            "title": title,
            "metric": metric,
            "feature": feature,
            "unit": unit,
            "start_value": start_value,
            "current_value": start_value if current_value is None else current_value,
            "target_value": target_value,
            "owner": owner,
            "start_on": now.date(),
            "due_on": due_on,
            "state": "open",
        },
    )
    goal_id = uuid.uuid4().hex[:12]
    goal_log.write_version(app, goal_id, values, None, editor.name, editor.role, now)
    return goal_id


def update_goal(
    app: AppStore,
    viewer: Viewer,
    account: dict,
    goal_id: str,
    *,
    seen_version: int,
    title: str,
    target_value: float | None,
    owner: str | None,
    due_on: dt.date | None,
    now: dt.datetime,
    current_value: float | None = None,
    state: str = "open",
    acting_as: Actor | None = None,
) -> int:
    """A new version of the goal with the values the person submitted (its name, target,
    owner, due date, state; the current value of one entered by hand), written only when
    ``seen_version`` is still the goal's version. Returns the new version."""
    editor = editor_for(viewer, account, acting_as)
    versions = goal_log.goal_versions(app, goal_id)
    if versions.is_empty() or versions["account_id"][0] != account["account_id"]:
        raise ValueError(f"there is no goal {goal_id!r} on this account")
    last = versions.row(-1, named=True)
    values = _checked(
        account,
        {
            **last,
            "title": title,
            "target_value": target_value,
            "owner": owner,
            "due_on": due_on,
            "current_value": current_value,
            "state": state,
        },
    )
    current = goal_log.write_version(
        app, goal_id, values, seen_version, editor.name, editor.role, now
    )
    if current is not None:
        raise GoalChanged(_changed_words(current))
    return seen_version + 1


def _with_unit(value: float, unit: str | None) -> str:
    return f"{value:g} {unit}" if unit else f"{value:g}"


def _changed_words(current: dict) -> str:
    if not current:
        return "the goal you saw was removed since (an erasure). Nothing was recorded."
    unit = current["unit"]
    now_at = (
        f", current {_with_unit(current['current_value'], unit)}"
        if current["current_value"] is not None
        else ""
    )
    return (
        f"this goal changed since you saw it: {mask_text(current['edited_by'])} "
        f"({(current['edited_role'] or '').upper()}) set it to {mask_text(current['title'])!r} "
        f"(target {_with_unit(current['target_value'], unit)}{now_at}, owner "
        f"{mask_text(current['owner'])}, due {current['due_on']}, {current['state']}) at "
        f"{when(current['edited_at'])}. Nothing was recorded: look at it again and edit."
    )


def goals(
    app: AppStore, account_ids: list[str] | None = None, unmask: bool = False
) -> pl.DataFrame:
    """The current version of every goal (of these accounts)."""
    rows = goal_log.current_goals(app, account_ids)
    return rows if unmask else mask_pii(rows, TEXTS)


def goal_history(app: AppStore, goal_id: str, unmask: bool = False) -> pl.DataFrame:
    """Every version of a goal, the first first, each with who wrote it and when."""
    rows = goal_log.goal_versions(app, goal_id)
    return rows if unmask else mask_pii(rows, TEXTS)
