"""Recognition by evidence: what a file is comes from its header and its values, with a
confidence and a refusal when unsure; a file that needs a table stops the import before
anything is written, and says how to go on.

The files here have the shapes the product owner's report named (a survey export, a ticket
export with and without a status, an event stream keyed by a group, a contacts export, a
product-users list, an accounting invoice export without a status), with generated values."""

from __future__ import annotations

import json
import random
from pathlib import Path

import polars as pl
import pytest

from dashboard.ingest.recognition import key_of, recognise_frame, words
from dashboard.store import Stores
from tests.conftest import tandem

COMPANIES = [
    f"{w} {s}"
    for w in (
        "Acme",
        "Globex",
        "Initech",
        "Umbrella",
        "Hooli",
        "Vandelay",
        "Soylent",
        "Stark",
        "Wayne",
        "Tyrell",
    )
    for s in ("Inc", "GmbH", "Ltd")
]


def _frame(columns: dict[str, list[str]]) -> pl.DataFrame:
    return pl.DataFrame(columns, schema=dict.fromkeys(columns, pl.Utf8))


def survey(n: int = 400) -> pl.DataFrame:
    rnd = random.Random(1)
    return _frame(
        {
            "Email": [
                f"person{i}@{rnd.choice(COMPANIES).split()[0].lower()}.com" for i in range(n)
            ],
            "Company": [rnd.choice(COMPANIES) for _ in range(n)],
            "Score": [str(rnd.randint(0, 10)) for _ in range(n)],
            "Created At": [
                f"2024-{rnd.randint(1, 9):02d}-{rnd.randint(10, 28)} 10:{i % 60:02d}"
                for i in range(n)
            ],
        }
    )


def tickets(n: int = 300, status: bool = True) -> pl.DataFrame:
    rnd = random.Random(2)
    cols = {
        "Id": [str(3000 + i) for i in range(n)],
        "Organization": [rnd.choice(COMPANIES) for _ in range(n)],
        "Subject": [f"Export to CSV fails on report {i}" for i in range(n)],
        "Priority": [rnd.choice(["Low", "Normal", "High", "Urgent"]) for _ in range(n)],
        "Status": [rnd.choice(["Open", "Pending", "Solved", "Closed"]) for _ in range(n)],
        "Created at": [f"2024-03-{rnd.randint(1, 28):02d} 09:{i % 60:02d}" for i in range(n)],
        "Solved at": [f"2024-04-{rnd.randint(1, 28):02d} 11:00" for _ in range(n)],
        "Satisfaction Score": [rnd.choice(["Good", "Bad", "Offered", ""]) for _ in range(n)],
    }
    if not status:
        del cols["Status"], cols["Solved at"]
    return _frame(cols)


def events(n: int = 2_000) -> pl.DataFrame:
    rnd = random.Random(3)
    return _frame(
        {
            "event": [
                rnd.choice(["Report Viewed", "Dashboard Shared", "Export Run", "Login"])
                for _ in range(n)
            ],
            "userId": [f"usr_{rnd.randint(1, 80):04d}" for _ in range(n)],
            "groupId": [f"grp_{rnd.randint(1, 12):03d}" for _ in range(n)],
            "timestamp": [
                f"2024-05-{rnd.randint(1, 28):02d}T{rnd.randint(0, 23):02d}:{rnd.randint(0, 59):02d}:00Z"
                for _ in range(n)
            ],
        }
    )


def contacts(n: int = 60) -> pl.DataFrame:
    rnd = random.Random(4)
    return _frame(
        {
            "Name": [
                f"{rnd.choice(['Ana', 'Bo', 'Cy', 'Di'])} {rnd.choice(['Lee', 'Moss', 'Ng'])}"
                for _ in range(n)
            ],
            "Email": [f"contact{i}@client{i}.com" for i in range(n)],
            "Company": [rnd.choice(COMPANIES) for _ in range(n)],
            "Phone": [f"+1 555 01{i:02d}" for i in range(n)],
            "Lifecycle Stage": [
                rnd.choice(["lead", "subscriber", "marketingqualifiedlead", "customer"])
                for _ in range(n)
            ],
        }
    )


def product_users(n: int = 300) -> pl.DataFrame:
    return _frame(
        {
            "user_id": [f"u{i}" for i in range(n)],
            "email": [f"user{i}@company{i % 40}.com" for i in range(n)],
            "account_id": [f"acc-{i % 40}" for i in range(n)],
            "invited_at": ["2025-01-01"] * n,
            "last_seen": [f"2024-06-{1 + i % 28:02d}" for i in range(n)],
        }
    )


def invoices_without_status(n: int = 300) -> pl.DataFrame:
    rnd = random.Random(5)
    return _frame(
        {
            "Invoice Number": [f"INV-{1000 + i}" for i in range(n)],
            "Customer": [rnd.choice(COMPANIES) for _ in range(n)],
            "Invoice Date": [f"{rnd.randint(1, 28):02d}/03/2024" for _ in range(n)],
            "Due Date": [f"{rnd.randint(1, 28):02d}/04/2024" for _ in range(n)],
            "Total": [f"{rnd.randint(100, 9000)}.00" for _ in range(n)],
        }
    )


