"""The customer's people: last seen per contact, and the stakeholder signals, each given
hand-made rows on a fixed date with the expected output."""

from __future__ import annotations

import datetime as dt

import polars as pl

from dashboard.schema import conform
from dashboard.text import EMAIL_MASK, mask_pii
from scoring.glossary import CHAMPION_QUIET_DAYS, NO_BUYER_ARR
from scoring.people import champion_left, champion_quiet, last_seen, no_economic_buyer

AS_OF = dt.date(2026, 6, 15)


def at(y: int, m: int, d: int) -> dt.datetime:
    return dt.datetime(y, m, d, 10, 0)


def contacts(*rows: dict) -> pl.DataFrame:
    return conform("contacts", pl.DataFrame(list(rows), infer_schema_length=None))


def usage(*rows: tuple[str, dt.datetime, str | None]) -> pl.DataFrame:
    return conform(
        "usage_events",
        pl.DataFrame(
            {
                "account_id": [r[0] for r in rows],
                "occurred_at": [r[1] for r in rows],
                "user_id": [r[2] for r in rows],
            },
            schema={
                "account_id": pl.String,
                "occurred_at": pl.Datetime("us"),
                "user_id": pl.String,
            },
        ),
    )


def activities(*rows: tuple[str, dt.datetime, str]) -> pl.DataFrame:
    return conform(
        "activities",
        pl.DataFrame(
            {
                "account_id": [r[0] for r in rows],
                "occurred_at": [r[1] for r in rows],
                "summary": [r[2] for r in rows],
            },
            schema={
                "account_id": pl.String,
                "occurred_at": pl.Datetime("us"),
                "summary": pl.String,
            },
        ),
    )


PEOPLE = contacts(
    # seen in usage by e-mail (another case), and later in an activity that names her
    {"account_id": "A", "contact_id": "c1", "name": "Ana", "email": "ana@a.io", "role": "champion"},
    # seen in usage by her CRM id only
    {"account_id": "A", "contact_id": "c2", "name": "Bo", "email": "bo@a.io", "role": "user"},
    # never seen, on an account whose people are seen
    {"account_id": "A", "contact_id": "c3", "name": "Cy", "email": "cy@a.io", "role": "sponsor"},
    # an account with no usage and no activities: unknown, not quiet
    {"account_id": "B", "contact_id": "c4", "name": "Di", "email": "di@b.io", "role": "champion"},
    # the same e-mail at another account does not count for this one
    {"account_id": "C", "contact_id": "c5", "name": "Ed", "email": "ana@a.io", "role": "champion"},
)
USAGE = usage(
    ("A", at(2026, 3, 1), "ANA@a.io"),
    ("A", at(2026, 4, 2), "c2"),
    ("A", at(2026, 7, 1), "cy@a.io"),  # after the scoring date: does not count
    ("C", at(2026, 6, 1), "someone@c.io"),
)
ACTS = activities(
    ("A", at(2026, 5, 20), "QBR with Ana (ana@a.io) and the CSM"),
    ("B", at(2026, 7, 2), "kick-off with di@b.io"),  # after the scoring date
)


def test_last_seen_per_contact_from_usage_and_activities():
    seen = last_seen(PEOPLE, USAGE, ACTS, AS_OF)
    got = {
        r["name"]: (r["seen_in_usage"], r["seen_in_activities"], r["last_seen"], r["observable"])
        for r in seen.iter_rows(named=True)
    }
    assert got == {
        "Ana": (dt.date(2026, 3, 1), dt.date(2026, 5, 20), dt.date(2026, 5, 20), True),
        "Bo": (dt.date(2026, 4, 2), None, dt.date(2026, 4, 2), True),
        "Cy": (None, None, None, True),
        "Di": (None, None, None, False),
        "Ed": (None, None, None, True),
    }


def test_champion_quiet_after_n_days_unknown_where_people_cannot_be_seen():
    seen = last_seen(PEOPLE, USAGE, ACTS, AS_OF)
    quiet = champion_quiet(seen, AS_OF, days=20)
    got = {
        r["account_id"]: (r["champions"], r["champion_quiet"]) for r in quiet.iter_rows(named=True)
    }
    # Ana was seen 26 days before: quiet at 20 days; Di's account shows nobody: unknown;
    # Ed never appears although his account's usage is loaded: quiet
    assert got == {"A": (1, True), "B": (1, None), "C": (1, True)}
    assert quiet.filter(pl.col("account_id") == "A")["quiet_names"].to_list() == [["Ana"]]
    # with the glossary's N (more than 26 days) Ana is not quiet
    default = champion_quiet(seen, AS_OF)
    assert CHAMPION_QUIET_DAYS > 26
    assert default.filter(pl.col("account_id") == "A")["champion_quiet"].to_list() == [False]


