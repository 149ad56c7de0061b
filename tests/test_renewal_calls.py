"""The renewal call (issue 26, point 1): the AM's call on a renewal — commit, best case, at
risk, omitted — with a reason and the expected ARR, its history kept and audited, frozen 90
days before the renewal, recorded only by the account's caller and only on the version shown.
Given accounts and calls on fixed dates, expect what is recorded and what is refused."""

from __future__ import annotations

import datetime as dt

import pytest

from dashboard.store import AppStore
from dashboard.store.audit_log import audit_rows
from dashboard.workflows import renewal_calls as rc
from dashboard.workflows.access import LOCAL, NotAllowed, Viewer
from tests.conftest import TODAY

NOW = dt.datetime.combine(TODAY, dt.time(10))
AM = Viewer("Avery AM", "am")
CSM = Viewer("Cleo CSM", "csm")


def account(days_to_renewal: int, am: str | None = "Avery AM", arr: float = 120_000) -> dict:
    return {
        "account_id": "ACC-1",
        "account_name": "Acme",
        "csm_owner": "Cleo CSM",
        "am_owner": am,
        "arr": arr,
        "renewal_date": TODAY + dt.timedelta(days=days_to_renewal),
    }


@pytest.fixture
def app(tmp_path) -> AppStore:
    return AppStore(tmp_path)


def history(app: AppStore, acc: dict) -> list[tuple]:
    rows = rc.call_history(app, acc["account_id"], acc["renewal_date"])
    return rows.select("category", "expected_arr", "caller", "role", "seq").rows()


def test_the_am_records_a_call_and_every_call_is_kept_and_audited(app):
    given = account(200)
    first = rc.record_call(
        app, AM, given, "commit", "signed the order form draft", 120_000, NOW, seen_version=None
    )
    second = rc.record_call(
        app,
        AM,
        given,
        "best case",
        "procurement wants a 10 % cut",
        108_000,
        NOW + dt.timedelta(days=7),
        seen_version=first,
    )
    assert history(app, given) == [
        ("commit", 120_000.0, "Avery AM", "am", 1),
        ("best case", 108_000.0, "Avery AM", "am", 2),
    ]
    current = rc.current_calls(app).row(0, named=True)
    assert (current["category"], current["version"], current["calls"]) == ("best case", second, 2)
    assert current["frozen_change_reason"] is None  # 193 days out: not frozen, none asked
    audited = audit_rows(app, rc.call_log.ACTION)
    assert audited.height == 2 and set(audited["subject"]) == {"ACC-1"}
    assert set(audited["actor"]) == {"Avery AM"}
    assert first in audited["detail"][0]  # the newest replaces the first


def test_the_csm_calls_only_where_there_is_no_am(app):
    with pytest.raises(NotAllowed, match="the AM's"):
        rc.record_call(app, CSM, account(200), "commit", "x", 1.0, NOW, seen_version=None)
    no_am = account(200, am=None)
    rc.record_call(app, CSM, no_am, "at risk", "sponsor left", 60_000, NOW, seen_version=None)
    assert history(app, no_am) == [("at risk", 60_000.0, "Cleo CSM", "csm", 1)]


def test_the_local_user_calls_as_the_accounts_caller(app):
    given = account(200)
    rc.record_call(app, LOCAL, given, "commit", "renewed terms", 100.0, NOW, seen_version=None)
    assert history(app, given) == [("commit", 100.0, "Avery AM", "am", 1)]


def test_a_call_after_the_freeze_needs_a_reason(app):
    given = account(100)  # frozen on TODAY + 10
    first = rc.record_call(app, AM, given, "commit", "on track", 120_000, NOW, seen_version=None)
    later = NOW + dt.timedelta(days=10)  # 90 days before the renewal: frozen from this day
    with pytest.raises(ValueError, match=r"froze on 2026-06-25 \(90 days before 2026-09-23\)"):
        rc.record_call(app, AM, given, "at risk", "budget cut", 0.0, later, seen_version=first)
    assert len(history(app, given)) == 1  # the refusal recorded nothing
    rc.record_call(
        app,
        AM,
        given,
        "at risk",
        "budget cut",
        0.0,
        later,
        seen_version=first,
        frozen_change_reason="the CFO froze all renewals on 2026-06-24",
    )
    calls = rc.call_history(app, "ACC-1", given["renewal_date"])
    assert calls["category"].to_list() == ["commit", "at risk"]
    assert calls["frozen_change_reason"].to_list() == [
        None,
        "the CFO froze all renewals on 2026-06-24",
    ]
    # one day before the freeze, no reason is asked
    assert not rc.is_frozen(given["renewal_date"], TODAY + dt.timedelta(days=9))
    assert rc.is_frozen(given["renewal_date"], TODAY + dt.timedelta(days=10))


