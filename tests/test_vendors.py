"""Real exports, first time right: vendor layouts recognised with no mapping written, and a
team's systems (a CRM, billing, support, product usage, surveys), each keying its customers
its own way, loaded in one command with their rows matched to their accounts."""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
from pathlib import Path

from dashboard.store import Stores
from tests.conftest import SAMPLES, needs_sample, tandem

ROOT = Path(__file__).resolve().parent.parent
VENDOR = SAMPLES / "vendor-layouts"
TODAY = dt.date(2026, 6, 15)  # conftest's fixed date


EXPECTED = {  # file -> (table, preset): what each of the shared vendor layouts is
    "salesforce/sf_account_data.csv": ("accounts", "salesforce-account"),
    "salesforce/sf_contact_data.csv": ("contacts", "salesforce-contact"),
    "salesforce/sf_opportunity_data.csv": ("activities", "salesforce-opportunity"),
    "salesforce/sf_task_data.csv": ("activities", "salesforce-task"),
    "salesforce/sf_user_data.csv": ("owners", "salesforce-user"),
    "salesforce/sf_user_role_data.csv": ("owners", "salesforce-user-role"),
    "stripe/customer_data.csv": ("account_keys", "stripe-customers"),
    "stripe/invoice_data.csv": ("invoices", "stripe-invoices"),
    "stripe/invoice_line_item_data.csv": ("invoices", "stripe-invoice-line-items"),
    "stripe/plan_data.csv": ("subscriptions", "stripe-plans"),
    "stripe/price_data.csv": ("subscriptions", "stripe-prices"),
    "stripe/product_data.csv": ("subscriptions", "stripe-products"),
    "stripe/subscription_data.csv": ("subscriptions", "stripe-subscriptions"),
    "stripe/subscription_history_data.csv": ("subscriptions", "stripe-subscription-history"),
    "stripe/subscription_item_data.csv": ("subscriptions", "stripe-subscription-items"),
    "zendesk/group_data.csv": ("tickets", "zendesk-groups"),
    "zendesk/organization_data.csv": ("account_keys", "zendesk-organizations"),
    "zendesk/ticket_comment_data.csv": ("tickets", "zendesk-ticket-comments"),
    "zendesk/ticket_data.csv": ("tickets", "zendesk-tickets"),
    "zendesk/user_data.csv": ("account_keys", "zendesk-users"),
}


def test_every_shared_vendor_file_is_recognised_with_its_table_and_preset(tmp_path):
    needs_sample("vendor-layouts")
    files = sorted(VENDOR.glob("*/*.csv"))
    assert {f"{f.parent.name}/{f.name}" for f in files} == set(EXPECTED)
    done = tandem(tmp_path / "data", "import", *map(str, files), "--dry-run", "--json")
    report = json.loads(done.stdout)
    found = {f["file"]: (f["table"], f["preset"]) for f in report["files"]}
    for path, expected in EXPECTED.items():
        assert found[Path(path).name] == expected, path
    for f in report["files"]:
        assert {"file", "table", "preset", "rows", "rows_valid", "rows_rejected"} <= set(f)
    assert set(report["accounts_matched"]) and set(report["accounts_unmatched"])
    assert not (tmp_path / "data").exists()  # a dry run writes nothing


# -- a team's own systems, each keyed its own way --------------------------------------------
WORDS_A = [
    "Acme",
    "Birch",
    "Cobalt",
    "Delta",
    "Ember",
    "Fjord",
    "Granite",
    "Harbor",
    "Iris",
    "Juniper",
    "Kestrel",
    "Lumen",
    "Maple",
    "Nimbus",
    "Onyx",
]
WORDS_B = [
    "Analytics",
    "Logistics",
    "Foods",
    "Robotics",
    "Health",
    "Media",
    "Systems",
    "Energy",
    "Labs",
    "Partners",
    "Studios",
    "Works",
    "Capital",
    "Networks",
    "Retail",
    "Travel",
    "Bank",
    "Cloud",
    "Motors",
    "Apparel",
]


