"""The canonical schema: one pydantic model per source table.

These models are the single source of truth. The DuckDB DDL, the Polars schemas, the import's
checks (types, ranges, fixed vocabularies) and the schema reference in ``docs/schema.md`` are
generated from them, so a column added here appears everywhere.
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from typing import Literal

import polars as pl
from pydantic import BaseModel, Field

SCHEMA_VERSION = 6


MONEY_MAX = 1e12  # no account, subscription or invoice is worth a trillion
SEATS_MAX = 10_000_000
COUNT_MAX = 1_000_000_000
EARLIEST = dt.date(1900, 1, 1)  # dates outside these are typing errors (0001-01-01, 99999)
LATEST = dt.date(2199, 12, 31)


def _money(description: str) -> typing.Any:
    return Field(None, ge=0, le=MONEY_MAX, description=description)


class Account(BaseModel):
    """A customer account as the CRM knows it; ``am_owner`` empty means no AM."""

    account_id: str = Field(description="the account's id in the CRM (unique)")
    account_name: str = Field(description="the company's name")
    segment: str | None = Field(None, description="e.g. Enterprise, Mid-Market, SMB")
    industry: str | None = Field(None, description="the company's industry")
    region: str | None = Field(None, description="sales region or country")
    plan: str | None = Field(None, description="the product plan or tier")
    csm_owner: str | None = Field(None, description="the Customer Success Manager's name")
    am_owner: str | None = Field(None, description="the Account Manager's name; empty: no AM")
    arr: float | None = _money("annual recurring revenue")
    currency: str | None = Field(None, description="currency of the money columns (USD)")
    licensed_seats: int | None = Field(None, ge=0, le=SEATS_MAX, description="seats licensed")
    contract_start: dt.date | None = Field(None, description="first day of the contract")
    renewal_date: dt.date | None = Field(None, description="next renewal (contract end)")
    status: Literal["active", "churned"] | None = Field(None, description="active or churned")
    domain: str | None = Field(
        None, description="the company's web or e-mail domain (acme.com): matches other systems"
    )


class Subscription(BaseModel):
    """A billing subscription; its ARR, seats and end date are checked against the CRM's."""

    subscription_id: str = Field(description="the subscription's id in billing (unique)")
    account_id: str = Field(description="the account it belongs to")
    product: str | None = Field(None, description="product or plan billed")
    arr: float | None = _money("annual recurring revenue billed")
    seats: int | None = Field(None, ge=0, le=SEATS_MAX, description="seats billed")
    start_date: dt.date | None = Field(None, description="first day billed")
    end_date: dt.date | None = Field(None, description="last day of the term")
    status: str | None = Field(None, description="billing status (active, canceled…)")
    auto_renew: bool | None = Field(None, description="renews by itself")


class Invoice(BaseModel):
    """An invoice; overdue = unpaid past ``due_on`` as of the scoring date."""

    invoice_id: str = Field(description="the invoice's id (unique)")
    account_id: str = Field(description="the account billed")
    issued_on: dt.date | None = Field(None, description="date issued")
    due_on: dt.date | None = Field(None, description="date due")
    paid_on: dt.date | None = Field(None, description="date paid; empty: unpaid")
    amount: float | None = _money("amount invoiced")
    status: str | None = Field(None, description="paid, open, void…")


class UsageEvent(BaseModel):
    """One product event, or one pre-aggregated day (then ``quantity`` counts events)."""

    account_id: str = Field(description="the account whose user acted")
    occurred_at: dt.datetime = Field(description="when (a day, for daily rows)")
    user_id: str | None = Field(None, description="who; empty for daily rows")
    feature: str | None = Field(None, description="the feature or event name")
    quantity: int = Field(1, ge=0, le=COUNT_MAX, description="events in the row (default 1)")
    active_users: int | None = Field(
        None, ge=0, le=SEATS_MAX, description="active users that day (daily rows without users)"
    )


