"""Tandem's glossary: every business concept once, as a number, a word or a Polars expression.

A page, a digest, an export or a score that names one of these concepts reads it from here
(the core vocabulary, ``dashboard.text``, re-exports the words and numbers to every layer of
the app; ``scoring`` imports this module directly, since it may import nothing of the app).
A help text that states a number (a window's days, a band's threshold) is built from the
constant, never written out, so changing the constant changes every sentence that says it.

Pure: Polars in, Polars out; no file, no clock.
"""

from __future__ import annotations

import polars as pl

col = pl.col

# -- bands ----------------------------------------------------------------------------------------
BANDS: tuple[str, ...] = ("red", "yellow", "green")
NO_DATA = "no data"  # the band of an account whose health had no data (and any unknown read)
BAND_ORDER: tuple[str, ...] = (*BANDS, NO_DATA)
COMPONENTS: tuple[str, ...] = (  # the health score's components, in the order shown
    "adoption",
    "usage_trend",
    "breadth",
    "support",
    "sentiment",
    "engagement",
    "billing",
)
RED_BELOW = 40.0  # the default scorecard's red threshold: health below it is red
GREEN_FROM = 70.0  # the default scorecard's green threshold: health from it up is green


def band_rule(red: float = RED_BELOW, green: float = GREEN_FROM) -> str:
    """The bands in words: "red below 40, yellow from 40 to below 70, green from 70"."""
    return f"red below {red:g}, yellow from {red:g} to below {green:g}, green from {green:g}"


def band_of(red: float, green: float, health_col: str = "health") -> pl.Expr:
    """The band of a health: ``NO_DATA`` when null, red below ``red``, green from ``green``,
    yellow between."""
    h = col(health_col)
    return (
        pl.when(h.is_null())
        .then(pl.lit(NO_DATA))
        .when(h < red)
        .then(pl.lit("red"))
        .when(h < green)
        .then(pl.lit("yellow"))
        .otherwise(pl.lit("green"))
    )


def band_or_no_data(column: str = "band") -> pl.Expr:
    """A band column with an unknown band read as ``NO_DATA``."""
    return col(column).fill_null(NO_DATA)


# -- windows --------------------------------------------------------------------------------------
RENEWAL_WINDOW_DAYS = 90  # "renewing soon": at risk, value validation, renewal tasks, alarms
RENEWAL_BUCKET_ENDS: tuple[int, ...] = (30, 60, 90, 180)  # the calendar's windows, in days
OVERDUE = "overdue"
BEYOND = f"> {RENEWAL_BUCKET_ENDS[-1]}"
# the buckets of days to renewal: "0-30", "31-60", "61-90", "91-180"
RENEWAL_BUCKETS: tuple[str, ...] = tuple(
    f"{start}-{end}"
    for start, end in zip(
        (0, *(e + 1 for e in RENEWAL_BUCKET_ENDS[:-1])), RENEWAL_BUCKET_ENDS, strict=True
    )
)
RENEWAL_WINDOWS: tuple[str, ...] = (OVERDUE, *RENEWAL_BUCKETS, BEYOND)  # every bucket, in order
FIRST_BUCKET_DAYS = RENEWAL_BUCKET_ENDS[0]  # the last month before a renewal
CHURN_HORIZON_DAYS = 90  # the churn probability shown beside health: churn within these days
ACTIVE_USER_DAYS = 30  # active users, events and features: this window and the one before
TICKET_DAYS = 90  # tickets per seats, their growth and the recent CSAT
OUTCOME_DAYS = 90  # a business outcome logged in this window is an expansion trigger
TOUCH_DAYS = 90  # a commercial touch older than this is no touch (the unmanaged middle)
FALLING_DAYS = 30  # health "falling": the points lost over this many days
FALLING_DROP = 10.0  # the default scorecard's points lost in FALLING_DAYS that make it falling


def days(n: int) -> str:
    """A window in words: "90 days" (never written out: built from the window's constant)."""
    return f"{n} days" if n != 1 else "1 day"


def renewing_within(n: int = RENEWAL_WINDOW_DAYS) -> pl.Expr:
    """The renewal is today or within ``n`` days (false when unknown)."""
    return col("days_to_renewal").is_between(0, n).fill_null(False)


