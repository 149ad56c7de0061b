WITH snapshot_dates AS (
  SELECT DISTINCT
    as_of
  FROM UNNEST([
    STRUCT(CAST('2025-12-31' AS DATE) AS as_of),
    STRUCT(CAST('2026-01-09' AS DATE) AS as_of)
  ]) AS given_as_of
), dates AS (
  SELECT
    as_of,
    CAST(as_of AS DATETIME) AS as_of_ts
  FROM snapshot_dates
), churn_events AS (
  SELECT
    account_id,
    churned_on
  FROM (
    SELECT
      CAST(NULL AS STRING) AS account_id,
      CAST(NULL AS DATE) AS churned_on
    WHERE
      FALSE
  ) AS given_account_id
), subscription_starts AS (
  /* each account's first subscription start: a renewal is estimated from it when the CRM */
  /* gives no contract start (never from a record's creation or a signup) */
  SELECT
    account_id,
    MIN(start_date) AS first_start
  FROM analytics.tandem.subscriptions
  WHERE
    NOT start_date IS NULL
  GROUP BY
    account_id
), dated_accounts AS (
  SELECT
    account.*,
    snapshot.as_of,
    snapshot.as_of_ts,
    COALESCE(
      account.contract_start,
      CASE WHEN sub.first_start <= snapshot.as_of THEN sub.first_start END
    ) AS estimate_start,
    CASE
      WHEN NOT account.contract_start IS NULL
      THEN 'contract start'
      ELSE 'subscription start'
    END AS estimate_from
  FROM analytics.tandem.accounts AS account
  CROSS JOIN dates AS snapshot
  LEFT JOIN churn_events AS churn
    ON churn.account_id = account.account_id
  LEFT JOIN subscription_starts AS sub
    ON sub.account_id = account.account_id
  WHERE
    COALESCE(account.contract_start, snapshot.as_of) <= snapshot.as_of
    AND COALESCE(churn.churned_on, CAST('9999-12-31' AS DATE)) > snapshot.as_of
    AND NOT (
      NOT churn.account_id IS NULL
      AND churn.churned_on IS NULL
      AND COALESCE(account.renewal_date <= snapshot.as_of, TRUE)
    )
), live_accounts AS (
  SELECT
    dated.*,
    CASE
      WHEN dated.renewal_date >= dated.as_of
      THEN dated.renewal_date
      WHEN NOT dated.estimate_start IS NULL
      THEN CAST(DATE_ADD(dated.estimate_start, INTERVAL (CAST(CEIL(
        DATE_DIFF(CAST(dated.as_of AS DATE), CAST(dated.estimate_start AS DATE), DAY) / CAST(365.25 AS FLOAT64)
      ) AS INT64)) YEAR) AS DATE)
      ELSE dated.renewal_date
    END AS next_renewal,
    CASE
      WHEN dated.renewal_date >= dated.as_of
      THEN 'on record'
      WHEN NOT dated.estimate_start IS NULL
      THEN 'estimated from ' || dated.estimate_from || ' ' || CAST(dated.estimate_start AS STRING)
      WHEN NOT dated.renewal_date IS NULL
      THEN 'on record'
    END AS renewal_basis
  FROM dated_accounts AS dated
), first_rows AS (
  /* usage: the raw events' and the daily roll-up's (a day's row dated at its midnight: each */
  /* is compared with a date's midnight only, so a day counts as its events' times do) */
  SELECT
    (
      SELECT
        MIN(first_at)
      FROM (
        SELECT
          MIN(event.occurred_at) AS first_at
        FROM analytics.tandem.usage_events AS event
        UNION ALL
        SELECT
          CAST(MIN(daily.day) AS DATETIME)
        FROM analytics.tandem.usage_daily AS daily
      ) AS usage_firsts
    ) AS first_usage,
    (
      SELECT
        MIN(first_at)
      FROM (
        SELECT
          MIN(event.occurred_at) AS first_at
        FROM analytics.tandem.usage_events AS event
        WHERE
          NOT event.user_id IS NULL OR NOT event.active_users IS NULL
        UNION ALL
        SELECT
          CAST(MIN(daily.day) AS DATETIME)
        FROM analytics.tandem.usage_daily AS daily
        WHERE
          NOT daily.user_id IS NULL
      ) AS user_firsts
    ) AS first_usage_with_users,
    (
      SELECT
        MIN(created_at)
      FROM analytics.tandem.tickets
    ) AS first_ticket,
    (
      SELECT
        MIN(responded_at)
      FROM analytics.tandem.surveys
    ) AS first_survey,
    (
      SELECT
        MIN(issued_on)
      FROM analytics.tandem.invoices
    ) AS first_invoice,
    (
      SELECT
        MIN(occurred_at)
      FROM analytics.tandem.activities
    ) AS first_activity
), account_sources AS (
  /* per account, the first usage row and the first invoice: an account no row of the */
  /* usage (or billing) source ever named is missing there, not at zero */
  SELECT
    account_id,
    MIN(first_usage) AS first_usage,
    MIN(first_invoice) AS first_invoice
  FROM (
    SELECT
      event.account_id,
      MIN(event.occurred_at) AS first_usage,
      CAST(NULL AS DATE) AS first_invoice
    FROM analytics.tandem.usage_events AS event
    GROUP BY
      event.account_id
    UNION ALL
    SELECT
      daily.account_id,
      CAST(MIN(daily.day) AS DATETIME),
      NULL
    FROM analytics.tandem.usage_daily AS daily
    GROUP BY
      daily.account_id
    UNION ALL
    SELECT
      account_id,
      NULL,
      MIN(issued_on)
    FROM analytics.tandem.invoices
    GROUP BY
      account_id
  ) AS subquery_1
  GROUP BY
    account_id
), source_presence AS (
  SELECT
    snapshot.as_of,
    COALESCE(firsts.first_usage < snapshot.as_of_ts, FALSE) AS has_usage,
    COALESCE(firsts.first_usage_with_users < snapshot.as_of_ts, FALSE) AS usage_knows_users,
    COALESCE(firsts.first_ticket < snapshot.as_of_ts, FALSE) AS has_tickets,
    COALESCE(firsts.first_survey < snapshot.as_of_ts, FALSE) AS has_surveys,
    COALESCE(firsts.first_invoice < snapshot.as_of, FALSE) AS has_invoices,
    COALESCE(firsts.first_activity < snapshot.as_of_ts, FALSE) AS has_activities
  FROM dates AS snapshot
  CROSS JOIN first_rows AS firsts
), usage_windows AS (
  /* the usage windows the dates need (each date's last window and the one before), each */
  /* once: on a grid of dates one window apart they tile time and every event lands in one */
  SELECT DISTINCT
    window_start,
    window_start + INTERVAL '30' DAY AS window_end
  FROM (
    SELECT
      as_of_ts - INTERVAL '30' DAY AS window_start
    FROM dates
    UNION ALL
    SELECT
      as_of_ts - INTERVAL '60' DAY
    FROM dates
  ) AS subquery_2
), raw_usage_days AS (
  /* the account-days the raw events cover (from the roll-up's first day on): there the raw */
  /* events count and the roll-up's rows do not, so a day both hold is counted once */
  SELECT DISTINCT
    event.account_id,
    CAST(event.occurred_at AS DATE) AS day
  FROM analytics.tandem.usage_events AS event
  WHERE
    event.occurred_at >= (
      SELECT
        CAST(MIN(daily.day) AS DATETIME)
      FROM analytics.tandem.usage_daily AS daily
    )
), usage_in_windows AS (
  /* the raw events in each window, and the roll-up's days no raw event covers: a window */
  /* starts at a date's midnight, so a day's row falls in the windows its events fall in */
  SELECT
    event.account_id,
    usage_window.window_start,
    event.user_id,
    event.feature,
    event.quantity,
    event.active_users
  FROM analytics.tandem.usage_events AS event
  JOIN usage_windows AS usage_window
    ON event.occurred_at >= usage_window.window_start
    AND event.occurred_at < usage_window.window_end
  UNION ALL
  SELECT
    daily.account_id,
    usage_window.window_start,
    daily.user_id,
    daily.feature,
    daily.events,
    CAST(NULL AS INT64)
  FROM analytics.tandem.usage_daily AS daily
  JOIN usage_windows AS usage_window
    ON daily.day >= CAST(usage_window.window_start AS DATE)
    AND daily.day < CAST(usage_window.window_end AS DATE)
  LEFT JOIN raw_usage_days AS raw_day
    ON raw_day.account_id = daily.account_id AND raw_day.day = daily.day
  WHERE
    raw_day.account_id IS NULL
), window_user_rows AS (
  /* one row per account, window and user (distinct users are distinct rows, counted after) */
  SELECT
    account_id,
    window_start,
    user_id,
    SUM(quantity) AS events,
    MAX(active_users) AS reported_users,
    LOGICAL_OR(NOT user_id IS NULL OR NOT active_users IS NULL) AS knows_users
  FROM usage_in_windows
  GROUP BY
    account_id,
    window_start,
    user_id
), window_feature_rows AS (
  SELECT DISTINCT
    account_id,
    window_start,
    feature
  FROM usage_in_windows
  WHERE
    NOT feature IS NULL
), window_stats AS (
  SELECT
    per_user.*,
    per_feature.features
  FROM (
    SELECT
      account_id,
      window_start,
      CAST(SUM(events) AS INT64) AS events,
      MAX(reported_users) AS reported_users,
      LOGICAL_OR(knows_users) AS knows_users,
      COUNT(user_id) AS users
    FROM window_user_rows
    GROUP BY
      account_id,
      window_start
  ) AS per_user
  LEFT JOIN (
    SELECT
      account_id,
      window_start,
      COUNT(*) AS features
    FROM window_feature_rows
    GROUP BY
      account_id,
      window_start
  ) AS per_feature
    USING (account_id, window_start)
), date_windows AS (
  SELECT
    as_of,
    as_of_ts - INTERVAL '30' DAY AS window_start,
    TRUE AS is_last
  FROM dates
  UNION ALL
  SELECT
    as_of,
    as_of_ts - INTERVAL '60' DAY,
    FALSE
  FROM dates
), feature_catalog AS (
  SELECT
    date_window.as_of,
    COUNT(DISTINCT catalog.feature) AS features_in_catalog
  FROM date_windows AS date_window
  LEFT JOIN (
    SELECT DISTINCT
      window_start,
      feature
    FROM window_feature_rows
  ) AS catalog
    USING (window_start)
  GROUP BY
    date_window.as_of
), usage_features AS (
  SELECT
    stats.account_id,
    date_window.as_of,
    CASE
      WHEN LOGICAL_OR(stats.knows_users)
      THEN COALESCE(
        NULLIF(MAX(CASE WHEN date_window.is_last THEN stats.users END), 0),
        MAX(CASE WHEN date_window.is_last THEN stats.reported_users END),
        0
      )
    END AS active_users_last_30d,
    CASE
      WHEN LOGICAL_OR(stats.knows_users)
      THEN COALESCE(
        NULLIF(MAX(CASE WHEN NOT date_window.is_last THEN stats.users END), 0),
        MAX(CASE WHEN NOT date_window.is_last THEN stats.reported_users END),
        0
      )
    END AS active_users_prior_30d,
    COALESCE(MAX(CASE WHEN date_window.is_last THEN stats.events END), 0) AS events_last_30d,
    COALESCE(MAX(CASE WHEN NOT date_window.is_last THEN stats.events END), 0) AS events_prior_30d,
    COALESCE(MAX(CASE WHEN date_window.is_last THEN stats.features END), 0) AS features_last_30d
  FROM window_stats AS stats
  JOIN date_windows AS date_window
    USING (window_start)
  GROUP BY
    stats.account_id,
    date_window.as_of
), ticket_features AS (
  SELECT
    ticket.account_id,
    snapshot.as_of,
    COUNT(CASE WHEN ticket.created_at >= snapshot.as_of_ts - INTERVAL '90' DAY THEN 1 END) AS tickets_last_90d,
    COUNT(
      CASE
        WHEN ticket.created_at < snapshot.as_of_ts - INTERVAL '90' DAY
        AND ticket.created_at >= snapshot.as_of_ts - INTERVAL '180' DAY
        THEN 1
      END
    ) AS tickets_prior_90d,
    COUNT(
      CASE
        WHEN ticket.priority IN ('high', 'urgent')
        AND (
          ticket.resolved_at IS NULL OR ticket.resolved_at >= snapshot.as_of_ts
        )
        THEN 1
      END
    ) AS tickets_open_high,
    AVG(
      CASE
        WHEN ticket.resolved_at >= snapshot.as_of_ts - INTERVAL '90' DAY
        AND ticket.resolved_at < snapshot.as_of_ts
        THEN ticket.csat
      END
    ) AS csat_last_90d
  FROM analytics.tandem.tickets AS ticket
  JOIN dates AS snapshot
    ON ticket.created_at < snapshot.as_of_ts
  WHERE
    ticket.created_at >= snapshot.as_of_ts - INTERVAL '180' DAY
    OR ticket.resolved_at IS NULL
    OR ticket.resolved_at >= snapshot.as_of_ts - INTERVAL '90' DAY
  GROUP BY
    ticket.account_id,
    snapshot.as_of
), survey_features AS (
  SELECT
    survey.account_id,
    snapshot.as_of,
    MAX_BY(
      CASE WHEN COALESCE(survey.kind, 'nps') = 'nps' THEN survey.score END,
      CASE
        WHEN NOT CASE WHEN COALESCE(survey.kind, 'nps') = 'nps' THEN survey.score END IS NULL
        THEN survey.responded_at
      END
    ) AS nps_latest,
    MAX(CASE WHEN COALESCE(survey.kind, 'nps') = 'nps' THEN survey.responded_at END) AS nps_latest_at,
    SUM(
      CASE
        WHEN COALESCE(survey.kind, 'nps') = 'nps'
        THEN survey.score * POWER(
          CAST(0.5 AS FLOAT64),
          DATE_DIFF(
            TIMESTAMP_TRUNC(snapshot.as_of_ts, HOUR),
            TIMESTAMP_TRUNC(survey.responded_at, HOUR),
            HOUR
          ) / (
            CAST(24.0 AS FLOAT64) * 90
          )
        )
      END
    ) /* each answer weighs half as much every $sentiment_half_life_days days of age */ / SUM(
      CASE
        WHEN COALESCE(survey.kind, 'nps') = 'nps'
        THEN POWER(
          CAST(0.5 AS FLOAT64),
          DATE_DIFF(
            TIMESTAMP_TRUNC(snapshot.as_of_ts, HOUR),
            TIMESTAMP_TRUNC(survey.responded_at, HOUR),
            HOUR
          ) / (
            CAST(24.0 AS FLOAT64) * 90
          )
        )
      END
    ) AS nps_recent,
    AVG(CASE WHEN survey.kind = 'csat' THEN survey.score END) AS survey_csat_180d
  FROM analytics.tandem.surveys AS survey
  JOIN dates AS snapshot
    ON survey.responded_at < snapshot.as_of_ts
    AND survey.responded_at >= snapshot.as_of_ts - INTERVAL '180' DAY
  GROUP BY
    survey.account_id,
    snapshot.as_of
), invoice_features AS (
  SELECT
    invoice.account_id,
    snapshot.as_of,
    COUNT(*) AS invoices_overdue,
    CAST(COALESCE(SUM(invoice.amount), 0) AS FLOAT64) AS amount_overdue,
    MAX(DATE_DIFF(CAST(snapshot.as_of AS DATE), CAST(invoice.due_on AS DATE), DAY)) AS max_days_past_due
  FROM analytics.tandem.invoices AS invoice
  JOIN dates AS snapshot
    ON invoice.due_on < snapshot.as_of AND invoice.issued_on < snapshot.as_of
  WHERE
    invoice.paid_on IS NULL OR invoice.paid_on >= snapshot.as_of
  GROUP BY
    invoice.account_id,
    snapshot.as_of
), payment_days_late AS (
  /* invoices due in the window before each date, with their days late as known then */
  /* (paid on time: 0; unpaid at the date: the days past due so far) */
  SELECT
    invoice.account_id,
    snapshot.as_of,
    GREATEST(
      DATE_DIFF(
        CAST(CASE
          WHEN invoice.paid_on < snapshot.as_of
          THEN invoice.paid_on
          ELSE snapshot.as_of
        END AS DATE),
        CAST(invoice.due_on AS DATE),
        DAY
      ),
      0
    ) AS days_late
  FROM analytics.tandem.invoices AS invoice
  JOIN dates AS snapshot
    ON invoice.due_on < snapshot.as_of
    AND invoice.due_on >= snapshot.as_of - INTERVAL '180' DAY
), payment_features AS (
  SELECT
    account_id,
    as_of,
    COUNT(*) AS invoices_due_180d,
    COUNT(CASE WHEN days_late > 0 THEN 1 END) AS invoices_late_180d,
    AVG(days_late) AS mean_days_late_180d
  FROM payment_days_late
  GROUP BY
    account_id,
    as_of
), date_intervals AS (
  /* [previous snapshot date, this one): every row before the last date falls in exactly one */
  SELECT
    as_of,
    as_of_ts,
    COALESCE(LAG(as_of_ts) OVER (ORDER BY as_of), CAST('1900-01-01' AS DATETIME)) AS from_ts
  FROM dates
), touches_by_interval AS (
  SELECT
    activity.account_id,
    interval_.as_of,
    MAX(
      CASE WHEN activity.kind IN ('call', 'meeting', 'qbr') THEN activity.occurred_at END
    ) AS last_touch_at,
    MAX_BY(
      CASE WHEN activity.kind IN ('call', 'meeting', 'qbr') THEN activity.role END,
      CASE
        WHEN NOT CASE WHEN activity.kind IN ('call', 'meeting', 'qbr') THEN activity.role END IS NULL
        THEN activity.occurred_at
      END
    ) AS last_touch_role,
    MAX(
      CASE
        WHEN activity.role = 'csm' AND activity.kind <> 'outcome'
        THEN activity.occurred_at
      END
    ) AS last_csm_touch_at,
    MAX(
      CASE
        WHEN activity.role = 'am' AND activity.kind <> 'outcome'
        THEN activity.occurred_at
      END
    ) AS last_am_touch_at
  FROM analytics.tandem.activities AS activity
  JOIN date_intervals AS interval_
    ON activity.occurred_at >= interval_.from_ts
    AND activity.occurred_at < interval_.as_of_ts
  WHERE
    activity.kind IN ('call', 'meeting', 'qbr', 'email')
  GROUP BY
    activity.account_id,
    interval_.as_of
), latest_touches AS (
  /* carried forward from earlier intervals: the latest touch before each snapshot date */
  SELECT
    live.account_id,
    live.as_of,
    live.as_of_ts,
    MAX(touch.last_touch_at) OVER (
      PARTITION BY live.account_id
      ORDER BY live.as_of
      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS last_touch_at,
    MAX_BY(
      touch.last_touch_role,
      CASE WHEN NOT touch.last_touch_role IS NULL THEN touch.last_touch_at END
    ) OVER (
      PARTITION BY live.account_id
      ORDER BY live.as_of
      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS last_touch_role,
    MAX(touch.last_csm_touch_at) OVER (
      PARTITION BY live.account_id
      ORDER BY live.as_of
      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS last_csm_touch_at,
    MAX(touch.last_am_touch_at) OVER (
      PARTITION BY live.account_id
      ORDER BY live.as_of
      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS last_am_touch_at
  FROM (
    SELECT DISTINCT
      account_id
    FROM touches_by_interval
  ) AS touched
  CROSS JOIN dates AS snapshot
  JOIN (
    SELECT
      account_id,
      as_of,
      as_of_ts
    FROM live_accounts
  ) AS live
    ON live.account_id = touched.account_id AND live.as_of = snapshot.as_of
  LEFT JOIN touches_by_interval AS touch
    ON touch.account_id = live.account_id AND touch.as_of = live.as_of
), outcome_counts AS (
  SELECT
    activity.account_id,
    snapshot.as_of,
    COUNT(*) AS outcomes_last_90d
  FROM analytics.tandem.activities AS activity
  JOIN dates AS snapshot
    ON activity.occurred_at >= snapshot.as_of_ts - INTERVAL '90' DAY
    AND activity.occurred_at < snapshot.as_of_ts
  WHERE
    activity.kind = 'outcome'
  GROUP BY
    activity.account_id,
    snapshot.as_of
), touch_features AS (
  /* touches older than $touch_max_days score like none at all */
  SELECT
    COALESCE(touch.account_id, outcome.account_id) AS account_id,
    COALESCE(touch.as_of, outcome.as_of) AS as_of,
    CASE
      WHEN touch.last_touch_at >= touch.as_of_ts - INTERVAL '365' DAY
      THEN touch.last_touch_at
    END AS last_touch_at,
    CASE
      WHEN touch.last_touch_at >= touch.as_of_ts - INTERVAL '365' DAY
      THEN touch.last_touch_role
    END AS last_touch_role,
    CASE
      WHEN touch.last_csm_touch_at >= touch.as_of_ts - INTERVAL '365' DAY
      THEN touch.last_csm_touch_at
    END AS last_csm_touch_at,
    CASE
      WHEN touch.last_am_touch_at >= touch.as_of_ts - INTERVAL '365' DAY
      THEN touch.last_am_touch_at
    END AS last_am_touch_at,
    outcome.outcomes_last_90d
  FROM latest_touches AS touch
  FULL JOIN outcome_counts AS outcome
    ON outcome.account_id = touch.account_id AND outcome.as_of = touch.as_of
), milestone_features AS (
  SELECT
    activity.account_id,
    snapshot.as_of,
    COUNT(*) AS milestones_reached,
    MIN(activity.occurred_at) AS first_milestone_at
  FROM analytics.tandem.activities AS activity
  JOIN dates AS snapshot
    ON activity.occurred_at < snapshot.as_of_ts
  WHERE
    activity.kind = 'milestone'
  GROUP BY
    activity.account_id,
    snapshot.as_of
)
SELECT
  live.account_id,
  live.account_name,
  live.segment,
  live.industry,
  live.region,
  live.plan,
  live.csm_owner,
  live.am_owner,
  live.licensed_seats,
  live.contract_start,
  live.next_renewal AS renewal_date,
  live.renewal_basis,
  DATE_DIFF(CAST(live.next_renewal AS DATE), CAST(live.as_of AS DATE), DAY) AS days_to_renewal,
  live.as_of,
  COALESCE(presence.has_usage AND sources.first_usage < live.as_of_ts, FALSE) AS has_usage,
  presence.has_tickets,
  presence.has_surveys,
  COALESCE(presence.has_invoices AND sources.first_invoice < live.as_of, FALSE) AS has_invoices,
  presence.has_activities,
  CASE
    WHEN NOT presence.usage_knows_users
    THEN NULL
    WHEN usage.account_id IS NULL
    THEN 0
    ELSE usage.active_users_last_30d
  END AS active_users_last_30d,
  CASE
    WHEN NOT presence.usage_knows_users
    THEN NULL
    WHEN usage.account_id IS NULL
    THEN 0
    ELSE usage.active_users_prior_30d
  END AS active_users_prior_30d,
  COALESCE(usage.events_last_30d, 0) AS events_last_30d,
  COALESCE(usage.events_prior_30d, 0) AS events_prior_30d,
  COALESCE(usage.features_last_30d, 0) AS features_last_30d,
  catalog.features_in_catalog,
  COALESCE(ticket.tickets_last_90d, 0) AS tickets_last_90d,
  COALESCE(ticket.tickets_prior_90d, 0) AS tickets_prior_90d,
  COALESCE(ticket.tickets_open_high, 0) AS tickets_open_high,
  ticket.csat_last_90d,
  survey.nps_latest,
  survey.nps_latest_at,
  survey.nps_recent,
  survey.survey_csat_180d,
  COALESCE(invoice.invoices_overdue, 0) AS invoices_overdue,
  COALESCE(invoice.amount_overdue, 0) AS amount_overdue,
  COALESCE(invoice.max_days_past_due, 0) AS max_days_past_due,
  COALESCE(payment.invoices_due_180d, 0) AS invoices_due_180d,
  COALESCE(payment.invoices_late_180d, 0) AS invoices_late_180d,
  COALESCE(payment.mean_days_late_180d, 0) AS mean_days_late_180d,
  DATE_DIFF(CAST(live.as_of AS DATE), CAST(touch.last_touch_at AS DATE), DAY) AS days_since_last_touch,
  touch.last_touch_role,
  DATE_DIFF(CAST(live.as_of AS DATE), CAST(touch.last_csm_touch_at AS DATE), DAY) AS days_since_csm_touch,
  DATE_DIFF(CAST(live.as_of AS DATE), CAST(touch.last_am_touch_at AS DATE), DAY) AS days_since_am_touch,
  COALESCE(touch.outcomes_last_90d, 0) AS outcomes_last_90d,
  COALESCE(milestone.milestones_reached, 0) AS milestones_reached,
  DATE_DIFF(CAST(milestone.first_milestone_at AS DATE), CAST(live.contract_start AS DATE), DAY) AS days_to_first_milestone
FROM live_accounts AS live
JOIN source_presence AS presence
  USING (as_of)
JOIN feature_catalog AS catalog
  USING (as_of)
LEFT JOIN account_sources AS sources
  USING (account_id)
LEFT JOIN usage_features AS usage
  USING (account_id, as_of)
LEFT JOIN ticket_features AS ticket
  USING (account_id, as_of)
LEFT JOIN survey_features AS survey
  USING (account_id, as_of)
LEFT JOIN invoice_features AS invoice
  USING (account_id, as_of)
LEFT JOIN payment_features AS payment
  USING (account_id, as_of)
LEFT JOIN touch_features AS touch
  USING (account_id, as_of)
LEFT JOIN milestone_features AS milestone
  USING (account_id, as_of)
ORDER BY
  live.as_of NULLS LAST,
  live.account_id NULLS LAST