class UsageDaily(BaseModel):
    """One user's use of one feature on one day: the daily roll-up of the usage events, for a
    team that keeps one row per account, user, feature and day instead of raw events. The
    features read from it equal those read from the events it rolls up (a day's events are
    ``events``; its distinct users and features are the distinct rows); where both tables
    cover an account's day, the raw events count and the roll-up's rows for it do not."""

    account_id: str = Field(description="the account whose user acted")
    user_id: str | None = Field(None, description="who; empty: the day's users not told apart")
    day: dt.date = Field(description="the day (UTC, as the events' occurred_at dates it)")
    feature: str | None = Field(None, description="the feature or event name")
    events: int = Field(ge=0, le=COUNT_MAX, description="events by that user and feature that day")


class Ticket(BaseModel):
    """A support ticket."""

    ticket_id: str = Field(description="the ticket's id (unique)")
    account_id: str = Field(description="the account that asked")
    created_at: dt.datetime = Field(description="when it was opened")
    resolved_at: dt.datetime | None = Field(None, description="when it was solved; empty: open")
    priority: Literal["low", "normal", "high", "urgent"] | None = Field(
        None, description="low, normal, high or urgent"
    )
    status: str | None = Field(None, description="open, solved, closed…")
    csat: int | None = Field(None, ge=1, le=5, description="the ticket's satisfaction, 1-5")
    category: str | None = Field(None, description="topic of the ticket")


class Survey(BaseModel):
    """An NPS (0-10) or CSAT (1-5) response."""

    account_id: str = Field(description="the account that answered")
    responded_at: dt.datetime = Field(description="when")
    score: float = Field(ge=0, le=10, description="0-10 for NPS, 1-5 for CSAT")
    kind: Literal["nps", "csat"] | None = Field(None, description="nps (default) or csat")
    respondent: str | None = Field(None, description="who answered (masked on screen)")


class Activity(BaseModel):
    """A touch, note, outcome or milestone logged in the CRM or the CS tool."""

    account_id: str = Field(description="the account")
    occurred_at: dt.datetime = Field(description="when")
    kind: Literal["call", "email", "meeting", "qbr", "note", "outcome", "milestone"] | None = Field(
        None, description="call, email, meeting, qbr, note, outcome or milestone"
    )
    author: str | None = Field(None, description="who logged it")
    role: Literal["csm", "am"] | None = Field(None, description="csm or am")
    summary: str | None = Field(None, description="what happened (masked on screen)")


class Outcome(BaseModel):
    """A past renewal, churn, expansion or contraction: for NRR/GRR and backtests."""

    account_id: str = Field(description="the account")
    occurred_on: dt.date = Field(description="when")
    event: Literal["renewed", "churned", "expanded", "contracted"] = Field(
        description="renewed, churned, expanded or contracted"
    )
    arr_change: float | None = Field(
        None, ge=-MONEY_MAX, le=MONEY_MAX, description="ARR gained (+) or lost (−)"
    )


class Owner(BaseModel):
    """A person who owns accounts or leads; matched to sign-ins by e-mail."""

    owner: str = Field(description="the person's name, as in csm_owner / am_owner (unique)")
    role: Literal["csm", "am", "both", "leader"] | None = Field(
        None, description="csm, am, both or leader"
    )
    email: str | None = Field(None, description="sign-in e-mail")
    team: str | None = Field(None, description="team or office")
    owner_id: str | None = Field(
        None, description="the person's id in the CRM (owner ids on accounts resolve to names)"
    )


class AccountKey(BaseModel):
    """The id another system gives a customer (a Stripe customer, a Zendesk organisation), and
    what identifies it there: child rows keyed by that id find their account through it."""

    key: str = Field(description="the customer's id in that system (cus_…, 3703…)")
    system: str | None = Field(None, description="the system: stripe, zendesk, intercom…")
    account_id: str | None = Field(None, description="the account, when the file says it")
    account_name: str | None = Field(None, description="the customer's name in that system")
    domain: str | None = Field(None, description="its e-mail or web domain")


