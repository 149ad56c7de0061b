"""What an import of files is: files (each recognised, or for a named table), or a bundle of
tables at once, and what recognition made of the files nobody described. The flow that
stages, checks, loads and rescores them is ``workflows/import_flow.py``."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from dashboard.ingest.impact import TableImpact
from dashboard.ingest.mapping import Mapping, suggest_mapping
from dashboard.ingest.presets import GENERIC
from dashboard.ingest.readers import FileError
from dashboard.ingest.recognition import (
    ColumnChoice,
    Recognition,
    evidence_mapping,
    recognise_frame,
)
from dashboard.ingest.session import ImportSession
from dashboard.ingest.validate import Prepared


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
    references: list[Reference] = field(default_factory=list)  # lookup files of a layout
    needs_table: list[NeedsTable] = field(default_factory=list)  # files the evidence left open
    recognitions: dict[str, Recognition] = field(default_factory=dict)  # by file name

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


@dataclass
class Reference:
    """A lookup file of a vendor layout: read with another preset's file, or not at all."""

    file: str
    table: str
    preset: str
    rows: int
    used_by: str | None
    note: str | None


@dataclass
class NeedsTable:
    """A file nobody should guess: its two best guesses and how to go on."""

    file: str
    guesses: list[str]
    confidence: float

    @property
    def message(self) -> str:
        options = " or ".join(self.guesses)
        return (
            f"{self.file}: needs a table: the evidence does not decide (best guesses {options}, "
            f"confidence {self.confidence:.0%}); name it (tandem import TABLE {self.file}, or "
            f"--as {self.file}={self.guesses[0]}) or leave it out (--skip {self.file})"
        )


@dataclass
class RecognisedFiles:
    """What recognition made of the files nobody described: the work (mapping, view), the
    preset of each view, the reference files, the files not loaded (not customer data) and
    those that need a table, and the recognition of every file (by file name)."""

    work: list[tuple[Mapping, str | None]] = field(default_factory=list)
    presets: dict[str, str] = field(default_factory=dict)
    references: list[Reference] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    needs_table: list[NeedsTable] = field(default_factory=list)
    recognitions: dict[str, Recognition] = field(default_factory=dict)
    columns: dict[str, list[ColumnChoice]] = field(default_factory=dict)  # generic mappings


def plan_recognised(session: ImportSession, views: list[str]) -> RecognisedFiles:
    """For files nobody described: what each file is, from its header and its values
    (``ingest/recognition.py``), a vendor layout whose header fits counting as strong
    evidence; the preset's query when its companion files are in the import. A file is
    loaded only when the evidence decides; one recognised as not customer data is left out
    with the reason; one the evidence does not decide needs a table."""
    from dashboard.ingest.presets import enriched, recognise_file

    found = {v: recognise_file(session.files[v].columns, session.files[v].name) for v in views}
    present = {r.preset: v for v, r in found.items() if r is not None}
    out = RecognisedFiles()
    used: dict[str, str] = {}
    for view, layout in found.items():
        staged = session.files[view]
        if layout is not None and layout.reference:
            continue
        preset = (layout.preset, layout.table) if layout and layout.preset != GENERIC else None
        recognition = recognise_frame(session.sample(view), staged.name, preset)
        out.recognitions[staged.name] = recognition
        if recognition.verdict == "not_customer":
            out.skipped.append(
                f"{staged.name}: not customer data, not loaded ({'; '.join(recognition.evidence[:3])}); "
                "name a table to load it anyway"
            )
            continue
        if recognition.verdict == "ask" or recognition.table is None:
            out.needs_table.append(
                NeedsTable(staged.name, recognition.guesses(), recognition.confidence)
            )
            continue
        table = recognition.table
        if (
            layout is not None
            and layout.preset != GENERIC
            and layout.table == table
            and layout.mapping is not None
        ):
            mapping = layout.mapping  # a vendor's layout: its own mapping
        else:  # names matched, then checked against the values
            mapping, out.columns[staged.name] = evidence_mapping(
                suggest_mapping(table, staged.columns), session.sample(view)
            )
        if preset is not None and layout is not None and layout.table == table:
            with_query = enriched(layout.preset, view, present, staged.columns)
            if with_query is not None:
                mapping = with_query
                for companion_view in present.values():
                    if f'"{companion_view}"' in (with_query.query or "") and companion_view != view:
                        used[companion_view] = staged.name
            out.presets[view] = layout.preset
        out.work.append((mapping, view))
    out.references = [
        Reference(
            session.files[v].name, r.table, r.preset, session.files[v].rows, used.get(v), r.note
        )
        for v, r in found.items()
        if r is not None and r.reference
    ]
    return out
