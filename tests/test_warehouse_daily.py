"""The daily roll-up in warehouse mode, on a real PostgreSQL (loopback, started here): a schema
holding ``usage_daily`` and no raw events (``TANDEM_WAREHOUSE_USAGE=daily``), or both tables
(``both``), computes the features DuckDB computes from the raw events, cell for cell."""

from __future__ import annotations

import datetime as dt
import os

import pytest

from dashboard.ingest.warehouse import (
    WarehouseConfig,
    WarehouseError,
    check_warehouse,
    features_in_warehouse,
    scoring_date_in_warehouse,
    warehouse_config,
)
from dashboard.schema import SOURCE_TABLES
from dashboard.store import Stores
from dashboard.store.features import default_as_of, features_at
from tests.pg import find_bin, postgres_server
from tests.test_usage_daily import DATES, edge_events, open_with, roll_up
from tests.warehouse_data import ANCHOR, copy_to_postgres, differences

if not find_bin("initdb"):
    if os.environ.get("CI"):
        pytest.fail("PostgreSQL is missing in CI: .ci/run should have installed it", pytrace=False)
    pytest.skip("Debian's postgresql package is not installed", allow_module_level=True)

SPLIT = dt.date(2025, 12, 20)  # "both": the roll-up up to here and beyond, raw events after


@pytest.fixture(scope="module")
def stores(tmp_path_factory) -> dict[str, Stores]:
    """The same portfolio three ways: raw events only, the roll-up only, and the roll-up of
    every day beside the raw events after SPLIT (an overlap of three weeks)."""
    from dashboard.ingest.demo import DemoSpec, build_demo

    tables = build_demo(DemoSpec(accounts=100, seed=11, anchor=ANCHOR))
    accounts = tables["accounts"]["account_id"].sort().to_list()
    events = tables["usage_events"]
    tables["usage_events"] = events.vstack(edge_events(accounts).select(events.columns))
    events = tables["usage_events"]
    days = roll_up(events)
    recent = events.filter(events["occurred_at"].dt.date() > SPLIT)
    made = {}
    for name, usage in (
        ("raw", {"usage_events": events}),
        ("daily", {"usage_daily": days}),
        ("both", {"usage_events": recent, "usage_daily": days}),
    ):
        rest = {t: f for t, f in tables.items() if t != "usage_events"}
        made[name] = open_with(tmp_path_factory.mktemp(name), {**rest, **usage})
    return made


@pytest.fixture(scope="module")
def server(stores):
    """One PostgreSQL: schema ``daily`` holds no usage_events table at all (dropped), schema
    ``both`` holds both tables."""
    import adbc_driver_postgresql.dbapi as driver

    with postgres_server() as uri:
        every = [t for t in SOURCE_TABLES if t != "usage_events"]
        copy_to_postgres(stores["daily"], uri, "daily", tables=every)
        copy_to_postgres(stores["both"], uri, "both_grains")
        con = driver.connect(uri)  # a server in another zone: a day must not move
        cur = con.cursor()
        cur.execute("ALTER DATABASE postgres SET timezone TO 'America/Los_Angeles'")
        con.commit()
        con.close()
        yield uri


def test_postgres_features_from_the_roll_up_equal_duckdb_from_the_raw_events(stores, server):
    local = features_at(stores["raw"].sources, DATES).drop("arr")
    daily = WarehouseConfig(url=server, schema="daily", usage="daily")
    remote = features_in_warehouse(daily, DATES)
    assert local.height > 350 and remote.schema == local.schema
    assert local["events_last_30d"].sum() > 0 and local["active_users_last_30d"].sum() > 0
    assert differences(local, remote) == []
    both = WarehouseConfig(url=server, schema="both_grains", usage="both")
    assert differences(local, features_in_warehouse(both, DATES)) == []
    for today in (ANCHOR, dt.date(2025, 12, 31)):
        as_of, _ = scoring_date_in_warehouse(daily, today)
        assert as_of == default_as_of(stores["raw"].sources, today)


def test_a_schema_without_raw_events_is_complete_for_the_daily_mode(server):
    daily = WarehouseConfig(url=server, schema="daily", usage="daily")
    checks = {c.table: c for c in check_warehouse(daily)}
    assert "usage_events" not in checks and checks["usage_daily"].rows > 1000
    assert all(not c.problems for c in checks.values()), checks
    # the events mode on the same schema names the table it lacks
    events = WarehouseConfig(url=server, schema="daily", usage="events")
    lacking = {c.table: c.problems for c in check_warehouse(events) if c.problems}
    assert lacking == {"usage_events": ("daily.usage_events is missing",)}
    with pytest.raises(WarehouseError, match='relation "daily.usage_events" does not exist'):
        features_in_warehouse(events, [ANCHOR])


def test_the_usage_setting_is_read_and_checked(monkeypatch, tmp_path):
    monkeypatch.setenv("TANDEM_WAREHOUSE_URL", "postgresql://127.0.0.1:1/db")
    monkeypatch.setenv("TANDEM_WAREHOUSE_USAGE", "daily")
    config = warehouse_config(tmp_path / "none.toml")
    assert config is not None and config.usage == "daily"
    assert "usage_events" not in config.tables and "usage_daily" in config.tables
    monkeypatch.setenv("TANDEM_WAREHOUSE_USAGE", "hourly")
    with pytest.raises(WarehouseError, match="'hourly' is not one of events, daily, both"):
        warehouse_config(tmp_path / "none.toml")
    monkeypatch.delenv("TANDEM_WAREHOUSE_USAGE")
    default = warehouse_config(tmp_path / "none.toml")
    assert default is not None and default.usage == "events"
    assert "usage_daily" not in default.tables
