"""The renewal calendar, its forecast and the value validation before each renewal (pure Polars).

Input: the scored accounts renewing ahead (one row per account, with ``renewal_date``,
``days_to_renewal``, ``arr``, ``band``), and for the forecast the band each past renewal had
before it happened, with whether it renewed.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from scoring.glossary import (
    BAND_ORDER,
    BANDS,
    NO_DATA,
    OUTCOME_DAYS,
    RENEWAL_BUCKETS,
    band_or_no_data,
    days,
    renewing_within,
)

col = pl.col

WINDOWS = RENEWAL_BUCKETS  # the calendar's windows: every bucket but overdue and beyond
# Renewal probability per band when the history holds too few renewals to estimate it.
DEFAULT_RENEWAL_PROBABILITY = {"red": 0.60, "yellow": 0.85, "green": 0.95, NO_DATA: 0.85}
MIN_RENEWALS_PER_BAND = 30


def month_starts(as_of: dt.date, months: int = 12) -> list[dt.date]:
    """The first day of this month and of the ``months - 1`` months after it."""
    first = as_of.replace(day=1)
    return [
        dt.date(first.year + (first.month - 1 + i) // 12, (first.month - 1 + i) % 12 + 1, 1)
        for i in range(months)
    ]


def _band(frame: pl.DataFrame) -> pl.Expr:
    return band_or_no_data() if "band" in frame.columns else pl.lit(NO_DATA)


def _by_period(
    renewals: pl.DataFrame, as_of: dt.date, name: str, starts: list[dt.date], every: str
) -> pl.DataFrame:
    """Accounts and ARR renewing per period (``name`` column, truncated by ``every``) and
    band, for the periods starting at ``starts`` (every period and band present)."""
    grid = pl.DataFrame({name: starts}).join(pl.DataFrame({"band": list(BAND_ORDER)}), how="cross")
    counts = (
        renewals.filter(col("renewal_date") >= as_of)
        .with_columns(col("renewal_date").dt.truncate(every).alias(name), band=_band(renewals))
        .group_by(name, "band")
        .agg(accounts=pl.len(), arr=col("arr").fill_null(0).sum())
    )
    return (
        grid.join(counts, on=[name, "band"], how="left")
        .with_columns(col("accounts").fill_null(0).cast(pl.Int64), col("arr").fill_null(0.0))
        .sort(name, "band")
    )


def renewal_calendar(renewals: pl.DataFrame, as_of: dt.date, months: int = 12) -> pl.DataFrame:
    """Accounts and ARR renewing per month and band for ``months`` months from ``as_of``'s
    month (every month and band present, zero when nothing renews)."""
    return _by_period(renewals, as_of, "month", month_starts(as_of, months), "1mo")


def renewal_weeks(renewals: pl.DataFrame, as_of: dt.date, weeks: int = 13) -> pl.DataFrame:
    """Accounts and ARR renewing per week (Monday start) and band inside the next ``weeks``
    weeks (the quarter ahead)."""
    monday = as_of - dt.timedelta(days=as_of.weekday())
    starts = [monday + dt.timedelta(weeks=i) for i in range(weeks)]
    return _by_period(renewals, as_of, "week", starts, "1w")


def window_summary(renewals: pl.DataFrame) -> pl.DataFrame:
    """Accounts and ARR in each renewal window (0-30 … 91-180 days) by band, one row per
    window, with totals."""
    inside = renewals.filter(col("renewal_window").is_in(WINDOWS)).with_columns(
        band=_band(renewals)
    )
    rows = [
        pl.len().alias("accounts"),
        col("arr").fill_null(0).sum().alias("arr"),
        *[col("arr").filter(col("band") == b).fill_null(0).sum().alias(f"arr_{b}") for b in BANDS],
        *[(col("band") == b).sum().alias(f"accounts_{b}") for b in BANDS],
    ]
    summary = inside.group_by("renewal_window").agg(rows)
    grid = pl.DataFrame({"renewal_window": list(WINDOWS)})
    return (
        grid.join(summary, on="renewal_window", how="left")
        .with_columns(pl.exclude("renewal_window").fill_null(0))
        .rename({"renewal_window": "window"})
    )


def renewal_probabilities(
    history: pl.DataFrame,
    minimum: int = MIN_RENEWALS_PER_BAND,
    defaults: dict[str, float] | None = None,
) -> pl.DataFrame:
    """The probability that an account renews, per band.

    ``history`` has one row per past renewal (``band`` it had before, ``renewed`` bool). A band
    with at least ``minimum`` renewals gets its observed rate (``source`` = "history"); the
    others get the stated default (``source`` = "default"). ``renewals`` says what each rests on.
    """
    base = defaults or DEFAULT_RENEWAL_PROBABILITY
    observed = (
        history.with_columns(band=_band(history))
        .group_by("band")
        .agg(renewals=pl.len(), renewed=col("renewed").sum(), rate=col("renewed").mean())
    )
    grid = pl.DataFrame(
        {"band": list(base), "default": list(base.values())},
        schema={"band": pl.String, "default": pl.Float64},
    )
    return (
        grid.join(observed, on="band", how="left")
        .with_columns(col("renewals").fill_null(0), col("renewed").fill_null(0))
        .with_columns(
            from_history=col("renewals") >= minimum,
        )
        .with_columns(
            probability=pl.when(col("from_history")).then(col("rate")).otherwise(col("default")),
            source=pl.when(col("from_history"))
            .then(pl.lit("history"))
            .otherwise(pl.lit("default")),
        )
        .select("band", "probability", "source", "renewals", "renewed")
    )


def renewal_forecast(calendar: pl.DataFrame, probabilities: pl.DataFrame) -> pl.DataFrame:
    """Per month: ARR up for renewal and expected renewal ARR (Σ ARR × P(renew | band))."""
    return (
        calendar.join(probabilities.select("band", "probability"), on="band", how="left")
        .group_by("month")
        .agg(
            arr_up=col("arr").sum(),
            expected_arr=(col("arr") * col("probability").fill_null(1.0)).sum(),
            accounts=col("accounts").sum(),
        )
        .sort("month")
    )


VALIDATION_CHECKS = {
    "check_health_trend": "health steady or rising over 30 days",
    "check_adoption": "seat utilisation at 60 % or more",
    "check_success_plan": "a success-plan milestone reached",
    "check_outcomes": f"a business outcome logged in {days(OUTCOME_DAYS)}",
}


def value_validation(renewals: pl.DataFrame, min_utilisation: float = 0.6) -> pl.DataFrame:
    """The CSM's value validation for each renewal inside the renewal window: four checks (health
    trend, adoption, success-plan progress, logged outcomes), how many hold and which are
    missing. A check without data counts as not done."""
    inside = renewals.filter(renewing_within())
    checks = {
        "check_health_trend": col("health_change_30d") >= 0,
        "check_adoption": col("seat_utilisation") >= min_utilisation,
        "check_success_plan": col("milestones_reached") > 0,
        "check_outcomes": col("outcomes_last_90d") > 0,
    }
    with_checks = inside.with_columns(
        [expr.fill_null(False).alias(name) for name, expr in checks.items()]
    )
    return with_checks.with_columns(
        checks_passed=pl.sum_horizontal([col(n).cast(pl.Int8) for n in checks]),
        checks_missing=pl.concat_str(
            [pl.when(~col(n)).then(pl.lit(label)) for n, label in VALIDATION_CHECKS.items()],
            separator="; ",
            ignore_nulls=True,
        ),
    ).sort("days_to_renewal")
