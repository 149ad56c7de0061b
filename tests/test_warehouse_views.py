"""`tandem warehouse views` on a real PostgreSQL (loopback, started here): raw tables shaped as
Fivetran's HubSpot connector and Segment's warehouse destination land them, the canonical
views generated from the file import's presets, nothing written without --create and a yes,
`tandem warehouse check` passing on the views, and the features computed there equal, cell for
cell, those of the same rows imported as files."""

from __future__ import annotations

import datetime as dt
import io
import os
import random
from pathlib import Path

import polars as pl
import pytest
import sqlglot

from dashboard.cli import main
from dashboard.config import get_settings
from dashboard.ingest.warehouse import WarehouseConfig, features_in_warehouse
from dashboard.ingest.warehouse_views import (
    RawTable,
    ViewsRefused,
    parse_back,
    plan_views,
    script,
    view_statements,
)
from dashboard.schema import SOURCE_TABLES
from dashboard.store import Stores
from dashboard.store.features import features_at
from tests.pg import PASSWORD, find_bin, postgres_server
from tests.warehouse_data import differences

if not find_bin("initdb"):
    if os.environ.get("CI"):
        pytest.fail("PostgreSQL is missing in CI: .ci/run should have installed it", pytrace=False)
    pytest.skip("Debian's postgresql package is not installed", allow_module_level=True)

GOLDEN = Path(__file__).parent / "golden"
UTC = dt.UTC
ANCHOR = dt.datetime(2026, 1, 9, tzinfo=UTC)  # the last synced day; windows cross a year's end
AS_OF = [dt.date(2025, 10, 1), dt.date(2025, 12, 31), dt.date(2026, 1, 1), dt.date(2026, 1, 9)]
TARGET = "tandem"

# Fivetran's HubSpot `company` table (dbt_hubspot_source's seeds, company_data.csv): the
# record's id, sync columns, each property as property_<name>; arr and renewal_date are a
# team's own properties. Segment's `tracks` table (Segment's warehouse schema docs).
COMPANY = {
    "id": "BIGINT",
    "is_deleted": "BOOLEAN",
    "_fivetran_synced": "TIMESTAMP WITH TIME ZONE",
    "_fivetran_deleted": "BOOLEAN",
    "portal_id": "BIGINT",
    "property_name": "TEXT",
    "property_domain": "TEXT",
    "property_createdate": "TIMESTAMP WITH TIME ZONE",
    "property_industry": "TEXT",
    "property_country": "TEXT",
    "property_annualrevenue": "NUMERIC",
    "property_lifecyclestage": "TEXT",
    "property_hubspot_owner_id": "BIGINT",
    "property_arr": "NUMERIC",
    "property_renewal_date": "TIMESTAMP WITH TIME ZONE",
    "property_licensed_seats": "TEXT",  # a single-line text property: numbers as text
}
TRACKS = {
    "id": "TEXT",
    "anonymous_id": "TEXT",
    "user_id": "TEXT",
    "event": "TEXT",
    "event_text": "TEXT",
    "timestamp": "TIMESTAMP WITH TIME ZONE",
    "original_timestamp": "TIMESTAMP WITH TIME ZONE",
    "sent_at": "TIMESTAMP WITH TIME ZONE",
    "received_at": "TIMESTAMP WITH TIME ZONE",
    "uuid_ts": "TIMESTAMP WITH TIME ZONE",
    "context_library_name": "TEXT",
    "context_group_id": "TEXT",
}
# Fivetran's HubSpot `owner` table (dbt_hubspot_source's owner_data.csv)
OWNER = {
    "owner_id": "BIGINT",
    "_fivetran_synced": "TIMESTAMP WITH TIME ZONE",
    "created_at": "TIMESTAMP WITH TIME ZONE",
    "portal_id": "BIGINT",
    "type": "TEXT",
    "updated_at": "TIMESTAMP WITH TIME ZONE",
    "email": "TEXT",
    "first_name": "TEXT",
    "last_name": "TEXT",
    "active_user_id": "BIGINT",
}
STAGES = ["customer"] * 6 + ["evangelist", "former customer", "other", "lead"]
FEATURES = ["Report Viewed", "Dashboard Shared", "Export Created", "Alert Configured", "Login"]


