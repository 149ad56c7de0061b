"""Estimates marked, and none invented from the wrong date (issue 24, point 3): a renewal date
is on record or estimated from a contract start (its next anniversary), and says which in
every table, export, calendar event and digest; a CRM record's creation (HubSpot's "Create
Date") or a signup date is never read as the contract start, so no renewal is invented from
it, and the calendar says how many accounts have no renewal date."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from icalendar import Calendar
from streamlit.testing.v1 import AppTest

from dashboard.ingest.limits import Limits
from dashboard.ingest.mapping import suggest_columns
from dashboard.ingest.presets import preset, recognise
from dashboard.jobs.digests import build_digests, digest_csv, digest_markdown
from dashboard.jobs.messages import digest_message
from dashboard.jobs.refresh import refresh
from dashboard.store import Stores
from dashboard.store.features import account_features
from dashboard.store.filters import AccountFilter
from dashboard.store.marts import scored_accounts
from dashboard.views.ics import renewals_ics
from dashboard.views.renewals import dates_note, renewal_view
from dashboard.views.sync import agenda_markdown, build_agenda
from dashboard.workflows.import_flow import files_plan, import_files

APP = "../dashboard/app.py"
FIXED = dt.date(2026, 3, 1)
STAMP = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)
HUBSPOT_HEADER = [
    "Record ID",
    "Company name",
    "Company Domain Name",
    "Company owner",
    "Create Date",
    "Lifecycle Stage",
    "ARR",
    "Number of licensed seats",
]


def _usage(ids: list[str]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "account_id": [a for a in ids for _ in range(6)],
            "occurred_at": [
                dt.datetime(2026, 2, 27) - dt.timedelta(days=9 * w) for _ in ids for w in range(6)
            ],
            "user_id": ["u1"] * (6 * len(ids)),
        }
    )


def _store(root: Path) -> Stores:
    """Three accounts scored as of ``FIXED``: one with a renewal date on record (ahead), one
    whose renewal date passed (its contract start gives the estimate), one with a contract
    start and no renewal date; each with a CSM and an AM."""
    stores = Stores.open(root)
    accounts = pl.DataFrame(
        {
            "account_id": ["rec", "passed", "est"],
            "account_name": ["Recorded", "Passed", "Estimated"],
            "arr": [1000.0, 2000.0, 3000.0],
            "licensed_seats": [10, 10, 10],
            "status": ["active"] * 3,
            "contract_start": [dt.date(2024, 6, 1), dt.date(2023, 4, 10), dt.date(2022, 3, 20)],
            "renewal_date": [dt.date(2026, 6, 1), dt.date(2025, 4, 10), None],
            "csm_owner": ["Cam"] * 3,
            "am_owner": ["Ada"] * 3,
        }
    )
    with stores.sources.writer() as w:
        w.replace_table("accounts", accounts)
        w.replace_table("usage_events", _usage(["rec", "passed", "est"]))
    refresh(stores, FIXED, root, digests=False)
    return stores


@pytest.fixture
def estimated(tmp_path: Path) -> Stores:
    return _store(tmp_path)


def test_features_say_where_each_renewal_date_comes_from(estimated: Stores):
    f = account_features(estimated.sources, FIXED)
    rows = {r["account_id"]: r for r in f.iter_rows(named=True)}
    assert rows["rec"]["renewal_date"] == dt.date(2026, 6, 1)
    assert rows["rec"]["renewal_basis"] == "on record"
    assert rows["passed"]["renewal_date"] == dt.date(2026, 4, 10)
    assert rows["passed"]["renewal_basis"] == "estimated from contract start 2023-04-10"
    assert rows["est"]["renewal_date"] == dt.date(2026, 3, 20)
    assert rows["est"]["renewal_basis"] == "estimated from contract start 2022-03-20"


def test_the_calendar_table_ics_and_csv_mark_the_estimates(estimated: Stores):
    view = renewal_view(estimated, AccountFilter())
    basis = dict(zip(view.renewals["account_id"], view.renewals["renewal_basis"], strict=True))
    assert basis == {
        "rec": "on record",
        "passed": "estimated from contract start 2023-04-10",
        "est": "estimated from contract start 2022-03-20",
    }
    note = dates_note(view.renewals, view.undated)
    assert note is not None and note.startswith("2 of these renewal dates are estimated"), note
    events = {
        str(e["x-tandem-account-id"]): e
        for e in Calendar.from_ical(renewals_ics(view.renewals, STAMP)).walk("VEVENT")
    }
    assert str(events["est"]["summary"]).startswith("Estimated renewal: Estimated")
    assert "estimated from contract start 2022-03-20" in str(events["est"]["description"])
    assert str(events["rec"]["summary"]).startswith("Renewal: Recorded")
    assert "estimated" not in str(events["rec"]["description"])


def test_digests_and_the_sync_agenda_mark_the_estimates(estimated: Stores):
    # every account is green here; read as red, each is on its CSM's digest
    scored = scored_accounts(estimated.sources, AccountFilter()).with_columns(band=pl.lit("red"))
    csm = next(d for d in build_digests(scored, pl.DataFrame(), FIXED) if d.role == "csm")
    assert sorted(csm.rows["account_id"]) == ["est", "passed", "rec"]
    lines = {
        a: next(line for line in digest_markdown(csm).splitlines() if f"({a}," in line)
        for a in ("est", "rec")
    }
    assert "renews in 19 days, estimated from contract start 2022-03-20" in lines["est"]
    assert "renews in 92 days)" in lines["rec"], lines["rec"]
    message = digest_message(csm).text
    assert "renews in 19 days, estimated from contract start 2022-03-20" in message
    header, *rows = digest_csv(csm).splitlines()
    assert "Renewal from" in header
    assert any("est," in r and "estimated from contract start 2022-03-20" in r for r in rows)
    agenda = build_agenda(estimated, "Cam + Ada", FIXED)
    said = agenda_markdown(agenda)
    assert agenda.renewals.height == 2 and "Renewal from" in said
    assert "estimated from contract start 2022-03-20" in said


def test_a_hubspot_create_date_is_no_contract_start():
    headers = [*HUBSPOT_HEADER]
    mapping = recognise(headers, "hubspot-companies.csv")
    assert mapping is not None and mapping.table == "accounts"
    assert "contract_start" not in mapping.columns and "Create Date" not in mapping.columns.values()
    api = preset("hubspot-companies-api").mapping(
        ["hs_object_id", "name", "domain", "createdate", "lifecyclestage"]
    )
    assert "contract_start" not in api.columns
    suggested = suggest_columns("accounts", ["account_id", "account_name", "signup_date"])
    assert "contract_start" not in suggested
    # the person may still say the column is the contract start: then it is one
    named = preset("hubspot-companies").mapping([*headers, "Contract start date"])
    assert named.columns["contract_start"] == "Contract start date"


def _hubspot_file(folder: Path, n: int = 6) -> Path:
    created = [dt.date(2021, 1, 5) + dt.timedelta(days=97 * i) for i in range(n)]
    lines = [",".join(HUBSPOT_HEADER)]
    for i in range(n):
        lines.append(
            f"{9000 + i},Company {i},company{i}.com,Owner {i % 2},"
            f"{created[i].isoformat()} 10:00,customer,{1000 * (i + 1)},{5 + i}"
        )
    path = folder / "hubspot-companies.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_hubspot_export_without_renewal_dates_invents_none(tmp_path: Path, app_data_dir):
    """A HubSpot companies export with Create Date and no renewal date: no contract start is
    read from Create Date, no renewal date is estimated, and the calendar (page and .ics)
    says how many accounts have no renewal date."""
    root = tmp_path / "data"
    stores = Stores.open(root)
    report, _ = import_files(
        stores.sources,
        files_plan([_hubspot_file(tmp_path)], None, None),
        FIXED,
        Limits(),
        rescore=lambda target: refresh(target, FIXED, root, digests=False).as_of,
        confirmed=True,
        target=lambda: stores,
    )
    assert report.loaded.get("accounts") == 6, (report.errors, report.refused)
    assert stores.sources.scalar("SELECT count(contract_start) FROM accounts") == 0
    refresh(stores, FIXED, root, digests=False)
    assert stores.sources.scalar("SELECT count(*) FROM account_scores") == 6
    assert stores.sources.scalar("SELECT count(renewal_date) FROM account_scores") == 0
    view = renewal_view(stores, AccountFilter())
    assert view.renewals.is_empty() and view.undated == 6
    note = dates_note(view.renewals, view.undated)
    assert note is not None and "6 accounts have no renewal date" in note
    ics = Calendar.from_ical(renewals_ics(view.renewals, STAMP, view.undated))
    assert not ics.walk("VEVENT")
    assert "6 accounts have no renewal date" in str(ics["x-wr-caldesc"])
    app_data_dir(root)
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    at.switch_page("../pages/renewals.py").run()
    assert not at.exception, [e.message for e in at.exception]
    said = " ".join(c.value for c in at.caption)
    assert "6 accounts have no renewal date" in said, said


def test_the_pages_tables_show_the_basis(estimated: Stores, tmp_path: Path, app_data_dir):
    """The Portfolio list and the Renewal calendar's tables carry "Renewal from" beside the
    date: the estimate names its contract start."""
    app_data_dir(tmp_path)  # where the estimated fixture built its store
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception, [e.message for e in at.exception]
    listed = at.dataframe[0].value
    basis = dict(zip(listed["account_name"], listed["renewal_basis"], strict=True))
    assert basis["Estimated"] == "estimated from contract start 2022-03-20"
    assert basis["Recorded"] == "on record"
    at.switch_page("../pages/renewals.py").run()
    assert not at.exception, [e.message for e in at.exception]
    tables = [d.value for d in at.dataframe if "renewal_basis" in d.value.columns]
    assert len(tables) >= 2  # the month's accounts and the 90-day value validation
    month = tables[0]
    assert "estimated from contract start 2022-03-20" in set(month["renewal_basis"])
    said = " ".join(c.value for c in at.caption)
    assert "2 of these renewal dates are estimated (the next anniversary" in said, said
    at.query_params["account"] = "est"
    at.switch_page("../pages/account.py").run()
    assert not at.exception, [e.message for e in at.exception]
    renewal = next(m for m in at.metric if m.label == "Renewal")
    assert renewal.value == "2026-03-20" and renewal.delta == "in 19 days, estimated"
    assert "anniversary of the contract start" in renewal.proto.help


def test_a_renewal_is_estimated_from_the_first_subscription_start(tmp_path: Path):
    """No contract start and no renewal date in the CRM, a subscription started 2024-07-15
    (and a later one): the renewal is its next anniversary, said as such; an account with
    neither has none."""
    stores = Stores.open(tmp_path)
    with stores.sources.writer() as w:
        w.replace_table(
            "accounts",
            pl.DataFrame(
                {
                    "account_id": ["sub", "none"],
                    "account_name": ["Subscribed", "Nothing"],
                    "arr": [1000.0, 2000.0],
                    "status": ["active", "active"],
                }
            ),
        )
        w.replace_table(
            "subscriptions",
            pl.DataFrame(
                {
                    "subscription_id": ["s1", "s2"],
                    "account_id": ["sub", "sub"],
                    "start_date": [dt.date(2025, 1, 1), dt.date(2024, 7, 15)],
                    "end_date": [dt.date(2026, 1, 1), None],
                }
            ),
        )
        w.replace_table("usage_events", _usage(["sub", "none"]))
    rows = {
        r["account_id"]: r for r in account_features(stores.sources, FIXED).iter_rows(named=True)
    }
    assert rows["sub"]["renewal_date"] == dt.date(2026, 7, 15)
    assert rows["sub"]["renewal_basis"] == "estimated from subscription start 2024-07-15"
    assert rows["none"]["renewal_date"] is None and rows["none"]["renewal_basis"] is None
    # before the subscription started, nothing to estimate from
    early = account_features(stores.sources, dt.date(2024, 7, 1)).filter(
        pl.col("account_id") == "sub"
    )
    assert early["renewal_date"][0] is None