def test_a_first_call_made_after_the_freeze_needs_a_reason_too(app):
    given = account(60)
    with pytest.raises(ValueError, match="froze"):
        rc.record_call(app, AM, given, "commit", "ok", 1.0, NOW, seen_version=None)
    rc.record_call(
        app, AM, given, "commit", "ok", 1.0, NOW, seen_version=None, frozen_change_reason="late"
    )
    assert len(history(app, given)) == 1


def test_a_stale_call_is_refused_with_who_called_what_when(app):
    given = account(200)
    # two tabs showed no call; the first one calls
    first = rc.record_call(app, AM, given, "commit", "tab A", 120_000, NOW, seen_version=None)
    with pytest.raises(rc.CallChanged) as refused:
        rc.record_call(app, AM, given, "omitted", "tab B", 0.0, NOW, seen_version=None)
    assert "Avery AM called it 'commit' (expected ARR 120,000) at 2026-06-15 10:00" in str(
        refused.value
    )
    assert "Nothing was recorded" in str(refused.value)
    second = rc.record_call(app, AM, given, "best case", "tab A", 90.0, NOW, seen_version=first)
    with pytest.raises(rc.CallChanged):  # a tab still showing the first call
        rc.record_call(app, AM, given, "at risk", "tab B", 1.0, NOW, seen_version=first)
    assert [r[0] for r in history(app, given)] == ["commit", "best case"]
    assert rc.current_calls(app)["version"].to_list() == [second]
    assert audit_rows(app, rc.call_log.ACTION).height == 2


@pytest.mark.parametrize(
    ("viewer", "words"),
    [
        (Viewer("Olive Other", "am"), "not in your book"),
        (Viewer("Olive Other", "csm"), "not in your book"),
        (Viewer("Lee Leader", "leader"), "leaders read the renewal calls"),
    ],
)
def test_a_viewer_outside_the_book_is_refused(app, viewer, words):
    given = account(200)
    with pytest.raises(NotAllowed, match=words) as refused:
        rc.record_call(app, viewer, given, "commit", "x", 1.0, NOW, seen_version=None)
    assert "Avery" not in str(refused.value) and "Cleo" not in str(refused.value)
    assert history(app, given) == []
    assert audit_rows(app, rc.call_log.ACTION).height == 0


@pytest.mark.parametrize(
    ("days", "category", "reason", "arr", "words"),
    [
        (200, "maybe", "x", 1.0, "unknown call 'maybe'"),
        (200, "commit", "   ", 1.0, "write the reason"),
        (200, "commit", "x" * 2001, 1.0, "2,001 characters"),
        (200, "commit", "x", -5.0, "0 or more"),
        (200, "commit", "x", float("nan"), "0 or more"),
        (200, "commit", "x", None, "0 or more"),
        (274, "commit", "x", 1.0, "274 days away"),
        (-1, "commit", "x", 1.0, "-1 days away"),
    ],
)
def test_a_bad_call_is_refused_and_records_nothing(app, days, category, reason, arr, words):
    given = account(days)
    with pytest.raises(ValueError, match=words):
        rc.record_call(app, AM, given, category, reason, arr, NOW, seen_version=None)
    assert history(app, given) == []


def test_no_renewal_date_no_call(app):
    given = {**account(200), "renewal_date": None}
    with pytest.raises(ValueError, match="no renewal date"):
        rc.record_call(app, AM, given, "commit", "x", 1.0, NOW, seen_version=None)
