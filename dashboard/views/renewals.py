"""The renewal calendar's numbers, put together from the store and ``scoring.forecast``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from dashboard.store import Stores
from dashboard.store.commercial import renewals_ahead
from dashboard.store.filters import AccountFilter
from dashboard.store.marts import renewal_rates_mart, scores_as_of
from dashboard.store.snapshots import band_renewal_history
from dashboard.store.sources import SourceStore
from dashboard.text import format_value
from dashboard.views.common import Card, score_verdict
from dashboard.workflows import tasks
from dashboard.workflows.scorecards import active_scorecard
from scoring import forecast as r
from scoring.scorecard import Scorecard
from scoring.signals import RENEWAL_WINDOW_DAYS, RISK_TERMS


@dataclass(frozen=True)
class RenewalView:
    as_of: dt.date | None
    cards: list[Card]
    renewals: pl.DataFrame  # every account renewing in the next 12 months
    calendar: pl.DataFrame  # month x band
    weeks: pl.DataFrame  # week x band, the quarter ahead
    windows: pl.DataFrame  # 0-30 … 91-180
    risks: pl.DataFrame  # at risk (scoring.signals.risk_before_deadline), ARR first
    probabilities: pl.DataFrame  # per band, from history or default
    forecast: pl.DataFrame  # per month: ARR up, expected ARR
    validation: pl.DataFrame  # renewals inside 90 days with the CSM's checklist and plans
    tasks: pl.DataFrame  # the value reviews and commercial plans of those renewals
    months: list[dt.date]  # the months of the calendar, for the month picker
    rates_note: str  # what the renewal probabilities rest on
    verdict: str | None = None  # the line saying the score does not predict churn here


def renewal_rates(store: SourceStore, scorecard: Scorecard, as_of: dt.date) -> pl.DataFrame:
    """P(renew | band) as the nightly job estimated it (the ``renewal_rates`` mart), or
    estimated now on a store scored before that mart existed."""
    kept = renewal_rates_mart(store)
    if kept is not None:
        return kept
    return r.renewal_probabilities(band_renewal_history(store, scorecard, as_of))


def _cards(ahead: pl.DataFrame, forecast: pl.DataFrame, risks: pl.DataFrame) -> list[Card]:
    in_90 = ahead.filter(pl.col("days_to_renewal") <= RENEWAL_WINDOW_DAYS)
    return [
        Card("ARR renewing in 90 days", in_90["arr"].sum(), "money", note=f"{in_90.height:,} accounts"),
        Card("ARR renewing in 12 months", ahead["arr"].sum(), "money",
             note=f"{ahead.height:,} accounts"),
        Card("Expected renewal ARR (12 months)", forecast["expected_arr"].sum(), "money",
             help="Σ ARR × renewal probability of its band (see the forecast below)"),
        Card("Accounts at risk", risks.height, "count", help=RISK_TERMS["at_risk"],
             note=f"{format_value(risks['arr'].sum(), 'money')} ARR at risk"),
    ]  # fmt: skip


def _rates_note(probabilities: pl.DataFrame) -> str:
    from_history = probabilities.filter(pl.col("source") == "history")
    return (
        f"Probabilities rest on {int(probabilities['renewals'].sum()):,} renewals of the last "
        f"12 months, each with the band it had 90 days before. A band with fewer than 30 "
        f"renewals uses the stated default ({from_history.height} of {probabilities.height} "
        "bands come from history)."
    )


def renewal_view(stores: Stores, f: AccountFilter, unmask: bool = False) -> RenewalView:
    """Everything the Renewal calendar page shows, for the filtered portfolio (the renewal
    probabilities are the whole portfolio's, estimated by the nightly job)."""
    store = stores.sources
    scorecard = active_scorecard(stores.app)
    as_of = scores_as_of(store)
    ahead = renewals_ahead(store, f, days=366)
    calendar = r.renewal_calendar(ahead, as_of)
    probabilities = renewal_rates(store, scorecard, as_of)
    risks = ahead.filter(pl.col("risk_before_deadline")).sort("arr", descending=True)
    forecast = r.renewal_forecast(calendar, probabilities)
    validation = r.value_validation(ahead)
    due = tasks.tasks(stores.app, validation["account_id"].to_list(), unmask=unmask)
    return RenewalView(
        as_of=as_of,
        cards=_cards(ahead, forecast, risks),
        renewals=ahead,
        calendar=calendar,
        weeks=r.renewal_weeks(ahead, as_of),
        windows=r.window_summary(ahead),
        risks=risks,
        probabilities=probabilities,
        forecast=forecast,
        validation=with_plans(validation, due),
        tasks=due.filter(pl.col("kind").is_in(["value_review", "commercial_plan"])),
        months=calendar["month"].unique().sort().to_list(),
        rates_note=_rates_note(probabilities),
        verdict=score_verdict(store),
    )


def renewals_in_month(view: RenewalView, month: dt.date) -> pl.DataFrame:
    """The accounts renewing in ``month`` (the month picked on the calendar)."""
    return view.renewals.filter(pl.col("renewal_date").dt.truncate("1mo") == month)


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
