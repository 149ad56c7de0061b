"""The work Tandem asks for, where the AM works: the open rule tasks and open handoffs as a
CRM task import (Salesforce's Task object, HubSpot's task import) and as a calendar feed per
owner (RFC 5545, the ``icalendar`` library).

Salesforce (Data Loader, Task object): ``Subject``, ``ActivityDate`` (the due date,
YYYY-MM-DD), ``Status`` (Not Started), ``Priority`` (High, Normal), ``Description``, ``WhatId``
(the account's Salesforce id, from the account keys a Salesforce export brought) and ``Type``.
HubSpot (the import tool, tasks associated with companies): ``Task Title``, ``Due Date``,
``Task Status`` (NOT_STARTED), ``Priority`` (HIGH, MEDIUM), ``Task Type`` (TODO), ``Notes``,
``Assigned To`` (the owner's e-mail, which HubSpot matches to its user) and ``Company Domain
Name`` or ``Company Record ID`` for the association. Both carry ``Tandem Account Id``.

Every text from the data is one line, masked and defanged like a digest
(``views.exports.plain_rows``): no line break, control character, e-mail address, phone number
or live URL reaches the CRM or a calendar. Identifiers are kept exact (only made one line)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from dashboard.text import mask_pii, to_csv
from dashboard.views.exports import ACCOUNT_PROPERTY, one_line, plain_rows, plain_text

col = pl.col
HANDOFF_TASKS = {  # an open handoff is a task for whoever holds the next step
    ("expansion", "flagged"): ("am", "Qualify the expansion the CSM flagged", 7),
    ("expansion", "qualified"): ("am", "Prepare the expansion proposal", 14),
    ("expansion", "proposal"): ("am", "Close the expansion proposal", 14),
    ("risk", "flagged"): ("am", "Put a save plan in place for the risk the CSM flagged", 7),
    ("risk", "plan"): ("am", "Start the save plan for the renewal risk", 7),
    ("risk", "saving"): ("am", "Work the renewal risk to saved or lost", 14),
    ("risk", "weighed"): ("csm", "Run the save plan agreed for the renewal risk", 14),
}
WORK_COLUMNS = [
    "key",
    "account_id",
    "account_name",
    "role",
    "owner",
    "title",
    "due_on",
    "priority",
    "detail",
]
SALESFORCE_IDS = ("ActivityDate", "WhatId", "Tandem Account Id", "Tandem Task Key")
HUBSPOT_IDS = (
    "Due Date",
    "Assigned To",
    "Company Domain Name",
    "Company Record ID",
    "Tandem Account Id",
    "Tandem Task Key",
)


@dataclass(frozen=True)
class CrmExports:
    salesforce_csv: str
    hubspot_csv: str
    rows: int


def open_work(
    tasks: pl.DataFrame, handoffs: pl.DataFrame, accounts: pl.DataFrame, today: dt.date
) -> pl.DataFrame:
    """One row per piece of open work (``WORK_COLUMNS``): the open rule tasks and, for each
    open handoff, the next step and who owns it. ``accounts`` brings names, owners, the band
    (red is high priority) and the domain."""
    info = accounts.select(
        "account_id", "account_name", "csm_owner", "am_owner", "band", "top_cause"
    )
    rule = (
        tasks.filter(col("status") == "open")
        .join(info, on="account_id", how="left")
        .select(
            col("task_key").alias("key"),
            "account_id",
            "account_name",
            "role",
            "owner",
            "title",
            "due_on",
            pl.when(col("band") == "red")
            .then(pl.lit("high"))
            .otherwise(pl.lit("normal"))
            .alias("priority"),
            pl.format(
                "Tandem rule task ({}). {}", col("kind"), col("top_cause").fill_null("")
            ).alias("detail"),
        )
    )
    steps = pl.DataFrame(
        [
            {"kind": k, "state": s, "role": r, "title": t, "days": d}
            for (k, s), (r, t, d) in HANDOFF_TASKS.items()
        ]
    )
    opened = handoffs.join(steps, on=["kind", "state"], how="inner").join(
        info, on="account_id", how="left"
    )
    flow = opened.select(
        pl.concat_str(pl.lit("handoff"), col("handoff_id"), col("state"), separator=":").alias(
            "key"
        ),
        "account_id",
        "account_name",
        "role",
        pl.when(col("role") == "am")
        .then(col("am_owner"))
        .otherwise(col("csm_owner"))
        .alias("owner"),
        "title",
        pl.max_horizontal(
            col("updated_at").dt.date() + pl.duration(days=col("days")), pl.lit(today)
        ).alias("due_on"),
        pl.when(col("kind") == "risk")
        .then(pl.lit("high"))
        .otherwise(pl.lit("normal"))
        .alias("priority"),
        pl.format(
            "Tandem {} handoff, {}. Evidence: {}",
            col("kind"),
            col("state"),
            col("evidence").fill_null("—"),
        ).alias("detail"),
    )
    work = pl.concat([rule.select(WORK_COLUMNS), flow.select(WORK_COLUMNS)], how="vertical_relaxed")
    return mask_pii(work, ("title", "detail")).sort("due_on", "account_id", "key")


def covered_work(work: pl.DataFrame, covers: pl.DataFrame) -> pl.DataFrame:
    """The open work of people on leave, given to whoever covers for them (``covers``: the
    covers holding today, ``coverer``, ``covered``, ``last_day``), naming both: the title
    says "(covering for Y until DATE)"; everyone else's work is unchanged."""
    if covers.is_empty():
        return work
    cover = covers.select(
        col("covered").alias("owner"), "coverer", col("last_day").alias("cover_until")
    ).unique("owner")
    return (
        work.join(cover, on="owner", how="left", maintain_order="left")
        .with_columns(
            title=pl.when(col("coverer").is_not_null())
            .then(
                pl.format(
                    "{} (covering for {} until {})", col("title"), col("owner"), col("cover_until")
                )
            )
            .otherwise(col("title")),
            owner=pl.coalesce("coverer", "owner"),
        )
        .select(work.columns)
    )


