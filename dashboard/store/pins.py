"""Matches people pinned on the Data page: another system's key → an account (app store)."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import duckdb
import polars as pl

from dashboard.store import audit_log
from dashboard.store.appdata import AppStore

EMPTY = pl.DataFrame(
    {"system": [], "key": [], "account_id": []},
    schema={"system": pl.String, "key": pl.String, "account_id": pl.String},
)


def pin_rows(app: AppStore) -> pl.DataFrame:
    return app.query("SELECT system, key, account_id FROM account_pins")


def pins_of_folder(folder: Path) -> pl.DataFrame:
    """The pins of a workspace, read without creating anything (a dry run reads them too)."""
    path = Path(folder) / "app.duckdb"
    if not path.exists():
        return EMPTY
    for attempt in range(100):  # the app may hold the file for a moment
        try:
            con = duckdb.connect(str(path), read_only=True)
            break
        except duckdb.IOException:
            if attempt == 99:
                raise
            time.sleep(0.05)
    try:
        if not con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'account_pins'"
        ).fetchall()[0][0]:
            return EMPTY
        return con.sql("SELECT system, key, account_id FROM account_pins").pl()
    finally:
        con.close()


def save_pin(
    app: AppStore, system: str, key: str, account_id: str, actor: str, now: dt.datetime
) -> None:
    """Pin ``key`` of ``system`` to an account (replacing an earlier pin), audited."""
    with app.transaction() as con:
        con.execute(
            "INSERT OR REPLACE INTO account_pins VALUES ($system, $key, $account, $actor, $now)",
            {"system": system, "key": key, "account": account_id, "actor": actor, "now": now},
        )
        audit_log.log_in(con, now, actor, "pin match", account_id, f"{system}: {key}")
