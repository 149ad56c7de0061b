"""The app's one read of the clock.

Every date the app scores as of and every time it records comes from here. ``TANDEM_TODAY``
(an ISO date) pins the date: the app, the command line and the nightly job then count as of
that day, and record times on it (the time of day still moves, so records keep their order).
Tests pin it, so the suite gives the same numbers whatever the machine's clock says; a team
can pin it to replay a day. Durations (timeouts, benchmarks) use ``time.monotonic``, not this.
"""

from __future__ import annotations

import datetime as dt
import os

ENV = "TANDEM_TODAY"


def pinned() -> dt.date | None:
    """The date ``TANDEM_TODAY`` pins, or None when the machine's clock is used."""
    value = os.environ.get(ENV, "").strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"{ENV}={value!r} is not a date (expected YYYY-MM-DD)") from exc


def today() -> dt.date:
    """The date the app counts as of: the pinned date, else the machine's."""
    return pinned() or dt.date.today()


def _shift() -> dt.timedelta:
    day = pinned()
    return dt.timedelta(0) if day is None else day - dt.date.today()


def now() -> dt.datetime:
    """Local time on :func:`today` (naive, as stored)."""
    return dt.datetime.now() + _shift()


def utcnow() -> dt.datetime:
    """UTC time on :func:`today`'s clock (naive, as stored)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None) + _shift()
