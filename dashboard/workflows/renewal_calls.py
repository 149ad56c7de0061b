"""The renewal call: the AM's forecast of a renewal — commit, best case, at risk or omitted —
with a reason and the ARR they expect, kept beside the model's churn probability.

Who calls: the account's AM; the CSM where the account has no AM. A signed-in person calls
only as themself on a renewal of their own book; the single local user (no sign-in) calls as
the account's caller. Leaders read the calls (and the disagreements) but do not make them.

When: for renewals in the next three quarters (``CALL_HORIZON_DAYS``). A call freezes
``CALL_FREEZE_DAYS`` days before the renewal: a call made after that (a change, or a first
call made late) needs a reason of its own, kept with it.

Every call is kept (app store ``renewal_calls``, audited): the latest on a renewal is its
call, the earlier ones its history. A call names the version of the call the form showed (its
call id; None when it showed none), and one made on another version is refused, recording
nothing, with who called what, when.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid

import polars as pl

from dashboard.store import AppStore, call_log
from dashboard.text import mask_pii, mask_text
from dashboard.workflows.access import Actor, NotAllowed, Viewer
from dashboard.workflows.stale import ChangedSince, when
from scoring.glossary import CALL_CATEGORIES, CALL_FREEZE_DAYS, CALL_HORIZON_DAYS

MAX_REASON = 2000
TEXTS = ("reason", "frozen_change_reason")


class CallChanged(ChangedSince):
    """The renewal's call changed since the form showed it; nothing was recorded."""


def caller_of(account: dict) -> Actor | None:
    """Who makes the call on an account: its AM, or its CSM where it has no AM."""
    if account.get("am_owner"):
        return Actor(account["am_owner"], "am")
    if account.get("csm_owner"):
        return Actor(account["csm_owner"], "csm")
    return None


def caller_for(viewer: Viewer, account: dict) -> Actor:
    """The caller this viewer records as on ``account``: refused (``NotAllowed``) for anyone
    but the account's caller (the local user calls as them)."""
    caller = caller_of(account)
    if caller is None:
        raise NotAllowed("this account has no AM and no CSM: nobody can make its renewal call")
    if viewer.role == "local" or viewer.name == caller.name:
        return caller
    if viewer.acts_for(caller.name):  # covering for the caller: the call is recorded as X
        return Actor(viewer.name, caller.role)
    if viewer.name == account.get("csm_owner"):
        raise NotAllowed(
            f"the renewal call is the AM's ({mask_text(caller.name)}): the CSM makes it only "
            "on an account with no AM"
        )
    if viewer.role in ("leader", "ops"):
        raise NotAllowed(
            "leaders read the renewal calls and their disagreements with the model; the "
            "account's AM (or its CSM where there is no AM) makes the call"
        )
    raise NotAllowed(
        "this renewal is not in your book: only its AM (or its CSM where there is no AM) "
        "records its call"
    )


def freeze_date(renewal_date: dt.date) -> dt.date:
    """The day a renewal's call freezes (``CALL_FREEZE_DAYS`` before the renewal)."""
    return renewal_date - dt.timedelta(days=CALL_FREEZE_DAYS)


def is_frozen(renewal_date: dt.date, today: dt.date) -> bool:
    """True from the freeze date on: a call made now needs a reason for the change."""
    return today >= freeze_date(renewal_date)


def _checked(
    category: str, reason: str, expected_arr: float | None, renewal: dt.date | None, today: dt.date
) -> tuple[str, dt.date]:
    if renewal is None:
        raise ValueError("this account has no renewal date: there is no renewal to call")
    days_left = (renewal - today).days
    if days_left < 0 or days_left > CALL_HORIZON_DAYS:
        raise ValueError(
            f"the renewal on {renewal} is {days_left} days away: calls are made for renewals "
            f"in the next {CALL_HORIZON_DAYS} days (three quarters)"
        )
    if category not in CALL_CATEGORIES:
        raise ValueError(
            f"unknown call {category!r} (expected one of {', '.join(CALL_CATEGORIES)})"
        )
    words = (reason or "").strip()
    if not words:
        raise ValueError("write the reason for the call: what you know that makes it")
    if len(words) > MAX_REASON:
        raise ValueError(
            f"a reason is a short note: {len(words):,} characters, keep it under {MAX_REASON:,}"
        )
    if expected_arr is None or not math.isfinite(expected_arr) or expected_arr < 0:
        raise ValueError(f"the expected ARR must be an amount of 0 or more (got {expected_arr!r})")
    return words, renewal


