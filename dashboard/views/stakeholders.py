"""The customer's people, read for the pages and the jobs: one account's stakeholder map (who,
role, last seen, touched by whom, left on, or gone from the CRM with its two bounds) and the stakeholder signals as drivers with the
CSM's and the AM's actions, as lines for the sync agenda and as rows for the digests. The
rules are ``scoring.people`` and ``scoring.stakeholder_signals``; e-mails and phone numbers in
what people typed are masked unless ``unmask``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import polars as pl

from dashboard.store.account_people import account_arr, account_people
from dashboard.store.marts import scores_as_of
from dashboard.store.sources import SourceStore
from dashboard.store.stakeholder_rows import stakeholder_rows
from dashboard.text import mask_pii
from scoring.people import gone_words, last_seen, last_touch, on_file
from scoring.stakeholder_signals import (
    DRIVER_COLUMNS,
    raised_signals,
    signal_digest_rows,
    signal_drivers,
    signal_lines,
)

col = pl.col
UNKNOWN = "unknown"
PEOPLE_TEXT = ("name", "title", "email", "touched_by")  # what people typed: PII masked
MAP_COLUMNS = [
    "name",
    "title",
    "role",
    "email",
    "last_seen",
    "seen_in",
    "touched_by",
    "touched_on",
    "left_on",
    "gone",  # "gone from the CRM by 2026-11-03, last listed 2026-10-01"; null: still listed
]


@dataclass(frozen=True)
class StakeholderMap:
    account_id: str
    as_of: dt.date  # the day the map is read on (the scores' date)
    people: pl.DataFrame = field(default_factory=pl.DataFrame)  # MAP_COLUMNS, one per contact
    drivers: pl.DataFrame = field(default_factory=pl.DataFrame)  # the raised signals
    observable: bool = False  # the account's people can be seen (per-user usage or activities)

    @property
    def loaded(self) -> bool:
        """Any contact loaded for the account (none: its people are unknown, not absent)."""
        return not self.people.is_empty()


def seen_in() -> pl.Expr:
    """Where a contact was last seen: "usage", "activities", both, "never" (the account's
    people can be seen and this one was not) or unknown (they cannot be seen)."""
    return (
        pl.when(col("seen_in_usage").is_not_null() & col("seen_in_activities").is_not_null())
        .then(pl.lit("usage and activities"))
        .when(col("seen_in_usage").is_not_null())
        .then(pl.lit("usage"))
        .when(col("seen_in_activities").is_not_null())
        .then(pl.lit("activities"))
        .when(col("observable"))
        .then(pl.lit("never"))
        .otherwise(pl.lit(f"{UNKNOWN}: no per-user usage or activities"))
    )


def with_gone(contacts: pl.DataFrame, gone: pl.DataFrame | None, as_of: dt.date) -> pl.DataFrame:
    """The contacts on file on ``as_of`` (``scoring.people.on_file``), then the people a later
    CRM load left out by ``as_of``, each with ``gone`` ("gone from the CRM by …, last listed
    …"; null for the people still listed)."""
    listed = on_file(contacts, gone, as_of).with_columns(gone=pl.lit(None, pl.String))
    if gone is None or gone.is_empty():
        return listed
    left_out = gone.filter(col("gone_by") <= as_of).select(
        "account_id",
        "contact_id",
        "name",
        "email",
        "role",
        left_on=pl.lit(None, pl.Date),
        gone=gone_words(),
    )
    return pl.concat([listed, left_out], how="diagonal_relaxed")


def people_map(
    contacts: pl.DataFrame, usage: pl.DataFrame, activities: pl.DataFrame, as_of: dt.date
) -> pl.DataFrame:
    """One row per contact (``MAP_COLUMNS``) as of ``as_of``: its role ("unknown" when the
    CRM has none), last seen (usage and activities, ``scoring.people.last_seen``) and where,
    who last touched it (``scoring.people.last_touch``), the day it left, and whether it is
    gone from the CRM (``gone``, from ``with_gone``)."""
    seen = last_touch(last_seen(contacts, usage, activities, as_of), activities, as_of)
    # last_seen and last_touch keep one row per contact in the contacts' order: the titles
    # and the gone (which the signals do not read) line up by position
    title = contacts["title"] if "title" in contacts.columns else pl.lit(None, pl.String)
    gone = contacts["gone"] if "gone" in contacts.columns else pl.lit(None, pl.String)
    return seen.with_columns(
        title=title,
        gone=gone,
        role=col("role").fill_null(UNKNOWN),
        seen_in=seen_in(),
        touched_by=pl.when(col("touched_role").is_not_null())
        .then(pl.format("{} ({})", col("touched_by"), col("touched_role")))
        .otherwise(col("touched_by")),
    )


def stakeholder_map(
    store: SourceStore, account_id: str, today: dt.date, unmask: bool = False
) -> StakeholderMap:
    """The account's stakeholder map and its raised signals as drivers, on the day its data
    is scored as of (``today`` for current data)."""
    as_of = scores_as_of(store) or today
    rows = account_people(store, account_id)
    if rows.contacts.is_empty():
        return StakeholderMap(account_id, as_of)
    listed = with_gone(rows.contacts, rows.gone, as_of)
    people = people_map(listed, rows.usage_events, rows.activities, as_of)
    arr = account_arr(store, account_id)
    drivers = signal_drivers(
        raised_signals(rows.contacts, rows.usage_events, rows.activities, arr, as_of, rows.gone)
    )
    if not unmask:
        people, drivers = mask_pii(people, PEOPLE_TEXT), mask_pii(drivers, ("cause",))
    return StakeholderMap(
        account_id,
        as_of,
        people.select(MAP_COLUMNS),
        drivers,
        observable=bool(people["observable"].any()) if "observable" in people.columns else False,
    )


def stakeholder_drivers(
    store: SourceStore,
    accounts: pl.DataFrame,
    as_of: dt.date,
    unmask: bool = False,
    narrow: bool = True,
) -> pl.DataFrame:
    """The raised stakeholder signals of ``accounts`` (``account_id``, ``arr``) as drivers
    (``DRIVER_COLUMNS``), the causes masked unless ``unmask``; none without contacts.
    ``narrow``: read only these accounts' rows (a pair's few; the whole book reads faster
    without)."""
    if accounts.is_empty():
        return pl.DataFrame(schema=dict.fromkeys(DRIVER_COLUMNS, pl.String))
    rows = stakeholder_rows(store, accounts["account_id"].to_list() if narrow else None)
    if rows.contacts.is_empty():
        return pl.DataFrame(schema=dict.fromkeys(DRIVER_COLUMNS, pl.String))
    drivers = signal_drivers(
        raised_signals(
            rows.contacts,
            rows.usage_events,
            rows.activities,
            accounts.select("account_id", "arr"),
            as_of,
            rows.gone,
        )
    )
    return drivers if unmask else mask_pii(drivers, ("cause",))


def stakeholder_lines(
    store: SourceStore, accounts: pl.DataFrame, as_of: dt.date, unmask: bool = False
) -> pl.DataFrame:
    """The sync agenda's stakeholder lines for ``accounts`` (``account_id``,
    ``account_name``, ``arr``): "Champion left: Acme (Jane Roe, left on 2026-10-01)", with
    the CSM's and the AM's actions."""
    drivers = stakeholder_drivers(store, accounts, as_of, unmask)
    return signal_lines(drivers, accounts.select("account_id", "account_name"))


def stakeholder_digest_rows(
    store: SourceStore, scored: pl.DataFrame, as_of: dt.date
) -> pl.DataFrame:
    """Digest rows (as ``scoring.digests.chairs_rows``) for every raised stakeholder signal of
    the scored accounts; the digest files mask what they write."""
    drivers = stakeholder_drivers(store, scored, as_of, unmask=True, narrow=False)
    return signal_digest_rows(drivers, scored)
