"""Scorecards: named sets of weights, band thresholds, component parameters and expansion
triggers. A scorecard is validated when it is built; an invalid one is refused with a message
that names the field.

The default scorecard has one source, this module: the models' field defaults with
``DEFAULT_WEIGHTS``, ``DEFAULT_NAME`` and ``DEFAULT_DESCRIPTION`` (``Scorecard.default()``).
``scoring/scorecards/default.toml`` is derived from it (``default_toml()``; regenerate with
``uv run python -m scoring.scorecard > scoring/scorecards/default.toml``) and a test keeps the
two equal."""

from __future__ import annotations

import json
import tomllib
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from scoring.glossary import (
    ACTIVE_USER_DAYS,
    COMPONENTS,
    FALLING_DAYS,
    FALLING_DROP,
    GREEN_FROM,
    OUTCOME_DAYS,
    RED_BELOW,
    TICKET_DAYS,
    days,
)


class Thresholds(BaseModel):
    """Bands: red below ``red``, green from ``green`` up, yellow between."""

    model_config = ConfigDict(extra="forbid")

    red: float = Field(RED_BELOW, gt=0, lt=100, description="health below this is red")
    green: float = Field(GREEN_FROM, gt=0, le=100, description="health from this up is green")
    low_coverage: float = Field(
        0.5, ge=0, le=1, description="a health whose coverage is below this is flagged"
    )

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if not self.red < self.green:
            raise ValueError(
                f"thresholds out of order: red ({self.red}) must be below green ({self.green})"
            )
        return self


class ComponentParams(BaseModel):
    """How each component turns its features into 0-100."""

    model_config = ConfigDict(extra="forbid")

    scale: Literal["portfolio", "fixed"] = Field(
        "portfolio",
        description="usage inputs scored against the portfolio's own quantiles, or the fixed "
        "targets below",
    )
    scale_quantile: float = Field(
        0.95, ge=0.5, lt=1, description="portfolio quantile scoring 100 (its mirror scores 0)"
    )
    adoption_target: float = Field(0.8, gt=0, le=1, description="seat utilisation scoring 100")
    trend_floor: float = Field(0.5, ge=0, description="active-user ratio scoring 0")
    trend_full: float = Field(1.2, gt=0, description="active-user ratio scoring 100")
    breadth_target: float = Field(0.6, gt=0, le=1, description="share of features scoring 100")
    support_open_high_penalty: float = Field(25.0, ge=0, description="points per open high ticket")
    support_ticket_allowance: float = Field(
        1.0, ge=0, description=f"tickets per 10 seats in {days(TICKET_DAYS)}"
    )
    support_excess_penalty: float = Field(15.0, ge=0, description="points per ticket/10 seats over")
    support_csat_weight: float = Field(0.4, ge=0, le=1, description="share of CSAT in support")
    support_growth_penalty: float = Field(
        10.0, ge=0, description=f"points per doubling of tickets vs the {days(TICKET_DAYS)} before"
    )
    engagement_full_days: float = Field(
        14.0, ge=0, description="days since touch still scoring 100"
    )
    engagement_zero_days: float = Field(90.0, gt=0, description="days since touch scoring 0")
    billing_overdue_penalty: float = Field(25.0, ge=0, description="points per overdue invoice")
    billing_late_share_penalty: float = Field(
        40.0, ge=0, description="points for every invoice of 180 days paid late"
    )
    billing_day_penalty: float = Field(0.8, ge=0, description="points per mean day late")
    falling_drop: float = Field(
        FALLING_DROP, gt=0, description=f"health points lost in {days(FALLING_DAYS)} = falling"
    )
    min_driver_points: float = Field(2.0, ge=0, description="smallest health loss shown as driver")

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if not self.trend_floor < self.trend_full:
            raise ValueError("params: trend_floor must be below trend_full")
        if not self.engagement_full_days < self.engagement_zero_days:
            raise ValueError("params: engagement_full_days must be below engagement_zero_days")
        return self


