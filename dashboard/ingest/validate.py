"""Turn a staged source into typed canonical rows, in SQL on the staging connection.

Every value is cast by an expression built from the mapping and the schema; a value that does
not fit its column (its type, its range, its fixed vocabulary), a missing required value, a
date in the future where none can be, dates out of order, a duplicate id or a child row whose
account is unknown becomes a reason on its row. Rows with no reason are valid; the others are
rejected with their reasons, by row (as a spreadsheet numbers it: the header is row 1) and
column. No value is altered silently: what is assumed (a date format, a decimal comma) is a
note on the import.

The steps, each a function: the mapping's checks (``_mapping_errors``), one typed expression
and its problems per column (``_column``), the row checks (``_row_checks``), and the checked
table with its valid view and rejects (``_materialise``).
"""

from __future__ import annotations

import datetime as dt
import re
import typing
from dataclasses import dataclass, field, replace

import duckdb
import polars as pl

from dashboard.ingest import vocabulary
from dashboard.ingest.limits import Limits
from dashboard.ingest.mapping import Mapping, lookup_value, value_map
from dashboard.ingest.readers import ROWS_SUFFIX, drop_relation
from dashboard.schema import (
    DATE_COLUMNS,
    EARLIEST,
    ID_COLUMNS,
    LATEST,
    MONEY_MAX,
    ORDERED_DATES,
    SOURCE_TABLES,
    column_bounds,
    columns,
    required_columns,
)
from dashboard.store.ddl import ddl
from dashboard.store.sql import ident, literal

ISO_FORMATS = [
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M:%SZ",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%dT%H:%M:%S.%f",
    "%Y/%m/%d",
    "%Y-%m-%dT%H:%M:%S%z",
    "%Y-%m-%d %H:%M:%S%z",
    "%Y-%m-%dT%H:%M:%S.%f%z",
]
DATE_FORMATS: dict[str, list[str]] = {
    "iso": ISO_FORMATS,
    # a column read as US or European still takes ISO dates (2025-04-03 is never ambiguous)
    "us": [
        "%m/%d/%Y",
        "%m/%d/%Y %H:%M",
        "%m/%d/%Y %H:%M:%S",
        "%m/%d/%y",
        "%m-%d-%Y",
        "%m/%d/%Y %I:%M %p",
        "%m/%d/%y %H:%M",
        *ISO_FORMATS,
    ],
    "eu": [
        "%d/%m/%Y",
        "%d/%m/%Y %H:%M",
        "%d/%m/%Y %H:%M:%S",
        "%d.%m.%Y",
        "%d.%m.%Y %H:%M",
        "%d-%m-%Y",
        "%d/%m/%y",
        "%d.%m.%Y %H:%M:%S",
        *ISO_FORMATS,
    ],
    # seconds since 1970 (Stripe, Segment and other APIs)
    "unix": [],
}
FORMAT_NAMES = {
    "iso": "ISO (year-month-day)",
    "us": "US (month/day/year)",
    "eu": "European (day/month/year)",
    "unix": "Unix time (seconds since 1970)",
}
# canonical Python type -> (DuckDB type, source types that need no parsing)
NATIVE: dict[type, tuple[str, set[str]]] = {
    dt.datetime: (
        "TIMESTAMP",
        {"TIMESTAMP", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S", "DATE"},
    ),
    dt.date: ("DATE", {"DATE", "TIMESTAMP"}),
    int: ("BIGINT", {"BIGINT", "INTEGER", "SMALLINT", "TINYINT", "UINTEGER", "USMALLINT"}),
    float: ("DOUBLE", {"DOUBLE", "FLOAT", "BIGINT", "INTEGER", "SMALLINT"}),
    bool: ("BOOLEAN", {"BOOLEAN"}),
}
NOT_IN_FUTURE = {
    "usage_events": ["occurred_at"],
    "usage_daily": ["day"],
    "tickets": ["created_at", "resolved_at"],
    "surveys": ["responded_at"],
    "activities": ["occurred_at"],
    "outcomes": ["occurred_on"],
    "invoices": ["issued_on", "paid_on"],
}
# Values other systems use for the fixed vocabularies, applied when the mapping has none.
VALUE_SYNONYMS: dict[str, dict[str, str]] = {
    "status": {
        "true": "churned",
        "yes": "churned",
        "1": "churned",
        "inactive": "churned",
        "canceled": "churned",
        "cancelled": "churned",
        "lost": "churned",
        "churn": "churned",
        "former customer": "churned",
        "closed lost": "churned",
        "false": "active",
        "no": "active",
        "0": "active",
        "customer": "active",
        "live": "active",
        "paying": "active",
    },
    "priority": {
        "p1": "urgent",
        "critical": "urgent",
        "p2": "high",
        "p3": "normal",
        "medium": "normal",
        "p4": "low",
    },
    "kind": {"promoter_score": "nps", "net_promoter": "nps", "net promoter score": "nps"},
    "role": {
        "customer success": "csm",
        "customer success manager": "csm",
        "account manager": "am",
        "account executive": "am",
        "sales": "am",
        "ae": "am",
    },
}
WHAT = {
    int: "a whole number",
    float: "a number",
    bool: "true/false",
    dt.date: "a date",
    dt.datetime: "a date and time",
    str: "text",
}


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
    view: str | None = None  # the staged file it came from (None: a query)
    preset: str | None = None  # the vendor layout that mapped it, if one did
    matched_by: dict[str, int] = field(default_factory=dict)  # rule -> rows matched by it
    accounts_matched: int = 0  # distinct accounts the rows found
    accounts_unmatched: int = 0  # distinct account keys that found none
    unknown_accounts: int = 0  # rows whose account is not known (before matching)
    unmatched_keys: list[str] = field(default_factory=list)  # keys no account matched (200 at most)
    system: str | None = None  # the system its keys come from (for pinning a match)
    checked: str = ""  # the checked staging table (rows, typed columns, reasons)
    not_customers: int = 0  # account rows whose status says they are not customers (not loaded)
    not_customer_view: str = ""  # their (account_id, status) as a staging table
    vocabulary: pl.DataFrame | None = None  # status value, rows, became, rule (accounts)
    valid_accounts: int | None = None  # distinct accounts of the valid rows (None: no account_id)
    dates: tuple[typing.Any, typing.Any] | None = None  # first and last date of the valid rows

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class Context:
    """What the checks of one source need besides the mapping."""

    today: dt.date
    limits: Limits
    known_accounts: str | None = None  # a table of account_id: child rows must point into it
    earlier_ids: str | None = None  # ids of this table from files validated before this one
    first_row: int = 2  # the number of the source's first data row
    skipped: tuple[int, ...] = ()  # file rows set aside before staging (bad lines)
    owner_ids: str | None = None  # a table of (owner_id, owner): owner ids resolve to names
    controls: bool = True  # a text may hold control characters (False: the file has none)
    not_customers: str | None = None  # a table of (account_id, status) that are not customers
    # source columns stored with a dictionary (a Parquet file's, ``StagedFile.dictionary``):
    # their text is checked once per distinct value; a column none of whose values needs
    # trimming or breaks a limit is written as it is, with no check on every row
    dictionary: frozenset[str] = frozenset()
    # the table the valid rows are written into as they are checked (a replaced table of the
    # generation an import builds ahead, ``ImportSession``): one pass writes them and, when
    # every row is valid, is the only pass; None: the valid rows stay a view
    target: str | None = None


def default_value(table: str, column: str) -> str:
    """SQL: the value a column takes when the source has none: the schema's default (a usage
    row without a count is one event: ``quantity`` 1), else NULL."""
    default = SOURCE_TABLES[table].model_fields[column].default
    kind = columns(table)[column]
    if default is None or kind not in (int, float) or isinstance(default, bool):
        return "NULL"
    return f"CAST({default!r} AS {NATIVE[kind][0]})"


def allowed_values(table: str, column: str) -> list[str] | None:
    annotation = SOURCE_TABLES[table].model_fields[column].annotation
    for arg in (annotation, *typing.get_args(annotation)):
        if typing.get_origin(arg) is typing.Literal:
            return list(typing.get_args(arg))
    return None


def distinct_values(
    con: duckdb.DuckDBPyConnection, source: str, column: str, limit: int
) -> list[str]:
    """Up to ``limit`` distinct non-empty values of a staged column (for value maps)."""
    rows = con.execute(
        f"SELECT DISTINCT CAST({ident(column)} AS VARCHAR) AS v FROM {ident(source)}"
        f" WHERE {ident(column)} IS NOT NULL ORDER BY 1 LIMIT ?",
        [limit],
    ).fetchall()
    return [r[0] for r in rows]


def _sample(source: str, column: str) -> str:
    values = f"SELECT {text_value(ident(column))} AS v FROM {source}"
    return f"(SELECT DISTINCT v FROM (SELECT v FROM ({values}) WHERE v IS NOT NULL LIMIT 20000) LIMIT 5000)"


def detect_date_format(
    con: duckdb.DuckDBPyConnection, source: str, column: str, forced: str
) -> tuple[str, str | None]:
    """The format family of a text date column, and a note when it was a guess."""
    if forced != "auto":
        return forced, None
    sample = _sample(source, column)
    counts = {
        family: con.sql(
            f"SELECT count(try_strptime(v, [{', '.join(literal(f) for f in fmts)}])) FROM {sample}"
        ).fetchall()[0][0]
        for family, fmts in DATE_FORMATS.items()
        if fmts
    }
    unix, total = con.sql(
        f"SELECT count(*) FILTER (WHERE regexp_full_match(v, '\\d{{9,10}}(\\.\\d+)?')), count(*)"
        f" FROM {sample}"
    ).fetchall()[0]
    if total and unix == total:
        return "unix", f"column {column!r}: dates read as {FORMAT_NAMES['unix']}"
    slashed = con.sql(
        f"SELECT count(*) FROM {sample} WHERE NOT regexp_matches(v, '^\\d{{4}}-')"
    ).fetchall()[0][0]
    if counts["us"] == counts["eu"] and slashed and counts["us"] > 0:
        return "us", (
            f"column {column!r}: every date fits both month/day and day/month (e.g. 03/04/2025); "
            'assumed US (month/day/year) — set date_format = "eu" in the mapping if not'
        )
    best = max(counts, key=lambda k: (counts[k], k == "iso"))
    if best != "iso" and counts[best] > counts["iso"]:
        return best, f"column {column!r}: dates read as {FORMAT_NAMES[best]}"
    return "iso", None


# How a number's marks read (after its currency and spaces are set aside): a value with both
# marks, a mark followed by other than three digits, or two groups of thousands says which
# mark is the decimal one; a lone mark before three digits (1.200, 1,200) could be either.
_POINT_SAYS = re.compile(
    r"^-?\d{1,3}(,\d{3})+\.\d+$|^-?\d*\.(\d{1,2}|\d{4,})$|^-?\d{1,3}(,\d{3}){2,}$|^-?0\.\d+$"
)
_COMMA_SAYS = re.compile(
    r"^-?\d{1,3}(\.\d{3})+,\d+$|^-?\d*,(\d{1,2}|\d{4,})$|^-?\d{1,3}(\.\d{3}){2,}$|^-?0,\d+$"
)
_STRIP = re.compile(r"[\s\u00a0\u202f$€£¥]|^(US\$|[A-Za-z]{3})|[A-Za-z]{3}$")
AMBIGUOUS = r"-?[1-9]\d{0,2}[.,]\d{3}"  # 1.200 or 1,200: a thousand and two hundred, or 1.2


@dataclass(frozen=True)
class Decimal:
    """The decimal mark of a number column, and whether the column's values settle it."""

    mark: str  # "." or ","
    settled: bool
    point: int = 0  # values in the sample that say "." (1,234.56; 12.5)
    comma: int = 0  # values that say "," (1.234,56; 3,5)


def detect_decimal(
    con: duckdb.DuckDBPyConnection, source: str, column: str, forced: str
) -> Decimal:
    """The decimal mark of a money/number column, decided from the evidence of its values:
    ``1,234.56`` or ``12.5`` say ".", ``1.234,56`` or ``3,5`` say ","; ``1.200`` says
    nothing. A mark the mapping sets is settled; with no evidence it is "." and not settled
    (then a value that reads two ways is rejected, never guessed)."""
    if forced != "auto":
        return Decimal(forced, True)
    values = [
        _STRIP.sub("", r[0])
        for r in con.sql(f"SELECT v FROM {_sample(source, column)} LIMIT 2000").fetchall()
    ]
    point = sum(bool(_POINT_SAYS.match(v)) for v in values)
    comma = sum(bool(_COMMA_SAYS.match(v)) for v in values)
    if point == comma == 0:
        return Decimal(".", False)
    return Decimal("," if comma > point else ".", True, point, comma)


def text_value(expr: str) -> str:
    """SQL: the text of a cell, trimmed, or NULL when empty. Trimming allocates a new string
    for every value (seconds per ten million), so only a value that starts or ends with a
    space or holds a non-ASCII character (Unicode spaces) is trimmed; the rest pass as is."""
    text = f"CAST({expr} AS VARCHAR)"
    return (
        f"nullif(CASE WHEN prefix({text}, ' ') OR suffix({text}, ' ') OR "
        f"strlen({text}) <> length({text}) THEN trim({text}) ELSE {text} END, '')"
    )


# A date's year, month and day as its text writes them: year first (ISO), or day and month
# first (read as the column's family says), with a two-digit or four-digit year
_DATE_PARTS = r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]|$)|^(\d{1,2})[-/.](\d{1,2})[-/.](\d{2}|\d{4})(?:[ T]|$)"


