"""The DuckDB store: source data and scores (``sources``) apart from what people type (``app``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dashboard.config import get_settings
from dashboard.store.appdata import AppStore
from dashboard.store.ddl import SchemaError
from dashboard.store.sources import SourceStore, SourceWriter, StoreError

__all__ = ["AppStore", "SchemaError", "SourceStore", "SourceWriter", "StoreError", "Stores"]


@dataclass(frozen=True)
class Stores:
    sources: SourceStore
    app: AppStore

    @classmethod
    def open(cls, data_dir: Path | None = None) -> Stores:
        """Open (creating if needed) both stores under ``data_dir`` (default: settings)."""
        settings = get_settings()
        root = Path(data_dir) if data_dir is not None else settings.data_dir
        return cls(SourceStore(root, settings.keep_generations), AppStore(root))
