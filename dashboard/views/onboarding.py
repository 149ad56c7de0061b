"""Time to value on the Portfolio page and in the CSM's digest: each new account's first value by
the configured rule (``scoring.onboarding``), onboarding by start month and segment, and the
accounts stuck in onboarding with what the CSM does."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

import polars as pl

from dashboard.store import marts, value_inputs
from dashboard.store.features import Queryable
from dashboard.store.filters import AccountFilter
from dashboard.store.sources import SourceStore
from scoring.digests import stuck_onboarding_rows
from scoring.onboarding import (
    LOGGED_KINDS,
    LOOKBACK_DAYS,
    NOT_YET,
    REACHED,
    UNKNOWN,
    ValueRule,
    first_value_by_log,
    first_value_by_seats,
    onboarding_cohorts,
    onboarding_status,
    stuck_in_onboarding,
)

__all__ = ["OnboardingView", "ValueRule", "onboarding_digest_rows", "onboarding_view", "value_rule"]


class RuleSettings(Protocol):
    """The settings the rule is read from (``dashboard.config.Settings``)."""

    value_rule: str
    value_seat_share: float
    value_weeks: int
    onboarding_days: int


def value_rule(settings: RuleSettings) -> ValueRule:
    """The configured rule (``TANDEM_VALUE_RULE``, ``TANDEM_VALUE_SEAT_SHARE``,
    ``TANDEM_VALUE_WEEKS``, ``TANDEM_ONBOARDING_DAYS``)."""
    return ValueRule(
        kind=settings.value_rule,  # type: ignore[arg-type]
        seat_share=settings.value_seat_share,
        weeks=settings.value_weeks,
        expected_days=settings.onboarding_days,
    )


@dataclass(frozen=True)
class OnboardingView:
    """Time to value for the accounts of a filter that started in the last year."""

    as_of: dt.date
    rule: str  # the rule in words
    accounts: pl.DataFrame  # one row per account started in the window, with its status
    cohorts: pl.DataFrame  # by start month and segment
    stuck: pl.DataFrame  # the accounts stuck in onboarding, longest first
    summary: str  # the counts in one line
    unknown_past: int  # accounts past the expected duration whose first value is unknown


def account_status(
    store: Queryable, f: AccountFilter, as_of: dt.date, rule: ValueRule
) -> pl.DataFrame:
    """Every account of ``f`` that started in the last ``LOOKBACK_DAYS`` days before
    ``as_of``, with its first value and onboarding status by ``rule``."""
    since = as_of - dt.timedelta(days=LOOKBACK_DAYS)
    started = value_inputs.starts(store, f, since, as_of)
    if rule.kind == "seats":
        first = first_value_by_seats(
            started,
            value_inputs.weekly_active_users(store, f, since, as_of),
            value_inputs.usage_facts(store, f, since, as_of),
            rule,
            as_of,
            value_inputs.usage_since(store),
        )
    else:
        first = first_value_by_log(
            started,
            value_inputs.first_logged(store, f, since, as_of, LOGGED_KINDS),
            value_inputs.logs_kept(store, LOGGED_KINDS),
        )
    return onboarding_status(started, first, rule, as_of)


def _summary(status: pl.DataFrame, stuck: int, rule: ValueRule) -> str:
    if status.is_empty():
        return "No account in the filter started in the last 12 months."
    counts = {s: status.filter(pl.col("status") == s).height for s in (REACHED, NOT_YET, UNKNOWN)}
    reached = status.filter(pl.col("status") == REACHED)
    median = (
        f"median {reached['days_to_value'].median():.0f} days to value"
        if reached.height
        else "no median yet"
    )
    why = (
        status.filter(pl.col("status") == UNKNOWN)
        .group_by("unknown")
        .len()
        .sort(["len", "unknown"], descending=[True, False])
    )
    reasons = "; ".join(f"{r}: {n:,}" for r, n in why.iter_rows())
    return (
        f"{status.height:,} accounts started in the last 12 months: {counts[REACHED]:,} reached "
        f"first value ({median}), {counts[NOT_YET]:,} not yet, {stuck:,} of them stuck past "
        f"{rule.expected_days} days; {counts[UNKNOWN]:,} unknown"
        + (f" ({reasons})." if reasons else ".")
    )


def onboarding_view(
    store: SourceStore, f: AccountFilter, today: dt.date, rule: ValueRule
) -> OnboardingView:
    """The onboarding panel's numbers as of the date the scores are as of (today without)."""
    as_of = (marts.scores_as_of(store) if marts.has_scores(store) else None) or today
    status = account_status(store, f, as_of, rule)
    stuck = stuck_in_onboarding(status, rule)
    past = status.filter(
        pl.col("status") == UNKNOWN, pl.col("days_since_start") > rule.expected_days
    )
    return OnboardingView(
        as_of=as_of,
        rule=rule.describe(),
        accounts=status,
        cohorts=onboarding_cohorts(status),
        stuck=stuck,
        summary=_summary(status, stuck.height, rule),
        unknown_past=past.height,
    )


def onboarding_digest_rows(
    store: Queryable, scored: pl.DataFrame, as_of: dt.date, rule: ValueRule
) -> pl.DataFrame:
    """The digest rows of the accounts stuck in onboarding, to their CSM: ``scored`` is the
    ``account_scores`` mart (health, band and days to renewal beside each)."""
    stuck = stuck_in_onboarding(account_status(store, AccountFilter(), as_of, rule), rule)
    facts = scored.select("account_id", "health", "band", "days_to_renewal")
    return stuck_onboarding_rows(stuck.join(facts, on="account_id", how="left"))
