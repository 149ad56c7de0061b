"""Warehouse mode of the nightly job: the feature query runs in the team's warehouse for
every date the refresh needs; the feature rows and the small tables come back; raw usage
events stay there. What comes back is stored only once all of it came back: a failed
warehouse run changes nothing here and the last published scores keep serving."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field

from dashboard.ingest.readers import FileError
from dashboard.ingest.warehouse import (
    WarehouseConfig,
    WarehouseError,
    features_in_warehouse,
    last_outcome_date,
    scoring_date_in_warehouse,
    small_tables_source,
)
from dashboard.store import Stores
from dashboard.store.features import FEATURES_VERSION, WAREHOUSE_MODE
from dashboard.store.marts import days_scored_by_another
from dashboard.store.snapshots import kept_snapshot_dates
from dashboard.workflows.import_flow import SourceError, reload_from_database


@dataclass
class WarehouseRun:
    """What one warehouse run brought back."""

    as_of: dt.date
    dates: list[dt.date]
    feature_rows: int
    feature_bytes: int  # the size of the feature rows that came back (Arrow, in memory)
    tables: dict[str, int] = field(default_factory=dict)  # the small tables' rows
    seconds: dict[str, float] = field(default_factory=dict)


def needed_dates(
    stores: Stores,
    as_of: dt.date,
    last_outcome: dt.date | None,
    scorecard: str | None,
    backfill_weeks: int = 0,
) -> list[dt.date]:
    """Every date the refresh reads features at (``jobs.refresh._score``): the scoring date,
    30 days before it, the kept snapshot grid (renewal history, backtests), the weekly
    backfill and the kept days another scorecard scored."""
    end = max(d for d in (last_outcome, as_of) if d)
    dates = {as_of, as_of - dt.timedelta(days=30), *kept_snapshot_dates(end, as_of)}
    dates |= {as_of - dt.timedelta(days=7 * week) for week in range(1, backfill_weeks + 1)}
    if scorecard and stores.sources.has_table("score_snapshots"):
        dates |= set(days_scored_by_another(stores.sources, as_of, scorecard))
    return sorted(dates)


def sync_from_warehouse(
    stores: Stores,
    config: WarehouseConfig,
    today: dt.date,
    *,
    as_of: dt.date | None = None,
    scorecard: str | None = None,
    backfill_weeks: int = 0,
    actor: str | None = None,
) -> WarehouseRun:
    """Run the feature query in the warehouse for every date the refresh needs, read the
    small tables, and only then store both (the small tables checked like an upload).
    Raises ``WarehouseError`` with the reason; then nothing here changed."""
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    if as_of is None:
        as_of, _ = scoring_date_in_warehouse(config, today)
    dates = needed_dates(stores, as_of, last_outcome_date(config), scorecard, backfill_weeks)
    seconds["dates"] = time.perf_counter() - started
    started = time.perf_counter()
    features = features_in_warehouse(config, dates)
    seconds["features"] = time.perf_counter() - started
    started = time.perf_counter()
    try:
        tables = reload_from_database(  # the one import flow, unattended
            small_tables_source(config),
            stores,
            today,
            rescore=lambda _: as_of,  # the caller scores once the features below are in
            actor=actor or "tandem (warehouse)",
        ).counts
    except (SourceError, FileError) as exc:
        raise WarehouseError(f"the small tables were not loaded: {exc}") from None
    with stores.sources.writer() as writer:
        writer.replace_mart("warehouse_features", features)
        writer.set_meta("warehouse_features_version", FEATURES_VERSION)
        writer.set_meta(WAREHOUSE_MODE, config.engine)
    seconds["small_tables"] = time.perf_counter() - started
    return WarehouseRun(
        as_of=as_of,
        dates=dates,
        feature_rows=features.height,
        feature_bytes=int(features.estimated_size()),
        tables=tables,
        seconds={k: round(v, 3) for k, v in seconds.items()},
    )
