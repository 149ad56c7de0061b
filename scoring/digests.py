"""What each owner should act on, read from their side of the account (pure Polars)."""

from __future__ import annotations

import datetime as dt

import polars as pl

from scoring.glossary import RISK_ESCALATE_DAYS
from scoring.signals import AT_RISK_REASON

col = pl.col

DIGEST_COLUMNS = ["account_id", "account_name", "arr", "health", "band", "days_to_renewal"]


def csm_digest(scored: pl.DataFrame, owner: str) -> pl.DataFrame:
    """A CSM's value-side list: their accounts that are red, yellow, falling or at risk before
    the renewal deadline, with the cause and what the CSM does. Lowest health first."""
    return (
        scored.filter(
            col("csm_owner") == owner,
            (col("band") != "green") | col("health_falling") | col("risk_before_deadline"),
        )
        .with_columns(
            reason=pl.when(col("risk_before_deadline"))
            .then(pl.lit(AT_RISK_REASON))
            .when(col("health_falling"))
            .then(pl.lit("health falling"))
            .otherwise(pl.concat_str(pl.lit("band "), col("band"))),
        )
        .sort("health", nulls_last=True)
        .select(
            *DIGEST_COLUMNS,
            "reason",
            col("top_cause").alias("cause"),
            col("csm_next").alias("action"),
        )
    )


def am_digest(scored: pl.DataFrame, owner: str) -> pl.DataFrame:
    """An AM's revenue-side list: risks before renewal deadlines, overdue invoices and
    expansion windows on their accounts, with the cause and what the AM does. ARR first."""
    mine = scored.filter(col("am_owner") == owner)
    risks = mine.filter(col("risk_before_deadline")).with_columns(
        reason=pl.lit(AT_RISK_REASON), cause=col("top_cause"), action=col("am_next")
    )
    billing = mine.filter(col("invoices_overdue") > 0, ~col("risk_before_deadline")).with_columns(
        reason=pl.lit("overdue invoices"),
        cause=pl.format(
            "{} invoices overdue, oldest {} days", col("invoices_overdue"), col("max_days_past_due")
        ),
        action=pl.lit("Chase the overdue invoices with finance"),
    )
    expansion = mine.filter(col("expansion_ready")).with_columns(
        reason=pl.concat_str(pl.lit("expansion window "), col("expansion_window")),
        cause=col("triggers_fired"),
        action=pl.lit("Qualify the expansion with the CSM's evidence and prepare options"),
    )
    return pl.concat(
        [
            f.select(*DIGEST_COLUMNS, "reason", "cause", "action")
            for f in (risks, billing, expansion)
        ]
    ).sort("arr", descending=True, nulls_last=True)


def with_lens_actions(scored: pl.DataFrame, drivers: pl.DataFrame) -> pl.DataFrame:
    """Add each account's first driver's CSM and AM actions (``csm_next``, ``am_next``); an
    account without an AM gets no AM action (nobody owns it until an AM is assigned)."""
    first = drivers.filter(col("rank") == 1).select(
        "account_id", col("csm_action").alias("csm_next"), col("am_action").alias("am_next")
    )
    joined = scored.join(first, on="account_id", how="left", maintain_order="left")
    if "am_owner" not in joined.columns:
        return joined
    return joined.with_columns(am_next=pl.when(col("am_owner").is_not_null()).then(col("am_next")))


def leader_digest(scored: pl.DataFrame, top: int = 15) -> pl.DataFrame:
    """A leader's read of the whole book: the largest risks before renewal deadlines and the
    largest expansion windows, ARR first."""
    risks = scored.filter(col("risk_before_deadline")).with_columns(
        reason=pl.lit(AT_RISK_REASON), cause=col("top_cause"), action=col("top_action")
    )
    expansion = scored.filter(col("expansion_ready")).with_columns(
        reason=pl.concat_str(pl.lit("expansion window "), col("expansion_window")),
        cause=col("triggers_fired"),
        action=pl.lit("Make sure the AM has qualified it"),
    )
    return pl.concat(
        [
            f.sort("arr", descending=True, nulls_last=True)
            .head(top)
            .select(*DIGEST_COLUMNS, "reason", "cause", "action")
            for f in (risks, expansion)
        ]
    )


