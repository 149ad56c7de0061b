CREATE SCHEMA IF NOT EXISTS analytics.tandem;

CREATE OR REPLACE VIEW analytics.tandem.owners AS
SELECT
  *
FROM (
  SELECT
    CAST(NULLIF(
      TRIM(
        COALESCE(NULLIF(TRIM(CAST(r.first_name AS VARCHAR)), ''), '') || ' ' || COALESCE(NULLIF(TRIM(CAST(r.last_name AS VARCHAR)), ''), '')
      ),
      ''
    ) AS VARCHAR) AS owner,
    CAST(NULL AS VARCHAR) AS role,
    CAST(NULLIF(TRIM(CAST(r.email AS VARCHAR)), '') AS VARCHAR) AS email,
    CAST(NULL AS VARCHAR) AS team,
    CAST(NULLIF(TRIM(CAST(r.owner_id AS VARCHAR)), '') AS VARCHAR) AS owner_id
  FROM raw_hubspot.owner AS r
) AS owners_rows
WHERE
  NOT owner IS NULL;

CREATE OR REPLACE VIEW analytics.tandem.accounts AS
SELECT
  *
FROM (
  SELECT
    CAST(NULLIF(TRIM(CAST(r.id AS VARCHAR)), '') AS VARCHAR) AS account_id,
    CAST(NULLIF(TRIM(CAST(r.property_name AS VARCHAR)), '') AS VARCHAR) AS account_name,
    CAST(NULL AS VARCHAR) AS segment,
    CAST(NULLIF(TRIM(CAST(r.property_industry AS VARCHAR)), '') AS VARCHAR) AS industry,
    CAST(NULLIF(TRIM(CAST(r.property_country AS VARCHAR)), '') AS VARCHAR) AS region,
    CAST(NULL AS VARCHAR) AS plan,
    CAST(NULL AS VARCHAR) AS csm_owner,
    CAST(COALESCE(
      (
        SELECT
          MAX(o.owner)
        FROM analytics.tandem.owners AS o
        WHERE
          o.owner_id = NULLIF(TRIM(CAST(r.property_hubspot_owner_id AS VARCHAR)), '')
      ),
      NULLIF(TRIM(CAST(r.property_hubspot_owner_id AS VARCHAR)), '')
    ) AS VARCHAR) AS am_owner,
    CAST(CAST(r.property_arr AS DOUBLE) AS DOUBLE) AS arr,
    CAST(NULL AS VARCHAR) AS currency,
    CAST(CASE
      WHEN REGEXP_LIKE(
        NULLIF(TRIM(CAST(r.property_licensed_seats AS VARCHAR)), ''),
        '^[+-]?[0-9]+([.][0-9]+)?$'
      )
      THEN CAST(NULLIF(TRIM(CAST(r.property_licensed_seats AS VARCHAR)), '') AS DOUBLE)
    END AS BIGINT) AS licensed_seats,
    CAST(NULL AS DATE) AS contract_start,
    CAST(CAST(CONVERT_TIMEZONE('UTC', r.property_renewal_date) AS TIMESTAMPNTZ) AS DATE) AS renewal_date,
    CAST(CASE LOWER(NULLIF(TRIM(CAST(r.property_lifecyclestage AS VARCHAR)), ''))
      WHEN 'customer'
      THEN 'active'
      WHEN 'evangelist'
      THEN 'active'
      WHEN 'former customer'
      THEN 'churned'
    END AS VARCHAR) AS status,
    CAST(NULLIF(TRIM(CAST(r.property_domain AS VARCHAR)), '') AS VARCHAR) AS domain
  FROM raw_hubspot.company AS r
  WHERE
    COALESCE(
      NOT LOWER(NULLIF(TRIM(CAST(r.property_lifecyclestage AS VARCHAR)), '')) IN ('lead'),
      TRUE
    )
    AND COALESCE(r._fivetran_deleted, FALSE) = FALSE
) AS accounts_rows
WHERE
  NOT account_id IS NULL AND NOT account_name IS NULL;

CREATE OR REPLACE VIEW analytics.tandem.account_keys AS
SELECT
  CAST(NULL AS VARCHAR) AS key,
  CAST(NULL AS VARCHAR) AS system,
  CAST(NULL AS VARCHAR) AS account_id,
  CAST(NULL AS VARCHAR) AS account_name,
  CAST(NULL AS VARCHAR) AS domain
LIMIT 0;

