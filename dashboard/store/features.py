"""Per-account features as of a date, in SQL on DuckDB: the input of every score.

One query, a chain of named steps, for one or many snapshot dates at once (``$dates``). Every
step reads only rows dated before each date (no peeking), so the same query builds today's
features and the point-in-time snapshots of a backtest, in one pass over each table:

- usage is aggregated per account and 30-day window (each date's last 30 days and the 30
  before), each distinct window once, then every date picks its two windows: on a 30-day grid
  of dates (the backtest's) every event is read and counted once. Distinct users are taken as
  distinct rows first and counted after (faster than ``count(DISTINCT) FILTER``);
- usage is read from the raw events (``usage_events``) and the daily roll-up (``usage_daily``):
  windows start at a date's midnight, so a day's row counts where its events would, and an
  account's day that raw events cover is read from them only (the roll-up's rows for it are
  left out);
- the latest touch is found per interval between consecutive dates and carried forward with a
  window function, instead of joining a year of activities to every date;
- missing is missing: usage and billing count for an account only once their source has a
  row for it (before the date); support, surveys and touches once their table has any row.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol

import polars as pl

from dashboard.store.ddl import column_types
from dashboard.text import ACTIVE_USER_DAYS, OUTCOME_DAYS, TICKET_DAYS, arr_on, churn_dates


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
    -- the glossary's churns (account_churns), passed in: churned, and the date if known
    SELECT unnest($churned_accounts::VARCHAR[]) AS account_id,
        unnest($churned_on::DATE[]) AS churned_on
),
subscription_starts AS (
    -- each account's first subscription start: a renewal is estimated from it when the CRM
    -- gives no contract start (never from a record's creation or a signup)
    SELECT account_id, min(start_date) AS first_start
    FROM subscriptions WHERE start_date IS NOT NULL GROUP BY account_id
),
dated_accounts AS (
    SELECT account.*, snapshot.as_of, snapshot.as_of_ts,
        coalesce(account.contract_start,
                 CASE WHEN sub.first_start <= snapshot.as_of THEN sub.first_start END)
            AS estimate_start,
        CASE WHEN account.contract_start IS NOT NULL THEN 'contract start'
             ELSE 'subscription start' END AS estimate_from
    FROM accounts account
    CROSS JOIN dates snapshot
    LEFT JOIN churn_events churn ON churn.account_id = account.account_id
    LEFT JOIN subscription_starts sub ON sub.account_id = account.account_id
    WHERE coalesce(account.contract_start, snapshot.as_of) <= snapshot.as_of
      AND coalesce(churn.churned_on, DATE '9999-12-31') > snapshot.as_of
      AND NOT (churn.account_id IS NOT NULL AND churn.churned_on IS NULL
               AND coalesce(account.renewal_date <= snapshot.as_of, true))
),
live_accounts AS (
    SELECT dated.*,
        CASE
            WHEN dated.renewal_date >= dated.as_of THEN dated.renewal_date
            WHEN dated.estimate_start IS NOT NULL THEN CAST(dated.estimate_start + to_years(
                CAST(ceil(datediff('day', dated.estimate_start, dated.as_of) / 365.25) AS INTEGER)) AS DATE)
            ELSE dated.renewal_date
        END AS next_renewal,
        CASE
            WHEN dated.renewal_date >= dated.as_of THEN 'on record'
            WHEN dated.estimate_start IS NOT NULL THEN 'estimated from ' || dated.estimate_from
                || ' ' || CAST(dated.estimate_start AS VARCHAR)
            WHEN dated.renewal_date IS NOT NULL THEN 'on record'
        END AS renewal_basis
    FROM dated_accounts dated
),
first_rows AS (
    -- usage: the raw events' and the daily roll-up's (a day's row dated at its midnight: each
    -- is compared with a date's midnight only, so a day counts as its events' times do)
    SELECT
        (SELECT min(first_at) FROM (
            SELECT min(event.occurred_at) AS first_at FROM usage_events event
            UNION ALL SELECT CAST(min(daily.day) AS TIMESTAMP) FROM usage_daily daily
        ) AS usage_firsts) AS first_usage,
        (SELECT min(first_at) FROM (
            SELECT min(event.occurred_at) AS first_at FROM usage_events event
            WHERE event.user_id IS NOT NULL OR event.active_users IS NOT NULL
            UNION ALL SELECT CAST(min(daily.day) AS TIMESTAMP) FROM usage_daily daily
            WHERE daily.user_id IS NOT NULL
        ) AS user_firsts) AS first_usage_with_users,
        (SELECT min(created_at) FROM tickets) AS first_ticket,
        (SELECT min(responded_at) FROM surveys) AS first_survey,
        (SELECT min(issued_on) FROM invoices) AS first_invoice,
        (SELECT min(occurred_at) FROM activities) AS first_activity
),
account_sources AS (
    -- per account, the first usage row and the first invoice: an account no row of the
    -- usage (or billing) source ever named is missing there, not at zero
    SELECT account_id, min(first_usage) AS first_usage, min(first_invoice) AS first_invoice
    FROM (
        SELECT event.account_id, min(event.occurred_at) AS first_usage, NULL::DATE AS first_invoice
        FROM usage_events event GROUP BY event.account_id
        UNION ALL
        SELECT daily.account_id, CAST(min(daily.day) AS TIMESTAMP), NULL
        FROM usage_daily daily GROUP BY daily.account_id
        UNION ALL
        SELECT account_id, NULL, min(issued_on) FROM invoices GROUP BY account_id
    ) GROUP BY account_id
),
source_presence AS (
    SELECT snapshot.as_of,
        coalesce(firsts.first_usage < snapshot.as_of_ts, false) AS has_usage,
        coalesce(firsts.first_usage_with_users < snapshot.as_of_ts, false) AS usage_knows_users,
        coalesce(firsts.first_ticket < snapshot.as_of_ts, false) AS has_tickets,
        coalesce(firsts.first_survey < snapshot.as_of_ts, false) AS has_surveys,
        coalesce(firsts.first_invoice < snapshot.as_of, false) AS has_invoices,
        coalesce(firsts.first_activity < snapshot.as_of_ts, false) AS has_activities
    FROM dates snapshot CROSS JOIN first_rows firsts
),
usage_windows AS (
    -- the usage windows the dates need (each date's last window and the one before), each
    -- once: on a grid of dates one window apart they tile time and every event lands in one
    SELECT DISTINCT window_start, window_start + to_days($usage_days) AS window_end FROM (
        SELECT as_of_ts - to_days($usage_days) AS window_start FROM dates
        UNION ALL SELECT as_of_ts - to_days(2 * $usage_days) FROM dates
    )
),
raw_usage_days AS (
    -- the account-days the raw events cover (from the roll-up's first day on): there the raw
    -- events count and the roll-up's rows do not, so a day both hold is counted once
    SELECT DISTINCT event.account_id, CAST(event.occurred_at AS DATE) AS day
    FROM usage_events event
    WHERE event.occurred_at >= (SELECT CAST(min(daily.day) AS TIMESTAMP) FROM usage_daily daily)
),
usage_in_windows AS (
    -- the raw events in each window, and the roll-up's days no raw event covers: a window
    -- starts at a date's midnight, so a day's row falls in the windows its events fall in
    SELECT event.account_id, usage_window.window_start, event.user_id, event.feature,
        event.quantity, event.active_users
    FROM usage_events event JOIN usage_windows usage_window
      ON event.occurred_at >= usage_window.window_start
     AND event.occurred_at < usage_window.window_end
    UNION ALL
    SELECT daily.account_id, usage_window.window_start, daily.user_id, daily.feature,
        daily.events, CAST(NULL AS BIGINT)
    FROM usage_daily daily JOIN usage_windows usage_window
      ON daily.day >= CAST(usage_window.window_start AS DATE)
     AND daily.day < CAST(usage_window.window_end AS DATE)
    LEFT JOIN raw_usage_days raw_day
      ON raw_day.account_id = daily.account_id AND raw_day.day = daily.day
    WHERE raw_day.account_id IS NULL
),
window_user_rows AS (
    -- one row per account, window and user (distinct users are distinct rows, counted after)
    SELECT account_id, window_start, user_id, sum(quantity) AS events,
        max(active_users) AS reported_users,
        bool_or(user_id IS NOT NULL OR active_users IS NOT NULL) AS knows_users
    FROM usage_in_windows GROUP BY account_id, window_start, user_id
),
window_feature_rows AS (
    SELECT DISTINCT account_id, window_start, feature
    FROM usage_in_windows WHERE feature IS NOT NULL
),
window_stats AS (
    SELECT per_user.*, per_feature.features
    FROM (
        SELECT account_id, window_start, CAST(sum(events) AS BIGINT) AS events,
            max(reported_users) AS reported_users, bool_or(knows_users) AS knows_users,
            count(user_id) AS users
        FROM window_user_rows GROUP BY ALL
    ) per_user
    LEFT JOIN (
        SELECT account_id, window_start, count(*) AS features
        FROM window_feature_rows GROUP BY ALL
    ) per_feature USING (account_id, window_start)
),
date_windows AS (
    SELECT as_of, as_of_ts - to_days($usage_days) AS window_start, true AS is_last FROM dates
    UNION ALL SELECT as_of, as_of_ts - to_days(2 * $usage_days), false FROM dates
),
feature_catalog AS (
    SELECT date_window.as_of, count(DISTINCT catalog.feature) AS features_in_catalog
    FROM date_windows date_window
    LEFT JOIN (SELECT DISTINCT window_start, feature FROM window_feature_rows) catalog
      USING (window_start)
    GROUP BY date_window.as_of
),
usage_features AS (
    SELECT stats.account_id, date_window.as_of,
        CASE WHEN bool_or(stats.knows_users) THEN coalesce(
            nullif(max(stats.users) FILTER (WHERE date_window.is_last), 0),
            max(stats.reported_users) FILTER (WHERE date_window.is_last), 0) END
            AS active_users_last_30d,
        CASE WHEN bool_or(stats.knows_users) THEN coalesce(
            nullif(max(stats.users) FILTER (WHERE NOT date_window.is_last), 0),
            max(stats.reported_users) FILTER (WHERE NOT date_window.is_last), 0) END
            AS active_users_prior_30d,
        coalesce(max(stats.events) FILTER (WHERE date_window.is_last), 0) AS events_last_30d,
        coalesce(max(stats.events) FILTER (WHERE NOT date_window.is_last), 0) AS events_prior_30d,
        coalesce(max(stats.features) FILTER (WHERE date_window.is_last), 0) AS features_last_30d
    FROM window_stats stats JOIN date_windows date_window USING (window_start)
    GROUP BY ALL
),
ticket_features AS (
    SELECT ticket.account_id, snapshot.as_of,
        count(*) FILTER (WHERE ticket.created_at >= snapshot.as_of_ts - to_days($ticket_days))
            AS tickets_last_90d,
        count(*) FILTER (WHERE ticket.created_at < snapshot.as_of_ts - to_days($ticket_days)
            AND ticket.created_at >= snapshot.as_of_ts - to_days(2 * $ticket_days))
            AS tickets_prior_90d,
        count(*) FILTER (WHERE ticket.priority IN ('high', 'urgent')
            AND (ticket.resolved_at IS NULL OR ticket.resolved_at >= snapshot.as_of_ts))
            AS tickets_open_high,
        avg(ticket.csat) FILTER (WHERE ticket.resolved_at >= snapshot.as_of_ts - to_days($ticket_days)
            AND ticket.resolved_at < snapshot.as_of_ts) AS csat_last_90d
    FROM tickets ticket JOIN dates snapshot ON ticket.created_at < snapshot.as_of_ts
    WHERE ticket.created_at >= snapshot.as_of_ts - to_days(2 * $ticket_days)
       OR ticket.resolved_at IS NULL
       OR ticket.resolved_at >= snapshot.as_of_ts - to_days($ticket_days)
    GROUP BY ticket.account_id, snapshot.as_of
),
survey_features AS (
    SELECT survey.account_id, snapshot.as_of,
        arg_max(survey.score, survey.responded_at) FILTER (WHERE coalesce(survey.kind, 'nps') = 'nps')
            AS nps_latest,
        max(survey.responded_at) FILTER (WHERE coalesce(survey.kind, 'nps') = 'nps') AS nps_latest_at,
        -- each answer weighs half as much every $sentiment_half_life_days days of age
        sum(survey.score * pow(0.5, datediff('hour', survey.responded_at, snapshot.as_of_ts)
                / (24.0 * $sentiment_half_life_days)))
            FILTER (WHERE coalesce(survey.kind, 'nps') = 'nps')
        / sum(pow(0.5, datediff('hour', survey.responded_at, snapshot.as_of_ts)
                / (24.0 * $sentiment_half_life_days)))
            FILTER (WHERE coalesce(survey.kind, 'nps') = 'nps') AS nps_recent,
        avg(survey.score) FILTER (WHERE survey.kind = 'csat') AS survey_csat_180d
    FROM surveys survey JOIN dates snapshot
      ON survey.responded_at < snapshot.as_of_ts
     AND survey.responded_at >= snapshot.as_of_ts - to_days($survey_days)
    GROUP BY survey.account_id, snapshot.as_of
),
invoice_features AS (
    SELECT invoice.account_id, snapshot.as_of,
        count(*) AS invoices_overdue,
        CAST(coalesce(sum(invoice.amount), 0) AS DOUBLE) AS amount_overdue,
        max(datediff('day', invoice.due_on, snapshot.as_of)) AS max_days_past_due
    FROM invoices invoice JOIN dates snapshot
      ON invoice.due_on < snapshot.as_of AND invoice.issued_on < snapshot.as_of
    WHERE invoice.paid_on IS NULL OR invoice.paid_on >= snapshot.as_of
    GROUP BY invoice.account_id, snapshot.as_of
),
payment_days_late AS (
    -- invoices due in the window before each date, with their days late as known then
    -- (paid on time: 0; unpaid at the date: the days past due so far)
    SELECT invoice.account_id, snapshot.as_of,
        greatest(datediff('day', invoice.due_on, CASE WHEN invoice.paid_on < snapshot.as_of
            THEN invoice.paid_on ELSE snapshot.as_of END), 0) AS days_late
    FROM invoices invoice JOIN dates snapshot
      ON invoice.due_on < snapshot.as_of
     AND invoice.due_on >= snapshot.as_of - to_days($payment_days)
),
payment_features AS (
    SELECT account_id, as_of, count(*) AS invoices_due_180d,
        count(*) FILTER (WHERE days_late > 0) AS invoices_late_180d,
        avg(days_late) AS mean_days_late_180d
    FROM payment_days_late
    GROUP BY account_id, as_of
),
date_intervals AS (
    -- [previous snapshot date, this one): every row before the last date falls in exactly one
    SELECT as_of, as_of_ts,
        coalesce(lag(as_of_ts) OVER (ORDER BY as_of), TIMESTAMP '1900-01-01') AS from_ts
    FROM dates
),
touches_by_interval AS (
    SELECT activity.account_id, interval_.as_of,
        max(activity.occurred_at) FILTER (WHERE activity.kind IN ('call', 'meeting', 'qbr'))
            AS last_touch_at,
        arg_max(activity.role, activity.occurred_at) FILTER (WHERE activity.kind IN ('call', 'meeting', 'qbr'))
            AS last_touch_role,
        max(activity.occurred_at) FILTER (WHERE activity.role = 'csm' AND activity.kind <> 'outcome')
            AS last_csm_touch_at,
        max(activity.occurred_at) FILTER (WHERE activity.role = 'am' AND activity.kind <> 'outcome')
            AS last_am_touch_at
    FROM activities activity JOIN date_intervals interval_
      ON activity.occurred_at >= interval_.from_ts AND activity.occurred_at < interval_.as_of_ts
    WHERE activity.kind IN ('call', 'meeting', 'qbr', 'email')
    GROUP BY ALL
),
latest_touches AS (
    -- carried forward from earlier intervals: the latest touch before each snapshot date
    SELECT live.account_id, live.as_of, live.as_of_ts,
        max(touch.last_touch_at) OVER carried AS last_touch_at,
        arg_max(touch.last_touch_role, touch.last_touch_at) OVER carried AS last_touch_role,
        max(touch.last_csm_touch_at) OVER carried AS last_csm_touch_at,
        max(touch.last_am_touch_at) OVER carried AS last_am_touch_at
    FROM (SELECT DISTINCT account_id FROM touches_by_interval) touched
    CROSS JOIN dates snapshot
    JOIN (SELECT account_id, as_of, as_of_ts FROM live_accounts) live
      ON live.account_id = touched.account_id AND live.as_of = snapshot.as_of
    LEFT JOIN touches_by_interval touch
      ON touch.account_id = live.account_id AND touch.as_of = live.as_of
    WINDOW carried AS (PARTITION BY live.account_id ORDER BY live.as_of ROWS UNBOUNDED PRECEDING)
),
outcome_counts AS (
    SELECT activity.account_id, snapshot.as_of, count(*) AS outcomes_last_90d
    FROM activities activity JOIN dates snapshot
      ON activity.occurred_at >= snapshot.as_of_ts - to_days($outcome_days)
     AND activity.occurred_at < snapshot.as_of_ts
    WHERE activity.kind = 'outcome'
    GROUP BY ALL
),
touch_features AS (
    -- touches older than $touch_max_days score like none at all
    SELECT coalesce(touch.account_id, outcome.account_id) AS account_id,
        coalesce(touch.as_of, outcome.as_of) AS as_of,
        CASE WHEN touch.last_touch_at >= touch.as_of_ts - to_days($touch_max_days)
            THEN touch.last_touch_at END AS last_touch_at,
        CASE WHEN touch.last_touch_at >= touch.as_of_ts - to_days($touch_max_days)
            THEN touch.last_touch_role END AS last_touch_role,
        CASE WHEN touch.last_csm_touch_at >= touch.as_of_ts - to_days($touch_max_days)
            THEN touch.last_csm_touch_at END AS last_csm_touch_at,
        CASE WHEN touch.last_am_touch_at >= touch.as_of_ts - to_days($touch_max_days)
            THEN touch.last_am_touch_at END AS last_am_touch_at,
        outcome.outcomes_last_90d
    FROM latest_touches touch
    FULL JOIN outcome_counts outcome
      ON outcome.account_id = touch.account_id AND outcome.as_of = touch.as_of
),
milestone_features AS (
    SELECT activity.account_id, snapshot.as_of, count(*) AS milestones_reached,
        min(activity.occurred_at) AS first_milestone_at
    FROM activities activity JOIN dates snapshot ON activity.occurred_at < snapshot.as_of_ts
    WHERE activity.kind = 'milestone'
    GROUP BY activity.account_id, snapshot.as_of
)
SELECT
    live.account_id, live.account_name, live.segment, live.industry, live.region, live.plan,
    live.csm_owner, live.am_owner, live.licensed_seats,
    live.contract_start, live.next_renewal AS renewal_date, live.renewal_basis,
    datediff('day', live.as_of, live.next_renewal) AS days_to_renewal,
    live.as_of,
    coalesce(presence.has_usage AND sources.first_usage < live.as_of_ts, false) AS has_usage,
    presence.has_tickets, presence.has_surveys,
    coalesce(presence.has_invoices AND sources.first_invoice < live.as_of, false) AS has_invoices,
    presence.has_activities,
    CASE WHEN NOT presence.usage_knows_users THEN NULL WHEN usage.account_id IS NULL THEN 0
        ELSE usage.active_users_last_30d END AS active_users_last_30d,
    CASE WHEN NOT presence.usage_knows_users THEN NULL WHEN usage.account_id IS NULL THEN 0
        ELSE usage.active_users_prior_30d END AS active_users_prior_30d,
    coalesce(usage.events_last_30d, 0) AS events_last_30d,
    coalesce(usage.events_prior_30d, 0) AS events_prior_30d,
    coalesce(usage.features_last_30d, 0) AS features_last_30d,
    catalog.features_in_catalog,
    coalesce(ticket.tickets_last_90d, 0) AS tickets_last_90d,
    coalesce(ticket.tickets_prior_90d, 0) AS tickets_prior_90d,
    coalesce(ticket.tickets_open_high, 0) AS tickets_open_high,
    ticket.csat_last_90d,
    survey.nps_latest, survey.nps_latest_at, survey.nps_recent, survey.survey_csat_180d,
    coalesce(invoice.invoices_overdue, 0) AS invoices_overdue,
    coalesce(invoice.amount_overdue, 0) AS amount_overdue,
    coalesce(invoice.max_days_past_due, 0) AS max_days_past_due,
    coalesce(payment.invoices_due_180d, 0) AS invoices_due_180d,
    coalesce(payment.invoices_late_180d, 0) AS invoices_late_180d,
    coalesce(payment.mean_days_late_180d, 0) AS mean_days_late_180d,
    datediff('day', touch.last_touch_at, live.as_of) AS days_since_last_touch,
    touch.last_touch_role,
    datediff('day', touch.last_csm_touch_at, live.as_of) AS days_since_csm_touch,
    datediff('day', touch.last_am_touch_at, live.as_of) AS days_since_am_touch,
    coalesce(touch.outcomes_last_90d, 0) AS outcomes_last_90d,
    coalesce(milestone.milestones_reached, 0) AS milestones_reached,
    datediff('day', live.contract_start, milestone.first_milestone_at) AS days_to_first_milestone
FROM live_accounts live
JOIN source_presence presence USING (as_of)
JOIN feature_catalog catalog USING (as_of)
LEFT JOIN account_sources sources USING (account_id)
LEFT JOIN usage_features usage USING (account_id, as_of)
LEFT JOIN ticket_features ticket USING (account_id, as_of)
LEFT JOIN survey_features survey USING (account_id, as_of)
LEFT JOIN invoice_features invoice USING (account_id, as_of)
LEFT JOIN payment_features payment USING (account_id, as_of)
LEFT JOIN touch_features touch USING (account_id, as_of)
LEFT JOIN milestone_features milestone USING (account_id, as_of)
ORDER BY live.as_of, live.account_id
"""


