CREATE SCHEMA IF NOT EXISTS analytics.tandem;

CREATE OR REPLACE VIEW analytics.tandem.owners AS
SELECT
  *
FROM (
  SELECT
    CAST(NULLIF(
      TRIM(
        COALESCE(NULLIF(TRIM(CAST(r.first_name AS STRING)), ''), '') || ' ' || COALESCE(NULLIF(TRIM(CAST(r.last_name AS STRING)), ''), '')
      ),
      ''
    ) AS STRING) AS owner,
    CAST(NULL AS STRING) AS role,
    CAST(NULLIF(TRIM(CAST(r.email AS STRING)), '') AS STRING) AS email,
    CAST(NULL AS STRING) AS team,
    CAST(NULLIF(TRIM(CAST(r.owner_id AS STRING)), '') AS STRING) AS owner_id
  FROM raw_hubspot.owner AS r
) AS owners_rows
WHERE
  NOT owner IS NULL;

CREATE OR REPLACE VIEW analytics.tandem.accounts AS
SELECT
  *
FROM (
  SELECT
    CAST(NULLIF(TRIM(CAST(r.id AS STRING)), '') AS STRING) AS account_id,
    CAST(NULLIF(TRIM(CAST(r.property_name AS STRING)), '') AS STRING) AS account_name,
    CAST(NULL AS STRING) AS segment,
    CAST(NULLIF(TRIM(CAST(r.property_industry AS STRING)), '') AS STRING) AS industry,
    CAST(NULLIF(TRIM(CAST(r.property_country AS STRING)), '') AS STRING) AS region,
    CAST(NULL AS STRING) AS plan,
    CAST(NULL AS STRING) AS csm_owner,
    CAST(COALESCE(
      (
        SELECT
          MAX(o.owner)
        FROM analytics.tandem.owners AS o
        WHERE
          o.owner_id = NULLIF(TRIM(CAST(r.property_hubspot_owner_id AS STRING)), '')
      ),
      NULLIF(TRIM(CAST(r.property_hubspot_owner_id AS STRING)), '')
    ) AS STRING) AS am_owner,
    CAST(CAST(r.property_arr AS FLOAT64) AS FLOAT64) AS arr,
    CAST(NULL AS STRING) AS currency,
    CAST(CASE
      WHEN REGEXP_CONTAINS(
        NULLIF(TRIM(CAST(r.property_licensed_seats AS STRING)), ''),
        '^[+-]?[0-9]+([.][0-9]+)?$'
      )
      THEN CAST(NULLIF(TRIM(CAST(r.property_licensed_seats AS STRING)), '') AS FLOAT64)
    END AS INT64) AS licensed_seats,
    CAST(NULL AS DATE) AS contract_start,
    CAST(CAST(TIMESTAMP(DATETIME(r.property_renewal_date, 'UTC')) AS DATETIME) AS DATE) AS renewal_date,
    CAST(CASE LOWER(NULLIF(TRIM(CAST(r.property_lifecyclestage AS STRING)), ''))
      WHEN 'customer'
      THEN 'active'
      WHEN 'evangelist'
      THEN 'active'
      WHEN 'former customer'
      THEN 'churned'
    END AS STRING) AS status,
    CAST(NULLIF(TRIM(CAST(r.property_domain AS STRING)), '') AS STRING) AS domain
  FROM raw_hubspot.company AS r
  WHERE
    COALESCE(
      NOT LOWER(NULLIF(TRIM(CAST(r.property_lifecyclestage AS STRING)), '')) IN ('lead'),
      TRUE
    )
    AND COALESCE(r._fivetran_deleted, FALSE) = FALSE
) AS accounts_rows
WHERE
  NOT account_id IS NULL AND NOT account_name IS NULL;

CREATE OR REPLACE VIEW analytics.tandem.account_keys AS
SELECT
  CAST(NULL AS STRING) AS key,
  CAST(NULL AS STRING) AS system,
  CAST(NULL AS STRING) AS account_id,
  CAST(NULL AS STRING) AS account_name,
  CAST(NULL AS STRING) AS domain
LIMIT 0;

CREATE OR REPLACE VIEW analytics.tandem.contacts AS
SELECT
  CAST(NULL AS STRING) AS account_id,
  CAST(NULL AS STRING) AS name,
  CAST(NULL AS STRING) AS email,
  CAST(NULL AS STRING) AS title,
  CAST(NULL AS STRING) AS role,
  CAST(NULL AS DATE) AS left_on,
  CAST(NULL AS STRING) AS contact_id