def chairs_rows(stalled: pl.DataFrame, unflagged: pl.DataFrame) -> pl.DataFrame:
    """Digest rows for expansions fallen between the chairs: flags waiting on the AM (role
    ``am``) and ready accounts the CSM never flagged (role ``csm``), with both owners."""
    waiting = stalled.select(
        *DIGEST_COLUMNS,
        "csm_owner",
        "am_owner",
        pl.lit("am").alias("role"),
        pl.lit("expansion flagged, no AM step").alias("reason"),
        pl.format("flagged by {} {} days ago", col("created_by"), col("days_waiting")).alias(
            "cause"
        ),
        pl.lit("Qualify it or say why not, in the handoff").alias("action"),
        pl.lit(True).alias("to_leader"),
    )
    never = unflagged.select(
        *DIGEST_COLUMNS,
        "csm_owner",
        "am_owner",
        pl.lit("csm").alias("role"),
        pl.lit("expansion-ready 30+ days, never flagged").alias("reason"),
        col("triggers_fired").alias("cause"),
        pl.lit("Flag it to the AM with the evidence").alias("action"),
        pl.lit(True).alias("to_leader"),
    )
    return pl.concat([waiting, never], how="vertical_relaxed")


def overdue_risk_rows(
    open_risks: pl.DataFrame, today: dt.date, escalate_after: int = RISK_ESCALATE_DAYS
) -> pl.DataFrame:
    """Digest rows for open risks whose next step is past its due date: to the step's owner
    (role ``am`` when the owner is the account's AM, else ``csm``), and (``to_leader``) to the
    leaders once ``escalate_after`` days late. ``open_risks`` has the digest columns, both
    owners and the risk's ``owner``, ``next_step``, ``due_on`` and ``stage``."""
    late = open_risks.filter(col("due_on") < today).with_columns(
        days_late=(pl.lit(today) - col("due_on")).dt.total_days()
    )
    return late.sort("days_late", descending=True).select(
        *DIGEST_COLUMNS,
        "csm_owner",
        "am_owner",
        pl.when(col("owner") == col("am_owner"))
        .then(pl.lit("am"))
        .otherwise(pl.lit("csm"))
        .alias("role"),
        pl.format("risk step overdue ({})", col("stage")).alias("reason"),
        pl.format(
            "'{}' was due {} ({} days late), owner {}",
            col("next_step"),
            col("due_on"),
            col("days_late"),
            col("owner"),
        ).alias("cause"),
        pl.lit("Take the step or set a new date, in the risk's handoff").alias("action"),
        (col("days_late") >= escalate_after).alias("to_leader"),
    )


def stuck_onboarding_rows(stuck: pl.DataFrame) -> pl.DataFrame:
    """Digest rows for the accounts stuck in onboarding (``scoring.onboarding.
    stuck_in_onboarding``, with the digest columns), to their CSM (role ``csm``): the cause
    and the action are the row's own."""
    return stuck.select(
        *DIGEST_COLUMNS,
        "csm_owner",
        "am_owner",
        pl.lit("csm").alias("role"),
        pl.lit("stuck in onboarding").alias("reason"),
        "cause",
        "action",
        pl.lit(False).alias("to_leader"),
    )


DIGEST_MOVERS = 5  # accounts per owner whose story since last week says most
STORY_SAYS_NOTHING = ("nothing", "unavailable")


def digest_movers(
    stories: pl.DataFrame,
    scored: pl.DataFrame,
    owner_column: str | None = None,
    owner: str | None = None,
    top: int = DIGEST_MOVERS,
) -> pl.DataFrame:
    """The accounts (those of ``owner`` in ``owner_column``; the whole book without) whose
    story (``scoring.story.story_frame``) says most: account_id, account_name, ``changes``
    (its sentences, largest first, as one text); the largest first (ARR breaks ties).
    Accounts where nothing changed, or whose comparison is not available, are not movers."""
    if stories.is_empty():
        return pl.DataFrame(
            schema={"account_id": pl.String, "account_name": pl.String, "changes": pl.String}
        )
    said = (
        stories.filter(~col("kind").is_in(STORY_SAYS_NOTHING))
        .sort("account_id", "rank")
        .group_by("account_id", maintain_order=True)
        .agg(size=col("magnitude").max(), changes=col("text").str.join(" "))
    )
    book = scored.filter(col(owner_column) == owner) if owner_column else scored
    return (
        book.select("account_id", "account_name", "arr")
        .join(said, on="account_id")
        .sort("size", "arr", descending=True, nulls_last=True)
        .head(top)
        .select("account_id", "account_name", "changes")
    )
