"""The rows time to value is read from (source store): the accounts that started in a window,
their active users per week since the start, whether their usage names its users, and the first
outcome or milestone logged after the start (``scoring/onboarding.py`` applies the rule)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

from dashboard.store.features import Queryable
from dashboard.store.filters import AccountFilter

STARTED = """
started AS (
    SELECT account_id, contract_start FROM accounts
    WHERE contract_start > ?::DATE AND contract_start < ?::DATE AND {where}
)"""


def _started(f: AccountFilter, since: dt.date, as_of: dt.date) -> tuple[str, list[Any]]:
    where, params = f.where()
    return STARTED.format(where=where), [since, as_of, *params]


def starts(store: Queryable, f: AccountFilter, since: dt.date, as_of: dt.date) -> pl.DataFrame:
    """The accounts in ``f`` whose contract started after ``since`` and before ``as_of``."""
    where, params = f.where()
    return store.query(
        "SELECT account_id, account_name, segment, csm_owner, am_owner, arr,"
        " licensed_seats, contract_start, status FROM accounts"
        f" WHERE contract_start > ?::DATE AND contract_start < ?::DATE AND {where}"
        " ORDER BY account_id",
        [since, as_of, *params],
    )


def weekly_active_users(
    store: Queryable, f: AccountFilter, since: dt.date, as_of: dt.date
) -> pl.DataFrame:
    """Active users per account and week since its contract start (``week`` 0 = its first
    seven days), before ``as_of``, for the weeks with usage: distinct user ids, else the most
    users a row reports. Usage is the raw events and the daily roll-up's days they do not
    cover, as the features read it."""
    started, params = _started(f, since, as_of)
    return store.query(
        f"""
        WITH {started},
        raw AS (
            SELECT event.account_id, event.occurred_at::DATE AS day, event.user_id,
                event.active_users
            FROM usage_events event JOIN started USING (account_id)
            WHERE event.occurred_at >= started.contract_start AND event.occurred_at < ?::DATE
        ),
        rolled AS (
            SELECT daily.account_id, daily.day, daily.user_id, NULL::BIGINT AS active_users
            FROM usage_daily daily JOIN started USING (account_id)
            WHERE daily.day >= started.contract_start AND daily.day < ?::DATE
              AND NOT EXISTS (SELECT 1 FROM raw WHERE raw.account_id = daily.account_id
                              AND raw.day = daily.day)
        ),
        usage_rows AS (SELECT * FROM raw UNION ALL SELECT * FROM rolled)
        SELECT usage_rows.account_id,
            datediff('day', started.contract_start, usage_rows.day) // 7 AS week,
            coalesce(nullif(count(DISTINCT usage_rows.user_id), 0),
                     max(usage_rows.active_users))::BIGINT AS active_users
        FROM usage_rows JOIN started USING (account_id)
        GROUP BY 1, 2 ORDER BY 1, 2
        """,
        [*params, as_of, as_of],
    )


def usage_facts(store: Queryable, f: AccountFilter, since: dt.date, as_of: dt.date) -> pl.DataFrame:
    """One row per started account with any usage row before ``as_of``, and whether its
    usage names its users (``names_users``: a user id or a count of active users)."""
    started, params = _started(f, since, as_of)
    return store.query(
        f"""
        WITH {started},
        usage_rows AS (
            SELECT account_id, user_id IS NOT NULL OR active_users IS NOT NULL AS named
            FROM usage_events WHERE occurred_at < ?::DATE
            UNION ALL
            SELECT account_id, user_id IS NOT NULL FROM usage_daily WHERE day < ?::DATE
        )
        SELECT account_id, bool_or(named) AS names_users
        FROM usage_rows JOIN started USING (account_id)
        GROUP BY account_id ORDER BY account_id
        """,
        [*params, as_of, as_of],
    )


def usage_since(store: Queryable) -> dt.date | None:
    """The first day of usage data (raw events or the daily roll-up); None without any."""
    return store.query(
        "SELECT min(first_day) AS first_day FROM ("
        " SELECT min(occurred_at)::DATE AS first_day FROM usage_events"
        " UNION ALL SELECT min(day) FROM usage_daily)"
    )["first_day"][0]


def first_logged(
    store: Queryable, f: AccountFilter, since: dt.date, as_of: dt.date, kinds: tuple[str, ...]
) -> pl.DataFrame:
    """Per started account, the day of the first activity of one of ``kinds`` logged on or
    after its contract start and before ``as_of``."""
    started, params = _started(f, since, as_of)
    marks = ", ".join("?" for _ in kinds)
    return store.query(
        f"""
        WITH {started}
        SELECT activity.account_id, min(activity.occurred_at)::DATE AS first_logged_on
        FROM activities activity JOIN started USING (account_id)
        WHERE activity.kind IN ({marks}) AND activity.occurred_at >= started.contract_start
          AND activity.occurred_at < ?::DATE
        GROUP BY 1 ORDER BY 1
        """,
        [*params, *kinds, as_of],
    )


def logs_kept(store: Queryable, kinds: tuple[str, ...]) -> bool:
    """Whether any activity of one of ``kinds`` is logged, for any account."""
    marks = ", ".join("?" for _ in kinds)
    return bool(
        store.query(
            f"SELECT count(*) AS n FROM (SELECT 1 FROM activities WHERE kind IN ({marks}) LIMIT 1)",
            list(kinds),
        )["n"][0]
    )
