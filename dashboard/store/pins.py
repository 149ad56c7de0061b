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


# a pin's version: the account it names, who pinned it and when, as one digest ("" when the
# key has no pin); a form shows it and a pin that names another version is refused
VERSION = (
    "md5(concat_ws('|', account_id, coalesce(pinned_by, '\x00'),"
    " coalesce(strftime(pinned_at, '%Y-%m-%dT%H:%M:%S.%f'), '\x00')))"
)


def pin_versions(app: AppStore, system: str, keys: list[str]) -> dict[str, str]:
    """The version of each of ``keys``' pins in ``system`` ("" for a key with no pin)."""
    rows = app.query(
        f"SELECT key, {VERSION} AS version FROM account_pins WHERE system = $system"
        " AND key IN (SELECT unnest($keys::VARCHAR[]))",
        {"system": system, "keys": keys},
    )
    found = dict(zip(rows["key"], rows["version"], strict=True))
    return {k: found.get(k, "") for k in keys}


def save_pin(
    app: AppStore,
    system: str,
    key: str,
    account_id: str,
    actor: str,
    now: dt.datetime,
    seen_version: str | None = None,
) -> dict | None:
    """Pin ``key`` of ``system`` to an account (replacing an earlier pin), audited; unless
    ``seen_version`` is given and the key's pin is no longer that version ("": no pin). Returns
    the pin as it was before (account_id, pinned_by, pinned_at, version), None when there was
    none; when its version is not ``seen_version``, nothing was written."""
    with app.transaction() as con:
        found = con.execute(
            f"SELECT account_id, pinned_by, pinned_at, {VERSION} FROM account_pins"
            " WHERE system = $system AND key = $key",
            {"system": system, "key": key},
        ).fetchall()
        before = (
            dict(zip(("account_id", "pinned_by", "pinned_at", "version"), found[0], strict=True))
            if found
            else None
        )
        if seen_version is not None and (before["version"] if before else "") != seen_version:
            return before
        con.execute(
            "INSERT OR REPLACE INTO account_pins VALUES ($system, $key, $account, $actor, $now)",
            {"system": system, "key": key, "account": account_id, "actor": actor, "now": now},
        )
        audit_log.log_in(con, now, actor, "pin match", account_id, f"{system}: {key}")
    return before
