"""The seven health components, each 0-100 (100 = healthy) or null when its source has no data.

Each function takes the component parameters and returns one Polars expression over the
feature columns produced by ``dashboard/store/features.py``.
"""

from __future__ import annotations

import polars as pl

from scoring.scorecard import COMPONENTS, ComponentParams

col = pl.col


def _clip(expr: pl.Expr) -> pl.Expr:
    return expr.clip(0.0, 100.0)


def _ramp(x: pl.Expr, zero_at: float, full_at: float) -> pl.Expr:
    """0 at ``zero_at``, 100 at ``full_at``, linear between, clipped (either direction)."""
    return _clip((x - zero_at) / (full_at - zero_at) * 100.0)


def seat_utilisation() -> pl.Expr:
    """Active users in the last 30 days ÷ licensed seats (null without seats)."""
    seats = col("licensed_seats").cast(pl.Float64)
    return pl.when(seats > 0).then(col("active_users_last_30d") / seats)


def usage_ratio() -> pl.Expr:
    """Active users last 30 days ÷ the 30 days before (events when users are unknown)."""
    users = col("active_users_last_30d") / col("active_users_prior_30d")
    events = col("events_last_30d") / col("events_prior_30d")
    return (
        pl.when(col("active_users_prior_30d") > 0)
        .then(users)
        .when(col("events_prior_30d") > 0)
        .then(events)
    )


def adoption(p: ComponentParams) -> pl.Expr:
    """Seat utilisation ÷ ``adoption_target`` × 100, clipped to 0-100."""
    return pl.when(col("has_usage")).then(_clip(seat_utilisation() / p.adoption_target * 100.0))


def usage_trend(p: ComponentParams) -> pl.Expr:
    """Active-user ratio mapped linearly: ``trend_floor`` → 0, ``trend_full`` → 100.

    New usage after a silent month scores 100; no usage in either month has no trend (null).
    """
    new_usage = (col("active_users_prior_30d") == 0) & (col("events_prior_30d") == 0)
    return (
        pl.when(~col("has_usage"))
        .then(None)
        .when(new_usage & (col("events_last_30d") > 0))
        .then(100.0)
        .otherwise(_ramp(usage_ratio(), p.trend_floor, p.trend_full))
    )


def breadth(p: ComponentParams) -> pl.Expr:
    """Distinct features used in 30 days ÷ features in the catalog ÷ ``breadth_target`` × 100."""
    share = col("features_last_30d") / col("features_in_catalog")
    return pl.when(col("has_usage") & (col("features_in_catalog") > 0)).then(
        _clip(share / p.breadth_target * 100.0)
    )


def support(p: ComponentParams) -> pl.Expr:
    """100 − penalty × open high/urgent tickets − penalty × tickets per 10 seats over the
    allowance; blended with recent CSAT ((csat − 1) ÷ 4 × 100) at ``support_csat_weight``."""
    per_10_seats = col("tickets_last_90d") / col("licensed_seats").clip(1) * 10.0
    load = _clip(
        100.0
        - p.support_open_high_penalty * col("tickets_open_high")
        - p.support_excess_penalty * (per_10_seats - p.support_ticket_allowance).clip(0.0)
    )
    csat = (col("csat_last_90d") - 1.0) / 4.0 * 100.0
    blended = (1 - p.support_csat_weight) * load + p.support_csat_weight * csat
    return pl.when(col("has_tickets")).then(pl.when(csat.is_null()).then(load).otherwise(blended))


def sentiment(p: ComponentParams) -> pl.Expr:
    """Mean of the latest NPS × 10 and survey CSAT ((csat − 1) ÷ 4 × 100) in 180 days."""
    nps = col("nps_latest") * 10.0
    csat = (col("survey_csat_180d") - 1.0) / 4.0 * 100.0
    return _clip(pl.mean_horizontal(nps, csat))


def engagement(p: ComponentParams) -> pl.Expr:
    """Days since the last call, meeting or QBR: 100 up to ``engagement_full_days``, 0 from
    ``engagement_zero_days``, linear between; no touch on record scores 0."""
    days = col("days_since_last_touch").cast(pl.Float64)
    score = _ramp(days, p.engagement_zero_days, p.engagement_full_days)
    return pl.when(col("has_activities")).then(score.fill_null(0.0))


def billing(p: ComponentParams) -> pl.Expr:
    """100 − penalty × overdue invoices − penalty × days past due of the oldest one."""
    return pl.when(col("has_invoices")).then(
        _clip(
            100.0
            - p.billing_overdue_penalty * col("invoices_overdue")
            - p.billing_day_penalty * col("max_days_past_due")
        )
    )


COMPONENT_EXPRESSIONS = {
    "adoption": adoption,
    "usage_trend": usage_trend,
    "breadth": breadth,
    "support": support,
    "sentiment": sentiment,
    "engagement": engagement,
    "billing": billing,
}
assert tuple(COMPONENT_EXPRESSIONS) == COMPONENTS


def component_inputs(p: ComponentParams) -> list[str]:
    """The feature columns the components read (what a health score needs, nothing else)."""
    names = {n for fn in COMPONENT_EXPRESSIONS.values() for n in fn(p).meta.root_names()}
    return sorted(names)


def components(features: pl.LazyFrame, p: ComponentParams) -> pl.LazyFrame:
    """Add the seven component columns (Float64, 0-100 or null) to the features."""
    return features.with_columns(
        [fn(p).cast(pl.Float64).alias(name) for name, fn in COMPONENT_EXPRESSIONS.items()]
    )
