"""What every view's cards are made of: a value, how to read it, and what it compares with."""

from __future__ import annotations

from dataclasses import dataclass, field

from dashboard.store.marts import churn_model_info
from dashboard.store.sources import SourceStore
from dashboard.text import md, verdict_line


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


PAGE_LAB_LINK = "[the Score lab](lab)"  # the lab's page, relative to any page of the app


def score_verdict(
    store: SourceStore, lab: str = PAGE_LAB_LINK, markdown: bool = True
) -> str | None:
    """The verdict line (``dashboard.text.verdict_line``) of the active scorecard as the
    nightly job kept it beside the scores: None when its health predicts churn here."""
    info = churn_model_info(store)
    name = info.scorecard or ""
    return verdict_line(
        info.verdict, md(name) if markdown else name, info.auc, (info.auc_low, info.auc_high), lab
    )
