"""The canonical tables as views over a warehouse's raw synced tables (``tandem warehouse
views``): Fivetran's layouts of HubSpot, Salesforce, Stripe, Zendesk; Segment's warehouse
tables.

Each raw table is recognised by the file import's own rule (``presets.recognise_file`` on
its column names: the same vendor presets, the same mapping), and the mapping becomes SQL:
written once in DuckDB's dialect and compiled for the engine by ``store.dialects``. A column
reads as the import's checks type it (text trimmed, an empty text no value, the value maps
and vocabularies, numbers scaled, times in UTC, the schema's default for a column the source
lacks), an account's status by the vocabulary rule on the values the raw table holds (read
when the views are generated; a stage that is not a customer is not in the view), owner ids
the owners view's names. A row the import rejects is not in the view: a required value
missing, a value outside a fixed vocabulary, an account not in the accounts view; nor is a
row the sync marks deleted (``_fivetran_deleted``). A canonical table no raw table feeds is
an empty view of its columns, so ``tandem warehouse check`` finds every table.

Refused by name, never guessed: a raw table no preset fits; several tables of one preset
(Segment's per-event tables repeat its tracks); a table none of whose account ids is an
account's; rows keyed by another system's ids (Stripe customers, Zendesk organisations: the
import matches them through ``account_keys``) or found by e-mail or name only. Not done: the
presets' ``[[with]]`` queries over several files.

Reading the raw schema, the statuses and the ids is ``SELECT`` only; ``create_views`` writes,
and only the CLI's ``--create`` (confirmed) calls it."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp

from dashboard.ingest import vocabulary
from dashboard.ingest.mapping import Mapping, value_map
from dashboard.ingest.presets import GENERIC, recognise_file
from dashboard.ingest.validate import VALUE_SYNONYMS, allowed_values, default_value
from dashboard.ingest.warehouse import (
    SCHEMA_NAME,
    WarehouseConfig,
    WarehouseError,
    run_query,
)
from dashboard.schema import CHILD_TABLES, LOAD_ORDER, columns, required_columns
from dashboard.store.dialects import ENGINES, CompileError, compile_sql
from dashboard.store.sql import literal

# the constructs the views use besides the feature query's (``dialects.PORTABLE``), each
# compiled in the golden files and run on PostgreSQL in the tests
VIEW_CONSTRUCTS: frozenset[type[exp.Expression]] = frozenset(
    {
        exp.Create,
        exp.Lower,
        exp.Trim,
        exp.AtTimeZone,
        exp.UnixToTime,
        exp.Limit,
        exp.Schema,
        exp.RegexpLike,
    }
)
CANONICAL_TYPES = {
    str: "VARCHAR",
    int: "BIGINT",
    float: "DOUBLE",
    bool: "BOOLEAN",
    dt.date: "DATE",
    dt.datetime: "TIMESTAMP",
}
# a raw column's type (information_schema's data_type, lower case) by what it holds
ZONED = {"timestamp with time zone", "timestamptz", "timestamp_tz", "timestamp_ltz"}
TIMES = {"timestamp without time zone", "timestamp", "datetime", "timestamp_ntz", "date"}
NUMBERS = {
    "bigint",
    "integer",
    "smallint",
    "numeric",
    "decimal",
    "double precision",
    "real",
    "double",
    "float",
    "float64",
    "int64",
    "number",
    "int",
}
BOOLEANS = {"boolean", "bool"}
TRUE_WORDS = ("true", "t", "yes", "y", "1")  # the import's reading of a true/false cell
FALSE_WORDS = ("false", "f", "no", "n", "0")
DELETED = "_fivetran_deleted"  # the sync's mark of a row deleted at the source
OWNERS = "tandem_owners_view"  # the owners view, named in the target schema by view_statements
ACCOUNTS = "tandem_accounts_view"  # the accounts view, likewise
OWNER_COLUMNS = {("accounts", "csm_owner"), ("accounts", "am_owner"), ("activities", "author")}
PLAIN_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
# text the views cast: a plain number, an ISO date or time in UTC (any other text is no value:
# a cast that fails would fail the whole query, every night)
NUMBER_TEXT = r"^[+-]?[0-9]+([.][0-9]+)?$"
TIME_TEXT = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?)?(Z|[+]00(:?00)?)?$"
)


@dataclass(frozen=True)
class RawTable:
    """A table of the raw schema: its name and its columns with their types."""

    schema: str
    name: str
    columns: dict[str, str]  # column -> data type (lower case)

    @property
    def where(self) -> str:
        return f"{self.schema}.{self.name}"


@dataclass(frozen=True)
class ViewSource:
    """One raw table feeding one canonical table, by a vendor preset's mapping."""

    raw: str  # schema.table
    preset: str
    mapping: Mapping