def raw_owners() -> pl.DataFrame:
    """Three of the four owner ids the companies name (90003 has no owner row: it stays an id)."""
    people = [("Ada", "Byron"), ("Grace", "Hopper"), ("Alan", "Turing")]
    return pl.DataFrame(
        [
            {
                "owner_id": 90_000 + i,
                "_fivetran_synced": ANCHOR,
                "created_at": ANCHOR - dt.timedelta(days=900),
                "portal_id": 4485210,
                "type": "PERSON",
                "updated_at": ANCHOR - dt.timedelta(days=3),
                "email": f"{first.lower()}@vendor.example",
                "first_name": first,
                "last_name": last,
                "active_user_id": 700 + i,
            }
            for i, (first, last) in enumerate(people)
        ]
    )


def raw_rows() -> tuple[pl.DataFrame, pl.DataFrame]:
    """40 companies (customers, an evangelist, former customers, an unknown stage, leads, one
    deleted in HubSpot) and their product events over the half year before ``ANCHOR``."""
    rng = random.Random(25)
    companies = []
    for i in range(40):
        stage = STAGES[i % len(STAGES)]
        created = ANCHOR - dt.timedelta(days=400 + 7 * i, hours=i)
        companies.append(
            {
                "id": 5_100_000_000 + i * 37,
                "is_deleted": False,
                "_fivetran_synced": ANCHOR + dt.timedelta(hours=3),
                "_fivetran_deleted": i == 13,
                "portal_id": 4485210,
                "property_name": f" Company {i:02d} " if i % 7 == 0 else f"Company {i:02d}",
                "property_domain": f"company{i:02d}.example",
                "property_createdate": created,
                "property_industry": rng.choice(["COMPUTER_SOFTWARE", "RETAIL", "LOGISTICS"]),
                "property_country": rng.choice(["United States", "Germany", "", None]),
                "property_annualrevenue": float(rng.randrange(200_000, 90_000_000)),
                "property_lifecyclestage": stage.title() if i % 5 == 0 else stage,
                "property_hubspot_owner_id": 90_000 + i % 4,
                "property_arr": None if i % 9 == 0 else float(rng.randrange(6_000, 240_000)),
                "property_renewal_date": None
                if i % 4 == 0
                else dt.datetime(2026, 1 + i % 12, 1 + i % 28, tzinfo=UTC),
                "property_licensed_seats": ["25", "", None, " 140 "][i % 4],
            }
        )
    events = []
    customers = [c for c in companies if c["property_lifecyclestage"].lower() != "lead"]
    for c in customers:
        users = [f"u{c['id']}-{k}" for k in range(1 + c["id"] % 5)]
        for n in range(rng.randrange(0, 90)):
            at = ANCHOR - dt.timedelta(days=rng.randrange(0, 180), seconds=rng.randrange(86400))
            feature = rng.choice(FEATURES)
            events.append(
                {
                    "id": f"ajs-{c['id']}-{n}",
                    "anonymous_id": f"anon-{rng.randrange(10**6)}",
                    "user_id": rng.choice(users),
                    "event": feature,
                    "event_text": feature,
                    "timestamp": at,
                    "original_timestamp": at,
                    "sent_at": at + dt.timedelta(seconds=1),
                    "received_at": at + dt.timedelta(seconds=2),
                    "uuid_ts": at + dt.timedelta(seconds=3),
                    "context_library_name": "analytics.js",
                    "context_group_id": str(c["id"]),
                }
            )
    return pl.DataFrame(companies), pl.DataFrame(events)


def pg(uri: str, *statements: str) -> list[tuple]:
    import adbc_driver_postgresql.dbapi as driver

    con = driver.connect(uri)
    try:
        cur = con.cursor()
        rows: list[tuple] = []
        for statement in statements:
            cur.execute(statement)
            if cur.description:
                rows = cur.fetchall()
        con.commit()
        return rows
    finally:
        con.close()


