"""The score lab's comparison of a candidate scorecard with the active one (pure Polars).

Components are computed once per set of component parameters; a weight or threshold change
only recomputes the weighted sum, the band and what depends on the band.
"""

from __future__ import annotations

import polars as pl

from dashboard.text import BAND_ORDER
from scoring.components import components
from scoring.health import apply_scorecard
from scoring.scorecard import COMPONENTS, ComponentParams, Scorecard
from scoring.signals import is_ready, renewing_within

col = pl.col
# The feature columns the lab keeps besides the components (what the other pages depend on).
CONTEXT = [
    "account_id",
    "account_name",
    "segment",
    "csm_owner",
    "am_owner",
    "arr",
    "days_to_renewal",
    "triggers_fired_count",
    "trigger_green",
]


def lab_components(features: pl.DataFrame, params: ComponentParams) -> pl.DataFrame:
    """The components of every account under ``params`` (cache this per parameter set), with
    the context columns the comparison needs."""
    keep = [c for c in CONTEXT if c in features.columns]
    return components(features.lazy(), params).select(*keep, *COMPONENTS).collect()


def rescore(comps: pl.DataFrame, scorecard: Scorecard) -> pl.DataFrame:
    """Health, band and what follows from the band: expansion readiness (the green trigger
    may change) and red ARR renewing within 90 days (``RISK_TERMS["red_renewing"]``: a candidate
    has no 30-day history, so this is "at risk" without its falling part)."""
    t = scorecard.expansion
    scored = apply_scorecard(comps.lazy(), scorecard).with_columns(
        green_now=(col("band") == "green") & pl.lit(t.green_health)
    )
    if "triggers_fired_count" in comps.columns:
        fired = (
            col("triggers_fired_count")
            - col("trigger_green").cast(pl.Int32)
            + col("green_now").cast(pl.Int32)
        )
        scored = scored.with_columns(expansion_ready=is_ready(fired, t))
    else:
        scored = scored.with_columns(expansion_ready=pl.lit(False))
    return scored.with_columns(red_renewing=(col("band") == "red") & renewing_within()).collect()


def impact(scored: pl.DataFrame) -> dict[str, float]:
    """What the other pages would show: red accounts, red ARR renewing within 90 days,
    expansion-ready accounts, median health."""
    return scored.select(
        accounts_red=(col("band") == "red").sum(),
        red_arr_renewing_90d=col("arr").filter(col("red_renewing")).sum(),
        expansion_ready=col("expansion_ready").sum(),
        median_health=col("health").median(),
    ).row(0, named=True)


def migration(before: pl.DataFrame, after: pl.DataFrame) -> pl.DataFrame:
    """Band before × band after: accounts and ARR in each cell (every cell present)."""
    pairs = before.select("account_id", "arr", col("band").alias("band_before")).join(
        after.select("account_id", col("band").alias("band_after")), on="account_id"
    )
    grid = pl.DataFrame({"band_before": BAND_ORDER}).join(
        pl.DataFrame({"band_after": BAND_ORDER}), how="cross"
    )
    counts = pairs.group_by("band_before", "band_after").agg(
        accounts=pl.len(), arr=col("arr").fill_null(0).sum()
    )
    return grid.join(counts, on=["band_before", "band_after"], how="left").with_columns(
        col("accounts").fill_null(0), col("arr").fill_null(0.0)
    )


def _contributions(comps: pl.DataFrame, scorecard: Scorecard, suffix: str) -> list[pl.Expr]:
    """Each component's share of the health (weight × score ÷ weight present)."""
    w = scorecard.weights
    present = pl.sum_horizontal([col(c).is_not_null().cast(pl.Float64) * w[c] for c in COMPONENTS])
    return [
        pl.when(present > 0).then(col(c).fill_null(0) * w[c] / present).alias(f"{c}{suffix}")
        for c in COMPONENTS
    ]


def movers(
    comps_a: pl.DataFrame,
    comps_b: pl.DataFrame,
    active: Scorecard,
    candidate: Scorecard,
    top: int = 50,
    before: pl.DataFrame | None = None,
    after: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """The accounts whose health moves most, with the two components that moved them most
    (change in each component's contribution to the health). ``comps_a`` and ``comps_b`` are
    the components under each scorecard's parameters (the same accounts in the same order);
    ``before`` and ``after`` their ``rescore`` when the caller has it already.

    Only the ``top`` movers' contributions are computed: a weight change recomputes this on
    every edit, over the whole portfolio."""
    if comps_a is not comps_b and not comps_a["account_id"].equals(comps_b["account_id"]):
        comps_b = comps_a.select("account_id").join(
            comps_b, on="account_id", how="left", maintain_order="left"
        )
        after = None  # aligned to comps_a's rows, it is computed again
    before = rescore(comps_a, active) if before is None else before
    after = rescore(comps_b, candidate) if after is None else after
    moved = (
        comps_a.select("account_id", "account_name", "arr")
        .with_columns(
            health_before=before["health"],
            health_after=after["health"],
            band_before=before["band"],
            band_after=after["band"],
            _row=pl.int_range(pl.len()),
        )
        .with_columns(change=col("health_after") - col("health_before"))
        .filter(col("change").is_not_null())
        .top_k(top, by=col("change").abs())
        .sort(col("change").abs(), "account_id", descending=[True, False])
    )
    rows = moved["_row"]
    a = comps_a[rows].select(_contributions(comps_a[rows], active, "_a"))
    b = comps_b[rows].select(_contributions(comps_b[rows], candidate, "_b"))
    deltas = pl.concat([a, b], how="horizontal").select(
        [(col(f"{c}_b") - col(f"{c}_a")).alias(f"d_{c}") for c in COMPONENTS]
    )
    moved = pl.concat([moved.drop("_row"), deltas], how="horizontal")
    long = (
        moved.unpivot(index="account_id", on=[f"d_{c}" for c in COMPONENTS])
        .with_columns(component=col("variable").str.strip_prefix("d_").str.replace("_", " "))
        .sort(col("value").abs(), descending=True)
        .group_by("account_id", maintain_order=True)
        .head(2)
        .group_by("account_id", maintain_order=True)
        .agg(
            moved_by=pl.format(
                "{} {}",
                col("component"),
                col("value").round(1).cast(pl.String).str.replace(r"^([^-])", "+$1"),
            ).str.join(", ")
        )
    )
    return moved.join(long, on="account_id", how="left").select(
        "account_id",
        "account_name",
        "arr",
        "health_before",
        "health_after",
        "change",
        "band_before",
        "band_after",
        "moved_by",
    )


def health_histogram(scored: pl.DataFrame, width: int = 5) -> pl.DataFrame:
    """Accounts per health bin of ``width`` points (bin = its lower edge, 0 to 100)."""
    return (
        scored.filter(col("health").is_not_null())
        .group_by(bin=((col("health") // width) * width).clip(0, 100 - width).cast(pl.Int32))
        .agg(accounts=pl.len())
        .sort("bin")
    )
