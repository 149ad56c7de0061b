import duckdb
import polars as pl
import pytest

from dashboard.schema import SCHEMA_VERSION, SOURCE_TABLES, columns, conform, required_columns
from dashboard.store import SchemaError, Stores
from dashboard.store.ddl import SOURCE_MIGRATIONS, ddl, migrate, schema_version

DESIGN_TABLES = [
    "accounts",
    "subscriptions",
    "invoices",
    "usage_events",
    "usage_daily",
    "tickets",
    "surveys",
    "activities",
    "outcomes",
    "owners",
    "account_keys",
    "contacts",
]


def test_every_design_table_is_modelled():
    assert list(SOURCE_TABLES) == DESIGN_TABLES


def test_required_columns_match_design():
    assert required_columns("accounts") == ["account_id", "account_name"]
    assert required_columns("usage_events") == ["account_id", "occurred_at"]
    assert required_columns("outcomes") == ["account_id", "occurred_on", "event"]
    assert required_columns("owners") == ["owner"]


@pytest.mark.parametrize("table", DESIGN_TABLES)
def test_duckdb_table_matches_model(table):
    con = duckdb.connect()
    con.execute(ddl(table))
    described = con.sql(f"DESCRIBE {table}").pl()
    assert described["column_name"].to_list() == list(columns(table))
    not_null = described.filter(pl.col("null") == "NO")["column_name"].to_list()
    assert not_null == required_columns(table)


def test_conform_adds_missing_columns_and_casts():
    frame = pl.DataFrame({"account_id": ["a"], "account_name": ["A"], "arr": [10]})
    out = conform("accounts", frame)
    assert out.columns == list(columns("accounts"))
    assert out["arr"].dtype == pl.Float64
    assert out["segment"].to_list() == [None]


def test_new_store_records_schema_version(empty_stores: Stores):
    assert empty_stores.sources.scalar("SELECT value FROM meta") == str(SCHEMA_VERSION)


def test_migration_from_empty_file(tmp_path):
    con = duckdb.connect(str(tmp_path / "old.duckdb"))
    assert migrate(con, SOURCE_MIGRATIONS) == 0
    assert schema_version(con) == SCHEMA_VERSION
    tables = set(con.sql("SELECT table_name FROM information_schema.tables").pl()["table_name"])
    assert set(DESIGN_TABLES) <= tables
    assert migrate(con, SOURCE_MIGRATIONS) == SCHEMA_VERSION  # idempotent


def test_file_from_newer_tandem_is_refused(tmp_path):
    con = duckdb.connect(str(tmp_path / "new.duckdb"))
    migrate(con, SOURCE_MIGRATIONS)
    con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(SCHEMA_VERSION + 1)])
    with pytest.raises(SchemaError, match="newer Tandem"):
        migrate(con, SOURCE_MIGRATIONS)


def test_the_schema_reference_is_generated_from_the_models():
    from pathlib import Path

    from dashboard.schema import schema_reference

    doc = Path(__file__).resolve().parent.parent / "docs" / "schema.md"
    assert doc.read_text() == schema_reference(), (
        "docs/schema.md differs from dashboard/schema.py: run "
        "`uv run python -m dashboard.schema > docs/schema.md`"
    )


def test_a_version_4_store_gains_the_contacts_table(tmp_path):
    con = duckdb.connect(str(tmp_path / "v4.duckdb"))
    migrate(con, SOURCE_MIGRATIONS)
    con.execute("DROP TABLE contacts")
    con.execute("UPDATE meta SET value = '4' WHERE key = 'schema_version'")
    assert migrate(con, SOURCE_MIGRATIONS) == 4
    described = con.sql("DESCRIBE contacts").pl()
    assert described["column_name"].to_list() == list(columns("contacts"))
    assert schema_version(con) == SCHEMA_VERSION


def test_a_version_5_store_gains_the_usage_daily_table_and_keeps_its_rows(tmp_path):
    con = duckdb.connect(str(tmp_path / "v5.duckdb"))
    migrate(con, SOURCE_MIGRATIONS)
    con.execute("DROP TABLE usage_daily")
    con.execute("INSERT INTO usage_events (account_id, occurred_at) VALUES ('a', '2026-01-02')")
    con.execute("UPDATE meta SET value = '5' WHERE key = 'schema_version'")
    assert migrate(con, SOURCE_MIGRATIONS) == 5
    described = con.sql("DESCRIBE usage_daily").pl()
    assert described["column_name"].to_list() == [
        "account_id",
        "user_id",
        "day",
        "feature",
        "events",
    ]
    assert con.sql("SELECT count(*) FROM usage_events").fetchall() == [(1,)]
    assert schema_version(con) == SCHEMA_VERSION == 6
