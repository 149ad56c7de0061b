"""A connected database as a source: per canonical table, a table name or an SQL query in that
database's dialect, read through an Arrow-native ADBC driver (PostgreSQL, SQLite). The reload
goes through the one import flow (``workflows/import_flow.py``: checked like an upload, then
loaded and rescored). Credentials never reach the UI, logs or messages."""

from __future__ import annotations

import json
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from dashboard.ingest.limits import Limits, limits_from_settings
from dashboard.schema import SOURCE_TABLES

TABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$")


class SourceError(RuntimeError):
    """The connected source cannot be read; the message is safe to show (no credentials)."""


@dataclass(frozen=True)
class SourceConfig:
    uri: str
    tables: dict[str, str] = field(default_factory=dict)  # canonical -> table name or query
    timeout_seconds: int = 10

    def redacted_uri(self) -> str:
        return redact_uri(self.uri)


def redact_uri(uri: str) -> str:
    """``postgresql://user:secret@host/db`` -> ``postgresql://user:***@host/db``."""
    parts = urlsplit(uri)
    if parts.password is None:
        return uri
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    query = urlencode([(k, "***" if "pass" in k.lower() else v) for k, v in parse_qsl(parts.query)])
    return urlunsplit(parts._replace(netloc=netloc, query=query))


def redact(text: str, config: SourceConfig) -> str:
    """Remove the password (and the full URI) from a driver's message."""
    parts = urlsplit(config.uri)
    text = text.replace(config.uri, config.redacted_uri())
    if parts.password:
        text = text.replace(parts.password, "***")
    return text


def source_config(secrets_file: Path | None = None) -> SourceConfig | None:
    """The configured source: ``TANDEM_SOURCE_URI`` and ``TANDEM_SOURCE_TABLES`` (JSON), or the
    ``[tandem.source]`` section of ``.streamlit/secrets.toml``. None when nothing is set."""
    uri = os.environ.get("TANDEM_SOURCE_URI")
    tables: dict[str, Any] = json.loads(os.environ.get("TANDEM_SOURCE_TABLES", "{}") or "{}")
    timeout = int(os.environ.get("TANDEM_SOURCE_TIMEOUT", "10"))
    path = secrets_file or Path(".streamlit") / "secrets.toml"
    if not uri and path.exists():
        section = tomllib.loads(path.read_text()).get("tandem", {}).get("source", {})
        uri = section.get("uri")
        tables = section.get("tables", {})
        timeout = int(section.get("timeout_seconds", timeout))
    if not uri:
        return None
    unknown = sorted(set(tables) - set(SOURCE_TABLES))
    if unknown:
        raise SourceError(f"source tables: unknown canonical table {', '.join(unknown)}")
    return SourceConfig(uri=uri, tables=dict(tables), timeout_seconds=timeout)


def _query_for(spec: str) -> str:
    spec = spec.strip()
    if TABLE_NAME.match(spec):
        return "SELECT * FROM " + ".".join(f'"{p}"' for p in spec.split("."))
    return spec


def _with_timeout(uri: str, seconds: int) -> str:
    if not uri.startswith(("postgresql://", "postgres://")) or "connect_timeout" in uri:
        return uri
    return uri + ("&" if "?" in uri else "?") + f"connect_timeout={seconds}"


def _plain_arrow(table: pa.Table) -> pa.Table:
    """Cast decimals (PostgreSQL NUMERIC) and other exotic types to plain ones."""
    cols = []
    for column in table.columns:
        if pa.types.is_decimal(column.type):
            column = pc.cast(column, pa.float64())
        elif not (
            pa.types.is_primitive(column.type)
            or pa.types.is_string(column.type)
            or pa.types.is_large_string(column.type)
            or pa.types.is_temporal(column.type)
        ):
            column = pc.cast(column, pa.string())
        cols.append(column)
    return pa.table(cols, names=table.column_names)


def read_table(config: SourceConfig, spec: str, limits: Limits | None = None) -> pl.DataFrame:
    """One canonical table from the database, through the ADBC driver, at most the import's
    row limit (one row more is read, to say so)."""
    limits = limits or limits_from_settings()
    query = f"SELECT * FROM ({_query_for(spec).rstrip().rstrip(';')}) AS source LIMIT {limits.max_rows + 1}"
    uri = _with_timeout(config.uri, config.timeout_seconds)
    try:
        if uri.startswith("sqlite"):
            import adbc_driver_sqlite.dbapi as driver

            target = uri.split("://", 1)[1].lstrip("/") if "://" in uri else uri
            target = "/" + target if uri.startswith("sqlite:////") else target
            con = driver.connect(target)
        else:
            import adbc_driver_postgresql.dbapi as driver

            con = driver.connect(uri)
        try:
            cur = con.cursor()
            cur.execute(query)
            table = cur.fetch_arrow_table()
            cur.close()
        finally:
            con.close()
    except Exception as exc:  # drivers raise their own error types; all become SourceError
        message = redact(
            str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__, config
        )
        raise SourceError(f"{config.redacted_uri()}: {message}") from None
    if table.num_rows > limits.max_rows:
        raise SourceError(
            f"{spec}: more than {limits.max_rows:,} rows; the limit is TANDEM_MAX_ROWS"
        )
    if table.num_columns > limits.max_columns:
        raise SourceError(
            f"{spec}: {table.num_columns:,} columns; the limit is {limits.max_columns:,}"
        )
    frame = pl.from_arrow(_plain_arrow(table))
    assert isinstance(frame, pl.DataFrame)
    return frame