@dataclass
class ViewPlan:
    """The views to create: per canonical table its DuckDB ``SELECT`` and its sources."""

    raw_schemas: list[str]
    selects: dict[str, str] = field(default_factory=dict)
    sources: dict[str, list[ViewSource]] = field(default_factory=dict)
    references: list[str] = field(default_factory=list)  # lookup tables the views do not read
    notes: list[str] = field(default_factory=list)


class ViewsRefused(ValueError):
    """Raw tables the views cannot read; the message names each. Nothing is created."""


def quoted(name: str) -> str:
    """A name as the SQL writes it: plain lower-case names bare (an engine that folds names
    to upper case finds them), any other quoted."""
    return name if PLAIN_NAME.match(name) else '"' + name.replace('"', '""') + '"'


def qualified(schema: str, table: str) -> str:
    """``schema.table`` (a schema may be ``database.schema``), each part as ``quoted``."""
    return ".".join(quoted(p) for p in [*schema.split("."), table])


def _text(column: str) -> str:
    return f"NULLIF(TRIM(CAST({column} AS VARCHAR)), '')"


def _cases(expr: str, values: dict[str, str]) -> str:
    """``expr`` through a value map (keys compared in lower case; "" is no value)."""
    if not values:
        return expr
    cases = " ".join(f"WHEN {literal(k)} THEN {literal(v)}" for k, v in values.items())
    return f"NULLIF(CASE LOWER({expr}) {cases} ELSE {expr} END, '')"


def _guarded(text: str, pattern: str, kind: str) -> str:
    """``text`` cast to ``kind`` when it reads as ``pattern``, else no value."""
    return f"CASE WHEN regexp_matches({text}, {literal(pattern)}) THEN CAST({text} AS {kind}) END"


