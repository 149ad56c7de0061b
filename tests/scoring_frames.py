"""Hand-made feature rows for scoring tests: one dict per account, defaults for the rest."""

from __future__ import annotations

import datetime as dt

import polars as pl

DEFAULTS: dict[str, object] = {
    "account_name": "Acme",
    "segment": "SMB",
    "region": "EMEA",
    "plan": "Starter",
    "csm_owner": "Cam",
    "am_owner": "Ama",
    "arr": 10_000.0,
    "licensed_seats": 10,
    "days_to_renewal": 200,
    "has_usage": True,
    "has_tickets": True,
    "has_surveys": True,
    "has_invoices": True,
    "has_activities": True,
    "active_users_last_30d": 8,
    "active_users_prior_30d": 8,
    "events_last_30d": 100,
    "events_prior_30d": 100,
    "features_last_30d": 6,
    "features_in_catalog": 10,
    "tickets_last_90d": 0,
    "tickets_prior_90d": 0,
    "tickets_open_high": 0,
    "csat_last_90d": None,
    "nps_latest": 9.0,
    "nps_recent": 9.0,
    "survey_csat_180d": None,
    "invoices_overdue": 0,
    "amount_overdue": 0.0,
    "max_days_past_due": 0,
    "invoices_due_180d": 2,
    "invoices_late_180d": 0,
    "mean_days_late_180d": 0.0,
    "days_since_last_touch": 7,
    "outcomes_last_90d": 0,
}
SCHEMA = {
    "csat_last_90d": pl.Float64,
    "nps_latest": pl.Float64,
    "nps_recent": pl.Float64,
    "mean_days_late_180d": pl.Float64,
    "survey_csat_180d": pl.Float64,
    "arr": pl.Float64,
    "amount_overdue": pl.Float64,
}


def features(*rows: dict) -> pl.DataFrame:
    """A features frame with ``account_id`` a0, a1, … and the given overrides."""
    full = [{"account_id": f"a{i}", **DEFAULTS, **row} for i, row in enumerate(rows)]
    frame = pl.DataFrame(full, schema_overrides=SCHEMA, infer_schema_length=None)
    return frame.with_columns(as_of=pl.lit(dt.date(2026, 1, 1)))