# Names the feature query's version: kept snapshots built by another version are not reused.
FEATURES_VERSION = hashlib.sha256(ACCOUNT_FEATURES_SQL.encode()).hexdigest()[:16]

# Where the feature query reads usage from: the raw events, the daily roll-up, or both (a day
# of an account both cover counts its raw events). The local store always reads both (an
# empty table adds nothing); a warehouse names its own (``TANDEM_WAREHOUSE_USAGE``), so a
# team with only one of the two tables need not create the other.
USAGE_SOURCES: dict[str, tuple[str, ...]] = {
    "events": ("usage_events",),
    "daily": ("usage_daily",),
    "both": ("usage_events", "usage_daily"),
}
_USAGE_ALIASES = {"usage_events": "event", "usage_daily": "daily"}


def _no_rows(table: str) -> str:
    """A relation with ``table``'s canonical columns and types and no row."""
    cols = ", ".join(f"CAST(NULL AS {kind}) AS {name}" for name, kind in column_types(table))
    return f"(SELECT {cols} WHERE false)"


def features_sql(usage: str = "both") -> str:
    """The feature query reading usage from ``usage`` (a key of ``USAGE_SOURCES``); the other
    usage table is read as a relation of no rows, so it need not exist."""
    if usage not in USAGE_SOURCES:
        raise ValueError(f"usage source {usage!r}: one of {', '.join(USAGE_SOURCES)}")
    sql = ACCOUNT_FEATURES_SQL
    for table, alias in _USAGE_ALIASES.items():
        if table not in USAGE_SOURCES[usage]:
            sql = re.sub(rf"\b{table} {alias}\b", f"{_no_rows(table)} {alias}", sql)
            assert not re.search(rf"\b{table}\b", sql), f"{table} read without its alias"
    return sql