class _Table:
    """The SELECT of one raw table as one canonical table."""

    def __init__(
        self,
        source: ViewSource,
        raw: RawTable,
        statuses: list[tuple[str, int]],
        owner_ids: bool = False,
        known_accounts: bool = False,
    ) -> None:
        self.source, self.raw = source, raw
        self.known_accounts = known_accounts  # rows of an account not in the accounts view: out
        self.owner_ids = owner_ids  # an owners view with owner ids: ids on rows become names
        self.statuses = statuses
        self.where: list[str] = []  # over the raw row
        self.outer: list[str] = []  # over the canonical row

    def col(self, name: str) -> str:
        return f"r.{quoted(name)}"

    def value(self, column: str, kind: type) -> str:
        """The canonical column's expression (the import's typing of the mapped column)."""
        mapping, table = self.source.mapping, self.source.mapping.table
        src = mapping.columns.get(column)
        rawtype = self.raw.columns.get(src, "") if src else ""
        if src is not None:
            text = _text(self.col(src))
        elif column in mapping.combine:
            parts = " || ' ' || ".join(
                f"COALESCE({_text(self.col(c))}, '')" for c in mapping.combine[column]
            )
            text = f"NULLIF(TRIM({parts}), '')"
        elif column in mapping.constants:
            text = literal(mapping.constants[column])
        else:  # the import's value for a column the source lacks (quantity: 1 event)
            return default_value(table, column)
        if (table, column) == ("accounts", "status") and src is not None:
            return self._status(text, mapping)
        values = value_map(VALUE_SYNONYMS.get(column, {})) | value_map(
            mapping.values.get(column, {})
        )
        if kind is str:
            typed = _cases(text, values)
            if self.owner_ids and (table, column) in OWNER_COLUMNS:  # as the import resolves
                typed = (
                    f"COALESCE((SELECT MAX(o.owner) FROM {OWNERS} AS o"
                    f" WHERE o.owner_id = {typed}), {typed})"
                )
            allowed = allowed_values(table, column)
            # a row with a value outside the vocabulary is out, as the import rejects it
            if allowed:
                listed = ", ".join(literal(a) for a in allowed)
                self.outer.append(f"({column} IS NULL OR {column} IN ({listed}))")
                typed = f"LOWER({typed})"
            return typed
        if kind in (int, float):
            number = (
                f"CAST({self.col(src)} AS DOUBLE)"
                if src is not None and rawtype in NUMBERS and column not in values
                else _guarded(_cases(text, values), NUMBER_TEXT, "DOUBLE")
            )
            if column in mapping.scale:
                number = f"({number} * {float(mapping.scale[column])!r})"
            return number
        if kind is bool:
            if src is not None and rawtype in BOOLEANS and column not in values:
                return self.col(src)
            text = _cases(text, values)
            trues = ", ".join(map(literal, TRUE_WORDS))
            falses = ", ".join(map(literal, FALSE_WORDS))
            return (
                f"CASE WHEN LOWER({text}) IN ({trues}) THEN TRUE "
                f"WHEN LOWER({text}) IN ({falses}) THEN FALSE END"
            )
        # dates and times, in UTC
        if src is not None and rawtype in ZONED:
            return f"CAST({self.col(src)} AT TIME ZONE 'UTC' AS TIMESTAMP)"
        if src is not None and rawtype in TIMES:
            return self.col(src)
        if src is not None and rawtype in NUMBERS:  # seconds since 1970
            return f"CAST(to_timestamp({self.col(src)}) AS TIMESTAMP)"
        return _guarded(text, TIME_TEXT, "TIMESTAMP")

    def _status(self, text: str, mapping: Mapping) -> str:
        """The vocabulary rule (``vocabulary.decide``) on the raw table's status values: each
        value that is a customer becomes active or churned, one that is not a customer takes
        the row out of the view, one no rule knows is no status."""
        decided = vocabulary.decide(self.statuses, mapping.values.get("status", {}))
        outcome = {v.strip().lower(): b for v, b in decided.select("value", "became").iter_rows()}
        cases = " ".join(
            f"WHEN {literal(k)} THEN {literal(b)}"
            for k, b in outcome.items()
            if b in (vocabulary.ACTIVE, vocabulary.CHURNED)
        )
        skipped = [k for k, b in outcome.items() if b == vocabulary.NOT_CUSTOMER]
        if skipped:
            listed = ", ".join(literal(k) for k in skipped)
            self.where.append(f"COALESCE(LOWER({text}) NOT IN ({listed}), TRUE)")
        return f"CASE LOWER({text}) {cases} END" if cases else "NULL"

    def select(self) -> str:
        table = self.source.mapping.table
        parts = []
        for column, kind in columns(table).items():
            parts.append(f"CAST({self.value(column, kind)} AS {CANONICAL_TYPES[kind]}) AS {column}")
        body = ",\n  ".join(parts)
        where = list(self.where)
        if DELETED in self.raw.columns:
            where.append(f"COALESCE({self.col(DELETED)}, FALSE) = FALSE")
        inner = f"SELECT\n  {body}\nFROM {qualified(self.raw.schema, self.raw.name)} AS r"
        if where:
            inner += "\nWHERE " + "\n  AND ".join(where)
        keep = [f"{c} IS NOT NULL" for c in required_columns(table)] + self.outer
        if self.known_accounts and table in CHILD_TABLES:  # the import rejects them
            keep.append(f"account_id IN (SELECT a.account_id FROM {ACCOUNTS} AS a)")
        required = " AND ".join(keep)
        return f"SELECT * FROM (\n{inner}\n) AS {table}_rows WHERE {required}"


def empty_select(table: str) -> str:
    """A canonical table no raw table feeds: its columns, typed, no row."""
    body = ", ".join(
        f"CAST(NULL AS {CANONICAL_TYPES[kind]}) AS {column}"
        for column, kind in columns(table).items()
    )
    return f"SELECT {body} LIMIT 0"


