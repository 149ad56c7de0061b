"""The team's warehouse as the place the feature query runs (``TANDEM_WAREHOUSE_URL``).

The canonical tables live in one schema there (``TANDEM_WAREHOUSE_SCHEMA``: the team's own
models, or the views Tandem generates); the feature query, compiled for the engine
(``dashboard.store.dialects``), runs there and one row per account and date comes back, and
the small tables come back as they are. Raw usage events never leave the warehouse.

Engines that run here: ``postgresql://`` (ADBC) and ``spark://local`` (a local pyspark
session). ``databricks://``, ``snowflake://`` and ``bigquery://`` are compiled for (the
golden files in the tests), with no driver shipped: the message says so. Every statement
has a timeout and what comes back a row cap; credentials are never in a message."""

from __future__ import annotations

import datetime as dt
import os
import re
import threading
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import duckdb
import polars as pl
import pyarrow as pa

from dashboard.ingest.connectors import SourceConfig, _plain_arrow, redact_uri
from dashboard.schema import SOURCE_TABLES
from dashboard.store.ddl import ddl
from dashboard.store.dialects import CompileError, compile_features, compile_sql
from dashboard.store.features import (
    ACCOUNT_FEATURES_SQL,
    ACTIVITY_DATES,
    NO_CHURNS,
    USAGE_SOURCES,
    WINDOWS,
    Windows,
    feature_params,
)
from scoring.glossary import churn_dates

# the URL's scheme -> the engine the SQL is compiled for
SCHEMES: dict[str, str] = {
    "postgresql": "postgres",
    "postgres": "postgres",
    "spark": "spark",
    "databricks": "databricks",
    "snowflake": "snowflake",
    "bigquery": "bigquery",
}
RUNS_HERE = ("postgres", "spark")  # engines with a driver in Tandem's dependencies
SCHEMA_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$")
# the tables that come back as they are; the usage tables (raw events, daily roll-up) stay
USAGE_TABLES = ("usage_events", "usage_daily")
SMALL_TABLES: tuple[str, ...] = tuple(t for t in SOURCE_TABLES if t not in USAGE_TABLES)


class WarehouseError(RuntimeError):
    """The warehouse cannot run the query; the message is safe to show (no credentials)."""


@dataclass(frozen=True)
class WarehouseConfig:
    url: str
    schema: str
    timeout_seconds: int = 600  # each statement
    max_rows: int = 5_000_000  # rows one query may bring back
    usage: str = "events"  # where usage is read: events, daily (usage_daily) or both

    def __post_init__(self) -> None:
        if self.usage not in USAGE_SOURCES:
            raise WarehouseError(
                f"TANDEM_WAREHOUSE_USAGE: {self.usage!r} is not one of {', '.join(USAGE_SOURCES)}"
            )

    @property
    def tables(self) -> tuple[str, ...]:
        """The canonical tables the schema must hold: the small ones and the usage in use."""
        used = USAGE_SOURCES[self.usage]
        return tuple(t for t in SOURCE_TABLES if t not in USAGE_TABLES or t in used)

    @property
    def engine(self) -> str:
        scheme = urlsplit(self.url).scheme.split("+")[0].lower()
        if scheme not in SCHEMES:
            raise WarehouseError(
                f"TANDEM_WAREHOUSE_URL: unknown scheme {scheme!r}; one of "
                + ", ".join(f"{s}://" for s in SCHEMES)
            )
        return SCHEMES[scheme]

    def redacted_url(self) -> str:
        return redact_uri(self.url)

    def redact(self, text: str) -> str:
        """A driver's message with the URL and its password taken out."""
        password = urlsplit(self.url).password
        text = text.replace(self.url, self.redacted_url())
        return text.replace(password, "***") if password else text


