"""The SQL of the decisions recorded in weekly syncs (app store ``sync_notes``).

A decision's row holds its current words and its author. Every change to it is an audit row
(action ``decision edit``, subject the note's id) written in the same transaction, holding
who changed it, the values before and after, and who wrote the words it replaced: the
decision's history, and the "edited by" shown beside it."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl

from dashboard import clock
from dashboard.store import audit_log
from dashboard.store.appdata import AppStore

EDIT = "decision edit"
FIELDS = ("decision", "owner", "due_on", "status")
# a decision's version: its content (words, who, by when, status) and the number of changes
# made to it (each is an audit row written in the same transaction), as one digest of the row
# ``n`` of ``sync_notes``; a form shows it and a change that names another version is refused
VERSION = (
    "md5(concat_ws('|', n.decision, coalesce(n.owner, '\x00'),"
    " coalesce(n.due_on::VARCHAR, '\x00'), n.status, (SELECT count(*) FROM audit_log a"
    f" WHERE a.action = '{EDIT}' AND a.subject = n.note_id)::VARCHAR))"
)


def insert_decision(
    app: AppStore,
    note_id: str,
    pair: str,
    account_id: str | None,
    decision: str,
    owner: str | None,
    due_on: dt.date | None,
    author: str,
    role: str,
    now: dt.datetime,
) -> None:
    with app.transaction() as con:
        con.execute(
            "INSERT INTO sync_notes VALUES ($id, $pair, $account_id, $decision, $owner, $due_on,"
            " 'open', $author, $role, $now)",
            {
                "id": note_id,
                "pair": pair,
                "account_id": account_id,
                "decision": decision,
                "owner": owner,
                "due_on": due_on,
                "author": author,
                "role": role,
                "now": now,
            },
        )


def decision_rows(app: AppStore, pair: str) -> pl.DataFrame:
    """Every decision of a pair, newest first, with the day of its sync and who last
    changed it, when (null: as its author wrote it)."""
    return app.query(
        f"SELECT n.*, n.written_at::DATE AS sync_on, e.edited_by, e.edited_at, {VERSION} AS version"
        " FROM sync_notes n"
        " LEFT JOIN (SELECT subject, arg_max(actor, logged_at) AS edited_by,"
        "  max(logged_at) AS edited_at FROM audit_log WHERE action = $edit GROUP BY subject) e"
        " ON e.subject = n.note_id WHERE n.pair = $pair ORDER BY n.written_at DESC",
        {"pair": pair, "edit": EDIT},
    )


def decision_history(app: AppStore, note_id: str) -> pl.DataFrame:
    """Every version of a decision, oldest first: its words, who, by when and status, who
    wrote that version and when (the first is the author's; each edit adds one)."""
    rows = app.query(
        "SELECT logged_at, actor, detail FROM audit_log WHERE action = $edit"
        " AND subject = $id ORDER BY logged_at",
        {"edit": EDIT, "id": note_id},
    )
    current = decision_row(app, note_id)
    schema = {
        "version_at": pl.Datetime("us"),
        "written_by": pl.String,
        "decision": pl.String,
        "owner": pl.String,
        "due_on": pl.String,
        "status": pl.String,
    }
    if current is None:
        return pl.DataFrame(schema=schema)
    versions = []
    at, by = current["written_at"], current["author"]
    for logged_at, actor, detail in rows.iter_rows():
        change = json.loads(detail)
        versions.append(
            {"version_at": at, "written_by": change.get("old_by") or by, **change["old"]}
        )
        at, by = logged_at, actor
    last = {f: None if current[f] is None else str(current[f]) for f in FIELDS}
    versions.append({"version_at": at, "written_by": by, **last})
    return pl.DataFrame(versions, schema=schema)


def decision_row(app: AppStore, note_id: str) -> dict | None:
    rows = app.query(
        f"SELECT n.*, {VERSION} AS version FROM sync_notes n WHERE note_id = $id", {"id": note_id}
    )
    return rows.row(0, named=True) if rows.height else None


def set_decision(
    app: AppStore,
    note_id: str,
    *,
    status: str | None = None,
    decision: str | None = None,
    owner: str | None = None,
    due_on: dt.date | None = None,
    editor: str | None = None,
    now: dt.datetime | None = None,
    seen_version: str | None = None,
) -> dict | None:
    """Change a decision's status, and (while it is editable) its words, owner or due date;
    a real change is audited with its editor, the old and new values and who wrote the old
    words (the history). Returns None when there is no such decision; otherwise the decision
    as it was before (its fields, ``version``, ``changed_by`` and ``changed_at``: who last
    wrote or changed it, when): when ``seen_version`` is given and is not that version,
    nothing was written."""
    with app.transaction() as con:
        old = con.execute(
            f"SELECT n.decision, n.owner, n.due_on, n.status, n.author, n.written_at, {VERSION}"
            " FROM sync_notes n WHERE n.note_id = $id",
            {"id": note_id},
        ).fetchall()
        if not old:
            return None
        before = dict(zip(FIELDS, old[0][:4], strict=True))
        last_by, last_at = con.execute(
            "SELECT arg_max(actor, logged_at), max(logged_at) FROM audit_log"
            " WHERE action = $edit AND subject = $id",
            {"edit": EDIT, "id": note_id},
        ).fetchall()[0]
        shown = {
            **before,
            "version": old[0][6],
            "changed_by": last_by or old[0][4],
            "changed_at": last_at or old[0][5],
        }
        if seen_version is not None and shown["version"] != seen_version:
            return shown
        wanted = {"decision": decision, "owner": owner, "due_on": due_on, "status": status}
        after = {f: before[f] if wanted[f] is None else wanted[f] for f in FIELDS}
        if after == before:
            return shown
        audit_log.log_in(
            con,
            now or clock.now(),
            editor,
            EDIT,
            note_id,
            json.dumps(
                {"old": _texts(before), "new": _texts(after), "old_by": last_by or old[0][4]}
            ),
        )
        con.execute(
            "UPDATE sync_notes SET status = coalesce($status, status),"
            " decision = coalesce($decision, decision), owner = coalesce($owner, owner),"
            " due_on = coalesce($due_on, due_on) WHERE note_id = $id",
            {
                "status": status,
                "decision": decision,
                "owner": owner,
                "due_on": due_on,
                "id": note_id,
            },
        )
    return shown


def _texts(values: dict) -> dict[str, str | None]:
    return {k: None if v is None else str(v) for k, v in values.items()}