def _refusal(raw: RawTable, mapping: Mapping | None, preset: str) -> str | None:
    """Why the views cannot read a raw table its preset fits (None: they can)."""
    if mapping is None:
        return None
    if mapping.table == "account_keys":
        return (
            f"{raw.where}: fits the preset {preset} (another system's ids for the accounts, "
            "matched by name or domain in the file import); the views do not match accounts"
        )
    if mapping.match.get("system"):
        return (
            f"{raw.where}: fits the preset {preset}, whose rows name their account by "
            f"{mapping.match['system']}'s own ids (the file import matches them through "
            "account_keys); the views do not — select it with the account's id in a model"
        )
    if mapping.table in CHILD_TABLES and "account_id" not in mapping.columns:
        return (
            f"{raw.where}: fits the preset {preset}, but its rows find their account by e-mail "
            "or name only (the file import matches them); the views need an account id column"
        )
    missing = [
        c
        for c in required_columns(mapping.table)
        if c not in mapping.columns and c not in mapping.constants and c not in mapping.combine
    ]
    if missing:
        return (
            f"{raw.where}: fits the preset {preset}, but no column gives {', '.join(missing)} "
            f"of {mapping.table}"
        )
    return None


# (a table, its account id column, the accounts' tables and id columns) -> (distinct ids
# sampled, how many are an account's id, one that is not)
IdsCheck = Callable[[RawTable, str, list[tuple[RawTable, str]]], tuple[int, int, str | None]]


def plan_views(
    raw_tables: list[RawTable],
    statuses: Callable[[RawTable, str], list[tuple[str, int]]],
    ids: IdsCheck | None = None,
) -> ViewPlan:
    """The views over ``raw_tables`` (a sync lands each connector in a schema of its own),
    each recognised by the presets; ``statuses(table, column)`` gives an account status
    column's values and their rows; ``ids`` (when given) checks that another table's account
    ids are the accounts' (a billing system's own customer ids are not: its whole view would
    be empty). Raises ``ViewsRefused`` naming every raw table the views cannot read."""
    schemas = sorted({r.schema for r in raw_tables})
    plan = ViewPlan(schemas)
    raw_schema = ", ".join(schemas)
    refused: list[str] = []
    chosen: list[tuple[ViewSource, RawTable]] = []
    for raw in sorted(raw_tables, key=lambda r: r.where):
        found = recognise_file(list(raw.columns), raw.name)
        if found is None or found.preset == GENERIC:
            guess = f" (its columns look like {found.table}, by name only)" if found else ""
            refused.append(
                f"{raw.where}: no vendor preset fits its columns{guess}; write its view in your "
                "own models, or leave it out with --tables"
            )
            continue
        if found.reference:
            plan.references.append(f"{raw.where} ({found.preset})")
            continue
        why = _refusal(raw, found.mapping, found.preset)
        if why:
            refused.append(why)
            continue
        assert found.mapping is not None
        chosen.append((ViewSource(raw.where, found.preset, found.mapping), raw))
    same: dict[str, list[str]] = {}
    for source, _raw in chosen:
        same.setdefault(source.preset, []).append(source.raw)
    for preset, tables in same.items():
        if len(tables) > 1:  # Segment's per-event tables repeat its tracks: rows counted twice
            refused.append(
                f"{', '.join(tables)}: each fits the preset {preset}, and the views would read "
                "the rows of all of them (Segment's per-event tables repeat its tracks table); "
                "name the one to read with --tables"
            )
    accounts = [
        (r, s.mapping.columns["account_id"]) for s, r in chosen if s.mapping.table == "accounts"
    ]
    for source, raw in chosen if ids is not None and accounts else []:
        if source.mapping.table not in CHILD_TABLES:
            continue
        assert ids is not None
        sampled, known, example = ids(raw, source.mapping.columns["account_id"], accounts)
        if sampled and not known:
            refused.append(
                f"{raw.where}: none of its {sampled:,} account ids (e.g. {example!r}) is an id "
                f"of {', '.join(r.where for r, _ in accounts)}: they are {source.mapping.table}"
                f" of another system's customers (the file import matches those through "
                "account_keys); the views do not — leave it out with --tables"
            )
    if refused:
        raise ViewsRefused(
            f"{len(refused)} raw table(s) in {raw_schema} cannot be read by the views; "
            "nothing was created:\n" + "\n".join(f"  - {r}" for r in refused)
        )
    if not chosen:
        raise ViewsRefused(f"{raw_schema}: no raw table a view could read; nothing was created")
    for source, _raw in chosen:
        plan.sources.setdefault(source.mapping.table, []).append(source)
    owner_ids = any("owner_id" in s.mapping.columns for s in plan.sources.get("owners", []))
    for table in LOAD_ORDER:  # owners first: the views after them read their names
        feeds = [(s, r) for s, r in chosen if s.mapping.table == table]
        if not feeds:
            plan.selects[table] = empty_select(table)
            continue
        parts = []
        for source, raw in feeds:
            status = source.mapping.columns.get("status") if table == "accounts" else None
            values = statuses(raw, status) if status else []
            known = "accounts" in plan.sources
            parts.append(_Table(source, raw, values, owner_ids, known).select())
        plan.selects[table] = "\nUNION ALL\n".join(parts)
    return plan