def _calendar_problem(raw: str, family: str) -> str:
    """SQL: why a text that writes a year, a month and a day names no day of the calendar
    (``there is no month 13``, ``February 2024 has 29 days``), else NULL."""
    parts = f"regexp_extract({raw}, {literal(_DATE_PARTS)}, ['y', 'm', 'd', 'a', 'b', 'c'])"
    first, second = ("a", "b") if family != "eu" else ("b", "a")  # month, day of a/b/c dates
    iso = f"{parts}.y <> ''"
    year = f"(CASE WHEN {iso} THEN CAST({parts}.y AS INTEGER) ELSE CAST({parts}.c AS INTEGER) END)"
    year = f"(CASE WHEN {year} < 100 THEN {year} + 2000 ELSE {year} END)"
    month = f"CAST(CASE WHEN {iso} THEN {parts}.m ELSE {parts}.{first} END AS INTEGER)"
    day = f"CAST(CASE WHEN {iso} THEN {parts}.d ELSE {parts}.{second} END AS INTEGER)"
    days = f"day(last_day(make_date({year}, {month}, 1)))"
    return (
        f"CASE WHEN {parts}.y = '' AND ({parts}.a = '' OR {literal(family)} NOT IN ('us', 'eu')) THEN NULL "
        f"WHEN {month} NOT BETWEEN 1 AND 12 THEN 'there is no month ' || {month} "
        f"WHEN {day} = 0 THEN 'there is no day 0' "
        f"WHEN {day} > {days} THEN strftime(make_date({year}, {month}, 1), '%B %Y') || ' has ' "
        f"|| {days} || ' days' END"
    )


# A money cell: a sign, a currency before or after (a symbol or a three-letter code), the digits
# with their marks and spaces
_MONEY = (
    r"^(-?)\s*(US\$|[$€£¥]|[A-Za-z]{3})?\s*(-?)\s*(\d(?:[\d.,\s\x{a0}\x{202f}]*\d)?)\s*"
    r"([$€£¥]|[A-Za-z]{3})?$"
)
_SPACES = r"[\s\x{a0}\x{202f}]"
SYMBOLS = {"$": "USD", "US$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY"}
_GROUPED = {
    ".": r"\d{1,3}(,\d{3})+(\.\d+)?|\d+(\.\d+)?",
    ",": r"\d{1,3}(\.\d{3})+(,\d+)?|\d+(,\d+)?",
}


