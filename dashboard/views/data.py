"""The Data page's numbers: what each canonical table holds, how fresh, from where."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import polars as pl

from dashboard.store import Stores
from dashboard.store.appdata import AppStore
from dashboard.store.delivery_log import recent_deliveries
from dashboard.store.features import ScoringDate, scoring_date
from dashboard.store.filters import AccountFilter
from dashboard.store.load_log import load_records
from dashboard.store.overview import load_history, table_overview
from dashboard.store.sources import SourceStore
from dashboard.views.common import Card


@dataclass(frozen=True)
class DeliveryLog:
    """The digests the nightly job delivered (app store: read fresh, not cached per data)."""

    rows: pl.DataFrame  # newest first: when, day, owner, role, channel, target, status, error
    latest_day: dt.date | None  # the newest digest day in the log
    not_delivered: int  # digests of that day that failed and were not sent since


def delivery_log(app: AppStore) -> DeliveryLog:
    rows = recent_deliveries(app)
    if rows.is_empty():
        return DeliveryLog(rows, None, 0)
    day = rows["day"].max()
    latest = rows.filter(pl.col("day") == day)
    keys = ["owner", "role", "channel"]
    sent = latest.filter(pl.col("status") == "sent").select(keys).unique()
    failed = latest.filter(pl.col("status") == "failed").select(keys).unique()
    return DeliveryLog(rows, day, failed.join(sent, on=keys, how="anti").height)


@dataclass(frozen=True)
class DataView:
    cards: list[Card]
    tables: pl.DataFrame  # per canonical table: rows, first/last date, freshness, source
    history: pl.DataFrame  # the load log, newest first
    filtered: bool  # row counts are limited to the sidebar's filters
    scoring: ScoringDate  # the date the data is scored as of, and the table that set it
    deliveries: DeliveryLog  # the digests delivered, and what failed


def data_view(both: Stores, f: AccountFilter, today: dt.date) -> DataView:
    store = both.sources
    tables = table_overview(store, f, today)

    def rows(table: str) -> int:
        found = tables.filter(pl.col("table_name") == table)["row_count"]
        return int(found[0]) if found.len() else 0

    cards = [
        Card("Accounts", rows("accounts"), "count"),
        Card("Usage events", rows("usage_events"), "count"),
        Card(
            "Tables with data",
            int((tables["row_count"] > 0).sum()),
            "count",
            note=f"of {tables.height}",
        ),
    ]
    history = load_history(store, 200)
    return DataView(
        cards,
        tables,
        history,
        not f.is_empty(),
        scoring_date(store, today),
        delivery_log(both.app),
    )


@dataclass(frozen=True)
class LoadEntry:
    """One load (or undo) of the load log, as the Data page lists it."""

    load_id: str
    kind: str  # load or undo
    when: str
    actor: str
    what: str  # the files (a load) or the entries it undid (an undo)
    mode: str
    changes: str  # per table: rows before -> after (+added -removed ~changed)
    undone_by: str | None


def _changes(tables: dict[str, dict[str, int]]) -> str:
    parts = []
    for table, c in tables.items():
        counts = f"{c['rows_before']:,} → {c['rows_after']:,} " if "rows_before" in c else ""
        parts.append(
            f"{table} {counts}(+{c.get('added', 0):,} −{c.get('removed', 0):,} "
            f"~{c.get('changed', 0):,})"
        )
    return "; ".join(parts) or "no rows"


def load_entries(store: SourceStore, limit: int = 20) -> list[LoadEntry]:
    """The newest entries of the load log (who loaded or undid what, and what it changed)."""
    out = []
    for e in load_records(store).head(limit).iter_rows(named=True):
        files = json.loads(e["files"] or "[]")
        undoes = json.loads(e["undoes"] or "[]")
        what = f"undo of {', '.join(undoes)}" if e["kind"] == "undo" else ", ".join(files)
        out.append(
            LoadEntry(
                e["load_id"],
                e["kind"],
                f"{e['loaded_at']:%Y-%m-%d %H:%M} UTC",
                e["actor"] or "",
                what or str(e["source"]),
                e["mode"] or "",
                _changes(json.loads(e["tables"] or "{}")),
                e["undone_by"],
            )
        )
    return out
