"""Read queries for the weekly sync of a CSM+AM pair (or one combined owner): the pairs, their
shared accounts, and what changed on them since a date."""

from __future__ import annotations

import datetime as dt

import polars as pl

from dashboard.store.ddl import COMPONENTS
from dashboard.store.sources import SourceStore
from dashboard.text import money_symbol

SEPARATOR = " + "


def pair_key(csm: str, am: str) -> str:
    """The URL and note key of a pair: "CSM + AM", or the name alone for a combined owner."""
    return csm if csm == am else f"{csm}{SEPARATOR}{am}"


def split_pair(key: str) -> tuple[str, str]:
    csm, _, am = key.partition(SEPARATOR)
    return csm, am or csm


def pairs(store: SourceStore, scope: list[str] | None = None) -> pl.DataFrame:
    """Every CSM+AM pair and combined owner with their shared accounts and ARR: pairs first,
    then combined owners, most ARR first. With ``scope`` (a viewer's name), only the pairs
    that person is part of."""
    return store.query(
        "SELECT csm_owner AS csm, am_owner AS am, coverage_class AS model,"
        " count(*) AS accounts, sum(arr) AS arr FROM account_scores"
        " WHERE coverage_class IN ('pair', 'combined')"
        " AND ($scope IS NULL OR csm_owner IN (SELECT unnest($scope::VARCHAR[]))"
        "      OR am_owner IN (SELECT unnest($scope::VARCHAR[])))"
        " GROUP BY csm_owner, am_owner, coverage_class"
        " ORDER BY coverage_class = 'combined', arr DESC",
        {"scope": scope},
    ).with_columns(
        key=pl.when(pl.col("csm") == pl.col("am"))
        .then(pl.col("csm"))
        .otherwise(pl.concat_str([pl.col("csm"), pl.lit(SEPARATOR), pl.col("am")]))
    )


def pair_accounts(store: SourceStore, csm: str, am: str) -> pl.DataFrame:
    """The scored accounts the pair shares (the CSM is ``csm`` and the AM is ``am``)."""
    return store.query(
        "SELECT * FROM account_scores WHERE csm_owner = ? AND am_owner = ?"
        " ORDER BY health ASC NULLS FIRST, arr DESC",
        [csm, am],
    )


def changes_since(
    store: SourceStore, account_ids: list[str], since: dt.date, red: float
) -> pl.DataFrame:
    """What changed on these accounts since ``since``, one row per change (account_id,
    change, detail, on): band changes and new drivers (a component that fell below the red
    threshold) against the snapshot on or before ``since``, new tickets, invoices that fell
    overdue, outcomes logged."""
    ids = list(account_ids)
    now_map = ", ".join(f"'{c}': n.{c}" for c in COMPONENTS)
    before_map = ", ".join(f"'{c}': b.{c}" for c in COMPONENTS)
    return store.query(
        f"""
        WITH ids AS (SELECT unnest($ids::VARCHAR[]) AS account_id),
        as_of AS (SELECT max(as_of) AS d FROM account_scores),
        before AS (
            SELECT s.* FROM score_snapshots s JOIN ids USING (account_id)
            WHERE s.as_of = (SELECT max(as_of) FROM score_snapshots WHERE as_of <= $since::DATE)
        ),
        now AS (SELECT a.* FROM account_scores a JOIN ids USING (account_id)),
        band_changes AS (
            SELECT n.account_id, 'band change' AS change,
                b.band || ' → ' || n.band || ' (health ' || round(b.health)::INTEGER || ' → '
                    || round(n.health)::INTEGER || ')' AS detail,
                (SELECT d FROM as_of) AS on_date
            FROM now n JOIN before b USING (account_id)
            WHERE n.band IS DISTINCT FROM b.band
        ),
        component_pairs AS (
            SELECT n.account_id, unnest(map_entries(MAP {{{now_map}}})) AS now_c,
                unnest(map_entries(MAP {{{before_map}}})) AS before_c
            FROM now n JOIN before b USING (account_id)
        ),
        new_drivers AS (
            SELECT account_id, 'new driver' AS change,
                replace(now_c.key, '_', ' ') || ' fell to ' || round(now_c.value)::INTEGER
                    || ' (was ' || round(before_c.value)::INTEGER || ')' AS detail,
                (SELECT d FROM as_of) AS on_date
            FROM component_pairs
            WHERE now_c.value < $red AND before_c.value >= $red
        ),
        new_tickets AS (
            SELECT t.account_id, 'new ticket' AS change,
                coalesce(t.priority, 'normal') || ' priority' || coalesce(': ' || t.category, '')
                    || CASE WHEN t.resolved_at IS NULL THEN ' (open)' ELSE '' END AS detail,
                t.created_at::DATE AS on_date
            FROM tickets t JOIN ids USING (account_id)
            WHERE t.created_at >= $since::DATE AND t.created_at < (SELECT d FROM as_of)
        ),
        overdue AS (
            SELECT i.account_id, 'invoice overdue' AS change,
                'invoice ' || i.invoice_id || ' of ' || $sign || format('{{:,.0f}}', i.amount)
                    || ' due ' || i.due_on AS detail,
                i.due_on AS on_date
            FROM invoices i JOIN ids USING (account_id)
            WHERE i.due_on >= $since::DATE AND i.due_on < (SELECT d FROM as_of)
              AND (i.paid_on IS NULL OR i.paid_on >= (SELECT d FROM as_of))
        ),
        outcomes AS (
            SELECT a.account_id, 'outcome logged' AS change, a.summary AS detail,
                a.occurred_at::DATE AS on_date
            FROM activities a JOIN ids USING (account_id)
            WHERE a.kind = 'outcome' AND a.occurred_at >= $since::DATE
              AND a.occurred_at < (SELECT d FROM as_of)
        )
        SELECT * FROM band_changes UNION ALL SELECT * FROM new_drivers
        UNION ALL SELECT * FROM new_tickets UNION ALL SELECT * FROM overdue
        UNION ALL SELECT * FROM outcomes
        ORDER BY account_id, on_date, change
        """,
        {"ids": ids, "since": since, "red": red, "sign": money_symbol()},  # the data's currency
    )
