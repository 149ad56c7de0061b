"""Every row about one account, in both stores: read for a GDPR export, deleted for an
erasure. Tables are named from allow-lists and the schema's own catalogue."""

from __future__ import annotations

import datetime as dt

import polars as pl

from dashboard.schema import SOURCE_TABLES
from dashboard.store import audit_log, goal_log
from dashboard.store.appdata import AppStore
from dashboard.store.ddl import APP_DDL
from dashboard.store.gone_people import TABLES as GONE_TABLES
from dashboard.store.sources import SourceStore, SourceWriter
from dashboard.store.sql import ident

DERIVED_TABLES = (
    "score_snapshots",
    "account_scores",
    "account_drivers",
    "snapshot_features",
    *GONE_TABLES,  # who a later CRM load left out (gone_people): names and e-mails too
)
APP_TABLES = ("handoffs", "tasks", "sync_notes", "renewal_calls")
# app tables created when first used: an older store may not have them yet
LATE_TABLES = ("renewal_calls", "risk_steps")


def tables_with_accounts(store: SourceStore) -> list[str]:
    """The source and derived tables of the published store that hold account rows."""
    present = set(
        store.query(
            "SELECT table_name FROM information_schema.columns WHERE column_name = 'account_id'"
        )["table_name"]
    )
    return [t for t in (*SOURCE_TABLES, *DERIVED_TABLES) if t in present]


def source_rows(store: SourceStore, table: str, account_id: str) -> pl.DataFrame:
    return store.query(f"SELECT * FROM {ident(table)} WHERE account_id = $id", {"id": account_id})


def _has(app: AppStore, table: str) -> bool:
    found = app.query(
        "SELECT count(*) AS n FROM information_schema.tables WHERE table_name = $t", {"t": table}
    )
    return bool(found["n"][0])


def app_rows(app: AppStore, table: str, account_id: str) -> pl.DataFrame:
    assert table in APP_TABLES
    if table in LATE_TABLES and not _has(app, table):
        return pl.DataFrame()
    return app.query(f"SELECT * FROM {ident(table)} WHERE account_id = $id", {"id": account_id})


def handoff_step_rows(app: AppStore, account_id: str) -> pl.DataFrame:
    return app.query(
        "SELECT s.* FROM handoff_steps s JOIN handoffs h USING (handoff_id)"
        " WHERE h.account_id = $id",
        {"id": account_id},
    )


def risk_step_rows(app: AppStore, account_id: str) -> pl.DataFrame:
    """The reasons, owners and next steps of the account's risk handoffs' steps."""
    if not _has(app, "risk_steps"):
        return pl.DataFrame()
    return app.query(
        "SELECT r.* FROM risk_steps r JOIN handoffs h USING (handoff_id) WHERE h.account_id = $id",
        {"id": account_id},
    )


def erase_source_rows(writer: SourceWriter, tables: list[str], account_id: str) -> None:
    """Delete the account's rows in these tables of the generation being built."""
    for table in tables:
        if writer.has_table(table):
            writer.execute(f"DELETE FROM {ident(table)} WHERE account_id = $id", {"id": account_id})


def erase_app_rows(
    app: AppStore, account_id: str, now: dt.datetime, actor: str | None, detail: str | None = None
) -> None:
    """Delete what people typed about the account; the audit log keeps only the erasure:
    the id, the time, who asked and ``detail`` (what was removed, counted: never a value)."""
    with app.transaction() as con:
        for table in LATE_TABLES:  # so the deletes below find them in an older store too
            con.execute(APP_DDL[table])
        con.execute(
            "DELETE FROM risk_steps WHERE handoff_id IN"
            " (SELECT handoff_id FROM handoffs WHERE account_id = $id)",
            {"id": account_id},
        )
        con.execute(
            "DELETE FROM handoff_steps WHERE handoff_id IN"
            " (SELECT handoff_id FROM handoffs WHERE account_id = $id)",
            {"id": account_id},
        )
        con.execute(  # the history of its sync decisions (their earlier words) goes with them
            "DELETE FROM audit_log WHERE subject IN"
            " (SELECT note_id FROM sync_notes WHERE account_id = $id)",
            {"id": account_id},
        )
        for table in APP_TABLES:
            con.execute(f"DELETE FROM {ident(table)} WHERE account_id = $id", {"id": account_id})
        goal_log.erase_goals(con, account_id)  # every version of its success plan's goals
        audit_log.forget_subject(con, account_id)
        audit_log.log_in(con, now, actor, "gdpr delete", account_id, detail)
