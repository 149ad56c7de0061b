"""Contact exports recognised as the customer's people, by evidence, and loaded as ``contacts``
rows through the import's own flow: a person per row with an e-mail, a name and the company
they work for, which must be a loaded account (a person at a company that is no account is a
bad row, named by file, row and column, never a contact). User lists, marketing lists and lead
lists stay "not customer data" even when they carry a company column.

The files have the shapes the vendors' exports have (Salesforce's Contact object as a sync lands
it, HubSpot's contacts export with display labels, Pipedrive's people export, a plain CSV), with
values written here."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest

from dashboard.ingest import vocabulary
from dashboard.ingest.recognition import recognise_frame
from dashboard.store import Stores
from dashboard.text import EMAIL_MASK, mask_pii
from tests.conftest import tandem

CRM = (
    "account_id,account_name,domain,arr,status\n"
    "001A,Acme Corp,acme.io,120000,active\n"
    "001B,Globex Ltd,globex.com,40000,active\n"
    "001C,Initech GmbH,initech.de,90000,active\n"
)
FIRST = ["Ana", "Bo", "Cy", "Di", "Ed", "Flo", "Gus", "Hal", "Ida", "Jo", "Kai", "Lu"]
LAST = ["Lee", "Moss", "Ng", "Park", "Roy", "Sun", "Tan", "Uno", "Vik", "Wu", "Xu", "Yoo"]
COMPANIES = [("001A", "Acme Corp", "acme.io"), ("001B", "Globex Ltd", "globex.com")]
COMPANIES += [("001C", "Initech GmbH", "initech.de")]
TITLES = ["VP Operations", "Chief Financial Officer", "IT Administrator", "Data Analyst"]


def _people(n: int = 12) -> list[dict[str, str]]:
    """n people at the three accounts, four per company, each with a title."""
    out = []
    for i in range(n):
        account, company, domain = COMPANIES[i % 3]
        out.append(
            {
                "id": f"003{i:05d}",
                "first": FIRST[i],
                "last": LAST[i],
                "email": f"{FIRST[i].lower()}.{LAST[i].lower()}@{domain}",
                "account": account,
                "company": company,
                "title": TITLES[i % 4],
            }
        )
    return out


def _csv(header: list[str], rows: list[list[str]]) -> str:
    return "\n".join(",".join(r) for r in [header, *rows]) + "\n"


def salesforce_contact() -> str:
    """Salesforce's Contact object as Fivetran lands it (a subset of its columns)."""
    header = ["id", "account_id", "email", "first_name", "last_name", "name", "title"]
    header += ["mailing_country", "is_deleted"]
    rows = [
        [
            *(p["id"], p["account"], p["email"], p["first"], p["last"]),
            *(f"{p['first']} {p['last']}", p["title"], "Germany", "false"),
        ]
        for p in _people()
    ]
    return _csv(header, rows)


def hubspot_export() -> str:
    """HubSpot's contacts export: display labels, first and last name, the company's name."""
    header = ["Record ID", "First Name", "Last Name", "Email", "Job Title", "Lifecycle Stage"]
    header += ["Associated Company", "Create Date"]
    rows = [
        [
            *(str(500 + i), p["first"], p["last"], p["email"], p["title"], "Customer"),
            *(p["company"], f"2026-01-{i + 1:02d} 10:00"),
        ]
        for i, p in enumerate(_people())
    ]
    return _csv(header, rows)


def pipedrive_people() -> str:
    """Pipedrive's people list view, exported: "Person - <field>" headers."""
    header = ["Person - ID", "Person - Name", "Person - Organization", "Person - Email"]
    header += ["Person - Job title", "Person - Owner"]
    rows = [
        [str(i + 1), f"{p['first']} {p['last']}", p["company"], p["email"], p["title"], "Sam"]
        for i, p in enumerate(_people())
    ]
    return _csv(header, rows)


def plain_contacts() -> str:
    """A plain CSV in Tandem's own column names, with roles and a leaving date."""
    return (
        "account_id,name,email,title,role,left_on\n"
        "001A,Ana Lee,ana.lee@acme.io,VP Operations,champion,\n"
        "001A,Bo Moss,bo.moss@acme.io,CFO,economic buyer,\n"
        "001B,Cy Ng,cy.ng@globex.com,Ops Lead,champion,2026-05-31\n"
        "001B,Di Park,di.park@globex.com,IT,admin,\n"
        "001C,Ed Roy,ed.roy@initech.de,Analyst,Kingmaker,\n"
    )


def _load(tmp_path: Path, *files: tuple[str, str], dry: bool = False):
    paths = []
    for name, text in (("crm.csv", CRM), *files):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        paths.append(str(path))
    data = tmp_path / "data"
    done = tandem(data, "import", *paths, "--json", *(["--dry-run"] if dry else []))
    return done, data


def _contacts(data: Path) -> list[tuple]:
    return (
        Stores.open(data)
        .sources.query(
            "SELECT account_id, name, email, title, role, left_on, contact_id FROM contacts"
            " ORDER BY email"
        )
        .rows()
    )


