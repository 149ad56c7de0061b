"""The stakeholder map, the stakeholder signals as drivers, and their digest and sync lines,
each given hand-made rows on a fixed date with the expected output."""

from __future__ import annotations

import datetime as dt

import polars as pl

from dashboard.schema import conform
from dashboard.text import EMAIL_MASK, mask_pii
from dashboard.views.stakeholders import MAP_COLUMNS, PEOPLE_TEXT, people_map
from scoring.people import last_seen, last_touch
from scoring.stakeholder_signals import (
    raised_signals,
    signal_digest_rows,
    signal_drivers,
    signal_lines,
)

AS_OF = dt.date(2026, 6, 15)


def at(y: int, m: int, d: int, h: int = 10) -> dt.datetime:
    return dt.datetime(y, m, d, h, 0)


def frame(table: str, rows: list[dict], schema: dict) -> pl.DataFrame:
    return conform(table, pl.DataFrame(rows, schema=schema))


CONTACT = {
    "account_id": pl.String,
    "contact_id": pl.String,
    "name": pl.String,
    "email": pl.String,
    "title": pl.String,
    "role": pl.String,
    "left_on": pl.Date,
}


def person(account: str, cid: str, name: str, role: str | None, left: dt.date | None = None):
    email = f"{name.lower()}@{account.lower()}.io"
    title = "VP" if role == "economic buyer" else None
    return {
        "account_id": account,
        "contact_id": cid,
        "name": name,
        "email": email,
        "title": title,
        "role": role,
        "left_on": left,
    }


PEOPLE = frame(
    "contacts",
    [
        # A: the champion left on 2026-05-01; the new one is seen; a user of unknown role
        person("A", "c1", "Ana", "champion", dt.date(2026, 5, 1)),
        person("A", "c2", "Bo", "champion"),
        person("A", "c3", "Cy", None),
        # B: one champion, last seen 2026-03-01 (over 45 days): quiet; ARR over the limit and
        # no economic buyer
        person("B", "c4", "Di", "champion"),
        # C: a champion and a buyer, seen recently: nothing raised
        person("C", "c5", "Ed", "champion"),
        person("C", "c6", "Flo", "economic buyer"),
        # D: a champion on an account whose people cannot be seen: quiet unknown, no driver
        person("D", "c7", "Gus", "champion"),
    ],
    CONTACT,
)
USAGE = frame(
    "usage_events",
    [
        {"account_id": "A", "occurred_at": at(2026, 6, 10), "user_id": "BO@a.io"},
        {"account_id": "A", "occurred_at": at(2026, 4, 20), "user_id": "c1"},
        {"account_id": "B", "occurred_at": at(2026, 3, 1), "user_id": "di@b.io"},
        {"account_id": "C", "occurred_at": at(2026, 6, 14), "user_id": "c5"},
        {"account_id": "C", "occurred_at": at(2026, 6, 20), "user_id": "flo@c.io"},  # after
    ],
    {"account_id": pl.String, "occurred_at": pl.Datetime("us"), "user_id": pl.String},
)
ACTS = frame(
    "activities",
    [
        {
            "account_id": "A",
            "occurred_at": at(2026, 5, 2),
            "author": "Cara CSM",
            "role": "csm",
            "summary": "Call with bo@a.io about the handover, +44 20 7946 0958",
        },
        {
            "account_id": "A",
            "occurred_at": at(2026, 6, 1),
            "author": "Alan AM",
            "role": "am",
            "summary": "Pricing with BO@A.IO",
        },
        {
            "account_id": "A",
            "occurred_at": at(2026, 6, 30),  # after the date: not known yet
            "author": "Late Larry",
            "role": "am",
            "summary": "bo@a.io again",
        },
        {
            "account_id": "C",
            "occurred_at": at(2026, 6, 5),
            "author": "Cara CSM",
            "role": "csm",
            "summary": "QBR with flo@c.io",
        },
    ],
    {
        "account_id": pl.String,
        "occurred_at": pl.Datetime("us"),
        "author": pl.String,
        "role": pl.String,
        "summary": pl.String,
    },
)
ACCOUNTS = pl.DataFrame(
    {
        "account_id": ["A", "B", "C", "D"],
        "account_name": ["Acme", "Bolt", "Cove", "Dune"],
        "arr": [20_000.0, 80_000.0, 90_000.0, None],
    }
)


