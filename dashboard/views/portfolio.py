"""The Portfolio page's KPI cards: current value, week-over-week delta and a sparkline.

Current values come from the scored mart, history from the weekly snapshots, retention from
``scoring.kpis`` over the outcomes history."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from dashboard.store import Stores, marts
from dashboard.store.filters import FILTER_COLUMNS, FILTER_LABELS, AccountFilter
from dashboard.store.marts import DIMENSIONS
from dashboard.store.sources import SourceStore
from dashboard.text import CHURN_HORIZON_DAYS, MIXED, NO_DATA, RISK_TERMS, format_money
from dashboard.views.common import Kpi, score_verdict
from dashboard.views.what_changed import largest_movers
from scoring.currency import retention_in_reporting
from scoring.kpis import retention_over


def retention_series(
    store: SourceStore, f: AccountFilter, as_of: dt.date, months: int = 6
) -> list[dict]:
    """Trailing-12-month retention ending ``as_of``, a week before, and at each of the last
    month ends (oldest first) — the KPI values, their delta and their sparkline."""
    accounts, outcomes = marts.accounts_for_kpis(store, f)
    money = marts.money_info(store)
    if money.rates:  # several currencies, converted: the ratios' sums in one currency too
        accounts, outcomes = retention_in_reporting(accounts, outcomes, money.rates, money.currency)
    ends = [as_of - dt.timedelta(days=30 * m) for m in range(months, 0, -1)]
    ends += [as_of - dt.timedelta(days=7), as_of]

    periods = [(end - dt.timedelta(days=365), end) for end in ends]
    return retention_over(accounts, outcomes, periods).to_dicts()


NO_HEALTH = "no health: no source has data for these accounts"
UNCALIBRATED = {  # the card's short line where the score gives no probability
    "inverse": "the score ranks churn backwards",
    "no_evidence": "the score does not predict churn",
    "no_outcomes": "no churn history to check on",
}


def portfolio_kpis(store: SourceStore, f: AccountFilter, as_of: dt.date) -> list[Kpi]:
    """Accounts, ARR, ARR per band, median health, NRR and GRR (trailing 12 months), as of
    the date the data is scored as of (``as_of``; an old export's own end, not today): the
    week-over-week delta compares with the snapshot a week before it, and there is none
    before the first week of history."""
    now = marts.portfolio_summary(store, f)
    trend = marts.weekly_trend(store, f)
    week_ago = trend.filter(trend["as_of"] <= as_of - dt.timedelta(days=7)).tail(1)
    prev = week_ago.row(0, named=True) if week_ago.height else {}

    def series(column: str) -> list[float]:
        return [float(v) for v in trend[column].fill_null(0).to_list()]

    no_arr = not now["accounts_with_arr"]  # an export without ARR: money is unknown, not $0
    mixed = not no_arr and marts.money_info(store).currency == MIXED
    per_currency = marts.money_by_currency(store, f) if mixed else None

    def apart(key: str) -> str:
        """Several currencies with no rates: each currency's sum, never one figure."""
        assert per_currency is not None
        sums = [
            format_money(row[key], row["currency"]) for row in per_currency.iter_rows(named=True)
        ]
        return " + ".join(sums) + " (not summed: no exchange rates)"

    no_health = now["accounts"] > 0 and now["accounts_no_health"] == now["accounts"]
    unbanded = (
        f"{format_money(now['arr_no_health'])} in no band (no data)"
        if now["accounts_no_health"] and not no_arr and not mixed
        else None
    )

    def card(label: str, key: str, kind: str, help_text: str, lower: bool = False) -> Kpi:
        if kind == "money" and no_arr:
            return Kpi(label, None, kind, help_text, note="no ARR in the data")
        if key.startswith("arr_") and no_health:  # no health anywhere: no band is $0
            return Kpi(label, None, kind, help_text, note=NO_HEALTH)
        if kind == "money" and mixed:
            return Kpi(label, None, kind, help_text, note=apart(key), lower_is_better=lower)
        return Kpi(
            label,
            now[key],
            kind,
            help_text,
            previous=prev.get(key),
            trend=series(key),
            lower_is_better=lower,
            note=unbanded if key in ("arr_green", "arr_yellow", "arr_red") else None,
        )

    cards = [
        card("Accounts", "accounts", "count", "Live accounts in the filter"),
        card("ARR", "arr", "money", "Annual recurring revenue of the live accounts"),
        card("ARR green", "arr_green", "money", "ARR of accounts in the green band"),
        card("ARR yellow", "arr_yellow", "money", "ARR of accounts in the yellow band", True),
        card("ARR red", "arr_red", "money", RISK_TERMS["red_arr"], True),
        card("Median health", "median_health", "score", "Median health score (0-100)"),
    ]
    cards.append(
        Kpi(  # no trend: the kept snapshots do not keep the 30-day change
            "ARR at risk",
            None if no_arr or mixed or no_health else now["arr_at_risk"],
            "money",
            RISK_TERMS["at_risk"],
            lower_is_better=True,
            note=NO_HEALTH
            if no_health
            else f"{now['accounts_at_risk']:,} accounts"
            + (f": {apart('arr_at_risk')}" if mixed else ""),
        )
    )
    model = marts.churn_model_info(store)
    cards.append(
        Kpi(
            f"Expected ARR lost to churn ({CHURN_HORIZON_DAYS} d)",
            now["expected_arr_churn"] if model.note is None and not no_arr and not mixed else None,
            "money",
            f"{RISK_TERMS['expected_churn']} Calibrated on {model.churn_events or 0:,} churn events"
            if model.note is None
            else f"Not shown: {model.note}.",
            lower_is_better=True,
            note="no ARR in the data"
            if no_arr
            else apart("expected_arr_churn")
            if mixed and model.note is None
            else None
            if model.note is None
            else UNCALIBRATED.get(model.verdict, "too little churn history"),
        )
    )
    ret = retention_series(store, f, as_of)
    for key, label, help_text in (
        ("nrr", "NRR (12 mo)", "(start ARR − churn − contraction + expansion) ÷ start ARR"),
        ("grr", "GRR (12 mo)", "(start ARR − churn − contraction) ÷ start ARR"),
    ):
        values = [r[key] for r in ret]
        known = [v for v in values[:-2] + values[-1:] if v is not None]  # no made-up zeros
        note = ret[-1]["note"]  # undated churns: not computable, never 100 %
        if mixed:  # several currencies and no rates: a ratio of sums of them means nothing
            values, known, note = [None, None], [], "not computable: several currencies, no rates"
        cards.append(Kpi(label, values[-1], "ratio", help_text, values[-2], known, note))
    return cards


__all__ = [
    "DIMENSIONS",
    "ChartPick",
    "Movers",
    "PortfolioView",
    "portfolio_kpis",
    "portfolio_movers",
    "portfolio_view",
]


@dataclass(frozen=True)
class ChartPick:
    """What a click on a Portfolio chart picked: a value of a dimension (a bar, a treemap
    segment), a band (a bar's colour, a treemap tile), or both. The list beneath shows only
    the accounts it names."""

    dimension: str | None = None
    value: str | None = None
    band: str | None = None

    def describe(self) -> str:
        parts = [f"{self.band} band"] if self.band else []
        if self.dimension and self.value is not None:
            parts.append(f"{FILTER_LABELS.get(self.dimension, self.dimension)} {self.value}")
        return " in ".join(parts)


def picked(accounts: pl.DataFrame, pick: ChartPick | None) -> pl.DataFrame:
    """The accounts a chart click names (all of them without a click)."""
    if pick is None:
        return accounts
    keep = pl.lit(True)
    if pick.band:
        keep &= pl.col("band").fill_null(NO_DATA) == pick.band
    column = FILTER_COLUMNS.get(pick.dimension or "")
    if column and pick.value is not None:
        keep &= pl.col(column).cast(pl.String).fill_null(marts.NO_VALUE) == pick.value
    return accounts.filter(keep)


@dataclass(frozen=True)
class PortfolioView:
    """Everything the Portfolio health page shows, for one filter and one breakdown."""

    as_of: dt.date | None
    cards: list[Kpi]
    mix: pl.DataFrame  # band mix by the chosen dimension
    segment_mix: pl.DataFrame  # band mix by segment (the treemap)
    has_arr: bool  # any ARR to draw (an export without ARR has none: no treemap)
    money_note: str | None  # the currency conversion and its rates, or why totals are apart
    mixed_currencies: bool  # several currencies, no rates: no chart sums their ARR
    trend: pl.DataFrame  # weekly ARR by band and median health
    accounts: pl.DataFrame  # every account in the filter (and the chart pick), weakest first
    in_filter: int  # accounts in the sidebar's filter, before a chart pick
    pick: ChartPick | None
    verdict: str | None = None  # the line saying the score does not predict churn here


def portfolio_view(
    store: SourceStore,
    f: AccountFilter,
    today: dt.date,
    dimension: str = "segment",
    pick: ChartPick | None = None,
) -> PortfolioView:
    """The page's numbers as of the date the scores are as of (today for current data)."""
    accounts = marts.account_table(store, f, None)
    as_of = marts.scores_as_of(store)
    segment_mix = marts.band_mix(store, f, "segment")
    return PortfolioView(
        as_of=as_of,
        cards=portfolio_kpis(store, f, as_of or today),
        mix=marts.band_mix(store, f, dimension),
        segment_mix=segment_mix,
        has_arr=bool(segment_mix["arr"].sum()),
        money_note=marts.money_info(store).note,
        mixed_currencies=marts.money_info(store).currency == MIXED,
        trend=marts.weekly_trend(store, f),
        accounts=picked(accounts, pick),
        in_filter=accounts.height,
        pick=pick,
        verdict=score_verdict(store),
    )


@dataclass(frozen=True)
class Movers:
    """The accounts of the filter whose health moved most in the last week, each with the
    largest sentence of what changed and why (``views.what_changed``)."""

    rows: pl.DataFrame  # account_name, health_then, health, health_change, band, change
    since: dt.date | None  # the snapshot compared with; None: none kept a week before
    until: dt.date | None  # the published scores' date


def portfolio_movers(stores: Stores, f: AccountFilter, today: dt.date) -> Movers:
    """The largest movers of the filter since last week (the snapshot on or before a week
    before the scores' date)."""
    until = marts.scores_as_of(stores.sources)
    if until is None:
        return Movers(pl.DataFrame(), None, None)
    since, rows = largest_movers(stores, marts.account_table(stores.sources, f), until)
    return Movers(rows, since, until)
