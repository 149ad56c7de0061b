"""Portfolio KPIs with their standard definitions (DESIGN.md, "KPIs")."""

from __future__ import annotations

import datetime as dt

import polars as pl

col = pl.col


def arr_at(accounts: pl.LazyFrame, outcomes: pl.LazyFrame, on: dt.date) -> pl.LazyFrame:
    """ARR of every account on a date, rebuilt from today's ARR and the changes after it.

    Today's effective ARR is ``arr`` for active accounts and 0 for churned ones (whose ``arr``
    is what was lost); ARR on ``on`` = effective ARR − Σ arr_change of outcomes after ``on``.
    """
    later = (
        outcomes.filter(col("occurred_on") > on)
        .group_by("account_id")
        .agg(change_after=col("arr_change").fill_null(0.0).sum())
    )
    effective = pl.when(col("status") == "churned").then(0.0).otherwise(col("arr").fill_null(0.0))
    return (
        accounts.join(later, on="account_id", how="left")
        .with_columns(arr_on=effective - col("change_after").fill_null(0.0))
        .filter(col("contract_start").is_null() | (col("contract_start") <= on))
        .select("account_id", "arr_on")
    )


def retention(
    accounts: pl.DataFrame, outcomes: pl.DataFrame, start: dt.date, end: dt.date
) -> dict[str, float | int | None]:
    """GRR, NRR, logo churn and renewal rate for the period (start, end].

    S = ARR on ``start`` of accounts active then. GRR = (S − churned − contraction) ÷ S;
    NRR = (S − churned − contraction + expansion) ÷ S; logo churn = churned accounts ÷
    accounts at start; renewal rate = ARR renewed ÷ ARR up for renewal in the period.
    """
    starting = arr_at(accounts.lazy(), outcomes.lazy(), start).filter(col("arr_on") > 0)
    events = (
        outcomes.lazy()
        .filter((col("occurred_on") > start) & (col("occurred_on") <= end))
        .join(starting, on="account_id", how="inner")
    )
    totals = events.group_by("event").agg(
        change=col("arr_change").fill_null(0.0).sum(), accounts=col("account_id").n_unique()
    )
    s_frame, t_frame = pl.collect_all(
        [starting.select(arr=col("arr_on").sum(), n=pl.len()), totals]
    )
    s, n_start = float(s_frame["arr"][0] or 0.0), int(s_frame["n"][0])
    by_event = {row["event"]: row for row in t_frame.iter_rows(named=True)}

    def change(event: str) -> float:
        return float(by_event.get(event, {}).get("change", 0.0) or 0.0)

    churned, contraction, expansion = -change("churned"), -change("contracted"), change("expanded")
    churned_accounts = int(by_event.get("churned", {}).get("accounts", 0) or 0)
    renewal = renewal_rate(accounts, outcomes, start, end)
    return {
        "starting_arr": s,
        "accounts_at_start": n_start,
        "churned_arr": churned,
        "contraction_arr": contraction,
        "expansion_arr": expansion,
        "grr": (s - churned - contraction) / s if s else None,
        "nrr": (s - churned - contraction + expansion) / s if s else None,
        "logo_churn": churned_accounts / n_start if n_start else None,
        "renewal_rate": renewal,
    }


def renewal_rate(
    accounts: pl.DataFrame, outcomes: pl.DataFrame, start: dt.date, end: dt.date
) -> float | None:
    """Renewed ARR ÷ ARR up for renewal: each renewal event's ARR the day before it, counted
    as renewed unless the event is a churn."""
    events = outcomes.filter((col("occurred_on") > start) & (col("occurred_on") <= end))
    if events.is_empty():
        return None
    later = outcomes.lazy().join(
        events.lazy().select("account_id", col("occurred_on").alias("event_on"), "event"),
        on="account_id",
    )
    before = (
        later.filter(col("occurred_on") >= col("event_on"))
        .group_by("account_id", "event_on", "event")
        .agg(change_from=col("arr_change").fill_null(0.0).sum())
        .join(accounts.lazy().select("account_id", "arr", "status"), on="account_id")
        .with_columns(
            arr_before=pl.when(col("status") == "churned").then(0.0).otherwise(col("arr"))
            - col("change_from")
        )
        .select(
            up=col("arr_before").sum(),
            renewed=col("arr_before").filter(col("event") != "churned").sum(),
        )
        .collect()
    )
    up = float(before["up"][0] or 0.0)
    return float(before["renewed"][0]) / up if up else None