def opportunities(n: int = 74) -> pl.DataFrame:
    rnd = random.Random(6)
    return _frame(
        {
            "Opportunity Name": [f"{rnd.choice(COMPANIES)} - expansion {i}" for i in range(n)],
            "Account Name": [rnd.choice(COMPANIES) for _ in range(n)],
            "Stage": [
                rnd.choice(["Prospecting", "Qualification", "Closed Won", "Closed Lost"])
                for _ in range(n)
            ],
            "Amount": [str(rnd.randint(5, 90) * 1000) for _ in range(n)],
            "Close Date": [f"2024-{rnd.randint(1, 12):02d}-15" for _ in range(n)],
            "Probability (%)": [str(rnd.choice([10, 20, 50, 100, 0])) for _ in range(n)],
        }
    )


def crm_accounts(n: int = 120) -> pl.DataFrame:
    rnd = random.Random(7)
    return _frame(
        {
            "customerID": [f"C-{i:05d}" for i in range(n)],
            "Company name": [f"Client {i} {rnd.choice(['Inc', 'Ltd', 'AG'])}" for i in range(n)],
            "Industry": [rnd.choice(["Retail", "Fintech", "Health"]) for _ in range(n)],
            "Plan": [rnd.choice(["Starter", "Growth", "Enterprise"]) for _ in range(n)],
            "ARR": [str(rnd.randint(5, 400) * 1000) for _ in range(n)],
            "Renewal date": [f"2025-{rnd.randint(1, 12):02d}-01" for _ in range(n)],
        }
    )


@pytest.mark.parametrize(
    ("make", "verdict", "table"),
    [
        (survey, "table", "surveys"),
        (tickets, "table", "tickets"),
        (lambda: tickets(status=False), "table", "tickets"),
        (events, "table", "usage_events"),
        (contacts, "not_customer", None),
        (product_users, "not_customer", None),
        (opportunities, "not_customer", None),
        (invoices_without_status, "table", "invoices"),
        (crm_accounts, "table", "accounts"),
    ],
    ids=[
        "survey",
        "tickets",
        "tickets-no-status",
        "events",
        "contacts",
        "product-users",
        "opportunities",
        "invoices-no-status",
        "crm-accounts",
    ],
)
def test_each_file_is_read_for_what_it_is(make, verdict, table):
    found = recognise_frame(make(), "export.csv")
    assert (found.verdict, found.table) == (verdict, table), found.scores
    assert found.evidence and found.runner_up


def test_a_survey_or_a_ticket_export_is_never_read_as_accounts():
    for frame in (survey(), tickets(), tickets(status=False), contacts(), product_users()):
        found = recognise_frame(frame, "accounts.csv")  # even named so
        assert found.table != "accounts", found.scores


def test_a_file_with_too_little_evidence_needs_a_table():
    vague = _frame({"id": [str(i) for i in range(50)], "name": [f"thing {i}" for i in range(50)]})
    found = recognise_frame(vague, "export.csv")
    assert found.verdict == "ask" and found.table is None
    assert len(found.guesses()) == 2


def test_header_words_split_camel_case_and_labels():
    assert words("customerID") == ("customer", "id")
    assert key_of("groupId") == "group_id"
    assert key_of("Company name (UTC)") == "company_name_utc"
    assert key_of("$insert_id") == "insert_id"


def _write(folder: Path, name: str, frame: pl.DataFrame) -> Path:
    path = folder / name
    frame.write_csv(path)
    return path


def test_a_file_that_needs_a_table_stops_the_import_and_names_the_way_on(tmp_path):
    data = tmp_path / "data"
    good = _write(tmp_path, "crm.csv", crm_accounts())
    vague = _write(
        tmp_path,
        "things.csv",
        _frame({"id": [str(i) for i in range(50)], "name": [f"thing {i}" for i in range(50)]}),
    )
    done = tandem(data, "import", str(good), str(vague), "--json")
    assert done.returncode == 2
    report = json.loads(done.stdout)  # printed although the import is refused
    assert report["needs_table"][0]["file"] == "things.csv"
    assert report["needs_table"][0]["table"] is None
    assert report["recognised"]["crm.csv"]["table"] == "accounts"
    assert {"confidence", "runner_up", "evidence"} <= set(report["recognised"]["crm.csv"])
    assert "--skip things.csv" in done.stderr and "needs a table" in done.stderr
    assert (
        not (data / "sources" / "CURRENT").exists()
        or Stores.open(data).sources.row_count("accounts") == 0
    )  # nothing written
    skipped = tandem(data, "import", str(good), str(vague), "--skip", str(vague), "--json")
    assert skipped.returncode == 0, skipped.stderr
    assert Stores.open(data).sources.row_count("accounts") == 120


def test_a_non_customer_file_is_left_out_with_its_reason(tmp_path):
    data = tmp_path / "data"
    good = _write(tmp_path, "crm.csv", crm_accounts())
    people = _write(tmp_path, "contacts.csv", contacts())
    done = tandem(data, "import", str(good), str(people), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["recognised"]["contacts.csv"]["verdict"] == "not_customer"
    assert any("contacts.csv: not customer data" in s for s in report["skipped"])
    stores = Stores.open(data)
    assert stores.sources.row_count("accounts") == 120
    assert stores.sources.row_count("owners") == 0  # never the team's people


def test_a_person_can_name_the_table_a_file_feeds(tmp_path):
    data = tmp_path / "data"
    good = _write(tmp_path, "crm.csv", crm_accounts())
    done = tandem(data, "import", str(good), "--as", "crm.csv=accounts", "--dry-run", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["files"][0]["table"] == "accounts"
    wrong = tandem(data, "import", str(good), "--as", "crm.csv=nonsense")
    assert wrong.returncode == 2 and "--as crm.csv=nonsense" in wrong.stderr
