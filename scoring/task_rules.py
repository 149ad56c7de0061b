"""Tasks created by rules (pure Polars), like the playbooks of CS platforms:

- an account at or above the seat-utilisation trigger gets an "expansion opportunity" item
  for its AM, once per contract term;
- 90 days before a renewal, a value-review item for the CSM and a commercial-plan item for
  the AM.

Each task has a key made of its rule, the account and the renewal date it belongs to, so the
nightly job can create the same task again without making a duplicate.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from scoring.scorecard import Scorecard
from scoring.signals import renewing_within

col = pl.col

TASK_COLUMNS = ["task_key", "account_id", "kind", "role", "owner", "title", "due_on"]
TASK_KINDS = {
    "expansion_opportunity": "Expansion opportunity",
    "value_review": "Value review before renewal",
    "commercial_plan": "Commercial plan for renewal",
}


def _key(kind: str) -> pl.Expr:
    return pl.concat_str(
        [pl.lit(kind), col("account_id"), col("renewal_date").cast(pl.String).fill_null("none")],
        separator=":",
    )


def rule_tasks(scored: pl.DataFrame, as_of: dt.date, scorecard: Scorecard) -> pl.DataFrame:
    """The tasks the rules call for on ``as_of`` (one row each, ``TASK_COLUMNS``)."""
    threshold = scorecard.expansion.seat_utilisation
    expansion = scored.filter(col("seat_utilisation") >= threshold).select(
        _key("expansion_opportunity").alias("task_key"),
        "account_id",
        pl.lit("expansion_opportunity").alias("kind"),
        pl.lit("am").alias("role"),
        col("am_owner").alias("owner"),
        pl.format(
            "Expansion opportunity: seat utilisation {} %",
            (col("seat_utilisation") * 100).round(0).cast(pl.Int64),
        ).alias("title"),
        pl.lit(as_of + dt.timedelta(days=14)).alias("due_on"),
    )
    renewing = scored.filter(renewing_within())
    due = pl.max_horizontal(
        col("renewal_date") - pl.duration(days=45), pl.lit(as_of + dt.timedelta(days=7))
    )

    def before_renewal(kind: str, role: str, title: str) -> pl.DataFrame:
        return renewing.select(
            _key(kind).alias("task_key"),
            "account_id",
            pl.lit(kind).alias("kind"),
            pl.lit(role).alias("role"),
            col(f"{role}_owner").alias("owner"),
            pl.format(title, col("renewal_date")).alias("title"),
            due.alias("due_on"),
        )

    review = before_renewal("value_review", "csm", "Value review before the {} renewal")
    plan = before_renewal("commercial_plan", "am", "Commercial plan for the {} renewal")
    return pl.concat([expansion, review, plan]).select(TASK_COLUMNS)
