"""The one import flow: stage → recognise → map → check → impact → load → rescore.

The Data page's wizard, ``tandem import`` and the connected database all go through
``ImportFlow``; each rule of an import lives here once:

- a file the evidence does not decide *needs a table*: nothing is checked or written until a
  person names one (``needs_table``);
- nothing loads while a source has errors, a table is blocked, or a yes it needs was not
  given; the identity yes is its own, and only a leader (or the command line, whoever can
  write the data folder) may give it (``require_identity_approver``);
- a check holds for the folder, plan and stored data it was given for (``CheckStamp``);
- an unattended reload (the connected database) stops at any rejected row and never gives a
  yes;
- every load is followed by a rescore.

The rescore lives in ``jobs/refresh.py``, which a workflow may not import (the layer rules,
``tests/test_house.py``): each caller passes it in as ``rescore(stores) -> as_of``. The page
passes the app's rescore (with its progress bar), the command line ``refresh``.

The staging engine, recognition and the checks themselves are ``ingest``'s; the types the
screens and the command line speak in are re-exported here, so the UI never imports ingest.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from dashboard import clock
from dashboard.ingest.bundle import (
    ImportPlan,
    ImportReport,
    ImportStep,
    NeedsTable,
    RecognisedFiles,
    Reference,
    bundle_plan,
    files_plan,
    plan_recognised,
    read_mapping,
)
from dashboard.ingest.connectors import SourceConfig, SourceError, read_table, source_config
from dashboard.ingest.impact import (
    MODE_LABELS,
    IdentityChange,
    ImportRefused,
    LoadMode,
    TableImpact,
    impact_frame,
    refusals,
)
from dashboard.ingest.limits import Limits, limits_from_settings
from dashboard.ingest.mapping import Mapping, suggest_mapping
from dashboard.ingest.readers import FileError, StagedFile, excel_sheets, view_name
from dashboard.ingest.recognition import ColumnChoice, Recognition
from dashboard.ingest.session import Checked, ImportSession
from dashboard.ingest.validate import Prepared, allowed_values, vocabulary_table
from dashboard.ingest.vocabulary import BECOMES, with_edits
from dashboard.schema import columns
from dashboard.store import Stores
from dashboard.store.mappings import save_mapping_json
from dashboard.store.sources import SourceStore
from dashboard.workflows.access import Viewer
from dashboard.workflows.imports import CheckStamp, require_identity_approver, require_same_check

Rescore = Callable[[Stores], dt.date]
"""Score the stores just loaded into; returns the date scored as of (the caller's refresh)."""

Plan = list[tuple[Mapping, str | None]]  # (mapping, staged file's view or None for a query)

__all__ = [
    "BECOMES",
    "MODE_LABELS",
    "Checked",
    "ColumnChoice",
    "FileError",
    "IdentityChange",
    "ImportFlow",
    "ImportPlan",
    "ImportRefused",
    "ImportReport",
    "ImportStep",
    "LoadMode",
    "Loaded",
    "Mapping",
    "NeedsTable",
    "Plan",
    "Prepared",
    "RecognisedFiles",
    "Recognition",
    "Reference",
    "Rescore",
    "SourceConfig",
    "SourceError",
    "StagedFile",
    "TableImpact",
    "allowed_values",
    "bundle_plan",
    "files_plan",
    "impact_frame",
    "import_files",
    "read_mapping",
    "reload_from_database",
    "source_config",
    "view_name",
    "vocabulary_table",
    "with_edits",
]


@dataclass
class Loaded:
    """A load that landed: the rows written per table and the date it was scored as of."""

    counts: dict[str, int]
    as_of: dt.date

    def sentence(self, where: str = "") -> str:
        return (
            "Loaded "
            + ", ".join(f"{n:,} {t}" for t, n in self.counts.items())
            + f"{where}; scored as of {self.as_of}."
        )


@dataclass
class ImportFlow:
    """One import (one browser session's uploads, one CLI run, one database reload), from
    its staged files to the rescored data. ``close()`` removes its staging folder."""

    limits: Limits = field(default_factory=limits_from_settings)
    files_allowed: Sequence[Path] = ()
    session: ImportSession = field(init=False)

    def __post_init__(self) -> None:
        self.session = ImportSession(self.limits, self.files_allowed)

    def close(self) -> None:
        self.session.close()

    # -- stage ----------------------------------------------------------------------------
    @property
    def files(self) -> dict[str, StagedFile]:
        """The staged files, by view name."""
        return self.session.files

    def save_upload(self, name: str, data: bytes) -> Path:
        return self.session.save_upload(name, data)

    def sheets(self, path: Path) -> list[str]:
        """The sheets of an uploaded workbook (``FileError`` when it cannot be read)."""
        return excel_sheets(path, self.limits)

    def add(self, name: str, data: bytes | Path, sheet: str | None = None) -> StagedFile:
        """Stage a file (uploaded bytes or a path); ``FileError`` for a bad file."""
        return self.session.add(name, data, sheet)

    def add_frame(self, name: str, frame: pl.DataFrame) -> StagedFile:
        return self.session.add_frame(name, frame)

    def drop(self, view: str) -> None:
        """Forget a staged file (a workbook whose sheet changed is staged again)."""
        self.session.files.pop(view, None)

    # -- recognise and map ------------------------------------------------------------------
    def recognise(self, views: list[str]) -> RecognisedFiles:
        """What each file nobody described is, from its header and values; a file the
        evidence does not decide is listed in ``needs_table`` and is not in the work."""
        return plan_recognised(self.session, views)

    def plan_of(self, plan: ImportPlan) -> RecognisedFiles:
        """The work of a described plan: named files with their mappings (suggested when
        only the table is named), the rest recognised."""
        work: Plan = []
        unnamed: list[str] = []
        for step in plan.steps:
            if step.mapping is not None and step.mapping.query:
                work.append((step.mapping, None))
                continue
            staged = self.files[view_name(step.files[0].name)]
            if step.mapping is None:
                unnamed.append(staged.view)
                continue
            mapping = step.mapping
            if not mapping.columns and not mapping.combine:
                mapping = suggest_mapping(mapping.table, staged.columns)
            work.append((mapping, staged.view))
        found = self.recognise(unnamed)
        found.work = work + found.work
        return found

    @staticmethod
    def suggest(table: str, file_columns: list[str]) -> Mapping:
        """A mapping of a file's columns onto ``table``, by name."""
        return suggest_mapping(table, file_columns)

    def distinct_values(self, view: str, column: str, limit: int = 31) -> list[str]:
        return self.session.distinct_values(view, column, limit)

    def find_accounts(self, text: str, limit: int = 50) -> dict[str, str]:
        return self.session.find_accounts(text, limit)

    # -- check and impact -------------------------------------------------------------------
    def check(
        self,
        plan: Plan,
        store: SourceStore | Stores | None,
        today: dt.date,
        mode: LoadMode = LoadMode.UPDATE,
        pins: pl.DataFrame | None = None,
        presets: dict[str, str] | None = None,
    ) -> Checked:
        """Every row validated and, when no source has errors, the impact on ``store``
        (the workspace written into; None: an empty one). Nothing is written to the store
        (a replace is written ahead into the import's own folder; only ``load`` publishes)."""
        return self.session.check(plan, store, today, mode, pins, presets)

    # -- load and rescore -------------------------------------------------------------------
    def load(
        self,
        checked: Checked,
        stores: Stores,
        label: str,
        *,
        rescore: Rescore,
        confirmed: bool = False,
        identity_confirmed: bool = False,
        actor: str | None = None,
        viewer: Viewer | None = None,
        now: dt.datetime | None = None,
        stamps: tuple[CheckStamp, CheckStamp] | None = None,
        remember: Plan | None = None,
    ) -> Loaded:
        """Load what was checked into ``stores`` in one published generation, then rescore.

        Refused (nothing written) when the check was given for another folder, plan or
        data (``stamps``: the check's and the current one), when ``viewer`` may not give the
        identity yes (None: the command line), or when the impact refuses these yeses.
        ``remember``: the plan whose file mappings are saved (at ``now``) for the next
        upload of the same file names."""
        if stamps is not None:
            require_same_check(*stamps, stores.sources)  # names the load that came since
        if viewer is not None:
            changes = len(checked.identity_changes) if identity_confirmed else 0
            require_identity_approver(viewer, changes)
        counts = self.session.load(
            stores,
            checked.prepared,
            checked.impacts,
            label,
            confirmed=confirmed,
            identity_confirmed=identity_confirmed,
            actor=actor,
            now=now,
        )
        for mapping, view in remember or []:
            if view and view in self.files and now is not None:
                save_mapping_json(
                    stores.app,
                    self.files[view].name,
                    mapping.table,
                    mapping.model_dump_json(),
                    now or clock.now(),
                )
        return Loaded(counts, rescore(stores))


def import_files(
    store: SourceStore | None,
    plan: ImportPlan,
    today: dt.date,
    limits: Limits,
    *,
    rescore: Rescore,
    mode: LoadMode = LoadMode.UPDATE,
    confirmed: bool = False,
    identity_confirmed: bool = False,
    actor: str | None = None,
    dry_run: bool = False,
    target: Callable[[], Stores] | None = None,
    pins: pl.DataFrame | None = None,
) -> tuple[ImportReport, Loaded | None]:
    """Files from disk (``tandem import``): stage each once, recognise the ones nobody
    described, check every step against ``store`` (None: empty). Unless ``dry_run``, a file
    needs a table, a step has errors or the impact refuses, load it all into the stores
    ``target()`` opens (called only then: opening may move a demo out of the way) and
    rescore them."""
    paths = sorted({f for step in plan.steps for f in step.files})
    flow = ImportFlow(limits, paths)
    flow.session.prebuild = not dry_run and target is not None  # a check that loads nothing
    try:
        for path in paths:
            if view_name(path.name) not in flow.files:
                flow.add(path.name, path)
        found = flow.plan_of(plan)
        report = ImportReport(
            [],
            skipped=found.skipped,
            references=found.references,
            needs_table=found.needs_table,
            recognitions=found.recognitions,
        )
        if found.needs_table:
            return report, None  # nothing is checked or written until a person decides
        checked = flow.check(found.work, store, today, mode, pins, found.presets)
        report.prepared, report.impacts = checked.prepared, checked.impacts
        if report.errors:
            return report, None
        report.refused = checked.refused(confirmed, identity_confirmed)
        if dry_run or report.refused or target is None:
            return report, None
        loaded = flow.load(
            checked,
            target(),
            plan.label,
            rescore=rescore,
            confirmed=True,
            identity_confirmed=identity_confirmed,
            actor=actor,
        )
        report.loaded = loaded.counts
        return report, loaded
    finally:
        flow.close()


def check_database(
    config: SourceConfig, stores: Stores, today: dt.date
) -> tuple[ImportFlow, Checked]:
    """Read every configured table and check it like an upload (nothing written). The
    database is the source of truth: its tables replace the stored ones."""
    flow = ImportFlow()
    plan: Plan = []
    try:
        for table, spec in config.tables.items():
            frame = read_table(config, spec, flow.limits)
            if frame.is_empty():  # an empty table there: nothing to load while ours is empty
                held = stores.sources.row_count(table) if stores.sources.has_table(table) else 0
                if held == 0:
                    continue
                raise SourceError(
                    f"{table}: the database's table is empty and would remove the {held:,} "
                    "rows stored here: nothing changed"
                )
            staged = flow.add_frame(f"{table} (database)", frame)
            mapping = Mapping(
                table=table, columns={c: c for c in columns(table) if c in frame.columns}
            )
            plan.append((mapping, staged.view))
        return flow, flow.check(plan, stores.sources, today, LoadMode.REPLACE)
    except (SourceError, FileError):
        flow.close()
        raise


def reload_from_database(
    config: SourceConfig,
    stores: Stores,
    today: dt.date,
    *,
    rescore: Rescore,
    actor: str | None = None,
) -> Loaded:
    """Reload every configured table in one transaction, then rescore. Unattended: any
    rejected row, or a reload that would remove more than half of a table or orphan child
    rows (nobody is there to confirm), raises ``SourceError`` with the reasons and nothing
    is written. ``actor``: who asked (default the command line's user)."""
    flow, checked = check_database(config, stores, today)
    try:
        problems = checked.errors
        for p in checked.prepared:  # unattended: a row that does not fit stops the reload
            if p.rejects.height:
                first = "; ".join(p.rejects["reasons"].head(3).to_list())
                problems.append(
                    f"{p.table}: {p.rejects.height} row(s) rejected "
                    f"(row {p.rejects['row'][0]}: {first})"
                )
        if problems:
            raise SourceError("; ".join(problems))
        refused = refusals(checked.impacts, confirmed=False)  # unattended: nobody gives a yes
        if refused:
            raise SourceError("the reload was refused, nothing changed: " + "; ".join(refused))
        label = f"database {config.redacted_uri()}"
        return flow.load(checked, stores, label, rescore=rescore, actor=actor)
    finally:
        flow.close()
