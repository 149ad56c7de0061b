"""The daily roll-up grain: features read from ``usage_daily`` (one row per account, user,
feature and day) equal those read from the raw events it rolls up, cell for cell; where both
tables cover an account's day the raw events count, once."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from dashboard.ingest.demo import DemoSpec, build_demo
from dashboard.schema import SOURCE_TABLES
from dashboard.store import Stores
from dashboard.store.features import default_as_of, features_at, features_sql
from tests.warehouse_data import ANCHOR, AS_OF_DATES, differences

# the as-of dates: the warehouse fixture's (a month's and a year's end, a new year's day) and
# two whose 30-day windows start on the edge events' days below
DATES = sorted({*AS_OF_DATES, dt.date(2025, 12, 2), dt.date(2026, 1, 31)})
ACCOUNTS = 120


def edge_events(accounts: list[str]) -> pl.DataFrame:
    """Events that test the day grain: the last microsecond of a day and the first of the
    next on either side of a window's start, a user with several events a day (several
    features, the same feature twice), an event without a user or a feature, one of
    quantity 0, all on fixed dates."""
    a, b, c = accounts[:3]
    t = dt.datetime
    rows = [
        (a, t(2025, 12, 1, 23, 59, 59, 999999), "edge-1", "exports", 2),
        (a, t(2025, 12, 2, 0, 0, 0), "edge-1", "exports", 5),
        (a, t(2025, 12, 2, 13, 7, 0), "edge-1", "exports", 1),
        (a, t(2025, 12, 2, 18, 0, 0), "edge-1", "reports", 1),
        (b, t(2025, 12, 31, 23, 59, 59), "edge-2", None, 3),
        (b, t(2026, 1, 1, 0, 0, 1), None, "dashboards", 4),
        (b, t(2026, 1, 8, 12, 0, 0), "edge-3", "reports", 0),
        (c, t(2026, 1, 1, 0, 0, 0), "edge-4", "brand-new-feature", 1),
    ]
    return pl.DataFrame(
        rows,
        schema={
            "account_id": pl.String,
            "occurred_at": pl.Datetime("us"),
            "user_id": pl.String,
            "feature": pl.String,
            "quantity": pl.Int64,
        },
        orient="row",
    )


def roll_up(events: pl.DataFrame) -> pl.DataFrame:
    """The roll-up, written independently of the store: one row per account, user, feature
    and day (the UTC date of occurred_at), the events summed."""
    return events.group_by(
        "account_id", "user_id", pl.col("occurred_at").dt.date().alias("day"), "feature"
    ).agg(events=pl.col("quantity").sum())


@pytest.fixture(scope="module")
def tables() -> dict[str, pl.DataFrame]:
    demo = build_demo(DemoSpec(accounts=ACCOUNTS, seed=5, anchor=ANCHOR))
    accounts = demo["accounts"]["account_id"].sort().to_list()
    demo["usage_events"] = pl.concat(
        [demo["usage_events"].select(edge_events(accounts).columns), edge_events(accounts)]
    )
    return demo


def open_with(folder: Path, tables: dict[str, pl.DataFrame]) -> Stores:
    stores = Stores.open(folder)
    with stores.sources.writer() as writer:
        for table in SOURCE_TABLES:  # a table not given stays empty
            if table in tables:
                writer.replace_table(table, tables[table])
    return stores


@pytest.fixture(scope="module")
def raw(tables, tmp_path_factory) -> Stores:
    return open_with(tmp_path_factory.mktemp("raw"), tables)


@pytest.fixture(scope="module")
def daily(tables, tmp_path_factory) -> Stores:
    rolled = {**tables, "usage_daily": roll_up(tables["usage_events"])}
    del rolled["usage_events"]
    return open_with(tmp_path_factory.mktemp("daily"), rolled)


def test_the_roll_up_holds_every_event_in_fewer_rows(raw, daily):
    events, days = raw.sources.row_count("usage_events"), daily.sources.row_count("usage_daily")
    assert (
        daily.sources.row_count("usage_events") == 0 and raw.sources.row_count("usage_daily") == 0
    )
    assert events > 100_000 and days < events
    assert daily.sources.scalar("SELECT sum(events) FROM usage_daily") == raw.sources.scalar(
        "SELECT sum(quantity) FROM usage_events"
    )


def test_features_from_the_roll_up_equal_those_from_the_raw_events(raw, daily):
    from_events = features_at(raw.sources, DATES)
    from_days = features_at(daily.sources, DATES)
    assert from_events.height > 400
    # every usage feature is exercised: several values, not all zero or unknown
    for name in (
        "active_users_last_30d",
        "active_users_prior_30d",
        "events_last_30d",
        "events_prior_30d",
        "features_last_30d",
        "features_in_catalog",
    ):
        assert from_events[name].n_unique() > 1, name
    assert from_events["has_usage"].any() and not from_events["has_usage"].all()
    assert differences(from_events, from_days) == []


def test_the_edge_days_land_in_the_same_windows(raw, daily):
    """The edge events alone: the day before a window's start is out, its first day in."""
    accounts = sorted(raw.sources.query("SELECT account_id FROM accounts")["account_id"])[:3]
    a = accounts[0]
    at = dt.date(2026, 1, 1)  # window [2025-12-02, 2026-01-01): 2025-12-01 23:59 is out
    for stores in (raw, daily):
        row = features_at(stores.sources, [at]).filter(pl.col("account_id") == a)
        events = stores.sources.scalar(
            "SELECT coalesce(sum(quantity), 0) FROM usage_events WHERE account_id = $1"
            " AND occurred_at >= TIMESTAMP '2025-12-02' AND occurred_at < TIMESTAMP '2026-01-01'",
            [a],
        ) + stores.sources.scalar(
            "SELECT coalesce(sum(events), 0) FROM usage_daily WHERE account_id = $1"
            " AND day >= DATE '2025-12-02' AND day < DATE '2026-01-01'",
            [a],
        )
        assert row["events_last_30d"].item() == events


