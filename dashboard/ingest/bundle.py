"""Imports from the command line: one table from files, or a bundle of tables at once."""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from dashboard.ingest.mapping import Mapping, suggest_mapping
from dashboard.ingest.readers import FileError, view_name
from dashboard.ingest.session import ImportSession
from dashboard.ingest.validate import Prepared
from dashboard.store import Stores


class BundleLoad(BaseModel):
    model_config = ConfigDict(extra="forbid")
    table: str
    files: list[str]
    mapping: str | None = None


class Bundle(BaseModel):
    """A TOML file naming, for each table, its files and mapping (paths relative to it)."""

    model_config = ConfigDict(extra="forbid")
    source: str
    load: list[BundleLoad]


@dataclass
class ImportPlan:
    label: str
    steps: list[tuple[Mapping, list[Path]]]


def read_mapping(path: Path) -> Mapping:
    try:
        return Mapping.from_toml(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise FileError(f"mapping file {path} does not exist") from exc
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise FileError(f"mapping file {path}: {exc}") from exc


def bundle_plan(path: Path) -> ImportPlan:
    try:
        bundle = Bundle.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise FileError(f"bundle {path}: {exc}") from exc
    base = path.parent
    steps = []
    for item in bundle.load:
        files = [(base / f).resolve() for f in item.files]
        mapping = read_mapping(base / item.mapping) if item.mapping else None
        steps.append((mapping or Mapping(table=item.table), files))
    return ImportPlan(bundle.source, steps)


def run_import(
    stores: Stores,
    plan: ImportPlan,
    today: dt.date,
    limit_mb: int,
    *,
    dry_run: bool = False,
) -> tuple[list[Prepared], dict[str, int]]:
    """Stage every file once, validate each step, and load all of it in one transaction
    (unless ``dry_run`` or any step has errors: then nothing is written)."""
    session = ImportSession(limit_mb)
    try:
        for _, files in plan.steps:
            for file in files:
                if view_name(file.name) not in session.files:
                    session.add(file.name, file)
        work: list[tuple[Mapping, str | None]] = []
        for mapping, files in plan.steps:
            view = view_name(files[0].name)
            if not mapping.query and not mapping.columns:
                mapping = suggest_mapping(mapping.table, session.files[view].columns)
            work.append((mapping, None if mapping.query else view))
        prepared = session.prepare(work, stores, today)
        if dry_run or any(not p.ok for p in prepared):
            return prepared, {}
        return prepared, session.load(stores, prepared, plan.label)
    finally:
        session.close()