def record_call(
    app: AppStore,
    viewer: Viewer,
    account: dict,
    category: str,
    reason: str,
    expected_arr: float | None,
    now: dt.datetime,
    *,
    seen_version: str | None,
    frozen_change_reason: str | None = None,
) -> str:
    """Record the call on ``account``'s next renewal (its ``renewal_date``) as the signed-in
    ``viewer``; returns the call's id (its new version). Refused, recording nothing: by
    anyone but the account's caller (``NotAllowed``); outside the call horizon, with an
    unknown category, no reason or no valid expected ARR (``ValueError``); after the freeze
    without ``frozen_change_reason``; and (``CallChanged``) when ``seen_version`` — the call
    id the form showed, None for no call — is no longer the renewal's call."""
    caller = caller_for(viewer, account)
    today = now.date()
    words, renewal = _checked(category, reason, expected_arr, account.get("renewal_date"), today)
    change = (frozen_change_reason or "").strip() or None
    if is_frozen(renewal, today):
        if change is None:
            raise ValueError(
                f"calls on this renewal froze on {freeze_date(renewal)} ({CALL_FREEZE_DAYS} "
                f"days before {renewal}): say why the call is made or changed after the freeze"
            )
        if len(change) > MAX_REASON:
            raise ValueError(f"the reason for the change is over {MAX_REASON:,} characters")
    else:
        change = None
    call_id = uuid.uuid4().hex[:12]
    current = call_log.insert_call(
        app,
        {
            "call_id": call_id,
            "account_id": account["account_id"],
            "renewal_date": renewal,
            "category": category,
            "reason": words,
            "expected_arr": float(expected_arr),  # type: ignore[arg-type]
            "frozen_change_reason": change,
            "caller": caller.name,
            "role": caller.role,
            "called_at": now,
        },
        seen_version,
        now,
    )
    if current is not None:
        if current["call_id"] is None:
            raise CallChanged(
                "the call you saw was removed since (an erasure). Nothing was recorded: look "
                "at the renewal again."
            )
        raise CallChanged(
            f"this renewal's call changed since you saw it: {mask_text(current['caller'])} "
            f"called it {current['category']!r} (expected ARR {current['expected_arr']:,.0f}) "
            f"at {when(current['called_at'])}. Nothing was recorded: look at it again and call."
        )
    return call_id


def call_history(
    app: AppStore, account_id: str, renewal_date: dt.date, unmask: bool = False
) -> pl.DataFrame:
    """Every call made on a renewal, the first first, each with who made it and when."""
    rows = call_log.call_rows(app, account_id, renewal_date)
    return rows if unmask else mask_pii(rows, TEXTS)


def current_calls(app: AppStore, unmask: bool = False) -> pl.DataFrame:
    """The call of every renewal that has one (``version`` = its call id), with how many
    calls were made on it."""
    rows = call_log.current_calls(app).with_columns(version=pl.col("call_id"))
    return rows if unmask else mask_pii(rows, TEXTS)


def callable_by(viewer: Viewer, renewals: pl.DataFrame) -> pl.DataFrame:
    """The renewals (rows with ``csm_owner`` and ``am_owner``) whose call this viewer makes:
    every one for the single local user, else those where they are the caller (the AM; the
    CSM where there is no AM), or cover for the caller today. Leaders get none."""
    if viewer.role == "local":
        return renewals
    return renewals.filter(
        pl.coalesce("am_owner", "csm_owner").is_in([viewer.name, *viewer.covering])
    )
