"""A small hand-made portfolio with every source, and the same with one source missing, for
the "unknown is unknown" page tests (issue 24, point 4): scored as of ``FIXED``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
from streamlit.testing.v1 import AppTest

from dashboard.jobs.refresh import refresh
from dashboard.store import Stores

FIXED = dt.date(2026, 3, 1)
T = dt.datetime
APP = "../dashboard/app.py"
LIVE = ["a", "b", "c", "e", "g"]
# the sources that go missing in turn, each the tables it is read from
MISSING: dict[str, tuple[str, ...]] = {
    "usage": ("usage_events",),
    "tickets": ("tickets",),
    "billing": ("invoices", "subscriptions"),
    "activities": ("activities",),
    "owners": ("owners",),
    "all": ("usage_events", "tickets", "invoices", "subscriptions", "activities", "surveys"),
}


def accounts(owned: bool = True) -> pl.DataFrame:
    """Five live accounts (a, b, g with a CSM+AM pair; c with a CSM only; e combined; g has
    one seat and one ticket, solved) and one churned (d, with its dated churn)."""
    frame = pl.DataFrame(
        {
            "account_id": ["a", "b", "c", "d", "e", "g"],
            "account_name": ["Alpha", "Beta", "Gamma", "Delta", "Epsilon", "Gimel"],
            "segment": ["Mid-Market"] * 6,
            "region": ["EMEA", "EMEA", "NA", "NA", "EMEA", "NA"],
            "plan": ["Pro"] * 6,
            "csm_owner": ["Cam", "Cam", "Cam", "Cam", "Eve", "Cam"],
            "am_owner": ["Ada", "Ada", None, "Ada", "Eve", "Ada"],
            "arr": [12000.0, 24000.0, 6000.0, 9000.0, 15000.0, 3000.0],
            "licensed_seats": [10, 20, 5, 8, 10, 1],
            "contract_start": [dt.date(2023, 5, 1)] * 6,
            "renewal_date": [
                dt.date(2026, 5, 1),
                dt.date(2026, 3, 20),
                dt.date(2026, 4, 10),
                dt.date(2025, 10, 1),
                dt.date(2026, 9, 1),
                dt.date(2026, 11, 1),
            ],
            "status": ["active", "active", "active", "churned", "active", "active"],
        }
    )
    if not owned:
        frame = frame.with_columns(
            csm_owner=pl.lit(None, pl.String), am_owner=pl.lit(None, pl.String)
        )
    return frame


def sources() -> dict[str, pl.DataFrame]:
    """Every source table of the hand-made portfolio."""
    weeks = range(12)
    usage = pl.DataFrame(
        {
            "account_id": [a for a in LIVE for _ in weeks for _ in range(3)],
            "occurred_at": [
                T(2026, 2, 27) - dt.timedelta(days=7 * w)
                for _ in LIVE
                for w in weeks
                for _ in range(3)
            ],
            "user_id": [f"u{u}" for _ in LIVE for _ in weeks for u in range(3)],
            "feature": [f"f{u}" for _ in LIVE for _ in weeks for u in range(3)],
        }
    )
    tickets = pl.DataFrame(
        {
            "ticket_id": ["t1", "t2", "t3", "t4"],
            "account_id": ["a", "b", "c", "g"],
            "created_at": [T(2026, 1, 10), T(2026, 2, 20), T(2026, 2, 1), T(2026, 2, 10)],
            "resolved_at": [T(2026, 1, 12), None, T(2026, 2, 3), T(2026, 2, 11)],
            "priority": ["normal", "high", "low", "normal"],
        }
    )
    invoices = pl.DataFrame(
        {
            "invoice_id": ["i1", "i2", "i3", "i4"],
            "account_id": ["a", "b", "c", "e"],
            "issued_on": [dt.date(2026, 1, 1)] * 4,
            "due_on": [dt.date(2026, 1, 31)] * 4,
            "paid_on": [dt.date(2026, 1, 20), None, dt.date(2026, 1, 25), dt.date(2026, 1, 30)],
            "amount": [1000.0, 2000.0, 500.0, 1250.0],
        }
    )
    subscriptions = pl.DataFrame(
        {
            "subscription_id": ["s1", "s2", "s3", "s5", "s7"],
            "account_id": ["a", "b", "c", "e", "g"],
            "product": ["Pro"] * 5,
            "arr": [12000.0, 24000.0, 6000.0, 15000.0, 3000.0],
            "seats": [10, 20, 5, 10, 1],
            "start_date": [
                dt.date(2025, 5, 1),
                dt.date(2025, 3, 20),
                dt.date(2025, 4, 10),
                dt.date(2025, 9, 1),
                dt.date(2025, 11, 1),
            ],
            "end_date": [
                dt.date(2026, 5, 1),
                dt.date(2026, 3, 20),
                dt.date(2026, 4, 10),
                dt.date(2026, 9, 1),
                dt.date(2026, 11, 1),
            ],
            "status": ["active"] * 5,
        }
    )
    activities = pl.DataFrame(
        {
            "account_id": ["a", "a", "b", "c", "e", "b"],
            "occurred_at": [
                T(2026, 2, 10),
                T(2026, 1, 20),
                T(2026, 2, 15),
                T(2026, 2, 1),
                T(2026, 2, 12),
                T(2026, 2, 25),
            ],
            "kind": ["meeting", "call", "qbr", "email", "meeting", "call"],
            "role": ["csm", "am", "csm", "csm", "csm", "am"],
            "author": ["Cam", "Ada", "Cam", "Cam", "Eve", "Ada"],
        }
    )
    outcomes = pl.DataFrame(
        {
            "account_id": ["d", "a", "b"],
            "occurred_on": [dt.date(2025, 10, 1), dt.date(2025, 5, 1), dt.date(2025, 3, 20)],
            "event": ["churned", "renewed", "expanded"],
            "arr_change": [-9000.0, 0.0, 4000.0],
        }
    )
    owners = pl.DataFrame(
        {"owner": ["Cam", "Ada", "Eve", "Lee"], "role": ["csm", "am", "both", "leader"]}
    )
    return {
        "accounts": accounts(),
        "usage_events": usage,
        "tickets": tickets,
        "invoices": invoices,
        "subscriptions": subscriptions,
        "activities": activities,
        "outcomes": outcomes,
        "owners": owners,
    }


def build(root: Path, missing: str | None = None) -> Path:
    """The portfolio in ``root`` with the ``missing`` source (a key of ``MISSING``) left out
    (for "owners" the accounts name no owner either; "all": only the CRM and the outcomes),
    scored as of ``FIXED``."""
    stores = Stores.open(root)
    tables = sources()
    for table in MISSING.get(missing or "", ()):
        tables.pop(table, None)
    if missing == "owners":
        tables["accounts"] = accounts(owned=False)
    with stores.sources.writer() as w:
        for name, frame in tables.items():
            w.replace_table(name, frame)
    refresh(stores, FIXED, root, digests=False)
    return root


def said(at: AppTest) -> str:
    """Everything a page says in words: titles, text, captions, alerts, metrics (label,
    value, delta, help), and the cells of its tables."""
    parts: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "text"):
        parts += [e.value for e in getattr(at, kind)]
    for kind in ("success", "info", "warning", "error"):
        parts += [e.value for e in getattr(at, kind)]
    for m in at.metric:
        parts.append(f"[{m.label}: {m.value} | {m.delta or ''} | {m.proto.help}]")
    for frame in at.dataframe:
        value = frame.value
        parts.append(value.to_csv(index=False) if hasattr(value, "to_csv") else str(value))
    return "\n".join(str(p) for p in parts)


def open_page(page: str, query: dict[str, str] | None = None) -> AppTest:
    """The app opened, then ``page`` (a file under pages/), with ``query`` in its URL."""
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception, [e.message for e in at.exception]
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.switch_page(f"../pages/{page}.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at