def load_raw(uri: str, schema: str, table: str, types: dict[str, str], frame: pl.DataFrame):
    import adbc_driver_postgresql.dbapi as driver

    cols = ", ".join(f"{n} {t}" for n, t in types.items())
    pg(uri, f"CREATE SCHEMA IF NOT EXISTS {schema}", f"CREATE TABLE {schema}.{table} ({cols})")
    con = driver.connect(uri)
    cur = con.cursor()  # staged as Arrow's types, then cast into the sync's (NUMERIC)
    cur.adbc_ingest(f"stage_{table}", frame.to_arrow(), mode="create")
    cur.execute(f"INSERT INTO {schema}.{table} SELECT * FROM stage_{table}")
    cur.execute(f"DROP TABLE stage_{table}")
    cur.close()
    con.commit()
    con.close()


def relations(uri: str) -> list[tuple]:
    """Every schema, table and view of the database besides the system's."""
    return pg(
        uri,
        "SELECT n.nspname, c.relname, c.relkind FROM pg_class c JOIN pg_namespace n"
        " ON n.oid = c.relnamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')"
        " AND n.nspname NOT LIKE 'pg_toast%' ORDER BY 1, 2",
    ) + pg(uri, "SELECT nspname, '', 's' FROM pg_namespace ORDER BY 1")


@pytest.fixture(scope="module")
def raw():
    companies, events = raw_rows()
    with postgres_server() as uri:
        load_raw(uri, "hubspot", "company", COMPANY, companies)
        load_raw(uri, "segment", "tracks", TRACKS, events)
        load_raw(uri, "hubspot", "owner", OWNER, raw_owners())
        # a server in another zone: the views' times must not move
        pg(uri, "ALTER DATABASE postgres SET timezone TO 'Pacific/Auckland'")
        yield uri, companies, events


@pytest.fixture
def tandem(monkeypatch, capsys):
    """``tandem(*args, stdin=..., **env)`` in this process -> (exit code, stdout, stderr)."""

    def run(*args: str, stdin: str = "", **env: str) -> tuple[int, str, str]:
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        get_settings.cache_clear()
        capsys.readouterr()
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    yield run
    get_settings.cache_clear()


def env(uri: str, schema: str = TARGET) -> dict[str, str]:
    return {"TANDEM_WAREHOUSE_URL": uri, "TANDEM_WAREHOUSE_SCHEMA": schema}


