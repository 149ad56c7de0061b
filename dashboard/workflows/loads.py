"""Undoing a load: the source store goes back to the generation before it (a new, recorded
generation), what people typed stays, and the undo is audited with who asked."""

from __future__ import annotations

import datetime as dt
import json

from dashboard.store import Stores, audit_log
from dashboard.store.load_log import UndoRefused, UndoResult, undo

__all__ = ["UndoRefused", "UndoResult", "undo_load"]


def undo_load(
    stores: Stores,
    load_id: str | None,
    *,
    actor: str,
    now: dt.datetime,
    expect_latest: str | None = None,
    confirm_later: bool = False,
) -> UndoResult:
    """Undo ``load_id`` (None: the newest load in effect) and audit it; ``UndoRefused``
    (nothing changed, nothing audited) when it cannot or may not be done. The caller
    rescores: the restored generation brings the scores it had, computed on its data,
    and a rescore brings them to the date scored as of now."""
    result = undo(
        stores.sources,
        load_id,
        actor=actor,
        expect_latest=expect_latest,
        confirm_later=confirm_later,
    )
    detail = {
        "undo": result.undo_id,
        "also_undone": result.also_undone,
        "restored": result.restored,
        "tables": result.tables,
    }
    audit_log.log(stores.app, now, actor, "undo load", result.undone, json.dumps(detail))
    return result
