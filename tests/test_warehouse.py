"""Warehouse mode on a real PostgreSQL (loopback, started here): the feature query computed
there equals DuckDB's cell for cell, and a refresh fed by it publishes the same scores as a
local one, with no usage event copied to the local store."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from dashboard.cli import main
from dashboard.config import get_settings
from dashboard.ingest.demo import DemoSpec, load_demo
from dashboard.ingest.warehouse import (
    WarehouseConfig,
    WarehouseError,
    features_in_warehouse,
    scoring_date_in_warehouse,
    warehouse_config,
)
from dashboard.jobs.refresh import refresh
from dashboard.jobs.warehouse import sync_from_warehouse
from dashboard.schema import SOURCE_TABLES
from dashboard.store import Stores
from dashboard.store.features import FeaturesUnavailable, default_as_of, features_at
from tests.pg import PASSWORD, find_bin, postgres_server
from tests.warehouse_data import (
    ACCOUNTS,
    ANCHOR,
    AS_OF_DATES,
    SEED,
    copy_to_postgres,
    differences,
)

if not find_bin("initdb"):
    if os.environ.get("CI"):
        pytest.fail("PostgreSQL is missing in CI: .ci/run should have installed it", pytrace=False)
    pytest.skip("Debian's postgresql package is not installed", allow_module_level=True)

SCHEMA = "tandem"
# features the fixture holds the same for every account (presence of a whole source)
CONSTANT = {"has_tickets", "has_surveys", "has_invoices", "has_activities", "features_in_catalog"}


@pytest.fixture(scope="module")
def portfolio(tmp_path_factory) -> Stores:
    stores = Stores.open(tmp_path_factory.mktemp("local"))
    load_demo(stores.sources, DemoSpec(accounts=ACCOUNTS, seed=SEED, anchor=ANCHOR))
    with stores.sources.writer() as writer:  # some renewals estimated: each engine's date text
        writer.execute("UPDATE accounts SET renewal_date = NULL WHERE hash(account_id) % 9 = 0")
    return stores


@pytest.fixture(scope="module")
def warehouse(portfolio: Stores) -> WarehouseConfig:
    with postgres_server() as uri:
        copy_to_postgres(portfolio, uri, SCHEMA)
        import adbc_driver_postgresql.dbapi as driver

        con = driver.connect(uri)  # a server in another zone: timestamps must not move
        cur = con.cursor()
        cur.execute("ALTER DATABASE postgres SET timezone TO 'Pacific/Auckland'")
        con.commit()
        con.close()
        yield WarehouseConfig(url=uri, schema=SCHEMA)


def test_postgres_computes_the_features_cell_for_cell(portfolio: Stores, warehouse):
    local = features_at(portfolio.sources, AS_OF_DATES)
    remote = features_in_warehouse(warehouse, AS_OF_DATES)
    assert local.height > 900 and local.width == 47
    varied = local.select(pl.all().n_unique())
    assert [c for c in local.columns if varied[c].item() < 2] == sorted(
        CONSTANT, key=local.columns.index
    )  # every other feature takes several values
    query = local.drop("arr")  # the ARR on a date is the glossary's (arr_on), joined here
    assert remote.schema == query.schema
    assert differences(query, remote) == []


def test_the_scoring_date_is_the_same_rule(portfolio: Stores, warehouse):
    for today in (ANCHOR, dt.date(2025, 12, 31), dt.date(2026, 3, 1)):
        as_of, _ = scoring_date_in_warehouse(warehouse, today)
        assert as_of == default_as_of(portfolio.sources, today)


def scores(stores: Stores) -> tuple[pl.DataFrame, pl.DataFrame]:
    health = stores.sources.query(
        "SELECT account_id, health, band, coverage FROM account_scores ORDER BY account_id"
    )
    drivers = stores.sources.query("SELECT * FROM account_drivers ORDER BY account_id, component")
    return health, drivers


@pytest.fixture(scope="module")
def synced(warehouse, tmp_path_factory) -> Stores:
    """A store of its own refreshed in warehouse mode."""
    root = tmp_path_factory.mktemp("remote")
    remote = Stores.open(root)
    run = sync_from_warehouse(remote, warehouse, ANCHOR)
    refresh(remote, run.as_of, root, digests=False)
    remote.sources.close()
    return remote


def test_warehouse_refresh_publishes_the_local_scores(portfolio: Stores, synced, tmp_path):
    as_of = default_as_of(portfolio.sources, ANCHOR)
    refresh(portfolio, as_of, tmp_path, digests=False)
    assert synced.sources.query("SELECT max(as_of) FROM account_scores").item() == as_of
    assert synced.sources.row_count("usage_events") == 0
    assert portfolio.sources.row_count("usage_events") > 100_000
    assert synced.sources.row_count("accounts") == ACCOUNTS
    (health, drivers), (health_w, drivers_w) = scores(portfolio), scores(synced)
    assert health.height > 200 and drivers.height > 200
    # cell for cell (a float within 1e-9; DuckDB's -0.0 equals PostgreSQL's 0.0)
    assert_frame_equal(health, health_w, check_exact=False, rel_tol=1e-9)
    causes = drivers.select("account_id", "component", "cause").join(
        drivers_w.select("account_id", "component", "cause"), on=["account_id", "component"]
    )
    assert causes.filter(pl.col("cause") != pl.col("cause_right")).rows()[:3] == []
    assert_frame_equal(drivers, drivers_w, check_exact=False, rel_tol=1e-9)
    # a date the warehouse did not compute is never computed from the empty local events
    with pytest.raises(FeaturesUnavailable, match="computed none for 2020-01-01"):
        features_at(synced.sources, [dt.date(2020, 1, 1)])


def test_a_failed_warehouse_run_changes_nothing_and_says_why(warehouse, synced):
    before = synced.sources.generation()
    wrong = WarehouseConfig(url=warehouse.url.replace(PASSWORD, "not-the-Pa55"), schema=SCHEMA)
    with pytest.raises(WarehouseError) as failed:
        sync_from_warehouse(synced, wrong, ANCHOR)
    assert "password authentication failed" in str(failed.value)
    assert "not-the-Pa55" not in str(failed.value) and ":***@" in str(failed.value)
    slow = WarehouseConfig(url=warehouse.url, schema=SCHEMA, timeout_seconds=0.001)
    with pytest.raises(WarehouseError, match="statement timeout"):
        sync_from_warehouse(synced, slow, ANCHOR)
    missing = WarehouseConfig(url=warehouse.url, schema="nowhere")
    with pytest.raises(WarehouseError, match='relation "nowhere.usage_events" does not exist'):
        sync_from_warehouse(synced, missing, ANCHOR)
    assert synced.sources.generation() == before
    capped = WarehouseConfig(url=warehouse.url, schema=SCHEMA, max_rows=100)
    with pytest.raises(WarehouseError, match="more than 100 rows, the cap"):
        features_in_warehouse(capped, [ANCHOR])


def test_engines_not_run_here_are_refused_before_any_connection(monkeypatch, tmp_path):
    monkeypatch.setenv("TANDEM_WAREHOUSE_URL", "snowflake://tandem:pw@example.invalid/db")
    monkeypatch.setenv("TANDEM_WAREHOUSE_SCHEMA", "analytics.tandem")
    config = warehouse_config(tmp_path / "none.toml")
    assert config is not None and config.engine == "snowflake"
    with pytest.raises(WarehouseError, match="snowflake: compiled only") as refused:
        features_in_warehouse(config, [ANCHOR])
    assert "pw@" not in str(refused.value)
    monkeypatch.setenv("TANDEM_WAREHOUSE_URL", "mysql://x/y")
    with pytest.raises(WarehouseError, match="unknown scheme 'mysql'"):
        warehouse_config(tmp_path / "none.toml")
    monkeypatch.setenv("TANDEM_WAREHOUSE_URL", "postgresql://127.0.0.1/db")
    monkeypatch.setenv("TANDEM_WAREHOUSE_SCHEMA", "x; DROP TABLE y")
    with pytest.raises(WarehouseError, match="is not a schema name"):
        warehouse_config(tmp_path / "none.toml")


def test_warehouse_settings_from_secrets(monkeypatch, tmp_path: Path):
    for key in ("TANDEM_WAREHOUSE_URL", "TANDEM_WAREHOUSE_SCHEMA"):
        monkeypatch.delenv(key, raising=False)
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(
        '[tandem.warehouse]\nurl = "postgresql://u:pw@127.0.0.1:1/db"\nschema = "dbt_prod"\n'
        "timeout_seconds = 30\nmax_rows = 1000\n"
    )
    config = warehouse_config(secrets)
    assert config == WarehouseConfig("postgresql://u:pw@127.0.0.1:1/db", "dbt_prod", 30, 1000)
    assert config.redacted_url() == "postgresql://u:***@127.0.0.1:1/db"


@pytest.fixture
def tandem(monkeypatch, capsys):
    """Run a ``tandem`` command in this process (a subprocess spends ~15 s importing on
    this shared machine): ``tandem(*args, **env)`` -> (exit code, stdout, stderr)."""

    def run(*args: str, **env: str) -> tuple[int, str, str]:
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        get_settings.cache_clear()
        capsys.readouterr()
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    yield run
    get_settings.cache_clear()


def test_refresh_command_exits_3_when_the_warehouse_fails(warehouse, tmp_path, tandem):
    code, out, err = tandem(
        "refresh",
        TANDEM_DATA_DIR=str(tmp_path),
        TANDEM_WAREHOUSE_URL=warehouse.url.replace(PASSWORD, "not-the-Pa55"),
        TANDEM_WAREHOUSE_SCHEMA=SCHEMA,
    )
    assert code == 3, err
    assert "the warehouse run failed; nothing was published" in err
    assert "password authentication failed" in err
    assert "not-the-Pa55" not in err + out and PASSWORD not in err
    assert Stores.open(tmp_path).sources.generation() is None


def test_features_command_writes_the_warehouse_table_a_team_can_compare(
    portfolio: Stores, warehouse, tmp_path, tandem
):
    out = tmp_path / "features.parquet"
    code, printed, err = tandem(
        "features",
        "--engine",
        warehouse.url,
        "--schema",
        SCHEMA,
        "--as-of",
        "2026-01-01",
        "--out",
        str(out),
    )
    assert code == 0, err
    assert PASSWORD not in printed + err
    local = features_at(portfolio.sources, [dt.date(2026, 1, 1)]).drop("arr")
    assert differences(local, pl.read_parquet(out)) == []
    code, printed, _ = tandem(
        "features", "--engine", "snowflake", "--schema", "a.b", "--as-of", "2026-01-01", "--sql"
    )
    assert code == 0 and "FROM a.b.usage_events" in printed


def test_warehouse_check_names_what_is_missing(warehouse, tandem):
    import adbc_driver_postgresql.dbapi as driver

    env = {"TANDEM_WAREHOUSE_URL": warehouse.url, "TANDEM_WAREHOUSE_SCHEMA": SCHEMA}
    code, out, err = tandem("warehouse", "check", **env)
    assert code == 0, out + err
    assert "accounts: 300 rows, ok" in out and PASSWORD not in out
    con = driver.connect(warehouse.url)
    cur = con.cursor()
    cur.execute("CREATE SCHEMA broken")
    cur.execute("CREATE TABLE broken.accounts (account_id text, arr text)")
    con.commit()
    con.close()
    code, out, err = tandem("warehouse", "check", **{**env, "TANDEM_WAREHOUSE_SCHEMA": "broken"})
    assert code == 1
    assert "usage_events: missing" in out
    assert "column arr is text, which does not hold a float" in out
    assert "column account_name is missing" in out
    # accounts is there but wrong; every other table is missing (usage_daily is not read in
    # the default usage mode, events)
    every = len(SOURCE_TABLES) - 1
    assert f"{every} of {every} tables need attention" in err
