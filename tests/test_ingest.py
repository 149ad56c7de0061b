"""Bring your own data: readers, mapping, validation, and what bad input does (and does not)."""

import datetime as dt
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from dashboard.ingest.bundle import ImportPlan, ImportStep, bundle_plan
from dashboard.ingest.impact import LoadMode
from dashboard.ingest.limits import Limits
from dashboard.ingest.mapping import Mapping, normalise, suggest_columns, suggest_table
from dashboard.ingest.readers import FileError
from dashboard.ingest.session import ImportSession
from dashboard.store import Stores
from dashboard.workflows.import_flow import import_files
from tests.conftest import needs_sample, source_digest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT.parent / "shared" / "samples"
TODAY = dt.date(2026, 6, 1)
ACCOUNTS_CSV = b"Customer ID,Company Name,ARR (USD),Renewal Date,CSM,Tier\nc1,Acme,1200.50,2026-09-01,Ann,Tier 1\nc2,Beta,900,2026-10-01,Bob,Tier 2\n"


digest = source_digest


@pytest.fixture
def seeded(empty_stores: Stores) -> Stores:
    """A store holding two accounts, to check that bad input leaves it exactly as it was."""
    session = ImportSession()
    session.add("accounts.csv", ACCOUNTS_CSV)
    mapping = Mapping(
        table="accounts", columns=suggest_columns("accounts", session.files["accounts"].columns)
    )
    load(session, [(mapping, "accounts")], empty_stores)
    session.close()
    return empty_stores


def load(session: ImportSession, plan, stores: Stores, mode=LoadMode.UPDATE, confirmed=False):
    """Check, compute the impact and load: (prepared, counts or None when it did not load)."""
    prepared = session.prepare(plan, stores, TODAY, mode)
    if not all(p.ok for p in prepared):
        return prepared, None
    impacts = session.impact(prepared, stores, mode)
    return prepared, session.load(stores, prepared, impacts, "test", confirmed=confirmed)


def import_bytes(
    stores: Stores, table: str, name: str, data: bytes, mapping: Mapping | None = None, **kw
):
    session = ImportSession()
    try:
        session.add(name, data)
        view = next(iter(session.files))
        m = mapping or Mapping(
            table=table, columns=suggest_columns(table, session.files[view].columns)
        )
        prepared, counts = load(session, [(m, view)], stores, **kw)
        return prepared[0], counts
    finally:
        session.close()


# -- suggestions ------------------------------------------------------------------------------
def test_column_and_table_suggestions():
    cols = ["Customer ID", "Company Name", "ARR (USD)", "Renewal Date", "Account Owner", "CSM"]
    assert normalise("ARR (USD)") == "arr_usd"
    m = suggest_columns("accounts", cols)
    assert m["account_id"] == "Customer ID" and m["account_name"] == "Company Name"
    assert m["arr"] == "ARR (USD)" and m["renewal_date"] == "Renewal Date"
    assert m["am_owner"] == "Account Owner" and m["csm_owner"] == "CSM"
    assert suggest_table(cols, "crm_export.csv") == "accounts"
    assert (
        suggest_table(["ticket_id", "account_id", "submitted_at", "priority"], "t.csv") == "tickets"
    )
    assert suggest_table(["accounts", "", "column_2"], "data_dictionary.csv") is None


def test_mapping_toml_round_trip_and_refusals():
    m = Mapping(table="tickets", columns={"ticket_id": "id"}, values={"priority": {"P1": "urgent"}})
    assert Mapping.from_toml(m.to_toml()) == m
    with pytest.raises(
        ValueError, match="there is no table 'tix'; the tables are account_keys, accounts,"
    ):
        Mapping(table="tix")
    with pytest.raises(
        ValueError,
        match="columns: colour is not a column of tickets; its columns are account_id, category, created_at",
    ):
        Mapping(table="tickets", columns={"colour": "x"})
    with pytest.raises(ValueError) as plain:  # a mapping file says it in plain words
        Mapping.from_toml('table = "tickets"\n[columns]\ncolour = "x"\n')
    assert str(plain.value).startswith("columns: colour is not a column of tickets")
    assert "validation error" not in str(plain.value) and "pydantic" not in str(plain.value)