# The activity facts a portfolio's "now" is read from: what customers and people did, each
# dated when it happened. Never an administrative or future-dated column (owner invitations,
# due dates, contract ends, renewal dates): those run ahead of the data.
ACTIVITY_DATES: dict[str, str] = {
    "usage_events": "occurred_at",
    "usage_daily": "day",
    "tickets": "created_at",
    "invoices": "issued_on",
    "surveys": "responded_at",
    "activities": "occurred_at",
}


@dataclass(frozen=True)
class ScoringDate:
    """The date the data is scored as of, and why: which table and column set it."""

    as_of: dt.date
    table: str | None  # the activity table whose last date set it (None: no dated row)
    column: str | None
    last_date: dt.date | None  # that table's last date on or before the run's date
    future_rows: int  # activity rows dated after the run's date, left out

    def sentence(self) -> str:
        """The rule in words, as the Data page says it."""
        n = self.future_rows
        ignored = (
            f" {n:,} activity {'row' if n == 1 else 'rows'} dated after the run's date"
            f" {'is' if n == 1 else 'are'} not counted."
            if n
            else ""
        )
        if self.table is None:
            return f"Scored as of {self.as_of}: the run's date (no dated activity).{ignored}"
        if self.last_date is not None and self.as_of > self.last_date:
            return (
                f"Scored as of {self.as_of}: the day after the last activity, "
                f"{self.table}.{self.column} on {self.last_date}.{ignored}"
            )
        return (
            f"Scored as of {self.as_of}: the run's date ({self.table}.{self.column} "
            f"reaches it).{ignored}"
        )


