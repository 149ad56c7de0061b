"""The feature query compiled for other engines: each rewrite, the lint, the golden files."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import duckdb
import polars as pl
import pytest
import sqlglot

from dashboard.ingest.demo import DemoSpec, load_demo
from dashboard.store import Stores
from dashboard.store.dialects import (
    CompileError,
    alias_subqueries,
    bind_parameters,
    compile_features,
    compile_sql,
    double_literals,
    explicit_group_by,
    filters_to_case,
    inline_windows,
    intervals,
    lint,
    rewrite,
    truncated_datediff,
)
from dashboard.store.features import (
    ACCOUNT_FEATURES_SQL,
    NO_CHURNS,
    account_churns,
    feature_params,
    features_at,
)
from tests.warehouse_data import AS_OF_DATES, differences

GOLDEN = Path(__file__).parent / "golden"
GOLDEN_DATES = [dt.date(2025, 12, 31), dt.date(2026, 1, 9)]


def duck(sql: str, params: dict | None = None) -> list[tuple]:
    return duckdb.sql(sql, params=params).fetchall() if params else duckdb.sql(sql).fetchall()


def tree(sql: str):
    return sqlglot.parse_one(sql, read="duckdb")


def test_to_days_and_to_years_become_intervals_and_date_additions():
    out = intervals(tree("SELECT ts - to_days(2 * 30), d + to_years(n) FROM t"))
    text = out.sql("postgres")
    assert "INTERVAL '60 DAY'" in text and "INTERVAL '1 YEAR' * n" in text
    assert "ADD_MONTHS(d, n * 12)" in out.sql("spark")
    # DuckDB reads the rewritten query back and counts the same: 29 Feb + 1 year = 28 Feb
    query = "SELECT DATE '2024-02-29' + to_years(1), TIMESTAMP '2026-03-01' - to_days(2 * 30)"
    assert duck(intervals(tree(query)).sql("duckdb")) == duck(query)
    with pytest.raises(CompileError, match="not a constant"):
        intervals(tree("SELECT ts - to_days(n) FROM t"))


def test_decimal_literals_become_doubles():
    sql = "SELECT pow(0.5, 37 / (24.0 * 90)), ceil(400 / 365.25)"
    out = double_literals(tree(sql))
    assert out.sql("spark") == (
        "SELECT POWER(CAST(0.5 AS DOUBLE), 37 / (CAST(24.0 AS DOUBLE) * 90)),"
        " CEIL(400 / CAST(365.25 AS DOUBLE))"
    )
    assert duck(out.sql("duckdb")) == duck(sql)


def test_group_by_all_becomes_the_keys_without_aggregates():
    sql = (
        "SELECT k, j + 1 AS j1, sum(v) AS s, count(*) FILTER (WHERE v > 1) AS c FROM t GROUP BY ALL"
    )
    out = explicit_group_by(tree(sql))
    assert out.args["group"].sql("duckdb") == "GROUP BY k, j + 1"
    data = "WITH t AS (SELECT * FROM (VALUES (1, 1, 1), (1, 1, 5), (2, 3, 2)) v(k, j, v)) "
    assert sorted(duck(data + out.sql("duckdb"))) == sorted(duck(data + sql))


def test_every_subquery_in_from_gets_an_alias():
    out = alias_subqueries(tree("SELECT * FROM (SELECT 1 AS a) JOIN (SELECT 1 AS b) ON true"))
    assert "AS subquery_1" in out.sql("postgres") and "AS subquery_2" in out.sql("postgres")
    assert lint(out) == []
    assert any("without an alias" in p for p in lint(tree("SELECT * FROM (SELECT 1 AS a)")))


def test_filter_becomes_case_with_the_same_counts():
    sql = (
        "SELECT count(*) FILTER (WHERE v > 1), sum(v) FILTER (WHERE v > 1),"
        " count(DISTINCT v) FILTER (WHERE v > 1), arg_max(k, v) FILTER (WHERE k < 3)"
        " FROM (VALUES (1, 1), (2, 5), (3, 7), (2, 5)) t(k, v)"
    )
    out = filters_to_case(tree(sql))
    assert "FILTER" not in out.sql("duckdb")
    assert duck(out.sql("duckdb")) == duck(sql) == [(3, 17, 2, 2)]


def test_named_window_is_written_into_each_over():
    sql = (
        "SELECT k, max(v) OVER w AS m, sum(v) OVER w AS s FROM (VALUES (1, 1), (1, 3), (2, 2)) t(k, v)"
        " WINDOW w AS (PARTITION BY k ORDER BY v ROWS UNBOUNDED PRECEDING) ORDER BY k, v"
    )
    out = inline_windows(tree(sql))
    assert "WINDOW" not in out.sql("duckdb") and out.sql("duckdb").count("PARTITION BY k") == 2
    assert duck(out.sql("duckdb")) == duck(sql)
    assert "named WINDOW" in " ".join(lint(tree(sql)))
    out.sql("bigquery")  # sqlglot fails on the named window for BigQuery, not on this


def test_datediff_counts_boundaries_on_every_engine():
    # 23:30 to 00:10 next day: one day boundary crossed (DuckDB), 0 whole days elapsed (Spark)
    sql = "SELECT datediff('day', a, b), datediff('hour', a, b) FROM (SELECT TIMESTAMP '2025-12-31 23:30' AS a, TIMESTAMP '2026-01-01 00:10' AS b)"
    out = truncated_datediff(tree(sql))
    spark = out.sql("spark")
    assert "DATEDIFF(DAY, CAST(a AS DATE), CAST(b AS DATE))" in spark
    assert "DATE_TRUNC('HOUR', a)" in spark
    assert duck(out.sql("duckdb")) == duck(sql) == [(1, 1)]
    with pytest.raises(CompileError, match="millenniums"):
        truncated_datediff(tree("SELECT datediff('millennium', a, b) FROM t"))


def test_parameters_become_literals_and_the_dates_a_table():
    out = bind_parameters(
        tree("SELECT DISTINCT unnest($dates::DATE[]) AS as_of"),
        {"dates": [dt.date(2026, 1, 1), dt.date(2025, 12, 31), dt.date(2026, 1, 1)]},
    )
    assert sorted(duck(alias_subqueries(out).sql("duckdb"))) == [
        (dt.date(2025, 12, 31),),
        (dt.date(2026, 1, 1),),
    ]
    with pytest.raises(CompileError, match=r"\$days: no value"):
        bind_parameters(tree("SELECT to_days($days)"), {})
    with pytest.raises(CompileError, match="at least one"):
        bind_parameters(tree("SELECT DISTINCT unnest($dates::DATE[]) AS as_of"), {"dates": []})


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT list(x) FROM t",  # a DuckDB list aggregate
        "SELECT x FROM t QUALIFY row_number() OVER (ORDER BY x) = 1",
        "SELECT * EXCLUDE (x) FROM t",
        "SELECT {'a': x} FROM t",
        "SELECT x::INT[] FROM t",
        "SELECT string_agg(x, ',') FROM t",
        "SELECT unnest(xs) FROM t",
        "SELECT epoch(x) FROM t",
    ],
)
def test_the_lint_fails_on_a_construct_the_rewrites_do_not_cover(sql):
    with pytest.raises(CompileError, match="not covered"):
        compile_sql(sql, "postgres", {})


def test_the_feature_query_is_covered():
    churns = pl.DataFrame(
        {
            "account_id": ["a", "b"],
            "churned": [True, True],
            "churned_on": [dt.date(2026, 1, 2), None],
        }
    )
    for known in (churns, NO_CHURNS):  # churns known (one undated), none known
        assert lint(rewrite(ACCOUNT_FEATURES_SQL, feature_params(AS_OF_DATES, known))) == []


@pytest.fixture(scope="module")
def small_portfolio(tmp_path_factory) -> Stores:
    stores = Stores.open(tmp_path_factory.mktemp("dialects"))
    load_demo(stores.sources, DemoSpec(accounts=80, seed=3, anchor=dt.date(2026, 1, 9)))
    return stores


def test_the_rewritten_query_counts_the_same_in_duckdb(small_portfolio: Stores):
    """Every rewrite together, written back in DuckDB's dialect: the same cells as the
    original (the engines' own shims are checked on the engines)."""
    params = feature_params(AS_OF_DATES, account_churns(small_portfolio.sources))
    rewritten = rewrite(ACCOUNT_FEATURES_SQL, params).sql("duckdb")
    assert "FILTER" not in rewritten and "GROUP BY ALL" not in rewritten
    local = features_at(small_portfolio.sources, AS_OF_DATES).drop("arr")  # arr: arr_on's
    again = small_portfolio.sources.query(rewritten)
    assert local.height > 200
    assert differences(local, again) == []


@pytest.mark.parametrize("engine", ["snowflake", "bigquery", "databricks"])
def test_golden_sql_for_engines_not_run_here(engine: str):
    """The compiled SQL for the engines CI has no server for: kept as golden files (a change
    shows in review; ``TANDEM_UPDATE_GOLDEN=1`` rewrites them) and parsed back by sqlglot."""
    compiled = compile_features(engine, GOLDEN_DATES, schema="analytics.tandem")
    path = GOLDEN / f"features_{engine}.sql"
    if os.environ.get("TANDEM_UPDATE_GOLDEN"):
        path.write_text(compiled + "\n")
    assert compiled + "\n" == path.read_text(), f"{path.name} is stale (TANDEM_UPDATE_GOLDEN=1)"
    parsed = sqlglot.parse_one(path.read_text(), read=engine)
    tables = {t.sql(engine) for t in parsed.find_all(sqlglot.exp.Table) if t.args.get("db")}
    assert any("usage_events" in t and "tandem" in t for t in tables)
    assert "WINDOW carried" not in compiled and "to_years" not in compiled.lower()
    assert "GROUP BY ALL" not in compiled and "FILTER" not in compiled


def test_unknown_engine_is_refused():
    with pytest.raises(CompileError, match="unknown engine"):
        compile_features("oracle", GOLDEN_DATES)


def test_lists_unnested_side_by_side_become_rows_and_an_empty_list_no_row():
    """The churned accounts reach a warehouse as two lists unnested together: one row per
    position (a None stays a typed NULL); no churn known gives no row, and the types hold."""
    sql = (
        "WITH churn AS (SELECT unnest($ids::VARCHAR[]) AS account_id,"
        " unnest($days::DATE[]) AS churned_on)"
        " SELECT account_id, churned_on FROM churn ORDER BY account_id"
    )
    both = {"ids": ["a", "b"], "days": [dt.date(2026, 1, 2), None]}
    bound = bind_parameters(tree(sql), both).sql("duckdb")
    assert duck(bound) == [("a", dt.date(2026, 1, 2)), ("b", None)]
    assert "$" not in compile_sql(sql, "postgres", both)
    empty = bind_parameters(tree(sql), {"ids": [], "days": []}).sql("duckdb")
    assert duck(empty) == []
    assert duckdb.sql(empty).types == ["VARCHAR", "DATE"]
    with pytest.raises(CompileError, match="differ in length"):
        bind_parameters(tree(sql), {"ids": ["a"], "days": []})
    with pytest.raises(CompileError, match="at least one value"):
        bind_parameters(tree("SELECT DISTINCT unnest($dates::DATE[]) AS as_of"), {"dates": []})