EXPECTED_ROLES = {  # the stated rule on the titles of _people()
    "VP Operations": "sponsor",
    "Chief Financial Officer": "economic buyer",
    "IT Administrator": "admin",
    "Data Analyst": None,  # unknown: kept unknown, never a guessed "user"
}


@pytest.mark.parametrize(
    ("name", "make", "with_id"),
    [
        ("sf_contact_data.csv", salesforce_contact, True),
        ("hubspot-contacts-export.csv", hubspot_export, True),
        ("people-export.csv", pipedrive_people, True),
    ],
    ids=["salesforce-contact-sync", "hubspot-contacts-export", "pipedrive-people-export"],
)
def test_a_crms_contact_export_loads_one_contacts_row_per_person(tmp_path, name, make, with_id):
    done, data = _load(tmp_path, (name, make()))
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["recognised"][name]["table"] == "contacts", report["recognised"][name]
    people = _people()
    ids = {
        "sf_contact_data.csv": [p["id"] for p in people],
        "hubspot-contacts-export.csv": [str(500 + i) for i in range(12)],
        "people-export.csv": [str(i + 1) for i in range(12)],
    }[name]
    expected = sorted(
        (
            p["account"],
            f"{p['first']} {p['last']}",
            p["email"],
            p["title"],
            EXPECTED_ROLES[p["title"]],
            None,
            ids[i] if with_id else None,
        )
        for i, p in enumerate(people)
    )
    assert _contacts(data) == sorted(expected, key=lambda r: r[2])
    notes = [n for f in report["files"] if f["file"] == name for n in f["notes"]]
    assert any("'Data Analyst': 3" in n and "kept unknown" in n for n in notes), notes


def test_a_plain_contacts_file_keeps_its_roles_and_leaving_dates(tmp_path):
    done, data = _load(tmp_path, ("contacts.csv", plain_contacts()))
    assert done.returncode == 0, done.stderr
    assert _contacts(data) == [
        ("001A", "Ana Lee", "ana.lee@acme.io", "VP Operations", "champion", None, None),
        ("001A", "Bo Moss", "bo.moss@acme.io", "CFO", "economic buyer", None, None),
        ("001B", "Cy Ng", "cy.ng@globex.com", "Ops Lead", "champion", dt.date(2026, 5, 31), None),
        ("001B", "Di Park", "di.park@globex.com", "IT", "admin", None, None),
        ("001C", "Ed Roy", "ed.roy@initech.de", "Analyst", None, None, None),  # Kingmaker
    ]


def test_bad_contact_rows_are_named_by_file_row_and_column_and_never_stored(tmp_path):
    text = hubspot_export().splitlines()
    text[2] = text[2].replace("bo.moss@globex.com", "bo.moss at globex")  # row 3: no @
    text.append("900,Gus,Tan,gus.tan@umbrella.com,CEO,Customer,Umbrella Inc,2026-02-01 10:00")
    done, data = _load(tmp_path, ("hubspot-contacts-export.csv", "\n".join(text) + "\n"))
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    (mine,) = [f for f in report["files"] if f["file"] == "hubspot-contacts-export.csv"]
    assert (mine["rows"], mine["rows_valid"], mine["rows_rejected"]) == (13, 11, 2)
    rejects = {r["row"]: r["reasons"] for r in mine["rejects"]}
    assert set(rejects) == {3, 14}  # the file's line numbers
    assert rejects[3].startswith("column email ('Email'): bo.moss at globex is not an e-mail")
    assert rejects[14].startswith("column account_id: no account matches (key umbrella inc")
    emails = [r[2] for r in _contacts(data)]
    assert len(emails) == 11
    assert "gus.tan@umbrella.com" not in emails and "bo.moss at globex" not in emails


# -- what is not a customer's contacts, even with a company column ------------------------------


