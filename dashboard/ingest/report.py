"""An import's report as plain data: per file and per table (for ``--json`` and the screen)."""

from __future__ import annotations

from typing import Any

from dashboard.ingest.bundle import Reference
from dashboard.ingest.impact import TableImpact
from dashboard.ingest.validate import Prepared


def file_summary(p: Prepared) -> dict[str, Any]:
    """``file``, ``table``, ``preset``, ``rows``, ``rows_valid``, ``rows_rejected``,
    ``rows_not_customers`` (account rows whose status says they are not customers), the
    status ``vocabulary`` (value, rows, became, rule) and the first rejects, notes and
    errors of one prepared source."""
    return {
        "file": p.source,
        "table": p.table,
        "preset": p.preset,
        "rows": p.total_rows,
        "rows_valid": p.valid_rows,
        "rows_rejected": p.total_rows - p.valid_rows - p.not_customers,
        "rows_not_customers": p.not_customers,
        "vocabulary": p.vocabulary.to_dicts() if p.vocabulary is not None else [],
        "matched_by": p.matched_by,
        "rejects": p.rejects.select("row", "reasons").head(20).to_dicts()
        if p.rejects.height
        else [],
        "notes": p.notes,
        "errors": p.errors,
    }


def impact_summary(i: TableImpact) -> dict[str, Any]:
    return {
        "mode": i.mode.value,
        "rows_now": i.rows_now,
        "rows_after": i.rows_after,
        "added": i.rows_added,
        "removed": i.rows_removed,
        "changed": i.rows_changed,
        "rejected": i.rows_rejected,
        "losing_their_account": i.orphans,
        "period": [i.period[0].isoformat(), i.period[1].isoformat()] if i.period else None,
        "blocked": i.blocked,
        "needs_confirmation": list(i.warnings),
        "identity_changes": [
            {"owner": c.owner, "field": c.field, "old": c.old, "new": c.new, "holder": c.holder}
            for c in i.identity_changes
        ],
    }


def reference_summary(r: Reference) -> dict[str, Any]:
    """A lookup file of a vendor layout: the table it enriches, and whether it was read."""
    return {
        "file": r.file,
        "table": r.table,
        "preset": r.preset,
        "role": "reference",
        "rows": r.rows,
        "rows_valid": r.rows if r.used_by else 0,
        "rows_rejected": 0,
        "used_by": r.used_by,
        "notes": [r.note] if r.note else [],
        "errors": [],
    }
