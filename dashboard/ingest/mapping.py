"""Column mappings: how a source file's columns (or an SQL query over the uploaded files)
become a canonical table. A mapping is a pydantic model, saved per source in the app store
and as a TOML file usable from the command line (format in the README)."""

from __future__ import annotations

import re
import tomllib
from typing import Literal, Self

import tomli_w
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from dashboard.schema import SOURCE_TABLES, columns, required_columns
from dashboard.text import plain_errors


class Mapping(BaseModel):
    """How one canonical table is built from uploaded data."""

    model_config = ConfigDict(extra="forbid")

    table: str
    columns: dict[str, str] = Field(default_factory=dict, description="canonical <- source column")
    values: dict[str, dict[str, str]] = Field(
        default_factory=dict, description="per canonical column: source value -> canonical value"
    )
    constants: dict[str, str] = Field(default_factory=dict, description="canonical <- fixed value")
    query: str | None = Field(None, description="SQL over the uploaded files instead of columns")
    combine: dict[str, list[str]] = Field(
        default_factory=dict, description="canonical <- several source columns, joined by a space"
    )
    scale: dict[str, float] = Field(
        default_factory=dict,
        description="canonical number column <- source value x factor (cents: 0.01)",
    )
    match: dict[str, str] = Field(
        default_factory=dict,
        description="how rows find their account besides account_id: email, domain, name "
        "(source columns) and system (the keys' system)",
    )
    date_format: Literal["auto", "iso", "us", "eu"] = "auto"
    decimal: Literal["auto", ".", ","] = "auto"

    @model_validator(mode="after")
    def _known_names(self) -> Self:
        if self.table not in SOURCE_TABLES:
            raise ValueError(
                f"table: there is no table {self.table!r}; the tables are "
                f"{', '.join(sorted(SOURCE_TABLES))}"
            )
        known = set(columns(self.table))
        for part in ("columns", "values", "constants", "combine", "scale"):
            unknown = sorted(set(getattr(self, part)) - known)
            if unknown:
                raise ValueError(
                    f"{part}: {', '.join(unknown)} is not a column of {self.table}; its columns "
                    f"are {', '.join(sorted(known))}"
                )
        wrong = sorted(set(self.match) - {"email", "domain", "name", "system"})
        if wrong:
            raise ValueError(f"match: {', '.join(wrong)} is not one of email, domain, name, system")
        return self

    @classmethod
    def from_toml(cls, text: str) -> Mapping:
        """Parse a mapping file; refused with ``ValueError`` in plain words."""
        try:
            return cls.model_validate(tomllib.loads(text))
        except ValidationError as exc:
            raise ValueError(plain_errors(exc)) from None

    def to_toml(self) -> str:
        return tomli_w.dumps(self.model_dump(exclude_none=True, exclude_defaults=False))

    def value_for(self, column: str, value: str) -> str | None:
        """What the value map makes of a file's ``value`` in ``column`` (None: not mapped),
        matched by ``value_key``: the rule the check, the command line and the Data page share."""
        return lookup_value(self.values.get(column, {}), value)

    def with_value(self, column: str, value: str, target: str | None) -> Mapping:
        """This mapping with ``value`` (any case) of ``column`` mapped to ``target`` (None:
        unmapped); every other entry, of this column and the others, is kept."""
        kept = {
            k: v for k, v in self.values.get(column, {}).items() if value_key(k) != value_key(value)
        }
        if target is not None:
            kept[value] = target
        values = {c: dict(m) for c, m in self.values.items() if c != column}
        if kept:
            values[column] = kept
        return self.model_copy(update={"values": values})


def value_key(value: str) -> str:
    """How a value map matches a file's value: case and surrounding spaces aside (HubSpot's
    ``Customer`` is the preset's ``customer``). One rule for every path that reads a map."""
    return value.strip().lower()


def value_map(values: dict[str, str]) -> dict[str, str]:
    """A value map keyed by ``value_key`` (a later spelling of the same key wins)."""
    return {value_key(k): v for k, v in values.items()}


def lookup_value(values: dict[str, str], value: str) -> str | None:
    """The target ``values`` gives ``value`` under ``value_key``; None when it names none."""
    return value_map(values).get(value_key(value))