def view_statements(plan: ViewPlan, engine: str, target_schema: str) -> list[str]:
    """``CREATE SCHEMA IF NOT EXISTS`` and one ``CREATE OR REPLACE VIEW`` per canonical
    table, compiled for ``engine``."""
    if not SCHEMA_NAME.match(target_schema):
        raise ViewsRefused(f"{target_schema!r} is not a schema name")
    if target_schema.split(".")[-1] in {s.split(".")[-1] for s in plan.raw_schemas}:
        raise ViewsRefused(
            f"the views go to a schema of their own, not the raw tables' ({target_schema})"
        )
    target = ".".join(quoted(p) for p in target_schema.split("."))
    texts = [f"CREATE SCHEMA IF NOT EXISTS {target}"]
    texts += [
        f"CREATE OR REPLACE VIEW {target}.{table} AS\n"
        + select.replace(OWNERS, f"{target}.owners").replace(ACCOUNTS, f"{target}.accounts")
        for table, select in plan.selects.items()
    ]
    try:
        return [compile_sql(t, engine, {}, allow=VIEW_CONSTRUCTS) for t in texts]
    except CompileError as exc:
        raise ViewsRefused(f"the views do not compile for {engine}: {exc}") from None


def script(statements: list[str]) -> str:
    return "".join(s.rstrip().rstrip(";") + ";\n\n" for s in statements).rstrip() + "\n"


# -- the warehouse: reading the raw schema, creating the views ----------------------------


def read_raw_tables(
    config: WarehouseConfig, raw_schemas: list[str], only: list[str] | None = None
) -> list[RawTable]:
    """The tables of ``raw_schemas`` and their columns (``information_schema``: reads only);
    ``only``: these tables (``table`` or ``schema.table``), each of which must be there."""
    if config.engine != "postgres":
        raise WarehouseError(
            f"{config.engine}: reading the raw tables runs on PostgreSQL here; the views "
            "are compiled for the other engines (see the golden files)"
        )
    wrong = [s for s in raw_schemas if not SCHEMA_NAME.match(s)]
    if wrong or not raw_schemas:
        raise WarehouseError(f"--from: {', '.join(map(repr, wrong))} is not a schema name")
    tables: dict[tuple[str, str], dict[str, str]] = {}
    for schema in raw_schemas:
        found = run_query(
            config,
            "SELECT table_name, column_name, lower(data_type) AS data_type"
            " FROM information_schema.columns"
            f" WHERE table_schema = {literal(schema.split('.')[-1])}"
            " ORDER BY table_name, ordinal_position",
            f"reading the schema {schema}",
        )
        if not found.height:
            raise WarehouseError(f"{schema}: no table there (or none this role may read)")
        for name, column, kind in found.iter_rows():
            tables.setdefault((schema, name), {})[column] = kind
    if only:
        named = {f"{s}.{t}": k for s, t in tables for k in [(s, t)]}
        named |= {t: (s, t) for s, t in tables}
        absent = [t for t in only if t not in named]
        if absent:
            raise WarehouseError(
                f"--tables: {', '.join(absent)} not in {', '.join(raw_schemas)} (its tables: "
                + ", ".join(sorted(f"{s}.{t}" for s, t in tables))
                + ")"
            )
        tables = {named[t]: tables[named[t]] for t in only}
    return [RawTable(schema, name, cols) for (schema, name), cols in tables.items()]


