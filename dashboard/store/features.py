"""Per-account features as of a date, in SQL on DuckDB: the input of every score.

One query, a chain of named steps. Every step reads only rows dated before ``$as_of`` (no
peeking), so the same query builds today's features and any past snapshot for a backtest.
Usage is read once, restricted to the 60 days before ``as_of``; distinct users are taken as
distinct rows first and counted after (faster than ``count(DISTINCT) FILTER``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

import polars as pl


class Queryable(Protocol):
    def query(self, sql: str, params: Any = None) -> pl.DataFrame: ...


ACCOUNT_FEATURES_SQL = """
WITH
churn_events AS (
    SELECT account_id, min(occurred_on) AS churned_on
    FROM outcomes WHERE event = 'churned' GROUP BY account_id
),
arr_changes_after AS (
    SELECT account_id, sum(arr_change) AS arr_change_after
    FROM outcomes
    WHERE occurred_on > $as_of::DATE AND event <> 'churned'
    GROUP BY account_id
),
live_accounts AS (
    SELECT a.*, $as_of::DATE AS as_of,
        a.arr - coalesce(c.arr_change_after, 0) AS arr_as_of,
        CASE
            WHEN a.renewal_date >= $as_of::DATE THEN a.renewal_date
            WHEN a.contract_start IS NOT NULL THEN CAST(a.contract_start + to_years(
                CAST(ceil(datediff('day', a.contract_start, $as_of::DATE) / 365.25) AS INTEGER)) AS DATE)
            ELSE a.renewal_date
        END AS next_renewal
    FROM accounts a
    LEFT JOIN churn_events ce USING (account_id)
    LEFT JOIN arr_changes_after c USING (account_id)
    WHERE coalesce(a.contract_start, $as_of::DATE) <= $as_of::DATE
      AND coalesce(ce.churned_on, DATE '9999-12-31') > $as_of::DATE
      -- churned with no churn date on record: gone on its renewal date, or always if unknown
      AND NOT (coalesce(a.status, '') = 'churned' AND ce.churned_on IS NULL
               AND coalesce(a.renewal_date <= $as_of::DATE, true))
),
source_presence AS (
    SELECT
        EXISTS (SELECT 1 FROM usage_events WHERE occurred_at < $as_of::TIMESTAMP) AS has_usage,
        EXISTS (SELECT 1 FROM usage_events WHERE occurred_at < $as_of::TIMESTAMP
                AND (user_id IS NOT NULL OR active_users IS NOT NULL)) AS usage_knows_users,
        EXISTS (SELECT 1 FROM tickets WHERE created_at < $as_of::TIMESTAMP) AS has_tickets,
        EXISTS (SELECT 1 FROM surveys WHERE responded_at < $as_of::TIMESTAMP) AS has_surveys,
        EXISTS (SELECT 1 FROM invoices WHERE issued_on < $as_of::DATE) AS has_invoices,
        EXISTS (SELECT 1 FROM activities WHERE occurred_at < $as_of::TIMESTAMP) AS has_activities
),
usage_60d AS (
    SELECT account_id, user_id, feature, quantity, active_users,
        occurred_at >= $as_of::TIMESTAMP - INTERVAL 30 DAY AS in_last_30d
    FROM usage_events
    WHERE occurred_at >= $as_of::TIMESTAMP - INTERVAL 60 DAY AND occurred_at < $as_of::TIMESTAMP
),
usage_totals AS (
    SELECT account_id,
        CAST(sum(quantity) FILTER (WHERE in_last_30d) AS BIGINT) AS events_last_30d,
        CAST(sum(quantity) FILTER (WHERE NOT in_last_30d) AS BIGINT) AS events_prior_30d,
        max(active_users) FILTER (WHERE in_last_30d) AS reported_users_last_30d,
        max(active_users) FILTER (WHERE NOT in_last_30d) AS reported_users_prior_30d,
        bool_or(user_id IS NOT NULL OR active_users IS NOT NULL) AS knows_users
    FROM usage_60d GROUP BY account_id
),
distinct_users AS (
    SELECT DISTINCT account_id, in_last_30d, user_id FROM usage_60d WHERE user_id IS NOT NULL
),
user_counts AS (
    SELECT account_id,
        count(*) FILTER (WHERE in_last_30d) AS users_last_30d,
        count(*) FILTER (WHERE NOT in_last_30d) AS users_prior_30d
    FROM distinct_users GROUP BY account_id
),
distinct_features AS (
    SELECT DISTINCT account_id, feature FROM usage_60d WHERE in_last_30d AND feature IS NOT NULL
),
feature_counts AS (
    SELECT account_id, count(*) AS features_last_30d FROM distinct_features GROUP BY account_id
),
feature_catalog AS (
    SELECT count(DISTINCT feature) AS features_in_catalog FROM usage_60d
),
usage_features AS (
    SELECT t.account_id,
        -- null when the usage rows carry neither user ids nor active-user counts
        CASE WHEN t.knows_users THEN coalesce(nullif(uc.users_last_30d, 0),
            t.reported_users_last_30d, 0) END AS active_users_last_30d,
        CASE WHEN t.knows_users THEN coalesce(nullif(uc.users_prior_30d, 0),
            t.reported_users_prior_30d, 0) END AS active_users_prior_30d,
        coalesce(t.events_last_30d, 0) AS events_last_30d,
        coalesce(t.events_prior_30d, 0) AS events_prior_30d,
        coalesce(fc.features_last_30d, 0) AS features_last_30d
    FROM usage_totals t
    LEFT JOIN user_counts uc USING (account_id)
    LEFT JOIN feature_counts fc USING (account_id)
),
ticket_features AS (
    SELECT t.account_id,
        count(*) FILTER (WHERE t.created_at >= $as_of::TIMESTAMP - INTERVAL 90 DAY) AS tickets_last_90d,
        count(*) FILTER (WHERE t.priority IN ('high', 'urgent')
            AND (t.resolved_at IS NULL OR t.resolved_at >= $as_of::TIMESTAMP)) AS tickets_open_high,
        avg(t.csat) FILTER (WHERE t.resolved_at >= $as_of::TIMESTAMP - INTERVAL 90 DAY
            AND t.resolved_at < $as_of::TIMESTAMP) AS csat_last_90d
    FROM tickets t
    WHERE t.created_at < $as_of::TIMESTAMP
    GROUP BY t.account_id
),
survey_features AS (
    SELECT s.account_id,
        arg_max(s.score, s.responded_at) FILTER (WHERE coalesce(s.kind, 'nps') = 'nps')
            AS nps_latest,
        max(s.responded_at) FILTER (WHERE coalesce(s.kind, 'nps') = 'nps') AS nps_latest_at,
        avg(s.score) FILTER (WHERE s.kind = 'csat') AS survey_csat_180d
    FROM surveys s
    WHERE s.responded_at < $as_of::TIMESTAMP AND s.responded_at >= $as_of::TIMESTAMP - INTERVAL 180 DAY
    GROUP BY s.account_id
),
invoice_features AS (
    SELECT i.account_id,
        count(*) FILTER (WHERE i.due_on < $as_of::DATE AND (i.paid_on IS NULL OR i.paid_on >= $as_of::DATE))
            AS invoices_overdue,
        CAST(coalesce(sum(i.amount) FILTER (WHERE i.due_on < $as_of::DATE
            AND (i.paid_on IS NULL OR i.paid_on >= $as_of::DATE)), 0) AS DOUBLE) AS amount_overdue,
        coalesce(max(datediff('day', i.due_on, $as_of::DATE)) FILTER (WHERE i.due_on < $as_of::DATE
            AND (i.paid_on IS NULL OR i.paid_on >= $as_of::DATE)), 0) AS max_days_past_due
    FROM invoices i
    WHERE i.issued_on < $as_of::DATE
    GROUP BY i.account_id
),
touches_last_year AS (
    -- touches older than a year score like none at all, so a year of history is enough
    SELECT account_id, occurred_at, kind, role,
        kind IN ('call', 'meeting', 'qbr') AS is_meaningful
    FROM activities
    WHERE occurred_at >= $as_of::TIMESTAMP - INTERVAL 365 DAY AND occurred_at < $as_of::TIMESTAMP
      AND kind IN ('call', 'meeting', 'qbr', 'email', 'outcome')
),
touch_features AS (
    SELECT account_id,
        max(occurred_at) FILTER (WHERE is_meaningful) AS last_touch_at,
        arg_max(role, occurred_at) FILTER (WHERE is_meaningful) AS last_touch_role,
        max(occurred_at) FILTER (WHERE role = 'csm' AND kind <> 'outcome') AS last_csm_touch_at,
        max(occurred_at) FILTER (WHERE role = 'am' AND kind <> 'outcome') AS last_am_touch_at,
        count(*) FILTER (WHERE kind = 'outcome'
            AND occurred_at >= $as_of::TIMESTAMP - INTERVAL 90 DAY) AS outcomes_last_90d
    FROM touches_last_year
    GROUP BY account_id
),
milestone_features AS (
    SELECT account_id, count(*) AS milestones_reached, min(occurred_at) AS first_milestone_at
    FROM activities
    WHERE kind = 'milestone' AND occurred_at < $as_of::TIMESTAMP
    GROUP BY account_id
)
SELECT
    l.account_id, l.account_name, l.segment, l.industry, l.region, l.plan,
    l.csm_owner, l.am_owner, l.arr_as_of AS arr, l.licensed_seats, l.contract_start,
    l.next_renewal AS renewal_date, datediff('day', l.as_of, l.next_renewal) AS days_to_renewal,
    l.as_of,
    sp.has_usage, sp.has_tickets, sp.has_surveys, sp.has_invoices, sp.has_activities,
    CASE WHEN NOT sp.usage_knows_users THEN NULL WHEN u.account_id IS NULL THEN 0
        ELSE u.active_users_last_30d END AS active_users_last_30d,
    CASE WHEN NOT sp.usage_knows_users THEN NULL WHEN u.account_id IS NULL THEN 0
        ELSE u.active_users_prior_30d END AS active_users_prior_30d,
    coalesce(u.events_last_30d, 0) AS events_last_30d,
    coalesce(u.events_prior_30d, 0) AS events_prior_30d,
    coalesce(u.features_last_30d, 0) AS features_last_30d,
    fcat.features_in_catalog,
    coalesce(t.tickets_last_90d, 0) AS tickets_last_90d,
    coalesce(t.tickets_open_high, 0) AS tickets_open_high,
    t.csat_last_90d,
    s.nps_latest, s.nps_latest_at, s.survey_csat_180d,
    coalesce(i.invoices_overdue, 0) AS invoices_overdue,
    coalesce(i.amount_overdue, 0) AS amount_overdue,
    coalesce(i.max_days_past_due, 0) AS max_days_past_due,
    datediff('day', act.last_touch_at, l.as_of) AS days_since_last_touch,
    act.last_touch_role,
    datediff('day', act.last_csm_touch_at, l.as_of) AS days_since_csm_touch,
    datediff('day', act.last_am_touch_at, l.as_of) AS days_since_am_touch,
    coalesce(act.outcomes_last_90d, 0) AS outcomes_last_90d,
    coalesce(ms.milestones_reached, 0) AS milestones_reached,
    datediff('day', l.contract_start, ms.first_milestone_at) AS days_to_first_milestone
