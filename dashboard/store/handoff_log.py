"""The SQL of the handoff workflow (app store): handoffs, their steps, and the reads of both.

The statements that take a connection run inside the workflow's own transaction
(``AppStore.transaction``), so a check and the write that follows it are one unit.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

import duckdb
import polars as pl

from dashboard.store.appdata import AppStore
from dashboard.store.ddl import APP_DDL


class HandoffRow(NamedTuple):
    kind: str
    state: str
    account_id: str


class StepRow(NamedTuple):
    actor: str | None
    role: str | None
    stepped_at: dt.datetime


class OpenRow(NamedTuple):
    state: str
    created_by: str | None
    created_on: dt.date


def open_handoff(
    con: duckdb.DuckDBPyConnection, account_id: str, kind: str, open_states: list[str]
) -> OpenRow | None:
    """The account's handoff of ``kind`` in one of ``open_states``, if any."""
    rows = con.execute(
        "SELECT state, created_by, created_at::DATE FROM handoffs"
        " WHERE account_id = $account_id AND kind = $kind"
        " AND state IN (SELECT unnest($open_states::VARCHAR[]))",
        {"account_id": account_id, "kind": kind, "open_states": open_states},
    ).fetchall()
    return OpenRow(*rows[0]) if rows else None


def insert_handoff(
    con: duckdb.DuckDBPyConnection,
    handoff_id: str,
    account_id: str,
    kind: str,
    evidence: str,
    actor: str,
    role: str,
    now: dt.datetime,
) -> None:
    """A new handoff in state ``flagged`` and its first step."""
    con.execute(
        "INSERT INTO handoffs (handoff_id, account_id, kind, state, evidence, created_by,"
        " created_at, updated_at) VALUES ($id, $account_id, $kind, 'flagged', $evidence, $actor,"
        " $now, $now)",
        {
            "id": handoff_id,
            "account_id": account_id,
            "kind": kind,
            "evidence": evidence,
            "actor": actor,
            "now": now,
        },
    )
    insert_step(con, handoff_id, 1, "flagged", actor, role, evidence, now)


def handoff_row(con: duckdb.DuckDBPyConnection, handoff_id: str) -> HandoffRow | None:
    rows = con.execute(
        "SELECT kind, state, account_id FROM handoffs WHERE handoff_id = $id", {"id": handoff_id}
    ).fetchall()
    return HandoffRow(*rows[0]) if rows else None


def last_step(con: duckdb.DuckDBPyConnection, handoff_id: str) -> StepRow:
    """Who took the handoff's latest step, in which role, when."""
    rows = con.execute(
        "SELECT actor, role, stepped_at FROM handoff_steps WHERE handoff_id = $id"
        " ORDER BY step DESC LIMIT 1",
        {"id": handoff_id},
    ).fetchall()
    return StepRow(*rows[0])


class ChangeRow(NamedTuple):
    kind: str
    state: str
    actor: str | None
    role: str | None
    stepped_at: dt.datetime


def last_step_number(con: duckdb.DuckDBPyConnection, handoff_id: str) -> int:
    """The number of the handoff's latest step (its version: steps are only ever added)."""
    return next_step_number(con, handoff_id) - 1


def steps_after(con: duckdb.DuckDBPyConnection, handoff_id: str, step: int) -> list[ChangeRow]:
    """The handoff's steps after step number ``step``, oldest first."""
    rows = con.execute(
        "SELECT h.kind, s.state, s.actor, s.role, s.stepped_at FROM handoff_steps s"
        " JOIN handoffs h USING (handoff_id) WHERE s.handoff_id = $id AND s.step > $step"
        " ORDER BY s.step",
        {"id": handoff_id, "step": step},
    ).fetchall()
    return [ChangeRow(*r) for r in rows]


def account_step_count(con: duckdb.DuckDBPyConnection, account_id: str) -> int:
    """How many steps the account's handoffs have (the version of its handoffs)."""
    return int(
        con.execute(
            "SELECT count(*) FROM handoff_steps s JOIN handoffs h USING (handoff_id)"
            " WHERE h.account_id = $account_id",
            {"account_id": account_id},
        ).fetchall()[0][0]
    )


def latest_account_steps(
    con: duckdb.DuckDBPyConnection, account_id: str, n: int
) -> list[ChangeRow]:
    """The ``n`` latest steps on the account's handoffs, oldest first."""
    rows = con.execute(
        "SELECT * FROM (SELECT h.kind, s.state, s.actor, s.role, s.stepped_at"
        " FROM handoff_steps s JOIN handoffs h USING (handoff_id)"
        " WHERE h.account_id = $account_id ORDER BY s.stepped_at DESC, s.step DESC LIMIT $n)"
        " ORDER BY stepped_at",
        {"account_id": account_id, "n": max(n, 0)},
    ).fetchall()
    return [ChangeRow(*r) for r in rows]