def warehouse_config(secrets_file: Path | None = None) -> WarehouseConfig | None:
    """``TANDEM_WAREHOUSE_URL`` and ``TANDEM_WAREHOUSE_SCHEMA`` (plus ``_TIMEOUT`` seconds,
    ``_MAX_ROWS`` and ``_USAGE``: ``events``, ``daily`` or ``both``), or the
    ``[tandem.warehouse]`` section of ``.streamlit/secrets.toml`` (``url``, ``schema``,
    ``timeout_seconds``, ``max_rows``, ``usage``). None when no URL is set."""
    env = os.environ
    section: dict[str, Any] = {}
    path = secrets_file or Path(".streamlit") / "secrets.toml"
    if not env.get("TANDEM_WAREHOUSE_URL") and path.exists():
        section = tomllib.loads(path.read_text()).get("tandem", {}).get("warehouse", {})
    url = env.get("TANDEM_WAREHOUSE_URL") or section.get("url")
    if not url:
        return None
    schema = env.get("TANDEM_WAREHOUSE_SCHEMA") or section.get("schema") or "public"
    if not SCHEMA_NAME.match(schema):
        raise WarehouseError(f"TANDEM_WAREHOUSE_SCHEMA: {schema!r} is not a schema name")
    config = WarehouseConfig(
        url=url,
        schema=schema,
        timeout_seconds=int(
            env.get("TANDEM_WAREHOUSE_TIMEOUT") or section.get("timeout_seconds", 600)
        ),
        max_rows=int(env.get("TANDEM_WAREHOUSE_MAX_ROWS") or section.get("max_rows", 5_000_000)),
        usage=env.get("TANDEM_WAREHOUSE_USAGE") or section.get("usage", "events"),
    )
    config.engine  # noqa: B018 - an unknown scheme is refused here, before any connection
    return config


# -- running SQL there -------------------------------------------------------------------------


def _capped(sql: str, max_rows: int) -> str:
    return f"SELECT * FROM (\n{sql.rstrip().rstrip(';')}\n) AS capped LIMIT {max_rows + 1}"


_spark_lock = threading.Lock()
_spark_sessions: dict[str, Any] = {}


def spark_session(url: str) -> Any:
    """The local Spark session of ``spark://local`` (one per process; UTC, 2 shuffle
    partitions: the machine's size, not a cluster's)."""
    target = urlsplit(url).netloc or "local"
    if target != "local":
        raise WarehouseError(
            f"{redact_uri(url)}: only spark://local runs here (Databricks: compiled only)"
        )
    with _spark_lock:
        if "local" not in _spark_sessions:
            try:
                from pyspark.sql import SparkSession
            except ImportError:
                raise WarehouseError(
                    "spark://local needs pyspark and a Java runtime (pip install pyspark)"
                ) from None
            _spark_sessions["local"] = (
                SparkSession.builder.master("local[2]")
                .appName("tandem")
                .config("spark.sql.session.timeZone", "UTC")
                .config("spark.sql.shuffle.partitions", "2")
                .config("spark.ui.enabled", "false")
                .config("spark.driver.memory", "4g")  # 2g ran out of heap on the roll-up test (CI)
                .config("spark.ui.showConsoleProgress", "false")
                .getOrCreate()
            )
        return _spark_sessions["local"]


def _postgres_arrow(config: WarehouseConfig, sql: str) -> pa.Table:
    import adbc_driver_postgresql.dbapi as driver

    uri = config.url
    if "connect_timeout" not in uri:
        uri += ("&" if "?" in uri else "?") + "connect_timeout=10"
    con = driver.connect(uri)
    try:
        cur = con.cursor()
        cur.execute(f"SET statement_timeout = {int(config.timeout_seconds * 1000)}")
        cur.execute("SET TIME ZONE 'UTC'")
        # The planner misjudges the feature query's filtered, churn-joined accounts as one
        # row and chains nested loops over ~100,000 x dates of them: at 100,000 accounts /
        # 10M events one date ran 14 minutes for 22,490 rows, and 12 s with hash and merge
        # joins only (bench/run.py --stages warehouse). Nothing here needs a nested loop.
        cur.execute("SET enable_nestloop = off")
        cur.execute(sql)
        table = cur.fetch_arrow_table()
        cur.close()
        return table
    finally:
        con.close()


def _spark_arrow(config: WarehouseConfig, sql: str) -> pa.Table:
    spark = spark_session(config.url)
    group = f"tandem-{threading.get_ident()}"
    spark.sparkContext.setJobGroup(group, "tandem", interruptOnCancel=True)
    timer = threading.Timer(config.timeout_seconds, spark.sparkContext.cancelJobGroup, [group])
    timer.start()
    try:
        return spark.sql(sql).toArrow()
    finally:
        timer.cancel()


