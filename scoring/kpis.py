"""Portfolio KPIs with their standard definitions (DESIGN.md, "KPIs")."""

from __future__ import annotations

import datetime as dt

import polars as pl

col = pl.col


def with_churn_amounts(outcomes: pl.LazyFrame, accounts: pl.LazyFrame) -> pl.LazyFrame:
    """``outcomes`` with an ARR change on every churn: a churn an export dates without an
    amount lost the account's ARR (a churned account's ``arr`` is what it lost), so it is
    counted in GRR, NRR and the renewal rate instead of lost as a change of nothing."""
    lost = accounts.select("account_id", (-col("arr")).alias("_lost"))
    return (
        outcomes.join(lost, on="account_id", how="left")
        .with_columns(
            arr_change=pl.when((col("event") == "churned") & col("arr_change").is_null())
            .then(col("_lost"))
            .otherwise(col("arr_change"))
        )
        .drop("_lost")
    )


def retention_over(
    accounts: pl.DataFrame, outcomes: pl.DataFrame, periods: list[tuple[dt.date, dt.date]]
) -> pl.DataFrame:
    """GRR, NRR and logo churn for each period (start, end], all in one query.

    S = ARR on ``start`` of accounts active then, rebuilt as today's effective ARR (``arr``, or
    0 once churned, whose ``arr`` is what was lost) − Σ arr_change of outcomes after ``start``
    (a churn without an amount lost the account's ARR: ``with_churn_amounts``). GRR = (S − churned − contraction) ÷ S;
    NRR = (S − churned − contraction + expansion) ÷ S; logo churn = churned accounts ÷
    accounts at start. One row per period, in the order given.
    """
    spans = pl.LazyFrame(
        {
            "period": list(range(len(periods))),
            "start": [p[0] for p in periods],
            "end": [p[1] for p in periods],
        },  # fmt: skip
        schema={"period": pl.Int64, "start": pl.Date, "end": pl.Date},
    )
    events = with_churn_amounts(
        outcomes.lazy().select("account_id", "occurred_on", "event", "arr_change"),
        accounts.lazy(),
    )
    changes_after = (
        events.join(spans, how="cross")
        .filter(col("occurred_on") > col("start"))
        .group_by("account_id", "period")
        .agg(change_after=col("arr_change").fill_null(0.0).sum())
    )
    effective = pl.when(col("status") == "churned").then(0.0).otherwise(col("arr").fill_null(0.0))
    starting = (
        accounts.lazy()
        .join(spans, how="cross")
        .filter(col("contract_start").is_null() | (col("contract_start") <= col("start")))
        .join(changes_after, on=["account_id", "period"], how="left")
        .with_columns(arr_on=effective - col("change_after").fill_null(0.0))
        .filter(col("arr_on") > 0)
        .select("account_id", "period", "arr_on")
    )
    in_period = (
        events.join(spans, how="cross")
        .filter((col("occurred_on") > col("start")) & (col("occurred_on") <= col("end")))
        .join(starting, on=["account_id", "period"], how="semi")
    )

    def total(event: str) -> pl.Expr:
        return col("arr_change").filter(col("event") == event).fill_null(0.0).sum()

    moves = in_period.group_by("period").agg(
        churned_arr=-total("churned"),
        contraction_arr=-total("contracted"),
        expansion_arr=total("expanded"),
        churned_accounts=col("account_id").filter(col("event") == "churned").n_unique(),
    )
    base = starting.group_by("period").agg(
        starting_arr=col("arr_on").sum(), accounts_at_start=pl.len()
    )
    s = col("starting_arr")
    return (
        spans.join(base, on="period", how="left")
        .join(moves, on="period", how="left")
        .with_columns(
            pl.col("starting_arr", "churned_arr", "contraction_arr", "expansion_arr").fill_null(
                0.0
            ),
            pl.col("accounts_at_start", "churned_accounts").fill_null(0),
        )
        .with_columns(
            grr=pl.when(s > 0).then((s - col("churned_arr") - col("contraction_arr")) / s),
            nrr=pl.when(s > 0).then(
                (s - col("churned_arr") - col("contraction_arr") + col("expansion_arr")) / s
            ),
            logo_churn=pl.when(col("accounts_at_start") > 0).then(
                col("churned_accounts") / col("accounts_at_start")
            ),
        )
        .sort("period")
        .collect()
    )


def retention(
    accounts: pl.DataFrame,
    outcomes: pl.DataFrame,
    start: dt.date,
    end: dt.date,
    *,
    with_renewal_rate: bool = True,
) -> dict[str, float | int | None]:
    """GRR, NRR, logo churn (see ``retention_over``) and renewal rate for (start, end]."""
    row = retention_over(accounts, outcomes, [(start, end)]).row(0, named=True)
    row["starting_arr"] = float(row["starting_arr"])
    row["renewal_rate"] = (
        renewal_rate(accounts, outcomes, start, end) if with_renewal_rate else None
    )
    for key in ("period", "start", "end", "churned_accounts"):
        row.pop(key)
    return row


def renewal_rate(
    accounts: pl.DataFrame, outcomes: pl.DataFrame, start: dt.date, end: dt.date
) -> float | None:
    """Renewed ARR ÷ ARR up for renewal: each renewal event's ARR the day before it, counted
    as renewed unless the event is a churn."""
    events = outcomes.filter((col("occurred_on") > start) & (col("occurred_on") <= end))
    if events.is_empty():
        return None
    later = with_churn_amounts(outcomes.lazy(), accounts.lazy()).join(
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
