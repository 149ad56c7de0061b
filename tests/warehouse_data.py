"""Shared by the warehouse tests: a fixture portfolio, copied into a real engine, and the
cell-for-cell comparison of two feature tables."""

from __future__ import annotations

import datetime as dt
import math

import polars as pl

from dashboard.schema import SOURCE_TABLES, columns
from dashboard.store import Stores

# A portfolio anchored just after a year's end: the as-of dates cross month and year
# boundaries, windows of 30, 90 and 180 days reach back over both.
ANCHOR = dt.date(2026, 1, 9)
AS_OF_DATES = [dt.date(2025, 10, 1), dt.date(2025, 12, 31), dt.date(2026, 1, 1), ANCHOR]
ACCOUNTS = 300
SEED = 5

PG_TYPES = {
    str: "TEXT",
    int: "BIGINT",
    float: "DOUBLE PRECISION",
    bool: "BOOLEAN",
    dt.date: "DATE",
    dt.datetime: "TIMESTAMP",
}


def copy_to_postgres(stores: Stores, uri: str, schema: str, tables=None) -> dict[str, int]:
    """Every canonical table of the local store as a table in ``schema`` of the PostgreSQL
    at ``uri`` (created anew); rows per table."""
    import adbc_driver_postgresql.dbapi as driver

    counts = {}
    con = driver.connect(uri)
    try:
        cur = con.cursor()
        cur.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        cur.execute(f"CREATE SCHEMA {schema}")
        for table in tables or SOURCE_TABLES:
            cols = ", ".join(f"{n} {PG_TYPES[t]}" for n, t in columns(table).items())
            cur.execute(f"CREATE TABLE {schema}.{table} ({cols})")
            frame = stores.sources.query(f"SELECT * FROM {table}")
            counts[table] = frame.height
            if frame.height:
                cur.adbc_ingest(table, frame.to_arrow(), mode="append", db_schema_name=schema)
        con.commit()
        cur.close()
    finally:
        con.close()
    return counts


def differences(local: pl.DataFrame, remote: pl.DataFrame, rel: float = 1e-9) -> list[str]:
    """Every cell where ``remote`` differs from ``local`` (same columns, rows keyed by account
    and date): exact for integers, dates, text and booleans; ``rel`` relative for floats."""
    found = []
    if local.columns != remote.columns:
        return [f"columns differ: {local.columns} vs {remote.columns}"]
    keys = ["account_id", "as_of"]
    a, b = local.sort(keys), remote.sort(keys)
    if a.select(keys).to_dicts() != b.select(keys).to_dicts():
        return [f"rows differ: {a.height} local, {b.height} remote"]
    for name in local.columns:
        left, right = a[name].to_list(), b[name].to_list()
        floats = local.schema[name].is_float()
        for row, (x, y) in enumerate(zip(left, right, strict=True)):
            if x is None or y is None:
                same = x is None and y is None
            elif floats:
                same = math.isclose(x, y, rel_tol=rel, abs_tol=1e-12)
            else:
                same = x == y
            if not same:
                found.append(f"{name} at {a['account_id'][row]} {a['as_of'][row]}: {x!r} != {y!r}")
    return found
