"""What every view's cards are made of: a value, how to read it, and what it compares with."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Card:
    """One KPI card. ``previous`` (a week earlier, or the active scorecard's) gives the
    delta; ``note`` is a plain line under the value (a count, an amount), never an arrow."""

    label: str
    value: float | None
    kind: str  # "count", "money", "score" or "ratio"
    help: str = ""
    previous: float | None = None
    trend: list[float] = field(default_factory=list)  # oldest first, for the sparkline
    note: str | None = None
    lower_is_better: bool = False
    compared_with: str = "w/w"  # what the delta is against

    @property
    def delta(self) -> float | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous


Kpi = Card  # the Portfolio's name for its cards