def salesforce_tasks(work: pl.DataFrame, salesforce_ids: pl.DataFrame) -> pl.DataFrame:
    """The work as Salesforce Task rows; ``WhatId`` is the account's Salesforce id when a
    Salesforce export brought one (``salesforce_ids``: account_id, key), else empty."""
    rows = work.join(
        salesforce_ids.select("account_id", pl.col("key").alias("WhatId")),
        on="account_id",
        how="left",
    ).select(
        pl.format("{} — {}", col("title"), col("account_name").fill_null(col("account_id"))).alias(
            "Subject"
        ),
        col("due_on").cast(pl.String).alias("ActivityDate"),
        pl.lit("Not Started").alias("Status"),
        pl.when(col("priority") == "high")
        .then(pl.lit("High"))
        .otherwise(pl.lit("Normal"))
        .alias("Priority"),
        pl.lit("Other").alias("Type"),
        "WhatId",
        col("detail").alias("Description"),
        col("owner").alias("Tandem Owner"),
        col("account_id").alias("Tandem Account Id"),
        col("key").alias("Tandem Task Key"),
    )
    return plain_rows(rows, SALESFORCE_IDS).with_columns(col("Subject").str.slice(0, 255))


def hubspot_tasks(
    work: pl.DataFrame, domains: pl.DataFrame, owners: pl.DataFrame, hubspot_ids: pl.DataFrame
) -> pl.DataFrame:
    """The work as rows of a HubSpot task import, associated with the company by its HubSpot
    record id when a HubSpot export brought one, else by its domain (``domains``: account_id,
    domain)."""
    rows = (
        work.join(domains, on="account_id", how="left")
        .join(
            hubspot_ids.select("account_id", pl.col("key").alias("Company Record ID")),
            on="account_id",
            how="left",
        )
        .join(
            owners.select(col("owner"), col("email").alias("Assigned To")), on="owner", how="left"
        )
        .select(
            pl.format(
                "{} — {}", col("title"), col("account_name").fill_null(col("account_id"))
            ).alias("Task Title"),
            col("due_on").cast(pl.String).alias("Due Date"),
            pl.lit("NOT_STARTED").alias("Task Status"),
            pl.when(col("priority") == "high")
            .then(pl.lit("HIGH"))
            .otherwise(pl.lit("MEDIUM"))
            .alias("Priority"),
            pl.lit("TODO").alias("Task Type"),
            col("detail").alias("Notes"),
            "Assigned To",
            col("domain").alias("Company Domain Name"),
            "Company Record ID",
            col("account_id").alias("Tandem Account Id"),
            col("key").alias("Tandem Task Key"),
        )
    )
    return plain_rows(rows, HUBSPOT_IDS)


def crm_exports(
    work: pl.DataFrame, domains: pl.DataFrame, owners: pl.DataFrame, keys: pl.DataFrame
) -> CrmExports:
    """Both CRM task imports of ``work``; ``keys`` are the stored account keys (key, system,
    account_id), ``domains`` the accounts' web domains."""

    def system(name: str) -> pl.DataFrame:
        return keys.filter(col("system") == name).unique("account_id", keep="first")

    return CrmExports(
        to_csv(salesforce_tasks(work, system("salesforce"))),
        to_csv(hubspot_tasks(work, domains, owners, system("hubspot"))),
        work.height,
    )


def owner_calendar(work: pl.DataFrame, owner: str, stamp: dt.datetime) -> bytes:
    """One owner's open work as an all-day event on each due date (a feed a calendar can
    subscribe to; the same UID every night, so an event moves instead of doubling). Every
    text is one line, masked and defanged; each event names its account in
    ``X-TANDEM-ACCOUNT-ID``."""
    from icalendar import Calendar, Event  # 0.1-0.6 s to import: only when a feed is written

    calendar = Calendar()
    calendar.add("prodid", "-//Tandem//Open work//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"Tandem: {plain_text(owner)}")
    mine = plain_rows(work.filter(col("owner") == owner), ids=("key", "account_id"))
    for row in mine.iter_rows(named=True):
        event = Event()
        event.add("uid", f"{row['key']}@tandem")
        event.add("dtstamp", stamp)
        event.add("dtstart", row["due_on"])
        event.add("dtend", row["due_on"] + dt.timedelta(days=1))
        event.add("summary", f"{row['title']} — {row['account_name'] or row['account_id']}")
        event.add(
            "description",
            f"{row['detail']}\nAccount {row['account_id']} · {one_line(row['role']).upper()}: "
            f"{row['owner']}",
        )
        event.add("categories", ["Tandem", row["priority"]])
        event.add(ACCOUNT_PROPERTY, row["account_id"])
        calendar.add_component(event)
    return calendar.to_ical()