# The stakeholder roles a contact can hold; a title or role the stated rule
# (``ingest/vocabulary.py`` ``CONTACT_ROLE_WORDS``) does not place is kept unknown (no role), and
# the import reports the raw value.
CONTACT_ROLES = ("champion", "economic buyer", "sponsor", "admin", "user")


class Contact(BaseModel):
    """A person at the customer (a CRM contact): who champions, who signs, who administers."""

    account_id: str = Field(description="the account the person works for")
    name: str | None = Field(None, description="the person's name")
    email: str | None = Field(None, description="work e-mail (masked on screen)")
    title: str | None = Field(None, description="job title, as the CRM has it")
    role: Literal["champion", "economic buyer", "sponsor", "admin", "user"] | None = Field(
        None, description="champion, economic buyer, sponsor, admin or user"
    )
    left_on: dt.date | None = Field(None, description="the day the person left; empty: still there")
    contact_id: str | None = Field(None, description="the contact's id in the CRM")


SOURCE_TABLES: dict[str, type[BaseModel]] = {
    "accounts": Account,
    "subscriptions": Subscription,
    "invoices": Invoice,
    "usage_events": UsageEvent,
    "usage_daily": UsageDaily,
    "tickets": Ticket,
    "surveys": Survey,
    "activities": Activity,
    "outcomes": Outcome,
    "owners": Owner,
    "account_keys": AccountKey,
    "contacts": Contact,
}

# Pairs of dates where the first may not come after the second (same row).
ORDERED_DATES: dict[str, list[tuple[str, str]]] = {
    "accounts": [("contract_start", "renewal_date")],
    "subscriptions": [("start_date", "end_date")],
    "tickets": [("created_at", "resolved_at")],
}
# The column that identifies a row, for the tables that have one.
ID_COLUMNS: dict[str, str] = {
    "accounts": "account_id",
    "subscriptions": "subscription_id",
    "invoices": "invoice_id",
    "tickets": "ticket_id",
    "owners": "owner",
    "account_keys": "key",
}
# Tables with neither id nor date whose update replaces the stored rows of the accounts the file
# names: a CRM's contact list says who an account's people are now.
BY_ACCOUNT: tuple[str, ...] = ("contacts",)
# Tables whose rows belong to an account (checked against the accounts, matched across systems).
CHILD_TABLES: tuple[str, ...] = (
    "subscriptions",
    "invoices",
    "usage_events",
    "usage_daily",
    "tickets",
    "surveys",
    "activities",
    "outcomes",
    "account_keys",
    "contacts",
)
# The order an import checks and loads tables in: people first (owner ids resolve to names),
# then accounts, then other systems' ids for them and the customers' people (a contact's CRM
# id and e-mail are keys to its account), then everything that points at an account.
LOAD_ORDER: tuple[str, ...] = (
    "owners",
    "accounts",
    "account_keys",
    "contacts",
    "subscriptions",
    "invoices",
    "usage_events",
    "usage_daily",
    "tickets",
    "surveys",
    "activities",
    "outcomes",
)