def _is_money(table: str, column: str) -> bool:
    return column_bounds(table, column)[1] == MONEY_MAX


def _money_parts(raw: str) -> str:
    """SQL: a cell's sign, currency and digits (a struct; all empty when it is not money)."""
    return f"regexp_extract({raw}, {literal(_MONEY)}, ['s1', 'pre', 's2', 'num', 'post'])"


def _currency(parts: str) -> str:
    """SQL: the currency a cell names (EUR for €99 or 99 eur), NULL when none; '?' when it
    names two (€99 USD)."""
    cases = " ".join(f"WHEN {literal(k)} THEN {literal(v)}" for k, v in SYMBOLS.items())
    one = "CASE {0} {1} ELSE upper({0}) END"
    pre, post = (
        one.format(f"struct_extract({parts}, 'pre')", cases),
        one.format(f"struct_extract({parts}, 'post')", cases),
    )
    return (
        f"CASE WHEN {parts} IS NULL THEN NULL "
        f"WHEN struct_extract({parts}, 'pre') = '' AND struct_extract({parts}, 'post') = '' THEN NULL "
        f"WHEN struct_extract({parts}, 'pre') = '' THEN {post} WHEN struct_extract({parts}, 'post') = '' THEN {pre} "
        f"WHEN {pre} = {post} THEN {pre} ELSE '?' END"
    )


def _sign(parts: str) -> str:
    return (
        f"CASE WHEN struct_extract({parts}, 's1') = '-' OR struct_extract({parts}, 's2') = '-'"
        " THEN -1 ELSE 1 END"
    )


def _digits(parts: str, mark: str) -> str:
    """SQL: the number the digits of ``parts`` hold with ``mark`` as the decimal mark, NULL
    when their marks do not fit it (3,5 in a column that writes 1,234.56)."""
    digits = f"regexp_replace(struct_extract({parts}, 'num'), {literal(_SPACES)}, '', 'g')"
    plain = (
        f"replace({digits}, ',', '')"
        if mark == "."
        else f"replace(replace({digits}, '.', ''), ',', '.')"
    )
    sign = _sign(parts)
    return (
        f"CASE WHEN regexp_full_match({digits}, {literal(_GROUPED[mark])}) "
        f"THEN {sign} * TRY_CAST({plain} AS DOUBLE) END"
    )


class _Checks:
    """The select lists of one source, layer by layer, and the problems that reject a row.

    Each expression is computed once and named: the raw text of a column (``__r_<column>``),
    a number parsed from it (``__n_<column>``), its typed value (``<column>``); the problems
    refer to those names, so a cast or a regular expression never runs twice for one value.
    """

    def __init__(self) -> None:
        self.raws: list[str] = []  # layer 1: over the source
        self.parsed: list[str] = []  # layer 2: over the raws
        self.selects: list[str] = []  # layer 3: the typed canonical columns
        self.problems: list[str] = []
        self.conditions: list[str] = []
        self.carry: list[str] = []  # names kept in the checked table, for the notes
        self.skip: str | None = None  # a condition: the row is not a customer (not loaded)
        self.vocabulary: pl.DataFrame | None = None

    def raw(self, column: str, expression: str) -> str:
        """Name the raw text of ``column``; returns the name to refer to it by."""
        name = ident(f"__r_{column}")
        self.raws.append(f"{expression} AS {name}")
        return name

    def number(self, column: str, expression: str) -> str:
        name = ident(f"__n_{column}")
        self.parsed.append(f"{expression} AS {name}")
        return name

    def problem(self, condition: str, message: str) -> None:
        self.problems.append(f"CASE WHEN {condition} THEN {message} END")
        self.conditions.append(f"coalesce({condition}, false)")


def _mapping_errors(
    table: str, source_name: str, mapping: Mapping, column_map: dict[str, str], present: list[str]
) -> list[str]:
    """Whole-source problems: a mapped column that is not there, a required one not mapped."""
    errors = [
        f"{source_name}: the mapping points at column {src!r}, which is not in the file "
        f"(its columns: {', '.join(sorted(present, key=str.lower))})"
        for src in sorted({s for s in column_map.values() if s not in present})
    ]
    missing_combined = sorted({c for cols in mapping.combine.values() for c in cols} - set(present))
    errors += [
        f"{source_name}: the mapping combines column {c!r}, which is not in the file"
        for c in missing_combined
    ]
    derivable = table == "accounts" and "account_name" in column_map  # ids from the names
    errors += [
        f"{source_name}: required column {required!r} of {table} is not mapped "
        f"(the file's columns: {', '.join(sorted(present, key=str.lower))})"
        for required in required_columns(table)
        if required not in column_map
        and required not in mapping.constants
        and required not in mapping.combine
        and not (required == "account_id" and derivable)
    ]
    return errors


