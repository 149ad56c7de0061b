"""Health, coverage and band from the components and a scorecard's weights."""

from __future__ import annotations

import polars as pl

from scoring.glossary import BAND_ORDER, BANDS, COMPONENTS, NO_DATA, band_of  # noqa: F401  (re-exported)
from scoring.scorecard import Scorecard, Thresholds


def health(weights: dict[str, float]) -> pl.Expr:
    """Weighted mean of the components that have data: Σ wᵢ·sᵢ ÷ Σ wᵢ over non-null sᵢ."""
    num = pl.sum_horizontal([pl.col(c).fill_null(0.0) * weights[c] for c in COMPONENTS])
    den = pl.sum_horizontal(
        [pl.col(c).is_not_null().cast(pl.Float64) * weights[c] for c in COMPONENTS]
    )
    return pl.when(den > 0).then(num / den)


def coverage(weights: dict[str, float]) -> pl.Expr:
    """Share of the total weight whose component had data (0-1)."""
    total = sum(weights.values())
    present = pl.sum_horizontal(
        [pl.col(c).is_not_null().cast(pl.Float64) * weights[c] for c in COMPONENTS]
    )
    return present / total


# the source each component reads: what is absent when the component has no data
COMPONENT_SOURCES = {
    "adoption": "usage",
    "usage_trend": "usage",
    "breadth": "usage",
    "support": "tickets",
    "sentiment": "surveys",
    "engagement": "activities",
    "billing": "invoices",
}


def missing_sources() -> pl.Expr:
    """The sources with no data for the account ("usage, surveys"), null when none is."""
    names = list(dict.fromkeys(COMPONENT_SOURCES.values()))
    absent = [
        pl.when(
            pl.all_horizontal(
                [pl.col(c).is_null() for c, s in COMPONENT_SOURCES.items() if s == source]
            )
        ).then(pl.lit(source))
        for source in names
    ]
    return pl.concat_str(absent, separator=", ", ignore_nulls=True).replace("", None)


def band(thresholds: Thresholds, health_col: str = "health") -> pl.Expr:
    """red below ``thresholds.red``, green from ``thresholds.green``, yellow between."""
    return band_of(thresholds.red, thresholds.green, health_col)


def apply_scorecard(scored_components: pl.LazyFrame, scorecard: Scorecard) -> pl.LazyFrame:
    """Health, coverage, band and the low-coverage flag on frames that hold the components.

    This is all a weight change recomputes (the components are cached).
    """
    return scored_components.with_columns(
        health=health(scorecard.weights),
        coverage=coverage(scorecard.weights),
        missing_sources=missing_sources(),
    ).with_columns(
        band=band(scorecard.thresholds),
        low_coverage=pl.col("coverage") < scorecard.thresholds.low_coverage,
    )