def _write(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def build_team_exports(folder: Path, n: int = 300, seed: int = 3) -> dict[str, Path]:
    """A CRM (HubSpot's companies export), billing (Stripe customers and invoices, in cents),
    support (Zendesk organizations and tickets), usage (Segment tracks) and surveys
    (Delighted): the same companies, named and keyed differently in each."""
    rng = random.Random(seed)
    companies = []
    for i in range(n):
        name = f"{WORDS_A[i % 15]} {WORDS_B[(i // 15) % 20]}"
        slug = name.lower().replace(" ", "-")
        companies.append({"id": str(900_000 + i), "name": name, "domain": f"{slug}.com", "i": i})
    start = TODAY - dt.timedelta(days=400)
    files = {
        "crm": _write(
            folder / "hubspot-companies.csv",
            [
                "Record ID",
                "Company name",
                "Company Domain Name",
                "Company owner",
                "Create Date",
                "Lifecycle Stage",
                "ARR",
                "Number of licensed seats",
                "Renewal Date",
            ],
            [
                [
                    c["id"],
                    c["name"],
                    c["domain"],
                    f"Owner {c['i'] % 7}",
                    start.isoformat(),
                    "customer",
                    1000 * (1 + c["i"] % 40),
                    10 + c["i"] % 50,
                    (TODAY + dt.timedelta(days=30 + c["i"])).isoformat(),
                ]
                for c in companies
            ],
        ),
    }
    # billing: customers by id; the name in Stripe has a legal suffix, some e-mails are personal
    customers, invoices = [], []
    for c in companies:
        email = f"billing@{c['domain']}" if c["i"] % 5 else f"owner{c['i']}@gmail.com"
        stripe_name = f"{c['name'].upper()}, Inc." if c["i"] % 2 else f"{c['name']} Ltd"
        customers.append(
            [f"cus_{c['i']:05d}", email, stripe_name, "false", "usd", "2025-01-01 00:00:00", "{}"]
        )
        for k in range(3):
            issued = TODAY - dt.timedelta(days=30 * (k + 1))
            paid = rng.random() < 0.9
            invoices.append(
                [
                    f"in_{c['i']:05d}_{k}",
                    f"cus_{c['i']:05d}",
                    49900,
                    49900 if paid else 0,
                    0 if paid else 49900,
                    49900,
                    "paid" if paid else "open",
                    issued.isoformat(),
                    (issued + dt.timedelta(days=30)).isoformat(),
                    (issued + dt.timedelta(days=30)).isoformat(),
                    "true" if paid else "false",
                    "1",
                    "true",
                    "subscription_cycle",
                ]
            )
    files["billing_customers"] = _write(
        folder / "customer_data.csv",
        ["id", "email", "name", "delinquent", "currency", "created", "metadata"],
        customers,
    )
    files["billing_invoices"] = _write(
        folder / "invoice_data.csv",
        [
            "id",
            "customer_id",
            "amount_due",
            "amount_paid",
            "amount_remaining",
            "total",
            "status",
            "period_start",
            "period_end",
            "due_date",
            "paid",
            "attempt_count",
            "auto_advance",
            "billing_reason",
        ],
        invoices,
    )
    # support: organisations keyed by Zendesk's own ids, named with other suffixes
    orgs = [
        [
            str(370_000_000 + c["i"]),
            f"{c['name']} GmbH" if c["i"] % 3 else c["name"],
            "FALSE",
            "FALSE",
            "",
            c["domain"] if c["i"] % 4 else "",
        ]
        for c in companies
    ]
    files["support_orgs"] = _write(
        folder / "organization_data.csv",
        ["id", "name", "shared_tickets", "shared_comments", "external_id", "domain_names"],
        orgs,
    )
    tickets = []
    for t in range(4 * n):
        c = companies[t % n]
        created = TODAY - dt.timedelta(days=rng.randint(1, 120))
        tickets.append(
            [
                str(10_000 + t),
                str(370_000_000 + c["i"]),
                str(400_000 + t),
                rng.choice(["solved", "closed", "open"]),
                created.isoformat() + " 10:00:00",
                rng.choice(["low", "normal", "high", ""]),
                rng.choice(["good", "bad", "offered", "unoffered"]),
            ]
        )
    files["support_tickets"] = _write(
        folder / "ticket_data.csv",
        [
            "id",
            "organization_id",
            "requester_id",
            "status",
            "created_at",
            "priority",
            "satisfaction_rating_score",
        ],
        tickets,
    )
    # usage: Segment tracks sent for the company's group, which is the CRM's record id
    events = []
    for e in range(20 * n):
        c = companies[e % n]
        at = dt.datetime.combine(TODAY - dt.timedelta(days=rng.randint(1, 60)), dt.time(12))
        events.append(
            [
                rng.choice(["Report Viewed", "Export Run", "Dashboard Shared"]),
                f"anon-{e}",
                at.isoformat(),
                f"u{c['i']}-{e % 7}",
                at.isoformat(),
                c["id"],
            ]
        )
    files["usage"] = _write(
        folder / "tracks.csv",
        ["event", "anonymous_id", "received_at", "user_id", "timestamp", "context_group_id"],
        events,
    )
    # surveys: Delighted responses, known only by the person's e-mail
    surveys = [
        [
            rng.randint(0, 10),
            "fine",
            f"https://delighted.com/r/{s}",
            f"person{s}@{companies[s % n]['domain']}",
            (TODAY - dt.timedelta(days=s % 90)).isoformat(),
        ]
        for s in range(2 * n)
    ]
    files["surveys"] = _write(
        folder / "delighted.csv", ["Score", "Comment", "Permalink", "Email", "Created"], surveys
    )
    return files


def test_a_teams_systems_load_in_one_command_with_their_rows_matched(tmp_path):
    files = build_team_exports(tmp_path)
    done = tandem(tmp_path / "data", "import", *map(str, files.values()), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    by_file = {f["file"]: f for f in report["files"]}
    for key in (
        "billing_invoices",
        "support_tickets",
        "usage",
        "surveys",
        "billing_customers",
        "support_orgs",
    ):
        f = by_file[files[key].name]
        assert f["preset"] and f["preset"] != "generic", f
        assert f["rows_valid"] >= 0.99 * f["rows"], (
            key,
            f["rows_valid"],
            f["rows"],
            f["rejects"][:3],
        )
    assert by_file["hubspot-companies.csv"]["preset"] == "hubspot-companies"
    assert by_file["invoice_data.csv"]["matched_by"] == {"foreign_id": 900}
    rules = set(by_file["customer_data.csv"]["matched_by"])
    assert {"email_domain", "name"} <= rules  # personal e-mails matched by the company's name
    stores = Stores.open(tmp_path / "data")
    assert stores.sources.scalar("SELECT max(amount) FROM invoices") == 499.0  # cents → dollars
    csat = stores.sources.query("SELECT DISTINCT csat FROM tickets ORDER BY 1 NULLS FIRST")[
        "csat"
    ].to_list()
    assert csat == [None, 1, 5]  # good, bad; "offered" is no rating
    orphans = stores.sources.scalar(
        "SELECT count(*) FROM tickets WHERE account_id NOT IN (SELECT account_id FROM accounts)"
    )
    assert orphans == 0
    assert stores.sources.scalar("SELECT count(*) FROM account_scores") == 300


def test_the_readmes_example_columns_load_with_derived_ids(tmp_path):
    crm = _write(
        tmp_path / "crm_export.csv",
        ["Company Name", "ARR (USD)", "Renewal Date", "Account Owner"],
        [
            ["Acme Corp, Inc.", "120000", (TODAY + dt.timedelta(days=90)).isoformat(), "Jo Smith"],
            ["Birch Labs", "45000", (TODAY + dt.timedelta(days=200)).isoformat(), "Al Wong"],
        ],
    )
    done = tandem(tmp_path / "data", "import", str(crm))
    assert done.returncode == 0, done.stderr
    assert "account ids are derived from the names" in done.stderr
    ids = Stores.open(tmp_path / "data").sources.query(
        "SELECT account_id, am_owner FROM accounts ORDER BY 1"
    )
    assert ids.rows() == [("acme-corp-inc", "Jo Smith"), ("birch-labs", "Al Wong")]
