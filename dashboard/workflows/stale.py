"""The refusal of an action taken on a record that changed since the person saw it.

Every action form submits the choice the person saw, by value, with the version of the record
it was shown (a handoff's last step, a task's content, the scorecard activations). The
workflow compares that version with the stored one inside its transaction and refuses,
recording nothing, when they differ: the message says who changed the record, when and to
what, so a tab left open can never record a step nobody chose.
"""

from __future__ import annotations

import datetime as dt


class ChangedSince(ValueError):
    """The record changed since the person saw it; nothing was recorded."""


def when(at: dt.datetime | None) -> str:
    """A time as the refusals write it (to the minute)."""
    return f"{at:%Y-%m-%d %H:%M}" if at else "an unknown time"