# The column that dates each table's rows (for the Data page's date range and freshness).
DATE_COLUMNS: dict[str, str | None] = {
    "accounts": "contract_start",
    "subscriptions": "start_date",
    "invoices": "issued_on",
    "usage_events": "occurred_at",
    "usage_daily": "day",
    "tickets": "created_at",
    "surveys": "responded_at",
    "activities": "occurred_at",
    "outcomes": "occurred_on",
    "owners": None,
    "account_keys": None,
    "contacts": None,
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


def column_bounds(table: str, column: str) -> tuple[float | None, float | None]:
    """The lowest and highest value the schema allows in a numeric column (None: open)."""
    low = high = None
    for rule in SOURCE_TABLES[table].model_fields[column].metadata:
        low = getattr(rule, "ge", low)
        high = getattr(rule, "le", high)
    return low, high


def column_description(table: str, column: str) -> str:
    return SOURCE_TABLES[table].model_fields[column].description or ""


def required_columns(table: str) -> list[str]:
    """The columns an import must provide for ``table``."""
    return [n for n, f in SOURCE_TABLES[table].model_fields.items() if f.is_required()]


def polars_schema(table: str) -> pl.Schema:
    """The Polars schema of a canonical table."""
    return pl.Schema({name: _POLARS_TYPES[t] for name, t in columns(table).items()})


def conform(table: str, frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` cast to the canonical columns of ``table``, in order (missing ones as null)."""
    schema = polars_schema(table)
    return frame.select(
        [
            (pl.col(name) if name in frame.columns else pl.lit(None)).cast(dtype).alias(name)
            for name, dtype in schema.items()
        ]
    )


# -- the reference people read ------------------------------------------------------------------
TABLE_PURPOSE = {
    "accounts": "the CRM: one row per account",
    "subscriptions": "billing: checked against the CRM's ARR, seats and end dates",
    "invoices": "billing: overdue = unpaid past `due_on` on the scoring date",
    "usage_events": "product usage: events, or daily rows with `active_users`",
    "usage_daily": "product usage rolled up: one row per account, user, feature and day"
    " (instead of, or before, raw events; raw events win on an account's day both cover)",
    "tickets": "support",
    "surveys": "NPS and CSAT responses",
    "activities": "CRM and CS notes: touches, outcomes, milestones",
    "outcomes": "past renewals, churn, expansions, contractions (KPIs, backtests)",
    "owners": "the people: CSMs, AMs, leaders; matched to sign-ins by e-mail",
    "account_keys": "other systems' ids for accounts (Stripe customers, Zendesk organisations)",
    "contacts": "the customer's people: champions, economic buyers, sponsors, admins, users",
}
TYPE_NAMES = {
    str: "text",
    int: "whole number",
    float: "number",
    bool: "true/false",
    dt.date: "date",
    dt.datetime: "date and time",
}


def schema_reference() -> str:
    """Every canonical table and column as Markdown (``docs/schema.md`` is this, checked by
    a test): required or not, type, allowed values or range, meaning."""
    lines = [
        "# The canonical schema",
        "",
        "Generated from `dashboard/schema.py` (`uv run python -m dashboard.schema > docs/schema.md`);",
        "`tests/test_schema.py` fails when the two differ. An import maps its files' columns onto",
        "these; unknown extra columns are dropped. Required columns are in **bold**.",
        "",
    ]
    for table, model in SOURCE_TABLES.items():
        lines += [f"## `{table}`", "", f"{TABLE_PURPOSE.get(table, '')}.", ""]
        lines += [
            "| column | required | type | values | meaning |",
            "| --- | --- | --- | --- | --- |",
        ]
        required = set(required_columns(table))
        for name, kind in columns(table).items():
            field = model.model_fields[name]
            allowed = [
                a
                for arg in (field.annotation, *typing.get_args(field.annotation))
                if typing.get_origin(arg) is Literal
                for a in typing.get_args(arg)
            ]
            low, high = column_bounds(table, name)
            if allowed:
                values = ", ".join(str(a) for a in allowed)
            elif low is not None or high is not None:
                values = f"{low:g} to {high:,.0f}" if low is not None and high is not None else ""
            elif kind in (dt.date, dt.datetime):
                values = f"{EARLIEST.year} to {LATEST.year}"
            else:
                values = ""
            default = (
                ""
                if field.default in (None, ...) or name in required
                else f" (default {field.default})"
            )
            label = f"**{name}**" if name in required else name
            lines.append(
                f"| {label} | {'yes' if name in required else 'no'} | {TYPE_NAMES[kind]} | "
                f"{values} | {field.description or ''}{default} |"
            )
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    print(schema_reference(), end="")