# Names other systems use for each canonical column, compared after normalising
# ("ARR (USD)" -> "arr_usd", "Company Name" -> "company_name").
SYNONYMS: dict[str, list[str]] = {
    "account_id": [
        "account_id",
        "accountid",
        "customer_id",
        "company_id",
        "account_number",
        "org_id",
        "organization_id",
        "organisation_id",
        "account_key",
        "id",
    ],
    "account_name": [
        "account_name",
        "company_name",
        "company",
        "customer_name",
        "customer",
        "organization",
        "organisation",
        "org_name",
        "name",
        "account",
    ],
    "segment": ["segment", "customer_segment", "tier", "customer_tier", "account_tier"],
    "industry": ["industry", "sector", "vertical"],
    "region": [
        "region",
        "geo",
        "territory",
        "country",
        "office_location",
        "regional_office",
        "billing_country",
    ],
    "plan": ["plan", "plan_tier", "plan_name", "edition", "package", "product_tier"],
    "csm_owner": ["csm_owner", "csm", "customer_success_manager", "success_manager", "cs_owner"],
    "am_owner": [
        "am_owner",
        "am",
        "account_owner",
        "account_manager",
        "owner",
        "sales_agent",
        "sales_rep",
    ],
    "arr": ["arr", "arr_usd", "annual_recurring_revenue", "arr_amount", "acv", "contract_value"],
    "currency": ["currency", "currency_code"],
    "licensed_seats": ["licensed_seats", "seats", "licenses", "seat_count", "licensed_users"],
    "contract_start": [
        "contract_start",
        "contract_start_date",
        "customer_since",
        "start_date",  # not a signup or record-creation date: those are no contract's start
    ],
    "renewal_date": [
        "renewal_date",
        "renewal",
        "next_renewal",
        "contract_end",
        "contract_end_date",
    ],
    "status": ["status", "account_status", "churn_flag", "is_churned", "churned"],
    "subscription_id": ["subscription_id", "subscriptionid", "sub_id", "id"],
    "product": ["product", "product_name", "plan_tier", "plan"],
    "seats": ["seats", "quantity", "licensed_seats"],
    "start_date": ["start_date", "started_at", "current_period_start", "start"],
    "end_date": ["end_date", "ended_at", "current_period_end", "cancel_at", "end"],
    "auto_renew": ["auto_renew", "auto_renew_flag", "autorenew"],
    "invoice_id": ["invoice_id", "invoiceid", "invoice_number", "id"],
    "issued_on": ["issued_on", "invoice_date", "issue_date", "created", "created_at", "date"],
    "due_on": ["due_on", "due_date", "due"],
    "paid_on": ["paid_on", "paid_date", "paid_at", "payment_date"],
    "amount": ["amount", "amount_due", "total", "invoice_amount", "amount_usd"],
    "occurred_at": [
        "occurred_at",
        "timestamp",
        "event_time",
        "event_date",
        "usage_date",
        "date",
        "activity_date",
        "created_at",
        "time",
    ],
    "user_id": ["user_id", "userid", "user", "distinct_id", "member_id"],
    "feature": ["feature", "feature_name", "event", "event_name", "action"],
    "quantity": ["quantity", "count", "usage_count", "events", "event_count"],
    "active_users": ["active_users", "dau", "users"],
    "day": ["day", "date", "usage_date", "event_date", "activity_date", "usage_day", "event_day"],
    "events": ["events", "event_count", "events_count", "num_events", "count", "quantity"],
    "ticket_id": ["ticket_id", "ticketid", "ticket_number", "id"],
    "created_at": ["created_at", "submitted_at", "created", "opened_at", "date_created"],
    "resolved_at": ["resolved_at", "closed_at", "solved_at", "resolved"],
    "priority": ["priority", "severity"],
    "csat": ["csat", "satisfaction_score", "satisfaction", "satisfaction_rating"],
    "category": ["category", "type", "ticket_type", "topic"],
    "responded_at": ["responded_at", "response_date", "submitted_at", "date"],
    "score": ["score", "nps", "nps_score", "rating"],
    "kind": ["kind", "type", "survey_type", "activity_type"],
    "respondent": ["respondent", "email", "contact"],
    "author": ["author", "owner", "user", "created_by"],
    "role": ["role", "owner_role", "stakeholder_role", "contact_role", "buying_role"],
    "name": ["name", "full_name", "contact_name", "display_name", "person_name"],
    "title": ["title", "job_title", "jobtitle", "position"],
    "left_on": ["left_on", "left_date", "left_at", "left_company_on", "departed_on"],
    "contact_id": ["contact_id", "contactid", "person_id"],
    "summary": ["summary", "subject", "description", "notes", "note"],
    "occurred_on": ["occurred_on", "date", "event_date", "churn_date"],
    "arr_change": ["arr_change", "arr_delta", "change"],
    "owner": ["owner", "name", "sales_agent", "full_name", "user_name"],
    "email": ["email", "email_address"],
    "team": ["team", "department", "regional_office"],
}


def normalise(name: str) -> str:
    """Lower case, words joined by underscores: ``ARR (USD)`` -> ``arr_usd``."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def camel(name: str) -> str:
    """``customerID`` -> ``customer_id``: camelCase split into words, then normalised."""
    return normalise(re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name))


def suggest_columns(table: str, source_columns: list[str]) -> dict[str, str]:
    """For each canonical column of ``table``, the source column whose name matches best."""
    by_norm = {camel(c): c for c in reversed(source_columns)} | {
        normalise(c): c for c in reversed(source_columns)
    }
    taken: set[str] = set()
    mapping: dict[str, str] = {}
    for canonical in columns(table):
        for candidate in [canonical, *SYNONYMS.get(canonical, [])]:
            source = by_norm.get(candidate)
            if source is not None and source not in taken:
                mapping[canonical] = source
                taken.add(source)
                break
    return mapping


def suggest_table(source_columns: list[str], file_name: str = "") -> str | None:
    """The canonical table a file most likely feeds: all required columns found, most
    columns matched, the file name breaking ties. None when no table fits."""
    hint = normalise(file_name)
    best: tuple[float, str] | None = None
    for table in SOURCE_TABLES:
        found = suggest_columns(table, source_columns)
        required = set(required_columns(table))
        if table == "accounts" and "account_name" in found:
            required.discard("account_id")  # ids are derived from the names, and it says so
        if not required <= set(found):
            continue
        exact = sum(normalise(found[c]) == c for c in found)
        score = len(found) + exact + (3 if table.rstrip("s") in hint else 0)
        if best is None or score > best[0]:
            best = (score, table)
    return best[1] if best else None


def suggest_mapping(table: str, source_columns: list[str]) -> Mapping:
    return Mapping(table=table, columns=suggest_columns(table, source_columns))