LIMIT 0;

CREATE OR REPLACE VIEW analytics.tandem.subscriptions AS
SELECT
  CAST(NULL AS STRING) AS subscription_id,
  CAST(NULL AS STRING) AS account_id,
  CAST(NULL AS STRING) AS product,
  CAST(NULL AS FLOAT64) AS arr,
  CAST(NULL AS INT64) AS seats,
  CAST(NULL AS DATE) AS start_date,
  CAST(NULL AS DATE) AS end_date,
  CAST(NULL AS STRING) AS status,
  CAST(NULL AS BOOL) AS auto_renew
LIMIT 0;

CREATE OR REPLACE VIEW analytics.tandem.invoices AS
SELECT
  CAST(NULL AS STRING) AS invoice_id,
  CAST(NULL AS STRING) AS account_id,
  CAST(NULL AS DATE) AS issued_on,
  CAST(NULL AS DATE) AS due_on,
  CAST(NULL AS DATE) AS paid_on,
  CAST(NULL AS FLOAT64) AS amount,
  CAST(NULL AS STRING) AS status
LIMIT 0;

CREATE OR REPLACE VIEW analytics.tandem.usage_events AS
SELECT
  *
FROM (
  SELECT
    CAST(NULLIF(TRIM(CAST(r.context_group_id AS STRING)), '') AS STRING) AS account_id,
    CAST(CAST(TIMESTAMP(DATETIME(r.timestamp, 'UTC')) AS DATETIME) AS DATETIME) AS occurred_at,
    CAST(NULLIF(TRIM(CAST(r.user_id AS STRING)), '') AS STRING) AS user_id,
    CAST(NULLIF(TRIM(CAST(r.event AS STRING)), '') AS STRING) AS feature,
    CAST(CAST(1 AS INT64) AS INT64) AS quantity,
    CAST(NULL AS INT64) AS active_users
  FROM raw_segment.tracks AS r
) AS usage_events_rows
WHERE
  NOT account_id IS NULL
  AND NOT occurred_at IS NULL
  AND account_id IN (
    SELECT
      a.account_id
    FROM analytics.tandem.accounts AS a
  );

CREATE OR REPLACE VIEW analytics.tandem.usage_daily AS
SELECT
  CAST(NULL AS STRING) AS account_id,
  CAST(NULL AS STRING) AS user_id,
  CAST(NULL AS DATE) AS day,
  CAST(NULL AS STRING) AS feature,
  CAST(NULL AS INT64) AS events
LIMIT 0;

CREATE OR REPLACE VIEW analytics.tandem.tickets AS
SELECT
  CAST(NULL AS STRING) AS ticket_id,
  CAST(NULL AS STRING) AS account_id,
  CAST(NULL AS DATETIME) AS created_at,
  CAST(NULL AS DATETIME) AS resolved_at,
  CAST(NULL AS STRING) AS priority,
  CAST(NULL AS STRING) AS status,
  CAST(NULL AS INT64) AS csat,
  CAST(NULL AS STRING) AS category
LIMIT 0;

CREATE OR REPLACE VIEW analytics.tandem.surveys AS
SELECT
  CAST(NULL AS STRING) AS account_id,
  CAST(NULL AS DATETIME) AS responded_at,
  CAST(NULL AS FLOAT64) AS score,
  CAST(NULL AS STRING) AS kind,
  CAST(NULL AS STRING) AS respondent
LIMIT 0;

CREATE OR REPLACE VIEW analytics.tandem.activities AS
SELECT
  CAST(NULL AS STRING) AS account_id,
  CAST(NULL AS DATETIME) AS occurred_at,
  CAST(NULL AS STRING) AS kind,
  CAST(NULL AS STRING) AS author,
  CAST(NULL AS STRING) AS role,
  CAST(NULL AS STRING) AS summary
LIMIT 0;

CREATE OR REPLACE VIEW analytics.tandem.outcomes AS
SELECT
  CAST(NULL AS STRING) AS account_id,
  CAST(NULL AS DATE) AS occurred_on,
  CAST(NULL AS STRING) AS event,
  CAST(NULL AS FLOAT64) AS arr_change
LIMIT 0;