def next_step_number(con: duckdb.DuckDBPyConnection, handoff_id: str) -> int:
    return int(
        con.execute(
            "SELECT coalesce(max(step), 0) + 1 FROM handoff_steps WHERE handoff_id = $id",
            {"id": handoff_id},
        ).fetchall()[0][0]
    )


def insert_step(
    con: duckdb.DuckDBPyConnection,
    handoff_id: str,
    step: int,
    state: str,
    actor: str,
    role: str,
    note: str | None,
    now: dt.datetime,
) -> None:
    con.execute(
        "INSERT INTO handoff_steps VALUES ($id, $step, $state, $actor, $role, $note, $now)",
        {
            "id": handoff_id,
            "step": step,
            "state": state,
            "actor": actor,
            "role": role,
            "note": note,
            "now": now,
        },
    )


def insert_risk_step(
    con: duckdb.DuckDBPyConnection,
    handoff_id: str,
    step: int,
    reason: str,
    owner: str | None,
    next_step: str | None,
    due_on: dt.date | None,
) -> None:
    """What a risk's step names: the reason, the owner, the next step and when it is due."""
    con.execute(APP_DDL["risk_steps"])  # a store made before the table existed
    con.execute(
        "INSERT INTO risk_steps VALUES ($id, $step, $reason, $owner, $next_step, $due_on)",
        {
            "id": handoff_id,
            "step": step,
            "reason": reason,
            "owner": owner,
            "next_step": next_step,
            "due_on": due_on,
        },
    )


def _has_risk_steps(app: AppStore) -> bool:
    found = app.query(
        "SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'risk_steps'"
    )
    return bool(found["n"][0])


RISK_STEP_SCHEMA = {
    "handoff_id": pl.String,
    "step": pl.Int32,
    "reason": pl.String,
    "owner": pl.String,
    "next_step": pl.String,
    "due_on": pl.Date,
}


def risk_step_rows(app: AppStore, handoff_ids: list[str] | None = None) -> pl.DataFrame:
    """The reason, owner, next step and due date of every risk step that names them."""
    if not _has_risk_steps(app):
        return pl.DataFrame(schema=RISK_STEP_SCHEMA)
    return app.query(
        "SELECT handoff_id, step, reason, owner, next_step, due_on FROM risk_steps"
        " WHERE $ids IS NULL OR handoff_id IN (SELECT unnest($ids::VARCHAR[]))"
        " ORDER BY handoff_id, step",
        {"ids": handoff_ids},
    )


def kind_step_rows(app: AppStore, kind: str) -> pl.DataFrame:
    """Every step of every handoff of ``kind``, each handoff's in order."""
    return app.query(
        "SELECT h.account_id, s.handoff_id, s.step, s.state, s.actor, s.role, s.stepped_at"
        " FROM handoff_steps s JOIN handoffs h USING (handoff_id) WHERE h.kind = $kind"
        " ORDER BY s.handoff_id, s.step",
        {"kind": kind},
    )


def set_state(
    con: duckdb.DuckDBPyConnection, handoff_id: str, state: str, now: dt.datetime
) -> None:
    con.execute(
        "UPDATE handoffs SET state = $state, updated_at = $now WHERE handoff_id = $id",
        {"state": state, "now": now, "id": handoff_id},
    )


HANDOFF_COLUMNS = """
    h.handoff_id, h.account_id, h.kind, h.state, h.evidence, h.created_by, h.created_at,
    h.updated_at,
    (SELECT max(stepped_at) FROM handoff_steps s WHERE s.handoff_id = h.handoff_id
        AND s.role = 'am') AS last_am_step_at,
    (SELECT count(*) FROM handoff_steps s WHERE s.handoff_id = h.handoff_id) AS steps
"""


def handoff_rows(app: AppStore, account_ids: list[str] | None = None) -> pl.DataFrame:
    """Every handoff (of these accounts), newest first, with the time of its last AM step."""
    if account_ids is None:
        return app.query(f"SELECT {HANDOFF_COLUMNS} FROM handoffs h ORDER BY h.created_at DESC")
    return app.query(
        f"SELECT {HANDOFF_COLUMNS} FROM handoffs h"
        " WHERE h.account_id IN (SELECT unnest($ids::VARCHAR[])) ORDER BY h.created_at DESC",
        {"ids": account_ids},
    )


def step_rows(app: AppStore, account_id: str) -> pl.DataFrame:
    """Every step of every handoff on an account, oldest first."""
    sql = """
        SELECT h.kind, s.step, s.state, s.actor, s.role, s.note, s.stepped_at, h.handoff_id
        FROM handoff_steps s JOIN handoffs h USING (handoff_id)
        WHERE h.account_id = $account_id ORDER BY h.created_at, s.step
    """
    return app.query(sql, {"account_id": account_id})


def handoff_count(app: AppStore) -> int:
    return int(app.query("SELECT count(*) AS n FROM handoffs")["n"][0])
