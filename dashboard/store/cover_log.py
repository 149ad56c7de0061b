"""The SQL of cover during leave (app store ``covers``).

A cover says that one person (the coverer) carries another's book (the covered) from a first
to a last day, both inclusive. It is never changed in place: setting it is version 1, ending
it early writes version 2 with the day it ended (``ended_on``: not covered from that day on).
The highest version is the cover. Each version is written with an audit row (action ``cover
set`` or ``cover end``, subject the covered person) in the same transaction, and only when the
check the workflow passes finds nothing wrong with the covers as stored at that moment."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

import duckdb
import polars as pl

from dashboard.store import audit_log
from dashboard.store.appdata import AppStore
from dashboard.store.ddl import APP_DDL

TABLE = "covers"
SCHEMA = {
    "cover_id": pl.String,
    "version": pl.Int32,
    "coverer": pl.String,
    "covered": pl.String,
    "starts_on": pl.Date,
    "ends_on": pl.Date,
    "ended_on": pl.Date,
    "edited_by": pl.String,
    "edited_at": pl.Datetime("us"),
}
_LATEST = (
    f"SELECT * FROM {TABLE} QUALIFY version = max(version) OVER (PARTITION BY cover_id)"
    " ORDER BY starts_on, covered, cover_id"
)


def _ensure(con: duckdb.DuckDBPyConnection) -> None:
    """The table, in an app store made before it existed (creating it is idempotent)."""
    con.execute(APP_DDL[TABLE])


def _exists(app: AppStore) -> bool:
    found = app.query(
        "SELECT count(*) AS n FROM information_schema.tables WHERE table_name = $t", {"t": TABLE}
    )
    return bool(found["n"][0])


def _typed(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(pl.col(name).cast(kind) for name, kind in SCHEMA.items())


def cover_rows(app: AppStore) -> pl.DataFrame:
    """Every cover as it stands (its latest version), the earliest first."""
    if not _exists(app):
        return pl.DataFrame(schema=SCHEMA)
    return _typed(app.query(_LATEST))


# The last day a cover holds: its end date, or the day before it was ended early.
LAST_DAY = pl.min_horizontal(pl.col("ends_on"), pl.col("ended_on") - pl.duration(days=1))


def active_on(covers: pl.DataFrame, day: dt.date) -> pl.DataFrame:
    """The covers that hold on ``day``: from their first day to their last, both inclusive."""
    return covers.filter(pl.col("starts_on") <= day, LAST_DAY.ge(day))


def write_version(
    app: AppStore,
    cover: dict,
    seen_version: int | None,
    editor: str,
    now: dt.datetime,
    refuse: Callable[[pl.DataFrame], str | None],
) -> dict | str | None:
    """Write ``cover`` (``cover_id``, ``coverer``, ``covered``, ``starts_on``, ``ends_on``,
    ``ended_on``) as the cover's next version by ``editor``, unless its latest version is not
    ``seen_version`` (None: a new cover, so none may exist), or ``refuse`` (given every other
    cover as stored now) returns a reason. Returns None when written; otherwise the latest
    version as stored (``{}`` when there is none) or the reason, and nothing was written."""
    with app.transaction() as con:
        _ensure(con)
        stored = _typed(con.sql(_LATEST).pl())
        mine = stored.filter(pl.col("cover_id") == cover["cover_id"])
        current = mine.row(0, named=True) if mine.height else None
        if (current["version"] if current else None) != seen_version:
            return current or {}
        reason = refuse(stored.filter(pl.col("cover_id") != cover["cover_id"]))
        if reason:
            return reason
        version = (current["version"] if current else 0) + 1
        row = {
            "cover_id": cover["cover_id"],
            "version": version,
            "coverer": cover["coverer"],
            "covered": cover["covered"],
            "starts_on": cover["starts_on"],
            "ends_on": cover["ends_on"],
            "ended_on": cover.get("ended_on"),
            "edited_by": editor,
            "edited_at": now,
        }
        con.execute(
            f"INSERT INTO {TABLE} ({', '.join(row)}) VALUES ({', '.join('$' + k for k in row)})",
            row,
        )
        audit_log.log_in(
            con,
            now,
            editor,
            "cover set" if version == 1 else "cover end",
            cover["covered"],
            json.dumps(
                {
                    "cover_id": cover["cover_id"],
                    "version": version,
                    "coverer": cover["coverer"],
                    "covered": cover["covered"],
                    "starts_on": str(cover["starts_on"]),
                    "ends_on": str(cover["ends_on"]),
                    "ended_on": str(cover["ended_on"]) if cover.get("ended_on") else None,
                }
            ),
        )
    return None