def test_last_touch_is_the_latest_activity_naming_the_contact_up_to_the_date():
    touched = last_touch(last_seen(PEOPLE, USAGE, ACTS, AS_OF), ACTS, AS_OF)
    got = {
        r["name"]: (r["touched_by"], r["touched_role"], r["touched_on"])
        for r in touched.iter_rows(named=True)
    }
    assert got == {
        "Ana": (None, None, None),
        "Bo": ("Alan AM", "AM", dt.date(2026, 6, 1)),
        "Cy": (None, None, None),
        "Di": (None, None, None),
        "Ed": (None, None, None),
        "Flo": ("Cara CSM", "CSM", dt.date(2026, 6, 5)),
        "Gus": (None, None, None),
    }


def test_people_map_role_unknown_seen_where_touched_by_left_on():
    rows = people_map(PEOPLE, USAGE, ACTS, AS_OF).select(MAP_COLUMNS)
    got = {r["name"]: r for r in rows.iter_rows(named=True)}
    assert got["Ana"]["role"] == "champion"
    assert got["Ana"]["left_on"] == dt.date(2026, 5, 1)
    assert (got["Ana"]["last_seen"], got["Ana"]["seen_in"]) == (dt.date(2026, 4, 20), "usage")
    assert got["Bo"]["last_seen"] == dt.date(2026, 6, 10)
    assert got["Bo"]["seen_in"] == "usage and activities"
    assert got["Bo"]["touched_by"] == "Alan AM (AM)"
    assert got["Cy"]["role"] == "unknown"  # the CRM gives no role: said, not guessed
    assert (got["Cy"]["last_seen"], got["Cy"]["seen_in"]) == (None, "never")
    assert got["Flo"]["seen_in"] == "activities"  # her usage on 2026-06-20 is after the date
    assert got["Flo"]["title"] == "VP"
    # D's people cannot be seen: unknown, not "never"
    assert got["Gus"]["seen_in"] == "unknown: no per-user usage or activities"
    masked = mask_pii(rows, PEOPLE_TEXT)
    assert set(masked["email"]) == {EMAIL_MASK}


def test_only_true_signals_are_drivers_with_both_roles_actions():
    raised = raised_signals(PEOPLE, USAGE, ACTS, ACCOUNTS.select("account_id", "arr"), AS_OF)
    drivers = signal_drivers(raised)
    got = drivers.select("account_id", "signal", "cause", "owner_role").rows()
    assert got == [
        ("A", "champion_left", "Ana, left on 2026-05-01", "CSM + AM"),
        ("B", "champion_quiet", "Di, not seen for 45+ days, last seen 2026-03-01", "CSM"),
        ("B", "no_economic_buyer", "no economic buyer on file (ARR from 50,000 up)", "AM"),
    ]
    # A under the ARR limit: no buyer signal; C has a buyer; D: ARR and people unknown, so
    # no driver (unknown is not a driver)
    left = drivers.row(0, named=True)
    assert left["csm_action"] == "Find and onboard the new champion"
    assert left["am_action"] == "Re-establish the commercial relationship before the renewal"
    buyer = drivers.row(2, named=True)
    assert buyer["am_action"] == "Get the economic buyer in the room before the renewal"


def test_no_contacts_no_drivers():
    none = PEOPLE.clear()
    raised = raised_signals(none, USAGE, ACTS, ACCOUNTS.select("account_id", "arr"), AS_OF)
    assert raised.is_empty()
    assert signal_drivers(raised).is_empty()