def _frame(rows: dict[str, list[str]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=dict.fromkeys(rows, pl.Utf8))


def product_users(n: int = 120) -> pl.DataFrame:
    """A product's user list: a user id, an e-mail, the workspace's account, a permission role,
    sign-up and last-seen dates."""
    return _frame(
        {
            "user_id": [f"u{i}" for i in range(n)],
            "email": [f"user{i}@company{i % 30}.com" for i in range(n)],
            "name": [f"User {i}" for i in range(n)],
            "account_id": [f"acc-{i % 30}" for i in range(n)],
            "role": [["admin", "member", "viewer"][i % 3] for i in range(n)],
            "signed_up_at": ["2025-01-01"] * n,
            "last_seen": [f"2026-05-{1 + i % 28:02d}" for i in range(n)],
        }
    )


def marketing_list(n: int = 200) -> pl.DataFrame:
    """A marketing audience: e-mail, names, company, opt-in, rating, unsubscribed."""
    return _frame(
        {
            "Email Address": [f"p{i}@firm{i % 40}.com" for i in range(n)],
            "First Name": [FIRST[i % 12] for i in range(n)],
            "Last Name": [LAST[i % 12] for i in range(n)],
            "Company": [f"Firm {i % 40}" for i in range(n)],
            "MEMBER_RATING": [str(1 + i % 5) for i in range(n)],
            "OPTIN_TIME": [f"2025-0{1 + i % 9}-01 10:00:00" for i in range(n)],
            "Unsubscribed": [["false", "false", "true"][i % 3] for i in range(n)],
        }
    )


def lead_list(n: int = 150) -> pl.DataFrame:
    """A CRM's leads: people with a company, a lead status and source."""
    return _frame(
        {
            "First Name": [FIRST[i % 12] for i in range(n)],
            "Last Name": [LAST[i % 12] for i in range(n)],
            "Email": [f"lead{i}@prospect{i % 50}.com" for i in range(n)],
            "Company": [f"Prospect {i % 50}" for i in range(n)],
            "Title": [TITLES[i % 4] for i in range(n)],
            "Lead Status": [
                ["Open - Not Contacted", "Working - Contacted", "Closed - Not Converted"][i % 3]
                for i in range(n)
            ],
            "Lead Source": [["Web", "Trade Show"][i % 2] for i in range(n)],
        }
    )


@pytest.mark.parametrize(
    "make", [product_users, marketing_list, lead_list], ids=["users", "marketing", "leads"]
)
def test_user_marketing_and_lead_lists_are_never_contacts(make):
    for name in ("export.csv", "contacts.csv"):  # even named so
        found = recognise_frame(make(), name)
        assert found.table is None and found.kind == "not_customer", found.scores
        assert found.scores["contacts"] < found.scores["not_customer"], found.scores


def test_a_user_list_and_a_marketing_list_load_no_contact(tmp_path):
    users = tmp_path / "users.csv"
    product_users().write_csv(users)
    audience = tmp_path / "audience.csv"
    marketing_list().write_csv(audience)
    done, data = _load(
        tmp_path, ("users.csv", users.read_text()), ("audience.csv", audience.read_text())
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert {report["recognised"][f]["verdict"] for f in ("users.csv", "audience.csv")} == {
        "not_customer"
    }
    assert Stores.open(data).sources.row_count("contacts") == 0


def test_contacts_emails_are_masked_as_everything_else(tmp_path):
    done, data = _load(tmp_path, ("contacts.csv", plain_contacts()))
    assert done.returncode == 0, done.stderr
    stored = Stores.open(data).sources.query("SELECT name, email, title FROM contacts")
    masked = mask_pii(stored)
    assert set(masked["email"]) == {EMAIL_MASK}
    assert masked["name"].to_list() == stored["name"].to_list()  # names and titles stay


@pytest.mark.parametrize(
    ("title", "role"),
    [
        ("Internal Champion", "champion"),
        ("Power User", "champion"),
        ("VP of Finance", "economic buyer"),
        ("Chief Financial Officer", "economic buyer"),
        ("CEO & Co-Founder", "economic buyer"),
        ("Head of Procurement", "economic buyer"),
        ("Vice President, Operations", "sponsor"),
        ("Executive Sponsor", "sponsor"),
        ("Director of Customer Experience", "sponsor"),
        ("CTO", "sponsor"),
        ("Salesforce Administrator", "admin"),
        ("IT Manager", "admin"),
        ("End User", "user"),
        ("Economic Decision Maker", "economic buyer"),  # Salesforce's contact roles
        ("Business User", "user"),
        ("Technical Buyer", None),
        ("Influencer", None),
        ("Data Analyst", None),
        ("Product Owner", None),
        ("Kingmaker", None),
        ("", None),
    ],
)
def test_roles_follow_the_stated_rule_and_unknown_stays_unknown(title, role):
    assert vocabulary.contact_role(title) == role


def test_a_file_naming_its_customer_only_by_name_is_matched_not_refused(tmp_path):
    # before: "required column 'account_id' of surveys is not mapped" and nothing loaded
    survey = (
        "Email,Company,Score,Created At\n"
        "ana@acme.io,Acme Corp,9,2026-01-05 10:00\n"
        "bo@globex.com,Globex Ltd,3,2026-01-06 10:00\n"
        "cy@initech.de,Initech GmbH,7,2026-01-07 10:00\n"
        "di@acme.io,Acme Corp,10,2026-01-08 10:00\n"
        "ed@globex.com,Globex Ltd,8,2026-01-09 10:00\n"
        "flo@initech.de,Initech GmbH,2,2026-01-10 10:00\n"
    )
    done, data = _load(tmp_path, ("nps.csv", survey))
    assert done.returncode == 0, done.stderr
    got = Stores.open(data).sources.query(
        "SELECT account_id, score FROM surveys ORDER BY responded_at"
    )
    assert got.rows() == [
        ("001A", 9),
        ("001B", 3),
        ("001C", 7),
        ("001A", 10),
        ("001B", 8),
        ("001C", 2),
    ]
