"""Matches a person pins on the Data page: a key of another system (a billing customer, a
support organisation) that matched no account, pinned to the account it is. A pin names the
version of the key's pin the form showed (none, mostly); one pinned meanwhile, in another tab,
is refused with who pinned it to which account, when, and nothing is recorded."""

from __future__ import annotations

import datetime as dt

from dashboard.store import AppStore
from dashboard.store.pins import pin_versions, save_pin
from dashboard.workflows.stale import ChangedSince, when

__all__ = ["PinChanged", "pin_match", "pin_versions"]


class PinChanged(ChangedSince):
    """The key was pinned (again) since the form showed it; nothing was recorded."""


def pin_match(
    app: AppStore,
    system: str,
    key: str,
    account_id: str,
    actor: str,
    now: dt.datetime,
    *,
    seen_version: str,
) -> None:
    """Pin ``key`` of ``system`` to ``account_id`` (audited), only on the version of the
    key's pin the form showed (``seen_version``, "" for none): otherwise ``PinChanged``
    saying who pinned it to what, when, and nothing is written."""
    if not key or not account_id:
        raise ValueError("pick the key in the file and the account it is")
    before = save_pin(app, system, key, account_id, actor, now, seen_version)
    if (before["version"] if before else "") != seen_version:
        if before is None:
            raise PinChanged(
                f"the pin of {key!r} changed since you saw it: it was removed. Nothing was "
                "recorded: check the data again and choose."
            )
        raise PinChanged(
            f"the pin of {key!r} changed since you saw it: {before['pinned_by'] or 'someone'} "
            f"pinned it to {before['account_id']!r} at {when(before['pinned_at'])}. Nothing was "
            "recorded: check the data again and choose."
        )