def _column(
    con: duckdb.DuckDBPyConnection,
    source: str,
    mapping: Mapping,
    column: str,
    kind: type,
    src: str | None,
    source_type: str | None,
    ctx: Context,
    checks: _Checks,
    notes: list[str],
    clean: bool = False,
) -> None:
    """The typed expression of one canonical column and the problems it can have.
    ``clean``: every distinct value of the source column is text that stays as it is
    (``_clean_text``): when nothing else maps or checks it, it is taken as it is."""
    table = mapping.table
    label = f"column {column}" + (f" ({src!r})" if src and src != column else "")
    native = NATIVE.get(kind)
    if (
        src is not None
        and native
        and source_type in native[1]
        and column not in mapping.values
        and column not in mapping.scale
    ):
        # already typed by its reader (Parquet, a database, a typed query): no text round trip
        value = checks.raw(column, f"CAST({ident(src)} AS {native[0]})")
        checks.selects.append(f"{value} AS {column}")
        _range_checks(
            table,
            column,
            kind,
            column,
            f"{literal(label + ': ')} || CAST({value} AS VARCHAR)",
            ctx,
            checks,
        )
        return
    if clean and src is not None and _plain_text(table, column, mapping, ctx):
        # text_value is the value itself, no value is over the length limit or holds a
        # control character: every one of those checks is false on every row
        value = checks.raw(column, ident(src))
        checks.selects.append(f"{value} AS {column}")
        return
    if src is not None:
        raw = text_value(ident(src))
    elif column in mapping.combine:
        parts = ", ".join(text_value(ident(c)) for c in mapping.combine[column])
        raw = f"nullif(concat_ws(' ', {parts}), '')"
    elif column in mapping.constants:
        raw = literal(mapping.constants[column])
    elif column == "account_id" and table == "accounts" and "account_name" in mapping.columns:
        name = text_value(ident(mapping.columns["account_name"]))
        raw = f"nullif(trim(regexp_replace(lower(strip_accents({name})), '[^a-z0-9]+', '-', 'g'), '-'), '')"
        notes.append(
            "no id column: account ids are derived from the names ('Acme Corp, Inc.' → "
            "'acme-corp-inc'); two accounts with the same name are reported as duplicates"
        )
    else:  # not in the file: the schema's default (an event row counts 1 event), else none
        checks.selects.append(f"{default_value(table, column)} AS {column}")
        return
    raw = checks.raw(column, raw)  # the text as the file has it, for the messages too
    prefix = f"{literal(label + ': ')} || {raw}"
    if src is not None and kind is str:
        checks.problem(
            f"strlen({raw}) > {ctx.limits.max_cell_bytes}",
            f"{literal(label + f': a value longer than {ctx.limits.max_cell_kb:,} KiB')}",
        )
        if ctx.controls:
            raw, prefix = _controls(table, column, raw, label, checks)
        if column == "email" and table in ("owners", "contacts"):
            _email(raw, prefix, checks, "owner" if table == "owners" else "contact")
    if (table, column) == ("accounts", "status") and src is not None:
        raw = _status(con, source, src, mapping, raw, checks, notes)
        values = {}
    elif (table, column) == ("contacts", "role") and src is not None:
        raw = _contact_role(con, source, src, mapping, raw, notes)
        values = {}
    else:
        values = value_map(VALUE_SYNONYMS.get(column, {}))
        values |= value_map(mapping.values.get(column, {}))
    if values:  # a value mapped to "" is no value (Zendesk's "offered": no rating given)
        cases = " ".join(f"WHEN {literal(k)} THEN {literal(v)}" for k, v in values.items())
        raw = f"nullif(CASE lower({raw}) {cases} ELSE {raw} END, '')"
    if ctx.owner_ids and column in ("csm_owner", "am_owner", "author"):
        raw = f"coalesce((SELECT __oname FROM {ctx.owner_ids} WHERE __oid = {raw}), {raw})"
    allowed = allowed_values(table, column)
    absent = ""  # what else keeps a value from its type (an impossible date has its own reason)
    what = WHAT[kind]
    if kind is str:
        typed = f"lower({raw})" if allowed else raw
    elif kind in (int, float):
        decimal = detect_decimal(con, source, src, mapping.decimal) if src else Decimal(".", True)
        if decimal.mark == "," and src:
            notes.append(f"column {column!r}: numbers read with a decimal comma (1.234,56)")
        if decimal.point and decimal.comma:
            notes.append(
                f"column {column!r}: {decimal.point:,} value(s) write a decimal point and "
                f"{decimal.comma:,} a decimal comma; read with a decimal "
                f"{'comma' if decimal.mark == ',' else 'point'}, the others are rejected"
            )
        number, absent = _numbers(raw, table, column, kind, decimal, checks, prefix)
        if decimal.point and decimal.comma:
            what = f"{WHAT[kind]} as the column writes them (decimal {'comma: 1.234,56' if decimal.mark == ',' else 'point: 1,234.56'})"
        if column in mapping.scale:  # amounts in cents, say
            number = f"({number} * {float(mapping.scale[column])!r})"
        number = checks.number(column, number)
        typed = (
            f"CASE WHEN isfinite({number}) THEN {number} END"
            if kind is float
            # a huge whole number is held at the edge of BIGINT: the range check rejects it
            else f"CASE WHEN {number} = round({number}) THEN CAST(greatest(least({number}, 9e18), -9e18) AS BIGINT) END"
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
            notes.append(note)
        if family == "unix":
            parsed = f"to_timestamp(TRY_CAST({raw} AS DOUBLE))::TIMESTAMP"
        else:
            fmts = ", ".join(literal(f) for f in DATE_FORMATS[family])
            # DuckDB's own ISO parser first (much faster than strptime; it refuses 2024-02-31);
            # what it cannot read is checked against the calendar before strptime, which rolls
            # an impossible day over (2024-02-31 -> 2024-03-02) in its formats with a zone
            fast = checks.number(column, f"TRY_CAST({raw} AS TIMESTAMP)")
            impossible = checks.number(
                f"{column}__calendar",
                f"CASE WHEN {raw} IS NOT NULL AND TRY_CAST({raw} AS TIMESTAMP) IS NULL "
                f"THEN {_calendar_problem(raw, family)} END",
            )
            parsed = (
                f"CASE WHEN {impossible} IS NULL THEN "
                f"coalesce({fast}, try_strptime({raw}, [{fmts}])::TIMESTAMP) END"
            )
            checks.problem(
                f"{impossible} IS NOT NULL",
                f"{prefix} || ' is not a date: ' || {impossible}",
            )
            absent = f" AND {impossible} IS NULL"
        typed = f"CAST({parsed} AS DATE)" if kind is dt.date else parsed
    checks.selects.append(f"{typed} AS {column}")
    if typed != raw:  # a text taken as it is is never "not text": no check on every row
        checks.problem(
            f"{raw} IS NOT NULL AND {column} IS NULL{absent}",
            f"{prefix} || {literal(' is not ' + what)}",
        )
    if allowed:
        checks.problem(
            f"{column} NOT IN ({', '.join(literal(a) for a in allowed)})",
            f"{prefix} || {literal(' is not one of ' + ', '.join(allowed))}",
        )
    _range_checks(table, column, kind, column, prefix, ctx, checks)


def _plain_text(table: str, column: str, mapping: Mapping, ctx: Context) -> bool:
    """A text column that nothing maps, looks up or checks beyond its trimming, its length
    and its control characters (no vocabulary, value map, e-mail rule, owner lookup)."""
    return (
        columns(table)[column] is str
        and column not in mapping.values
        and not VALUE_SYNONYMS.get(column)
        and allowed_values(table, column) is None
        and not (column == "email" and table in ("owners", "contacts"))
        and (table, column) not in (("accounts", "status"), ("contacts", "role"))
        and not (ctx.owner_ids and column in ("csm_owner", "am_owner", "author"))
    )


def _clean_text(
    con: duckdb.DuckDBPyConnection, source: str, candidates: list[str], ctx: Context
) -> set[str]:
    """The source columns (of ``candidates``, stored with a dictionary) none of whose
    distinct values is empty, starts or ends with a space, holds a character beyond ASCII
    (a Unicode space ``text_value`` would trim), is over the length limit or holds a
    control character (when the file may have them): one pass over each column's distinct
    values, a few thousand where the rows are millions."""
    if not candidates:
        return set()
    controls = f" OR regexp_matches(x, {literal(CONTROLS)})" if ctx.controls else ""
    care = (
        f"x = '' OR prefix(x, ' ') OR suffix(x, ' ') OR strlen(x) <> length(x)"
        f" OR strlen(x) > {ctx.limits.max_cell_bytes}{controls}"
    )
    found = con.sql(
        "SELECT "
        + ", ".join(
            f"(SELECT count(*) FILTER (WHERE {care}) FROM"
            f" (SELECT DISTINCT {ident(c)} AS x FROM {source}) WHERE x IS NOT NULL)"
            for c in candidates
        )
    ).fetchall()[0]
    return {c for c, n in zip(candidates, found, strict=True) if n == 0}


def _numbers(
    raw: str, table: str, column: str, kind: type, decimal: Decimal, checks: _Checks, prefix: str
) -> tuple[str, str]:
    """SQL: the number a cell holds, by the column's decimal mark, and the condition under
    which an empty result has its own reason. A plain number (1200, 12.5) is cast directly;
    the rest is split into sign, currency and digits. A money cell may name its currency
    (€99, 99 EUR, £1,200.50), kept beside the number (``__n_<column>__cur``); any other
    number with a currency is not a number. A value that reads two ways (1.200) in a column
    whose values do not settle the mark is rejected with both readings."""
    fast = f"TRY_CAST({raw} AS DOUBLE)"
    if decimal.mark == ",":
        need = "true"
    elif decimal.settled:
        need = f"{fast} IS NULL"
    else:
        need = f"({fast} IS NULL OR contains({raw}, '.') OR contains({raw}, ','))"
    parts = checks.number(f"{column}__parts", f"CASE WHEN {need} THEN {_money_parts(raw)} END")
    if _is_money(table, column):
        checks.number(f"{column}__cur", f"nullif({_currency(parts)}, '?')")
        checks.carry.append(ident(f"__n_{column}__cur"))
        plain = f"struct_extract({parts}, 'num') <> '' AND {_currency(parts)} IS DISTINCT FROM '?'"
    else:
        plain = f"struct_extract({parts}, 'num') <> '' AND struct_extract({parts}, 'pre') = '' AND struct_extract({parts}, 'post') = ''"
    number = f"CASE WHEN {plain} THEN {_digits(parts, decimal.mark)} END"
    if decimal.mark == ".":
        number = f"CASE WHEN {parts} IS NULL THEN {fast} ELSE {number} END"
    if decimal.settled:
        return number, ""
    two_ways = AMBIGUOUS
    if kind is int:  # 1,234 is a whole number only as thousands; 1,000 is 1000 or 1
        grouped = f"regexp_full_match(struct_extract({parts}, 'num'), {literal(AMBIGUOUS)})"
        thousands = (
            f"TRY_CAST(regexp_replace(struct_extract({parts}, 'num'), '[.,]', '') AS DOUBLE)"
        )
        number = (
            f"CASE WHEN {plain} AND {grouped} THEN {_sign(parts)} * {thousands} ELSE {number} END"
        )
        two_ways = r"-?[1-9]\d{0,2}[.,]000"
    ambiguous = checks.number(
        f"{column}__ambiguous",
        f"coalesce(regexp_full_match(struct_extract({parts}, 'num'), {literal(two_ways)}), false)",
    )
    readings = (
        f"replace(replace(struct_extract({parts}, 'num'), '.', ''), ',', '') || ' or as ' || "
        f"CAST(CAST(replace(struct_extract({parts}, 'num'), ',', '.') AS DOUBLE) AS VARCHAR)"
    )
    checks.problem(
        ambiguous, f"{prefix} || ' can be read as ' || {readings} || {literal(AMBIGUOUS_HINT)}"
    )
    return f"CASE WHEN NOT {ambiguous} THEN {number} END", f" AND NOT {ambiguous}"


AMBIGUOUS_HINT = (
    ": no value of the column settles whether its decimal mark is a point or a comma "
    '(a value such as 1,234.56 or 3,5 would); set decimal = "." or "," in the mapping'
)


# C0 control characters but the tab, and DEL: a NUL or a line break kept in a name breaks the
# files written from it (calendars, CSV, Markdown) and hides what the value says
CONTROLS = r"[\x00-\x08\x0a-\x1f\x7f]"
_SHOWN = "\N{REPLACEMENT CHARACTER}"


def is_id_column(table: str, column: str) -> bool:
    """A key that other rows, sign-ins or deliveries rely on: ids, and owners' e-mails."""
    return column.endswith("_id") or column == ID_COLUMNS.get(table) or column == "email"


def _controls(table: str, column: str, raw: str, label: str, checks: _Checks) -> tuple[str, str]:
    """A text with control characters: in a key, a reason to reject the row; elsewhere they
    are removed (a line break becomes a space) and the row is noted (``__n_<column>__ctl``).
    Returns the text to use from here on and the message prefix that shows it."""
    found = checks.number(f"{column}__ctl", f"regexp_matches({raw}, {literal(CONTROLS)})")
    if is_id_column(table, column):
        shown = f"regexp_replace({raw}, {literal(CONTROLS)}, {literal(_SHOWN)}, 'g')"
        checks.problem(
            found,
            f"{literal(label + ': ')} || {shown} || "
            "' holds a control character (a NUL, a line break…): keys must be plain text'",
        )
        return raw, f"{literal(label + ': ')} || {shown}"
    checks.carry.append(found)
    cleaned = (
        f"CASE WHEN {found} THEN nullif(trim(regexp_replace(regexp_replace({raw}, "
        f"'[\r\n]+', ' ', 'g'), {literal(CONTROLS)}, '', 'g')), '') ELSE {raw} END"
    )
    clean = checks.number(f"{column}__clean", cleaned)
    return clean, f"{literal(label + ': ')} || {clean}"


# One e-mail address, as a sign-in or a delivery uses it: a local part, an @, a domain with a dot
EMAIL = r"[\p{L}\p{N}.!#$%&'*+/=?^_`{|}~-]+@[\p{L}\p{N}-]+(\.[\p{L}\p{N}-]+)+"


def _email(raw: str, prefix: str, checks: _Checks, who: str = "owner") -> None:
    """An owner's (or a contact's) e-mail is one address, nothing else: a list, a display
    name, a space or a missing @ rejects the row (a digest goes to exactly the address given;
    a contact is seen in usage by exactly that address)."""
    why = checks.number(
        "email__why",
        f"CASE WHEN {raw} IS NULL OR regexp_full_match({raw}, {literal(EMAIL)}) THEN NULL "
        f"WHEN regexp_matches({raw}, '[<>\"]') THEN 'a name and an address: give the address alone' "
        f"WHEN regexp_matches({raw}, '[,;]') OR length({raw}) - length(replace({raw}, '@', '')) > 1 "
        f"THEN 'more than one address: one per {who}' "
        f"WHEN regexp_matches({raw}, '\\s') THEN 'holds a space or a line break' "
        f"WHEN NOT contains({raw}, '@') THEN 'has no @' "
        "ELSE 'not one e-mail address (name@domain.com)' END",
    )
    checks.problem(f"{why} IS NOT NULL", f"{prefix} || ' is not an e-mail address: ' || {why}")


def _status(
    con: duckdb.DuckDBPyConnection,
    source: str,
    src: str,
    mapping: Mapping,
    raw: str,
    checks: _Checks,
    notes: list[str],
) -> str:
    """An account's status by the vocabulary rule (``ingest/vocabulary.py``): every distinct
    value decided once, in Python, then one CASE per row. A value that is not a customer
    marks the row to be set aside (``checks.skip``); an unknown one is a customer whose
    status is unknown. Returns the text the status is typed from."""
    found = con.sql(
        f"SELECT any_value(v), count(*) FROM (SELECT {text_value(ident(src))} AS v FROM {source})"
        " WHERE v IS NOT NULL GROUP BY lower(v) ORDER BY 2 DESC, 1 LIMIT 10000"
    ).fetchall()
    decided = vocabulary.decide(found, mapping.values.get("status", {}))
    checks.vocabulary = decided
    outcome = {v.lower(): b for v, b in decided.select("value", "became").iter_rows()}
    cases = " ".join(
        f"WHEN {literal(k)} THEN {literal(b)}"
        for k, b in outcome.items()
        if b not in (vocabulary.UNKNOWN, vocabulary.NOT_CUSTOMER)
    )
    skipped = [k for k, b in outcome.items() if b == vocabulary.NOT_CUSTOMER]
    if skipped:
        checks.skip = checks.number(
            "status__skip",
            f"coalesce(lower({raw}) IN ({', '.join(literal(k) for k in skipped)}), false)",
        )
    checks.carry.append(ident("__r_status"))
    for became, what in (
        (vocabulary.NOT_CUSTOMER, "not customers: not loaded as accounts, and not churns"),
        (vocabulary.UNKNOWN, "kept as customers whose status is unknown (not churned)"),
    ):
        some = decided.filter(pl.col("became") == became)
        if some.height:
            listed = ", ".join(f"{v!r}: {n:,}" for v, n in some.select("value", "rows").rows()[:20])
            notes.append(
                f"column 'status': {some['rows'].sum():,} row(s) are {what} ({listed}); "
                "change what a value becomes in the value map"
            )
    return f"CASE lower({raw}) {cases} END" if cases else "NULL"


def _contact_role(
    con: duckdb.DuckDBPyConnection,
    source: str,
    src: str,
    mapping: Mapping,
    raw: str,
    notes: list[str],
) -> str:
    """A contact's role by the stated rule (``vocabulary.contact_role``) from its role or
    title column: every distinct value decided once, the person's value map first (a map to
    "" or "unknown" leaves the role unknown). A value the rule does not know stays unknown
    (no role), never a guessed "user"; those values are listed in a note with their counts.
    Returns the text the role is typed from."""
    found = con.sql(
        f"SELECT any_value(v), count(*) FROM (SELECT {text_value(ident(src))} AS v FROM {source})"
        " WHERE v IS NOT NULL GROUP BY lower(v) ORDER BY 2 DESC, 1 LIMIT 10000"
    ).fetchall()
    person = mapping.values.get("role", {})
    outcome: dict[str, str] = {}
    unknown: list[tuple[str, int]] = []
    for value, count in found:
        target = lookup_value(person, value)
        if target is not None:
            chosen = target.strip().lower()
            if chosen in ("", "unknown", "none"):
                continue
            outcome[value.lower()] = chosen  # a target no role is: rejected by the check
            continue
        role = vocabulary.contact_role(value)
        if role is None:
            unknown.append((value, count))
        else:
            outcome[value.lower()] = role
    if unknown:
        listed = ", ".join(f"{v!r}: {n:,}" for v, n in unknown[:20])
        more = f" and {len(unknown) - 20:,} more" if len(unknown) > 20 else ""
        notes.append(
            f"column 'role' (from {src!r}): {sum(n for _, n in unknown):,} row(s) have a role "
            f"or title the rule does not place; their role is kept unknown ({listed}{more}); "
            "give a value a role in the value map"
        )
    cases = " ".join(f"WHEN {literal(k)} THEN {literal(b)}" for k, b in outcome.items())
    return f"CASE lower({raw}) {cases} END" if cases else "NULL::VARCHAR"


def _range_checks(
    table: str, column: str, kind: type, typed: str, prefix: str, ctx: Context, checks: _Checks
) -> None:
    """The schema's bounds, dates a person could have meant, and no future where none can be."""
    low, high = column_bounds(table, column)
    if kind in (int, float):
        if low is not None:
            word = "negative" if low == 0 else f"below {low:g}"
            checks.problem(f"{typed} < {low}", f"{prefix} || {literal(' is ' + word)}")
        if high is not None:
            checks.problem(f"{typed} > {high}", f"{prefix} || {literal(f' is above {high:,.0f}')}")
    if kind in (dt.date, dt.datetime):
        checks.problem(
            f"CAST({typed} AS DATE) NOT BETWEEN DATE {literal(EARLIEST)} AND DATE {literal(LATEST)}",
            f"{prefix} || {literal(f' is not a plausible date (before {EARLIEST.year} or after {LATEST.year})')}",
        )
        if column in NOT_IN_FUTURE.get(table, []):
            checks.problem(
                f"CAST({typed} AS DATE) > DATE {literal(ctx.today + dt.timedelta(days=1))}",
                f"{prefix} || ' is in the future'",
            )


def _row_checks(table: str, ctx: Context) -> tuple[list[tuple[str, str]], str]:
    """Reasons that need the whole row or other rows (required, order of dates, duplicate
    ids, unknown accounts), as (condition, message) over the typed row ``t``; and the joins
    they use."""
    reasons = [
        (f"t.{column} IS NULL", literal(f"column {column}: required but empty"))
        for column in required_columns(table)
    ]
    for first, second in ORDERED_DATES.get(table, []):
        reasons.append(
            (
                f"t.{first} > t.{second}",
                f"'column {first}: ' || t.{first} || ' is after {second} ' || t.{second}",
            )
        )
    if table == "surveys":
        reasons.append(
            (
                "t.kind = 'csat' AND NOT t.score BETWEEN 1 AND 5",
                "'column score: ' || t.score || ' is not a CSAT score (1-5)'",
            )
        )
    if table == "contacts":  # one row per person: the same e-mail at the same account twice
        person = "t.account_id, lower(t.email)"
        reasons.append(
            (
                f"t.email IS NOT NULL AND t._row > min(t._row) OVER (PARTITION BY {person})",
                "'column email: ' || t.email || ' is already a contact of this account (row ' || "
                f"(min(t._row) OVER (PARTITION BY {person}) + {ctx.first_row - 1}) || "
                "'): one row per person'",
            )
        )
    joins = ""
    id_column = ID_COLUMNS.get(table)
    if id_column:
        # ids differing only by case (or spaces, trimmed already) are one id: a conflict
        key = f"lower(t.{id_column})"
        reasons.append(
            (
                f"t._row > min(t._row) OVER (PARTITION BY {key})",
                f"'column {id_column}: duplicate id ' || t.{id_column} || ' (first at row ' || "
                f"(min(t._row) OVER (PARTITION BY {key}) + {ctx.first_row - 1}) || ')'",
            )
        )
        if ctx.earlier_ids:
            joins += (
                f" LEFT JOIN (SELECT DISTINCT lower(id) AS _earlier FROM {ctx.earlier_ids}) e"
                f" ON e._earlier = {key}"
            )
            reasons.append(
                (
                    "e._earlier IS NOT NULL",
                    f"'column {id_column}: duplicate id ' || t.{id_column} || "
                    "' (also in another file of this import)'",
                )
            )
    if table != "accounts" and "account_id" in columns(table) and ctx.known_accounts:
        joins += (
            f" LEFT JOIN (SELECT DISTINCT account_id AS _known FROM {ctx.known_accounts}) k"
            " ON k._known = t.account_id"
        )
        not_customer = "NULL"
        if ctx.not_customers:
            joins += (
                f" LEFT JOIN (SELECT lower(account_id) AS _nc, any_value(status) AS _nc_status"
                f" FROM {ctx.not_customers} GROUP BY 1) nc ON nc._nc = lower(t.account_id)"
            )
            not_customer = (
                "CASE WHEN nc._nc IS NOT NULL THEN 'column account_id: account ' || t.account_id"
                " || ' is not a customer (its status is ' || coalesce(nc._nc_status, '?') ||"
                " '), so its rows are not loaded' END"
            )
        reasons.append(
            (
                "t.account_id IS NOT NULL AND k._known IS NULL",
                f"coalesce({not_customer}, "
                "'column account_id: no account matches (' || t._match_tried || ')', "
                "'column account_id: unknown account ' || t.account_id)",
            )
        )
    if table == "account_keys":  # another system's id is only worth keeping with its account
        reasons.append(
            (
                "t.account_id IS NULL",
                "'column account_id: no account matches (' || "
                "coalesce(t._match_tried, 'no id, domain or name to match by') || ')'",
            )
        )
    return reasons, joins


def _unknown(table: str, ctx: Context) -> str:
    """SQL: the row names an account that is not known (before any cross-system match)."""
    if table != "accounts" and "account_id" in columns(table) and ctx.known_accounts:
        return "coalesce(t.account_id IS NOT NULL AND k._known IS NULL, false)"
    return "false"


def _file_row(ctx: Context) -> str:
    """The spreadsheet row of staged row ``_row`` (r): the rows before the first data row (f)
    and the bad lines set aside before staging (sorted b₁ < b₂ < …) shift it:
    r + f − 1 + #{k : bₖ − k − (f − 2) ≤ r}."""
    base = f"c._row + {ctx.first_row - 1}"
    if not ctx.skipped:
        return base
    shifted = ", ".join(str(b - k - (ctx.first_row - 2)) for k, b in enumerate(ctx.skipped, 1))
    return f"{base} + len(list_filter([{shifted}], lambda b: b <= c._row))"


def ctx_has_tried(con: duckdb.DuckDBPyConnection, source: str) -> bool:
    return "__match_tried" in con.sql(f"SELECT * FROM {source} LIMIT 0").columns


def numbered(con: duckdb.DuckDBPyConnection, source: str) -> str:
    """SQL: ``source``'s rows with their number (``_row``: 1, 2, …) in the file's order. A
    staged Parquet file is read where it lies with its own row numbers (its companion
    ``<view>__rows``); a staged table's own row ids cost nothing (its rows are stored in the
    file's order); a view, or a table with a column of its own named ``rowid``, is numbered
    by ``row_number()``, which gathers every row first."""
    name = source[1:-1].replace('""', '"') if source.startswith('"') else source
    rows = ident(name + ROWS_SUFFIX)
    try:
        con.sql(f"SELECT * FROM {rows} LIMIT 0")
        return f"SELECT * FROM {rows}"
    except duckdb.Error:
        pass
    number = "row_number() OVER ()"
    if "rowid" not in {c.lower() for c in con.sql(f"SELECT * FROM {source} LIMIT 0").columns}:
        try:
            con.sql(f"SELECT rowid FROM {source} LIMIT 0")
            number = "rowid + 1"
        except duckdb.Error:
            pass
    return f"SELECT {number} AS _row, * FROM {source}"


def _pinned(con: duckdb.DuckDBPyConnection, ctx: Context, name: str) -> Context:
    """The context's tables (known accounts, ids of earlier files, owners, not customers)
    copied as they are now: the checked rows may be a view, read again by the counts, the
    impact and the load, and those tables grow as later files are checked."""
    pinned: dict[str, str | None] = {}
    for field_name, select in (
        ("known_accounts", "SELECT DISTINCT account_id FROM {}"),
        ("earlier_ids", "SELECT * FROM {}"),
        ("owner_ids", "SELECT * FROM {}"),
        ("not_customers", "SELECT * FROM {}"),
    ):
        table = getattr(ctx, field_name)
        if table is None:
            continue
        copy = ident(f"__pinned_{name}_{field_name}")
        con.execute(f"CREATE OR REPLACE TABLE {copy} AS {select.format(table)}")
        empty = (
            field_name == "not_customers"
            and not con.sql(f"SELECT 1 FROM {copy} LIMIT 1").fetchall()
        )
        pinned[field_name] = None if empty else copy  # none: no join to pay for on every row
    return replace(ctx, **pinned)


def _any(conditions: list[str]) -> str:
    return " OR ".join(f"coalesce({c}, false)" for c in conditions) or "false"


def _typed(
    con: duckdb.DuckDBPyConnection,
    source: str,
    table: str,
    checks: _Checks,
    early: str,
    early_bad: str,
) -> str:
    """SQL: the source's rows, numbered, in layers: raw texts → parsed numbers → typed
    columns → the problems found in the row's own values (``_early``, ``_early_bad``)."""
    has_tried = ctx_has_tried(con, source)
    tried = ", __match_tried AS _match_tried" if has_tried else ", NULL::VARCHAR AS _match_tried"
    rows = numbered(con, source)
    source_columns = ", ".join(["_row", *checks.raws, *(["__match_tried"] if has_tried else [])])
    raws = f"SELECT {source_columns} FROM ({rows})"
    parsed = f"SELECT *{''.join(', ' + p for p in checks.parsed)} FROM ({raws})"
    typed_columns = f"SELECT *, {', '.join(checks.selects)} FROM ({parsed})"
    carried = "".join(f", {c}" for c in checks.carry)
    skip = checks.skip or "false"
    return (
        f"SELECT _row, {', '.join(columns(table))}{carried}{tried}, {early} AS _early,"
        f" {early_bad} AS _early_bad, {skip} AS _skip FROM ({typed_columns})"
    )


def _materialise(
    con: duckdb.DuckDBPyConnection,
    source: str,
    table: str,
    checks: _Checks,
    ctx: Context,
    result: Prepared,
) -> None:
    """The checked rows, the view of the valid ones, the counts and the rejects."""
    checked = f"__checked_{result.view or table}"
    # the reasons are built only for rows with a problem: most rows pay for a few booleans,
    # and a pass that only needs to know whether a row is valid (``_bad``) builds no list
    early_bad = " OR ".join(checks.conditions) if checks.problems else "false"
    early = (
        f"CASE WHEN {early_bad} THEN "
        f"list_filter([{', '.join(checks.problems)}], lambda x: x IS NOT NULL) ELSE [] END"
        if checks.problems
        else "[]::VARCHAR[]"
    )
    typed = _typed(con, source, table, checks, early, early_bad)
    rows = numbered(con, source)
    if ctx.target is not None and not checks.parsed and _unknown(table, ctx) != "false":
        # rows whose account is unknown, counted on the account column alone: when there
        # are none (the usual case), the pass that writes a typed source's rows needs no
        # join (text parsed from a staged table keeps it: without it DuckDB writes the rows
        # in the staged order, in row groups its checkpoint compresses again, 0.8 s per 2M)
        _, joins = _row_checks(table, replace(ctx, not_customers=None, earlier_ids=None))
        # the distinct ids, each looked up once (thousands where the rows are millions)
        unknown = con.execute(
            f"SELECT count(*) FROM (SELECT DISTINCT account_id FROM ({typed})) t{joins}"
            f" WHERE {_unknown(table, ctx)}"
        ).fetchall()[0][0]
        if unknown == 0:
            ctx = replace(ctx, known_accounts=None, not_customers=None)
    row_checks, joins = _row_checks(table, ctx)
    late = ", ".join(f"CASE WHEN {c} THEN {m} END" for c, m in row_checks) or "NULL"
    bad = f"(t._early_bad OR {_any([c for c, _ in row_checks])})"
    reasons = (
        f"CASE WHEN {bad} THEN list_concat(t._early,"
        f" list_filter([{late}], lambda x: x IS NOT NULL)) ELSE []::VARCHAR[] END"
    )
    # a typed source (Parquet, a database) is checked by comparisons, cheaper to compute
    # again than its rows are to hold twice: a view, which the counts read once and the
    # load writes from; text parsed into numbers and dates is checked once, into a table,
    # unless its valid rows are written as they are checked (``ctx.target``): then that one
    # pass is all a file whose rows are all valid costs
    kind = "TABLE" if checks.parsed and ctx.target is None else "VIEW"
    drop_relation(con, checked)
    con.execute(
        f"CREATE {kind} {ident(checked)} AS SELECT t.* EXCLUDE (_early, _early_bad),"
        f" {reasons} AS _reasons, {bad} AS _bad, {_unknown(table, ctx)} AS _unknown"
        f" FROM ({typed}) t{joins}"
    )
    result.checked = checked
    result.valid_view = f"__valid_{result.view or table}"
    canonical = ", ".join(columns(table))
    valid = "NOT _bad AND NOT _skip"
    date = DATE_COLUMNS.get(table)
    counted = False
    if ctx.target is not None:
        con.execute(f"DROP TABLE IF EXISTS {ctx.target}")
        con.execute(ddl(table, ctx.target))
        written = con.execute(
            f"INSERT INTO {ctx.target} BY NAME SELECT {canonical} FROM {ident(checked)}"
            f" WHERE {valid}"
        ).fetchall()[0][0]
        con.execute(
            f"CREATE OR REPLACE VIEW {ident(result.valid_view)} AS SELECT {canonical}"
            f" FROM {ctx.target}"
        )
        total = con.execute(f"SELECT count(*) FROM ({rows})").fetchall()[0][0]
        if written == total:  # every row valid: nothing is rejected, unknown or set aside
            accounts = "count(DISTINCT account_id)" if "account_id" in columns(table) else "NULL"
            period = f"min({ident(date)}), max({ident(date)})" if date else "NULL, NULL"
            found = con.sql(f"SELECT {accounts}, {period} FROM {ctx.target}").fetchall()[0]
            result.total_rows = result.valid_rows = int(total)
            result.unknown_accounts = result.not_customers = 0
            result.valid_accounts = found[0]
            result.dates = (found[1], found[2]) if date else None
            counted = True
    else:
        con.execute(
            f"CREATE OR REPLACE VIEW {ident(result.valid_view)} AS SELECT {canonical} FROM"
            f" {ident(checked)} WHERE {valid}"
        )
    if not counted:
        accounts = (  # the distinct accounts of the valid rows, in the same pass
            f"count(DISTINCT account_id) FILTER (WHERE {valid})"
            if "account_id" in columns(table)
            else "NULL"
        )
        period = (
            f"min({ident(date)}) FILTER (WHERE {valid}), max({ident(date)}) FILTER (WHERE {valid})"
            if date
            else "NULL, NULL"
        )
        counts = con.sql(
            f"SELECT count(*), count(*) FILTER (WHERE {valid}),"
            f" count(*) FILTER (WHERE _unknown AND NOT _skip), count(*) FILTER (WHERE _skip),"
            f" {accounts}, {period} FROM {ident(checked)}"
        ).fetchall()[0]
        result.total_rows, result.valid_rows = counts[0], counts[1]
        result.unknown_accounts, result.not_customers = counts[2], counts[3]
        result.valid_accounts = counts[4]
        result.dates = (counts[5], counts[6]) if date else None
    if result.not_customers:  # their ids: rows of other tables that point at them say so
        result.not_customer_view = f"__not_customers_{result.view or table}"
        con.execute(
            f"CREATE OR REPLACE TABLE {ident(result.not_customer_view)} AS SELECT account_id,"
            f" {ident('__r_status')} AS status FROM {ident(checked)}"
            " WHERE _skip AND account_id IS NOT NULL"
        )
    if result.valid_rows + result.not_customers < result.total_rows:
        result.rejects = (
            con.sql(
                f"SELECT {_file_row(ctx)} AS row, array_to_string(c._reasons, '; ') AS reasons, s.* "
                f"FROM (SELECT _row, _reasons FROM {ident(checked)} WHERE _bad AND NOT _skip) c "
                f"JOIN ({rows}) s USING (_row) ORDER BY c._row"
            )
            .pl()
            .drop("_row", strict=False)
        )
    else:
        result.rejects = pl.DataFrame(
            {"row": [], "reasons": []}, schema={"row": pl.Int64, "reasons": pl.String}
        )


def prepare(
    con: duckdb.DuckDBPyConnection,
    source: str,
    source_name: str,
    mapping: Mapping,
    ctx: Context,
    view: str | None = None,
) -> Prepared:
    """Validate ``source`` (a staging table, or a query's result) for ``mapping.table``.

    The valid rows land in a staging view named by ``Prepared.valid_view``; the rejected
    ones, with their reasons, in ``Prepared.rejects``.
    """
    table = mapping.table
    result = Prepared(table=table, source=source_name, mapping=mapping, view=view)
    described = con.sql(f"SELECT * FROM {source} LIMIT 0")
    present = list(described.columns)
    source_types = {c: str(t) for c, t in zip(described.columns, described.types, strict=True)}
    column_map = dict(mapping.columns)
    if mapping.query:  # the query names its output columns canonically
        column_map = {c: c for c in columns(table) if c in present} | column_map
    result.errors = _mapping_errors(table, source_name, mapping, column_map, present)
    if result.errors:
        return result
    ctx = _pinned(con, ctx, view or table)
    checks = _Checks()
    id_column = ID_COLUMNS.get(table)  # unique: as many distinct values as rows
    clean = _clean_text(
        con,
        source,
        sorted(
            {
                src
                for column, src in column_map.items()
                if column in columns(table)
                and column != id_column
                and src in ctx.dictionary
                and source_types.get(src) == "VARCHAR"
                and _plain_text(table, column, mapping, ctx)
            }
        ),
        ctx,
    )
    for column, kind in columns(table).items():
        src = column_map.get(column)
        if (table, column) == ("contacts", "role") and src is None:
            src = column_map.get("title")  # no role column: the role is read from the title
        _column(
            con,
            source,
            mapping,
            column,
            kind,
            src,
            source_types.get(src or ""),
            ctx,
            checks,
            result.notes,
            clean=src in clean,
        )
    _currency_checks(table, checks, result.notes)
    result.vocabulary = checks.vocabulary
    _materialise(con, source, table, checks, ctx, result)
    _currency_notes(con, table, result)
    _control_notes(con, table, ctx, result)
    return result


def _control_notes(
    con: duckdb.DuckDBPyConnection, table: str, ctx: Context, result: Prepared
) -> None:
    """The rows whose text lost control characters, per column (the first ten named)."""
    if not result.checked:
        return
    present = con.sql(f"SELECT * FROM {ident(result.checked)} LIMIT 0").columns
    for column in columns(table):
        flag = f"__n_{column}__ctl"
        if flag not in present:
            continue
        rows = [
            r[0]
            for r in con.sql(
                f"SELECT {_file_row(ctx)} FROM {ident(result.checked)} c"
                f" WHERE {ident(flag)} ORDER BY c._row"
            ).fetchall()
        ]
        if rows:
            shown = ", ".join(str(r) for r in rows[:10]) + (", …" if len(rows) > 10 else "")
            result.notes.append(
                f"column {column!r}: control characters (a NUL, a line break…) removed from "
                f"{len(rows):,} row(s): row {shown}"
            )


def _money_columns(table: str, checks: _Checks) -> list[str]:
    return [c for c in columns(table) if ident(f"__n_{c}__cur") in checks.carry]


def _currency_checks(table: str, checks: _Checks, notes: list[str]) -> None:
    """A currency named in a money cell goes into the row's empty currency column; one that
    contradicts the row's currency rejects the row; in a table without a currency column,
    amounts in more than one currency reject every row that names one."""
    money = _money_columns(table, checks)
    if not money:
        return
    curs = [ident(f"__n_{c}__cur") for c in money]
    if "currency" in columns(table):
        at = next(i for i, e in enumerate(checks.selects) if e.endswith(" AS currency"))
        typed = checks.selects[at].removesuffix(" AS currency")
        checks.selects[at] = f"coalesce({typed}, {', '.join(curs)}) AS currency"
        if any(r.endswith(f" AS {ident('__r_currency')}") for r in checks.raws):
            checks.carry.append(ident("__r_currency"))
        for column, cur in zip(money, curs, strict=True):
            checks.problem(
                f"{cur} IS NOT NULL AND upper(currency) <> {cur}",
                f"'column {column}: ' || {ident(f'__r_{column}')} || ' is in ' || {cur} || "
                "', but the row''s currency is ' || currency",
            )
        return
    for column, cur in zip(money, curs, strict=True):
        low, high = ident(f"__lo_{column}"), ident(f"__hi_{column}")
        checks.selects += [f"min({cur}) OVER () AS {low}", f"max({cur}) OVER () AS {high}"]
        checks.problem(
            f"{cur} IS NOT NULL AND {low} <> {high}",
            f"'column {column}: ' || {ident(f'__r_{column}')} || ' is in ' || {cur} || "
            f"', and other amounts of the column are in ' || CASE WHEN {cur} = {low} THEN "
            f"{high} ELSE {low} END || {literal(f'; the {table} table has no currency column to tell them apart')}",
        )


def _currency_notes(con: duckdb.DuckDBPyConnection, table: str, result: Prepared) -> None:
    """What the currencies named in money cells became, per column."""
    if not result.checked:
        return
    present = set(con.sql(f"SELECT * FROM {ident(result.checked)} LIMIT 0").columns)
    for column in columns(table):
        cur = f"__n_{column}__cur"
        if cur not in present:
            continue
        filled = (
            "count(*) FILTER (WHERE __r_currency IS NULL AND len(_reasons) = 0)"
            if "__r_currency" in present
            else "count(*) FILTER (WHERE len(_reasons) = 0)"
        )
        rows = con.sql(
            f"SELECT {ident(cur)}, count(*), {filled} FROM {ident(result.checked)}"
            f" WHERE {ident(cur)} IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1"
        ).fetchall()
        if not rows:
            continue
        named = ", ".join(f"{c} {n:,}" for c, n, _ in rows)
        total = sum(n for _, n, _ in rows)
        note = (
            f"column {column!r}: {total:,} amount(s) name their currency ({named}): read as numbers"
        )
        if "currency" in columns(table):
            note += (
                f"; the currency went into the empty currency column of "
                f"{sum(f for _, _, f in rows):,} row(s); a row whose currency column says "
                "another is rejected"
            )
        elif len(rows) > 1:
            note += f"; the {table} table has no currency column, so those rows are rejected"
        else:
            note += f"; the {table} table has no currency column, so it is noted here only"
        result.notes.append(note)


def vocabulary_table(prepared: Prepared) -> pl.DataFrame:
    """Every distinct status value of an accounts source with its rows and what it became
    (active, churned, not a customer, unknown) and by which rule: for the preview, where a
    person may change it (``vocabulary.with_edits`` turns the edits into the value map)."""
    if prepared.vocabulary is None:
        return pl.DataFrame(
            schema={"value": pl.String, "rows": pl.Int64, "became": pl.String, "rule": pl.String}
        )
    return prepared.vocabulary