def renewal_window() -> pl.Expr:
    """The bucket of days to renewal (``RENEWAL_WINDOWS``: overdue if past, null if unknown)."""
    d = col("days_to_renewal")
    bucket = pl.when(d.is_null()).then(None).when(d < 0).then(pl.lit(OVERDUE))
    for end, label in zip(RENEWAL_BUCKET_ENDS, RENEWAL_BUCKETS, strict=True):
        bucket = bucket.when(d <= end).then(pl.lit(label))
    return bucket.otherwise(pl.lit(BEYOND))


# -- at risk --------------------------------------------------------------------------------------
AT_RISK = "at risk"


def health_falling(drop: float) -> pl.Expr:
    """Health fell by at least ``drop`` points over the last ``FALLING_DAYS`` days."""
    return (col("health_change_30d") <= -drop).fill_null(False)


def risk_before_deadline(drop: float) -> pl.Expr:
    """**At risk**, Tandem's one meaning of the words: the renewal is within
    ``RENEWAL_WINDOW_DAYS`` days and the health is red or fell by ``drop`` points or more in
    ``FALLING_DAYS`` days (the ``risk_before_deadline`` column; every page, digest and export
    that says "at risk" reads it)."""
    return (renewing_within() & ((col("band") == "red") | health_falling(drop))).fill_null(False)


WITHIN_WINDOW = f"within {days(RENEWAL_WINDOW_DAYS)}"  # "within 90 days"
IN_WINDOW = f"in {days(RENEWAL_WINDOW_DAYS)}"  # "in 90 days"
AT_RISK_REASON = f"{AT_RISK} (renewal {WITHIN_WINDOW}, red or falling)"  # lists and digests
AT_RISK_TITLE = f"At risk: renewing {WITHIN_WINDOW} while red or falling"  # headings
VALUE_VALIDATION = f"{RENEWAL_WINDOW_DAYS}-day value validation"

# What each risk figure counts, as the cards' help says it. "At risk" has one meaning; the
# other figures are named by what they count, never "at risk".
RISK_TERMS = {
    "at_risk": f"At risk: renewing {WITHIN_WINDOW} while the health is red or fell by the "
    f"scorecard's falling drop ({FALLING_DROP:g} points by default) in {days(FALLING_DAYS)}.",
    "red_arr": "ARR of the accounts in the red band, whenever they renew (not all of it is at "
    f"risk: at risk means renewing {WITHIN_WINDOW} while red or falling).",
    "red_renewing": f"ARR of the red accounts renewing {WITHIN_WINDOW}. A candidate scorecard "
    f"has no {FALLING_DAYS}-day history, so the lab cannot count falling health: this is at "
    "risk without the falling part.",
    "expected_churn": "Σ ARR × each account's probability of churning within "
    f"{days(CHURN_HORIZON_DAYS)}, calibrated on this portfolio's churn history (all accounts, "
    "at risk or not).",
}
CHURN_RISK_LABEL = f"Churn risk, {days(CHURN_HORIZON_DAYS)}"
CHURN_RISK_HELP = f"Probability of churn within {days(CHURN_HORIZON_DAYS)}"

# -- the renewal call -----------------------------------------------------------------------------
# The AM's forecast call on a renewal (the CSM's where the account has no AM), beside the model.
CALL_CATEGORIES: tuple[str, ...] = ("commit", "best case", "at risk", "omitted")
NO_CALL = "no call"  # a renewal in the call horizon nobody has called yet
CALL_HORIZON_DAYS = 3 * 91  # calls are made for renewals in the next three quarters
CALL_FREEZE_DAYS = RENEWAL_WINDOW_DAYS  # a call freezes this many days before the renewal
LIKELY_CHURN_FROM = 0.20  # the model "says likely to churn": churn probability from this up
LIKELY_RENEW_BELOW = 0.05  # the model "says likely to renew": churn probability below this
CALLS_AGAINST_CHURN = ("commit",)  # calls that bet on the renewal
CALLS_AGAINST_RENEWAL = ("at risk", "omitted")  # calls that bet against it
DISAGREEMENT_RULE = (
    f"The call and the model disagree when the model gives a churn probability of "
    f"{LIKELY_CHURN_FROM:.0%} or more (within {days(CHURN_HORIZON_DAYS)}) and the call is "
    f"commit, or a probability below {LIKELY_RENEW_BELOW:.0%} and the call is at risk or "
    "omitted. No probability (low coverage), no call: no disagreement is claimed."
)