def test_views_are_shown_created_on_a_yes_checked_and_count_as_the_import(raw, tandem, tmp_path):
    uri, companies, events = raw
    before = relations(uri)
    views = ("warehouse", "views", "--from", "hubspot", "--from", "segment")

    # shown: the SQL, and nothing written
    code, out, err = tandem(*views, **env(uri))
    assert code == 0, err
    assert out.count("CREATE OR REPLACE VIEW tandem.") == len(SOURCE_TABLES)
    assert "FROM hubspot.company AS r" in out and "FROM segment.tracks AS r" in out
    assert "accounts <- hubspot.company (hubspot-companies-sync)" in err
    assert "owners <- hubspot.owner (hubspot-owners)" in err
    assert "usage_events <- segment.tracks (segment-tracks)" in err
    assert "nothing was created" in err and PASSWORD not in out + err
    code, printed, err = tandem(*views, "--print", **env(uri))
    assert code == 0 and printed == out and "nothing was created" not in err
    # --create asks; anything but a yes creates nothing
    code, _, err = tandem(*views, "--create", stdin="n\n", **env(uri))
    assert code == 1 and "nothing was created" in err
    code, _, err = tandem(*views, "--create", stdin="", **env(uri))
    assert code == 1
    assert relations(uri) == before

    # the views the team's dbt project would run are the ones printed: run them, the check
    # fails before (no schema) and passes after
    code, out, _ = tandem("warehouse", "check", **env(uri))
    assert code == 1 and "accounts: missing" in out
    code, _, err = tandem(*views, "--create", stdin="y\n", **env(uri))
    assert code == 0, err
    assert f"created {len(SOURCE_TABLES)} views" in err
    created = {r[1] for r in relations(uri) if r[0] == TARGET and r[2] == "v"}
    assert created == set(SOURCE_TABLES)
    code, out, err = tandem("warehouse", "check", **env(uri))
    assert code == 0, out + err
    # 40 companies: 4 leads are not customers, one is deleted in HubSpot
    assert "accounts: 35 rows, ok" in out
    live_ids = companies.filter(
        ~pl.col("_fivetran_deleted")
        & (pl.col("property_lifecyclestage").str.to_lowercase() != "lead")
    )["id"].cast(pl.String)
    known = events.filter(pl.col("context_group_id").is_in(live_ids.implode()))
    assert 0 < known.height < events.height  # the deleted company's events are out
    assert f"usage_events: {known.height:,} rows, ok" in out
    assert "tickets: 0 rows, ok" in out

    # a session in the server's own zone (Auckland) reads the same UTC times
    first = events.sort("id").row(0, named=True)
    (seen,) = pg(
        uri,
        f"SELECT occurred_at FROM {TARGET}.usage_events e JOIN segment.tracks t"
        f" ON t.timestamp = e.occurred_at AT TIME ZONE 'UTC' WHERE t.id = '{first['id']}'",
    )
    assert seen[0] == first["timestamp"].replace(tzinfo=None)

    # the same rows as the files a team would import: HubSpot's record (no deleted one)
    # and Segment's events, each recognised by its preset
    files = tmp_path / "files"
    files.mkdir()
    live = companies.filter(~pl.col("_fivetran_deleted"))
    stamp = "%Y-%m-%d %H:%M:%S%.f"
    as_text = [
        pl.col(c).dt.convert_time_zone("UTC").dt.strftime(stamp)
        for c, t in live.schema.items()
        if isinstance(t, pl.Datetime)
    ]
    live.with_columns(as_text).write_csv(files / "company.csv")
    times = [
        pl.col(c).dt.convert_time_zone("UTC").dt.strftime(stamp)
        for c, t in events.schema.items()
        if isinstance(t, pl.Datetime)
    ]
    events.with_columns(times).write_csv(files / "tracks.csv")
    owners = raw_owners()
    owners.with_columns(
        pl.col(c).dt.convert_time_zone("UTC").dt.strftime(stamp)
        for c, t in owners.schema.items()
        if isinstance(t, pl.Datetime)
    ).write_csv(files / "owner.csv")
    data = tmp_path / "local"
    code, out, err = tandem(
        "import",
        str(files / "company.csv"),
        str(files / "tracks.csv"),
        str(files / "owner.csv"),
        "--json",
        TANDEM_DATA_DIR=str(data),
    )
    assert code == 0, out + err
    assert '"preset": "hubspot-companies-sync"' in out and '"preset": "segment-tracks"' in out
    local_store = Stores.open(data)
    assert local_store.sources.row_count("accounts") == 35
    # owner ids became names (one id with no owner row stays an id), here as in the views
    am = set(local_store.sources.query("SELECT DISTINCT am_owner FROM accounts")["am_owner"])
    assert am == {"Ada Byron", "Grace Hopper", "Alan Turing", "90003"}
    local = features_at(local_store.sources, AS_OF).drop("arr")
    config = WarehouseConfig(url=uri, schema=TARGET)
    remote = features_in_warehouse(config, AS_OF)
    assert local.height > 100
    varied = local.select(pl.all().n_unique())
    for feature in ("events_last_30d", "active_users_last_30d", "features_last_30d"):
        assert varied[feature].item() > 5, feature  # counted, not unknown
    assert varied["licensed_seats"].item() == 3  # 25, 140 and none: numbers read from text
    assert differences(local, remote) == []


