"""Renewal risk, expansion readiness and coverage class: the commercial reads of an account."""

from __future__ import annotations

import polars as pl

from scoring.glossary import (  # noqa: F401  (re-exported: the names this module always had)
    AT_RISK_REASON,
    RENEWAL_WINDOW_DAYS,
    RENEWAL_WINDOWS,
    RISK_TERMS,
    health_falling,
    renewal_window,
    renewing_within,
    risk_before_deadline,
    seat_utilisation,
    usage_ratio,
)
from scoring.scorecard import ExpansionTriggers, Scorecard

col = pl.col

TRIGGER_LABELS = {
    "trigger_seats": "seat utilisation ≥ {:.0%}",
    "trigger_growth": "usage growing",
    "trigger_green": "green health",
    "trigger_outcome": "business outcome logged",
    "trigger_breadth": "{} + features in use",
}


def expansion_triggers(t: ExpansionTriggers) -> list[pl.Expr]:
    """One boolean column per configurable trigger."""
    return [
        (seat_utilisation() >= t.seat_utilisation).fill_null(False).alias("trigger_seats"),
        (usage_ratio() >= t.usage_growth).fill_null(False).alias("trigger_growth"),
        (pl.lit(t.green_health) & (col("band") == "green")).alias("trigger_green"),
        (pl.lit(t.logged_outcome) & (col("outcomes_last_90d") > 0)).alias("trigger_outcome"),
        (col("features_last_30d") >= t.features_used).alias("trigger_breadth"),
    ]


def is_ready(fired: pl.Expr, t: ExpansionTriggers) -> pl.Expr:
    """Expansion-ready: at least ``min_triggers`` of the triggers fired."""
    return fired >= t.min_triggers


# Plan names in ascending tier, as vendors name them: the potential model's "next plan up" is
# the next tier that this portfolio's accounts are on. A plan not named here has no upgrade.
PLAN_TIERS = {
    "free": 0,
    "starter": 1,
    "basic": 1,
    "essentials": 1,
    "lite": 1,
    "team": 2,
    "standard": 2,
    "growth": 2,
    "plus": 2,
    "pro": 3,
    "professional": 3,
    "business": 3,
    "premium": 4,
    "enterprise": 5,
}
MAX_GROWTH = 2.0  # the projected users are at most twice today's


def plan_tier() -> pl.Expr:
    """The account's plan as a tier number (``PLAN_TIERS``; null for a plan not named there)."""
    return (
        col("plan")
        .str.strip_chars()
        .str.to_lowercase()
        .replace_strict(PLAN_TIERS, default=None, return_dtype=pl.Int32)
    )


def with_next_plan(scored: pl.LazyFrame) -> pl.LazyFrame:
    """Add the next plan up in this portfolio (``upgrade_to``, its most common name) and its
    price per seat (``upgrade_price``: the median ARR per seat of the accounts on it)."""
    seats = col("licensed_seats").cast(pl.Float64)
    priced = scored.with_columns(
        _tier=plan_tier(), _price=pl.when(seats > 0).then(col("arr") / seats)
    )
    ladder = (
        priced.filter(col("_tier").is_not_null())
        .group_by("_tier")
        .agg(upgrade_price=col("_price").median(), upgrade_to=col("plan").mode().sort().first())
        .sort("_tier")
        .with_columns(col("upgrade_price", "upgrade_to").shift(-1))
    )
    return priced.join(ladder, on="_tier", how="left", maintain_order="left").drop(
        "_tier", "_price"
    )


def seats_to_add(t: ExpansionTriggers) -> pl.Expr:
    """The seats the account needs for its users to run at ``target_utilisation`` after
    ``growth_months`` more months of its own user growth (the 30-day active-user ratio,
    never below 1, at most doubling), less the seats it has; never below 0."""
    growth = (
        usage_ratio().fill_null(1.0).clip(1.0, None).pow(t.growth_months).clip(None, MAX_GROWTH)
    )
    projected = col("active_users_last_30d").cast(pl.Float64) * growth
    needed = (projected / t.target_utilisation).ceil()
    return (needed - col("licensed_seats")).clip(0, None).fill_null(0).cast(pl.Int64)


