"""The Data page's import, driven in AppTest with the shared samples."""

import tomllib
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.ingest.mapping import Mapping
from dashboard.store import Stores
from dashboard.store.mappings import saved_mapping_json
from tests.conftest import SAMPLES, needs_sample

ROOT = Path(__file__).resolve().parent.parent
MAPPINGS = ROOT / "data" / "samples"


@pytest.fixture
def data_page(tmp_path, monkeypatch) -> AppTest:
    """The Data page on a store of its own (the app builds a 60-account demo in it)."""
    from dashboard.config import get_settings

    Stores.open(tmp_path)
    monkeypatch.setenv("TANDEM_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TANDEM_DEMO_ACCOUNTS", "60")
    get_settings.cache_clear()
    at = AppTest.from_file("../dashboard/app.py", default_timeout=60).run()
    at.switch_page("../pages/data.py").run()
    assert not at.exception
    yield at
    get_settings.cache_clear()


def upload(at: AppTest, folder: str, names: list[str]) -> None:
    needs_sample(folder)
    files = [(n, (SAMPLES / folder / n).read_bytes(), "text/csv") for n in names]
    at.file_uploader(key="uploads").set_value(files).run()
    assert not at.exception


def sql(at: AppTest, tables: dict[str, str]) -> None:
    at.multiselect(key="sql_tables").set_value(list(tables)).run()
    for table, mapping_file in tables.items():
        query = tomllib.loads((MAPPINGS / mapping_file).read_text())["query"]
        at.text_area(key=f"sql_{table}").input(query).run()


def check_and_load(at: AppTest) -> str:
    at.button(key="import_check").click().run()
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    at.button(key="import_load").click().run()
    assert not at.exception
    return at.success[-1].value


def test_ravenstack_through_the_data_page(data_page: AppTest, tmp_path):
    at = data_page
    upload(
        at,
        "ravenstack",
        [
            "ravenstack_accounts.csv",
            "ravenstack_subscriptions.csv",
            "ravenstack_feature_usage.csv",
            "ravenstack_support_tickets.csv",
            "ravenstack_churn_events.csv",
        ],
    )
    assert at.selectbox(key="table_ravenstack_support_tickets").value == "tickets"
    assert at.selectbox(key="table_ravenstack_subscriptions").value == "subscriptions"
    # usage by its values (events per subscription and day), but with no account column:
    # recognition asks (usage first among its guesses); the SQL mapping below joins it
    feature_usage = at.selectbox(key="table_ravenstack_feature_usage")
    assert feature_usage.value == "(skip this file)"
    assert feature_usage.options[1] == "usage_events"
    at.selectbox(key="table_ravenstack_accounts").set_value("(skip this file)").run()
    at.selectbox(key="table_ravenstack_churn_events").set_value("(skip this file)").run()
    sql(
        at,
        {
            "accounts": "ravenstack/accounts.toml",
            "usage_events": "ravenstack/usage_events.toml",
            "outcomes": "ravenstack/outcomes.toml",
        },
    )
    message = check_and_load(at)
    assert (
        "500 accounts" in message
        and "25,000 usage_events" in message
        and "2,000 tickets" in message
    )
    stores = Stores.open(tmp_path)
    assert stores.sources.row_count("accounts") == 500
    assert stores.sources.scalar("SELECT count(*) FROM account_scores") == 390
    saved = stores.app.query("SELECT source, table_name FROM mappings ORDER BY 1")
    assert saved["source"].to_list() == [
        "ravenstack_subscriptions.csv",
        "ravenstack_support_tickets.csv",
    ]
    at.switch_page("../pages/portfolio.py").run()
    assert not at.exception
    assert next(m.value for m in at.metric if m.label == "Accounts") == "390"


def test_maven_through_the_data_page(data_page: AppTest, tmp_path):
    at = data_page
    upload(at, "maven-crm", ["accounts.csv", "sales_pipeline.csv", "sales_teams.csv"])
    for view in ("accounts", "sales_pipeline", "sales_teams"):
        at.selectbox(key=f"table_{view}").set_value("(skip this file)").run()
    sql(
        at,
        {
            "accounts": "maven/accounts.toml",
            "owners": "maven/owners.toml",
            "activities": "maven/activities.toml",
        },
    )
    message = check_and_load(at)
    assert "85 accounts" in message
    at.switch_page("../pages/portfolio.py").run()
    assert not at.exception
    assert next(m.value for m in at.metric if m.label == "Accounts") == "85"
    arr = next(m for m in at.metric if m.label == "ARR")  # no ARR in the export: not $0
    assert arr.value == "—" and arr.delta == "no ARR in the data"


