"""Portfolio KPIs with their standard definitions (DESIGN.md, "KPIs")."""

from __future__ import annotations

import datetime as dt

import polars as pl

from scoring.glossary import (
    CHURNED,
    arr_on,
    is_churn_event,
    undated_churns,
    with_churn_amounts,
)

col = pl.col


def undated_by(accounts: pl.DataFrame, outcomes: pl.DataFrame, day: dt.date) -> int:
    """Undated churns of accounts there by ``day`` (or whose start is unknown)."""
    return (
        undated_churns(accounts.lazy(), outcomes.lazy())
        .filter(col("contract_start").is_null() | (col("contract_start") <= day))
        .collect()
        .height
    )


def undated_note(count: int) -> str | None:
    """What a dated KPI says when undated churns could change it, or None without any."""
    if not count:
        return None
    if count == 1:
        return "not computable: 1 churned account carries no date"
    return f"not computable: {count:,} churned accounts carry no date"


def _undated_note_expr(count: pl.Expr) -> pl.Expr:
    """``undated_note`` as an expression (null where the count is 0)."""
    return (
        pl.when(count == 1)
        .then(pl.lit(undated_note(1)))
        .when(count > 1)
        .then(pl.format("not computable: {} churned accounts carry no date", count))
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

    A churn flag without a date (``undated_churns``) may have fallen in any period: where one
    could change the figure (the account was there at the period's start, or its start is
    unknown), GRR, NRR and logo churn are null, never 100 %, ``undated_churns`` counts them
    and ``note`` says "not computable: N churned accounts carry no date".
    """
    spans = pl.LazyFrame(
        {
            "period": list(range(len(periods))),
            "start": [p[0] for p in periods],
            "end": [p[1] for p in periods],
        },
        schema={"period": pl.Int64, "start": pl.Date, "end": pl.Date},
    )
    events = with_churn_amounts(
        outcomes.lazy().select("account_id", "occurred_on", "event", "arr_change"),
        accounts.lazy(),
    )
    starting = (
        arr_on(  # an unknown ARR counts as none at a period's start
            accounts.lazy().with_columns(col("arr").fill_null(0.0)),
            outcomes.lazy(),
            spans.select("period", as_of=col("start")),
        )
        .filter(col("contract_start").is_null() | (col("contract_start") <= col("as_of")))
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
        churned_arr=-total(CHURNED),
        contraction_arr=-total("contracted"),
        expansion_arr=total("expanded"),
        churned_accounts=col("account_id").filter(is_churn_event()).n_unique(),
    )
    base = starting.group_by("period").agg(
        starting_arr=col("arr_on").sum(), accounts_at_start=pl.len()
    )
    undated = (
        undated_churns(accounts.lazy(), outcomes.lazy())
        .join(spans, how="cross")
        .filter(col("contract_start").is_null() | (col("contract_start") <= col("start")))
        .group_by("period")
        .agg(undated_churns=pl.len())
    )
    s = col("starting_arr")
    known = col("undated_churns") == 0
    return (
        spans.join(base, on="period", how="left")
        .join(moves, on="period", how="left")
        .join(undated, on="period", how="left")
        .with_columns(
            pl.col("starting_arr", "churned_arr", "contraction_arr", "expansion_arr").fill_null(
                0.0
            ),
            pl.col("accounts_at_start", "churned_accounts").fill_null(0),
            col("undated_churns").fill_null(0).cast(pl.Int64),
        )
        .with_columns(
            grr=pl.when((s > 0) & known).then(
                (s - col("churned_arr") - col("contraction_arr")) / s
            ),
            nrr=pl.when((s > 0) & known).then(
                (s - col("churned_arr") - col("contraction_arr") + col("expansion_arr")) / s
            ),
            logo_churn=pl.when((col("accounts_at_start") > 0) & known).then(
                col("churned_accounts") / col("accounts_at_start")
            ),
            note=_undated_note_expr(col("undated_churns")),
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
    """GRR, NRR, logo churn (see ``retention_over``) and renewal rate for (start, end];
    ``note`` and ``renewal_note`` say why a figure is not computable (undated churns)."""
    row = retention_over(accounts, outcomes, [(start, end)]).row(0, named=True)
    row["starting_arr"] = float(row["starting_arr"])
    row["renewal_rate"] = (
        renewal_rate(accounts, outcomes, start, end) if with_renewal_rate else None
    )
    row["renewal_note"] = (
        undated_note(undated_by(accounts, outcomes, end)) if with_renewal_rate else None
    )
    for key in ("period", "start", "end", "churned_accounts"):
        row.pop(key)
    return row


def renewal_rate(
    accounts: pl.DataFrame, outcomes: pl.DataFrame, start: dt.date, end: dt.date
) -> float | None:
    """Renewed ARR ÷ ARR up for renewal: each renewal event's ARR the day before it, counted
    as renewed unless the event is a churn. None (not computable) when a churn without a date
    (``undated_churns``) of an account there by ``end`` may have been up in the period."""
    if undated_by(accounts, outcomes, end):
        return None
    events = outcomes.filter((col("occurred_on") > start) & (col("occurred_on") <= end))
    if events.is_empty():
        return None
    days_before = events.lazy().select(  # each event's ARR is the ARR the day before it
        "account_id", "event", as_of=col("occurred_on") - pl.duration(days=1)
    )
    before = (
        arr_on(
            accounts.lazy().select("account_id", "arr", "status"),
            outcomes.lazy(),
            days_before.unique(),
        )
        .select(
            up=col("arr_on").sum(),
            renewed=col("arr_on").filter(~is_churn_event()).sum(),
        )
        .collect()
    )
    up = float(before["up"][0] or 0.0)
    return float(before["renewed"][0]) / up if up else None