def scoring_date(db: Queryable, today: dt.date) -> ScoringDate:
    """The date the data is scored as of: the day after the last activity fact (usage
    ``occurred_at``, tickets ``created_at``, invoices ``issued_on``, surveys
    ``responded_at``, activities ``occurred_at``), so an old export is scored as of its own
    end, not as of a today it never saw; never after ``today`` (the run's date). Rows dated
    after ``today`` are future-dated (a scheduled invoice, a wrong year) and set nothing."""
    parts = " UNION ALL ".join(
        f"SELECT {order} AS ordinal, '{table}' AS table_name, '{column}' AS column_name,"
        f" max({column}::DATE) FILTER (WHERE {column}::DATE <= $today) AS last_date,"
        f" count(*) FILTER (WHERE {column}::DATE > $today) AS future_rows FROM {table}"
        for order, (table, column) in enumerate(ACTIVITY_DATES.items())
    )  # a tie goes to the first table of ACTIVITY_DATES
    found = db.query(f"{parts} ORDER BY last_date DESC NULLS LAST, ordinal", {"today": today})
    future = int(found["future_rows"].sum())
    top = found.row(0, named=True)
    if top["last_date"] is None:
        return ScoringDate(today, None, None, None, future)
    last: dt.date = top["last_date"]
    return ScoringDate(
        min(last + dt.timedelta(days=1), today), top["table_name"], top["column_name"], last, future
    )