# -- a good file -----------------------------------------------------------------------------
def test_good_file_loads_with_types_and_value_mapping(empty_stores: Stores):
    m = Mapping(
        table="accounts",
        columns={
            "account_id": "Customer ID",
            "account_name": "Company Name",
            "arr": "ARR (USD)",
            "renewal_date": "Renewal Date",
            "csm_owner": "CSM",
            "segment": "Tier",
        },
        values={"segment": {"Tier 1": "Enterprise", "Tier 2": "Mid-Market"}},
    )
    prepared, counts = import_bytes(empty_stores, "accounts", "crm.csv", ACCOUNTS_CSV, m)
    assert counts == {"accounts": 2} and prepared.rejects.is_empty()
    rows = empty_stores.sources.query("SELECT * FROM accounts ORDER BY account_id")
    assert rows["arr"].to_list() == [1200.5, 900.0]
    assert rows["renewal_date"].to_list() == [dt.date(2026, 9, 1), dt.date(2026, 10, 1)]
    assert rows["segment"].to_list() == ["Enterprise", "Mid-Market"]
    loads = empty_stores.sources.query("SELECT * FROM loads WHERE table_name = 'accounts'")
    assert loads["row_count"][0] == 2 and "Customer ID" in loads["mapping"][0]


def test_semicolon_latin1_bom_and_european_numbers(empty_stores: Stores):
    data = "\ufeffaccount_id;account_name;arr\nx1;Café Müller;1.234,56\nx2;Zoë;99,5\n"
    prepared, counts = import_bytes(
        empty_stores, "accounts", "eu.csv", data.encode("latin-1", errors="ignore")
    )
    assert counts == {"accounts": 2}
    names = empty_stores.sources.query("SELECT account_name, arr FROM accounts ORDER BY 1")
    assert names["account_name"].to_list() == ["Café Müller", "Zoë"]
    assert names["arr"].to_list() == [1234.56, 99.5]
    session = ImportSession()
    staged = session.add("eu.csv", data.encode("latin-1", errors="ignore"))
    session.close()
    assert "not valid UTF-8: read as Latin-1 (ISO-8859-1)" in staged.notes
    assert "delimiter ';'" in staged.notes
    assert any("decimal comma" in n for n in prepared.notes)


def test_daily_rollup_usage_rows_load(seeded: Stores):
    data = b"account_id,date,active_users,events\nc1,2026-05-01,7,120\nc1,2026-05-02,9,150\n"
    m = Mapping(
        table="usage_events",
        columns={
            "account_id": "account_id",
            "occurred_at": "date",
            "active_users": "active_users",
            "quantity": "events",
        },
    )
    _prepared, counts = import_bytes(seeded, "usage_events", "daily.csv", data, m)
    assert counts == {"usage_events": 2}
    assert seeded.sources.scalar("SELECT sum(quantity) FROM usage_events") == 270


# -- bad input: a clear message, and the store exactly as it was -----------------------------
@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("empty.csv", b"", "empty.csv is empty"),
        ("header.csv", b"account_id,account_name\n", "header.csv has a header but no data rows"),
        (
            "binary.csv",
            b"\x7fELF\x02\x01\x00\x00binary",
            "binary.csv is not a text file (binary content at byte 6)",
        ),
        ("book.csv", b"PK\x03\x04\x00\x00zip", "book.csv is an Excel workbook (a zip file)"),
        (
            "dupes.csv",
            b"account_id,name,name\n1,a,b\n",
            "column name 'name' appears twice (columns 2 and 3)",
        ),
    ],
)
def test_bad_files_are_refused_and_nothing_changes(seeded: Stores, name, data, message):
    before = digest(seeded)
    with pytest.raises(FileError) as err:
        import_bytes(seeded, "accounts", name, data)
    assert message in str(err.value)
    assert digest(seeded) == before


