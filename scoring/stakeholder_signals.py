"""The stakeholder signals as drivers and lines (pure Polars): each raised signal of an
account (``scoring.people``: champion left, champion quiet, no economic buyer) with its plain
cause and what the CSM and the AM do about it, for the Account page, the digests and the sync
agenda. Additive: only a signal that is true is a driver; unknown (null) is none, and false is
none."""

from __future__ import annotations

import datetime as dt

import polars as pl

from scoring.digests import DIGEST_COLUMNS
from scoring.glossary import CHAMPION_QUIET_DAYS, NO_BUYER_ARR
from scoring.people import (
    champion_left,
    champion_quiet,
    gone_words,
    last_seen,
    no_economic_buyer,
    on_file,
)

col = pl.col

# What each signal means, who owns it, and what each role does about it (as drivers.PLAYBOOK).
SIGNAL_PLAYBOOK: dict[str, dict[str, str]] = {
    "champion_left": {
        "label": "Champion left",
        "owner": "CSM + AM",
        "csm": "Find and onboard the new champion",
        "am": "Re-establish the commercial relationship before the renewal",
    },
    "champion_quiet": {
        "label": "Champion quiet",
        "owner": "CSM",
        "csm": "Reach the champion personally and find out what changed",
        "am": "Check the relationship with the CSM before any commercial ask",
    },
    "no_economic_buyer": {
        "label": "No economic buyer",
        "owner": "AM",
        "csm": "Ask the champion who signs and introduce the AM",
        "am": "Get the economic buyer in the room before the renewal",
    },
}

SIGNAL_COLUMNS = {
    "account_id": pl.String,
    "signal": pl.String,
    "who": pl.String,  # the people the signal is about (names), or null
    # "left on 2026-10-01", "gone from the CRM by 2026-11-03, last listed 2026-10-01",
    # "last seen 2026-04-01", "ARR 80,000"
    "detail": pl.String,
}
DRIVER_COLUMNS = [
    "account_id",
    "signal",
    "label",
    "cause",
    "csm_action",
    "am_action",
    "owner_role",
]


def raised_signals(
    contacts: pl.DataFrame,
    usage_events: pl.DataFrame,
    activities: pl.DataFrame,
    accounts: pl.DataFrame,
    as_of: dt.date,
    gone: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """One row per raised signal of an account in ``accounts`` (``account_id``, ``arr``) on
    ``as_of``: ``signal``, ``who`` (the champions it is about) and ``detail``. A champion who
    left is one row each: "left on" a known day, or gone from the CRM by a load's day
    (``gone``, ``scoring.people.champion_left``), said with both bounds, never as a known
    day; a quiet account is one row naming its quiet champions."""
    ids = accounts.select("account_id")
    contacts = on_file(contacts, gone, as_of)
    left = (
        champion_left(contacts, as_of, gone=gone)
        .join(ids, on="account_id")
        .select(
            "account_id",
            signal=pl.lit("champion_left"),
            who=col("name"),
            detail=pl.when(col("left_on").is_not_null())
            .then(pl.format("left on {}", col("left_on")))
            .when(col("gone_by").is_not_null())
            .then(gone_words())
            .otherwise(pl.lit("gone from the CRM")),
        )
    )
    quiet = (
        champion_quiet(last_seen(contacts, usage_events, activities, as_of), as_of)
        .join(ids, on="account_id")
        .filter(col("champion_quiet").fill_null(False))
        .select(
            "account_id",
            signal=pl.lit("champion_quiet"),
            who=col("quiet_names").list.drop_nulls().list.join(", "),
            detail=pl.when(col("last_seen").is_null())
            .then(pl.lit("never seen in usage or activities"))
            .otherwise(
                pl.format(
                    f"not seen for {CHAMPION_QUIET_DAYS}+ days, last seen {{}}", col("last_seen")
                )
            ),
        )
    )
    buyer = (
        no_economic_buyer(accounts, contacts, as_of)
        .filter(col("no_economic_buyer").fill_null(False))
        .select(
            "account_id",
            signal=pl.lit("no_economic_buyer"),
            who=pl.lit(None, pl.String),
            detail=pl.lit(f"no economic buyer on file (ARR from {NO_BUYER_ARR:,.0f} up)"),
        )
    )
    order = {s: i for i, s in enumerate(SIGNAL_PLAYBOOK)}
    return (
        pl.concat([f.cast(SIGNAL_COLUMNS) for f in (left, quiet, buyer)])  # type: ignore[arg-type]
        .with_columns(_order=col("signal").replace_strict(order, return_dtype=pl.Int64))
        .sort("account_id", "_order", "who", nulls_last=True)
        .drop("_order")
    )


def _said(key: str) -> pl.Expr:
    """The playbook's ``key`` for each row's signal."""
    return col("signal").replace_strict(
        {s: v[key] for s, v in SIGNAL_PLAYBOOK.items()}, return_dtype=pl.String
    )


def signal_drivers(raised: pl.DataFrame) -> pl.DataFrame:
    """The raised signals (``raised_signals``) as drivers: ``label``, the ``cause`` ("Jane Roe,
    left on 2026-10-01"), the CSM's and the AM's actions and the owner."""
    return raised.select(
        "account_id",
        "signal",
        label=_said("label"),
        cause=pl.concat_str([col("who"), col("detail")], separator=", ", ignore_nulls=True),
        csm_action=_said("csm"),
        am_action=_said("am"),
        owner_role=_said("owner"),
    ).cast(dict.fromkeys(DRIVER_COLUMNS, pl.String))


def signal_lines(drivers: pl.DataFrame, names: pl.DataFrame) -> pl.DataFrame:
    """One line per driver for the sync agenda: "Champion left: Acme (Jane Roe, left on
    2026-10-01)". ``names``: ``account_id``, ``account_name`` (the id when it has none)."""
    return (
        drivers.join(names, on="account_id", how="left")
        .with_columns(
            line=pl.format(
                "{}: {} ({})",
                col("label"),
                pl.coalesce("account_name", "account_id"),
                col("cause"),
            )
        )
        .select("account_id", "account_name", "signal", "line", "csm_action", "am_action")
    )


DIGEST_ROLES = {  # which owners' digests carry each signal (and whether leaders see it)
    "champion_left": (("csm", "am"), True),
    "champion_quiet": (("csm",), False),
    "no_economic_buyer": (("am",), False),
}


def signal_digest_rows(drivers: pl.DataFrame, scored: pl.DataFrame) -> pl.DataFrame:
    """Digest rows (as ``scoring.digests.chairs_rows``) for the signal drivers: to each owner
    the signal carries (``DIGEST_ROLES``), reason the label, cause the driver's, action the
    role's; ``to_leader`` for a champion who left. ``scored``: the digest columns and both
    owners per account."""
    parts = [
        drivers.filter(col("signal") == signal)
        .join(scored.select(*DIGEST_COLUMNS, "csm_owner", "am_owner"), on="account_id")
        .select(
            *DIGEST_COLUMNS,
            "csm_owner",
            "am_owner",
            role=pl.lit(role),
            reason=col("label"),
            cause="cause",
            action=col(f"{role}_action"),
            to_leader=pl.lit(leader),
        )
        for signal, (roles, leader) in DIGEST_ROLES.items()
        for role in roles
    ]
    return pl.concat(parts, how="vertical_relaxed")
