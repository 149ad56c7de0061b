"""DDL of every table in both stores, and the migrations between schema versions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import duckdb

from dashboard.schema import SCHEMA_VERSION, SOURCE_TABLES, columns, required_columns
from dashboard.text import COMPONENTS

_DUCKDB_TYPES: dict[type, str] = {
    str: "VARCHAR",
    int: "BIGINT",
    float: "DOUBLE",
    bool: "BOOLEAN",
    dt.date: "DATE",
    dt.datetime: "TIMESTAMP",
}


def ddl(table: str, name: str | None = None) -> str:
    """``CREATE TABLE`` statement for a canonical table, generated from its model (``name``:
    the table's qualified name, such as ``gen.usage_events`` in an attached database)."""
    required = set(required_columns(table))
    cols = ",\n  ".join(
        f"{name} {_DUCKDB_TYPES[t]}{' NOT NULL' if name in required else ''}"
        for name, t in columns(table).items()
    )
    return f"CREATE TABLE IF NOT EXISTS {name or table} (\n  {cols}\n)"


def column_types(table: str) -> list[tuple[str, str]]:
    """A canonical table's columns with their DuckDB types, in order."""
    return [(name, _DUCKDB_TYPES[t]) for name, t in columns(table).items()]


# Tables that live beside the source data and are rebuilt with it.
DERIVED_DDL = {
    "score_snapshots": (
        "CREATE TABLE IF NOT EXISTS score_snapshots (\n"
        "  account_id VARCHAR NOT NULL, as_of DATE NOT NULL,\n  "
        + ",\n  ".join(f"{c} DOUBLE" for c in COMPONENTS)
        + ",\n  health DOUBLE, coverage DOUBLE, band VARCHAR, scorecard VARCHAR, arr DOUBLE,\n"
        "  expansion_ready BOOLEAN, csm_owner VARCHAR, am_owner VARCHAR\n)"
    ),
    "loads": (
        "CREATE TABLE IF NOT EXISTS loads (\n"
        "  table_name VARCHAR NOT NULL, source VARCHAR NOT NULL, loaded_at TIMESTAMP NOT NULL,\n"
        "  row_count BIGINT NOT NULL, mapping VARCHAR\n)"
    ),
}

# Columns a kept snapshot gained after its table was first made: added when a snapshot is
# next written (``SourceWriter.replace_snapshot_days``); older rows hold null (unknown).
SNAPSHOT_ADDED_COLUMNS = {"csm_owner": "VARCHAR", "am_owner": "VARCHAR"}

# What people type into the app; never touched by a rebuild of the source data.
APP_DDL = {
    "scorecards": (
        "CREATE TABLE IF NOT EXISTS scorecards (\n"
        "  name VARCHAR PRIMARY KEY, description VARCHAR, body VARCHAR NOT NULL,\n"
        "  active BOOLEAN NOT NULL DEFAULT false, created_by VARCHAR, created_at TIMESTAMP\n)"
    ),
    "handoffs": (
        "CREATE TABLE IF NOT EXISTS handoffs (\n"
        "  handoff_id VARCHAR PRIMARY KEY, account_id VARCHAR NOT NULL, kind VARCHAR NOT NULL,\n"
        "  state VARCHAR NOT NULL, evidence VARCHAR, created_by VARCHAR, created_at TIMESTAMP,\n"
        "  updated_at TIMESTAMP, history VARCHAR\n)"
    ),
    "handoff_steps": (
        "CREATE TABLE IF NOT EXISTS handoff_steps (\n"
        "  handoff_id VARCHAR NOT NULL, step INTEGER NOT NULL, state VARCHAR NOT NULL,\n"
        "  actor VARCHAR, role VARCHAR, note VARCHAR, stepped_at TIMESTAMP NOT NULL,\n"
        "  PRIMARY KEY (handoff_id, step)\n)"
    ),
    "tasks": (
        "CREATE TABLE IF NOT EXISTS tasks (\n"
        "  task_key VARCHAR PRIMARY KEY, account_id VARCHAR NOT NULL, kind VARCHAR NOT NULL,\n"
        "  role VARCHAR NOT NULL, owner VARCHAR, title VARCHAR NOT NULL, due_on DATE,\n"
        "  status VARCHAR NOT NULL DEFAULT 'open', note VARCHAR, created_on DATE NOT NULL,\n"
        "  updated_by VARCHAR, updated_at TIMESTAMP\n)"
    ),
    "sync_notes": (
        "CREATE TABLE IF NOT EXISTS sync_notes (\n"
        "  note_id VARCHAR PRIMARY KEY, pair VARCHAR NOT NULL, account_id VARCHAR,\n"
        "  decision VARCHAR NOT NULL, owner VARCHAR, due_on DATE, status VARCHAR,\n"
        "  author VARCHAR, role VARCHAR, written_at TIMESTAMP NOT NULL\n)"
    ),
    "mappings": (
        "CREATE TABLE IF NOT EXISTS mappings (\n"
        "  source VARCHAR PRIMARY KEY, table_name VARCHAR NOT NULL, body VARCHAR NOT NULL,\n"
        "  saved_at TIMESTAMP\n)"
    ),
    "account_pins": (
        "CREATE TABLE IF NOT EXISTS account_pins (\n"
        "  system VARCHAR NOT NULL, key VARCHAR NOT NULL, account_id VARCHAR NOT NULL,\n"
        "  pinned_by VARCHAR, pinned_at TIMESTAMP, PRIMARY KEY (system, key)\n)"
    ),
    "deliveries": (
        "CREATE TABLE IF NOT EXISTS deliveries (\n"
        "  day DATE NOT NULL, owner VARCHAR NOT NULL, role VARCHAR NOT NULL,\n"
        "  channel VARCHAR NOT NULL, target VARCHAR, status VARCHAR NOT NULL,\n"
        "  attempts INTEGER NOT NULL, error VARCHAR, delivered_at TIMESTAMP NOT NULL\n)"
    ),
    "audit_log": (
        "CREATE TABLE IF NOT EXISTS audit_log (\n"
        "  logged_at TIMESTAMP NOT NULL, actor VARCHAR, action VARCHAR NOT NULL, subject VARCHAR,\n"
        "  detail VARCHAR\n)"
    ),
    # the renewal calls (workflows/renewal_calls.py): append-only, one row per call made, the
    # latest per account and renewal date is the call (created when first used too:
    # store/call_log.py)
    "renewal_calls": (
        "CREATE TABLE IF NOT EXISTS renewal_calls (\n"
        "  call_id VARCHAR PRIMARY KEY, account_id VARCHAR NOT NULL, renewal_date DATE NOT NULL,\n"
        "  category VARCHAR NOT NULL, reason VARCHAR NOT NULL, expected_arr DOUBLE NOT NULL,\n"
        "  frozen_change_reason VARCHAR, caller VARCHAR NOT NULL, role VARCHAR NOT NULL,\n"
        "  called_at TIMESTAMP NOT NULL, seq INTEGER NOT NULL\n)"
    ),
    # the success plans' goals (workflows/goal_edits.py): append-only, one row per version of
    # a goal, the highest version is the goal (created when first used too: store/goal_log.py)
    "goal_versions": (
        "CREATE TABLE IF NOT EXISTS goal_versions (\n"
        "  goal_id VARCHAR NOT NULL, version INTEGER NOT NULL, account_id VARCHAR NOT NULL,\n"
        "  title VARCHAR NOT NULL, metric VARCHAR NOT NULL, feature VARCHAR, unit VARCHAR,\n"
        "  start_value DOUBLE, start_on DATE NOT NULL, current_value DOUBLE,\n"
        "  target_value DOUBLE NOT NULL, owner VARCHAR NOT NULL, owner_role VARCHAR NOT NULL,\n"
        "  due_on DATE NOT NULL, state VARCHAR NOT NULL, edited_by VARCHAR NOT NULL,\n"
        "  edited_role VARCHAR, edited_at TIMESTAMP NOT NULL, PRIMARY KEY (goal_id, version)\n)"
    ),
    # a risk handoff's step from the plan on (workflows/handoffs.py): the reason from the short
    # list, the owner, the next step and its due date (created when first used too:
    # store/handoff_log.py)
    "risk_steps": (
        "CREATE TABLE IF NOT EXISTS risk_steps (\n"
        "  handoff_id VARCHAR NOT NULL, step INTEGER NOT NULL, reason VARCHAR NOT NULL,\n"
        "  owner VARCHAR, next_step VARCHAR, due_on DATE,\n"
        "  PRIMARY KEY (handoff_id, step)\n)"
    ),
    # cover during leave (workflows/covers.py): one row per version of a cover, the highest
    # version is the cover (created when first used too: store/cover_log.py)
    "covers": (
        "CREATE TABLE IF NOT EXISTS covers (\n"
        "  cover_id VARCHAR NOT NULL, version INTEGER NOT NULL, coverer VARCHAR NOT NULL,\n"
        "  covered VARCHAR NOT NULL, starts_on DATE NOT NULL, ends_on DATE NOT NULL,\n"
        "  ended_on DATE, edited_by VARCHAR NOT NULL, edited_at TIMESTAMP NOT NULL,\n"
        "  PRIMARY KEY (cover_id, version)\n)"
    ),
    # the identity provider's stable subject beside the e-mail of its first sign-in (created
    # when first used too: store/identities.py)
    "identities": (
        "CREATE TABLE IF NOT EXISTS identities (\n"
        "  issuer VARCHAR NOT NULL, subject VARCHAR NOT NULL, email VARCHAR NOT NULL,\n"
        "  first_seen TIMESTAMP NOT NULL, last_seen TIMESTAMP NOT NULL,\n"
        "  PRIMARY KEY (issuer, subject)\n)"
    ),
}

META_DDL = "CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)"

# Migrations: MIGRATIONS[v] turns a version-v file into a version-(v+1) file. Version 0 is an
# empty file; the first migration creates everything the current DDL describes.
Migration = Callable[[duckdb.DuckDBPyConnection], None]


def _create_sources(con: duckdb.DuckDBPyConnection) -> None:
    for table in SOURCE_TABLES:
        con.execute(ddl(table))
    for statement in DERIVED_DDL.values():
        con.execute(statement)


def _create_app(con: duckdb.DuckDBPyConnection) -> None:
    for statement in APP_DDL.values():
        con.execute(statement)


def _snapshot_readiness(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("ALTER TABLE score_snapshots ADD COLUMN IF NOT EXISTS expansion_ready BOOLEAN")


def _keys_and_domains(con: duckdb.DuckDBPyConnection) -> None:
    """v3: accounts.domain, owners.owner_id and the account_keys table (matching)."""
    con.execute("ALTER TABLE accounts ADD COLUMN IF NOT EXISTS domain VARCHAR")
    con.execute("ALTER TABLE owners ADD COLUMN IF NOT EXISTS owner_id VARCHAR")
    con.execute(ddl("account_keys"))


def _contacts(con: duckdb.DuckDBPyConnection) -> None:
    """v5: the contacts table (the customer's people)."""
    con.execute(ddl("contacts"))


def _usage_daily(con: duckdb.DuckDBPyConnection) -> None:
    """v6: the usage_daily table (usage rolled up per account, user, feature and day)."""
    con.execute(ddl("usage_daily"))


def _nothing(con: duckdb.DuckDBPyConnection) -> None:
    """A version that changes nothing in this store (the other store's tables changed)."""


SOURCE_MIGRATIONS: dict[int, Migration] = {
    0: _create_sources,
    1: _snapshot_readiness,
    2: _keys_and_domains,
    3: _nothing,
    4: _contacts,
    5: _usage_daily,
}
# Version 2 adds handoff steps and rule tasks, version 4 the delivery log (version 5 changes
# nothing here); creating what is missing is each of those migrations.
APP_MIGRATIONS: dict[int, Migration] = {
    0: _create_app,
    1: _create_app,
    2: _create_app,
    3: _create_app,
    4: _create_app,
    5: _create_app,
}


class SchemaError(RuntimeError):
    """The file at the store's path is not a Tandem store this version can use."""


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """The schema version recorded in the file (0 for a new, empty file)."""
    has_meta = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'meta'"
    ).fetchall()
    if has_meta[0][0] == 0:
        return 0
    rows = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
    return int(rows[0][0]) if rows else 0


def migrate(con: duckdb.DuckDBPyConnection, migrations: dict[int, Migration]) -> int:
    """Bring the file to ``SCHEMA_VERSION`` in one transaction; return the version it had."""
    found = schema_version(con)
    if found > SCHEMA_VERSION:
        raise SchemaError(
            f"this store has schema version {found}, made by a newer Tandem "
            f"(this one reads up to {SCHEMA_VERSION})"
        )
    if found == SCHEMA_VERSION:
        return found
    con.execute("BEGIN")
    try:
        con.execute(META_DDL)
        for version in range(found, SCHEMA_VERSION):
            migrations[version](con)
        con.execute(
            "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)]
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return found
