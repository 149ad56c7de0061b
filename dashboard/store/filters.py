"""The global account filter: which accounts a page looks at, as bound SQL."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

# URL key -> accounts column. The keys are the only identifiers a URL can choose.
FILTER_COLUMNS: dict[str, str] = {
    "segment": "segment",
    "region": "region",
    "csm": "csm_owner",
    "am": "am_owner",
    "plan": "plan",
}
FILTER_LABELS = {"segment": "Segment", "region": "Region", "csm": "CSM", "am": "AM", "plan": "Plan"}


class AccountFilter(BaseModel):
    """Selected values per filter key; an empty list means no restriction."""

    segment: list[str] = []
    region: list[str] = []
    csm: list[str] = []
    am: list[str] = []
    plan: list[str] = []
    # The owners whose books the person may see (None: every account). Set on the server from
    # the signed-in person, never from the URL; every query that returns accounts applies it.
    scope: list[str] | None = None

    def is_empty(self) -> bool:
        return not any(getattr(self, key) for key in FILTER_COLUMNS)

    def where(self, alias: str = "") -> tuple[str, list[Any]]:
        """A SQL condition on the accounts table (optionally aliased) and its bound values."""
        prefix = f"{alias}." if alias else ""
        clauses: list[str] = []
        params: list[Any] = []
        for key, column in FILTER_COLUMNS.items():
            values = getattr(self, key)
            if values:
                clauses.append(f"{prefix}{column} IN ({', '.join('?' for _ in values)})")
                params.extend(values)
        if self.scope is not None:
            if not self.scope:
                clauses.append("FALSE")
            else:
                marks = ", ".join("?" for _ in self.scope)
                clauses.append(f"({prefix}csm_owner IN ({marks}) OR {prefix}am_owner IN ({marks}))")
                params.extend([*self.scope, *self.scope])
        return (" AND ".join(clauses) or "TRUE"), params
