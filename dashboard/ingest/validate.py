"""Turn a staged source into typed canonical rows, in SQL on the staging connection.

Every value is cast by an expression built from the mapping; a value that does not fit its
column, a missing required value, negative money, a date in the future where none can be, a
duplicate id or a child row whose account is unknown becomes a reason on its row. Rows with no
reason are valid; the others are rejected with their reasons, by row and column.
"""

from __future__ import annotations

import datetime as dt
import re
import typing
from dataclasses import dataclass, field

import duckdb
import polars as pl

from dashboard.ingest.mapping import Mapping
from dashboard.schema import SOURCE_TABLES, columns, required_columns
from dashboard.store.sql import ident, literal

DATE_FORMATS: dict[str, list[str]] = {
    "iso": ["%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S",
            "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S.%f", "%Y/%m/%d"],
    "us": ["%m/%d/%Y", "%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S", "%m/%d/%y", "%m-%d-%Y"],
    "eu": ["%d/%m/%Y", "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d.%m.%Y", "%d.%m.%Y %H:%M",
           "%d-%m-%Y", "%d/%m/%y"],
}  # fmt: skip
FORMAT_NAMES = {
    "iso": "ISO (year-month-day)",
    "us": "US (month/day/year)",
    "eu": "European (day/month/year)",
}
ID_COLUMNS = {"accounts": "account_id", "subscriptions": "subscription_id", "invoices": "invoice_id",
              "tickets": "ticket_id", "owners": "owner"}  # fmt: skip
