"""Queries about the data itself, for the Data page: what is loaded, how much, how fresh."""

from __future__ import annotations

import datetime as dt

import polars as pl

from dashboard.schema import DATE_COLUMNS, SOURCE_TABLES
from dashboard.store.filters import FILTER_COLUMNS, AccountFilter
from dashboard.store.sources import SourceStore


def filter_choices(store: SourceStore) -> dict[str, list[str]]:
    """The distinct values a user can pick for each global filter."""
    parts = " UNION ALL ".join(
        f"SELECT DISTINCT '{key}' AS key, {column} AS value FROM accounts WHERE {column} IS NOT NULL"
        for key, column in FILTER_COLUMNS.items()
    )
    frame = store.query(f"SELECT key, value FROM ({parts}) ORDER BY key, value")
    return {key: frame.filter(pl.col("key") == key)["value"].to_list() for key in FILTER_COLUMNS}


def table_overview(
    store: SourceStore, account_filter: AccountFilter, today: dt.date
) -> pl.DataFrame:
    """One row per canonical table: rows (within the filter), date range, freshness, source."""
    where, params = account_filter.where()
    parts: list[str] = []
    all_params: list[object] = []
    for table in SOURCE_TABLES:
        column = DATE_COLUMNS[table]
        first = f"min({column})::DATE" if column else "NULL::DATE"
        last = f"max({column})::DATE" if column else "NULL::DATE"
        scope = "TRUE"
        if "account_id" in SOURCE_TABLES[table].model_fields and not account_filter.is_empty():
            scope = f"account_id IN (SELECT account_id FROM accounts WHERE {where})"
            all_params.extend(params)
        parts.append(
            f"SELECT '{table}' AS table_name, count(*) AS row_count, {first} AS first_date,"
            f" {last} AS last_date FROM {table} WHERE {scope}"
        )
    counts = store.query(" UNION ALL ".join(parts), all_params)
    loads = store.query(
        "SELECT table_name, arg_max(source, loaded_at) AS source, max(loaded_at) AS loaded_at"
        " FROM loads GROUP BY table_name"
    )
    order = pl.DataFrame({"table_name": list(SOURCE_TABLES)}).with_row_index("order")
    return (
        order.join(counts, on="table_name", how="left")
        .join(loads, on="table_name", how="left")
        .with_columns(
            days_since_last=(pl.lit(today) - pl.col("last_date")).dt.total_days(),
        )
        .sort("order")
        .drop("order")
    )


def load_history(store: SourceStore, limit: int = 200) -> pl.DataFrame:
    """Every recorded load, newest first: table, source, time, rows and the mapping used."""
    return store.query(
        "SELECT table_name, source, loaded_at, row_count, mapping FROM loads"
        f" ORDER BY loaded_at DESC LIMIT {int(limit)}"
    )
