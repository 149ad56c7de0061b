"""Read queries for the commercial pages: renewals ahead and expansion candidates. Both apply
the global filter; values are bound parameters."""

from __future__ import annotations

import polars as pl

from dashboard.store.filters import AccountFilter
from dashboard.store.sources import SourceStore

RENEWAL_COLUMNS = [
    "account_id",
    "account_name",
    "segment",
    "region",
    "csm_owner",
    "am_owner",
    "coverage_class",
    "arr",
    "health",
    "band",
    "health_change_30d",
    "health_falling",
    "renewal_date",
    "renewal_basis",
    "days_to_renewal",
    "renewal_window",
    "risk_before_deadline",
    "churn_probability",  # the model's, beside the AM's renewal call
    "seat_utilisation",
    "milestones_reached",
    "outcomes_last_90d",
    "top_cause",
    "csm_next",
    "am_next",
]
EXPANSION_COLUMNS = [
    "account_id",
    "account_name",
    "segment",
    "region",
    "csm_owner",
    "am_owner",
    "coverage_class",
    "arr",
    "health",
    "band",
    "seat_utilisation",
    "usage_ratio",
    "features_last_30d",
    "outcomes_last_90d",
    "expansion_readiness",
    "expansion_ready",
    "triggers_fired",
    "expansion_potential",
    "seats_to_add",
    "upgrade_to",
    "expansion_window",
    "days_to_renewal",
    "renewal_date",
]


def renewals_ahead(store: SourceStore, f: AccountFilter, days: int = 366) -> pl.DataFrame:
    """Scored accounts renewing in the next ``days`` days, soonest first."""
    where, params = f.where()
    return store.query(
        f"SELECT {', '.join(RENEWAL_COLUMNS)} FROM account_scores"
        f" WHERE {where} AND days_to_renewal BETWEEN 0 AND {int(days)}"
        " ORDER BY days_to_renewal, arr DESC",
        params,
    )


def accounts_without_renewal(store: SourceStore, f: AccountFilter) -> int:
    """Scored accounts with no renewal date: none on record and no contract or subscription
    start to estimate one from (never invented from a record's creation or a signup)."""
    where, params = f.where()
    return int(
        store.scalar(
            f"SELECT count(*) FROM account_scores WHERE {where} AND renewal_date IS NULL", params
        )
        or 0
    )


def usage_loaded(store: SourceStore) -> bool:
    """True when some scored account has product usage (expansion readiness rests on it)."""
    return bool(store.scalar("SELECT count(*) FILTER (WHERE has_usage) FROM account_scores"))


def expansion_candidates(store: SourceStore, f: AccountFilter) -> pl.DataFrame:
    """Accounts with at least one expansion trigger, most ready first (potential breaks ties),
    with whether they were already ready in the snapshot about 30 days before."""
    where, params = f.where("s")
    cols = ", ".join(f"s.{c}" for c in EXPANSION_COLUMNS)
    return store.query(
        f"""
        WITH earlier AS (
            SELECT account_id, expansion_ready AS ready_30d_ago FROM score_snapshots
            WHERE as_of = (
                SELECT max(as_of) FROM score_snapshots
                WHERE as_of <= (SELECT max(as_of) FROM account_scores) - INTERVAL 30 DAY
                  AND expansion_ready IS NOT NULL)
        )
        SELECT {cols}, coalesce(e.ready_30d_ago, false) AS ready_30d_ago
        FROM account_scores s LEFT JOIN earlier e USING (account_id)
        WHERE {where} AND s.triggers_fired_count > 0
        ORDER BY s.expansion_readiness DESC, s.expansion_potential DESC, s.account_id
        """,
        params,
    )