def default_as_of(db: Queryable, today: dt.date) -> dt.date:
    """The date the data is scored as of (``scoring_date``)."""
    return scoring_date(db, today).as_of


@dataclass(frozen=True)
class Windows:
    """The look-back windows of the features, in days (the feature names say the defaults)."""

    usage_days: int = ACTIVE_USER_DAYS  # active users, events, features: this and the one before
    ticket_days: int = TICKET_DAYS  # tickets per seats and recent CSAT
    survey_days: int = 180  # survey CSAT and the NPS answers weighed by recency
    sentiment_half_life_days: int = 90  # an NPS answer this old weighs half a new one
    payment_days: int = 180  # invoices due in this window: late payments, days late
    outcome_days: int = OUTCOME_DAYS  # business outcomes logged
    touch_max_days: int = 365  # an older touch scores like none


WINDOWS = Windows()


class FeaturesUnavailable(RuntimeError):
    """Warehouse mode: the features of a date the warehouse did not compute are asked for
    (the local store holds no usage events to compute them from); the message says so."""


WAREHOUSE_MODE = "features_engine"  # meta key: set, the features come from the warehouse


def _from_warehouse(db: Queryable, dates: list[dt.date], windows: Windows) -> pl.DataFrame | None:
    """In warehouse mode, the feature rows the warehouse computed at ``dates``; None in the
    local mode (the store computes them)."""
    has_table = getattr(db, "has_table", None)
    if has_table is None or not has_table("meta"):
        return None
    engine = db.query("SELECT value FROM meta WHERE key = $key", {"key": WAREHOUSE_MODE})
    if engine.is_empty() or not engine.item():
        return None
    where = f"the warehouse ({engine.item()})"
    if windows != WINDOWS:
        raise FeaturesUnavailable(f"{where} computed the features with the default windows only")
    version = db.query(
        "SELECT value FROM meta WHERE key = 'warehouse_features_version'"
    )  # rows another version of the feature query computed are not used
    if (
        not has_table("warehouse_features")
        or version.is_empty()
        or version.item() != FEATURES_VERSION
    ):
        raise FeaturesUnavailable(
            f"the features come from {where} and none are stored (the data changed since the"
            " last warehouse run): run `tandem refresh` again"
        )
    held = db.query(
        "SELECT * FROM warehouse_features WHERE as_of IN (SELECT unnest($dates::DATE[]))"
        " ORDER BY as_of, account_id",
        {"dates": dates},
    )
    missing = sorted(set(dates) - set(held["as_of"].unique().to_list()))
    if missing:
        raise FeaturesUnavailable(
            f"the features come from {where}, which computed none for"
            f" {', '.join(map(str, missing[:5]))}: run `tandem refresh` for them"
        )
    return held


