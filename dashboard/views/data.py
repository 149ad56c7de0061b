"""The Data page's numbers: what each canonical table holds, how fresh, from where."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from dashboard.store.filters import AccountFilter
from dashboard.store.overview import load_history, table_overview
from dashboard.store.sources import SourceStore
from dashboard.views.common import Card


@dataclass(frozen=True)
class DataView:
    cards: list[Card]
    tables: pl.DataFrame  # per canonical table: rows, first/last date, freshness, source
    history: pl.DataFrame  # the load log, newest first
    filtered: bool  # row counts are limited to the sidebar's filters


def data_view(store: SourceStore, f: AccountFilter, today: dt.date) -> DataView:
    tables = table_overview(store, f, today)

    def rows(table: str) -> int:
        found = tables.filter(pl.col("table_name") == table)["row_count"]
        return int(found[0]) if found.len() else 0

    cards = [
        Card("Accounts", rows("accounts"), "count"),
        Card("Usage events", rows("usage_events"), "count"),
        Card("Tables with data", int((tables["row_count"] > 0).sum()), "count",
             note=f"of {tables.height}"),
    ]  # fmt: skip
    return DataView(cards, tables, load_history(store, 200), filtered=not f.is_empty())
