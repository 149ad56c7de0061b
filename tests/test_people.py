"""The customer's people: last seen per contact, and the stakeholder signals, each given
hand-made rows on a fixed date with the expected output."""

from __future__ import annotations

import datetime as dt

import polars as pl

from dashboard.schema import conform
from dashboard.text import EMAIL_MASK, mask_pii
from scoring.glossary import CHAMPION_QUIET_DAYS, NO_BUYER_ARR
from scoring.people import (
    SIGNALS,
    champion_left,
    champion_quiet,
    gone_words,
    last_seen,
    no_economic_buyer,
    signals_at,
)

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


# -- the signals on each backtest snapshot, as known the day before it ----------------------------
CUT_1, CUT_2 = dt.date(2026, 3, 1), dt.date(2026, 4, 1)
CUT_PEOPLE = contacts(
    # A's champion leaves between the cuts, its buyer on the first cut's own day
    {
        "account_id": "A",
        "contact_id": "a1",
        "email": "ana@a.io",
        "role": "champion",
        "left_on": dt.date(2026, 3, 20),
    },
    {
        "account_id": "A",
        "contact_id": "a2",
        "email": "bea@a.io",
        "role": "economic buyer",
        "left_on": CUT_1,
    },
    # B's champion is seen long before the first cut, then just after it
    {"account_id": "B", "contact_id": "b1", "email": "cy@b.io", "role": "champion"},
    # C's champion is seen on the first cut's own day; C has no economic buyer
    {"account_id": "C", "contact_id": "c1", "email": "di@c.io", "role": "champion"},
)  # D: no contacts loaded
CUT_USAGE = usage(
    ("A", at(2026, 2, 20), "ANA@a.io"),
    ("B", at(2026, 1, 10), "b1"),
    ("B", at(2026, 3, 5), "cy@b.io"),  # after the first cut: not known at it
    ("C", at(2026, 1, 1), "di@c.io"),
    ("C", at(2026, 3, 1), "di@c.io"),  # the first cut's day: not known at it either
)
CUT_ARR = pl.DataFrame(  # the ARR each account had on each cut
    {
        "account_id": ["A", "B", "C", "D"] * 2,
        "as_of": [CUT_1] * 4 + [CUT_2] * 4,
        "arr": [60_000.0, 40_000.0, 100_000.0, 80_000.0] * 2,
    }
)


def test_the_signals_on_each_cut_know_only_what_was_known_the_day_before_it():
    got = signals_at(CUT_PEOPLE, CUT_USAGE, activities(), CUT_ARR)
    assert got.columns == ["account_id", "as_of", *SIGNALS]
    # (champion_quiet, champion_left, no_economic_buyer); quiet: 45 days (before 14 January on
    # the first cut, 14 February on the second)
    assert {(r[0], r[1]): r[2:] for r in got.rows()} == {
        # Ana seen on 20 February; she leaves on 20 March and Bea on the cut's day: neither is
        # known to have left
        ("A", CUT_1): (False, False, False),
        # then Ana left (no current champion: not quiet, unknown) and no buyer remains
        ("A", CUT_2): (None, True, True),
        # Cy last seen on 10 January: quiet (his 5 March use is after the cut) ...
        ("B", CUT_1): (True, False, False),
        # ... and not quiet on the next cut; B's ARR is below the limit: no buyer signal
        ("B", CUT_2): (False, False, False),
        # Di's use on the cut's own day is not known at it: quiet; no buyer above the limit
        ("C", CUT_1): (True, False, True),
        ("C", CUT_2): (False, False, True),
        # no people loaded: every signal unknown
        ("D", CUT_1): (None, None, None),
        ("D", CUT_2): (None, None, None),
    }
    assert NO_BUYER_ARR == 50_000 and CHAMPION_QUIET_DAYS == 45


def test_rows_dated_after_a_cut_never_change_it():
    # given: more usage after the first cut, and Cy's departure on 10 March loaded later
    later_usage = pl.concat(
        [CUT_USAGE, usage(("B", at(2026, 3, 31), "cy@b.io"), ("A", at(2026, 3, 2), "bea@a.io"))]
    )
    later_people = CUT_PEOPLE.with_columns(
        left_on=pl.when(pl.col("contact_id") == "b1")
        .then(pl.lit(dt.date(2026, 3, 10)))
        .otherwise(pl.col("left_on"))
    )
    first = pl.col("as_of") == CUT_1
    was = signals_at(CUT_PEOPLE, CUT_USAGE, activities(), CUT_ARR)
    now = signals_at(later_people, later_usage, activities(), CUT_ARR)
    # expect: the first cut as it was; the second knows Cy left (no champion to be quiet)
    assert now.filter(first).equals(was.filter(first))
    second_b = now.filter(~first, pl.col("account_id") == "B").select(SIGNALS)
    assert second_b.row(0) == (None, True, False)


def test_with_no_contacts_loaded_every_signal_on_every_cut_is_unknown():
    got = signals_at(contacts(), CUT_USAGE, activities(), CUT_ARR)
    # expect: unknown, except "no economic buyer" below the ARR limit (B), false by definition
    assert {(r[0], r[1]): r[2:] for r in got.rows()} == {
        (a, cut): (None, None, False if a == "B" else None)
        for a in "ABCD"
        for cut in (CUT_1, CUT_2)
    }


GONE_BY = dt.date(2026, 3, 10)
GONE = pl.DataFrame(  # A's champion Bo, left out by a CRM load of 10 March (listed 1 February)
    {
        "account_id": ["A"],
        "contact_id": ["a2"],
        "name": ["Bo"],
        "email": ["bo@a.io"],
        "role": ["champion"],
        "listed_on": [dt.date(2026, 2, 1)],
        "gone_by": [GONE_BY],
    }
)


def test_a_champion_gone_from_the_crm_is_known_only_from_its_gone_by_on():
    # given: A's economic buyer Ann on file, and Bo gone from the CRM by 10 March
    people = contacts(
        {
            "account_id": "A",
            "contact_id": "a1",
            "name": "Ann",
            "email": "ann@a.io",
            "role": "economic buyer",
        }
    )
    cuts = pl.DataFrame(
        {
            "account_id": ["A"] * 3,
            # known the day before each: 9 March, 10 March, 30 September (204 days on)
            "as_of": [GONE_BY, GONE_BY + dt.timedelta(days=1), dt.date(2026, 10, 1)],
            "arr": [60_000.0] * 3,
        }
    )
    got = signals_at(people, usage(), activities(), cuts, GONE)
    # (champion_quiet, champion_left, no_economic_buyer): before its gone_by Bo is on file,
    # a champion who has not left (no usage: his quiet is unknown); from it on he left; past
    # the 180 days it is history, and the account did have a champion (false, not unknown)
    assert [r[2:] for r in got.rows()] == [
        (None, False, False),
        (None, True, False),
        (None, False, False),
    ]
    assert champion_left(people, GONE_BY - dt.timedelta(days=1), gone=GONE).is_empty()


def test_gone_from_the_crm_is_said_with_both_bounds_and_an_unknown_lower_one():
    gone = pl.concat([GONE, GONE.with_columns(name=pl.lit("Cy"), listed_on=pl.lit(None, pl.Date))])
    left = champion_left(contacts(), AS_OF, gone=gone)
    said = left.select("name", "left_on", "how", words=gone_words())
    assert said.rows() == [
        (
            "Bo",
            None,
            "gone from the CRM",
            "gone from the CRM by 2026-03-10, last listed 2026-02-01",
        ),
        ("Cy", None, "gone from the CRM", "gone from the CRM by 2026-03-10, last listed: unknown"),
    ]
