"""The renewal calendar's numbers, put together from the store and ``scoring.forecast``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from dashboard.clock import now as clock_now
from dashboard.store import Stores
from dashboard.store.commercial import accounts_without_renewal, renewals_ahead
from dashboard.store.filters import AccountFilter
from dashboard.store.marts import (
    churn_model_info,
    renewal_rates_mart,
    scored_accounts,
    scores_as_of,
)
from dashboard.store.snapshots import RATES_DAYS_BEFORE, band_renewal_snapshots
from dashboard.store.sources import SourceStore
from dashboard.text import IN_WINDOW, RENEWAL_WINDOW_DAYS, RISK_TERMS, days, format_value
from dashboard.views.common import Card, score_verdict
from dashboard.views.risks import RiskBoard, risk_board
from dashboard.workflows import renewal_calls, tasks
from dashboard.workflows.scorecards import active_scorecard
from scoring import forecast as r
from scoring.glossary import (
    CALL_CATEGORIES,
    CALL_FREEZE_DAYS,
    CALL_HORIZON_DAYS,
    NO_CALL,
    call_disagrees,
)
from scoring.pipeline import health_at
from scoring.scorecard import Scorecard


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
    undated: int = (
        0  # scored accounts with no renewal date (none on record, nothing to estimate from)
    )
    calls: pl.DataFrame | None = None  # renewals in the call horizon with their call and model
    disagreements: pl.DataFrame | None = None  # where the call and the model disagree
    call_rollup: pl.DataFrame | None = None  # the forecast by call category beside the model's
    risk_work: RiskBoard | None = None  # the risks worked to an end: KPIs and open risks


def dates_note(renewals: pl.DataFrame, undated: int) -> str | None:
    """What the calendar's dates rest on: how many are estimated from a contract start, and
    how many accounts have no renewal date at all (left out of the calendar, not guessed)."""
    estimated = renewals.filter(pl.col("renewal_basis").str.starts_with("estimated")).height
    parts = []
    if estimated:
        parts.append(
            f"{estimated:,} of these renewal dates are estimated (the next anniversary of "
            "the contract start, or of the first subscription's), not on record"
        )
    if undated:
        parts.append(
            f"{undated:,} account{'s have' if undated != 1 else ' has'} no renewal date (none on "
            "record and no contract or subscription start to estimate one from) and "
            f"{'are' if undated != 1 else 'is'} not in this calendar"
        )
    return ("; ".join(parts) + ".").capitalize() if parts else None


def renewal_rates(store: SourceStore, scorecard: Scorecard, as_of: dt.date) -> pl.DataFrame:
    """P(renew | band) as the nightly job estimated it (the ``renewal_rates`` mart), or
    estimated now on a store scored before that mart existed."""
    kept = renewal_rates_mart(store)
    if kept is not None:
        return kept
    history = band_renewal_snapshots(store, as_of)
    return r.renewal_probabilities(health_at(history.events, history.features, scorecard))


NO_HEALTH = "no health: no source has data for these accounts"
UNCHECKED_DEFAULTS = (
    "The score does not predict churn on this history (see the line above), so the stated "
    "defaults, which assume a red account renews less than a green one, are not used: no "
    "expected renewal ARR is shown where a band has too few renewals of its own."
)


def unchecked_defaults(probabilities: pl.DataFrame, verdict: str | None) -> pl.DataFrame:
    """The renewal probabilities a forecast may use: a band's stated default only when the
    active scorecard predicts churn here (``verdict`` ``predictive``, or never checked);
    otherwise its probability is unknown (null). Rates observed in the history stay."""
    if verdict in (None, "predictive"):
        return probabilities
    return probabilities.with_columns(
        probability=pl.when(pl.col("source") == "default")
        .then(None)
        .otherwise(pl.col("probability"))
    )


def _forecast(calendar: pl.DataFrame, probabilities: pl.DataFrame) -> pl.DataFrame:
    """``scoring.forecast.renewal_forecast``; a month with ARR in a band whose probability
    is unknown has no expected ARR (unknown, not the ARR itself)."""
    forecast = r.renewal_forecast(calendar, probabilities)
    unknown = probabilities.filter(pl.col("probability").is_null())["band"]
    if unknown.is_empty():
        return forecast
    blind = calendar.filter(pl.col("band").is_in(unknown.implode()) & (pl.col("arr") > 0))["month"]
    return forecast.with_columns(
        expected_arr=pl.when(pl.col("month").is_in(blind.implode()))
        .then(None)
        .otherwise(pl.col("expected_arr"))
    )


def _cards(ahead: pl.DataFrame, forecast: pl.DataFrame, risks: pl.DataFrame) -> list[Card]:
    in_90 = ahead.filter(pl.col("days_to_renewal") <= RENEWAL_WINDOW_DAYS)
    blind = ahead.height > 0 and ahead["health"].is_null().all()  # no health: risk unknown
    unknown = forecast["expected_arr"].null_count() > 0
    return [
        Card(
            f"ARR renewing {IN_WINDOW}",
            in_90["arr"].sum(),
            "money",
            note=f"{in_90.height:,} accounts",
        ),
        Card(
            "ARR renewing in 12 months",
            ahead["arr"].sum(),
            "money",
            note=f"{ahead.height:,} accounts",
        ),
        Card(
            "Expected renewal ARR (12 months)",
            None if unknown else forecast["expected_arr"].sum(),
            "money",
            help=f"Not shown: {UNCHECKED_DEFAULTS}"
            if unknown
            else "Σ ARR × renewal probability of its band (see the forecast below)",
            note="the score does not predict churn" if unknown else None,
        ),
        Card(
            "Accounts at risk",
            None if blind else risks.height,
            "count",
            help=RISK_TERMS["at_risk"],
            note=NO_HEALTH if blind else f"{format_value(risks['arr'].sum(), 'money')} ARR at risk",
        ),
    ]


def _rates_note(probabilities: pl.DataFrame) -> str:
    from_history = probabilities.filter(pl.col("source") == "history")
    return (
        f"Probabilities rest on {int(probabilities['renewals'].sum()):,} renewals of the last "
        f"12 months, each with the band it had {days(RATES_DAYS_BEFORE)} before. A band with fewer "
        f"than {r.MIN_RENEWALS_PER_BAND} "
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
    kept = churn_model_info(store)
    probabilities = unchecked_defaults(renewal_rates(store, scorecard, as_of), kept.verdict)
    risks = ahead.filter(pl.col("risk_before_deadline")).sort("arr", descending=True)
    forecast = _forecast(calendar, probabilities)
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
        rates_note=_rates_note(probabilities)
        + (f" {UNCHECKED_DEFAULTS}" if probabilities["probability"].null_count() else ""),
        verdict=score_verdict(store),
        undated=accounts_without_renewal(store, f),
        **call_parts(ahead, renewal_calls.current_calls(stores.app, unmask)),
        risk_work=risk_board(stores.app, scored_accounts(store, f), clock_now()),
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


# -- the renewal call beside the model ------------------------------------------------------------
CALL_COLUMNS = [
    "call_id",
    "category",
    "reason",
    "expected_arr",
    "frozen_change_reason",
    "caller",
    "called_at",
    "calls",
    "version",
]


def with_calls(renewals: pl.DataFrame, calls: pl.DataFrame) -> pl.DataFrame:
    """The renewals in the call horizon (``CALL_HORIZON_DAYS``), each with its current call on
    that renewal date (``call``: the category, or ``NO_CALL``), whether its call is frozen
    (``CALL_FREEZE_DAYS`` or fewer days to go), the model's churn probability and whether the
    two disagree (``scoring.glossary.call_disagrees``; null where either is unknown)."""
    kept = calls.select(
        "account_id", "renewal_date", *[c for c in CALL_COLUMNS if c in calls.columns]
    )
    return (
        renewals.filter(pl.col("days_to_renewal").is_between(0, CALL_HORIZON_DAYS))
        .join(kept, on=["account_id", "renewal_date"], how="left")
        .with_columns(
            call=pl.col("category").fill_null(NO_CALL),
            call_frozen=pl.col("days_to_renewal") <= CALL_FREEZE_DAYS,
        )
        .with_columns(disagrees=call_disagrees("call", "churn_probability"))
    )


def call_disagreements(called: pl.DataFrame) -> pl.DataFrame:
    """The renewals whose call and model disagree, the most ARR first: for leaders and the
    weekly sync."""
    return called.filter(pl.col("disagrees").fill_null(False)).sort(
        ["arr", "account_id"], descending=[True, False]
    )


def call_rollup(called: pl.DataFrame) -> pl.DataFrame:
    """The forecast by call category (every category, then renewals with no call, then all),
    beside the model's: renewals and ARR up, the callers' expected ARR (unknown where nobody
    called, and in the total while any renewal has no call), the model's expected renewal ARR = Σ ARR × (1 − churn probability) over the
    renewals that have a probability, and how many have none (left out of the model's sum,
    never counted as renewing or churning)."""
    order = [*CALL_CATEGORIES, NO_CALL]
    p = pl.col("churn_probability")
    per = called.group_by("call").agg(
        renewals=pl.len(),
        arr=pl.col("arr").sum(),
        call_expected_arr=pl.col("expected_arr").sum(),
        model_expected_arr=(pl.col("arr") * (1 - p)).sum(),
        without_probability=p.null_count(),
    )
    grid = pl.DataFrame({"call": order, "rank": range(len(order))})
    rows = (
        grid.join(per, on="call", how="left")
        .with_columns(
            pl.col("renewals", "without_probability").fill_null(0).cast(pl.Int64),
            pl.col("arr", "model_expected_arr").fill_null(0.0),
            call_expected_arr=pl.when(pl.col("call") == NO_CALL)
            .then(None)
            .otherwise(pl.col("call_expected_arr").fill_null(0.0)),
        )
        .with_columns(  # a category whose renewals all lack a probability: the model is blind
            model_expected_arr=pl.when(
                (pl.col("renewals") > 0) & (pl.col("without_probability") == pl.col("renewals"))
            )
            .then(None)
            .otherwise(pl.col("model_expected_arr"))
        )
        .sort("rank")
        .drop("rank")
    )
    called_rows = called.filter(pl.col("call") != NO_CALL)
    total = pl.DataFrame(
        {
            "call": ["all"],
            "renewals": [called.height],
            "arr": [float(called["arr"].sum())],
            "call_expected_arr": [  # unknown while any renewal has no call
                float(called_rows["expected_arr"].sum())
                if called_rows.height == called.height and called.height
                else None
            ],
            "model_expected_arr": [
                None
                if called.height and called["churn_probability"].null_count() == called.height
                else float((called["arr"] * (1 - called["churn_probability"])).sum())
            ],
            "without_probability": [called["churn_probability"].null_count()],
        },
        schema=rows.schema,
    )
    return pl.concat([rows, total])


def call_parts(renewals: pl.DataFrame, calls: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """The renewal view's call fields: the calls, the disagreements and the roll-up."""
    called = with_calls(renewals, calls)
    return {
        "calls": called,
        "disagreements": call_disagreements(called),
        "call_rollup": call_rollup(called),
    }
