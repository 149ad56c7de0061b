"""The canonical schema: one pydantic model per source table (DESIGN.md).

These models are the single source of truth. The DuckDB DDL and the Polars schemas are generated
from them, so a column added here appears everywhere.
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from typing import Literal

import polars as pl
from pydantic import BaseModel, Field

SCHEMA_VERSION = 2


class Account(BaseModel):
    """A customer account as the CRM knows it; ``am_owner`` empty means no AM."""

    account_id: str
    account_name: str
    segment: str | None = None
    industry: str | None = None
    region: str | None = None
    plan: str | None = None
    csm_owner: str | None = None
    am_owner: str | None = None
    arr: float | None = Field(None, ge=0)
    currency: str | None = None
    licensed_seats: int | None = Field(None, ge=0)
    contract_start: dt.date | None = None
    renewal_date: dt.date | None = None
    status: Literal["active", "churned"] | None = None


class Subscription(BaseModel):
    subscription_id: str
    account_id: str
    product: str | None = None
    arr: float | None = Field(None, ge=0)
    seats: int | None = Field(None, ge=0)
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    status: str | None = None
    auto_renew: bool | None = None


class Invoice(BaseModel):
    invoice_id: str
    account_id: str
    issued_on: dt.date | None = None
    due_on: dt.date | None = None
    paid_on: dt.date | None = None
    amount: float | None = Field(None, ge=0)
    status: str | None = None


class UsageEvent(BaseModel):
    """One product event, or one pre-aggregated day (then ``quantity`` counts events)."""

    account_id: str
    occurred_at: dt.datetime
    user_id: str | None = None
    feature: str | None = None
    quantity: int = 1
    active_users: int | None = None


class Ticket(BaseModel):
    ticket_id: str
    account_id: str
    created_at: dt.datetime
    resolved_at: dt.datetime | None = None
    priority: Literal["low", "normal", "high", "urgent"] | None = None
    status: str | None = None
    csat: int | None = Field(None, ge=1, le=5)
    category: str | None = None


class Survey(BaseModel):
    account_id: str
    responded_at: dt.datetime
    score: float
    kind: Literal["nps", "csat"] | None = None
    respondent: str | None = None


class Activity(BaseModel):
    account_id: str
    occurred_at: dt.datetime
    kind: Literal["call", "email", "meeting", "qbr", "note", "outcome", "milestone"] | None = None
    author: str | None = None
    role: Literal["csm", "am"] | None = None
    summary: str | None = None


class Outcome(BaseModel):
    account_id: str
    occurred_on: dt.date
    event: Literal["renewed", "churned", "expanded", "contracted"]
    arr_change: float | None = None


class Owner(BaseModel):
    owner: str
    role: Literal["csm", "am", "both", "leader"] | None = None
    email: str | None = None
    team: str | None = None


SOURCE_TABLES: dict[str, type[BaseModel]] = {
    "accounts": Account,
    "subscriptions": Subscription,
    "invoices": Invoice,
    "usage_events": UsageEvent,
    "tickets": Ticket,
    "surveys": Survey,
    "activities": Activity,
    "outcomes": Outcome,
    "owners": Owner,
}

# The column that dates each table's rows (for the Data page's date range and freshness).
DATE_COLUMNS: dict[str, str | None] = {
    "accounts": "contract_start",
    "subscriptions": "start_date",
    "invoices": "issued_on",
    "usage_events": "occurred_at",
    "tickets": "created_at",
    "surveys": "responded_at",
    "activities": "occurred_at",
    "outcomes": "occurred_on",
    "owners": None,
}

_DUCKDB_TYPES: dict[type, str] = {
    str: "VARCHAR",
    int: "BIGINT",
    float: "DOUBLE",
    bool: "BOOLEAN",
    dt.date: "DATE",
    dt.datetime: "TIMESTAMP",
}
_POLARS_TYPES: dict[type, pl.DataType] = {
    str: pl.String(),
    int: pl.Int64(),
    float: pl.Float64(),
    bool: pl.Boolean(),
    dt.date: pl.Date(),
    dt.datetime: pl.Datetime("us"),
}


def _base_type(annotation: object) -> type:
    """The plain Python type behind ``X | None`` and ``Literal[...]``."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        (inner,) = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _base_type(inner)
    if origin is Literal:
        return type(typing.get_args(annotation)[0])
    return annotation  # type: ignore[return-value]


def columns(table: str) -> dict[str, type]:
    """Canonical columns of ``table`` with their plain Python types, in order."""
    model = SOURCE_TABLES[table]
    return {name: _base_type(f.annotation) for name, f in model.model_fields.items()}


def required_columns(table: str) -> list[str]:
    """The columns an import must provide for ``table``."""
    return [n for n, f in SOURCE_TABLES[table].model_fields.items() if f.is_required()]


def polars_schema(table: str) -> pl.Schema:
    """The Polars schema of a canonical table."""
    return pl.Schema({name: _POLARS_TYPES[t] for name, t in columns(table).items()})


def ddl(table: str) -> str:
    """``CREATE TABLE`` statement for a canonical table, generated from its model."""
    required = set(required_columns(table))
    cols = ",\n  ".join(
        f"{name} {_DUCKDB_TYPES[t]}{' NOT NULL' if name in required else ''}"
        for name, t in columns(table).items()
    )
    return f"CREATE TABLE IF NOT EXISTS {table} (\n  {cols}\n)"


def conform(table: str, frame: pl.DataFrame) -> pl.DataFrame:
    """Select and cast ``frame`` to the canonical columns of ``table`` (missing ones as null)."""
    schema = polars_schema(table)
    return frame.select(
        [
            (pl.col(name) if name in frame.columns else pl.lit(None)).cast(dtype).alias(name)
            for name, dtype in schema.items()
        ]
    )