def features_at(
    db: Queryable, dates: Sequence[dt.date], windows: Windows = WINDOWS
) -> pl.DataFrame:
    """One row per account and date in ``dates`` (the account live on that date) with every
    feature the scores use, each computed from rows dated before that date only; ``arr`` is
    the ARR on that date as the glossary defines it (``arr_on``, the one definition the KPIs
    read too). In warehouse mode: the rows the warehouse computed, ``FeaturesUnavailable``
    for others."""
    wanted = sorted(set(dates))
    held = _from_warehouse(db, wanted, windows)
    if held is None:
        features = db.query(
            ACCOUNT_FEATURES_SQL, feature_params(wanted, account_churns(db), windows)
        )
    else:
        features = held.drop("arr", strict=False)  # the ARR on a date: the glossary's, below
    arr = arr_on(
        db.query("SELECT account_id, arr, status FROM accounts").lazy(),
        db.query("SELECT account_id, occurred_on, event, arr_change FROM outcomes").lazy(),
        pl.LazyFrame({"as_of": wanted}, schema={"as_of": pl.Date}),
    ).select("account_id", "as_of", arr=pl.col("arr_on").cast(pl.Float64))
    order = features.columns
    order.insert(order.index("am_owner") + 1, "arr")
    return features.join(
        arr.collect(), on=["account_id", "as_of"], how="left", maintain_order="left"
    ).select(order)