def test_the_scoring_date_reads_the_roll_up_days(raw, daily):
    for today in (ANCHOR, dt.date(2025, 12, 31), dt.date(2026, 3, 1)):
        assert default_as_of(daily.sources, today) == default_as_of(raw.sources, today)


@pytest.mark.parametrize(
    "split",
    [dt.date(2025, 12, 15), dt.date(2026, 1, 1)],
    ids=["split mid-December", "split at the new year"],
)
def test_both_tables_raw_events_win_on_the_days_they_cover(tables, raw, tmp_path, split):
    """History as a roll-up, recent days as raw events, and an overlap: the roll-up holds
    every day (its rows for the days the raw events also cover are left out, not added) —
    the same features as the raw events alone."""
    events = tables["usage_events"]
    recent = events.filter(pl.col("occurred_at").dt.date() >= split)
    both = open_with(tmp_path, {**tables, "usage_events": recent, "usage_daily": roll_up(events)})
    assert both.sources.row_count("usage_daily") > 0 and both.sources.row_count("usage_events") > 0
    assert differences(features_at(raw.sources, DATES), features_at(both.sources, DATES)) == []


def test_the_overlap_rule_is_per_account_and_day(tables, tmp_path):
    """A raw event on an account's day replaces that account's roll-up rows of that day only:
    another account's roll-up rows of the same day still count, and the roll-up's other days
    of the same account too."""
    accounts = tables["accounts"]["account_id"].sort().to_list()
    a, b = accounts[:2]
    day = dt.date(2026, 1, 5)
    daily = pl.DataFrame(
        {
            "account_id": [a, a, b],
            "user_id": ["x", "x", "y"],
            "day": [day, day - dt.timedelta(days=1), day],
            "feature": ["reports", "reports", "reports"],
            "events": [100, 10, 7],
        }
    )
    raw = pl.DataFrame(
        {
            "account_id": [a],
            "occurred_at": [dt.datetime(2026, 1, 5, 9, 30)],
            "user_id": ["z"],
            "feature": ["exports"],
            "quantity": [1],
        }
    )
    stores = open_with(tmp_path, {**tables, "usage_events": raw, "usage_daily": daily})
    got = features_at(stores.sources, [dt.date(2026, 1, 9)]).filter(
        pl.col("account_id").is_in([a, b])
    )
    by = {r["account_id"]: r for r in got.iter_rows(named=True)}
    assert by[a]["events_last_30d"] == 1 + 10  # the raw event, and the roll-up's 4 January
    assert by[a]["active_users_last_30d"] == 2  # z (raw) and x (4 January)
    assert by[a]["features_last_30d"] == 2  # exports and reports
    assert by[b]["events_last_30d"] == 7


def test_a_warehouse_with_one_usage_table_needs_no_other():
    """The query for a warehouse holding only one of the two tables reads the other as a
    relation of no rows; the local store's query reads both."""
    assert "usage_daily" in features_sql("both") and "usage_events" in features_sql("both")
    assert "usage_daily" not in features_sql("events")
    assert "usage_events" not in features_sql("daily")
    with pytest.raises(ValueError, match="one of events, daily, both"):
        features_sql("hourly")


def test_the_query_without_one_table_counts_the_same(raw, daily):
    """Each one-table query in DuckDB gives the both-table query's cells on its data."""
    from dashboard.store.features import account_churns, feature_params

    for stores, usage in ((raw, "events"), (daily, "daily")):
        params = feature_params(DATES, account_churns(stores.sources))
        one = stores.sources.query(features_sql(usage), params)
        assert differences(features_at(stores.sources, DATES).drop("arr"), one) == []