def test_file_over_the_size_limit(seeded: Stores, tmp_path):
    big = tmp_path / "huge.csv"
    with big.open("wb") as f:  # a sparse 2 GB file: no disk is used
        f.truncate(2 * 2**30)
    session = ImportSession(Limits(max_upload_mb=500))
    with pytest.raises(
        FileError,
        match=r"huge.csv is 2,048 MB; the upload limit is 500 MB \(setting TANDEM_MAX_UPLOAD_MB\)",
    ):
        session.add("huge.csv", big)
    session.close()


def test_ragged_rows_are_rejected_by_line(seeded: Stores):
    data = b"ticket_id,account_id,created_at\nt1,c1,2026-05-01\nt2,c1\nt3,c2,2026-05-02,extra\nt4,c2,2026-05-03\n"
    prepared, counts = import_bytes(seeded, "tickets", "ragged.csv", data)
    assert counts == {"tickets": 2}
    reasons = " | ".join(prepared.rejects["reasons"].to_list())
    assert "line 3: Expected Number of Columns: 3 Found: 2" in reasons
    assert "line 4: Expected Number of Columns: 3 Found: 4" in reasons


def test_row_level_problems_each_named_by_row_and_column(seeded: Stores):
    data = (
        b"ticket_id,account_id,created_at,priority,csat\n"
        b"t1,c1,2026-05-01,high,4\n"  # fine
        b"t2,c1,yesterday,high,4\n"  # unparseable date
        b"t3,nope,2026-05-01,high,4\n"  # unknown account
        b"t1,c2,2026-05-02,low,5\n"  # duplicate id
        b"t5,c2,2030-01-01,low,5\n"  # in the future
        b"t6,c2,2026-05-02,P1,five\n"  # P1 -> urgent is fine; csat is mixed type
        b"t7,c2,2026-05-02,whenever,3\n"  # not a priority
    )
    before = digest(seeded)
    prepared, _ = import_bytes(seeded, "tickets", "tickets.csv", data)
    rejects = {r["row"]: r["reasons"] for r in prepared.rejects.iter_rows(named=True)}
    # rows as a spreadsheet numbers them: the header is row 1
    assert set(rejects) == {3, 4, 5, 6, 7, 8}
    assert "column created_at: yesterday is not a date and time" in rejects[3]
    assert "column account_id: no account matches (key nope" in rejects[4]
    assert "column ticket_id: duplicate id t1 (first at row 2)" in rejects[5]
    assert "column created_at: 2030-01-01 is in the future" in rejects[6]
    assert "column csat: five is not a whole number" in rejects[7]
    assert "column priority: whenever is not one of low, normal, high, urgent" in rejects[8]
    assert prepared.valid_rows == 1
    assert digest(seeded) != before  # the one good row was loaded (a confirmed load)


def test_negative_money_and_ambiguous_dates(empty_stores: Stores):
    data = b"account_id,account_name,arr,contract_start\na,A,-5,03/04/2025\nb,B,10,05/06/2025\n"
    prepared, _counts = import_bytes(empty_stores, "accounts", "acc.csv", data)
    assert "column arr: -5 is negative" in prepared.rejects["reasons"][0]
    assert any("assumed US (month/day/year)" in n for n in prepared.notes)
    assert empty_stores.sources.scalar("SELECT contract_start FROM accounts") == dt.date(2025, 5, 6)
    eu = Mapping(
        table="accounts",
        columns={
            "account_id": "account_id",
            "account_name": "account_name",
            "contract_start": "contract_start",
        },
        date_format="eu",
    )
    import_bytes(empty_stores, "accounts", "acc.csv", data, eu)
    assert empty_stores.sources.scalar(
        "SELECT contract_start FROM accounts WHERE account_id = 'a'"
    ) == dt.date(2025, 4, 3)


def test_mapping_pointing_at_a_missing_column(seeded: Stores):
    before = digest(seeded)
    m = Mapping(table="accounts", columns={"account_id": "Customer ID", "account_name": "Nom"})
    prepared, counts = import_bytes(seeded, "accounts", "crm.csv", ACCOUNTS_CSV, m)
    assert counts is None
    assert "the mapping points at column 'Nom', which is not in the file" in prepared.errors[0]
    assert digest(seeded) == before


