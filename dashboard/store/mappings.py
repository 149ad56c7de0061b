"""Saved column mappings, per source file name, in the app store."""

from __future__ import annotations

import datetime as dt

from dashboard.store.appdata import AppStore


def saved_mapping_json(app: AppStore, source: str) -> str | None:
    """The mapping last saved for files of this name (JSON), if any."""
    rows = app.query("SELECT body FROM mappings WHERE source = ?", [source])
    return rows["body"][0] if rows.height else None


def save_mapping_json(app: AppStore, source: str, table: str, body: str, now: dt.datetime) -> None:
    with app.transaction() as con:
        con.execute(
            "INSERT OR REPLACE INTO mappings VALUES (?, ?, ?, ?)", [source, table, body, now]
        )