# -- the import: recognised from its evidence, loaded into usage_daily ------------------------


def rollup_file(timed: bool = False, repeated: bool = False) -> pl.DataFrame:
    """A warehouse's roll-up export as text: one row per account, user, feature and day
    (``timed``: the days stamped with times of day; ``repeated``: two rows per key)."""
    rows = []
    for day in range(1, 21):
        for account in range(6):
            for user in range(3):
                for feature in ("reports", "exports", "alerts")[: 1 + (account + day) % 3]:
                    rows.append(
                        (
                            f"ACC-{account:03d}",
                            f"user-{account}-{user}",
                            f"2026-05-{day:02d}" + (f" {user + 8:02d}:15:00" if timed else ""),
                            feature,
                            str((account * 7 + user * 3 + day) % 11),
                        )
                    )
    frame = pl.DataFrame(
        rows, schema=["account_id", "user_id", "day", "feature", "events"], orient="row"
    )
    return pl.concat([frame, frame]) if repeated else frame


def test_a_roll_up_file_is_recognised_from_its_values():
    from dashboard.ingest.recognition import recognise_frame

    found = recognise_frame(rollup_file(), "warehouse_export.csv")
    assert (found.verdict, found.table) == ("table", "usage_daily"), found.scores
    assert any("one row per account_id, user_id, feature, day" in r for r in found.evidence)
    # the same rows with times of day are events; with two rows a key, events dated by day
    assert recognise_frame(rollup_file(timed=True), "export.csv").table == "usage_events"
    repeated = recognise_frame(rollup_file(repeated=True), "export.csv")
    assert repeated.table == "usage_events", repeated.scores
    # the daily rows usage_events already takes (active users per account and day) stay there
    active = pl.DataFrame(
        {
            "account_id": [f"ACC-{i % 6:03d}" for i in range(120)],
            "date": [f"2026-05-{1 + i // 6:02d}" for i in range(120)],
            "active_users": [str(3 + i % 5) for i in range(120)],
            "events": [str(40 + i) for i in range(120)],
        }
    )
    assert recognise_frame(active, "daily.csv").table != "usage_daily"


def test_tandem_import_loads_a_roll_up_into_usage_daily(tmp_path):
    from tests.conftest import tandem

    folder = tmp_path / "files"
    folder.mkdir()
    accounts = pl.DataFrame(
        {
            "account_id": [f"ACC-{i:03d}" for i in range(6)],
            "account_name": [f"Client {i}" for i in range(6)],
            "licensed_seats": ["10"] * 6,
        }
    )
    accounts.write_csv(folder / "accounts.csv")
    rolled = rollup_file()
    rolled.write_csv(folder / "product_export.csv")
    done = tandem(
        tmp_path / "data",
        "import",
        str(folder / "accounts.csv"),
        str(folder / "product_export.csv"),
        "--json",
        TANDEM_TODAY="2026-06-15",
    )
    assert done.returncode == 0, done.stderr
    stores = Stores.open(tmp_path / "data")
    assert stores.sources.row_count("usage_daily") == rolled.height
    assert stores.sources.row_count("usage_events") == 0
    total = rolled["events"].cast(pl.Int64).sum()
    assert stores.sources.scalar("SELECT sum(events) FROM usage_daily") == total
    # the features read it: May's usage counts on 2026-05-21, and its users are known
    got = features_at(stores.sources, [dt.date(2026, 5, 21)])
    assert got["events_last_30d"].sum() == total
    assert got["active_users_last_30d"].to_list() == [3] * 6


def test_the_account_page_weekly_usage_reads_the_roll_up_too(raw, daily, tables, tmp_path):
    """The Account page's weekly users and events: the same from the roll-up as from the
    events, and from both tables overlapping (raw events win on the days they cover)."""
    from dashboard.store.account_detail import weekly_usage

    events = tables["usage_events"]
    recent = events.filter(pl.col("occurred_at").dt.date() >= dt.date(2025, 12, 15))
    both = open_with(tmp_path, {**tables, "usage_events": recent, "usage_daily": roll_up(events)})
    busy = events.group_by("account_id").len().sort("len", "account_id")["account_id"]
    for account in (busy[0], busy[-1], sorted(busy)[0]):
        weekly = weekly_usage(raw.sources, account, ANCHOR)
        assert weekly["events"].sum() > 0
        assert weekly.equals(weekly_usage(daily.sources, account, ANCHOR)), account
        assert weekly.equals(weekly_usage(both.sources, account, ANCHOR)), account