def test_extra_columns_are_dropped_not_errors(empty_stores: Stores):
    data = b"account_id,account_name,favourite_colour\na,A,blue\n"
    _, counts = import_bytes(empty_stores, "accounts", "extra.csv", data)
    assert counts == {"accounts": 1}


def test_xlsx_sheets_and_merged_headers(empty_stores: Stores, tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Accounts"
    ws.append(["account_id", "account_name"])
    ws.append(["x", "Xylo"])
    merged = wb.create_sheet("Merged")
    merged.append(["Account", None, "Owner"])
    merged.merge_cells("A1:B1")
    merged.append(["x", "Xylo", "Ann"])
    buffer = io.BytesIO()
    wb.save(buffer)
    _, counts = import_bytes(empty_stores, "accounts", "book.xlsx", buffer.getvalue())
    assert counts == {"accounts": 1}
    session = ImportSession()
    with pytest.raises(
        FileError,
        match="sheet 'Merged': column 2 has no header in row 1 \\(merged header cells\\?\\)",
    ):
        session.add("book.xlsx", buffer.getvalue(), sheet="Merged")
    session.close()


def test_parquet_loads(empty_stores: Stores, tmp_path):
    path = tmp_path / "acc.parquet"
    pl.DataFrame({"account_id": ["p1"], "account_name": ["Parq"], "arr": [5.0]}).write_parquet(path)
    _, counts = import_bytes(empty_stores, "accounts", "acc.parquet", path.read_bytes())
    assert counts == {"accounts": 1}


def test_query_mapping_runs_sandboxed(seeded: Stores, tmp_path):
    secret = tmp_path / "secret.csv"
    secret.write_text("x\n1\n")
    session = ImportSession()
    session.add("accounts.csv", ACCOUNTS_CSV)
    bad = Mapping(table="accounts", query=f"SELECT * FROM read_csv('{secret}')")
    prepared = session.prepare([(bad, None)], seeded, TODAY)
    assert "the mapping's query failed" in prepared[0].errors[0]
    good = Mapping(
        table="accounts",
        query='SELECT "Customer ID" AS account_id, "Company Name" AS account_name FROM accounts',
    )
    assert session.prepare([(good, None)], seeded, TODAY)[0].valid_rows == 2
    session.close()


# -- the shared samples, through the command line -------------------------------------------
@pytest.mark.parametrize("bundle", ["ravenstack", "maven"])
def test_sample_bundles_import_from_the_command_line(sample_bundles, bundle):
    tmp_path, done = sample_bundles[bundle]  # `tandem import --bundle`, run once per test run
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["scored_accounts"] > 0
    stores = Stores.open(tmp_path)
    scores = stores.sources.query("SELECT * FROM account_scores")
    if bundle == "ravenstack":
        assert out["loaded"]["accounts"] == 500 and out["loaded"]["usage_events"] == 25_000
        assert scores.height == 390  # 110 accounts carry churn_flag = TRUE
        assert scores["adoption"].null_count() == scores.height  # no user ids: missing, not 0
        assert scores["csm_owner"].null_count() == scores.height  # no owners in the export
    else:
        assert out["loaded"]["accounts"] == 85
        assert scores["adoption"].null_count() == scores.height  # Maven has no usage
        assert scores["arr"].null_count() == scores.height  # nor ARR: missing, not made up
        assert scores["low_coverage"].all()
        assert "technolgy" not in set(
            stores.sources.query("SELECT industry FROM accounts")["industry"]
        )


def test_single_table_import_command_refuses_a_wrong_mapping(tmp_path):
    needs_sample("maven-crm")
    env = {**os.environ, "TANDEM_DATA_DIR": str(tmp_path)}
    mapping = tmp_path / "m.toml"
    mapping.write_text('table = "tickets"\n')
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "dashboard.cli",
            "import",
            "accounts",
            str(SAMPLES / "maven-crm" / "accounts.csv"),
            "--mapping",
            str(mapping),
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2 and "maps table 'tickets', not 'accounts'" in done.stderr


def test_data_dictionary_is_not_a_table(empty_stores: Stores):
    needs_sample("maven-crm")
    plan = ImportPlan(
        "dictionary",
        [ImportStep(Mapping(table="accounts"), [SAMPLES / "maven-crm" / "data_dictionary.csv"])],
    )
    with pytest.raises(
        FileError, match="data_dictionary.csv: column 2 has no name in the header row"
    ):
        import_files(empty_stores.sources, plan, TODAY, Limits(), rescore=lambda s: TODAY)


def test_bundle_file_errors_name_the_file(tmp_path):
    bad = tmp_path / "b.toml"
    bad.write_text(
        'source = "x"\n[[load]]\ntable = "accounts"\nfiles = ["a.csv"]\nmapping = "nope.toml"\n'
    )
    with pytest.raises(FileError, match="mapping file .*nope.toml does not exist"):
        bundle_plan(bad)


def test_vocabulary_booleans_map_every_spelling_and_guess_none(empty_stores: Stores):
    spellings = ["true", "FALSE", "Yes", "no", "Y", "n", "1", "0", "T", "f"]
    body = "subscription_id,account_id,auto_renew\n" + "".join(
        f"s{i},c1,{v}\n" for i, v in enumerate([*spellings, "maybe", "2", "on"])
    )
    session = ImportSession()
    try:
        session.add("accounts.csv", b"account_id,account_name\nc1,Acme\n")
        session.add("subs.csv", body.encode())
        plan = [
            (
                Mapping(
                    table="accounts",
                    columns=suggest_columns("accounts", ["account_id", "account_name"]),
                ),
                "accounts",
            ),
            (
                Mapping(
                    table="subscriptions",
                    columns=suggest_columns(
                        "subscriptions", ["subscription_id", "account_id", "auto_renew"]
                    ),
                ),
                "subs",
            ),
        ]
        subs = session.prepare(plan, empty_stores, TODAY)[1]
        read = dict(
            session.con.sql(
                f'SELECT subscription_id, auto_renew FROM "{subs.valid_view}"'
            ).fetchall()
        )
    finally:
        session.close()
    assert read == {
        f"s{i}": v.lower() in ("true", "yes", "y", "1", "t") for i, v in enumerate(spellings)
    }
    reasons = dict(zip(subs.rejects["row"], subs.rejects["reasons"], strict=True))
    assert reasons == {
        12: "column auto_renew: maybe is not true/false",
        13: "column auto_renew: 2 is not true/false",
        14: "column auto_renew: on is not true/false",
    }


def test_a_csv_without_control_characters_skips_the_cell_check(tmp_path):
    session = ImportSession()
    try:
        clean = session.add("a.csv", b"account_id,account_name\r\na,Acme\r\nb,Beta\r\n")
        quoted = session.add("b.csv", b'account_id,account_name\na,"Ac\nme"\n')
        nul = session.add("c.csv", b"account_id,account_name\na,Ac\x00me\n")
    finally:
        session.close()
    assert (clean.controls, quoted.controls, nul.controls) == (False, True, True)


def test_a_csv_over_the_row_limit_is_refused_without_reading_it_whole(tmp_path):
    """200,000 rows against a limit of 1,000: refused, and no staged table ever held more
    than the limit and one row (the read stops there)."""
    path = tmp_path / "big.csv"
    with path.open("w") as f:
        f.write("account_id,account_name\n")
        f.writelines(f"a{i},Account {i}\n" for i in range(200_000))
    session = ImportSession(Limits(max_rows=1_000), files=[path])
    try:
        with pytest.raises(FileError, match=r"big.csv has more than 1,000 rows.*TANDEM_MAX_ROWS"):
            session.add("big.csv", path)
        staged = session.con.sql(
            "SELECT table_name, estimated_size FROM duckdb_tables() WHERE NOT internal"
        ).fetchall()
        assert all(size <= 1_001 for _, size in staged), staged
    finally:
        session.close()


def _xlsx(
    path: Path, rows: int, *, declares: int | None = None, cut_after: int | None = None
) -> None:
    """A workbook of ``rows`` data rows (written in streaming mode: no dimension element),
    whose sheet declares ``declares`` data rows, or whose XML is cut off after row
    ``cut_after`` (a reader that gets there fails)."""
    import re
    import zipfile

    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Accounts")
    sheet.append(["account_id", "account_name"])
    for i in range(rows):
        sheet.append([f"a{i}", f"Account {i}"])
    plain = path.with_suffix(".plain.xlsx")
    book.save(plain)
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for item in src.infolist():
            data = src.read(item)
            if item.filename.startswith("xl/worksheets/sheet"):
                if declares is not None:
                    ref = f'<dimension ref="A1:B{declares + 1}" />'.encode()
                    data = re.sub(rb"(</sheetPr>)", rb"\1" + ref, data, count=1)
                if cut_after is not None:
                    data = data[: data.index(f'<row r="{cut_after + 2}"'.encode())] + b"<row r="
            out.writestr(item, data)


def test_an_xlsx_over_the_row_limit_is_refused_before_it_is_loaded(tmp_path):
    declared = tmp_path / "declared.xlsx"
    _xlsx(declared, 5, declares=3_000_000)  # five rows, three million declared
    # no dimension, and its XML broken after row 2,000: a reader that loads the sheet fails;
    # the count stops at row 1,001
    streamed = tmp_path / "streamed.xlsx"
    _xlsx(streamed, 3_000, cut_after=2_000)
    session = ImportSession(Limits(max_rows=1_000), files=[declared, streamed])
    try:
        with pytest.raises(
            FileError,
            match=r"declared.xlsx, sheet 'Accounts': it declares 3,000,000 data rows; the limit is 1,000",
        ):
            session.add("declared.xlsx", declared)
        with pytest.raises(
            FileError,
            match=r"streamed.xlsx, sheet 'Accounts': it has more than 1,000 data rows; the limit is 1,000",
        ):
            session.add("streamed.xlsx", streamed)
        assert session.files == {}
    finally:
        session.close()


COMPANIES = (
    "Record ID,Company name,Lifecycle Stage\n"
    "a1,Alpha,Customer\na2,Beta,Other\na3,Gamma,Lead\na4,Delta,Kunde\na5,Epsilon,client actif\n"
    "a6,Zeta,Former Customer\na7,Eta,Marketing Qualified Lead\na8,Theta,Other\n"
    "a9,Iota,churned\na10,Kappa,Gekündigt\na11,Lambda,Prospect\na12,Mu,Evangelist\n"
).encode()
BILLING = (
    b"invoice_id,account_id,issued_on,amount\n"
    b"i1,a1,2026-01-01,5\ni2,a3,2026-01-01,5\ni3,a2,2026-01-01,5\ni4,a7,2026-01-01,5\n"
)


def _companies_plan(session: ImportSession, values: dict[str, str] | None = None):
    session.add("companies.csv", COMPANIES)
    session.add("billing.csv", BILLING)
    accounts = Mapping(
        table="accounts",
        columns={
            "account_id": "Record ID",
            "account_name": "Company name",
            "status": "Lifecycle Stage",
        },
        values={"status": values} if values else {},
    )
    invoices = Mapping(
        table="invoices",
        columns=suggest_columns("invoices", ["invoice_id", "account_id", "issued_on", "amount"]),
    )
    return [(accounts, "companies"), (invoices, "billing")]


def test_vocabulary_never_rejects_a_customer(empty_stores: Stores):
    """Every stage becomes something by a stated rule: customers load (an unknown stage as
    status unknown, never churned), leads and prospects are not accounts and not churns, and
    the invoices of a lead are reported, not dropped."""
    from dashboard.ingest.validate import vocabulary_table

    session = ImportSession()
    try:
        prepared, counts = load(session, _companies_plan(session), empty_stores)
    finally:
        session.close()
    accounts, invoices = prepared
    assert (accounts.total_rows, accounts.valid_rows, accounts.not_customers) == (12, 9, 3)
    assert accounts.rejects.height == 0  # no customer rejected for its vocabulary
    table = vocabulary_table(accounts)
    assert table.schema == pl.Schema(
        {"value": pl.String, "rows": pl.Int64, "became": pl.String, "rule": pl.String}
    )
    became = dict(zip(table["value"], table["became"], strict=True))
    assert became == {
        "Customer": "active",
        "Kunde": "active",
        "client actif": "active",
        "Evangelist": "active",
        "Former Customer": "churned",
        "churned": "churned",
        "Gekündigt": "churned",
        "Lead": "not a customer",
        "Marketing Qualified Lead": "not a customer",
        "Prospect": "not a customer",
        "Other": "unknown",
    }
    assert dict(zip(table["value"], table["rows"], strict=True))["Other"] == 2
    notes = " | ".join(accounts.notes)
    assert "3 row(s) are not customers" in notes and "'Other': 2" in notes
    stored = dict(empty_stores.sources.query("SELECT account_id, status FROM accounts").iter_rows())
    assert stored == {
        "a1": "active",
        "a2": None,
        "a4": "active",
        "a5": "active",
        "a6": "churned",
        "a8": None,
        "a9": "churned",
        "a10": "churned",
        "a12": "active",
    }
    reasons = dict(zip(invoices.rejects["row"], invoices.rejects["reasons"], strict=True))
    assert reasons == {
        3: "column account_id: account a3 is not a customer (its status is Lead), so its rows are not loaded",
        5: "column account_id: account a7 is not a customer (its status is Marketing Qualified Lead), so its rows are not loaded",
    }
    assert counts["invoices"] == 2


def test_a_person_changes_what_a_stage_becomes_and_the_map_is_saved(empty_stores: Stores):
    from dashboard.ingest.validate import vocabulary_table
    from dashboard.ingest.vocabulary import with_edits

    session = ImportSession()
    try:
        first = session.prepare(_companies_plan(session), empty_stores, TODAY)[0]
        edited = vocabulary_table(first).with_columns(
            pl.when(pl.col("value") == "Other")
            .then(pl.lit("churned"))
            .when(pl.col("value") == "Lead")
            .then(pl.lit("active"))
            .otherwise(pl.col("became"))
            .alias("became")
        )
        values = with_edits({}, edited)
        assert values == {"Other": "churned", "Lead": "active"}  # only what differs from the rule
        plan = _companies_plan(ImportSession(), values)
        again = session.prepare([(plan[0][0], "companies")], empty_stores, TODAY)[0]
    finally:
        session.close()
    table = vocabulary_table(again)
    assert dict(zip(table["value"], table["rule"], strict=True))["Other"] == "your value map"
    assert again.not_customers == 2 and again.valid_rows == 10
    mapping = Mapping.from_toml(plan[0][0].to_toml())  # saved with the mapping
    assert mapping.values["status"] == {"Other": "churned", "Lead": "active"}


def test_a_parquet_name_with_a_nul_is_cleaned_and_noted(empty_stores: Stores, tmp_path):
    path = tmp_path / "accounts.parquet"
    pl.DataFrame(
        {"account_id": ["a1", "a2"], "account_name": ["Ac\x00me", "Be\r\nta"]}
    ).write_parquet(path)
    prepared, counts = import_bytes(empty_stores, "accounts", "accounts.parquet", path.read_bytes())
    assert counts == {"accounts": 2}
    assert any("removed from 2 row(s): row 1, 2" in n for n in prepared.notes), prepared.notes
    names = empty_stores.sources.query("SELECT account_name FROM accounts ORDER BY 1")
    assert names["account_name"].to_list() == ["Acme", "Be ta"]


def test_whole_numbers_with_one_mark_are_thousands(empty_stores: Stores):
    """1,234 and 1.200 are whole numbers only as thousands: read so, whatever the column's
    mark; 1,000 reads two ways (1000 or 1) and is rejected when nothing settles it."""
    data = b'account_id,account_name,licensed_seats\na,A,"1,234"\nb,B,1.200\nc,C,"1,000"\nd,D,12\n'
    prepared, _ = import_bytes(empty_stores, "accounts", "a.csv", data)
    seats = empty_stores.sources.query("SELECT account_id, licensed_seats FROM accounts ORDER BY 1")
    assert dict(seats.iter_rows()) == {"a": 1234, "b": 1200, "d": 12}
    assert prepared.rejects["row"].to_list() == [4]