FROM live_accounts l
CROSS JOIN source_presence sp
CROSS JOIN feature_catalog fcat
LEFT JOIN usage_features u USING (account_id)
LEFT JOIN ticket_features t USING (account_id)
LEFT JOIN survey_features s USING (account_id)
LEFT JOIN invoice_features i USING (account_id)
LEFT JOIN touch_features act USING (account_id)
LEFT JOIN milestone_features ms USING (account_id)
ORDER BY l.account_id
"""


FRESHEST_DATA_SQL = """
SELECT max(d) FROM (
    SELECT max(occurred_at)::DATE AS d FROM usage_events
    UNION ALL SELECT max(created_at)::DATE FROM tickets
    UNION ALL SELECT max(occurred_at)::DATE FROM activities
    UNION ALL SELECT max(responded_at)::DATE FROM surveys
    UNION ALL SELECT max(issued_on) FROM invoices
)
"""


def default_as_of(db: Queryable, today: dt.date) -> dt.date:
    """Today, or the day after the newest dated row when all data is older (an old export
    is scored as of its own end, not as of a today it never saw)."""
    newest = db.query(FRESHEST_DATA_SQL)[0, 0]
    if newest is None or newest >= today:
        return today
    return newest + dt.timedelta(days=1)


def account_features(db: Queryable, as_of: dt.date) -> pl.DataFrame:
    """One row per account live on ``as_of`` with every feature the scores use."""
    return db.query(ACCOUNT_FEATURES_SQL, {"as_of": as_of})