def run_query(config: WarehouseConfig, sql: str, what: str = "the query") -> pl.DataFrame:
    """``sql`` (already in the engine's dialect) run in the warehouse, at most ``max_rows``
    rows back (one more is read, to say so)."""
    engine = config.engine
    if engine not in RUNS_HERE:
        raise WarehouseError(
            f"{engine}: compiled only, not run here (no driver in Tandem's dependencies); "
            "`tandem features --engine` and the golden files show the SQL it would run"
        )
    try:
        reader = _postgres_arrow if engine == "postgres" else _spark_arrow
        table = reader(config, _capped(sql, config.max_rows))
    except WarehouseError:
        raise
    except Exception as exc:  # drivers raise their own error types; all become WarehouseError
        text = str(exc).strip()
        first = text.splitlines()[0] if text else type(exc).__name__
        raise WarehouseError(
            f"{config.redacted_url()}: {what} failed: {config.redact(first)}"
        ) from None
    if table.num_rows > config.max_rows:
        raise WarehouseError(
            f"{what} brought back more than {config.max_rows:,} rows, the cap"
            " (TANDEM_WAREHOUSE_MAX_ROWS); nothing was used"
        )
    frame = pl.from_arrow(_plain_arrow(table))
    assert isinstance(frame, pl.DataFrame)
    return frame


# -- what comes back ---------------------------------------------------------------------------

_feature_schema: list[pl.Schema] = []


def feature_schema() -> pl.Schema:
    """The columns and types of DuckDB's feature table (an empty one, in memory)."""
    if not _feature_schema:
        con = duckdb.connect()
        try:
            for table in SOURCE_TABLES:
                con.execute(ddl(table))
            params = feature_params([dt.date(2000, 1, 1)], NO_CHURNS)
            _feature_schema.append(con.sql(ACCOUNT_FEATURES_SQL, params=params).pl().schema)
        finally:
            con.close()
    return _feature_schema[0]


def conform_features(frame: pl.DataFrame) -> pl.DataFrame:
    """The warehouse's feature rows in DuckDB's columns and types (an ``INT`` that came back
    ``BIGINT``, a ``NUMERIC`` as a float, Spark's ``TIMESTAMP`` without its zone)."""
    schema = feature_schema()
    missing = [c for c in schema if c not in frame.columns]
    if missing:
        raise WarehouseError(f"the feature rows came back without {', '.join(missing)}")
    cast = []
    for name, dtype in schema.items():
        column = pl.col(name)
        if isinstance(frame.schema[name], pl.Datetime) and frame.schema[name].time_zone:
            column = column.dt.replace_time_zone(None)
        cast.append(column.cast(dtype).alias(name))
    return frame.select(cast)


def features_in_warehouse(
    config: WarehouseConfig, dates: Sequence[dt.date], windows: Windows = WINDOWS
) -> pl.DataFrame:
    """The feature table at ``dates``, computed in the warehouse: one row per account live on
    each date, in DuckDB's types."""
    try:
        churns = churns_in_warehouse(config)
        sql = compile_features(
            config.engine, dates, windows, config.schema, churns, usage=config.usage
        )
    except CompileError as exc:
        raise WarehouseError(
            f"the feature query does not compile for {config.engine}: {exc}"
        ) from None
    found = run_query(config, sql, f"the feature query ({len(set(dates))} dates)")
    return conform_features(found).sort("as_of", "account_id")


def churns_in_warehouse(config: WarehouseConfig) -> pl.DataFrame:
    """Every account there with ``churned`` and ``churned_on``, read by the glossary's one
    rule (``churn_dates``) from the warehouse's accounts and outcomes, as the local store's
    ``account_churns`` reads its own."""

    def table(sql: str, what: str) -> pl.LazyFrame:
        return run_query(config, compile_sql(sql, config.engine, {}, config.schema), what).lazy()

    accounts = table("SELECT account_id, status FROM accounts", "the accounts' status")
    outcomes = table(
        "SELECT account_id, CAST(occurred_on AS DATE) AS occurred_on, event FROM outcomes",
        "the outcomes",
    )
    return churn_dates(accounts, outcomes).collect()


