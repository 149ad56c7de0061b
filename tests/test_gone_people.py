"""A champion gone from a later CRM load (issue 27, "People"): a contacts load that leaves out
a person stored for an account it covers records them as gone from the CRM, dated by the last
load that listed them and this load's day, and *champion left* fires on it, said with both
bounds. Hand-made rows through the import flow, loaded on fixed days (the clock pinned)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from dashboard.ingest.impact import LoadMode
from dashboard.ingest.mapping import Mapping
from dashboard.ingest.session import ImportSession
from dashboard.schema import conform
from dashboard.store import Stores
from dashboard.store.stakeholder_rows import stakeholder_rows
from dashboard.views.stakeholders import stakeholder_drivers, stakeholder_lines, stakeholder_map
from dashboard.workflows.gdpr import delete_account
from scoring.people import champion_left, signals_at
from tests.conftest import TODAY
from tests.missing_sources import build, open_page

D1 = dt.date(2026, 5, 1)  # the first CRM export
D2 = dt.date(2026, 6, 1)  # the later one
D3 = dt.date(2026, 6, 10)
HEADER = "contact_id,account_id,name,email,role,left_on\n"
ANN = "003X00000001,X,Ann,ann@xeno.io,user,"
BO = "003X00000002,X,Bo,bo@xeno.io,champion,"
CY = "003X00000003,X,Cy,cy@xeno.io,economic buyer,"
DI = "003X00000004,X,Di,di@xeno.io,champion,2026-04-01"  # left on a known day
YU = "003Y00000001,Y,Yu,yu@yak.io,champion,"
ZED = "003Z00000001,Z,Zed,zed@zulu.io,champion,"
FLO = "003Z00000002,Z,Flo,flo@zulu.io,user,"
CONTACTS = Mapping(
    table="contacts",
    columns={c: c for c in ("contact_id", "account_id", "name", "email", "role", "left_on")},
)
GONE_SQL = (
    "SELECT account_id, name, role, listed_on, gone_by FROM contacts_gone ORDER BY account_id, name"
)


def load(
    stores: Stores,
    monkeypatch: pytest.MonkeyPatch,
    day: dt.date,
    rows: list[str],
    mode: LoadMode = LoadMode.UPDATE,
    table: str = "contacts",
) -> None:
    """Load ``rows`` (contacts, or accounts with their own header) on ``day`` through the
    import flow (check, impact, load), confirmed."""
    monkeypatch.setenv("TANDEM_TODAY", day.isoformat())
    data = "\n".join(rows) + "\n" if table != "contacts" else HEADER + "\n".join(rows) + "\n"
    mapping = (
        CONTACTS
        if table == "contacts"
        else Mapping(
            table="accounts", columns={c: c for c in ("account_id", "account_name", "arr")}
        )
    )
    session = ImportSession()
    try:
        session.add(f"{table}.csv", data.encode())
        view = next(iter(session.files))
        prepared = session.prepare([(mapping, view)], stores, day, mode)
        assert all(p.ok for p in prepared), prepared[0].errors
        impacts = session.impact(prepared, stores, mode)
        session.load(stores, prepared, impacts, "test", confirmed=True)
    finally:
        session.close()
        monkeypatch.setenv("TANDEM_TODAY", TODAY.isoformat())


def accounts(stores: Stores, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = ["account_id,account_name,arr", "X,Xeno,90000", "Y,Yak,80000", "Z,Zulu,70000"]
    load(stores, monkeypatch, D1, rows, table="accounts")


def first_export(stores: Stores, monkeypatch: pytest.MonkeyPatch) -> None:
    accounts(stores, monkeypatch)
    load(stores, monkeypatch, D1, [ANN, BO, CY, DI, YU, ZED, FLO])


def names(stores: Stores) -> list[tuple[str, str]]:
    return stores.sources.query(
        "SELECT account_id, name FROM contacts ORDER BY account_id, name"
    ).rows()


def test_an_update_that_leaves_out_a_champion_records_them_gone_and_champion_left_fires(
    empty_stores: Stores, monkeypatch: pytest.MonkeyPatch
):
    # given: X's Ann, Bo (champion), Cy and Di (left on 1 April), Y's Yu, Z's Zed and Flo on D1
    first_export(empty_stores, monkeypatch)
    # when: the later export (update) lists X's Ann and Cy and Z's Zed; it does not name Y
    load(empty_stores, monkeypatch, D2, [ANN, CY, ZED])
    # expect: Bo and Flo recorded gone (last listed D1, gone by D2); Di, whose day is known, is
    # not "gone"; Y keeps its people and nobody of it is gone
    assert empty_stores.sources.query(GONE_SQL).rows() == [
        ("X", "Bo", "champion", D1, D2),
        ("Z", "Flo", "user", D1, D2),
    ]
    assert names(empty_stores) == [("X", "Ann"), ("X", "Cy"), ("Y", "Yu"), ("Z", "Zed")]
    rows = stakeholder_rows(empty_stores.sources)
    left = champion_left(rows.contacts, TODAY, gone=rows.gone)
    # only Bo: Flo is no champion (recorded, no signal); Di left, and left the table with
    # her row: a known left_on is the CRM's to keep
    assert left.rows() == [("X", "Bo", "bo@xeno.io", None, "gone from the CRM", D1, D2)]
    arr = pl.DataFrame({"account_id": ["X", "Y", "Z"], "arr": [90_000.0, 80_000.0, 70_000.0]})
    drivers = stakeholder_drivers(empty_stores.sources, arr, TODAY, unmask=True)
    left_drivers = drivers.filter(pl.col("signal") == "champion_left")
    assert left_drivers.select("account_id", "cause").rows() == [
        ("X", "Bo, gone from the CRM by 2026-06-01, last listed 2026-05-01")
    ]
    # the sync agenda's line (the digests read the same drivers), masked as shown by default
    named = arr.with_columns(account_name=pl.Series(["Xeno", "Yak", "Zulu"]))
    lines = stakeholder_lines(empty_stores.sources, named, TODAY)
    assert lines.filter(pl.col("signal") == "champion_left")["line"].to_list() == [
        "Champion left: Xeno (Bo, gone from the CRM by 2026-06-01, last listed 2026-05-01)"
    ]


def test_a_replace_records_only_the_accounts_its_file_names(
    empty_stores: Stores, monkeypatch: pytest.MonkeyPatch
):
    first_export(empty_stores, monkeypatch)
    # when: a replace whose file names X only (Y and Z not at all)
    load(empty_stores, monkeypatch, D2, [ANN, CY], LoadMode.REPLACE)
    # expect: the table becomes the file; Bo (named account, left out) is gone; Y's and Z's
    # people go with the replace but are not "gone from the CRM": the file says nothing of them
    assert names(empty_stores) == [("X", "Ann"), ("X", "Cy")]
    assert empty_stores.sources.query(GONE_SQL).rows() == [("X", "Bo", "champion", D1, D2)]


def test_a_person_listed_again_is_no_longer_gone_and_matched_by_e_mail(
    empty_stores: Stores, monkeypatch: pytest.MonkeyPatch
):
    first_export(empty_stores, monkeypatch)
    load(empty_stores, monkeypatch, D2, [ANN, CY, ZED])
    # when: Bo is back on D3 under another CRM id, his e-mail in capitals; Ann is left out
    bo_again = "003X00000099,X,Bo,BO@xeno.io,champion,"
    load(empty_stores, monkeypatch, D3, [bo_again, CY])
    # expect: Bo's record removed (the same person by e-mail); Ann gone, last listed D2
    assert empty_stores.sources.query(GONE_SQL).rows() == [
        ("X", "Ann", "user", D2, D3),
        ("Z", "Flo", "user", D1, D2),
    ]
    rows = stakeholder_rows(empty_stores.sources)
    assert champion_left(rows.contacts, TODAY, gone=rows.gone).is_empty()


def test_an_erasure_removes_the_accounts_gone_people(
    empty_stores: Stores, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    first_export(empty_stores, monkeypatch)
    load(empty_stores, monkeypatch, D2, [ANN, CY, ZED])
    delete_account(empty_stores, "X", tmp_path, dt.datetime(2026, 6, 15, 9))
    assert empty_stores.sources.query(GONE_SQL).rows() == [("Z", "Flo", "user", D1, D2)]
    assert empty_stores.sources.query(
        "SELECT account_id FROM contacts_listed ORDER BY 1"
    ).rows() == [("Y",), ("Z",)]


def test_the_account_page_shows_the_gone_champion_with_both_bounds(
    tmp_path: Path, app_data_dir, monkeypatch: pytest.MonkeyPatch
):
    # given: the hand-made portfolio scored as of 1 March; Alpha's people loaded on 1 February,
    # then an export on 20 February without its champion Bo
    root = app_data_dir(build(tmp_path / "data"))
    stores = Stores.open(root)
    listed, gone_by = dt.date(2026, 2, 1), dt.date(2026, 2, 20)
    load(
        stores,
        monkeypatch,
        listed,
        ["c1,a,Ann,ann@alpha.io,user,", "c2,a,Bo,bo@alpha.io,champion,"],
    )
    load(stores, monkeypatch, gone_by, ["c1,a,Ann,ann@alpha.io,user,"])
    said_gone = "gone from the CRM by 2026-02-20, last listed 2026-02-01"
    people = stakeholder_map(stores.sources, "a", TODAY)
    assert people.people.select("name", "role", "left_on", "gone").rows() == [
        ("Ann", "user", None, None),
        ("Bo", "champion", None, said_gone),
    ]
    # when: the Account page of Alpha opens
    at = open_page("account", {"account": "a"})
    # expect: Bo in the stakeholder map, gone with both bounds, no day of leaving; the signal
    table = next(d.value for d in at.dataframe if "touched_by" in d.value.columns)
    bo = table.loc[table["name"] == "Bo"].iloc[0]
    assert bo["gone"] == said_gone
    assert str(bo["left_on"]) in ("None", "NaT", "nan")
    shown = " ".join(m.value for m in at.markdown)
    assert f"**Champion left** — Bo, {said_gone}" in shown


def test_the_backtest_sees_a_gone_champion_on_file_and_in_use_before_the_load_that_left_him_out(
    empty_stores: Stores, monkeypatch: pytest.MonkeyPatch
):
    # given: Bo (X's champion) used the product on 20 May; the 1 June export left him out
    first_export(empty_stores, monkeypatch)
    load(empty_stores, monkeypatch, D2, [ANN, CY, ZED])
    used = conform(
        "usage_events",
        pl.DataFrame(
            {
                "account_id": ["X", "X"],  # and, first, a user who is no contact
                "occurred_at": [dt.datetime(2026, 5, 20, 9), dt.datetime(2026, 4, 1, 9)],
                "user_id": ["bo@xeno.io", "temp@xeno.io"],
                "feature": ["reports", "reports"],
            }
        ),
    )
    with empty_stores.sources.writer() as writer:
        writer.append("usage_events", used)
    rows = stakeholder_rows(empty_stores.sources)
    assert rows.usage_events.filter(pl.col("user_id") == "bo@xeno.io").height == 1
    cuts = pl.DataFrame({"account_id": ["X", "X"], "as_of": [D2, D3], "arr": [90_000.0] * 2})
    got = signals_at(rows.contacts, rows.usage_events, rows.activities, cuts, rows.gone)
    # expect (champion_quiet, champion_left, no_economic_buyer): known on 31 May, Bo is on
    # file and seen 11 days before (not quiet, not left); known on 9 June, he is gone (left;
    # no current champion to be quiet); Cy is the economic buyer throughout
    assert [r[2:] for r in got.rows()] == [(False, False, False), (None, True, False)]
