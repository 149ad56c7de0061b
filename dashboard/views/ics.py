"""Renewals as an iCalendar file (RFC 5545, written by the ``icalendar`` library), so they land
in the calendars the team already uses: one all-day event per renewal, with a reminder at the
start of its 90-day value-validation window. Every text from the data is one line, masked and
defanged (``views.exports.plain_rows``); each event names its account in
``X-TANDEM-ACCOUNT-ID``."""

from __future__ import annotations

import datetime as dt

import polars as pl
from icalendar import Alarm, Calendar, Event

from dashboard.text import NO_DATA, RENEWAL_WINDOW_DAYS, days, format_money
from dashboard.views.exports import ACCOUNT_PROPERTY, plain_rows


def _money(value: float | None) -> str:
    return format_money(value)  # the one money format, in the data's currency


def renewals_ics(renewals: pl.DataFrame, stamp: dt.datetime, undated: int = 0) -> bytes:
    """One VEVENT per row of ``renewals`` (account_id, account_name, renewal_date, arr,
    health, band, csm_owner, am_owner, and optionally renewal_basis, top_cause, csm_next,
    am_next); an estimated date says so in its summary and description. ``undated`` (accounts
    with no renewal date, so no event) is said in the calendar's description."""
    calendar = Calendar()
    calendar.add("prodid", "-//Tandem//Renewal calendar//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "Tandem renewals")
    if undated:
        calendar.add(
            "x-wr-caldesc",
            f"{undated} account{'s have' if undated != 1 else ' has'} no renewal date (none on "
            "record and no contract or subscription start to estimate one from) and no event "
            "here.",
        )
    for row in plain_rows(renewals, ids=("account_id", "band")).iter_rows(named=True):
        day: dt.date = row["renewal_date"]
        health = "no score" if row["health"] is None else f"health {row['health']:.0f}"
        event = Event()
        event.add("uid", f"renewal-{row['account_id']}-{day.isoformat()}@tandem")
        event.add("dtstamp", stamp)
        event.add("dtstart", day)
        event.add("dtend", day + dt.timedelta(days=1))
        basis = row.get("renewal_basis") or ""
        estimated = basis.startswith("estimated")
        event.add(
            "summary",
            f"{'Estimated renewal' if estimated else 'Renewal'}: {row['account_name']} "
            f"({_money(row['arr'])} ARR)",
        )
        lines = [f"Renewal date {basis} (no renewal date on record)."] if estimated else []
        lines += [
            f"Account {row['account_id']}: {_money(row['arr'])} ARR, {health} "
            f"({row.get('band') or 'no band'}).",
            f"CSM: {row.get('csm_owner') or '—'} · AM: {row.get('am_owner') or 'no AM'}",
        ]
        if row.get("top_cause"):
            lines.append(f"What pulls it down: {row['top_cause']}")
        if row.get("risk_before_deadline"):  # the joint action is for renewals at risk only
            if row.get("csm_next"):
                lines.append(f"CSM: {row['csm_next']}")
            if row.get("am_next"):
                lines.append(f"AM: {row['am_next']}")
        else:
            lines.append("Not at risk: confirm the value delivered and the renewal terms.")
        event.add("description", "\n".join(lines))
        event.add("categories", ["Renewal", row.get("band") or NO_DATA])
        event.add(ACCOUNT_PROPERTY, row["account_id"])
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add(
            "description",
            f"{days(RENEWAL_WINDOW_DAYS)} to the {row['account_name']} renewal: value review",
        )
        alarm.add("trigger", dt.timedelta(days=-RENEWAL_WINDOW_DAYS))
        event.add_component(alarm)
        calendar.add_component(event)
    return calendar.to_ical()
