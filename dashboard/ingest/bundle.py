"""Imports from the command line: files (each recognised, or for a named table), or a bundle
of tables at once. Every file is staged once, every table checked, the impact computed; the
load happens only when nothing is blocked and what needs a yes got one."""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from dashboard.ingest.impact import LoadMode, TableImpact, refusals
from dashboard.ingest.limits import Limits
from dashboard.ingest.mapping import Mapping, suggest_mapping
from dashboard.ingest.readers import FileError, view_name
from dashboard.ingest.session import ImportSession
from dashboard.ingest.validate import Prepared
from dashboard.store import Stores
from dashboard.store.sources import SourceStore


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
class ImportStep:
    """One source of one table: a mapping (None: recognise the file) and its files (a query
    mapping reads them all; a column mapping reads the one file)."""

    mapping: Mapping | None
    files: list[Path]


@dataclass
class ImportPlan:
    label: str
    steps: list[ImportStep]


@dataclass
class ImportReport:
    prepared: list[Prepared]
    impacts: list[TableImpact] = field(default_factory=list)
    loaded: dict[str, int] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # files no table was found for

    @property
    def errors(self) -> list[str]:
        return [e for p in self.prepared for e in p.errors]


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
    except FileNotFoundError as exc:
        raise FileError(f"bundle {path} does not exist") from exc
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise FileError(f"bundle {path}: {exc}") from exc
    base = path.parent
    steps: list[ImportStep] = []
    for item in bundle.load:
        files = [(base / f).resolve() for f in item.files]
        mapping = read_mapping(base / item.mapping) if item.mapping else Mapping(table=item.table)
        if mapping.query:
            steps.append(ImportStep(mapping, files))
        else:
            steps.extend(ImportStep(mapping, [f]) for f in files)
    return ImportPlan(bundle.source, steps)


def files_plan(files: list[Path], table: str | None, mapping: Mapping | None) -> ImportPlan:
    """Files for a named table (with a mapping, or one suggested), or each recognised."""
    if mapping is None and table is not None:
        mapping = Mapping(table=table)
    label = f"import of {', '.join(f.name for f in files)}"
    return ImportPlan(label, [ImportStep(mapping, [f]) for f in files])


def _work(
    session: ImportSession, plan: ImportPlan
) -> tuple[list[tuple[Mapping, str | None]], list[str]]:
    from dashboard.ingest.presets import recognise

    work: list[tuple[Mapping, str | None]] = []
    skipped: list[str] = []
    for step in plan.steps:
        if step.mapping is not None and step.mapping.query:
            work.append((step.mapping, None))
            continue
        staged = session.files[view_name(step.files[0].name)]
        mapping = step.mapping
        if mapping is None:
            found = recognise(staged.columns, staged.name)
            if found is None:
                skipped.append(
                    f"{staged.name}: no table recognised from its columns "
                    f"({', '.join(staged.columns[:12])}{'…' if len(staged.columns) > 12 else ''}); "
                    "name the table (tandem import TABLE FILE) or give a mapping"
                )
                continue
            mapping = found
        elif not mapping.columns:
            mapping = suggest_mapping(mapping.table, staged.columns)
        work.append((mapping, staged.view))
    return work, skipped


def run_import(
    store: SourceStore | None,
    plan: ImportPlan,
    today: dt.date,
    limits: Limits,
    *,
    mode: LoadMode = LoadMode.UPDATE,
    confirmed: bool = False,
    dry_run: bool = False,
    target: Stores | None = None,
) -> ImportReport:
    """Stage every file once, validate each step and compute the impact against ``store``
    (the workspace written into; None: an empty one). Unless ``dry_run``, any step has
    errors or the impact refuses, load all of it into ``target`` in one generation."""
    paths = sorted({f for step in plan.steps for f in step.files})
    session = ImportSession(limits, files=paths)
    try:
        for path in paths:
            if view_name(path.name) not in session.files:
                session.add(path.name, path)
        work, skipped = _work(session, plan)
        prepared = session.prepare(work, store, today, mode)
        report = ImportReport(prepared, skipped=skipped)
        if report.errors:
            return report
        report.impacts = session.impact(prepared, store, mode)
        report.refused = refusals(report.impacts, confirmed)
        if dry_run or report.refused or target is None:
            return report
        report.loaded = session.load(target, prepared, report.impacts, plan.label, confirmed=True)
        return report
    finally:
        session.close()