def call_disagrees(call: str = "call", probability: str = "churn_probability") -> pl.Expr:
    """The call and the model disagree (``DISAGREEMENT_RULE``); null when either is unknown."""
    p, c = col(probability), col(call)
    known = p.is_not_null() & c.is_in(CALL_CATEGORIES)
    return (
        pl.when(known)
        .then(
            ((p >= LIKELY_CHURN_FROM) & c.is_in(CALLS_AGAINST_CHURN))
            | ((p < LIKELY_RENEW_BELOW) & c.is_in(CALLS_AGAINST_RENEWAL))
        )
        .otherwise(None)
    )


# -- risks worked to an end ----------------------------------------------------------------------
# A risk the CSM flags is worked to an end: flagged -> plan in place -> saving -> saved or lost
# (lost from any open stage). From the plan on, every step names the reason (from the short
# list), an owner and the next step with its due date; the end names the reason too.
RISK_OPEN_STAGES: tuple[str, ...] = ("flagged", "plan", "saving")
RISK_ENDS: tuple[str, ...] = ("saved", "lost")
RISK_STAGE_LABELS = {
    "flagged": "flagged",
    "plan": "plan in place",
    "saving": "saving",
    "saved": "saved",
    "lost": "lost",
    "weighed": "weighed (before the lifecycle)",
    "closed": "closed (before the lifecycle, outcome not recorded)",
}
RISK_REASONS: tuple[str, ...] = (
    "low adoption",
    "value not shown",
    "champion left",
    "budget cut",
    "price",
    "product gap",
    "support issues",
    "competitor",
    "merger or acquisition",
    "other",
)
# risks opened before the lifecycle: "weighed" is worked on as a plan in place; "closed" ended
# without an outcome, so it counts neither as saved nor as lost
RISK_LEGACY_OPEN = ("weighed",)
RISK_LEGACY_ENDS = ("closed",)
# a risk's next step past its due date goes into its owner's digest; this many days late, into
# the leaders' too
RISK_ESCALATE_DAYS = 7


# -- active users ---------------------------------------------------------------------------------
def seat_utilisation() -> pl.Expr:
    """Active users in the last ``ACTIVE_USER_DAYS`` days ÷ licensed seats (null without
    seats)."""
    seats = col("licensed_seats").cast(pl.Float64)
    return pl.when(seats > 0).then(col("active_users_last_30d") / seats)


def usage_ratio() -> pl.Expr:
    """Active users in the last ``ACTIVE_USER_DAYS`` days ÷ the window before (events when
    users are unknown)."""
    users = col("active_users_last_30d") / col("active_users_prior_30d")
    events = col("events_last_30d") / col("events_prior_30d")
    return (
        pl.when(col("active_users_prior_30d") > 0)
        .then(users)
        .when(col("events_prior_30d") > 0)
        .then(events)
    )


# -- the middle -----------------------------------------------------------------------------------
MIDDLE_LOW = 0.25  # the unmanaged middle: ARR from this quantile of the portfolio's ARR …
MIDDLE_HIGH = 0.75  # … to this one (both ends included)


# -- the customer's people ------------------------------------------------------------------------
CHAMPION = "champion"  # a contact's roles (dashboard/schema.py CONTACT_ROLES)
ECONOMIC_BUYER = "economic buyer"
CHAMPION_QUIET_DAYS = 45  # a champion not seen (usage or activities) for this many days is quiet
CHAMPION_LEFT_DAYS = 180  # a champion who left within this many days is a "champion left" signal
NO_BUYER_ARR = 50_000.0  # an account from this ARR up with no economic buyer is a signal


# -- churned --------------------------------------------------------------------------------------
CHURNED = "churned"  # an account's status, and the outcome event that dates it


