"""GDPR requests for one account: export everything stored about it, or delete it everywhere.

Everything means: every source table and derived table of the published store (scores,
drivers, snapshots), what people wrote in the app store (handoffs and their steps, tasks, sync
decisions) and every file Tandem wrote under the workspace's folder (digests, CRM task
imports, calendar feeds, rejected rows, logs: ``workflows/account_files.py``), each record found by
the account's exact id (never a substring). A deletion publishes a new generation without the
account and removes the older generations that still held it; the audit log keeps only the id,
the time, who asked and what was removed, counted (never a value).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from dashboard.schema import SCHEMA_VERSION
from dashboard.store import Stores, audit_log, goal_log
from dashboard.store import account_data as account_rows
from dashboard.text import to_csv
from dashboard.workflows.account_files import Account, search


def account_data(stores: Stores, account_id: str) -> dict[str, pl.DataFrame]:
    """Every row about the account, per table (tables without a row are left out)."""
    found: dict[str, pl.DataFrame] = {}
    for table in account_rows.tables_with_accounts(stores.sources):
        rows = account_rows.source_rows(stores.sources, table, account_id)
        if rows.height:
            found[table] = rows
    for table in account_rows.APP_TABLES:
        rows = account_rows.app_rows(stores.app, table, account_id)
        if rows.height:
            found[table] = rows
    steps = account_rows.handoff_step_rows(stores.app, account_id)
    if steps.height:
        found["handoff_steps"] = steps
    goals = goal_log.account_goal_rows(stores.app, account_id)  # every version of its goals
    if goals.height:
        found[goal_log.TABLE] = goals
    risk_steps = account_rows.risk_step_rows(stores.app, account_id)
    if risk_steps.height:
        found["risk_steps"] = risk_steps
    return found


def _account(found: dict[str, pl.DataFrame], account_id: str) -> Account:
    """The account as files name it: its id, and its name and domain from its stored row."""
    row = found["accounts"].row(0, named=True) if "accounts" in found else {}
    return Account(account_id, row.get("account_name"), row.get("domain"))


def export_account(
    stores: Stores, account_id: str, data_dir: Path, now: dt.datetime, actor: str | None = None
) -> bytes:
    """A zip of CSV (one per table) and JSON (the same rows), the account's records in every
    file Tandem wrote (under ``files/``, each in its own format: digest lines, CSV rows with
    their header, calendar events), and a manifest listing what is inside and the files that
    could not be read. Unmasked (it is for the data subject), so it is audited: who asked,
    when, for which account."""
    data = account_data(stores, account_id)
    if "accounts" not in data:
        raise KeyError(f"there is no account {account_id!r}")
    found = search(data_dir, _account(data, account_id))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for table, frame in data.items():
            zf.writestr(f"csv/{table}.csv", to_csv(frame))
            zf.writestr(f"json/{table}.json", frame.write_json())
        for hit in found.hits:
            zf.writestr(f"files/{hit.path.relative_to(data_dir).as_posix()}", hit.text)
        manifest = {
            "account_id": account_id,
            "exported_at": now.isoformat(timespec="seconds"),
            "schema_version": SCHEMA_VERSION,
            "tables": {t: f.height for t, f in data.items()},
            "data_files": {h.path.relative_to(data_dir).as_posix(): h.records for h in found.hits},
            "files_not_read": [p.relative_to(data_dir).as_posix() for p in found.not_read],
            "files": sorted(zf.namelist()),
        }
        zf.writestr("manifest.json", json.dumps(manifest, indent=2))
    audit_log.log(stores.app, now, actor, "gdpr export", account_id)
    return buffer.getvalue()


@dataclass
class Deletion:
    account_id: str
    rows: dict[str, int] = field(default_factory=dict)
    files: dict[str, int] = field(default_factory=dict)  # file -> records removed
    files_not_read: list[str] = field(default_factory=list)  # not text: not searched
    generations_removed: int = 0

    @property
    def digest_files(self) -> int:
        """How many files held the account (the digests, feeds, task imports, rejects)."""
        return len(self.files)


def delete_account(
    stores: Stores, account_id: str, data_dir: Path, now: dt.datetime, actor: str | None = None
) -> Deletion:
    """Erase every row about the account in both stores and every record about it in the
    files under ``data_dir``; a calendar feed left without events is rewritten empty."""
    found = account_data(stores, account_id)
    if not found:
        raise KeyError(f"there is no data about account {account_id!r}")
    account = _account(found, account_id)
    result = Deletion(account_id, rows={t: f.height for t, f in found.items()})
    source_tables = [t for t in account_rows.tables_with_accounts(stores.sources) if t in found]
    if source_tables:
        with stores.sources.writer() as writer:
            # a change to source data drops the marts derived from it (snapshot_features)
            account_rows.erase_source_rows(writer, source_tables, account_id)
        before = len(list(stores.sources.root.glob("gen-*.duckdb")))
        stores.sources.compact()  # a fresh file: no deleted bytes, no older generation
        result.generations_removed = before
    with stores.sources.write_lock():  # no refresh writes these files meanwhile
        erased = search(data_dir, account, erase=True)
    result.files = {h.path.relative_to(data_dir).as_posix(): h.records for h in erased.hits}
    result.files_not_read = [p.relative_to(data_dir).as_posix() for p in erased.not_read]
    what = {
        "rows": result.rows,
        "files": len(result.files),
        "records_in_files": sum(result.files.values()),
    }
    account_rows.erase_app_rows(stores.app, account_id, now, actor, json.dumps(what))
    return result