def test_bad_upload_shows_where_and_keeps_the_store(data_page: AppTest, tmp_path):
    at = data_page
    before = Stores.open(tmp_path).sources.row_count("accounts")  # the small demo
    at.file_uploader(key="uploads").set_value(
        [("broken.csv", b"\x7fELF\x00binary", "text/csv")]
    ).run()
    assert "broken.csv is not a text file (binary content at byte 4)" in at.error[0].value
    bad_rows = b"account_id,account_name,arr\na,A,10\nb,B,-3\nc,C,ten\n"
    at.file_uploader(key="uploads").set_value([("accs.csv", bad_rows, "text/csv")]).run()
    at.selectbox(key="table_accs").set_value("accounts").run()
    at.button(key="import_check").click().run()
    rejects = at.dataframe[-2].value  # the impact table comes last
    assert list(rejects["row"]) == [3, 4]  # as a spreadsheet numbers them: the header is row 1
    assert "column arr: -3 is negative" in rejects["reasons"].iloc[0]
    assert "column arr: ten is not a number" in rejects["reasons"].iloc[1]
    # checked, not loaded: nothing is written until the user confirms
    assert Stores.open(tmp_path).sources.row_count("accounts") == before


def test_two_files_with_rejects_for_one_table(data_page: AppTest, tmp_path):
    at = data_page
    jan = b"ticket_id,account_id,created_at\nt1,nobody,2026-01-01\nt2,nobody,2026-01-02\n"
    feb = b"ticket_id,account_id,created_at\nt3,nobody,2026-02-01\nt1,x,2026-02-02\n"
    at.file_uploader(key="uploads").set_value(
        [("tickets_jan.csv", jan, "text/csv"), ("tickets_feb.csv", feb, "text/csv")]
    ).run()
    at.selectbox(key="table_tickets_jan").set_value("tickets").run()
    at.selectbox(key="table_tickets_feb").set_value("tickets").run()
    at.button(key="import_check").click().run()
    assert not at.exception, [e.message for e in at.exception]
    reasons = " ".join(
        " ".join(df.value["reasons"]) for df in at.dataframe[:-1] if "reasons" in df.value
    )
    assert "no account matches (key nobody" in reasons
    assert "no row of tickets_jan.csv, tickets_feb.csv is valid" in at.error[0].value
    assert at.button(key="import_load").disabled


def test_a_replace_on_the_data_page_shows_its_impact_and_waits_for_a_yes(
    data_page: AppTest, tmp_path
):
    at = data_page
    first = b"account_id,account_name\n" + b"".join(f"a{i},A{i}\n".encode() for i in range(10))
    at.file_uploader(key="uploads").set_value([("crm.csv", first, "text/csv")]).run()
    at.selectbox(key="table_crm").set_value("accounts").run()
    check_and_load(at)
    assert Stores.open(tmp_path).sources.row_count("accounts") == 10  # into the team's workspace
    assert Stores.open(tmp_path / "demo").sources.row_count("accounts") == 60  # the demo stays
    at.file_uploader(key="uploads").set_value(
        [("crm2.csv", b"account_id,account_name\nb1,B1\n", "text/csv")]
    ).run()
    at.selectbox(key="table_crm2").set_value("accounts").run()
    at.radio(key="import_mode").set_value("replace").run()
    at.button(key="import_check").click().run()
    impact = at.dataframe[-1].value
    assert impact["rows_now"].iloc[0] == 10 and impact["rows_after"].iloc[0] == 1
    assert "removes 10 of the 10 stored rows" in at.warning[-1].value
    assert at.button(key="import_load").disabled
    at.checkbox(key="import_confirm").check().run()
    at.button(key="import_load").click().run()
    assert not at.exception
    assert Stores.open(tmp_path).sources.row_count("accounts") == 1


def test_the_preview_lists_each_status_value_and_a_change_is_loaded_and_saved(
    data_page: AppTest, tmp_path
):
    """Every status value is listed with what it became; a person's change (what the
    preview's table sets) is checked again, loaded, and saved with the mapping."""
    at = data_page
    crm = b"account_id,account_name,status\na1,A,Customer\na2,B,Other\na3,C,Lead\na4,D,Other\n"
    at.file_uploader(key="uploads").set_value([("companies.csv", crm, "text/csv")]).run()
    at.selectbox(key="table_companies").set_value("accounts").run()
    at.button(key="import_check").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("Status values and what each became" in c.value for c in at.caption)
    assert "3 of 4 rows are fine; 0 rejected; 1 not customers (not loaded)." in [
        m.value for m in at.markdown
    ]
    # what the table's edit stores: Other is churned here
    at.session_state["vocab_map_companies"] = {"Other": "churned"}
    at.run()
    at.button(key="import_check").click().run()
    at.button(key="import_load").click().run()
    assert not at.exception, [e.message for e in at.exception]
    stores = Stores.open(tmp_path)
    statuses = dict(stores.sources.query("SELECT account_id, status FROM accounts").iter_rows())
    assert statuses == {"a1": "active", "a2": "churned", "a4": "churned"}  # the lead: no account
    saved = Mapping.model_validate_json(saved_mapping_json(stores.app, "companies.csv") or "")
    assert saved.values["status"] == {"Other": "churned"}