def scoring_date_in_warehouse(config: WarehouseConfig, today: dt.date) -> tuple[dt.date, int]:
    """The date the warehouse's data is scored as of (``features.scoring_date``'s rule: the
    day after the last activity fact, never after ``today``) and its future-dated rows."""
    parts = " UNION ALL ".join(
        f"SELECT max(CAST({column} AS DATE)) FILTER (WHERE CAST({column} AS DATE) <= $today)"
        f" AS last_date, count(*) FILTER (WHERE CAST({column} AS DATE) > $today) AS future_rows"
        f" FROM {table}"
        for table, column in ACTIVITY_DATES.items()
        if table in config.tables
    )
    sql = f"SELECT max(last_date) AS last_date, sum(future_rows) AS future_rows FROM ({parts})"
    found = run_query(
        config,
        compile_sql(sql, config.engine, {"today": today}, config.schema),
        "the scoring date",
    )
    last, future = found.row(0)
    as_of = today if last is None else min(last + dt.timedelta(days=1), today)
    return as_of, int(future or 0)


def last_outcome_date(config: WarehouseConfig) -> dt.date | None:
    """The last outcome's date there (the end of the history the backtests look at)."""
    sql = compile_sql(
        "SELECT max(occurred_on) AS last FROM outcomes", config.engine, {}, config.schema
    )
    return run_query(config, sql, "the last outcome").item()


def small_tables_source(config: WarehouseConfig) -> SourceConfig:
    """The small tables as the connected-database loader reads them (PostgreSQL): each
    ``schema.table``, checked like an upload; usage_events is not among them."""
    if config.engine != "postgres":
        raise WarehouseError(
            f"{config.engine}: the small tables are read from PostgreSQL only here"
        )
    return SourceConfig(
        uri=config.url,
        tables={t: f"{config.schema}.{t}" for t in SMALL_TABLES},
        timeout_seconds=min(config.timeout_seconds, 60),
    )


# -- `tandem warehouse check` ------------------------------------------------------------------

# information_schema.columns.data_type -> the canonical types it can hold
TYPE_FITS: dict[str, tuple[type, ...]] = {
    "text": (str,),
    "character varying": (str,),
    "character": (str,),
    "varchar": (str,),
    "string": (str,),
    "bigint": (int, float),
    "integer": (int, float),
    "smallint": (int, float),
    "numeric": (float, int),
    "double precision": (float,),
    "real": (float,),
    "boolean": (bool,),
    "date": (dt.date,),
    "timestamp without time zone": (dt.datetime,),
    "timestamp with time zone": (dt.datetime,),
}


@dataclass(frozen=True)
class TableCheck:
    table: str
    rows: int | None  # None: the table is missing
    problems: tuple[str, ...]


def check_warehouse(config: WarehouseConfig) -> list[TableCheck]:
    """Each canonical table in the schema: present, every column the feature query reads
    there with a type that holds it, and its rows. Reads only (``information_schema`` and
    ``count(*)``); never writes."""
    from dashboard.schema import columns

    if config.engine != "postgres":
        raise WarehouseError(f"{config.engine}: `tandem warehouse check` runs on PostgreSQL here")
    schema = config.schema.split(".")[-1]
    found = run_query(
        config,
        "SELECT table_name, column_name, data_type FROM information_schema.columns"
        f" WHERE table_schema = '{schema}'",
        "reading the schema",
    )
    checks = []
    for table in config.tables:
        have = {
            r["column_name"]: r["data_type"]
            for r in found.filter(pl.col("table_name") == table).iter_rows(named=True)
        }
        if not have:
            checks.append(TableCheck(table, None, (f"{config.schema}.{table} is missing",)))
            continue
        problems = []
        for name, kind in columns(table).items():
            if name not in have:
                problems.append(
                    f"column {name} is missing (the feature query reads every canonical "
                    "column: select it as NULL in the view if the source has none)"
                )
            elif kind not in TYPE_FITS.get(have[name].lower(), ()):
                problems.append(
                    f"column {name} is {have[name]}, which does not hold a {kind.__name__}"
                )
        rows = run_query(
            config, f'SELECT count(*) AS n FROM "{schema}"."{table}"', f"counting {table}"
        ).item()
        checks.append(TableCheck(table, int(rows), tuple(problems)))
    return checks
