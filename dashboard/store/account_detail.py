"""Read queries for one account's full view. Every function takes the account id as a bound
parameter and returns a Polars frame (empty when the account has no such rows)."""

from __future__ import annotations

import datetime as dt

import polars as pl

from dashboard.store.features import account_churns
from dashboard.store.filters import AccountFilter
from dashboard.store.sources import SourceStore
from dashboard.text import mask_pii


def find_accounts(
    store: SourceStore, f: AccountFilter, text: str = "", limit: int = 50
) -> pl.DataFrame:
    """Accounts in the filter whose id or name contains ``text`` (as typed: ``%`` and ``_``
    are characters, not wildcards): an exact id or name first,
    then names that start with it, then the weakest health."""
    where, params = f.where("a")
    typed = text.strip().lower()
    return store.query(
        f"""
        SELECT a.account_id, a.account_name, s.health, s.band
        FROM accounts a LEFT JOIN account_scores s USING (account_id)
        WHERE {where} AND (contains(lower(a.account_id), ?) OR contains(lower(a.account_name), ?))
        ORDER BY (lower(a.account_id) = ? OR lower(a.account_name) = ?) DESC,
            starts_with(lower(a.account_name), ?) DESC,
            s.health ASC NULLS LAST, a.account_id
        LIMIT {int(limit)}
        """,
        [*params, typed, typed, typed, typed, typed],  # text as typed: % and _ are letters
    )


def account_names(store: SourceStore, f: AccountFilter, limit: int) -> dict[str, str]:
    """The first ``limit`` accounts of ``find_accounts`` (the weakest first), id → name."""
    frame = find_accounts(store, f, "", limit)
    return dict(zip(frame["account_id"], frame["account_name"], strict=True))


def account_profile(store: SourceStore, account_id: str) -> dict | None:
    """The CRM row joined with the account's current scores (scores are null when it is not
    live, for example churned). ``renewal_date`` is the renewal the scores count with (the
    CRM's while it is ahead, else the next anniversary of the contract start);
    ``crm_renewal_date`` is the CRM's own; ``churned`` and ``churned_on`` are the
    glossary's (``account_churns``)."""
    frame = store.query(
        """
        SELECT a.* EXCLUDE (renewal_date),
            coalesce(s.renewal_date, a.renewal_date) AS renewal_date,
            a.renewal_date AS crm_renewal_date,
            s.* EXCLUDE (account_id, account_name, segment, industry, region, plan,
                         csm_owner, am_owner, arr, licensed_seats, contract_start,
                         renewal_date)
        FROM accounts a LEFT JOIN account_scores s USING (account_id)
        WHERE a.account_id = ?
        """,
        [account_id],
    )
    if not frame.height:
        return None
    churn = account_churns(store).filter(pl.col("account_id") == account_id)
    return {**frame.row(0, named=True), **churn.row(0, named=True)}


def account_drivers(store: SourceStore, account_id: str) -> pl.DataFrame:
    return store.query(
        "SELECT * FROM account_drivers WHERE account_id = ? ORDER BY rank", [account_id]
    )


def health_history(store: SourceStore, account_id: str) -> pl.DataFrame:
    return store.query(
        "SELECT as_of, health, band, coverage FROM score_snapshots WHERE account_id = ?"
        " ORDER BY as_of",
        [account_id],
    )


