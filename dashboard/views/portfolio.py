"""The Portfolio page's KPI cards: current value, week-over-week delta and a sparkline.

Current values come from the scored mart, history from the weekly snapshots, retention from
``scoring.kpis`` over the outcomes history."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dashboard.store import marts
from dashboard.store.filters import AccountFilter
from dashboard.store.sources import SourceStore
from scoring.kpis import retention_over


@dataclass(frozen=True)
class Kpi:
    label: str
    value: float | None
    previous: float | None  # a week earlier
    trend: list[float]  # oldest first, for the sparkline
    kind: str  # "count", "money", "score" or "ratio"
    help: str

    @property
    def delta(self) -> float | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous


def retention_series(
    store: SourceStore, f: AccountFilter, today: dt.date, months: int = 6
) -> list[dict]:
    """Trailing-12-month retention ending today, a week ago, and at each of the last month
    ends (oldest first) — the KPI values, their delta and their sparkline."""
    accounts, outcomes = marts.accounts_for_kpis(store, f)
    ends = [today - dt.timedelta(days=30 * m) for m in range(months, 0, -1)]
    ends += [today - dt.timedelta(days=7), today]

    periods = [(end - dt.timedelta(days=365), end) for end in ends]
    return retention_over(accounts, outcomes, periods).to_dicts()


def portfolio_kpis(store: SourceStore, f: AccountFilter, today: dt.date) -> list[Kpi]:
    """Accounts, ARR, ARR per band, median health, NRR and GRR (trailing 12 months)."""
    now = marts.portfolio_summary(store, f)
    trend = marts.weekly_trend(store, f)
    week_ago = trend.filter(trend["as_of"] <= today - dt.timedelta(days=7)).tail(1)
    prev = week_ago.row(0, named=True) if week_ago.height else {}

    def series(column: str) -> list[float]:
        return [float(v) for v in trend[column].fill_null(0).to_list()]

    cards = [
        Kpi("Accounts", now["accounts"], prev.get("accounts"), series("accounts"), "count",
            "Live accounts in the filter"),
        Kpi("ARR", now["arr"], prev.get("arr"), series("arr"), "money",
            "Annual recurring revenue of the live accounts"),
        Kpi("ARR green", now["arr_green"], prev.get("arr_green"), series("arr_green"), "money",
            "ARR of accounts in the green band"),
        Kpi("ARR yellow", now["arr_yellow"], prev.get("arr_yellow"), series("arr_yellow"), "money",
            "ARR of accounts in the yellow band"),
        Kpi("ARR red", now["arr_red"], prev.get("arr_red"), series("arr_red"), "money",
            "ARR of accounts in the red band"),
        Kpi("Median health", now["median_health"], prev.get("median_health"),
            series("median_health"), "score", "Median health score (0-100)"),
    ]  # fmt: skip
    ret = retention_series(store, f, today)
    for key, label, help_text in (
        ("nrr", "NRR (12 mo)", "(start ARR − churn − contraction + expansion) ÷ start ARR"),
        ("grr", "GRR (12 mo)", "(start ARR − churn − contraction) ÷ start ARR"),
    ):
        values = [r[key] for r in ret]
        cards.append(
            Kpi(
                label,
                values[-1],
                values[-2],
                [v or 0.0 for v in values[:-2] + values[-1:]],
                "ratio",
                help_text,
            )  # fmt: skip
        )
    return cards
