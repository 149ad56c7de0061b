"""The seven health components, each 0-100 (100 = healthy) or null when its source has no data.

Each function takes the component parameters and returns one Polars expression over the
feature columns produced by ``dashboard/store/features.py``.
"""

from __future__ import annotations

import polars as pl

from scoring.glossary import seat_utilisation, usage_ratio
from scoring.scorecard import COMPONENTS, ComponentParams

col = pl.col


def _clip(expr: pl.Expr) -> pl.Expr:
    return expr.clip(0.0, 100.0)


def _ramp(x: pl.Expr, zero_at: float, full_at: float) -> pl.Expr:
    """0 at ``zero_at``, 100 at ``full_at``, linear between, clipped (either direction)."""
    return _clip((x - zero_at) / (full_at - zero_at) * 100.0)


def portfolio_quantile(x: pl.Expr, q: float) -> pl.Expr:
    """The ``q`` quantile of ``x`` over the accounts of the same snapshot date (``as_of``):
    the portfolio's own distribution that day, so a backtest scales each past date by the
    portfolio as it was then. Components are therefore computed on a whole portfolio, never
    on a filtered part of it (the lab filters after computing them)."""
    return x.quantile(q, "linear").over("as_of")


def _target(x: pl.Expr, fixed: float, p: ComponentParams) -> pl.Expr:
    """The input value scoring 100: the portfolio's ``scale_quantile`` (``scale =
    "portfolio"``, never below a tenth of ``fixed``, so a portfolio that barely uses the
    product is not rescaled into a healthy one), or the fixed target (``scale = "fixed"``)."""
    if p.scale == "fixed":
        return pl.lit(fixed)
    return pl.max_horizontal(portfolio_quantile(x, p.scale_quantile), pl.lit(fixed / 10))


def adoption(p: ComponentParams) -> pl.Expr:
    """Seat utilisation ÷ its target × 100, clipped to 0-100. The target is the portfolio's
    95th percentile of utilisation that day (a fixed 80 % of seats made three accounts in four
    score 100 on real exports and flattened the signal), or ``adoption_target`` when the
    scorecard's ``scale`` is ``"fixed"``."""
    util = seat_utilisation()
    return pl.when(col("has_usage")).then(_clip(util / _target(util, p.adoption_target, p) * 100.0))


def usage_trend(p: ComponentParams) -> pl.Expr:
    """Active-user ratio (last 30 days ÷ the 30 before) mapped linearly between a floor
    (scores 0) and a full mark (scores 100): ``trend_floor`` and ``trend_full``, where the
    portfolio spans less (``scale = "portfolio"``) its own 5th and 95th percentiles that day.
    Growth of ``trend_full`` or more always scores 100: a growing account never loses health
    to its trend because others grew faster.

    New usage after a silent month scores 100; no usage in either month has no trend (null).
    """
    new_usage = (col("active_users_prior_30d") == 0) & (col("events_prior_30d") == 0)
    ratio = usage_ratio()
    if p.scale == "fixed":
        floor, full = pl.lit(p.trend_floor), pl.lit(p.trend_full)
    else:
        floor = pl.min_horizontal(
            portfolio_quantile(ratio, 1 - p.scale_quantile), pl.lit(p.trend_floor)
        )
        full = pl.max_horizontal(
            pl.min_horizontal(portfolio_quantile(ratio, p.scale_quantile), pl.lit(p.trend_full)),
            floor + 0.05,
        )
    return (
        pl.when(~col("has_usage"))
        .then(None)
        .when(new_usage & (col("events_last_30d") > 0))
        .then(100.0)
        .otherwise(_clip((ratio - floor) / (full - floor) * 100.0))
    )


def breadth(p: ComponentParams) -> pl.Expr:
    """Share of the feature catalog used in 30 days ÷ its target × 100, clipped: the target is
    the portfolio's 95th percentile of that share, or ``breadth_target`` when ``scale`` is
    ``"fixed"`` (60 % of the catalog made most accounts score 100 on real exports)."""
    share = pl.when(col("features_in_catalog") > 0).then(
        col("features_last_30d") / col("features_in_catalog")
    )
    return pl.when(col("has_usage") & (col("features_in_catalog") > 0)).then(
        _clip(share / _target(share, p.breadth_target, p) * 100.0)
    )


