"""The renewal calendar's numbers, put together from the store and ``scoring.forecast``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from dashboard.store.commercial import renewals_ahead
from dashboard.store.filters import AccountFilter
from dashboard.store.marts import renewal_rates_mart, scores_as_of
from dashboard.store.snapshots import band_renewal_history
from dashboard.store.sources import SourceStore
from scoring import forecast as r
from scoring.scorecard import Scorecard


@dataclass(frozen=True)
class RenewalView:
    as_of: dt.date
    renewals: pl.DataFrame  # every account renewing in the next 12 months
    calendar: pl.DataFrame  # month x band
    weeks: pl.DataFrame  # week x band, the quarter ahead
    windows: pl.DataFrame  # 0-30 … 91-180
    risks: pl.DataFrame  # risk before deadline, ARR first
    probabilities: pl.DataFrame  # per band, from history or default
    forecast: pl.DataFrame  # per month: ARR up, expected ARR
    validation: pl.DataFrame  # renewals inside 90 days with the CSM's checklist


def renewal_rates(store: SourceStore, scorecard: Scorecard, as_of: dt.date) -> pl.DataFrame:
    """P(renew | band) as the nightly job estimated it (the ``renewal_rates`` mart), or
    estimated now on a store scored before that mart existed."""
    kept = renewal_rates_mart(store)
    if kept is not None:
        return kept
    return r.renewal_probabilities(band_renewal_history(store, scorecard, as_of))


def renewal_view(store: SourceStore, f: AccountFilter, scorecard: Scorecard) -> RenewalView:
    """Everything the Renewal calendar page shows, for the filtered portfolio (the renewal
    probabilities are the whole portfolio's, estimated by the nightly job)."""
    as_of = scores_as_of(store)
    ahead = renewals_ahead(store, f, days=366)
    calendar = r.renewal_calendar(ahead, as_of)
    probabilities = renewal_rates(store, scorecard, as_of)
    risks = ahead.filter(pl.col("risk_before_deadline")).sort("arr", descending=True)
    return RenewalView(
        as_of=as_of,
        renewals=ahead,
        calendar=calendar,
        weeks=r.renewal_weeks(ahead, as_of),
        windows=r.window_summary(ahead),
        risks=risks,
        probabilities=probabilities,
        forecast=r.renewal_forecast(calendar, probabilities),
        validation=r.value_validation(ahead),
    )


def with_plans(validation: pl.DataFrame, tasks: pl.DataFrame) -> pl.DataFrame:
    """The validation rows with the status of the CSM's value review and of the AM's
    commercial plan (with its note) for the same renewal, from the rule tasks."""

    def key(kind: str) -> pl.Expr:
        return pl.concat_str(
            [pl.lit(kind), pl.col("account_id"), pl.col("renewal_date").cast(pl.String)],
            separator=":",
        )

    review = tasks.select(
        pl.col("task_key").alias("value_review_key"), pl.col("status").alias("value_review")
    )
    plan = tasks.select(
        pl.col("task_key").alias("commercial_plan_key"),
        pl.col("status").alias("commercial_plan"),
        pl.col("note").alias("commercial_plan_note"),
    )
    return (
        validation.with_columns(
            value_review_key=key("value_review"), commercial_plan_key=key("commercial_plan")
        )
        .join(review, on="value_review_key", how="left")
        .join(plan, on="commercial_plan_key", how="left")
        .with_columns(
            pl.col("value_review").fill_null("not created"),
            pl.col("commercial_plan").fill_null("not created"),
        )
    )