def test_a_raw_table_no_preset_fits_is_named_and_nothing_is_created(raw, tandem):
    uri, _, _ = raw
    pg(
        uri,
        "CREATE SCHEMA misc",
        "CREATE TABLE misc.company AS SELECT * FROM hubspot.company",
        "CREATE TABLE misc.gl_journal (entry_no BIGINT, posted DATE, debit NUMERIC, memo TEXT)",
        "CREATE TABLE misc.ticket (id BIGINT, organization_id BIGINT, requester_id BIGINT,"
        " status TEXT, created_at TIMESTAMP, priority TEXT, subject TEXT)",
        # Segment writes each event's own table beside tracks, with the same columns
        "CREATE TABLE misc.tracks AS SELECT * FROM segment.tracks",
        "CREATE TABLE misc.report_viewed AS SELECT * FROM segment.tracks"
        " WHERE event = 'Report Viewed'",
        # Fivetran's Stripe subscription: Stripe's own customer ids, none a HubSpot company's
        "CREATE TABLE misc.subscription (id TEXT, customer_id TEXT, status TEXT,"
        " start_date TIMESTAMP, current_period_start TIMESTAMP, current_period_end TIMESTAMP,"
        " cancel_at_period_end BOOLEAN, billing_cycle_anchor TIMESTAMP, quantity BIGINT)",
        "INSERT INTO misc.subscription VALUES ('sub_1', 'cus_Nx1', 'active', '2025-01-01',"
        " '2025-12-01', '2026-01-01', false, '2025-01-01', 12)",
    )
    before = relations(uri)
    for extra in ([], ["--create", "--yes"]):
        code, out, err = tandem("warehouse", "views", "--from", "misc", *extra, **env(uri, "t2"))
        assert code == 1, err
        assert out == ""
        assert "4 raw table(s) in misc cannot be read by the views; nothing was created" in err
        assert "misc.subscription: none of its 1 account ids (e.g. 'cus_Nx1')" in err
        assert "misc.report_viewed, misc.tracks: each fits the preset segment-tracks" in err
        assert "misc.gl_journal: no vendor preset fits its columns" in err
        assert "misc.ticket: fits the preset zendesk-tickets" in err and "zendesk's own ids" in err
        assert relations(uri) == before
    # the tables a view can read, chosen by name: shown, still nothing created
    code, out, err = tandem(
        "warehouse", "views", "--from", "misc", "--tables", "company,tracks", **env(uri, "t2")
    )
    assert code == 0 and "FROM misc.company AS r" in out and "FROM misc.tracks AS r" in out
    assert "report_viewed" not in out
    code, _, err = tandem(
        "warehouse", "views", "--from", "misc", "--tables", "nope", **env(uri, "t2")
    )
    assert code == 3 and "--tables: nope not in misc" in err
    code, _, err = tandem(
        "warehouse", "views", "--from", "misc", "--tables", "company", **env(uri, "misc")
    )
    assert code == 1 and "a schema of their own" in err
    assert relations(uri) == before
    # a schema where the team's own model is a table: the views are all created or none
    pg(uri, "CREATE SCHEMA modelled", "CREATE TABLE modelled.usage_events (x INT)")
    before = relations(uri)
    code, _, err = tandem(
        "warehouse",
        "views",
        "--from",
        "misc",
        "--tables",
        "company",
        "--create",
        "--yes",
        **env(uri, "modelled"),
    )
    assert code == 3 and "creating the views failed, none was created" in err, err
    assert '"usage_events" is not a view' in err and PASSWORD not in err
    assert relations(uri) == before


def golden_plan():
    """The raw layouts of the tests, as another warehouse's schema would list them."""
    kinds = {"BIGINT": "bigint", "BOOLEAN": "boolean", "TEXT": "text", "NUMERIC": "numeric"}
    kinds["TIMESTAMP WITH TIME ZONE"] = "timestamp with time zone"
    tables = [
        RawTable("raw_hubspot", "company", {c: kinds[t] for c, t in COMPANY.items()}),
        RawTable("raw_segment", "tracks", {c: kinds[t] for c, t in TRACKS.items()}),
        RawTable("raw_hubspot", "owner", {c: kinds[t] for c, t in OWNER.items()}),
    ]
    stages = [("customer", 20), ("Evangelist", 3), ("former customer", 4), ("lead", 4)]
    return plan_views(tables, lambda table, column: stages)


@pytest.mark.parametrize("engine", ["snowflake", "bigquery", "databricks"])
def test_golden_views_for_engines_not_run_here(engine: str):
    """The views compiled for the engines with no server here: golden files (a change shows
    in review; ``TANDEM_UPDATE_GOLDEN=1`` rewrites them), each statement parsed back."""
    statements = view_statements(golden_plan(), engine, "analytics.tandem")
    compiled = script(statements)
    path = GOLDEN / f"views_{engine}.sql"
    if os.environ.get("TANDEM_UPDATE_GOLDEN"):
        path.write_text(compiled)
    assert compiled == path.read_text(), f"{path.name} is stale (TANDEM_UPDATE_GOLDEN=1)"
    parsed = parse_back(statements, engine)
    made = [p for p in parsed if isinstance(p, sqlglot.exp.Create) and p.kind == "VIEW"]
    assert {p.this.name for p in made} == set(SOURCE_TABLES)
    read = {t.sql(engine) for p in made for t in p.expression.find_all(sqlglot.exp.Table)}
    assert any("raw_hubspot" in t and "company" in t for t in read)
    # the lead stage is out of the accounts view; Evangelist became active
    assert "'lead'" in compiled and "WHEN 'evangelist' THEN 'active'" in " ".join(compiled.split())


