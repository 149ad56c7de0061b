"""The canonical rows the stakeholder signals read (source store): the contacts, the people a
later CRM load left out (``gone_people``), the usage and activities that can show a contact,
and each account's first per-user usage row and first activity (so an account whose people can
be seen stays so). ``scoring/people.py`` computes the signals from them, on any date."""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from dashboard.store.gone_people import GONE_TABLE
from dashboard.store.sources import SourceStore

CONTACTS = {
    "account_id": pl.String,
    "contact_id": pl.String,
    "name": pl.String,
    "email": pl.String,
    "role": pl.String,
    "left_on": pl.Date,
}
# who a later CRM load left out (``gone_people``): gone by ``gone_by``, listed on ``listed_on``
GONE = {
    "account_id": pl.String,
    "contact_id": pl.String,
    "name": pl.String,
    "email": pl.String,
    "role": pl.String,
    "listed_on": pl.Date,
    "gone_by": pl.Date,
}
SEEN = {"account_id": pl.String, "occurred_at": pl.Datetime("us"), "user_id": pl.String}
TOUCHED = {"account_id": pl.String, "occurred_at": pl.Datetime("us"), "summary": pl.String}

# a contact's keys in usage: its e-mail (any case) and its CRM id, as scoring.people matches
# them; per key and day one usage row (a contact's last seen is a date), and each account's
# first per-user row: the signals read the day and whether the account's users can be seen
USAGE_SQL = """
WITH used AS (
    SELECT account_id, trim(user_id) AS user_id, occurred_at FROM usage_events
    WHERE user_id IS NOT NULL
    UNION ALL SELECT account_id, trim(user_id), day::TIMESTAMP FROM usage_daily
    WHERE user_id IS NOT NULL
),
emails AS (
    SELECT DISTINCT account_id, lower(trim(email)) AS email FROM __people__ WHERE email IS NOT NULL
),
ids AS (SELECT DISTINCT account_id, contact_id FROM __people__ WHERE contact_id IS NOT NULL),
named AS (
    SELECT used.* FROM used JOIN emails
        ON emails.account_id = used.account_id AND emails.email = lower(used.user_id)
    UNION ALL
    SELECT used.* FROM used JOIN ids
        ON ids.account_id = used.account_id AND ids.contact_id = used.user_id
)
SELECT DISTINCT account_id, occurred_at::DATE::TIMESTAMP AS occurred_at, user_id FROM named
UNION ALL
SELECT account_id, min(occurred_at), arg_min(user_id, occurred_at) FROM used GROUP BY account_id
"""

ACTIVITIES_SQL = """
SELECT act.account_id, act.occurred_at, act.summary FROM activities AS act
WHERE act.summary IS NOT NULL AND EXISTS (
    SELECT 1 FROM __people__ AS c WHERE c.account_id = act.account_id AND c.email IS NOT NULL
        AND contains(lower(act.summary), lower(trim(c.email))))
UNION ALL
SELECT account_id, min(occurred_at), NULL FROM activities GROUP BY account_id
"""


@dataclass(frozen=True)
class StakeholderRows:
    """What ``scoring.people.signals_at`` reads, for every date at once."""

    contacts: pl.DataFrame
    usage_events: pl.DataFrame  # account_id, occurred_at, user_id
    activities: pl.DataFrame  # account_id, occurred_at, summary
    gone: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=GONE))


def gone_rows(store: SourceStore, accounts: list[str] | None = None) -> pl.DataFrame:
    """The people later CRM loads left out (``GONE``), of ``accounts`` only when given; none
    in a generation made before Tandem recorded them."""
    if not store.has_table(GONE_TABLE):
        return pl.DataFrame(schema=GONE)
    sql = f"SELECT {', '.join(GONE)} FROM {GONE_TABLE}"
    if accounts is None:
        return store.query(sql).cast(GONE)  # type: ignore[arg-type]
    return store.query(
        f"{sql} WHERE list_contains($accounts, account_id)", {"accounts": accounts}
    ).cast(GONE)  # type: ignore[arg-type]


# whose keys the usage and activities are read for: the contacts, and the people gone from the
# CRM (on a date before their gone_by they were on file: ``scoring.people.on_file``)
PEOPLE = "contacts"
PEOPLE_AND_GONE = (
    "(SELECT account_id, contact_id, email FROM contacts UNION ALL "
    f"SELECT account_id, contact_id, email FROM {GONE_TABLE})"
)

# the tables read, each narrowed to some accounts when asked (``stakeholder_rows(accounts=…)``)
READ_TABLES = ("contacts", "usage_events", "usage_daily", "activities")
SCOPED = ", ".join(
    f"{t} AS (SELECT * FROM main.{t} WHERE list_contains($accounts, account_id))"
    for t in READ_TABLES
)


def _scoped(sql: str, accounts: list[str] | None) -> tuple[str, dict[str, list[str]] | None]:
    """``sql`` reading only ``accounts``' rows of ``READ_TABLES`` (every row without)."""
    if accounts is None:
        return sql, None
    body = sql.strip()
    body = f"WITH {SCOPED}, {body[5:]}" if body.startswith("WITH ") else f"WITH {SCOPED} {body}"
    return body, {"accounts": accounts}


def stakeholder_rows(store: SourceStore, accounts: list[str] | None = None) -> StakeholderRows:
    """The contacts and the people gone from the CRM, the usage rows that name one of them
    (one per contact key and day) and the activities that name one's e-mail, with each
    account's first per-user usage row and first activity: on any date, the same signals as
    from every row. ``accounts``: only those
    accounts' rows (a sync's shared accounts), the same rows for them as without."""
    sql, params = _scoped(f"SELECT {', '.join(CONTACTS)} FROM contacts", accounts)
    contacts = store.query(sql, params).cast(CONTACTS)  # type: ignore[arg-type]
    gone = gone_rows(store, accounts)
    if contacts.is_empty():  # no people loaded: nothing to read them from
        return StakeholderRows(
            contacts, pl.DataFrame(schema=SEEN), pl.DataFrame(schema=TOUCHED), gone
        )
    people = PEOPLE_AND_GONE if store.has_table(GONE_TABLE) else PEOPLE
    usage_sql, activities_sql = (
        q.replace("__people__", people) for q in (USAGE_SQL, ACTIVITIES_SQL)
    )
    return StakeholderRows(
        contacts,
        store.query(*_scoped(usage_sql, accounts)).cast(SEEN),  # type: ignore[arg-type]
        store.query(*_scoped(activities_sql, accounts)).cast(TOUCHED),  # type: ignore[arg-type]
        gone,
    )