def weekly_usage(
    store: SourceStore, account_id: str, today: dt.date, weeks: int = 26
) -> pl.DataFrame:
    """Active users and events per week (weeks start on Monday) for the ``weeks`` weeks up
    to ``today``'s week: a week without events is a row of zeros, and the current week, not
    over yet, is marked ``partial``. Active users count as the features do: distinct user
    ids, else the most users a daily row reports; they are empty (not zero) when the
    account's usage never names its users. Usage is the raw events and the ``usage_daily``
    roll-up, read as the features read them."""
    return store.query(
        """
        WITH week_spine AS (
            SELECT unnest(generate_series(
                date_trunc('week', $today::DATE) - to_weeks($weeks - 1),
                date_trunc('week', $today::DATE), INTERVAL 1 WEEK))::DATE AS week
        ),
        account_usage AS (
            -- the raw events, and the daily roll-up's days they do not cover (as the
            -- features read usage: a day both hold counts its raw events)
            SELECT occurred_at, user_id, quantity, active_users
            FROM usage_events WHERE account_id = $account_id
            UNION ALL
            SELECT day::TIMESTAMP, user_id, events, NULL::BIGINT
            FROM usage_daily
            WHERE account_id = $account_id AND day NOT IN (
                SELECT occurred_at::DATE FROM usage_events WHERE account_id = $account_id)
        ),
        names_its_users AS (
            SELECT coalesce(bool_or(user_id IS NOT NULL OR active_users IS NOT NULL), false)
                AS knows_users
            FROM account_usage
        ),
        weekly_events AS (
            SELECT date_trunc('week', occurred_at)::DATE AS week,
                coalesce(nullif(count(DISTINCT user_id), 0), max(active_users)) AS active_users,
                sum(quantity)::BIGINT AS events
            FROM account_usage
            WHERE occurred_at >= date_trunc('week', $today::DATE) - to_weeks($weeks - 1)
              AND occurred_at < $today::DATE + 1
            GROUP BY 1
        )
        SELECT week_spine.week,
            CASE WHEN names_its_users.knows_users
                THEN coalesce(weekly_events.active_users, 0) END::BIGINT AS active_users,
            coalesce(weekly_events.events, 0)::BIGINT AS events,
            week_spine.week + 6 >= $today::DATE AS partial
        FROM week_spine CROSS JOIN names_its_users
        LEFT JOIN weekly_events USING (week)
        ORDER BY week_spine.week
        """,
        {"account_id": account_id, "today": today, "weeks": weeks},
    )


def account_rows(
    store: SourceStore, table: str, account_id: str, unmask: bool = False
) -> pl.DataFrame:
    """An account's rows in one source table, newest first (e-mails and phone numbers in
    free text masked unless ``unmask``)."""
    order = {
        "tickets": "created_at DESC",
        "invoices": "issued_on DESC",
        "surveys": "responded_at DESC",
        "activities": "occurred_at DESC",
        "outcomes": "occurred_on DESC",
        "subscriptions": "start_date DESC",
    }
    if table not in order:
        raise ValueError(f"unknown table {table!r}")
    rows = store.query(
        f"SELECT * EXCLUDE (account_id) FROM {table} WHERE account_id = ? ORDER BY {order[table]}",
        [account_id],
    )
    return rows if unmask else mask_pii(rows)


def crm_billing_mismatches(store: SourceStore, account_id: str) -> pl.DataFrame:
    """Where the CRM and billing disagree: ARR (vs Σ active subscriptions), seats (vs the
    largest active subscription) and renewal date (vs the latest active end date)."""
    return store.query(
        """
        WITH billing AS (
            SELECT account_id, sum(arr) AS billing_arr, max(seats) AS billing_seats,
                max(end_date) AS billing_end
            FROM subscriptions
            WHERE account_id = ? AND coalesce(status, 'active') NOT IN ('canceled', 'cancelled')
            GROUP BY account_id
        ),
        compared AS (
            SELECT 'ARR' AS field, a.arr::VARCHAR AS crm, b.billing_arr::VARCHAR AS billing,
                a.arr IS DISTINCT FROM b.billing_arr AS differs
            FROM accounts a JOIN billing b USING (account_id)
            UNION ALL
            SELECT 'Seats', a.licensed_seats::VARCHAR, b.billing_seats::VARCHAR,
                a.licensed_seats IS DISTINCT FROM b.billing_seats
            FROM accounts a JOIN billing b USING (account_id)
            UNION ALL
            SELECT 'Renewal date', a.renewal_date::VARCHAR, b.billing_end::VARCHAR,
                a.renewal_date IS DISTINCT FROM b.billing_end
            FROM accounts a JOIN billing b USING (account_id)
        )
        SELECT field, crm, billing FROM compared WHERE differs
        """,
        [account_id],
    )


def account_in_scope(store: SourceStore, f: AccountFilter, account_id: str) -> bool:
    """True when the account exists and ``f``'s scope (the viewer's book) holds it; the
    sidebar's other filters do not apply to one account opened by id."""
    where, params = f.model_copy(
        update={"segment": [], "region": [], "csm": [], "am": [], "plan": []}
    ).where()
    return bool(
        store.scalar(
            f"SELECT count(*) FROM accounts WHERE account_id = ? AND {where}", [account_id, *params]
        )
    )
