"""A success plan's goals: the metrics read from the data, and each goal's status (pure Polars).

Metrics (per account, as of a date; null is unknown, never 0):

- ``seat_utilisation``: active users in the last ``ACTIVE_USER_DAYS`` days ÷ licensed seats.
  Active users count as the features do: distinct user ids, else the most users a daily row
  reports. Null without licensed seats, or when the account's usage never names its users.
- ``feature_adoption``: users of one feature in the last ``ACTIVE_USER_DAYS`` days ÷ all
  active users in those days. Null when the account had no active user in the window (or its
  usage never names its users).
- ``tickets_per_month``: tickets opened in the last ``TICKET_DAYS`` days, per 30 days. Null
  when no ticket source is loaded at all (an account without a ticket then has 0).

Status (``goal_status``), in this order:

1. ``no data``: the start, current or target value is unknown;
2. ``done``: the current value has reached the target (progress ≥ 100 %);
3. ``stuck``: no progress from the start toward the target (progress ≤ 0) and the goal
   started ``STUCK_AFTER_DAYS`` days ago or more;
4. ``behind``: past the due date, or progress more than ``BEHIND_TOLERANCE`` below the share
   of the time from the start to the due date that has passed;
5. ``on track``: otherwise.

Progress is (current − start) ÷ (target − start): a goal to lower a value (tickets) counts
its fall as progress.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from scoring.glossary import ACTIVE_USER_DAYS, NO_DATA

TICKET_DAYS = 90
STUCK_AFTER_DAYS = 30
BEHIND_TOLERANCE = 0.10
STATUSES = ("behind", "stuck", NO_DATA, "on track", "done")  # the order a review reads them


def _window(usage: pl.DataFrame, as_of: dt.date, days: int) -> pl.DataFrame:
    start = dt.datetime.combine(as_of - dt.timedelta(days=days - 1), dt.time())
    end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time())
    return usage.filter(pl.col("occurred_at") >= start, pl.col("occurred_at") < end)


def _users() -> pl.Expr:
    """Distinct user ids, else the most users a daily row reports (null: none named)."""
    distinct = pl.col("user_id").drop_nulls().n_unique()
    return (
        pl.when(distinct > 0)
        .then(distinct)
        .otherwise(pl.col("active_users").max())
        .cast(pl.Float64)
    )


def _named(usage: pl.DataFrame) -> pl.DataFrame:
    """The accounts whose usage names its users (a user id or a count of active users)."""
    return (
        usage.group_by("account_id")
        .agg(names=(pl.col("user_id").is_not_null() | pl.col("active_users").is_not_null()).any())
        .filter(pl.col("names"))
        .select("account_id")
    )


def seat_utilisation(
    accounts: pl.DataFrame, usage: pl.DataFrame, as_of: dt.date, days: int = ACTIVE_USER_DAYS
) -> pl.DataFrame:
    """Per account of ``accounts`` (``account_id``, ``licensed_seats``): ``value`` = active
    users in the ``days`` days to ``as_of`` ÷ licensed seats."""
    active = _window(usage, as_of, days).group_by("account_id").agg(users=_users())
    seats = pl.col("licensed_seats").cast(pl.Float64)
    return (
        accounts.select("account_id", "licensed_seats")
        .join(active, on="account_id", how="left")
        .join(_named(usage).with_columns(named=pl.lit(True)), on="account_id", how="left")
        .select(
            "account_id",
            value=pl.when((seats > 0) & pl.col("named").fill_null(False))
            .then(pl.col("users").fill_null(0.0) / seats)
            .cast(pl.Float64),
        )
    )


def feature_adoption(
    accounts: pl.DataFrame,
    usage: pl.DataFrame,
    feature: str,
    as_of: dt.date,
    days: int = ACTIVE_USER_DAYS,
) -> pl.DataFrame:
    """Per account: ``value`` = users of ``feature`` in the ``days`` days to ``as_of`` ÷ every
    active user in those days (null without an active user)."""
    window = _window(usage, as_of, days)
    every = window.group_by("account_id").agg(users=_users())
    using = window.filter(pl.col("feature") == feature).group_by("account_id").agg(using=_users())
    return (
        accounts.select("account_id")
        .join(every, on="account_id", how="left")
        .join(using, on="account_id", how="left")
        .select(
            "account_id",
            value=pl.when(pl.col("users") > 0)
            .then(pl.col("using").fill_null(0.0) / pl.col("users"))
            .cast(pl.Float64),
        )
    )


def tickets_per_month(
    accounts: pl.DataFrame, tickets: pl.DataFrame | None, as_of: dt.date, days: int = TICKET_DAYS
) -> pl.DataFrame:
    """Per account: ``value`` = tickets opened in the ``days`` days to ``as_of``, per 30 days;
    null for every account when ``tickets`` is None (no ticket source loaded)."""
    if tickets is None:
        return accounts.select("account_id", value=pl.lit(None, pl.Float64))
    start = dt.datetime.combine(as_of - dt.timedelta(days=days - 1), dt.time())
    end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time())
    counts = (
        tickets.filter(pl.col("created_at") >= start, pl.col("created_at") < end)
        .group_by("account_id")
        .agg(n=pl.len())
    )
    return (
        accounts.select("account_id")
        .join(counts, on="account_id", how="left")
        .select("account_id", value=(pl.col("n").fill_null(0) * 30.0 / days).cast(pl.Float64))
    )


def goal_status(goals: pl.DataFrame, today: dt.date) -> pl.DataFrame:
    """``goals`` (``start_value``, ``current_value``, ``target_value``, ``start_on``,
    ``due_on``) with ``progress`` (0-1+, toward the target), ``expected`` (the share of the
    time to the due date passed) and ``status`` by the rule in this module's docstring."""
    start, current, target = (pl.col(c) for c in ("start_value", "current_value", "target_value"))
    span = (pl.col("due_on") - pl.col("start_on")).dt.total_days()
    passed = (pl.lit(today) - pl.col("start_on")).dt.total_days()
    progress = (
        pl.when(target != start)
        .then((current - start) / (target - start))
        .when(current == target)
        .then(1.0)
        .otherwise(0.0)
    )
    expected = pl.when(span > 0).then((passed / span).clip(0.0, 1.0)).otherwise(1.0)
    unknown = start.is_null() | current.is_null() | target.is_null()
    out = goals.with_columns(
        progress=pl.when(~unknown).then(progress), expected=expected.cast(pl.Float64)
    )
    p, e = pl.col("progress"), pl.col("expected")
    return out.with_columns(
        status=pl.when(unknown)
        .then(pl.lit(NO_DATA))
        .when(p >= 1.0 - 1e-9)  # a float reaching its target exactly
        .then(pl.lit("done"))
        .when((p <= 0.0) & (passed >= STUCK_AFTER_DAYS))
        .then(pl.lit("stuck"))
        .when((pl.col("due_on") < today) | (p < e - BEHIND_TOLERANCE))
        .then(pl.lit("behind"))
        .otherwise(pl.lit("on track"))
    )


def status_order() -> pl.Expr:
    """A sort key: behind and stuck first, then no data, on track, done."""
    return pl.col("status").replace_strict(
        {s: i for i, s in enumerate(STATUSES)}, return_dtype=pl.Int32
    )
