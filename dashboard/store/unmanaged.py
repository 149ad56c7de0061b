"""Read queries for coverage and team design: scored accounts with the commercial questions
heard in their activities, and each owner's logged work split into value and commercial."""

from __future__ import annotations

import polars as pl

from dashboard.store.filters import AccountFilter
from dashboard.store.sources import SourceStore
from dashboard.text import TOUCH_DAYS

# An activity whose summary matches this is commercial work, whoever logged it.
COMMERCIAL_PATTERN = r"pric|quote|contract|discount|renewal|invoice|budget|upsell|terms"
COVERAGE_COLUMNS = [
    "account_id",
    "account_name",
    "segment",
    "region",
    "plan",
    "csm_owner",
    "am_owner",
    "coverage_class",
    "arr",
    "health",
    "band",
    "expansion_ready",
    "expansion_potential",
    "triggers_fired",
    "days_to_renewal",
    "renewal_date",
    "days_since_am_touch",
    "days_since_last_touch",
    "has_activities",
    "days_to_first_milestone",
    "seat_utilisation",
    "contract_start",
]


def coverage_accounts(store: SourceStore, f: AccountFilter) -> pl.DataFrame:
    """The scored accounts with ``commercial_questions_90d`` (activities in the 90 days before
    the scoring date whose summary mentions price, quotes or contract terms) and
    ``days_since_start``."""
    where, params = f.where("s")
    cols = ", ".join(f"s.{c}" for c in COVERAGE_COLUMNS)
    return store.query(
        f"""
        WITH as_of AS (SELECT max(as_of) AS d FROM account_scores),
        questions AS (
            SELECT a.account_id, count(*) AS commercial_questions_90d
            FROM activities a, as_of
            WHERE a.occurred_at >= as_of.d - INTERVAL {int(TOUCH_DAYS)} DAY AND a.occurred_at < as_of.d
              AND regexp_matches(lower(a.summary), ?)
            GROUP BY a.account_id
        )
        SELECT {cols}, coalesce(q.commercial_questions_90d, 0) AS commercial_questions_90d,
            datediff('day', s.contract_start, s.as_of) AS days_since_start
        FROM account_scores s LEFT JOIN questions q USING (account_id)
        WHERE {where}
        """,
        [COMMERCIAL_PATTERN, *params],
    )


def owner_work(store: SourceStore, f: AccountFilter) -> pl.DataFrame:
    """Per author, activities in the 90 days before the scoring date on the filtered accounts:
    ``commercial_acts`` (logged as AM, or about price, quotes, contracts) and ``value_acts``
    (the rest)."""
    where, params = f.where("acc")
    return store.query(
        f"""
        WITH as_of AS (SELECT max(as_of) AS d FROM account_scores),
        recent AS (
            SELECT a.author, a.role = 'am' OR regexp_matches(lower(coalesce(a.summary, '')), ?)
                AS commercial
            FROM activities a JOIN accounts acc USING (account_id), as_of
            WHERE a.occurred_at >= as_of.d - INTERVAL {int(TOUCH_DAYS)} DAY AND a.occurred_at < as_of.d
              AND a.author IS NOT NULL AND {where}
        )
        SELECT author AS owner, count(*) FILTER (WHERE NOT commercial) AS value_acts,
            count(*) FILTER (WHERE commercial) AS commercial_acts
        FROM recent GROUP BY author
        """,
        [COMMERCIAL_PATTERN, *params],
    )