def status_reader(config: WarehouseConfig) -> Callable[[RawTable, str], list[tuple[str, int]]]:
    """``statuses`` for ``plan_views``: a status column's trimmed values and their rows."""

    def read(table: RawTable, column: str) -> list[tuple[str, int]]:
        value = _text(quoted(column))
        sql = (
            f"SELECT {value} AS v, count(*) AS n FROM {qualified(table.schema, table.name)}"
            f" WHERE {value} IS NOT NULL GROUP BY {value} ORDER BY n DESC, v LIMIT 10000"
        )
        compiled = compile_sql(sql, config.engine, {}, allow=VIEW_CONSTRUCTS)
        return [(str(v), int(n)) for v, n in run_query(config, compiled, "the statuses").rows()]

    return read


def ids_checker(config: WarehouseConfig) -> IdsCheck:
    """``ids`` for ``plan_views``: up to 10,000 of a table's distinct account ids, and how
    many of them the accounts' tables hold (reads only)."""

    def check(
        raw: RawTable, column: str, accounts: list[tuple[RawTable, str]]
    ) -> tuple[int, int, str | None]:
        mine = _text(quoted(column))
        theirs = " UNION ".join(
            f"SELECT {_text(quoted(c))} AS v FROM {qualified(t.schema, t.name)}"
            for t, c in accounts
        )
        sql = (
            "SELECT count(*) AS ids, count(a.v) AS known,"
            " min(CASE WHEN a.v IS NULL THEN c.v END) AS example FROM ("
            f"SELECT DISTINCT v FROM (SELECT {mine} AS v FROM {qualified(raw.schema, raw.name)}"
            f" WHERE {mine} IS NOT NULL LIMIT 100000) AS s LIMIT 10000) AS c"
            f" LEFT JOIN ({theirs}) AS a ON a.v = c.v"
        )
        compiled = compile_sql(sql, config.engine, {}, allow=VIEW_CONSTRUCTS)
        found = run_query(config, compiled, f"the account ids of {raw.where}")
        sampled, known, example = found.row(0)
        return int(sampled), int(known), example

    return check


def create_views(config: WarehouseConfig, statements: list[str]) -> None:
    """Run the statements in one transaction (PostgreSQL): every view, or on a failure none."""
    if config.engine != "postgres":
        raise WarehouseError(f"{config.engine}: the views are created on PostgreSQL here")
    import adbc_driver_postgresql.dbapi as driver

    try:
        con = driver.connect(config.url)
    except Exception as exc:  # the driver's own error types
        raise WarehouseError(f"{config.redacted_url()}: {config.redact(str(exc))}") from None
    try:
        cur = con.cursor()
        cur.execute(f"SET statement_timeout = {int(config.timeout_seconds * 1000)}")
        for statement in statements:
            cur.execute(statement)
        con.commit()
        cur.close()
    except Exception as exc:
        con.rollback()
        lines = str(exc).strip().splitlines() or [type(exc).__name__]
        said = next((ln.strip() for ln in lines if "ERROR:" in ln), lines[0])  # the server's
        view = next((ln for ln in lines if "CREATE OR REPLACE VIEW" in ln), "")
        which = re.search(r"VIEW (\S+) AS", view)
        raise WarehouseError(
            f"{config.redacted_url()}: creating the views failed, none was created"
            + (f" (at {which.group(1)})" if which else "")
            + f": {config.redact(said)}"
        ) from None
    finally:
        con.close()


def parse_back(statements: list[str], engine: str) -> list[exp.Expression]:
    """The statements parsed by sqlglot in the engine's dialect (the golden files' check)."""
    return [sqlglot.parse_one(s, read=ENGINES[engine]) for s in statements]