def test_the_views_go_to_a_schema_of_their_own():
    with pytest.raises(ViewsRefused, match="a schema of their own"):
        view_statements(golden_plan(), "postgres", "raw_segment")
    with pytest.raises(ViewsRefused, match="is not a schema name"):
        view_statements(golden_plan(), "postgres", "x; DROP TABLE y")


def test_an_event_file_without_counts_counts_one_event_a_row(tandem, tmp_path):
    """The schema's default: a usage row with no quantity column is one event (the import left
    it empty, and every event count of a Segment or Mixpanel file was unknown)."""
    (tmp_path / "accounts.csv").write_text("account_id,account_name\na1,Acme\na2,Birch\n")
    (tmp_path / "events.csv").write_text(
        "account_id,occurred_at,user_id,feature\n"
        "a1,2026-01-02 10:00:00,u1,x\na1,2026-01-03 11:00:00,u2,y\na2,2026-01-04 09:00:00,u3,x\n"
    )
    data = tmp_path / "data"
    code, out, err = tandem("import", str(tmp_path / "accounts.csv"), TANDEM_DATA_DIR=str(data))
    assert code == 0, out + err
    code, out, err = tandem("import", "usage_events", str(tmp_path / "events.csv"))
    assert code == 0, out + err
    stores = Stores.open(data)
    assert (
        stores.sources.query("SELECT quantity FROM usage_events")["quantity"].to_list() == [1] * 3
    )
    found = features_at(stores.sources, [dt.date(2026, 1, 9)]).sort("account_id")
    assert found["events_last_30d"].to_list() == [2, 1]


def test_rows_the_import_rejects_are_not_in_the_views(raw, tandem):
    """Fivetran's Salesforce Task: a subtype outside the activity vocabulary (the import
    rejects the row) and a row without its account are out; an empty subtype is no kind."""
    uri, _, _ = raw
    pg(
        uri,
        "CREATE SCHEMA salesforce",
        "CREATE TABLE salesforce.task (id TEXT, account_id TEXT, what_id TEXT, who_id TEXT,"
        " activity_date DATE, task_subtype TEXT, subject TEXT, owner_id TEXT,"
        " is_deleted BOOLEAN, _fivetran_deleted BOOLEAN)",
        "INSERT INTO salesforce.task VALUES"
        " ('00T1', '001A', '001A', '003A', '2026-01-05', 'Call', 'Renewal', '005A', false, false),"
        " ('00T2', '001A', '001A', '003A', '2026-01-06', 'Fax', 'Sent', '005A', false, false),"
        " ('00T3', '001B', '001B', '003B', '2026-01-07', NULL, 'Note', '005A', false, false),"
        " ('00T4', NULL, NULL, '003C', '2026-01-07', 'Email', 'Hi', '005A', false, false),"
        " ('00T5', '001B', '001B', '003B', '2026-01-08', 'Email', 'Gone', '005A', false, true)",
    )
    views = ("warehouse", "views", "--from", "salesforce", "--create", "--yes")
    code, _, err = tandem(*views, **env(uri, "sf_views"))
    assert code == 0, err
    rows = pg(uri, "SELECT account_id, kind, summary FROM sf_views.activities ORDER BY 1, 3")
    assert rows == [("001A", "call", "Renewal"), ("001B", None, "Note")]


def test_engines_not_run_here_are_refused_before_any_connection(tandem):
    code, out, err = tandem(
        "warehouse",
        "views",
        "--from",
        "raw",
        "--engine",
        "snowflake://u:pw-Secret@example.invalid/db",
    )
    assert code == 3 and out == ""
    assert "snowflake: reading the raw tables runs on PostgreSQL here" in err
    assert "pw-Secret" not in err
