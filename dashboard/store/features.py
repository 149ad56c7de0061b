"""Per-account features as of a date, in SQL on DuckDB: the input of every score.

One query, a chain of named steps, for one or many snapshot dates at once (``$dates``). Every
step reads only rows dated before each date (no peeking), so the same query builds today's
features and the point-in-time snapshots of a backtest, in one pass over each table:

- usage is aggregated per account and 30-day window (each date's last 30 days and the 30
  before), each distinct window once, then every date picks its two windows: on a 30-day grid
  of dates (the backtest's) every event is read and counted once. Distinct users are taken as
  distinct rows first and counted after (faster than ``count(DISTINCT) FILTER``);
- the latest touch is found per interval between consecutive dates and carried forward with a
  window function, instead of joining a year of activities to every date.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from typing import Any, Protocol

import polars as pl


class Queryable(Protocol):
    def query(self, sql: str, params: Any = None) -> pl.DataFrame: ...


ACCOUNT_FEATURES_SQL = """
WITH
snapshot_dates AS (
    SELECT DISTINCT unnest($dates::DATE[]) AS as_of
),
dates AS (
    SELECT as_of, as_of::TIMESTAMP AS as_of_ts FROM snapshot_dates
),
churn_events AS (
    SELECT account_id, min(occurred_on) AS churned_on
    FROM outcomes WHERE event = 'churned' GROUP BY account_id
),
arr_changes_after AS (
    SELECT o.account_id, d.as_of, sum(o.arr_change) AS arr_change_after
    FROM outcomes o JOIN dates d ON o.occurred_on > d.as_of
    WHERE o.event <> 'churned'
    GROUP BY ALL
),
live_accounts AS (
    SELECT a.*, d.as_of, d.as_of_ts,
        a.arr - coalesce(c.arr_change_after, 0) AS arr_as_of,
        CASE
            WHEN a.renewal_date >= d.as_of THEN a.renewal_date
            WHEN a.contract_start IS NOT NULL THEN CAST(a.contract_start + to_years(
                CAST(ceil(datediff('day', a.contract_start, d.as_of) / 365.25) AS INTEGER)) AS DATE)
            ELSE a.renewal_date
        END AS next_renewal
    FROM accounts a
    CROSS JOIN dates d
    LEFT JOIN churn_events ce ON ce.account_id = a.account_id
    LEFT JOIN arr_changes_after c ON c.account_id = a.account_id AND c.as_of = d.as_of
    WHERE coalesce(a.contract_start, d.as_of) <= d.as_of
      AND coalesce(ce.churned_on, DATE '9999-12-31') > d.as_of
      AND NOT (coalesce(a.status, '') = 'churned' AND ce.churned_on IS NULL
               AND coalesce(a.renewal_date <= d.as_of, true))
),
first_rows AS (
    SELECT
        (SELECT min(occurred_at) FROM usage_events) AS first_usage,
        (SELECT min(occurred_at) FROM usage_events
            WHERE user_id IS NOT NULL OR active_users IS NOT NULL) AS first_usage_with_users,
        (SELECT min(created_at) FROM tickets) AS first_ticket,
        (SELECT min(responded_at) FROM surveys) AS first_survey,
        (SELECT min(issued_on) FROM invoices) AS first_invoice,
        (SELECT min(occurred_at) FROM activities) AS first_activity
),
source_presence AS (
    SELECT d.as_of,
        coalesce(f.first_usage < d.as_of_ts, false) AS has_usage,
        coalesce(f.first_usage_with_users < d.as_of_ts, false) AS usage_knows_users,
        coalesce(f.first_ticket < d.as_of_ts, false) AS has_tickets,
        coalesce(f.first_survey < d.as_of_ts, false) AS has_surveys,
        coalesce(f.first_invoice < d.as_of, false) AS has_invoices,
        coalesce(f.first_activity < d.as_of_ts, false) AS has_activities
    FROM dates d CROSS JOIN first_rows f
),
usage_windows AS (
    -- the 30-day windows the dates need (each date's last 30 days and the 30 before), each
    -- once: on a 30-day grid of dates they tile time and every event lands in one window only
    SELECT DISTINCT ws, ws + INTERVAL 30 DAY AS we FROM (
        SELECT as_of_ts - INTERVAL 30 DAY AS ws FROM dates
        UNION ALL SELECT as_of_ts - INTERVAL 60 DAY FROM dates
    )
),
usage_in_windows AS (
    SELECT e.account_id, w.ws, e.user_id, e.feature, e.quantity, e.active_users
    FROM usage_events e JOIN usage_windows w ON e.occurred_at >= w.ws AND e.occurred_at < w.we
),
window_user_rows AS (
    -- one row per account, window and user (distinct users are distinct rows, counted after)
    SELECT account_id, ws, user_id, sum(quantity) AS events, max(active_users) AS reported_users,
        bool_or(user_id IS NOT NULL OR active_users IS NOT NULL) AS knows_users
    FROM usage_in_windows GROUP BY account_id, ws, user_id
),
window_feature_rows AS (
    SELECT DISTINCT account_id, ws, feature FROM usage_in_windows WHERE feature IS NOT NULL
),
window_stats AS (
    SELECT t.*, wf.features
    FROM (
        SELECT account_id, ws, CAST(sum(events) AS BIGINT) AS events,
            max(reported_users) AS reported_users, bool_or(knows_users) AS knows_users,
            count(user_id) AS users
        FROM window_user_rows GROUP BY ALL
    ) t
    LEFT JOIN (SELECT account_id, ws, count(*) AS features FROM window_feature_rows GROUP BY ALL) wf
      USING (account_id, ws)
),
date_windows AS (
    SELECT as_of, as_of_ts - INTERVAL 30 DAY AS ws, true AS is_last FROM dates
    UNION ALL SELECT as_of, as_of_ts - INTERVAL 60 DAY, false FROM dates
),
feature_catalog AS (
    SELECT d.as_of, count(DISTINCT c.feature) AS features_in_catalog
    FROM date_windows d
    LEFT JOIN (SELECT DISTINCT ws, feature FROM window_feature_rows) c USING (ws)
    GROUP BY d.as_of
),
usage_features AS (
    SELECT s.account_id, d.as_of,
        CASE WHEN bool_or(s.knows_users) THEN coalesce(
            nullif(max(s.users) FILTER (WHERE d.is_last), 0),
            max(s.reported_users) FILTER (WHERE d.is_last), 0) END AS active_users_last_30d,
        CASE WHEN bool_or(s.knows_users) THEN coalesce(
            nullif(max(s.users) FILTER (WHERE NOT d.is_last), 0),
            max(s.reported_users) FILTER (WHERE NOT d.is_last), 0) END AS active_users_prior_30d,
        coalesce(max(s.events) FILTER (WHERE d.is_last), 0) AS events_last_30d,
        coalesce(max(s.events) FILTER (WHERE NOT d.is_last), 0) AS events_prior_30d,
        coalesce(max(s.features) FILTER (WHERE d.is_last), 0) AS features_last_30d
    FROM window_stats s JOIN date_windows d USING (ws)
    GROUP BY ALL
),
ticket_features AS (
    SELECT t.account_id, d.as_of,
        count(*) FILTER (WHERE t.created_at >= d.as_of_ts - INTERVAL 90 DAY) AS tickets_last_90d,
        count(*) FILTER (WHERE t.priority IN ('high', 'urgent')
            AND (t.resolved_at IS NULL OR t.resolved_at >= d.as_of_ts)) AS tickets_open_high,
        avg(t.csat) FILTER (WHERE t.resolved_at >= d.as_of_ts - INTERVAL 90 DAY
            AND t.resolved_at < d.as_of_ts) AS csat_last_90d
    FROM tickets t JOIN dates d ON t.created_at < d.as_of_ts
    WHERE t.created_at >= d.as_of_ts - INTERVAL 90 DAY
       OR t.resolved_at IS NULL OR t.resolved_at >= d.as_of_ts - INTERVAL 90 DAY
    GROUP BY t.account_id, d.as_of
),
survey_features AS (
    SELECT s.account_id, d.as_of,
        arg_max(s.score, s.responded_at) FILTER (WHERE coalesce(s.kind, 'nps') = 'nps')
            AS nps_latest,
        max(s.responded_at) FILTER (WHERE coalesce(s.kind, 'nps') = 'nps') AS nps_latest_at,
        avg(s.score) FILTER (WHERE s.kind = 'csat') AS survey_csat_180d
    FROM surveys s JOIN dates d
      ON s.responded_at < d.as_of_ts AND s.responded_at >= d.as_of_ts - INTERVAL 180 DAY
    GROUP BY s.account_id, d.as_of
),
invoice_features AS (
    SELECT i.account_id, d.as_of,
        count(*) AS invoices_overdue,
        CAST(coalesce(sum(i.amount), 0) AS DOUBLE) AS amount_overdue,
        max(datediff('day', i.due_on, d.as_of)) AS max_days_past_due
    FROM invoices i JOIN dates d
      ON i.due_on < d.as_of AND i.issued_on < d.as_of
    WHERE i.paid_on IS NULL OR i.paid_on >= d.as_of
    GROUP BY i.account_id, d.as_of
),
date_intervals AS (
    -- [previous snapshot date, this one): every row before the last date falls in exactly one
    SELECT as_of, as_of_ts,
        coalesce(lag(as_of_ts) OVER (ORDER BY as_of), TIMESTAMP '1900-01-01') AS from_ts
    FROM dates
),
touches_by_interval AS (
    SELECT a.account_id, i.as_of,
        max(a.occurred_at) FILTER (WHERE a.kind IN ('call', 'meeting', 'qbr')) AS last_touch_at,
        arg_max(a.role, a.occurred_at) FILTER (WHERE a.kind IN ('call', 'meeting', 'qbr'))
            AS last_touch_role,
        max(a.occurred_at) FILTER (WHERE a.role = 'csm' AND a.kind <> 'outcome') AS last_csm_touch_at,
        max(a.occurred_at) FILTER (WHERE a.role = 'am' AND a.kind <> 'outcome') AS last_am_touch_at
    FROM activities a JOIN date_intervals i
      ON a.occurred_at >= i.from_ts AND a.occurred_at < i.as_of_ts
    WHERE a.kind IN ('call', 'meeting', 'qbr', 'email')
    GROUP BY ALL
),
latest_touches AS (
    -- carried forward from earlier intervals: the latest touch before each snapshot date
    SELECT l.account_id, l.as_of, l.as_of_ts,
        max(t.last_touch_at) OVER w AS last_touch_at,
        arg_max(t.last_touch_role, t.last_touch_at) OVER w AS last_touch_role,
        max(t.last_csm_touch_at) OVER w AS last_csm_touch_at,
        max(t.last_am_touch_at) OVER w AS last_am_touch_at
    FROM (SELECT DISTINCT account_id FROM touches_by_interval) acc
    CROSS JOIN dates l0
    JOIN (SELECT account_id, as_of, as_of_ts FROM live_accounts) l
      ON l.account_id = acc.account_id AND l.as_of = l0.as_of
    LEFT JOIN touches_by_interval t ON t.account_id = l.account_id AND t.as_of = l.as_of
    WINDOW w AS (PARTITION BY l.account_id ORDER BY l.as_of ROWS UNBOUNDED PRECEDING)
),
outcome_counts AS (
    SELECT a.account_id, d.as_of, count(*) AS outcomes_last_90d
    FROM activities a JOIN dates d
      ON a.occurred_at >= d.as_of_ts - INTERVAL 90 DAY AND a.occurred_at < d.as_of_ts
    WHERE a.kind = 'outcome'
    GROUP BY ALL
),
touch_features AS (
    -- touches older than a year score like none at all
    SELECT coalesce(t.account_id, oc.account_id) AS account_id,
        coalesce(t.as_of, oc.as_of) AS as_of,
        CASE WHEN t.last_touch_at >= t.as_of_ts - INTERVAL 365 DAY THEN t.last_touch_at END AS last_touch_at,
        CASE WHEN t.last_touch_at >= t.as_of_ts - INTERVAL 365 DAY THEN t.last_touch_role END AS last_touch_role,
        CASE WHEN t.last_csm_touch_at >= t.as_of_ts - INTERVAL 365 DAY THEN t.last_csm_touch_at END AS last_csm_touch_at,
        CASE WHEN t.last_am_touch_at >= t.as_of_ts - INTERVAL 365 DAY THEN t.last_am_touch_at END AS last_am_touch_at,
        oc.outcomes_last_90d
    FROM latest_touches t
    FULL JOIN outcome_counts oc ON oc.account_id = t.account_id AND oc.as_of = t.as_of
),
milestone_features AS (
    SELECT a.account_id, d.as_of, count(*) AS milestones_reached,
        min(a.occurred_at) AS first_milestone_at
    FROM activities a JOIN dates d ON a.occurred_at < d.as_of_ts
    WHERE a.kind = 'milestone'
    GROUP BY a.account_id, d.as_of
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
JOIN source_presence sp USING (as_of)
JOIN feature_catalog fcat USING (as_of)
LEFT JOIN usage_features u USING (account_id, as_of)
LEFT JOIN ticket_features t USING (account_id, as_of)
LEFT JOIN survey_features s USING (account_id, as_of)
LEFT JOIN invoice_features i USING (account_id, as_of)
LEFT JOIN touch_features act USING (account_id, as_of)
LEFT JOIN milestone_features ms USING (account_id, as_of)
ORDER BY l.as_of, l.account_id
"""


# Names the feature query's version: kept snapshots built by another version are not reused.
FEATURES_VERSION = hashlib.sha256(ACCOUNT_FEATURES_SQL.encode()).hexdigest()[:16]

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


def features_at(db: Queryable, dates: Sequence[dt.date]) -> pl.DataFrame:
    """One row per account and date in ``dates`` (the account live on that date) with every
    feature the scores use, each computed from rows dated before that date only."""
    return db.query(ACCOUNT_FEATURES_SQL, {"dates": sorted(set(dates))})


def account_features(db: Queryable, as_of: dt.date) -> pl.DataFrame:
    """One row per account live on ``as_of`` with every feature the scores use."""
    return features_at(db, [as_of])