NO_CHURNS = pl.DataFrame(  # ``account_churns``' columns, no account: no churn known
    schema={"account_id": pl.String, "churned": pl.Boolean, "churned_on": pl.Date}
)


def feature_params(
    dates: Sequence[dt.date], churns: pl.DataFrame, windows: Windows = WINDOWS
) -> dict[str, Any]:
    """The feature query's parameters: the dates, the windows and the churned accounts of
    ``churns`` (``account_churns``' columns; in a warehouse, read from its tables the same
    way) with the date each churned, when known."""
    churned = churns.filter(pl.col("churned"))
    return {
        "dates": sorted(set(dates)),
        "churned_accounts": churned["account_id"].to_list(),
        "churned_on": churned["churned_on"].to_list(),
        **asdict(windows),
    }


def account_churns(db: Queryable) -> pl.DataFrame:
    """Every account with ``churned`` and ``churned_on``: the glossary's one reading of
    "churned" (``churn_dates``: the CRM's status or a churn outcome, dated by the first churn
    outcome) on the stored accounts and outcomes. Every store query that asks whether or
    when an account churned reads this."""
    return churn_dates(
        db.query("SELECT account_id, status FROM accounts").lazy(),
        db.query("SELECT account_id, occurred_on, event FROM outcomes").lazy(),
    ).collect()


def account_features(db: Queryable, as_of: dt.date) -> pl.DataFrame:
    """One row per account live on ``as_of`` with every feature the scores use."""
    return features_at(db, [as_of])
