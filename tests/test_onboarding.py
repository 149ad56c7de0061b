"""Time to value: the first-value date by the stated rule, onboarding by cohort, the accounts
stuck in onboarding and the CSM's digest line, on hand-made rows with fixed dates."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from dashboard.config import Settings
from dashboard.jobs.digests import build_digests, digest_markdown
from dashboard.store import Stores
from dashboard.store.filters import AccountFilter
from dashboard.views.onboarding import onboarding_digest_rows, onboarding_view, value_rule
from scoring.digests import stuck_onboarding_rows
from scoring.onboarding import (
    ValueRule,
    first_value_by_log,
    first_value_by_seats,
    onboarding_cohorts,
    onboarding_status,
    stuck_in_onboarding,
)

AS_OF = dt.date(2026, 3, 2)  # a Monday
D = dt.date


def _starts() -> pl.DataFrame:
    """A reaches value, B started 90 days ago and has not, C has no seats, D no usage row,
    E started 14 days ago, F churned before value."""
    return pl.DataFrame(
        {
            "account_id": ["A", "B", "C", "D", "E", "F"],
            "account_name": ["Acme", "Bolt", "Cove", "Dune", "Echo", "Fern"],
            "segment": ["SMB", "SMB", "SMB", "Mid-Market", "SMB", "SMB"],
            "csm_owner": ["Cam", "Cam", "Cam", "Dee", "Cam", "Cam"],
            "am_owner": [None, "Ari", None, None, None, None],
            "arr": [10_000.0, 24_000.0, 5_000.0, 8_000.0, 3_000.0, 2_000.0],
            "licensed_seats": [20, 10, None, 5, 10, 10],
            "contract_start": [
                D(2026, 1, 1),
                D(2025, 12, 2),
                D(2026, 1, 10),
                D(2025, 12, 20),
                D(2026, 2, 16),
                D(2025, 12, 5),
            ],
            "status": ["active", "active", "active", "active", "active", "churned"],
        }
    )


# active users per week since the start (week 0 = its first seven days); absent weeks: none
WEEKLY = pl.DataFrame(
    {
        "account_id": ["A", "A", "A", "A", "B", "B", "C", "E"],
        "week": [0, 1, 2, 3, 4, 9, 0, 0],
        # A: 1, then 2 of 20 seats (10 %) in weeks 1 and 2; B: 1 of 10 in weeks 4 and 9
        "active_users": [1, 2, 2, 5, 1, 1, 4, 3],
    }
)
USAGE = pl.DataFrame(
    {"account_id": ["A", "B", "C", "E", "F"], "names_users": [True, True, True, True, True]}
)


USAGE_FROM = D(2025, 1, 1)  # the first day of usage data


def _status(rule: ValueRule | None = None, usage_since: dt.date | None = USAGE_FROM):
    rule = rule or ValueRule()
    first = first_value_by_seats(_starts(), WEEKLY, USAGE, rule, AS_OF, usage_since)
    return onboarding_status(_starts(), first, rule, AS_OF)


def _row(frame: pl.DataFrame, account: str) -> dict:
    return frame.filter(pl.col("account_id") == account).row(0, named=True)


def test_the_seats_rule_gives_each_account_its_first_value_or_says_why_not():
    status = _status()
    a = _row(status, "A")  # weeks 1 and 2 hold 2 of 20 seats (10 %): value on day 20
    assert (a["status"], a["first_value_on"], a["days_to_value"]) == (
        "reached",
        D(2026, 1, 21),
        20,
    )
    b = _row(status, "B")  # 1 of 10 seats in weeks 4 and 9 only: never two running
    assert (b["status"], b["first_value_on"], b["days_to_value"]) == ("not yet", None, None)
    assert (b["days_since_start"], b["stuck"], b["weeks_met"], b["last_week_users"]) == (
        90,
        True,
        2,
        0,
    )
    c = _row(status, "C")  # no seats: the share is unknown, not 0 % nor "not yet"
    assert (c["status"], c["unknown"], c["days_to_value"], c["stuck"]) == (
        "unknown",
        "no licensed seats on record",
        None,
        False,
    )
    d = _row(status, "D")  # no usage row at all: unknown, never "nobody used it"
    assert (d["status"], d["unknown"], d["stuck"]) == (
        "unknown",
        "no usage row for this account",
        False,
    )
    e = _row(status, "E")  # 3 of 10 seats in its only whole week: one week is not two
    assert (e["status"], e["days_since_start"], e["stuck"]) == ("not yet", 14, False)
    f = _row(status, "F")
    assert (f["status"], f["stuck"]) == ("churned before value", False)


def test_one_week_at_a_lower_share_is_enough_when_the_rule_says_so():
    status = _status(ValueRule(seat_share=0.05, weeks=1))
    assert _row(status, "A")["first_value_on"] == D(2026, 1, 7)  # 1 of 20 seats in week 0
    assert _row(status, "B")["first_value_on"] == D(2025, 12, 2) + dt.timedelta(days=34)
    assert _row(status, "E")["days_to_value"] == 6


def test_usage_that_starts_after_the_contract_start_or_names_no_users_is_unknown():
    status = _status(usage_since=D(2026, 1, 5))
    assert _row(status, "A")["unknown"] == "usage data starts after the contract start"
    assert _row(status, "E")["status"] == "not yet"  # started after usage began: known
    nameless = USAGE.with_columns(names_users=pl.col("account_id") != "E")
    first = first_value_by_seats(_starts(), WEEKLY, nameless, ValueRule(), AS_OF, D(2025, 1, 1))
    assert _row(first, "E")["unknown"] == "its usage does not count users"
    none = first_value_by_seats(_starts(), WEEKLY, USAGE, ValueRule(), AS_OF, None)
    assert set(none["unknown"]) == {"no usage data loaded", "no licensed seats on record"}


def test_the_logged_rule_reads_the_first_outcome_or_milestone():
    logged = pl.DataFrame({"account_id": ["A", "D"], "first_logged_on": [D(2026, 2, 1), None]})
    rule = ValueRule(kind="logged")
    status = onboarding_status(_starts(), first_value_by_log(_starts(), logged, True), rule, AS_OF)
    assert _row(status, "A")["days_to_value"] == 31
    assert _row(status, "C")["status"] == "not yet"  # no seats needed by this rule
    assert status.filter(pl.col("stuck"))["account_id"].sort().to_list() == ["B", "D"]
    blind = first_value_by_log(_starts(), logged.clear(), False)
    assert onboarding_status(_starts(), blind, rule, AS_OF)["status"].unique().to_list() == [
        "unknown"
    ]


def test_cohorts_count_each_status_and_keep_an_unknown_median_unknown():
    cohorts = onboarding_cohorts(_status())
    rows = {(r["start_month"], r["segment"]): r for r in cohorts.iter_rows(named=True)}
    assert list(rows) == [
        ("2026-02", "SMB"),
        ("2026-01", "SMB"),
        ("2025-12", "Mid-Market"),
        ("2025-12", "SMB"),
    ]
    jan = rows[("2026-01", "SMB")]  # A reached in 20 days, C unknown
    assert (jan["accounts"], jan["reached"], jan["unknown"], jan["median_days_to_value"]) == (
        2,
        1,
        1,
        20.0,
    )
    dec = rows[("2025-12", "SMB")]  # B not yet, F churned first: no median, never 0
    assert (dec["not_yet"], dec["churned_first"], dec["median_days_to_value"]) == (1, 1, None)
    assert rows[("2025-12", "Mid-Market")]["unknown"] == 1


def test_the_stuck_list_says_where_each_account_stands_and_what_the_csm_does():
    rule = ValueRule()
    stuck = stuck_in_onboarding(_status(rule), rule)
    assert stuck["account_id"].to_list() == ["B"]
    b = stuck.row(0, named=True)
    assert b["cause"] == (
        "day 90 of onboarding (30 past 60); last week 0 of 10 seats active (0%), "
        "the rule needs 1; share met in 2 week(s) so far"
    )
    assert b["action"].startswith("Nobody used it last week")
    some = stuck_in_onboarding(_status(ValueRule(seat_share=0.3)), ValueRule(seat_share=0.3))
    assert some["account_id"].to_list() == ["B"]  # E is 14 days in: onboarding, not stuck
    longer = stuck_in_onboarding(_status(ValueRule(expected_days=120)), rule)
    assert longer.is_empty()


def test_the_rule_is_stated_and_refuses_what_cannot_be_a_rule():
    assert ValueRule().describe() == (
        "First value: 10% of the licensed seats active in 2 weeks running (weeks counted "
        "from the contract start); stuck in onboarding: no first value 60 days after it."
    )
    for bad in ({"seat_share": 0}, {"weeks": 0}, {"expected_days": 0}, {"kind": "vibes"}):
        with pytest.raises(ValueError):
            ValueRule(**bad)  # type: ignore[arg-type]


def test_the_settings_set_the_rule(monkeypatch):
    monkeypatch.setenv("TANDEM_VALUE_SEAT_SHARE", "0.25")
    monkeypatch.setenv("TANDEM_VALUE_WEEKS", "3")
    monkeypatch.setenv("TANDEM_ONBOARDING_DAYS", "45")
    assert value_rule(Settings()) == ValueRule(seat_share=0.25, weeks=3, expected_days=45)
    monkeypatch.setenv("TANDEM_VALUE_RULE", "logged")
    assert value_rule(Settings()).kind == "logged"


def test_the_csm_digest_carries_a_line_per_account_stuck_in_onboarding():
    rule = ValueRule()
    stuck = stuck_in_onboarding(_status(rule), rule).with_columns(
        health=pl.lit(41.0), band=pl.lit("yellow"), days_to_renewal=pl.lit(200)
    )
    rows = stuck_onboarding_rows(stuck)
    scored = _starts().with_columns(
        health=pl.lit(80.0),
        band=pl.lit("green"),
        days_to_renewal=pl.lit(200),
        health_falling=pl.lit(False),
        risk_before_deadline=pl.lit(False),
        top_cause=pl.lit(None, pl.String),
        csm_next=pl.lit(None, pl.String),
        am_next=pl.lit(None, pl.String),
        invoices_overdue=pl.lit(0),
        max_days_past_due=pl.lit(0),
        expansion_ready=pl.lit(False),
        expansion_window=pl.lit(None, pl.String),
        triggers_fired=pl.lit(None, pl.String),
    )
    digests = build_digests(scored, pl.DataFrame(), AS_OF, rows)
    cam = next(d for d in digests if d.owner == "Cam" and d.role == "csm")
    assert cam.rows["account_id"].to_list() == ["B"]
    text = digest_markdown(cam)
    assert (
        "**Bolt** (B, $24,000, health 41 yellow, renews in 200 days) — stuck in onboarding: day 90"
        in text
    )
    assert "Next: Nobody used it last week" in text
    ari = next(d for d in digests if d.owner == "Ari" and d.role == "am")
    assert ari.rows.is_empty()  # the CSM's line, not the AM's
    dee = next(d for d in digests if d.owner == "Dee")
    assert dee.rows.is_empty()  # D's first value is unknown: not stuck


def _hand_made_store(root: Path) -> Stores:
    """Two new accounts in a store: one whose users came in its first weeks, one nobody used;
    and an old account (started two years ago: not onboarding) whose usage starts the data."""
    stores = Stores.open(root)
    accounts = pl.DataFrame(
        {
            "account_id": ["N1", "N2", "OLD"],
            "account_name": ["Nimbus", "Nadir", "Oldway"],
            "segment": ["SMB", "SMB", "SMB"],
            "csm_owner": ["Cam", "Cam", "Cam"],
            "licensed_seats": [10, 10, 10],
            "contract_start": [D(2025, 12, 29), D(2025, 12, 29), D(2024, 3, 1)],
            "status": ["active", "active", "active"],
        }
    )
    events = pl.DataFrame(  # N1: u1 and u2 on days 1 and 8 (weeks 0 and 1); N2 once, day 1
        {
            "account_id": ["N1", "N1", "N1", "N1", "N2", "OLD"],
            "occurred_at": [
                dt.datetime(2025, 12, 30, 9),
                dt.datetime(2025, 12, 30, 10),
                dt.datetime(2026, 1, 6, 9),
                dt.datetime(2026, 1, 6, 9),
                dt.datetime(2025, 12, 30, 9),
                dt.datetime(2025, 6, 1, 9),
            ],
            "user_id": ["u1", "u2", "u1", "u2", "u9", "u1"],
        }
    )
    with stores.sources.writer() as writer:
        writer.replace_table("accounts", accounts)
        writer.replace_table("usage_events", events)
    return stores


def test_the_view_reads_the_rule_from_the_store_rows(tmp_path: Path):
    stores = _hand_made_store(tmp_path)
    rule = ValueRule(seat_share=0.2)  # 2 of 10 seats
    view = onboarding_view(stores.sources, AccountFilter(), AS_OF, rule)
    n1 = _row(view.accounts, "N1")
    assert (n1["status"], n1["first_value_on"], n1["days_to_value"]) == (
        "reached",
        D(2026, 1, 11),
        13,
    )
    assert view.stuck["account_id"].to_list() == ["N2"]  # 63 days in, 1 of 10 seats once
    assert view.rule == rule.describe()
    assert view.summary == (
        "2 accounts started in the last 12 months: 1 reached first value (median 13 days to "
        "value), 1 not yet, 1 of them stuck past 60 days; 0 unknown."
    )
    blind = onboarding_view(
        stores.sources, AccountFilter(), AS_OF, ValueRule(kind="logged", seat_share=0.2)
    )
    assert blind.summary.endswith(
        "0 reached first value (no median yet), 0 not yet, 0 of them stuck past "
        "60 days; 2 unknown (no outcome or milestone logged in the data: 2)."
    )
    mine = onboarding_view(stores.sources, AccountFilter(csm=["Someone else"]), AS_OF, rule)
    assert mine.accounts.is_empty() and mine.summary.startswith("No account")


def test_the_digest_rows_come_from_the_store_rows(tmp_path: Path):
    stores = _hand_made_store(tmp_path)
    scored = pl.DataFrame(
        {
            "account_id": ["N1", "N2", "OLD"],
            "health": [70.0, 35.0, 60.0],
            "band": ["green", "red", "yellow"],
            "days_to_renewal": [300, 300, 30],
        }
    )
    rows = onboarding_digest_rows(stores.sources, scored, AS_OF, ValueRule(seat_share=0.2))
    assert rows.select("account_id", "csm_owner", "role", "reason", "health").rows() == [
        ("N2", "Cam", "csm", "stuck in onboarding", 35.0)
    ]
    assert rows["action"][0] == (
        "Nobody used it last week: call the admin and book a kickoff to get 2 users working in it"
    )
