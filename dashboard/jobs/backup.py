"""``tandem backup DEST``: a consistent copy of both stores that Tandem can open as is.

The published source generation is immutable, so a file copy of it is consistent; the app
store is copied table by table inside one read transaction (``COPY FROM DATABASE``), so a
note written during the backup is either in it whole or not at all.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

from dashboard.schema import SCHEMA_VERSION
from dashboard.store import Stores
from dashboard.store.sources import copy_database


class BackupError(RuntimeError):
    pass


def backup(stores: Stores, dest: Path, now: dt.datetime) -> dict:
    """The stores, copied into ``dest`` (which must not exist or be empty); returns the manifest."""
    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()):
        raise BackupError(f"{dest} is not empty: back up into a new folder")
    (dest / "sources").mkdir(parents=True, exist_ok=True)
    current = stores.sources.current_path()
    if current is not None:
        shutil.copyfile(current, dest / "sources" / current.name)
        (dest / "sources" / "CURRENT").write_text(current.name)
    with stores.app._lock:
        copy_database(stores.app.path, dest / "app.duckdb")
    manifest = {
        "made_at": now.isoformat(timespec="seconds"),
        "schema_version": SCHEMA_VERSION,
        "source_generation": current.name if current else None,
        "files": sorted(str(p.relative_to(dest)) for p in dest.rglob("*") if p.is_file()),
    }
    (dest / "backup.json").write_text(json.dumps(manifest, indent=2))
    return manifest
