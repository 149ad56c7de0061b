"""Tandem's SQL, written once in DuckDB's dialect, compiled for the team's warehouse.

sqlglot (pinned exactly in ``pyproject.toml``: its output is part of what the tests check)
parses the DuckDB text; a small set of rewrites on the tree makes it run, and count, the same
on PostgreSQL, Spark/Databricks, Snowflake and BigQuery; ``lint`` fails on any construct those
rewrites do not cover, so a new DuckDB-only construct in ``features.py`` stops the tests
instead of shipping a query that does not run, or worse, runs and counts differently:

- parameters (``$usage_days``, ``$dates``) become literals; the list of dates a table of them;
- ``to_days(n)`` a constant ``INTERVAL 'n' DAY``; ``x + to_years(n)`` a date addition;
- a decimal literal (``24.0``) a DOUBLE, as DuckDB computes with it (Spark: a DECIMAL);
- ``GROUP BY ALL`` the explicit keys (the projections without an aggregate);
- every subquery in ``FROM`` gets an alias (PostgreSQL requires one);
- ``agg(x) FILTER (WHERE c)`` becomes ``agg(CASE WHEN c THEN x END)`` (Snowflake and
  BigQuery have no ``FILTER``; on the others it is the same aggregate);
- a named ``WINDOW`` clause is written into each ``OVER`` (sqlglot fails on it for BigQuery);
- ``datediff(unit, a, b)`` is taken on ``a`` and ``b`` truncated to the unit: DuckDB counts
  unit boundaries crossed, Spark counts whole units elapsed, and without the truncation Spark
  runs without an error and is a day off on rows stamped with a time of day;
- ``arg_max(x, y)`` ignores rows whose ``x`` or ``y`` is NULL as DuckDB's does; PostgreSQL,
  which has no ``arg_max``, gets an ``array_agg ... ORDER BY`` (an aggregate) or the max of a
  ``[sortable y, x]`` text array (a window function; ``x`` comes back as text).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import polars as pl
import sqlglot
from sqlglot import exp

from dashboard.store.features import (
    NO_CHURNS,
    WINDOWS,
    Windows,
    feature_params,
    features_sql,
)

# engine -> sqlglot dialect; the URL schemes of the warehouse mode name the engines
ENGINES: dict[str, str] = {
    "postgres": "postgres",
    "spark": "spark",
    "databricks": "databricks",
    "snowflake": "snowflake",
    "bigquery": "bigquery",
}


class CompileError(ValueError):
    """The SQL uses a construct the rewrites do not cover for an engine; the message names it."""


# -- the rewrites, each a function of the tree ------------------------------------------------


def _literal(value: Any, kind: exp.DataType | None = None) -> exp.Expression:
    if value is None:
        if kind is None:
            raise CompileError("parameter value None: no type to give its NULL")
        return exp.cast(exp.Null(), kind.copy())
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int | float):
        return exp.Literal.number(value)
    if isinstance(value, dt.datetime):
        return exp.cast(exp.Literal.string(value.isoformat(sep=" ")), exp.DataType.Type.TIMESTAMP)
    if isinstance(value, dt.date):
        return exp.cast(exp.Literal.string(value.isoformat()), exp.DataType.Type.DATE)
    if isinstance(value, str):
        return exp.Literal.string(value)
    raise CompileError(f"parameter value {value!r}: no literal for a {type(value).__name__}")


def _given_rows(
    columns: list[tuple[str, list[Any], exp.DataType | None]], optional: bool, alias: str
) -> exp.Expression:
    """The rows ``SELECT unnest($a::T[]) AS x, unnest($b::U[]) AS y`` gives, as a table to
    select from: one row per position of the (equal-length) lists, a ``VALUES`` list of
    literals (flat however many rows: a union of 20,000 selects is a tree no engine's parser
    or ours walks quickly); no list values and ``optional`` (every list may be empty): one
    typed row of NULLs filtered out, so every engine knows the types."""
    lengths = {len(values) for _, values, _ in columns}
    if len(lengths) != 1:
        raise CompileError(f"${columns[0][0]}: the lists unnested together differ in length")
    (length,) = lengths
    names = [name for name, _, _ in columns]
    if length == 0:
        if not optional:
            raise CompileError(f"${columns[0][0]}: a list with at least one value is needed")
        nulls = [exp.alias_(_literal(None, kind), name) for name, _, kind in columns]
        return exp.Subquery(
            this=exp.select(*nulls).where(exp.false()),
            alias=exp.TableAlias(this=exp.to_identifier(alias)),
        )
    rows = [
        exp.Tuple(expressions=[_literal(values[i], kind) for _, values, kind in columns])
        for i in range(length)
    ]
    return exp.values(rows, alias=alias, columns=names)


def bind_parameters(tree: exp.Expression, params: Mapping[str, Any]) -> exp.Expression:
    """``$name`` becomes its value as a literal; ``SELECT DISTINCT unnest($dates::DATE[]) AS x``
    becomes ``SELECT DISTINCT x FROM (VALUES (DATE '…'), …) AS given_x(x)``, and
    several lists unnested side by side become rows of several columns. A list may be empty
    only where the query can do without rows (every ``$name`` but ``$dates``)."""
    selects: dict[int, tuple[exp.Select, list[exp.Explode]]] = {}
    for explode in list(tree.find_all(exp.Explode)):
        holder = explode.find(exp.Placeholder)
        select = explode.find_ancestor(exp.Select)
        if holder is None or select is None or not isinstance(explode.parent, exp.Alias):
            continue
        selects.setdefault(id(select), (select, []))[1].append(explode)
    for select, explodes in selects.values():
        columns: list[tuple[str, list[Any], exp.DataType | None]] = []
        names: list[str] = []
        for explode in explodes:
            holder = explode.find(exp.Placeholder)
            assert holder is not None
            values = params.get(holder.name)
            if not isinstance(values, list | tuple):
                raise CompileError(f"${holder.name}: a list is needed")
            cast = explode.this if isinstance(explode.this, exp.Cast) else None
            kind = cast.to.expressions[0] if cast is not None and cast.to.expressions else None
            columns.append((explode.parent.alias, list(values), kind))
            names.append(holder.name)
        alias = f"given_{columns[0][0]}"
        rows = _given_rows(columns, optional="dates" not in names, alias=alias)
        replacement = exp.select(*(exp.column(name) for name, _, _ in columns)).from_(rows)
        if select.args.get("distinct"):
            replacement = replacement.distinct()
        if select is tree:
            tree = replacement
        else:
            select.replace(replacement)

    def bind(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Placeholder) and node.name:
            if node.name not in params:
                raise CompileError(f"${node.name}: no value given")
            return _literal(params[node.name])
        return node

    return tree.transform(bind)


def _constant(node: exp.Expression) -> int | None:
    """The value of a constant integer expression (``2 * 30``), None when it is not one."""
    if isinstance(node, exp.Paren):
        return _constant(node.this)
    if isinstance(node, exp.Literal) and not node.is_string and node.this.lstrip("-").isdigit():
        return int(node.this)
    if isinstance(node, exp.Mul | exp.Add | exp.Sub):
        left, right = _constant(node.this), _constant(node.expression)
        if left is None or right is None:
            return None
        return {exp.Mul: left * right, exp.Add: left + right, exp.Sub: left - right}[type(node)]
    return None


def _is_call(node: exp.Expression, name: str) -> bool:
    return isinstance(node, exp.Anonymous) and node.name.lower() == name


def intervals(tree: exp.Expression) -> exp.Expression:
    """``to_days(<constant>)`` -> ``INTERVAL 'n' DAY``; ``x + to_years(n)`` -> a date addition
    of ``n`` years (each engine's own: ``+ INTERVAL '1 YEAR' * n``, ``ADD_MONTHS``, …)."""

    def rewrite(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.ToDays):
            days = _constant(node.this)
            if days is None:
                raise CompileError(f"to_days({node.this.sql('duckdb')}): not a constant")
            return exp.Interval(this=exp.Literal.string(str(days)), unit=exp.var("DAY"))
        if isinstance(node, exp.Add) and _is_call(node.expression, "to_years"):
            (years,) = node.expression.expressions
            return exp.DateAdd(this=node.this, expression=years, unit=exp.var("YEAR"))
        return node

    return tree.transform(rewrite)


def _has_aggregate(node: exp.Expression) -> bool:
    return any(
        agg.find_ancestor(exp.Window) is None or not node.find(exp.Window)
        for agg in node.find_all(exp.AggFunc)
    )


def double_literals(tree: exp.Expression) -> exp.Expression:
    """A literal with a decimal point (``24.0``, ``365.25``) as a DOUBLE: DuckDB's division
    makes a double of it, Spark keeps a DECIMAL of limited scale and ``pow(0.5, x / (24.0 *
    90))`` drifts by a few parts in a billion."""

    def rewrite(node: exp.Expression) -> exp.Expression:
        decimal = isinstance(node, exp.Literal) and not node.is_string and "." in node.this
        if decimal and not isinstance(node.parent, exp.Cast):
            return exp.cast(node.copy(), exp.DataType.Type.DOUBLE)
        return node

    return tree.transform(rewrite)


def explicit_group_by(tree: exp.Expression) -> exp.Expression:
    """``GROUP BY ALL`` -> ``GROUP BY`` every projection that holds no aggregate."""
    for group in list(tree.find_all(exp.Group)):
        if not group.args.get("all"):
            continue
        select = group.parent
        keys = [
            (p.this if isinstance(p, exp.Alias) else p).copy()
            for p in select.expressions
            if not _has_aggregate(p)
        ]
        if not keys:
            raise CompileError("GROUP BY ALL without a key")
        group.replace(exp.Group(expressions=keys))
    return tree


def alias_subqueries(tree: exp.Expression) -> exp.Expression:
    """Every subquery in ``FROM`` or ``JOIN`` gets an alias (``subquery_1``, …)."""
    count = 0
    for sub in list(tree.find_all(exp.Subquery)):
        if sub.alias or not isinstance(sub.parent, exp.From | exp.Join):
            continue
        count += 1
        sub.set("alias", exp.TableAlias(this=exp.to_identifier(f"subquery_{count}")))
    return tree


def filters_to_case(tree: exp.Expression) -> exp.Expression:
    """``agg(x) FILTER (WHERE c)`` -> ``agg(CASE WHEN c THEN x END)``; ``count(*)`` counts
    ``CASE WHEN c THEN 1 END``. Every aggregate used skips NULLs, so the two are equal."""

    def rewrite(node: exp.Expression) -> exp.Expression:
        if not isinstance(node, exp.Filter):
            return node
        agg, cond = node.this, node.expression.this
        if not isinstance(agg, exp.AggFunc):
            raise CompileError(f"FILTER on {agg.sql('duckdb')}: not an aggregate")
        agg = agg.copy()
        target = agg.this
        if isinstance(target, exp.Distinct):
            (inner,) = target.expressions
            target.set("expressions", [exp.case().when(cond.copy(), inner)])
        elif isinstance(target, exp.Star) or target is None:
            agg.set("this", exp.case().when(cond.copy(), exp.Literal.number(1)))
        else:
            agg.set("this", exp.case().when(cond.copy(), target))
        return agg

    return tree.transform(rewrite)


def inline_windows(tree: exp.Expression) -> exp.Expression:
    """``OVER name ... WINDOW name AS (spec)`` -> ``OVER (spec)`` at each use."""
    for select in list(tree.find_all(exp.Select)):
        named = {w.name: w for w in select.args.get("windows") or []}
        if not named:
            continue
        for window in select.find_all(exp.Window):
            if window.parent is select and window in (select.args.get("windows") or []):
                continue
            ref = window.args.get("alias")
            if ref is None or ref.name not in named:
                continue
            spec = named[ref.name]
            window.set("alias", None)
            for arg in ("partition_by", "order", "spec"):
                value = spec.args.get(arg)
                if isinstance(value, exp.Expression):
                    value = value.copy()
                elif value:
                    value = [v.copy() for v in value]
                window.set(arg, value or None)
        select.set("windows", None)
    return tree


TRUNCATED_UNITS = {"HOUR", "MINUTE", "SECOND", "MONTH", "YEAR", "WEEK", "QUARTER"}


def truncated_datediff(tree: exp.Expression) -> exp.Expression:
    """``datediff(unit, a, b)`` on ``a`` and ``b`` truncated to the unit (days: cast to DATE),
    so every engine counts unit boundaries crossed, as DuckDB does."""
    for diff in list(tree.find_all(exp.DateDiff)):
        unit = (diff.args.get("unit") or exp.var("DAY")).name.upper()
        for arg in ("this", "expression"):
            value = diff.args[arg]
            if unit == "DAY":
                if not (isinstance(value, exp.Cast) and value.to.this == exp.DataType.Type.DATE):
                    diff.set(arg, exp.cast(value.copy(), exp.DataType.Type.DATE))
            elif unit in TRUNCATED_UNITS:
                diff.set(arg, exp.TimestampTrunc(this=value.copy(), unit=exp.var(unit)))
            else:
                raise CompileError(f"datediff in {unit.lower()}s: no rewrite for this unit")
    return tree


def arg_max_skips_nulls(tree: exp.Expression) -> exp.Expression:
    """``arg_max(x, y)`` -> ``arg_max(x, CASE WHEN x IS NOT NULL THEN y END)``: DuckDB skips a
    row whose ``x`` is NULL, Spark's and Snowflake's ``MAX_BY`` only one whose ``y`` is."""
    for node in list(tree.find_all(exp.ArgMax, exp.ArgMin)):
        x, y = node.this, node.expression
        if isinstance(y, exp.Case):
            continue
        node.set(
            "expression",
            exp.case().when(exp.not_(exp.Is(this=x.copy(), expression=exp.null())), y.copy()),
        )
    return tree


PG_TIME_FORMAT = "YYYY-MM-DD HH24:MI:SS.US"


def postgres_arg_max(tree: exp.Expression) -> exp.Expression:
    """PostgreSQL has no ``arg_max``: as an aggregate, the first of ``array_agg(x ORDER BY y
    DESC)`` over the rows where both are known; as a window function (where PostgreSQL allows
    no ``ORDER BY`` in the aggregate), the second element of the max of ``[y as sortable text,
    x as text]``."""

    def rewrite(node: exp.Expression) -> exp.Expression:
        window = (
            node if isinstance(node, exp.Window) and isinstance(node.this, exp.ArgMax) else None
        )
        target = window.this if window else node
        if not isinstance(target, exp.ArgMax) or (
            not window and isinstance(node.parent, exp.Window)
        ):
            return node
        x, y = target.this.sql("postgres"), target.expression.sql("postgres")
        known = f"({x}) IS NOT NULL AND ({y}) IS NOT NULL"
        if window is None:
            text = f"(ARRAY_AGG({x} ORDER BY {y} DESC) FILTER (WHERE {known}))[1]"
            return sqlglot.parse_one(text, read="postgres")
        over = window.copy()
        pair = f"ARRAY[TO_CHAR({y}, '{PG_TIME_FORMAT}'), CAST({x} AS TEXT)]"
        over.set(
            "this", sqlglot.parse_one(f"MAX(CASE WHEN {known} THEN {pair} END)", read="postgres")
        )
        return exp.Bracket(this=exp.paren(over), expressions=[exp.Literal.number(2)], offset=1)

    return tree.transform(rewrite)


def qualify_tables(tree: exp.Expression, schema: str | None) -> exp.Expression:
    """Every table that is not a CTE read from ``schema`` (the warehouse's canonical tables)."""
    if not schema:
        return tree
    ctes = {cte.alias for cte in tree.find_all(exp.CTE)}
    parts = schema.split(".")
    for table in tree.find_all(exp.Table):
        if table.name in ctes or table.args.get("db"):
            continue
        table.set("db", exp.to_identifier(parts[-1]))
        if len(parts) > 1:
            table.set("catalog", exp.to_identifier(parts[0]))
    return tree


REWRITES: tuple[Callable[[exp.Expression], exp.Expression], ...] = (
    intervals,
    double_literals,
    explicit_group_by,
    alias_subqueries,
    filters_to_case,
    inline_windows,
    truncated_datediff,
    arg_max_skips_nulls,
)


def bigquery_window_order(tree: exp.Expression) -> exp.Expression:
    """BigQuery takes no ``NULLS LAST`` in a window's ``ORDER BY``: the query's window keys
    are snapshot dates, never NULL, so the default order is the same order."""
    for window in tree.find_all(exp.Window):
        order = window.args.get("order")
        for ordered in order.expressions if order else []:
            ordered.set("nulls_first", not ordered.args.get("desc"))  # its default
    return tree


# the per-engine shims, after the lint (they write the engine's own constructs)
SHIMS: dict[str, tuple[Callable[[exp.Expression], exp.Expression], ...]] = {
    "postgres": (postgres_arg_max,),
    "bigquery": (bigquery_window_order,),
}


# -- the lint ----------------------------------------------------------------------------------

# Every node type the rewritten feature query holds, each checked on the engines or compiled
# for them. A construct not listed here has no rewrite: the lint names it.
PORTABLE: frozenset[type[exp.Expression]] = frozenset(
    {
        exp.Add,
        exp.Alias,
        exp.And,
        exp.ArgMax,
        exp.Avg,
        exp.Boolean,
        exp.Case,
        exp.Cast,
        exp.Ceil,
        exp.Coalesce,
        exp.Column,
        exp.Count,
        exp.CTE,
        exp.DataType,
        exp.DateAdd,
        exp.DateDiff,
        exp.Tuple,  # a row of VALUES (given lists)
        exp.Values,
        exp.DPipe,  # ``a || b``: every engine here joins text so (ISO dates cast as text)
        exp.TimestampTrunc,
        exp.Distinct,
        exp.Div,
        exp.EQ,
        exp.From,
        exp.Greatest,
        exp.Group,
        exp.GT,
        exp.GTE,
        exp.Identifier,
        exp.If,
        exp.In,
        exp.Interval,
        exp.Is,
        exp.Join,
        exp.Lag,
        exp.Literal,
        exp.LogicalOr,
        exp.LT,
        exp.LTE,
        exp.Max,
        exp.Min,
        exp.Mul,
        exp.NEQ,
        exp.Not,
        exp.Null,
        exp.Nullif,
        exp.Or,
        exp.Order,
        exp.Ordered,
        exp.Paren,
        exp.Pow,
        exp.Select,
        exp.Star,
        exp.Sub,
        exp.Subquery,
        exp.Sum,
        exp.Table,
        exp.TableAlias,
        exp.Union,
        exp.Var,
        exp.Where,
        exp.Window,
        exp.WindowSpec,
        exp.With,
    }
)


T = exp.DataType.Type
PORTABLE_TYPES = frozenset(
    {T.DATE, T.TIMESTAMP, T.TIMESTAMPNTZ, T.DOUBLE, T.BIGINT, T.INT, T.VARCHAR, T.TEXT, T.BOOLEAN}
)


def lint(tree: exp.Expression, allow: frozenset[type[exp.Expression]] = frozenset()) -> list[str]:
    """What in the rewritten tree no rewrite covers, in words (empty: portable). ``allow``:
    constructs a caller's SQL also uses, checked by its own tests (the generated views')."""
    found: list[str] = []
    for node in tree.walk():
        if isinstance(node, exp.DataType) and node.this not in PORTABLE_TYPES:
            found.append(f"type {node.sql('duckdb')}")
        elif isinstance(node, exp.Star) and any(node.args.values()):
            found.append(f"{node.sql('duckdb')}")
        elif type(node) not in PORTABLE and type(node) not in allow:
            text = node.sql("duckdb")
            found.append(f"{type(node).__name__}: {text[:80]}")
        elif isinstance(node, exp.Group) and node.args.get("all"):
            found.append("GROUP BY ALL")
        elif isinstance(node, exp.Select) and node.args.get("windows"):
            found.append("named WINDOW clause")
        elif (
            isinstance(node, exp.Subquery)
            and isinstance(node.parent, exp.From | exp.Join)
            and not node.alias
        ):
            found.append(f"subquery without an alias: {node.sql('duckdb')[:60]}")
    return list(dict.fromkeys(found))


# -- compiling ---------------------------------------------------------------------------------


def rewrite(sql: str, params: Mapping[str, Any], schema: str | None = None) -> exp.Expression:
    """The DuckDB text as a tree with every rewrite applied (still engine-neutral)."""
    tree = bind_parameters(sqlglot.parse_one(sql, read="duckdb"), params)
    for step in REWRITES:
        tree = step(tree)
    return qualify_tables(tree, schema)


def compile_sql(
    sql: str,
    engine: str,
    params: Mapping[str, Any],
    schema: str | None = None,
    allow: frozenset[type[exp.Expression]] = frozenset(),
) -> str:
    """``sql`` (DuckDB's dialect, ``$name`` parameters) as ``engine`` runs it; ``allow``:
    constructs besides ``PORTABLE`` the caller's own tests check (see ``lint``)."""
    if engine not in ENGINES:
        raise CompileError(f"unknown engine {engine!r}; known: {', '.join(ENGINES)}")
    tree = rewrite(sql, params, schema)
    problems = lint(tree, allow)
    if problems:
        raise CompileError("not covered by the rewrites for other engines: " + "; ".join(problems))
    for shim in SHIMS.get(engine, ()):
        tree = shim(tree)
    return tree.sql(
        dialect=ENGINES[engine], pretty=True, unsupported_level=sqlglot.ErrorLevel.RAISE
    )


def compile_features(
    engine: str,
    dates: Sequence[dt.date],
    windows: Windows = WINDOWS,
    schema: str | None = None,
    churns: pl.DataFrame | None = None,
    usage: str = "both",
) -> str:
    """The feature query (``features.features_sql``) for ``engine`` at ``dates``, reading usage
    from ``usage`` (``features.USAGE_SOURCES``: the raw events, the daily roll-up or both), with
    the churned accounts of ``churns`` (``account_churns``' columns) inlined; None: no churn
    known (the query as text, e.g. ``tandem features --sql``)."""
    known = churns if churns is not None else NO_CHURNS
    params = feature_params(dates, known, windows)
    return compile_sql(features_sql(usage), engine, params, schema)