def test_a_second_active_champion_keeps_the_account_from_quiet_and_a_leaver_is_no_champion():
    people = contacts(
        {"account_id": "A", "email": "old@a.io", "role": "champion", "name": "Old"},
        {"account_id": "A", "email": "new@a.io", "role": "champion", "name": "New"},
        {
            "account_id": "A",
            "email": "gone@a.io",
            "role": "champion",
            "name": "Gone",
            "left_on": dt.date(2026, 1, 1),
        },
    )
    seen = last_seen(people, usage(("A", at(2026, 6, 10), "new@a.io")), activities(), AS_OF)
    quiet = champion_quiet(seen, AS_OF).row(0, named=True)
    assert (quiet["champions"], quiet["quiet_champions"], quiet["champion_quiet"]) == (2, 1, False)


def test_champion_left_by_left_on_within_the_window_or_gone_from_a_later_load():
    before = contacts(
        {
            "account_id": "A",
            "contact_id": "1",
            "name": "Ana",
            "email": "ana@a.io",
            "role": "champion",
        },
        {
            "account_id": "A",
            "contact_id": "2",
            "name": "Bo",
            "email": "bo@a.io",
            "role": "champion",
        },
        {
            "account_id": "B",
            "contact_id": "3",
            "name": "Cy",
            "email": "cy@b.io",
            "role": "champion",
        },
        {"account_id": "B", "contact_id": "4", "name": "Di", "email": "di@b.io", "role": "user"},
    )
    now = contacts(
        # Ana left 15 days ago: left
        {
            "account_id": "A",
            "contact_id": "1",
            "name": "Ana",
            "email": "ana@a.io",
            "role": "champion",
            "left_on": dt.date(2026, 5, 31),
        },
        # Bo's CRM id changed, his e-mail did not: still there
        {
            "account_id": "A",
            "contact_id": "9",
            "name": "Bo",
            "email": "BO@a.io",
            "role": "champion",
        },
        # a champion who left two years ago is history, not a signal
        {
            "account_id": "A",
            "name": "Ex",
            "email": "ex@a.io",
            "role": "champion",
            "left_on": dt.date(2024, 6, 1),
        },
        # Cy is gone from this load; Di (a user) too, which is no champion signal
    )
    left = champion_left(now, AS_OF, previous=before)
    assert left.select("account_id", "name", "left_on", "how").rows() == [
        ("A", "Ana", dt.date(2026, 5, 31), "left_on"),
        ("B", "Cy", None, "gone from the CRM"),
    ]
    assert champion_left(now, AS_OF)["name"].to_list() == ["Ana"]


def test_no_economic_buyer_above_the_arr_limit_unknown_without_contacts_arr_or_known_roles():
    accounts = pl.DataFrame(
        {
            "account_id": [
                *("big", "big_buyer", "big_buyer_left", "small", "no_people", "no_arr"),
                *("big_unknown", "big_unknown_buyer"),
            ],
            "arr": [
                *(NO_BUYER_ARR, 90_000.0, 90_000.0, NO_BUYER_ARR - 1, 90_000.0, None),
                *(90_000.0, 90_000.0),
            ],
        }
    )
    people = contacts(
        {"account_id": "big", "email": "a@big.io", "role": "champion"},
        {"account_id": "big_buyer", "email": "cfo@bb.io", "role": "economic buyer"},
        {
            "account_id": "big_buyer_left",
            "email": "cfo@bl.io",
            "role": "economic buyer",
            "left_on": dt.date(2026, 6, 1),
        },
        {"account_id": "small", "email": "a@s.io", "role": "user"},
        {"account_id": "no_arr", "email": "a@n.io", "role": "user"},
        # a title the role rule does not place: that person may be the buyer
        {"account_id": "big_unknown", "email": "a@bu.io", "role": "champion"},
        {"account_id": "big_unknown", "email": "b@bu.io", "role": None},
        {"account_id": "big_unknown_buyer", "email": "c@bb.io", "role": "economic buyer"},
        {"account_id": "big_unknown_buyer", "email": "d@bb.io", "role": None},
    )
    got = dict(
        no_economic_buyer(accounts, people, AS_OF).select("account_id", "no_economic_buyer").rows()
    )
    assert got == {
        "big": True,
        "big_buyer": False,
        "big_buyer_left": True,
        "small": False,
        "no_people": None,
        "no_arr": None,
        "big_unknown": None,  # unknown, not "no buyer"
        "big_unknown_buyer": False,
    }


def test_contacts_e_mails_are_masked_like_every_pii_column():
    masked = mask_pii(PEOPLE)
    assert masked["email"].to_list() == [EMAIL_MASK] * PEOPLE.height
    assert masked["name"].to_list() == PEOPLE["name"].to_list()