def expansion(t: ExpansionTriggers) -> list[pl.Expr]:
    """Readiness (share of the enabled triggers that fired, 0-100), whether it is ready
    (at least ``min_triggers`` fired), the triggers that fired, the window and a potential.

    Potential ARR of a ready account (0 for the others) =
      seats to add (``seats_to_add``) × its own price per seat
      + where it uses the product broadly (the breadth trigger) and a plan up exists in this
        portfolio: its seats × (the next plan's median price per seat − its own), when higher.
    It is $0 only where neither grows: users well inside the licence and no plan up.
    """
    enabled = 3 + int(t.green_health) + int(t.logged_outcome)
    names = list(TRIGGER_LABELS)
    labels = [
        TRIGGER_LABELS["trigger_seats"].format(t.seat_utilisation),
        TRIGGER_LABELS["trigger_growth"],
        TRIGGER_LABELS["trigger_green"],
        TRIGGER_LABELS["trigger_outcome"],
        TRIGGER_LABELS["trigger_breadth"].format(t.features_used),
    ]
    fired = pl.sum_horizontal([col(n).cast(pl.Int32) for n in names])
    seats = col("licensed_seats").cast(pl.Float64)
    price = pl.when(seats > 0).then(col("arr") / seats)
    upgrade = (
        pl.when(col("trigger_breadth") & (col("upgrade_price") > price))
        .then(seats * (col("upgrade_price") - price))
        .otherwise(0.0)
    )
    ready = is_ready(fired, t)
    return [
        fired.alias("triggers_fired_count"),
        (fired / enabled * 100.0).clip(0, 100).alias("expansion_readiness"),
        ready.alias("expansion_ready"),
        pl.concat_str(
            [pl.when(col(n)).then(pl.lit(label)) for n, label in zip(names, labels, strict=True)],
            separator=", ",
            ignore_nulls=True,
        ).alias("triggers_fired"),
        pl.when(col("days_to_renewal") <= t.renewal_window_days)
        .then(pl.lit("at renewal"))
        .otherwise(pl.lit("now"))
        .alias("expansion_window"),
        pl.when(ready).then(seats_to_add(t)).otherwise(0).alias("seats_to_add"),
        pl.when(ready & (upgrade > 0)).then(col("upgrade_to")).alias("upgrade_to"),
        pl.when(ready)
        .then((seats_to_add(t) * price.fill_null(0.0) + upgrade.fill_null(0.0)).round(0))
        .otherwise(0.0)
        .fill_null(0.0)
        .alias("expansion_potential"),
    ]


def coverage_class() -> pl.Expr:
    """pair (a CSM and a different AM), combined (one person in both roles), csm_only, none."""
    csm, am = col("csm_owner"), col("am_owner")
    return (
        pl.when(csm.is_not_null() & am.is_not_null() & (csm != am))
        .then(pl.lit("pair"))
        .when(csm.is_not_null() & (csm == am))
        .then(pl.lit("combined"))
        .when(csm.is_not_null())
        .then(pl.lit("csm_only"))
        .when(am.is_not_null())
        .then(pl.lit("am_only"))
        .otherwise(pl.lit("none"))
    )


def commercial_signals(scored: pl.LazyFrame, scorecard: Scorecard) -> pl.LazyFrame:
    """Add renewal window and risk, expansion readiness and coverage class."""
    return (
        scored.with_columns(
            renewal_window=renewal_window(),
            health_falling=health_falling(scorecard.params.falling_drop),
            risk_before_deadline=risk_before_deadline(scorecard.params.falling_drop),
            coverage_class=coverage_class(),
            seat_utilisation=seat_utilisation(),
            usage_ratio=usage_ratio(),
        )
        .with_columns(expansion_triggers(scorecard.expansion))
        .pipe(with_next_plan)
        .with_columns(expansion(scorecard.expansion))
        .drop("upgrade_price")
    )
