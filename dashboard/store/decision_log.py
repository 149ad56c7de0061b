"""The SQL of the decisions recorded in weekly syncs (app store ``sync_notes``)."""

from __future__ import annotations

import datetime as dt

import polars as pl

from dashboard.store.appdata import AppStore


def insert_decision(
    app: AppStore, note_id: str, pair: str, account_id: str | None, decision: str,
    owner: str | None, due_on: dt.date | None, author: str, role: str, now: dt.datetime,
) -> None:  # fmt: skip
    with app.transaction() as con:
        con.execute(
            "INSERT INTO sync_notes VALUES ($id, $pair, $account_id, $decision, $owner, $due_on,"
            " 'open', $author, $role, $now)",
            {"id": note_id, "pair": pair, "account_id": account_id, "decision": decision,
             "owner": owner, "due_on": due_on, "author": author, "role": role, "now": now},
        )  # fmt: skip


def decision_rows(app: AppStore, pair: str) -> pl.DataFrame:
    """Every decision of a pair, newest first, with the day of its sync."""
    return app.query(
        "SELECT *, written_at::DATE AS sync_on FROM sync_notes WHERE pair = $pair"
        " ORDER BY written_at DESC",
        {"pair": pair},
    )


def decision_row(app: AppStore, note_id: str) -> dict | None:
    rows = app.query("SELECT * FROM sync_notes WHERE note_id = $id", {"id": note_id})
    return rows.row(0, named=True) if rows.height else None


def set_decision(
    app: AppStore, note_id: str, *, status: str | None = None, decision: str | None = None,
    owner: str | None = None, due_on: dt.date | None = None,
) -> None:  # fmt: skip
    """Change a decision's status, and (while it is editable) its words, owner or due date."""
    with app.transaction() as con:
        con.execute(
            "UPDATE sync_notes SET status = coalesce($status, status),"
            " decision = coalesce($decision, decision), owner = coalesce($owner, owner),"
            " due_on = coalesce($due_on, due_on) WHERE note_id = $id",
            {"status": status, "decision": decision, "owner": owner, "due_on": due_on,
             "id": note_id},
        )  # fmt: skip