CREATE OR REPLACE VIEW analytics.tandem.contacts AS
SELECT
  CAST(NULL AS VARCHAR) AS account_id,
  CAST(NULL AS VARCHAR) AS name,
  CAST(NULL AS VARCHAR) AS email,
  CAST(NULL AS VARCHAR) AS title,
  CAST(NULL AS VARCHAR) AS role,
  CAST(NULL AS DATE) AS left_on,
  CAST(NULL AS VARCHAR) AS contact_id
LIMIT 0;

CREATE OR REPLACE VIEW analytics.tandem.subscriptions AS
SELECT
  CAST(NULL AS VARCHAR) AS subscription_id,
  CAST(NULL AS VARCHAR) AS account_id,
  CAST(NULL AS VARCHAR) AS product,
  CAST(NULL AS DOUBLE) AS arr,
  CAST(NULL AS BIGINT) AS seats,
  CAST(NULL AS DATE) AS start_date,
  CAST(NULL AS DATE) AS end_date,
  CAST(NULL AS VARCHAR) AS status,
  CAST(NULL AS BOOLEAN) AS auto_renew
LIMIT 0;

CREATE OR REPLACE VIEW analytics.tandem.invoices AS
SELECT
  CAST(NULL AS VARCHAR) AS invoice_id,
  CAST(NULL AS VARCHAR) AS account_id,
  CAST(NULL AS DATE) AS issued_on,
  CAST(NULL AS DATE) AS due_on,
  CAST(NULL AS DATE) AS paid_on,
  CAST(NULL AS DOUBLE) AS amount,
  CAST(NULL AS VARCHAR) AS status
LIMIT 0;

CREATE OR REPLACE VIEW analytics.tandem.usage_events AS
SELECT
  *
FROM (
  SELECT
    CAST(NULLIF(TRIM(CAST(r.context_group_id AS VARCHAR)), '') AS VARCHAR) AS account_id,
    CAST(CAST(CONVERT_TIMEZONE('UTC', r.timestamp) AS TIMESTAMPNTZ) AS TIMESTAMPNTZ) AS occurred_at,
    CAST(NULLIF(TRIM(CAST(r.user_id AS VARCHAR)), '') AS VARCHAR) AS user_id,
    CAST(NULLIF(TRIM(CAST(r.event AS VARCHAR)), '') AS VARCHAR) AS feature,
    CAST(CAST(1 AS BIGINT) AS BIGINT) AS quantity,
    CAST(NULL AS BIGINT) AS active_users
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
  CAST(NULL AS VARCHAR) AS account_id,
  CAST(NULL AS VARCHAR) AS user_id,
  CAST(NULL AS DATE) AS day,
  CAST(NULL AS VARCHAR) AS feature,
  CAST(NULL AS BIGINT) AS events
LIMIT 0;

CREATE OR REPLACE VIEW analytics.tandem.tickets AS
SELECT
  CAST(NULL AS VARCHAR) AS ticket_id,
  CAST(NULL AS VARCHAR) AS account_id,
  CAST(NULL AS TIMESTAMPNTZ) AS created_at,
  CAST(NULL AS TIMESTAMPNTZ) AS resolved_at,
  CAST(NULL AS VARCHAR) AS priority,
  CAST(NULL AS VARCHAR) AS status,
  CAST(NULL AS BIGINT) AS csat,
  CAST(NULL AS VARCHAR) AS category
LIMIT 0;

CREATE OR REPLACE VIEW analytics.tandem.surveys AS
SELECT
  CAST(NULL AS VARCHAR) AS account_id,
  CAST(NULL AS TIMESTAMPNTZ) AS responded_at,
  CAST(NULL AS DOUBLE) AS score,
  CAST(NULL AS VARCHAR) AS kind,
  CAST(NULL AS VARCHAR) AS respondent
LIMIT 0;

CREATE OR REPLACE VIEW analytics.tandem.activities AS
SELECT
  CAST(NULL AS VARCHAR) AS account_id,
  CAST(NULL AS TIMESTAMPNTZ) AS occurred_at,
  CAST(NULL AS VARCHAR) AS kind,
  CAST(NULL AS VARCHAR) AS author,
  CAST(NULL AS VARCHAR) AS role,
  CAST(NULL AS VARCHAR) AS summary
LIMIT 0;

CREATE OR REPLACE VIEW analytics.tandem.outcomes AS
SELECT
  CAST(NULL AS VARCHAR) AS account_id,
  CAST(NULL AS DATE) AS occurred_on,
  CAST(NULL AS VARCHAR) AS event,
  CAST(NULL AS DOUBLE) AS arr_change
LIMIT 0;