def ticket_growth() -> pl.Expr:
    """Doublings of the ticket count against the 90 days before: log2((last + 1) ÷ (prior +
    1)), 0 when tickets fell or held."""
    return ((col("tickets_last_90d") + 1.0) / (col("tickets_prior_90d") + 1.0)).log(2).clip(0.0)


def ticket_load(p: ComponentParams) -> pl.Expr:
    """Tickets in 90 days in the unit the allowance is set in: per 10 licensed seats; for an
    account without licensed seats (none in the CRM, or 0), the stated fallback — its tickets
    per account against the portfolio's distribution that day: tickets ÷ the portfolio's
    median tickets per account (over the accounts with ticket data, at least 1) ×
    ``support_ticket_allowance``. The median account then sits at the allowance, one with
    three times the median is two allowances over. So a missing denominator scores support
    on what is known instead of leaving it with no data."""
    tickets = col("tickets_last_90d").cast(pl.Float64)
    seats = col("licensed_seats").cast(pl.Float64)
    typical = tickets.filter(col("has_tickets")).median().over("as_of")
    per_account = tickets / pl.max_horizontal(typical, pl.lit(1.0)) * p.support_ticket_allowance
    return pl.when(seats > 0).then(tickets / seats * 10.0).otherwise(per_account)


def support(p: ComponentParams) -> pl.Expr:
    """The level and the trend of support: 100 − penalty × open high/urgent tickets − penalty
    × tickets per 10 seats over the allowance − ``support_growth_penalty`` × doublings of the
    ticket count against the 90 days before; blended with recent CSAT ((csat − 1) ÷ 4 × 100)
    at ``support_csat_weight``. Without licensed seats the tickets are counted per account
    against the portfolio's median (``ticket_load``), never "no data"."""
    per_10_seats = ticket_load(p)
    load = _clip(
        100.0
        - p.support_open_high_penalty * col("tickets_open_high")
        - p.support_excess_penalty * (per_10_seats - p.support_ticket_allowance).clip(0.0)
        - p.support_growth_penalty * ticket_growth()
    )
    csat = (col("csat_last_90d") - 1.0) / 4.0 * 100.0
    blended = (1 - p.support_csat_weight) * load + p.support_csat_weight * csat
    return pl.when(col("has_tickets")).then(pl.when(csat.is_null()).then(load).otherwise(blended))


def sentiment(p: ComponentParams) -> pl.Expr:
    """Mean of NPS × 10 and survey CSAT ((csat − 1) ÷ 4 × 100) in 180 days. The NPS is the
    recency-weighted mean of the answers (each weighs half as much every 90 days of age, the
    feature ``nps_recent``): one latest answer is noisier than the recent ones together."""
    nps = col("nps_recent") * 10.0
    csat = (col("survey_csat_180d") - 1.0) / 4.0 * 100.0
    return _clip(pl.mean_horizontal(nps, csat))


def engagement(p: ComponentParams) -> pl.Expr:
    """Days since the last call, meeting or QBR: 100 up to ``engagement_full_days``, 0 from
    ``engagement_zero_days``, linear between; no touch on record scores 0."""
    days = col("days_since_last_touch").cast(pl.Float64)
    score = _ramp(days, p.engagement_zero_days, p.engagement_full_days)
    return pl.when(col("has_activities")).then(score.fill_null(0.0))


def late_share() -> pl.Expr:
    """Share of the invoices due in the last 180 days that were paid late or are unpaid past
    due (0 without such invoices)."""
    due = col("invoices_due_180d")
    return pl.when(due > 0).then(col("invoices_late_180d") / due).otherwise(0.0)


def billing(p: ComponentParams) -> pl.Expr:
    """Payment behaviour over 180 days, not only today: 100 − ``billing_late_share_penalty``
    × the share of invoices due in the window paid late − ``billing_overdue_penalty`` ×
    invoices overdue now − ``billing_day_penalty`` × mean days late of the window's
    invoices (unpaid ones count their days past due so far)."""
    return pl.when(col("has_invoices")).then(
        _clip(
            100.0
            - p.billing_late_share_penalty * late_share()
            - p.billing_overdue_penalty * col("invoices_overdue")
            - p.billing_day_penalty * col("mean_days_late_180d")
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
