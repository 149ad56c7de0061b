"""Time to value: each new account's first-value date by a stated rule, onboarding by cohort,
and the accounts stuck in onboarding (pure Polars).

The rule (``ValueRule``), one of:

- ``seats`` (the default): the first day by which at least ``seat_share`` of the licensed seats
  were active in each of ``weeks`` weeks running. Weeks are counted from the contract start
  (days 0-6 are week 1), only whole weeks before the as-of date; active users count as the
  features do (distinct user ids, else the most users a daily row reports). The first-value
  date is the last day of the last of those weeks.
- ``logged``: the day of the first ``outcome`` or ``milestone`` activity logged on or after
  the contract start (the design's time-to-value KPI).

Unknown stays unknown, never "not yet" nor 0 days: no licensed seats, no usage row for the
account, usage that never counts its users, or usage data that starts after the contract start
(the seats rule); no outcome or milestone logged anywhere (the logged rule). An account is
**stuck in onboarding** when its first value is known not to have come yet and it started
more than ``expected_days`` days ago (a live account: a churned one is counted apart).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

import polars as pl

col = pl.col

RULE_KINDS = ("seats", "logged")
LOGGED_KINDS = ("outcome", "milestone")  # the activity kinds the logged rule reads
LOOKBACK_DAYS = 365  # onboarding looks at accounts that started in the last year
MAX_WEEKS = 53  # the weeks after the start read for the seats rule (a year)
REACHED, NOT_YET, CHURNED_FIRST, UNKNOWN = "reached", "not yet", "churned before value", "unknown"

STARTS_SCHEMA = {
    "account_id": pl.String,
    "account_name": pl.String,
    "segment": pl.String,
    "csm_owner": pl.String,
    "am_owner": pl.String,
    "arr": pl.Float64,
    "licensed_seats": pl.Int64,
    "contract_start": pl.Date,
    "status": pl.String,
}
WEEKLY_SCHEMA = {"account_id": pl.String, "week": pl.Int64, "active_users": pl.Int64}
USAGE_FACTS_SCHEMA = {"account_id": pl.String, "names_users": pl.Boolean}
LOGGED_SCHEMA = {"account_id": pl.String, "first_logged_on": pl.Date}


@dataclass(frozen=True)
class ValueRule:
    """When an account has reached first value, and how long onboarding is expected to take."""

    kind: Literal["seats", "logged"] = "seats"
    seat_share: float = 0.10  # of the licensed seats, active in a week
    weeks: int = 2  # weeks running
    expected_days: int = 60  # past this, an account without first value is stuck

    def __post_init__(self) -> None:
        if self.kind not in RULE_KINDS:
            raise ValueError(f"value rule kind must be one of {RULE_KINDS}, not {self.kind!r}")
        if not 0 < self.seat_share <= 1:
            raise ValueError(f"seat share must be in (0, 1], not {self.seat_share}")
        if not 1 <= self.weeks <= MAX_WEEKS:
            raise ValueError(f"weeks must be 1-{MAX_WEEKS}, not {self.weeks}")
        if self.expected_days < 1:
            raise ValueError(f"expected days must be 1 or more, not {self.expected_days}")

    def describe(self) -> str:
        """The rule in words, as the page states it."""
        if self.kind == "seats":
            weeks = "a week" if self.weeks == 1 else f"{self.weeks} weeks running"
            value = (
                f"First value: {self.seat_share:.0%} of the licensed seats active in {weeks} "
                "(weeks counted from the contract start)"
            )
        else:
            value = "First value: the first outcome or milestone logged after the contract start"
        return f"{value}; stuck in onboarding: no first value {self.expected_days} days after it."


def _days(expr: pl.Expr) -> pl.Expr:
    return pl.duration(days=expr)


def first_value_by_seats(
    starts: pl.DataFrame,
    weekly: pl.DataFrame,
    usage: pl.DataFrame,
    rule: ValueRule,
    as_of: dt.date,
    usage_since: dt.date | None,
) -> pl.DataFrame:
    """Per account of ``starts``: ``first_value_on`` (null: not yet or unknown), ``unknown``
    (why it cannot be known, else null), ``last_week_users`` and ``last_week_share`` (the last
    whole week's active users and their share of the seats) and ``weeks_met`` (whole weeks
    so far that met the share). ``weekly`` holds the weeks with usage (``week`` 0 = the
    contract start's first seven days); ``usage`` one row per account with any usage row and
    whether it names its users (``names_users``); ``usage_since`` the first day of usage
    data (None: no usage loaded)."""
    seats = col("licensed_seats")
    known = (
        starts.cast(STARTS_SCHEMA)  # type: ignore[arg-type]
        .select("account_id", "contract_start", "licensed_seats")
        .join(usage.cast(USAGE_FACTS_SCHEMA), on="account_id", how="left")  # type: ignore[arg-type]
        .with_columns(
            unknown=pl.when(seats.is_null() | (seats <= 0))
            .then(pl.lit("no licensed seats on record"))
            .when(pl.lit(usage_since is None))
            .then(pl.lit("no usage data loaded"))
            .when(col("contract_start") < pl.lit(usage_since, dtype=pl.Date))
            .then(pl.lit("usage data starts after the contract start"))
            .when(col("names_users").is_null())
            .then(pl.lit("no usage row for this account"))
            .when(~col("names_users"))
            .then(pl.lit("its usage does not count users")),
            whole_weeks=pl.min_horizontal(
                (pl.lit(as_of) - col("contract_start")).dt.total_days() // 7, pl.lit(MAX_WEEKS)
            ),
        )
    )
    spine = (
        known.filter(col("unknown").is_null(), col("whole_weeks") > 0)
        .with_columns(week=pl.int_ranges(0, col("whole_weeks")))
        .explode("week")
        .join(weekly.cast(WEEKLY_SCHEMA), on=["account_id", "week"], how="left")  # type: ignore[arg-type]
        .with_columns(active_users=col("active_users").fill_null(0))
        .sort("account_id", "week")
        .with_columns(met=col("active_users") >= rule.seat_share * seats)
        .with_columns(run=(~col("met")).cum_sum().over("account_id"))
        .with_columns(streak=col("met").cast(pl.Int64).cum_sum().over("account_id", "run"))
    )
    per_account = spine.group_by("account_id").agg(
        first_week=col("week").filter(col("streak") >= rule.weeks).min(),
        weeks_met=col("met").sum().cast(pl.Int64),
        last_week_users=col("active_users").sort_by("week").last(),
        last_week_share=(col("active_users") / seats).sort_by("week").last(),
    )
    return (
        known.join(per_account, on="account_id", how="left")
        .with_columns(
            first_value_on=col("contract_start") + _days(col("first_week") * 7 + 6),
            weeks_met=pl.when(col("unknown").is_null()).then(col("weeks_met").fill_null(0)),
        )
        .select(
            "account_id",
            "first_value_on",
            "unknown",
            "last_week_users",
            "last_week_share",
            "weeks_met",
        )
    )


def first_value_by_log(starts: pl.DataFrame, logged: pl.DataFrame, logs_kept: bool) -> pl.DataFrame:
    """Per account of ``starts``: ``first_value_on`` (the first outcome or milestone logged on
    or after the contract start, from ``logged``) and ``unknown`` (when no outcome or milestone
    is logged for any account: ``logs_kept`` false)."""
    return (
        starts.select("account_id")
        .join(logged.cast(LOGGED_SCHEMA), on="account_id", how="left")  # type: ignore[arg-type]
        .select(
            "account_id",
            first_value_on=col("first_logged_on"),
            unknown=pl.lit(None if logs_kept else "no outcome or milestone logged in the data"),
            last_week_users=pl.lit(None, dtype=pl.Int64),
            last_week_share=pl.lit(None, dtype=pl.Float64),
            weeks_met=pl.lit(None, dtype=pl.Int64),
        )
    )


def onboarding_status(
    starts: pl.DataFrame, first_value: pl.DataFrame, rule: ValueRule, as_of: dt.date
) -> pl.DataFrame:
    """``starts`` with the first value joined: ``days_since_start``, ``days_to_value`` (null
    unless reached), ``status`` (reached / not yet / churned before value / unknown) and
    ``stuck`` (not yet, live, started more than ``rule.expected_days`` days ago)."""
    since = (pl.lit(as_of) - col("contract_start")).dt.total_days()
    reached = col("first_value_on").is_not_null() & (col("first_value_on") < pl.lit(as_of))
    return (
        starts.cast(STARTS_SCHEMA)  # type: ignore[arg-type]
        .join(first_value, on="account_id", how="left")
        .with_columns(
            days_since_start=since,
            status=pl.when(reached)
            .then(pl.lit(REACHED))
            .when(col("unknown").is_not_null())
            .then(pl.lit(UNKNOWN))
            .when(col("status") == "churned")
            .then(pl.lit(CHURNED_FIRST))
            .otherwise(pl.lit(NOT_YET)),
        )
        .with_columns(
            first_value_on=pl.when(col("status") == REACHED).then(col("first_value_on")),
            days_to_value=pl.when(col("status") == REACHED).then(
                (col("first_value_on") - col("contract_start")).dt.total_days()
            ),
            stuck=(col("status") == NOT_YET) & (col("days_since_start") > rule.expected_days),
        )
    )


def onboarding_cohorts(status: pl.DataFrame) -> pl.DataFrame:
    """Onboarding by start month and segment: ``accounts``, how many ``reached`` value, are
    ``not_yet`` there, ``churned_first`` or ``unknown``, and the ``median_days_to_value`` of
    those that reached it (null when none has: never 0). Newest month first."""
    return (
        status.with_columns(
            start_month=col("contract_start").dt.strftime("%Y-%m"),
            segment=col("segment").fill_null("(none)"),
        )
        .group_by("start_month", "segment")
        .agg(
            accounts=pl.len(),
            reached=(col("status") == REACHED).sum(),
            not_yet=(col("status") == NOT_YET).sum(),
            churned_first=(col("status") == CHURNED_FIRST).sum(),
            unknown=(col("status") == UNKNOWN).sum(),
            median_days_to_value=col("days_to_value").median(),
        )
        .with_columns(pl.col(pl.UInt32).cast(pl.Int64))
        .sort(["start_month", "segment"], descending=[True, False])
    )


def stuck_in_onboarding(status: pl.DataFrame, rule: ValueRule) -> pl.DataFrame:
    """The accounts stuck in onboarding, longest first, each with what the CSM does: the
    ``cause`` (days since start and, for the seats rule, last week's active seats against the
    rule) and the ``action``, both built from the row."""
    stuck = status.filter(col("stuck"))
    over = col("days_since_start") - rule.expected_days
    if rule.kind == "seats":
        need = (col("licensed_seats") * rule.seat_share).ceil().cast(pl.Int64)
        cause = pl.format(
            "day {} of onboarding ({} past {}); last week {} of {} seats active ({}), "
            "the rule needs {}; share met in {} week(s) so far",
            col("days_since_start"),
            over,
            pl.lit(rule.expected_days),
            col("last_week_users"),
            col("licensed_seats"),
            (col("last_week_share") * 100).round(0).cast(pl.Int64).cast(pl.String) + "%",
            need,
            col("weeks_met"),
        )
        action = (
            pl.when(col("last_week_users") == 0)
            .then(
                pl.format(
                    "Nobody used it last week: call the admin and book a kickoff to get {} "
                    "users working in it",
                    need,
                )
            )
            .when(col("last_week_users") < need)
            .then(
                pl.format(
                    "Run an enablement session to bring {} more users in ({} of {} needed)",
                    need - col("last_week_users"),
                    col("last_week_users"),
                    need,
                )
            )
            .otherwise(
                pl.format(
                    "Keep {} users active {} weeks running: agree a weekly use with the champion",
                    need,
                    pl.lit(rule.weeks),
                )
            )
        )
    else:
        cause = pl.format(
            "day {} of onboarding ({} past {}); no outcome or milestone logged",
            col("days_since_start"),
            over,
            pl.lit(rule.expected_days),
        )
        action = pl.lit("Agree the first milestone with the customer and log it when reached")
    return stuck.with_columns(cause=cause, action=action).sort(
        "days_since_start", "arr", descending=True, nulls_last=True
    )