# canonical Python type -> (DuckDB type, source types that need no parsing)
NATIVE: dict[type, tuple[str, set[str]]] = {
    dt.datetime: (
        "TIMESTAMP",
        {"TIMESTAMP", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S", "DATE"},
    ),
    dt.date: ("DATE", {"DATE", "TIMESTAMP"}),
    int: ("BIGINT", {"BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT", "UBIGINT", "UINTEGER"}),
    float: ("DOUBLE", {"DOUBLE", "FLOAT", "BIGINT", "INTEGER"}),
    bool: ("BOOLEAN", {"BOOLEAN"}),
}
MONEY = {("accounts", "arr"), ("subscriptions", "arr"), ("invoices", "amount")}
NOT_IN_FUTURE = {"usage_events": ["occurred_at"], "tickets": ["created_at", "resolved_at"],
                 "surveys": ["responded_at"], "activities": ["occurred_at"],
                 "outcomes": ["occurred_on"], "invoices": ["issued_on", "paid_on"]}  # fmt: skip
# Values other systems use for the fixed vocabularies, applied when the mapping has none.
VALUE_SYNONYMS: dict[str, dict[str, str]] = {
    "status": {"true": "churned", "yes": "churned", "1": "churned", "inactive": "churned",
               "canceled": "churned", "cancelled": "churned", "lost": "churned",
               "false": "active", "no": "active", "0": "active", "customer": "active"},
    "priority": {"p1": "urgent", "critical": "urgent", "p2": "high", "p3": "normal",
                 "medium": "normal", "p4": "low"},
    "kind": {"promoter_score": "nps", "net_promoter": "nps"},
}  # fmt: skip


@dataclass
class Prepared:
    """The outcome of validating one source for one canonical table."""

    table: str
    source: str
    mapping: Mapping
    total_rows: int = 0
    valid_rows: int = 0
    valid_view: str = ""
    rejects: pl.DataFrame = field(default_factory=pl.DataFrame)  # source row + reasons
    notes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # whole-source problems: nothing loads

    @property
    def ok(self) -> bool:
        return not self.errors


def allowed_values(table: str, column: str) -> list[str] | None:
    annotation = SOURCE_TABLES[table].model_fields[column].annotation
    for arg in (annotation, *typing.get_args(annotation)):
        if typing.get_origin(arg) is typing.Literal:
            return list(typing.get_args(arg))
    return None


def detect_date_format(
    con: duckdb.DuckDBPyConnection, source: str, column: str, forced: str
) -> tuple[str, str | None]:
    """The format family of a text date column, and a note when it was a guess."""
    if forced != "auto":
        return forced, None
    text = f"trim(CAST({ident(column)} AS VARCHAR))"
    sample = (
        f"(SELECT DISTINCT v FROM (SELECT {text} AS v FROM {source}"
        f" WHERE nullif({text}, '') IS NOT NULL LIMIT 20000) LIMIT 5000)"
    )
    counts = {
        family: con.sql(
            f"SELECT count(try_strptime(v, [{', '.join(literal(f) for f in fmts)}])) FROM {sample}"
        ).fetchall()[0][0]
        for family, fmts in DATE_FORMATS.items()
    }
    best = max(counts, key=lambda k: (counts[k], k == "iso"))
    if counts["us"] == counts["eu"] and counts["us"] > 0 and counts["us"] >= counts["iso"]:
        return "us", (
            f"column {column!r}: every date fits both month/day and day/month (e.g. 03/04/2025); "
            'assumed US (month/day/year) — set date_format = "eu" in the mapping if not'
        )
    if best != "iso" and counts[best]:
        return best, f"column {column!r}: dates read as {FORMAT_NAMES[best]}"
    return best, None


def detect_decimal(con: duckdb.DuckDBPyConnection, source: str, column: str, forced: str) -> str:
    """'.' or ',' as the decimal separator of a money/number column ('1.234,56' -> ',')."""
    if forced != "auto":
        return forced
    values = [
        r[0]
        for r in con.sql(
            f"SELECT DISTINCT v FROM (SELECT trim(CAST({ident(column)} AS VARCHAR)) AS v FROM {source}"
            f" WHERE {ident(column)} IS NOT NULL LIMIT 20000) LIMIT 2000"
        ).fetchall()
    ]
    comma = sum(bool(re.search(r"\d,\d{1,2}$", v) or re.search(r"\.\d{3},", v)) for v in values)
    dot = sum(bool(re.search(r"\d\.\d{1,2}$", v) or re.search(r",\d{3}\.", v)) for v in values)
    return "," if comma > dot else "."


def _number_text(raw: str, decimal: str) -> str:
    stripped = rf"regexp_replace(regexp_replace({raw}, '[\s$€£¥]', '', 'g'), '^(USD|EUR|GBP)|(USD|EUR|GBP)$', '')"
    if decimal == ",":
        return f"replace(replace({stripped}, '.', ''), ',', '.')"
    return f"replace({stripped}, ',', '')"


def prepare(
    con: duckdb.DuckDBPyConnection,
    source: str,
    source_name: str,
    mapping: Mapping,
    known_accounts: str | None,
    today: dt.date,
) -> Prepared:
    """Validate ``source`` (a staging table of text columns) for ``mapping.table``.

    ``known_accounts`` names a table with an ``account_id`` column: child rows must point
    into it. The valid rows land in a staging table named by ``Prepared.valid_view``.
    """
    table = mapping.table
    result = Prepared(table=table, source=source_name, mapping=mapping)
    described = con.sql(f"SELECT * FROM {source} LIMIT 0")
    source_columns = described.columns
    source_types = {c: str(t) for c, t in zip(described.columns, described.types, strict=True)}
    column_map = dict(mapping.columns)
    if mapping.query:  # the query names its output columns canonically
        column_map = {c: c for c in columns(table) if c in source_columns} | column_map
    missing = sorted({s for s in column_map.values() if s not in source_columns})
    for source_column in missing:
        result.errors.append(
            f"{source_name}: the mapping points at column {source_column!r}, which is not in the "
            f"file (its columns: {', '.join(source_columns)})"
        )
    for required in required_columns(table):
        if required not in column_map and required not in mapping.constants:
            result.errors.append(
                f"{source_name}: required column {required!r} of {table} is not mapped "
                f"(the file has: {', '.join(source_columns)})"
            )
    if result.errors:
        return result

    selects: list[str] = []
    problems: list[str] = []
    conditions: list[str] = []

    def problem(condition: str, message: str) -> None:
        problems.append(f"CASE WHEN {condition} THEN {message} END")
        conditions.append(f"coalesce({condition}, false)")

    for column, kind in columns(table).items():
        src = column_map.get(column)
        label = f"column {column}" + (f" ({src!r})" if src and src != column else "")
        native = NATIVE.get(kind)
        if (
            src is not None
            and native
            and source_types.get(src) in native[1]
            and column not in mapping.values
        ):
            # already typed by its reader (Parquet, a database, a typed query): no text round trip
            selects.append(f"CAST({ident(src)} AS {native[0]}) AS {column}")
            continue
        if src is not None:
            raw = f"nullif(trim(CAST({ident(src)} AS VARCHAR)), '')"
        elif column in mapping.constants:
            raw = literal(mapping.constants[column])
        else:
            selects.append(f"NULL AS {column}")
            continue
        values = {k.lower(): v for k, v in VALUE_SYNONYMS.get(column, {}).items()}
        values |= {k.lower(): v for k, v in mapping.values.get(column, {}).items()}
        if values:
            cases = " ".join(f"WHEN {literal(k)} THEN {literal(v)}" for k, v in values.items())
            raw = f"(CASE lower({raw}) {cases} ELSE {raw} END)"
        allowed = allowed_values(table, column)
        if kind is str:
            typed = f"lower({raw})" if allowed else raw
        elif kind in (int, float):
            decimal = detect_decimal(con, source, src, mapping.decimal) if src else "."
            if decimal == "," and src:
                result.notes.append(
                    f"column {column!r}: numbers read with a decimal comma (1.234,56)"
                )
            number = f"TRY_CAST({_number_text(raw, decimal)} AS DOUBLE)"
            typed = (
                number
                if kind is float
                else f"CASE WHEN {number} = round({number}) THEN CAST({number} AS BIGINT) END"
            )
        elif kind is bool:
            typed = (
                f"CASE WHEN lower({raw}) IN ('true', 't', 'yes', 'y', '1') THEN true "
                f"WHEN lower({raw}) IN ('false', 'f', 'no', 'n', '0') THEN false END"
            )
        else:  # dates and timestamps
            family, note = (
                detect_date_format(con, source, src, mapping.date_format) if src else ("iso", None)
            )
            if note:
                result.notes.append(note)
            fmts = ", ".join(literal(f) for f in DATE_FORMATS[family])
            parsed = f"try_strptime({raw}, [{fmts}])"
            if family == "iso":  # DuckDB's own ISO parser first: much faster than strptime
                parsed = f"coalesce(TRY_CAST({raw} AS TIMESTAMP), {parsed})"
            typed = f"CAST({parsed} AS DATE)" if kind is dt.date else parsed
        selects.append(f"{typed} AS {column}")
        what = {int: "a whole number", float: "a number", bool: "true/false", dt.date: "a date",
                dt.datetime: "a date and time", str: "text"}[kind]  # fmt: skip
        prefix = f"{literal(label + ': ')} || {raw}"
        problem(
            f"{raw} IS NOT NULL AND ({typed}) IS NULL", f"{prefix} || {literal(' is not ' + what)}"
        )
        if allowed:
            problem(
                f"({typed}) NOT IN ({', '.join(literal(a) for a in allowed)})",
                f"{prefix} || {literal(' is not one of ' + ', '.join(allowed))}",
            )
        if (table, column) in MONEY:
            problem(f"({typed}) < 0", f"{prefix} || ' is negative'")
        if column in NOT_IN_FUTURE.get(table, []):
            problem(
                f"CAST(({typed}) AS DATE) > DATE {literal(today + dt.timedelta(days=1))}",
                f"{prefix} || ' is in the future'",
            )
    empty = [
        f"CASE WHEN t.{column} IS NULL THEN {literal(f'column {column}: required but empty')} END"
        for column in required_columns(table)
    ]
    checks = ["NULL"]
    joins = ""
    id_column = ID_COLUMNS.get(table)
    if id_column:
        checks.append(
            f"CASE WHEN count(*) OVER (PARTITION BY {id_column}) > 1 AND _row > min(_row) OVER "
            f"(PARTITION BY {id_column}) THEN 'column {id_column}: duplicate id ' || {id_column} "
            f"|| ' (first at row ' || min(_row) OVER (PARTITION BY {id_column}) || ')' END"
        )
    if table != "accounts" and "account_id" in columns(table) and known_accounts:
        joins = f" LEFT JOIN (SELECT DISTINCT account_id AS _known FROM {known_accounts}) k ON k._known = t.account_id"
        checks.append(
            "CASE WHEN t.account_id IS NOT NULL AND k._known IS NULL THEN "
            "'column account_id: unknown account ' || t.account_id END"
        )
    checked = f"__checked_{table}"
    # the reasons are built only for rows with a problem: most rows pay for a few booleans
    early = (
        f"CASE WHEN {' OR '.join(conditions)} THEN "
        f"list_filter([{', '.join(problems)}], lambda x: x IS NOT NULL) ELSE [] END"
        if problems
        else "[]::VARCHAR[]"
    )
    typed = (
        f"SELECT _row, {', '.join(selects)}, {early} AS _early "
        f"FROM (SELECT row_number() OVER () AS _row, * FROM {source})"
    )
    con.execute(
        f"CREATE OR REPLACE TABLE {checked} AS SELECT t.* EXCLUDE (_early), "
        f"list_concat(_early, list_filter([{', '.join(empty + checks)}], lambda x: x IS NOT NULL)) AS _reasons "
        f"FROM ({typed}) t{joins}"
    )
    result.valid_view = f"__valid_{table}"
    canonical = ", ".join(columns(table))
    con.execute(
        f"CREATE OR REPLACE VIEW {result.valid_view} AS SELECT {canonical} FROM {checked}"
        " WHERE len(_reasons) = 0"
    )
    counts = con.sql(
        f"SELECT count(*), count(*) FILTER (WHERE len(_reasons) = 0) FROM {checked}"
    ).fetchall()[0]
    result.total_rows, result.valid_rows = counts
    if result.valid_rows < result.total_rows:
        result.rejects = (
            con.sql(
                f"SELECT c._row AS row, array_to_string(c._reasons, '; ') AS reasons, s.* "
                f"FROM (SELECT _row, _reasons FROM {checked} WHERE len(_reasons) > 0) c "
                f"JOIN (SELECT row_number() OVER () AS _row, * FROM {source}) s USING (_row) ORDER BY c._row"
            )
            .pl()
            .drop("_row", strict=False)
        )
    else:
        result.rejects = pl.DataFrame(
            {"row": [], "reasons": []}, schema={"row": pl.Int64, "reasons": pl.String}
        )
    return result