class ExpansionTriggers(BaseModel):
    """What makes an account expansion-ready, and when the window is."""

    model_config = ConfigDict(extra="forbid")

    seat_utilisation: float = Field(0.8, gt=0, description="utilisation at or above fires")
    usage_growth: float = Field(1.1, gt=0, description="active-user ratio at or above fires")
    features_used: int = Field(
        7, ge=1, description=f"distinct features in {days(ACTIVE_USER_DAYS)} that fire"
    )
    green_health: bool = Field(True, description="a green band is a trigger")
    logged_outcome: bool = Field(
        True, description=f"an outcome logged in {days(OUTCOME_DAYS)} is a trigger"
    )
    min_triggers: int = Field(3, ge=1, le=5, description="triggers needed to call it ready")
    renewal_window_days: int = Field(120, ge=0, description="nearer renewal: expand at renewal")
    target_utilisation: float = Field(
        0.8, gt=0, le=1, description="seat use a right-sized licence runs at (potential model)"
    )
    growth_months: int = Field(
        3, ge=0, le=12, description="months of the account's user growth the potential projects"
    )


DEFAULT_NAME = "default"
DEFAULT_DESCRIPTION = (
    "Balanced value and revenue read: adoption and usage first, then support, sentiment, touch "
    "and billing."
)
DEFAULT_WEIGHTS: dict[str, float] = {  # relative: they need not sum to 100
    "adoption": 25.0,
    "usage_trend": 20.0,
    "breadth": 10.0,
    "support": 15.0,
    "sentiment": 10.0,
    "engagement": 10.0,
    "billing": 10.0,
}


class Scorecard(BaseModel):
    """A named health-score definition."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    description: str = ""
    weights: dict[str, float]
    thresholds: Thresholds = Thresholds()
    params: ComponentParams = ComponentParams()
    expansion: ExpansionTriggers = ExpansionTriggers()

    @field_validator("weights")
    @classmethod
    def _valid_weights(cls, weights: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(weights) - set(COMPONENTS))
        if unknown:
            raise ValueError(
                f"unknown component {', '.join(unknown)} (known: {', '.join(COMPONENTS)})"
            )
        negative = [f"{k}={v}" for k, v in weights.items() if v < 0]
        if negative:
            raise ValueError(f"weights must not be negative: {', '.join(negative)}")
        if sum(weights.values()) <= 0:
            raise ValueError("all weights are zero: at least one component needs a weight")
        return {c: float(weights.get(c, 0.0)) for c in COMPONENTS}

    @classmethod
    def from_toml(cls, text: str) -> Scorecard:
        """Parse and validate a scorecard written as TOML."""
        return cls.model_validate(tomllib.loads(text))

    @classmethod
    def default(cls) -> Scorecard:
        """Tandem's default scorecard: the one source of every default (see the module)."""
        return cls(name=DEFAULT_NAME, description=DEFAULT_DESCRIPTION, weights=DEFAULT_WEIGHTS)

    def weight_total(self) -> float:
        return sum(self.weights.values())


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(value, ensure_ascii=False)


def default_toml(card: Scorecard | None = None) -> str:
    """A scorecard (the default when none is given) as the TOML file that reads back to it,
    each parameter with its description as a comment: ``scoring/scorecards/default.toml``."""
    card = card or Scorecard.default()
    lines = [
        "# Tandem's default health scorecard. Weights are relative (they need not sum to 100).",
        "# Generated from scoring/scorecard.py (the one source of the defaults); regenerate with",
        "#   uv run python -m scoring.scorecard > scoring/scorecards/default.toml",
        f"name = {_toml_value(card.name)}",
        f"description = {_toml_value(card.description)}",
        "",
        "[weights]",
        *(f"{c} = {_toml_value(w)}" for c, w in card.weights.items()),
    ]
    for section in ("thresholds", "params", "expansion"):
        model = getattr(card, section)
        lines += ["", f"[{section}]"]
        for key, info in type(model).model_fields.items():
            entry = f"{key} = {_toml_value(getattr(model, key))}"
            lines.append(f"{entry}  # {info.description}" if info.description else entry)
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(default_toml(), end="")