def status_churned(status: str = "status") -> pl.Expr:
    """The CRM says the account churned (its ``status``): churned, whether or not an outcome
    dates it (``churn_dates``)."""
    return (col(status) == CHURNED).fill_null(False)


def is_churn_event(event: str = "event") -> pl.Expr:
    """The outcome row is a churn."""
    return (col(event) == CHURNED).fill_null(False)


def churn_dates(accounts: pl.LazyFrame, outcomes: pl.LazyFrame) -> pl.LazyFrame:
    """Tandem's one reading of "churned", from its two sources: per account, ``churned`` (its
    status says so, or a churn outcome dates it) and ``churned_on`` (the first churn outcome;
    null for a churn flag without a date, or an account that did not churn)."""
    dated = (
        outcomes.filter(is_churn_event())
        .group_by("account_id")
        .agg(churned_on=col("occurred_on").min())
    )
    return (
        accounts.select("account_id", "status")
        .join(dated, on="account_id", how="left")
        .select(
            "account_id",
            churned=status_churned() | col("churned_on").is_not_null(),
            churned_on=col("churned_on"),
        )
    )


def undated_churns(accounts: pl.LazyFrame, outcomes: pl.LazyFrame) -> pl.LazyFrame:
    """Accounts whose status is churned with no churn outcome to date it (churned, the date
    unknown): a dated figure they could change is not computable, never read as retained."""
    dated = outcomes.filter(is_churn_event()).select("account_id")
    return accounts.filter(status_churned()).join(dated, on="account_id", how="anti")


# -- ARR on a date --------------------------------------------------------------------------------
def with_churn_amounts(outcomes: pl.LazyFrame, accounts: pl.LazyFrame) -> pl.LazyFrame:
    """``outcomes`` with an ARR change on every churn: a churn dated without an amount lost
    the account's ARR (a churned account's ``arr`` is what it lost); a churn carrying its own
    amount lost that amount."""
    lost = accounts.select("account_id", (-col("arr")).alias("_lost"))
    return (
        outcomes.join(lost, on="account_id", how="left")
        .with_columns(
            arr_change=pl.when(is_churn_event() & col("arr_change").is_null())
            .then(col("_lost"))
            .otherwise(col("arr_change"))
        )
        .drop("_lost")
    )


def current_arr() -> pl.Expr:
    """An account's ARR today: its ``arr``, or 0 once churned (whose ``arr`` is what it lost);
    unknown when its ``arr`` is."""
    return pl.when(status_churned()).then(0.0).otherwise(col("arr"))


def arr_on(accounts: pl.LazyFrame, outcomes: pl.LazyFrame, dates: pl.LazyFrame) -> pl.LazyFrame:
    """**ARR on a date**, Tandem's one definition (every page, KPI and score reads it): the
    account's ARR today (``current_arr``) less every ARR change dated after the date: the
    outcomes' ``arr_change``, a churn's own amount or, without one, the account's ARR
    (``with_churn_amounts``). So the ARR an account had before a churn is what that churn
    lost, as the history says.

    ``dates`` holds ``as_of`` (and any key columns kept through, e.g. a period number); with
    an ``account_id`` column each date is for that account only, else for every account. One
    row per account and date with the accounts' columns and ``arr_on``."""
    keys = dates.collect_schema().names()
    per_account = "account_id" in keys
    events = with_churn_amounts(
        outcomes.select("account_id", "occurred_on", "event", "arr_change"), accounts
    )
    after = (
        (events.join(dates, on="account_id") if per_account else events.join(dates, how="cross"))
        .filter(col("occurred_on") > col("as_of"))
        .group_by(list(dict.fromkeys(["account_id", *keys])))
        .agg(change_after=col("arr_change").fill_null(0.0).sum())
    )
    spread = (
        accounts.join(dates, on="account_id") if per_account else accounts.join(dates, how="cross")
    )
    return (
        spread.join(after, on=list(dict.fromkeys(["account_id", *keys])), how="left")
        .with_columns(arr_on=current_arr() - col("change_after").fill_null(0.0))
        .drop("change_after")
    )
