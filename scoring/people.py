"""The customer's people: when each contact was last seen, and the stakeholder signals
(*champion quiet*, *champion left*, *no economic buyer*).

Pure Polars, on a fixed ``as_of`` date; nothing after ``as_of`` counts. Unknown is unknown: an
account whose people cannot be seen (no per-user usage and no activities) has no "quiet"
verdict, and an account with no contacts loaded has no "no economic buyer" verdict.

How a contact is seen:

- **usage**: a usage row of the contact's account whose ``user_id`` is the contact's e-mail
  (any case) or its ``contact_id``;
- **activities**: an activity of the contact's account whose ``summary`` names the contact's
  e-mail address (any case).
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from scoring.glossary import (
    CHAMPION,
    CHAMPION_LEFT_DAYS,
    CHAMPION_QUIET_DAYS,
    ECONOMIC_BUYER,
    NO_BUYER_ARR,
)

col = pl.col

CONTACT_KEY = ("account_id", "contact_id", "name", "email", "role", "left_on")


def _contacts(contacts: pl.DataFrame) -> pl.LazyFrame:
    present = [c for c in CONTACT_KEY if c in contacts.columns]
    return (
        contacts.lazy()
        .select(present)
        .with_columns(
            [
                pl.lit(None, pl.String).alias(c)
                for c in ("contact_id", "name", "email", "role")
                if c not in present
            ]
            + ([pl.lit(None, pl.Date).alias("left_on")] if "left_on" not in present else [])
        )
        .with_columns(_email=col("email").str.strip_chars().str.to_lowercase())
        .with_row_index("_contact")
    )


def last_seen(
    contacts: pl.DataFrame,
    usage_events: pl.DataFrame,
    activities: pl.DataFrame,
    as_of: dt.date,
) -> pl.DataFrame:
    """Per contact: ``seen_in_usage``, ``seen_in_activities`` and ``last_seen`` (the later of
    the two; null: never seen), and ``observable`` (the account has per-user usage or
    activities up to ``as_of``, so a contact never seen was really not seen; false: unknown)."""
    people = _contacts(contacts)
    cutoff = dt.datetime.combine(as_of, dt.time.max)
    usage = (
        usage_events.lazy()
        .filter(col("occurred_at") <= cutoff, col("user_id").is_not_null())
        .select("account_id", _user=col("user_id").str.strip_chars(), _at=col("occurred_at"))
    )
    by_email = people.join(
        usage.with_columns(_user=col("_user").str.to_lowercase()),
        left_on=["account_id", "_email"],
        right_on=["account_id", "_user"],
    ).select("_contact", "_at")
    by_id = people.join(
        usage, left_on=["account_id", "contact_id"], right_on=["account_id", "_user"]
    ).select("_contact", "_at")
    in_usage = (
        pl.concat([by_email, by_id])
        .group_by("_contact")
        .agg(seen_in_usage=col("_at").max().dt.date())
    )
    acts = activities.lazy().filter(col("occurred_at") <= cutoff, col("summary").is_not_null())
    in_activities = (
        people.filter(col("_email").is_not_null())
        .join(
            acts.select(
                "account_id", _summary=col("summary").str.to_lowercase(), _at="occurred_at"
            ),
            on="account_id",
        )
        .filter(col("_summary").str.contains(col("_email"), literal=True))
        .group_by("_contact")
        .agg(seen_in_activities=col("_at").max().dt.date())
    )
    observable = (
        pl.concat(
            [
                usage.select("account_id"),
                activities.lazy().filter(col("occurred_at") <= cutoff).select("account_id"),
            ]
        )
        .unique()
        .with_columns(observable=pl.lit(True))
    )
    return (
        people.join(in_usage, on="_contact", how="left")
        .join(in_activities, on="_contact", how="left")
        .join(observable, on="account_id", how="left")
        .with_columns(
            last_seen=pl.max_horizontal("seen_in_usage", "seen_in_activities"),
            observable=col("observable").fill_null(False),
        )
        .sort("_contact")
        .drop("_contact", "_email")
        .collect()
    )


def last_touch(seen: pl.DataFrame, activities: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    """``seen`` (``last_seen``'s output, one row per contact) with who last touched each
    contact: of the activities up to ``as_of`` whose ``summary`` names the contact's e-mail
    (the match ``last_seen`` uses), the latest one's ``author`` (``touched_by``), ``role``
    (``touched_role``) and day (``touched_on``); null when no activity names the contact."""
    cutoff = dt.datetime.combine(as_of, dt.time.max)
    people = (
        seen.lazy()
        .with_row_index("_contact")
        .with_columns(_email=col("email").str.strip_chars().str.to_lowercase())
    )
    acts = activities.lazy().filter(col("occurred_at") <= cutoff, col("summary").is_not_null())
    acts = acts.with_columns(
        [
            pl.lit(None, pl.String).alias(c)
            for c in ("author", "role")
            if c not in acts.collect_schema().names()
        ]
    )
    touched = (
        people.filter(col("_email").is_not_null())
        .select("_contact", "account_id", "_email")
        .join(
            acts.select(
                "account_id",
                _summary=col("summary").str.to_lowercase(),
                _at="occurred_at",
                touched_by="author",
                touched_role=col("role").str.to_uppercase(),
            ),
            on="account_id",
        )
        .filter(col("_summary").str.contains(col("_email"), literal=True))
        .group_by("_contact")
        .agg(
            col("touched_by").sort_by("_at", "touched_by").last(),
            col("touched_role").sort_by("_at", "touched_by").last(),
            touched_on=col("_at").max(),
        )
        .with_columns(col("touched_on").dt.date())
    )
    return (
        people.join(touched, on="_contact", how="left")
        .sort("_contact")
        .drop("_contact", "_email")
        .collect()
    )


def _current(role: str, as_of: dt.date) -> pl.Expr:
    """The contact holds ``role`` and had not left by ``as_of``."""
    return (col("role") == role) & (col("left_on").is_null() | (col("left_on") > as_of))


def champion_quiet(
    seen: pl.DataFrame, as_of: dt.date, days: int = CHAMPION_QUIET_DAYS
) -> pl.DataFrame:
    """Per account with a current champion: ``champions``, ``quiet_champions`` (not seen for
    ``days`` days, or never, where the account's people can be seen) and ``champion_quiet``
    (every current champion is quiet; null: no champion could be observed). ``seen`` is
    ``last_seen``'s output."""
    limit = as_of - dt.timedelta(days=days)
    quiet = (
        pl.when(~col("observable"))
        .then(pl.lit(None, pl.Boolean))
        .otherwise(col("last_seen").is_null() | (col("last_seen") < limit))
    )
    return (
        seen.lazy()
        .filter(_current(CHAMPION, as_of))
        .with_columns(_quiet=quiet)
        .group_by("account_id")
        .agg(
            champions=pl.len().cast(pl.Int64),
            quiet_champions=col("_quiet").sum().cast(pl.Int64),
            _known=col("_quiet").is_not_null().sum(),
            last_seen=col("last_seen").max(),
            quiet_names=col("name").filter(col("_quiet")).sort(),
        )
        .with_columns(
            champion_quiet=pl.when(col("_known") == 0)
            .then(pl.lit(None, pl.Boolean))
            .when(col("quiet_champions") == col("_known"))
            .then(True)
            .otherwise(False)
        )
        .drop("_known")
        .sort("account_id")
        .collect()
    )


GONE_FROM_CRM = "gone from the CRM"
LEFT_COLUMNS = {
    "account_id": pl.String,
    "name": pl.String,
    "email": pl.String,
    "left_on": pl.Date,
    "how": pl.String,
    "listed_on": pl.Date,
    "gone_by": pl.Date,
}


def gone_words() -> pl.Expr:
    """How a person gone from the CRM is said, with the two bounds and never as a known day:
    "gone from the CRM by 2026-11-03, last listed 2026-10-01" (``gone_by``, ``listed_on``;
    "last listed: unknown" when the load that listed them was not dated)."""
    listed = (
        pl.when(col("listed_on").is_null())
        .then(pl.lit(": unknown"))
        .otherwise(pl.format(" {}", col("listed_on")))
    )
    return pl.format(f"{GONE_FROM_CRM} by {{}}, last listed{{}}", col("gone_by"), listed)


def on_file(contacts: pl.DataFrame, gone: pl.DataFrame | None, as_of: dt.date) -> pl.DataFrame:
    """The contacts as they were on file on ``as_of``: ``contacts`` and the people a later
    CRM load left out (``gone``: account_id, contact_id, name, email, role, listed_on,
    gone_by) whose ``gone_by`` is after ``as_of`` (not known to be gone then)."""
    if gone is None or gone.is_empty():
        return contacts
    back = gone.filter(col("gone_by") > as_of).select(
        "account_id", "contact_id", "name", "email", "role", left_on=pl.lit(None, pl.Date)
    )
    return pl.concat([contacts, back], how="diagonal_relaxed")


def champion_left(
    contacts: pl.DataFrame,
    as_of: dt.date,
    days: int = CHAMPION_LEFT_DAYS,
    previous: pl.DataFrame | None = None,
    gone: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """The champions who left: ``left_on`` within ``days`` days up to ``as_of``; a champion
    recorded as gone from the CRM (``gone``: a later load left them out, ``gone_by`` that
    load's day within the same ``days``, ``listed_on`` the last load that listed them); or
    (given the ``previous`` CRM load) a champion of that load gone from this one, matched by
    ``contact_id``, else e-mail. Gone from the CRM, ``left_on`` is unknown: only the bounds
    are known. Columns: ``LEFT_COLUMNS`` (how: "left_on" or "gone from the CRM")."""
    people = _contacts(contacts)
    dated = people.filter(
        col("role") == CHAMPION,
        col("left_on") <= as_of,
        col("left_on") > as_of - dt.timedelta(days=days),
    ).select("account_id", "name", "email", "left_on", how=pl.lit("left_on"))
    parts = [dated]
    if gone is not None:
        parts.append(
            gone.lazy()
            .filter(
                col("role") == CHAMPION,
                col("gone_by") <= as_of,
                col("gone_by") > as_of - dt.timedelta(days=days),
            )
            .pipe(_said_gone, "listed_on", "gone_by")
        )
    if previous is not None:
        before = _contacts(previous).filter(
            col("role") == CHAMPION, col("left_on").is_null() | (col("left_on") > as_of)
        )
        now = people.select("account_id", "contact_id", "_email")
        parts.append(
            before.join(now, on=["account_id", "contact_id"], how="anti")
            .join(now.drop("contact_id"), on=["account_id", "_email"], how="anti")
            .pipe(_said_gone)
        )
    return _left_frame(pl.concat(parts, how="diagonal_relaxed").collect())


def _said_gone(people: pl.LazyFrame, *bounds: str) -> pl.LazyFrame:
    """Champions gone from the CRM as ``champion_left`` gives them: ``left_on`` unknown, with
    the ``bounds`` columns the source knows (a recorded departure's ``listed_on``/``gone_by``)."""
    return people.select(
        "account_id",
        "name",
        "email",
        *bounds,
        left_on=pl.lit(None, pl.Date),
        how=pl.lit(GONE_FROM_CRM),
    )


def _left_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with every ``LEFT_COLUMNS`` column, in order, sorted by account and name."""
    missing = [pl.lit(None, t).alias(c) for c, t in LEFT_COLUMNS.items() if c not in frame.columns]
    return (
        frame.with_columns(missing)
        .select(list(LEFT_COLUMNS))
        .cast(LEFT_COLUMNS)  # type: ignore[arg-type]
        .sort("account_id", "name", nulls_last=True)
    )


def no_economic_buyer(
    accounts: pl.DataFrame,
    contacts: pl.DataFrame,
    as_of: dt.date,
    arr_limit: float = NO_BUYER_ARR,
) -> pl.DataFrame:
    """Per account: ``no_economic_buyer`` is true from ``arr_limit`` of ARR up when none of its
    contacts is a current economic buyer; false below the limit or with one; null when its ARR
    is unknown, it has no contacts loaded (its people are unknown, not absent), or one of its
    current contacts has an unknown role (that person may be the buyer)."""
    present = col("left_on").is_null() | (col("left_on") > as_of)
    people = (
        _contacts(contacts)
        .group_by("account_id")
        .agg(
            contacts=pl.len().cast(pl.Int64),
            economic_buyers=_current(ECONOMIC_BUYER, as_of).sum().cast(pl.Int64),
            unknown_roles=(present & col("role").is_null()).sum().cast(pl.Int64),
        )
    )
    return (
        accounts.lazy()
        .select("account_id", "arr")
        .join(people, on="account_id", how="left")
        .with_columns(
            no_economic_buyer=pl.when(col("arr").is_null())
            .then(pl.lit(None, pl.Boolean))
            .when(col("arr") < arr_limit)
            .then(False)
            .when(col("contacts").is_null())
            .then(pl.lit(None, pl.Boolean))
            .when(col("economic_buyers") > 0)
            .then(False)
            .when(col("unknown_roles") > 0)
            .then(pl.lit(None, pl.Boolean))
            .otherwise(True)
        )
        .sort("account_id")
        .collect()
    )


SIGNALS = ("champion_quiet", "champion_left", "no_economic_buyer")  # per account, true: raised


def signals_on(
    contacts: pl.DataFrame,
    usage_events: pl.DataFrame,
    activities: pl.DataFrame,
    accounts: pl.DataFrame,
    as_of: dt.date,
    gone: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Per account of ``accounts`` (``account_id``, ``arr``): the three stakeholder signals on
    ``as_of``, each true (raised), false or null (unknown), from rows dated up to ``as_of``
    only. ``champion_quiet`` and ``no_economic_buyer`` as their functions say;
    ``champion_left``: a champion left within ``CHAMPION_LEFT_DAYS`` up to ``as_of`` (by
    ``left_on``, or gone from the CRM by a load of that span: ``gone``), null on an account
    with no champion on file. A person gone from the CRM by a later day was on file on
    ``as_of`` (``on_file``): what a later load left out is not known before it."""
    people = on_file(contacts, gone, as_of)
    quiet = champion_quiet(last_seen(people, usage_events, activities, as_of), as_of)
    left = champion_left(people, as_of, gone=gone).select("account_id").unique()
    champions = _contacts(people).filter(col("role") == CHAMPION).select("account_id").collect()
    if gone is not None:  # a champion gone from the CRM by then was on file before
        champions = pl.concat(
            [
                champions,
                gone.filter(col("role") == CHAMPION, col("gone_by") <= as_of).select("account_id"),
            ]
        )
    buyer = no_economic_buyer(accounts, people, as_of)
    return (
        accounts.lazy()
        .select("account_id")
        .join(quiet.lazy().select("account_id", "champion_quiet"), on="account_id", how="left")
        .with_columns(
            champion_left=pl.when(col("account_id").is_in(champions["account_id"].implode()))
            .then(col("account_id").is_in(left["account_id"].implode()))
            .otherwise(pl.lit(None, pl.Boolean))
        )
        .join(buyer.lazy().select("account_id", "no_economic_buyer"), on="account_id", how="left")
        .collect()
    )


def signals_at(
    contacts: pl.DataFrame,
    usage_events: pl.DataFrame,
    activities: pl.DataFrame,
    snapshots: pl.DataFrame,
    gone: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """The stakeholder signals of each account on each snapshot date (``snapshots``:
    ``account_id``, ``as_of``, ``arr`` on that date), each as known the day before the
    snapshot, as a snapshot's features read only rows dated before it: usage and activities
    after that day, a ``left_on`` after it, and a person gone from the CRM by a later load
    (``gone``: known from its ``gone_by`` on; before it the person was on file) are not known
    then. Columns: account_id, as_of and ``SIGNALS``."""
    parts = [
        signals_on(
            contacts,
            usage_events,
            activities,
            snapshots.filter(col("as_of") == day).select("account_id", "arr"),
            day - dt.timedelta(days=1),
            gone,
        ).with_columns(as_of=pl.lit(day, pl.Date))
        for day in sorted(snapshots["as_of"].unique().to_list())  # a dozen dates, not rows
    ]
    schema = {"account_id": pl.String, "as_of": pl.Date} | dict.fromkeys(SIGNALS, pl.Boolean)
    if not parts:
        return pl.DataFrame(schema=schema)
    return pl.concat(parts).select(list(schema)).cast(schema).sort("as_of", "account_id")