def test_sync_lines_and_digest_rows_for_each_owner():
    drivers = signal_drivers(
        raised_signals(PEOPLE, USAGE, ACTS, ACCOUNTS.select("account_id", "arr"), AS_OF)
    )
    lines = signal_lines(drivers, ACCOUNTS.select("account_id", "account_name"))
    assert lines["line"].to_list() == [
        "Champion left: Acme (Ana, left on 2026-05-01)",
        "Champion quiet: Bolt (Di, not seen for 45+ days, last seen 2026-03-01)",
        "No economic buyer: Bolt (no economic buyer on file (ARR from 50,000 up))",
    ]
    scored = ACCOUNTS.with_columns(
        health=pl.lit(40.0),
        band=pl.lit("red"),
        days_to_renewal=pl.lit(60),
        csm_owner=pl.lit("Cara CSM"),
        am_owner=pl.lit("Alan AM"),
    )
    rows = signal_digest_rows(drivers, scored)
    got = rows.select("account_id", "role", "reason", "action", "to_leader").rows()
    assert got == [
        ("A", "csm", "Champion left", "Find and onboard the new champion", True),
        (
            "A",
            "am",
            "Champion left",
            "Re-establish the commercial relationship before the renewal",
            True,
        ),
        (
            "B",
            "csm",
            "Champion quiet",
            "Reach the champion personally and find out what changed",
            False,
        ),
        (
            "B",
            "am",
            "No economic buyer",
            "Get the economic buyer in the room before the renewal",
            False,
        ),
    ]


def test_digest_files_carry_the_signal_lines_to_each_owner():
    from dashboard.jobs.digests import build_digests, digest_markdown

    drivers = signal_drivers(
        raised_signals(PEOPLE, USAGE, ACTS, ACCOUNTS.select("account_id", "arr"), AS_OF)
    )
    scored = ACCOUNTS.with_columns(  # green, steady, nothing else to say
        health=pl.lit(80.0),
        band=pl.lit("green"),
        days_to_renewal=pl.lit(60),
        csm_owner=pl.lit("Cara CSM"),
        am_owner=pl.lit("Alan AM"),
        health_falling=pl.lit(False),
        risk_before_deadline=pl.lit(False),
        invoices_overdue=pl.lit(0),
        max_days_past_due=pl.lit(0),
        expansion_ready=pl.lit(False),
        expansion_window=pl.lit(None, pl.String),
        triggers_fired=pl.lit(None, pl.String),
        top_cause=pl.lit(None, pl.String),
        csm_next=pl.lit(None, pl.String),
        am_next=pl.lit(None, pl.String),
        top_action=pl.lit(None, pl.String),
    )
    owners = pl.DataFrame({"owner": ["Lee"], "role": ["leader"]})
    built = build_digests(scored, owners, AS_OF, signal_digest_rows(drivers, scored))
    text = {d.role: digest_markdown(d) for d in built}
    assert (
        "Champion left: Ana, left on 2026-05-01. Next: Find and onboard the new champion."
        in (text["csm"])
    )
    assert "Champion quiet: Di, not seen for 45+ days, last seen 2026-03-01." in text["csm"]
    assert "No economic buyer" not in text["csm"]
    assert (
        "No economic buyer: no economic buyer on file (ARR from 50,000 up). "
        "Next: Get the economic buyer in the room before the renewal." in text["am"]
    )
    assert "Champion left: Ana" in text["leader"]  # a champion who left reaches the leaders
    assert "Champion quiet" not in text["leader"]


def test_stakeholder_rows_of_some_accounts_are_their_rows_of_every_account(demo_stores):
    from dashboard.store.stakeholder_rows import stakeholder_rows

    ids = demo_stores.sources.query(
        "SELECT DISTINCT account_id FROM contacts ORDER BY account_id LIMIT 5"
    )["account_id"].to_list()
    every, some = stakeholder_rows(demo_stores.sources), stakeholder_rows(demo_stores.sources, ids)
    for name in ("contacts", "usage_events", "activities"):
        expected = getattr(every, name).filter(pl.col("account_id").is_in(ids))
        got = getattr(some, name)
        assert got.height > 0 and got.sort(pl.all()).equals(expected.sort(pl.all())), name
    assert stakeholder_rows(demo_stores.sources, []).contacts.is_empty()
