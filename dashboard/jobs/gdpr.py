"""GDPR requests for one account: export everything stored about it, or delete it everywhere.

Everything means: every source table and derived table of the published store (scores,
drivers, snapshots), what people wrote in the app store (handoffs and their steps, tasks, sync
decisions) and the digests on disk. A deletion publishes a new generation without the account
and removes the older generations that still held it; the audit log keeps only the id and the
time of the request.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from dashboard.schema import SCHEMA_VERSION
from dashboard.store import Stores, audit_log
from dashboard.store import account_data as account_rows
from dashboard.text import to_csv


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
    return found


def _digest_files(data_dir: Path) -> list[Path]:
    root = Path(data_dir) / "digests"
    return (
        sorted(p for p in root.rglob("*") if p.suffix in (".md", ".csv")) if root.exists() else []
    )


def _digest_mentions(data_dir: Path, account_id: str) -> dict[str, str]:
    """The digest lines that name the account, per digest file (relative path)."""
    out: dict[str, str] = {}
    for path in _digest_files(data_dir):
        lines = [line for line in path.read_text().splitlines() if account_id in line]
        if lines:
            out[str(path.relative_to(data_dir))] = "\n".join(lines)
    return out


def export_account(
    stores: Stores, account_id: str, data_dir: Path, now: dt.datetime, actor: str | None = None
) -> bytes:
    """A zip of CSV (one per table) and JSON (the same rows), the digest lines naming the
    account, and a manifest listing what is inside. Unmasked (it is for the data subject), so
    it is audited: who asked, when, for which account."""
    data = account_data(stores, account_id)
    if "accounts" not in data:
        raise KeyError(f"there is no account {account_id!r}")
    mentions = _digest_mentions(data_dir, account_id)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for table, frame in data.items():
            zf.writestr(f"csv/{table}.csv", to_csv(frame))
            zf.writestr(f"json/{table}.json", frame.write_json())
        for name, lines in mentions.items():
            zf.writestr(f"digests/{name}", lines + "\n")
        manifest = {
            "account_id": account_id,
            "exported_at": now.isoformat(timespec="seconds"),
            "schema_version": SCHEMA_VERSION,
            "tables": {t: f.height for t, f in data.items()},
            "digest_files": sorted(mentions),
            "files": sorted(zf.namelist()),
        }
        zf.writestr("manifest.json", json.dumps(manifest, indent=2))
    audit_log.log(stores.app, now, actor, "gdpr export", account_id)
    return buffer.getvalue()


@dataclass
class Deletion:
    account_id: str
    rows: dict[str, int] = field(default_factory=dict)
    digest_files: int = 0
    generations_removed: int = 0


def _scrub_digest(path: Path, account_id: str) -> bool:
    """Remove the account's rows from one digest file; True when the file changed."""
    text = path.read_text()
    if account_id not in text:
        return False
    if path.suffix == ".csv":
        rows = list(csv.reader(io.StringIO(text)))
        kept = [r for i, r in enumerate(rows) if i == 0 or account_id not in r]
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(kept)
        path.write_text(out.getvalue())
    else:
        path.write_text("\n".join(x for x in text.splitlines() if account_id not in x) + "\n")
    return True


def delete_account(
    stores: Stores, account_id: str, data_dir: Path, now: dt.datetime, actor: str | None = None
) -> Deletion:
    """Erase every row about the account in both stores and the digests."""
    found = account_data(stores, account_id)
    if not found:
        raise KeyError(f"there is no data about account {account_id!r}")
    result = Deletion(account_id, rows={t: f.height for t, f in found.items()})
    source_tables = [t for t in account_rows.tables_with_accounts(stores.sources) if t in found]
    if source_tables:
        with stores.sources.writer() as writer:
            # a change to source data drops the marts derived from it (snapshot_features)
            account_rows.erase_source_rows(writer, source_tables, account_id)
        before = len(list(stores.sources.root.glob("gen-*.duckdb")))
        stores.sources.compact()  # a fresh file: no deleted bytes, no older generation
        result.generations_removed = before
    account_rows.erase_app_rows(stores.app, account_id, now, actor)
    result.digest_files = sum(_scrub_digest(p, account_id) for p in _digest_files(data_dir))
    return result
