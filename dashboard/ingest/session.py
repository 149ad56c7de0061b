"""An import: files staged in an in-memory DuckDB, validated against their mappings, its
impact on the stored tables shown, then — only when nothing is blocked and what needs a yes
got one — loaded into the store in one published generation.

The staging engine sees only the import's own folder and the files it was given: file
access beyond them is switched off, and its memory, threads and spill folder are fixed and
locked before any file is read. A mapping's SQL runs on another connection that sees only the
staged tables, with a time, memory and thread limit it cannot raise.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import shutil
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from dashboard import clock
from dashboard.ingest import matching
from dashboard.ingest.impact import (
    IdentityChange,
    ImportRefused,
    LoadMode,
    TableImpact,
    compute_impacts,
    identity_changes,
    incoming_view,
    refusals,
)
from dashboard.ingest.limits import Limits, limits_from_settings
from dashboard.ingest.mapping import Mapping
from dashboard.ingest.readers import (
    FileError,
    StagedFile,
    create_table,
    stage_file,
    stage_frame,
    view_name,
)
from dashboard.ingest.validate import Context, Prepared, distinct_values, numbered, prepare
from dashboard.schema import ID_COLUMNS, LOAD_ORDER, columns
from dashboard.store import Stores, audit_log, identities
from dashboard.store.imports import (
    contact_keys_sql,
    stored_accounts,
    stored_match_keys,
    stored_owner_ids,
)
from dashboard.store.load_log import command_line_actor, record_load
from dashboard.store.sources import SourceStore, write_rows
from dashboard.store.sql import ident, literal

# Tables checked once the accounts are known and before the rest: their rows are keys to an
# account for the files after them (another system's ids; a contact's CRM id and e-mail).
KEY_TABLES = ("account_keys", "contacts")
KNOWN = "__known_accounts"  # the account ids child rows must point into
OWNER_IDS = "__owner_ids"  # owner id -> name, from this import's and the stored owners
NOT_CUSTOMERS = "__not_customers"  # account ids this import's account files say are not customers
GENERATION = "__generation"  # the generation being built, attached while a load writes it
# the next generation built ahead, while an import in replace mode is checked: a private copy
# of the published one in the import's folder, into which each replaced table's valid rows
# are written by the pass that checks them; the load publishes it when nothing else was
# published meanwhile (else it builds the generation as usual, from these checked rows)
PREBUILT = "__prebuilt"


def staging_connection(
    folder: Path, files: Sequence[Path], limits: Limits
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB that can read only ``folder`` and ``files``, with its memory,
    threads and spill folder set, then locked."""
    con = duckdb.connect()
    (folder / "spill").mkdir(exist_ok=True)
    allowed_dirs = [str(folder.resolve()) + "/"]
    allowed_files = [str(Path(f).resolve()) for f in files]
    con.execute(f"SET allowed_directories = [{', '.join(literal(d) for d in allowed_dirs)}]")
    if allowed_files:
        con.execute(f"SET allowed_paths = [{', '.join(literal(f) for f in allowed_files)}]")
    con.execute(f"SET temp_directory = {literal(str(folder / 'spill'))}")
    con.execute(f"SET memory_limit = '{limits.staging_memory_mb}MB'")
    # staged tables live for one import: compressing them in an automatic checkpoint costs
    # seconds per ten million rows and saves nothing (beyond the memory limit they spill)
    con.execute("SET checkpoint_threshold = '1TB'")
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    return con


@dataclass
class Checked:
    """An import checked: each source validated and, when none has errors, its impact."""

    prepared: list[Prepared]
    impacts: list[TableImpact] = field(default_factory=list)

    @property
    def errors(self) -> list[str]:
        return [e for p in self.prepared for e in p.errors]

    @property
    def identity_changes(self) -> list[IdentityChange]:
        """The changes to who people are this load would make (each needs a leader's yes)."""
        return identity_changes(self.impacts)

    def refused(self, confirmed: bool = False, identity_confirmed: bool = False) -> list[str]:
        """Why it may not load with these yeses (empty: it may)."""
        return refusals(self.impacts, confirmed, identity_confirmed)


def query_target(table: str, view: str | None) -> str:
    """The staging table a query mapping's result lands in (one per table and file)."""
    return f"__query_{table}" + (f"_{view}" if view else "")


class ImportSession:
    """Holds the staged files of one import (one browser session or one CLI run)."""

    def __init__(self, limits: Limits | None = None, files: Sequence[Path] = ()) -> None:
        self.limits = limits or limits_from_settings()
        self._dir = Path(tempfile.mkdtemp(prefix="tandem-import-"))
        self.con = staging_connection(self._dir, files, self.limits)
        self.files: dict[str, StagedFile] = {}
        self.timings: dict[str, float] = {}  # seconds per step: stage, prepare, impact, load
        # build the next generation ahead while a replace is checked (False: a dry run,
        # which writes nothing, not even a private copy)
        self.prebuild = True
        self._prebuilt: tuple[Path, str] | None = None  # its file, the generation it copies
        self._prebuilt_tables: dict[str, str] = {}  # table -> the view whose rows it holds
        # what the account directory is built from, until something matches against it:
        # an import whose rows all name known accounts never builds it
        self._directory_due: tuple | None = None

    def close(self) -> None:
        self.con.close()
        shutil.rmtree(self._dir, ignore_errors=True)

    def _drop_prebuilt(self) -> None:
        if self._prebuilt is not None:
            with contextlib.suppress(duckdb.Error):
                self.con.execute(f"DETACH {PREBUILT}")
            for leftover in self._dir.glob(self._prebuilt[0].name + "*"):
                leftover.unlink(missing_ok=True)
        self._prebuilt, self._prebuilt_tables = None, {}

    def _prebuild(
        self, plan: list[tuple[Mapping, str | None]], store: SourceStore | None, mode: LoadMode
    ) -> None:
        """In replace mode, copy the published generation into the import's folder and
        attach it: each table that one source replaces is written there as it is checked.
        Nothing of the store is touched; the copy is published only by ``load``."""
        self._drop_prebuilt()
        if not self.prebuild or store is None or mode is not LoadMode.REPLACE:
            return
        sources = Counter(m.table for m, _ in plan)
        # the contacts are written by the load itself (``write_rows``), which first records
        # the stored people the file leaves out as gone from the CRM; a table of people is
        # small, so building it ahead would save little
        tables = {
            m.table: view for m, view in plan if sources[m.table] == 1 and m.table != "contacts"
        }
        if not tables:
            return
        path = self._dir / "prebuilt.duckdb"
        base = store.prebuild(path)
        if base is None:
            return
        self.con.execute(f"ATTACH {literal(str(path))} AS {PREBUILT}")
        self._prebuilt, self._prebuilt_tables = (path, base), tables

    def save_upload(self, name: str, data: bytes) -> Path:
        """Keep uploaded bytes as a file in the session's own folder."""
        path = self._dir / Path(name).name
        path.write_bytes(data)
        return path

    def add(self, name: str, data: bytes | Path, sheet: str | None = None) -> StagedFile:
        """Stage a file (uploaded bytes or a path); raises ``FileError`` for a bad file."""
        if isinstance(data, bytes):
            path = self.save_upload(name, data)
        else:
            path = Path(data)
            if not path.exists():
                raise FileError(f"{name}: no such file")
        started = time.perf_counter()
        staged = stage_file(self.con, name, path, self.limits, self._dir, sheet)
        self.files[staged.view] = staged
        self._timed("stage", started)
        return staged

    def sample(self, view: str, rows: int = 5_000) -> pl.DataFrame:
        """The first ``rows`` rows of a staged file, for recognising what it is."""
        return self.con.cursor().sql(f"SELECT * FROM {ident(view)} LIMIT {int(rows)}").pl()

    def _timed(self, step: str, started: float) -> None:
        self.timings[step] = self.timings.get(step, 0.0) + time.perf_counter() - started

    def add_frame(self, name: str, frame: pl.DataFrame) -> StagedFile:
        """Stage an already read frame (a database table) under ``name``."""
        staged = stage_frame(self.con, name, frame, self.limits)
        self.files[staged.view] = staged
        return staged

    def _directory(self) -> None:
        """Build the account directory the last check made due (once)."""
        if self._directory_due is not None:
            due, self._directory_due = self._directory_due, None
            self._build_directory(*due)

    def find_accounts(self, text: str, limit: int = 50) -> dict[str, str]:
        """Accounts the last check matched against (stored and imported), by id or name."""
        self._directory()
        try:
            return matching.find_in_directory(self.con, text, limit)
        except duckdb.CatalogException:  # not checked yet
            return {}

    def distinct_values(self, view: str, column: str, limit: int = 31) -> list[str]:
        """Distinct values of a staged file's column (for the value maps on screen)."""
        if view not in self.files or column not in self.files[view].columns:
            return []
        return distinct_values(self.con, view, column, limit)

    def _query_source(self, mapping: Mapping, name: str, target: str | None = None) -> str:
        """Run a mapping's SQL on a separate connection that sees only the staged files,
        cannot touch the file system and runs under the query limits; stage its result."""
        sandbox = duckdb.connect()
        sandbox.execute(f"SET memory_limit = '{self.limits.query_memory_mb}MB'")
        sandbox.execute(f"SET threads = {self.limits.query_threads}")
        sandbox.execute("SET enable_external_access = false")
        sandbox.execute("SET lock_configuration = true")
        timer = threading.Timer(self.limits.query_seconds, sandbox.interrupt)
        try:
            for view in self.files:
                sandbox.register(
                    view, self.con.sql(f"SELECT * FROM {ident(view)}").to_arrow_table()
                )
            timer.start()
            try:
                relation = sandbox.sql(mapping.query or "")
                if relation is None:
                    raise FileError(f"{name}: the mapping's query returns no rows (not a SELECT)")
                result = relation.limit(self.limits.max_rows + 1).to_arrow_table()
            except duckdb.InterruptException as exc:
                raise FileError(
                    f"{name}: the mapping's query ran over its time limit of "
                    f"{self.limits.query_seconds:g} s (setting TANDEM_QUERY_SECONDS)"
                ) from exc
            except duckdb.OutOfMemoryException as exc:
                raise FileError(
                    f"{name}: the mapping's query ran over its memory limit of "
                    f"{self.limits.query_memory_mb:,} MB (setting TANDEM_QUERY_MEMORY_MB)"
                ) from exc
            except duckdb.Error as exc:
                raise FileError(
                    f"{name}: the mapping's query failed: {str(exc).splitlines()[0]}"
                ) from exc
        finally:
            timer.cancel()
            sandbox.close()
        if result.num_rows > self.limits.max_rows:
            raise FileError(
                f"{name}: the mapping's query returns more than {self.limits.max_rows:,} rows "
                "(setting TANDEM_MAX_ROWS)"
            )
        target = target or f"__query_{mapping.table}"
        create_table(self.con, target, result)
        return target

    def prepare(
        self,
        plan: list[tuple[Mapping, str | None]],
        store: SourceStore | Stores | None,
        today: dt.date,
        mode: LoadMode = LoadMode.UPDATE,
        pins: pl.DataFrame | None = None,
    ) -> list[Prepared]:
        """Validate each (mapping, file view or None for a query mapping), in ``LOAD_ORDER``.

        Child rows are checked against the accounts the store will hold after the load:
        this import's accounts and (unless it replaces them) the stored ones; a row whose
        key is not an account id is matched across systems (``ingest/matching.py``). Owner
        ids on accounts resolve to names through this import's and the stored owners.
        ``store`` is the workspace the import writes into (None: an empty one); ``pins`` the
        matches people pinned (system, key, account_id).
        """
        started = time.perf_counter()
        store = store.sources if isinstance(store, Stores) else store
        if store is not None and store.current_path() is None:
            store = None
        self._prebuild(plan, store, mode)
        self._directory_due = None
        ordered = sorted(plan, key=lambda item: LOAD_ORDER.index(item[0].table))
        replacing = mode is LoadMode.REPLACE and any(m.table == "accounts" for m, _ in plan)
        stored = None if store is None or replacing else stored_accounts(store)
        self._start(stored, store)
        prepared: list[Prepared] = []
        seen_ids: dict[str, str] = {}
        account_views: list[tuple[Prepared, str]] = []
        phase = 0  # 1: accounts known (keys files match them); 2: keys known (children match)
        for mapping, view in ordered:
            table = mapping.table
            wanted = 1 if table in KEY_TABLES else 2 if table not in ("owners", "accounts") else 0
            if wanted > phase:  # the directory, and the foreign ids known so far
                self._directory_due = (stored, list(account_views), store, list(prepared), pins)
                if table == "account_keys":  # a key file is matched row by row
                    self._directory()
                phase = wanted
            result = self._prepare_one(mapping, view, today, seen_ids)
            if result.ok and "account_id" in columns(table) and table != "accounts":
                result = self._match(mapping, view, result, today, seen_ids)
            if result.ok:
                self._remember(result, mapping, seen_ids, account_views)
            prepared.append(result)
        self._timed("prepare", started)
        return prepared

    # -- the steps of prepare -------------------------------------------------------------
    def _start(self, stored: pl.DataFrame | None, store: SourceStore | None) -> None:
        """The known accounts (stored ones, unless replaced) and the owners' ids (stored)."""
        base = (
            stored.select("account_id")
            if stored is not None
            else pl.DataFrame({"account_id": []}, schema={"account_id": pl.String})
        )
        create_table(self.con, KNOWN, base.to_arrow())
        self.con.execute(
            f"CREATE OR REPLACE TABLE {NOT_CUSTOMERS} (account_id VARCHAR, status VARCHAR)"
        )
        owner_ids = (
            stored_owner_ids(store)
            if store is not None
            else pl.DataFrame(
                {"owner_id": [], "owner": []}, schema={"owner_id": pl.String, "owner": pl.String}
            )
        )
        # odd column names: a file's own "owner_id" column must not shadow them in a subquery
        create_table(
            self.con,
            OWNER_IDS,
            owner_ids.rename({"owner_id": "__oid", "owner": "__oname"}).to_arrow(),
        )

    def _source(self, mapping: Mapping, view: str | None) -> tuple[str, str]:
        """The source's name and the staged table it is read from: a file, or a query's
        result (a query of a vendor preset has the file it starts from as its view)."""
        name = self.files[view].name if view else f"query for {mapping.table}"
        if mapping.query:
            return name, self._query_source(mapping, name, query_target(mapping.table, view))
        return name, ident(view or "")

    def _prepare_one(
        self,
        mapping: Mapping,
        view: str | None,
        today: dt.date,
        seen_ids: dict[str, str],
        source: str | None = None,
    ) -> Prepared:
        staged = None if mapping.query else self.files.get(view or "")
        try:
            name, default_source = self._source(mapping, view)
        except FileError as exc:
            name = self.files[view].name if view else f"query for {mapping.table}"
            return Prepared(table=mapping.table, source=name, mapping=mapping, errors=[str(exc)])
        ctx = Context(
            today=today,
            limits=self.limits,
            known_accounts=KNOWN,
            earlier_ids=seen_ids.get(mapping.table),
            first_row=staged.first_row if staged else 1,
            skipped=tuple(staged.skipped()) if staged else (),
            owner_ids=OWNER_IDS,
            controls=staged.controls if staged else True,
            dictionary=staged.dictionary if staged and source is None else frozenset(),
            not_customers=NOT_CUSTOMERS,
            target=(
                f"{PREBUILT}.{ident(mapping.table)}"
                if mapping.table in self._prebuilt_tables
                else None
            ),
        )
        result = prepare(
            self.con,
            source or default_source,
            name,
            mapping,
            ctx,
            view,
        )
        if staged is not None and staged.bad_lines is not None:
            result.notes.append(
                f"{staged.bad_lines.height} line(s) could not be read as rows; they are "
                "listed with the rejects"
            )
            bad = staged.bad_lines.select(
                pl.col("line").cast(pl.Int64).alias("row"),
                pl.concat_str(
                    pl.lit("line "),
                    pl.col("line").cast(pl.String),
                    pl.lit(": "),
                    pl.col("reason"),
                ).alias("reasons"),
            )
            result.rejects = pl.concat([bad, result.rejects], how="diagonal_relaxed").sort("row")
            result.total_rows += staged.bad_lines.height
        return result

    def _refresh_owner_ids(self, extra: str) -> None:
        self.con.execute(
            f"CREATE OR REPLACE TABLE {OWNER_IDS} AS SELECT __oid, any_value(__oname) AS __oname FROM"
            f" (SELECT __oid, __oname FROM {OWNER_IDS} UNION ALL"
            f" SELECT owner_id, owner FROM {ident(extra)})"
            " WHERE __oid IS NOT NULL GROUP BY __oid HAVING count(DISTINCT __oname) = 1"
        )

    def _build_directory(
        self,
        stored: pl.DataFrame | None,
        account_views: list[tuple[Prepared, str]],
        store: SourceStore | None,
        prepared: list[Prepared],
        pins: pl.DataFrame | None,
    ) -> None:
        """What rows are matched against: the accounts (stored and imported) and the foreign
        ids (stored account keys, this import's key files, id-like columns of its CRM file)."""
        matching.build_directory(self.con, stored, [p.valid_view for p, _ in account_views])
        id_columns: list[tuple[str, str]] = []
        for p, source in account_views:
            linked = f"__linked_{p.view}"
            self.con.execute(
                f"CREATE OR REPLACE TABLE {ident(linked)} AS SELECT s.*, c.account_id FROM"
                f" ({numbered(self.con, source)}) s"
                f" JOIN {ident(p.checked)} c USING (_row) WHERE len(c._reasons) = 0"
            )
            mapped = set(p.mapping.columns.values()) | {"_row", "account_id"}
            id_columns += [(linked, c) for c in matching.id_like_columns(self.con, linked, mapped)]
        keys = [p.valid_view for p in prepared if p.table == "account_keys" and p.ok]
        for p in prepared:  # a contact's CRM id and e-mail lead to its account
            if p.table == "contacts" and p.ok and p.valid_view:
                people = f"__contact_keys_{p.valid_view}"
                self.con.execute(
                    f"CREATE OR REPLACE VIEW {ident(people)} AS"
                    f" {contact_keys_sql(ident(p.valid_view))}"
                )
                keys.append(people)
        stored_keys = stored_match_keys(store) if store is not None else None
        matching.build_keys(self.con, stored_keys, id_columns, keys, pins)

    def _match(
        self,
        mapping: Mapping,
        view: str | None,
        result: Prepared,
        today: dt.date,
        seen_ids: dict[str, str],
    ) -> Prepared:
        """When rows name no known account (or the table is other systems' ids), match them
        across systems and check again; the rule that matched each row is counted."""
        source = query_target(mapping.table, view) if mapping.query else ident(view or "")  # staged
        present = self.con.sql(f"SELECT * FROM {source} LIMIT 0").columns

        def column(canonical: str) -> str | None:  # a query names its output canonically
            found = mapping.columns.get(canonical)
            return found or (canonical if mapping.query and canonical in present else None)

        hints = matching.Hints(
            key=column("account_id"),
            email=mapping.match.get("email"),
            domain=mapping.match.get("domain") or column("domain"),
            name=mapping.match.get("name")
            or (column("account_name") if mapping.table == "account_keys" else None),
            system=mapping.match.get("system") or mapping.constants.get("system"),
        )
        if result.unknown_accounts == 0 and mapping.table != "account_keys":
            if result.valid_rows:
                result.matched_by = {"crm_id": result.valid_rows}
                result.accounts_matched = (
                    result.valid_accounts
                    if result.valid_accounts is not None
                    else self._distinct_accounts(result.valid_view)
                )
            return result
        if not hints.any():
            return result
        self._directory()
        matched = f"__matched_{view or 'query_' + mapping.table}"
        matching.match_source(self.con, source, hints, matched)
        base = {c: c for c in columns(mapping.table) if c in present} if mapping.query else {}
        remapped = mapping.model_copy(
            update={
                "columns": {**base, **mapping.columns, "account_id": "__account_id"},
                "query": None,
            }
        )
        again = self._prepare_one(remapped, view, today, seen_ids, source=ident(matched))
        again.mapping = mapping
        again.matched_by, again.accounts_matched, again.accounts_unmatched = matching.match_counts(
            self.con, matched
        )
        again.unmatched_keys = matching.unmatched_keys(self.con, matched)
        again.system = hints.system
        return again

    def _distinct_accounts(self, valid_view: str) -> int:
        return int(
            self.con.execute(
                f"SELECT count(DISTINCT account_id) FROM {ident(valid_view)}"
            ).fetchall()[0][0]
        )

    def _remember(
        self,
        result: Prepared,
        mapping: Mapping,
        seen_ids: dict[str, str],
        account_views: list[tuple[Prepared, str]],
    ) -> None:
        """What later tables check against: the ids seen, the accounts and owners imported."""
        id_column = ID_COLUMNS.get(mapping.table)
        if id_column:
            ids = f"__ids_{mapping.table}"
            union = f"SELECT id FROM {ids} UNION ALL " if mapping.table in seen_ids else ""
            self.con.execute(
                f"CREATE OR REPLACE TABLE {ids} AS {union}"
                f"SELECT {ident(id_column)} AS id FROM {ident(result.valid_view)}"
            )
            seen_ids[mapping.table] = ids
        if mapping.table == "accounts":
            self.con.execute(
                f"INSERT INTO {KNOWN} SELECT account_id FROM {ident(result.valid_view)}"
            )
            if result.not_customer_view:
                self.con.execute(
                    f"INSERT INTO {NOT_CUSTOMERS} SELECT account_id, status"
                    f" FROM {ident(result.not_customer_view)}"
                )
            source = (
                query_target(mapping.table, result.view)
                if mapping.query
                else ident(result.view or "")
            )
            account_views.append((result, source))
            result.matched_by, result.accounts_matched = {}, result.valid_rows
        if mapping.table == "owners":
            self._refresh_owner_ids(result.valid_view)

    def check(
        self,
        plan: list[tuple[Mapping, str | None]],
        store: SourceStore | Stores | None,
        today: dt.date,
        mode: LoadMode = LoadMode.UPDATE,
        pins: pl.DataFrame | None = None,
        presets: dict[str, str] | None = None,
    ) -> Checked:
        """The one check every import goes through (the Data page, ``tandem import``, the
        connected database): every row validated, and, when no source has errors, the
        impact on the stored tables and what of it needs a yes. Nothing is written to the
        store: in replace mode the valid rows go into the generation this import builds
        ahead in its own folder (``prebuild``), which only ``load`` publishes."""
        prepared = self.prepare(plan, store, today, mode, pins)
        for p in prepared:
            p.preset = (presets or {}).get(p.view or "")
        if any(not p.ok for p in prepared):
            return Checked(prepared)
        return Checked(prepared, self.impact(prepared, store, mode))

    def impact(
        self, prepared: list[Prepared], store: SourceStore | Stores | None, mode: LoadMode
    ) -> list[TableImpact]:
        """What loading the valid rows would do to each stored table (nothing is written)."""
        started = time.perf_counter()
        store = store.sources if isinstance(store, Stores) else store
        if store is not None and store.current_path() is None:
            store = None
        impacts = compute_impacts(self.con, prepared, store, mode, self.limits)
        self._timed("impact", started)
        return impacts

    def _write(self, impact: TableImpact) -> int:
        """Write one table's incoming rows into the attached generation, as its mode says."""
        view = ident(incoming_view(impact.table))
        id_column = ID_COLUMNS.get(impact.table)
        ids = (
            f"(SELECT DISTINCT lower({ident(id_column)}) AS id FROM {view})"
            if id_column and impact.mode is LoadMode.UPDATE
            else None
        )
        return write_rows(
            self.con,
            impact.table,
            view,
            impact.mode.value,
            ids=ids,
            period=impact.period,
            catalog=GENERATION,
        )

    def load(
        self,
        stores: Stores,
        prepared: list[Prepared],
        impacts: list[TableImpact],
        label: str,
        *,
        confirmed: bool = False,
        identity_confirmed: bool = False,
        actor: str | None = None,
        now: dt.datetime | None = None,
    ) -> dict[str, int]:
        """Write every table's valid rows in one published generation: all or none, with
        its record in the load log (``actor``: who loaded; default the command line's user).
        Refused (``ImportRefused``, nothing written) when a source has errors, a table is
        blocked, or a table's impact needs a confirmation that was not given (the identity
        yes is its own: ``identity_confirmed``; whether this person may give it is the
        caller's check, ``workflows/imports.py``). Once published, every table's load and
        every identity change is audited with ``actor``, the counts before and after, and
        each changed person's old and new value; the load history names them."""
        if any(not p.ok for p in prepared):
            raise FileError("fix the errors above first: nothing was loaded")
        changed = [f.name for f in self.files.values() if f.changed()]
        if changed:  # read where they lie: what was checked must be what is written
            raise FileError(
                f"{', '.join(changed)} changed since it was checked: check it again; "
                "nothing was loaded"
            )
        refused = refusals(impacts, confirmed, identity_confirmed)
        if refused:
            raise ImportRefused("nothing was loaded: " + "; ".join(refused))
        by = f" by {actor}" if actor else ""
        started = time.perf_counter()
        counts: dict[str, int] = {}
        mapping_of = {p.table: p.mapping.model_dump_json() for p in prepared}
        ordered = sorted(impacts, key=lambda i: LOAD_ORDER.index(i.table))
        prebuilt = self._prebuilt
        if prebuilt is not None:  # handed to the writer whole: no engine may hold it open
            self.con.execute(f"CHECKPOINT {PREBUILT}")
            self.con.execute(f"DETACH {PREBUILT}")
        try:
            with stores.sources.writer(build_in=self._dir, adopt=prebuilt) as writer:
                # the rows go from this engine straight into the generation's file (attached
                # here, in the import's own folder): no copy through another format, all threads
                with writer.handed_over() as path:
                    self.con.execute(f"ATTACH {literal(str(path))} AS {GENERATION}")
                    if prebuilt is not None and not writer.adopted:  # read what was checked
                        self.con.execute(
                            f"ATTACH {literal(str(prebuilt[0]))} AS {PREBUILT} (READ_ONLY)"
                        )
                    try:
                        for impact in ordered:
                            if (
                                writer.adopted
                                and impact.table in self._prebuilt_tables
                                and impact.mode is LoadMode.REPLACE
                            ):
                                counts[impact.table] = impact.rows_valid  # written when checked
                            else:
                                counts[impact.table] = self._write(impact)
                    finally:
                        self.con.execute(f"DETACH {GENERATION}")
                        if prebuilt is not None and not writer.adopted:
                            self.con.execute(f"DETACH {PREBUILT}")
                for impact in ordered:
                    writer.rows_loaded(impact.table, impact.mode.value)
                    writer.record_load(
                        impact.table,
                        f"{label}{by}: {', '.join(impact.sources)} ({impact.mode.value})",
                        counts[impact.table],
                        mapping_of.get(impact.table),
                    )
                record_load(
                    writer,
                    actor=actor or command_line_actor(),
                    source=label,
                    files=list(dict.fromkeys(s for i in impacts for s in i.sources)),
                    mode=", ".join(dict.fromkeys(i.mode.value for i in impacts)),
                    tables=load_changes(impacts),
                )
        finally:
            if prebuilt is not None and prebuilt[0].exists():  # not published: still checked
                self.con.execute(f"ATTACH {literal(str(prebuilt[0]))} AS {PREBUILT}")
            elif prebuilt is not None:  # published whole: the next load builds anew
                self._prebuilt, self._prebuilt_tables = None, {}
        self._timed("load", started)
        audit_load(stores, impacts, counts, label, actor, now or clock.now())
        return counts


def audit_load(
    stores: Stores,
    impacts: list[TableImpact],
    counts: dict[str, int],
    label: str,
    actor: str | None,
    now: dt.datetime,
) -> None:
    """One audit row per table loaded (who, how, the rows before and after, from which
    files) and one per identity change (the person, the field, the old and the new value)."""
    with stores.app.transaction() as con:
        for i in impacts:
            audit_log.log_in(
                con,
                now,
                actor,
                f"load {i.mode.value}",
                i.table,
                f"{label}: {i.rows_now:,} -> {i.rows_after:,} rows ({i.rows_added:,} added, "
                f"{i.rows_removed:,} removed, {i.rows_changed:,} changed; "
                f"{counts.get(i.table, 0):,} written) from {', '.join(i.sources)}",
            )
            for c in i.identity_changes:
                if c.old and c.field in ("email", "removed"):  # the sign-in follows the person
                    identities.rebind_email(con, c.old, c.new if c.field == "email" else None)
                audit_log.log_in(
                    con,
                    now,
                    actor,
                    "identity change",
                    c.owner,
                    json.dumps(
                        {
                            "field": c.field,
                            "old": c.old,
                            "new": c.new,
                            "holder": c.holder,
                            "load": label,
                        }
                    ),
                )


def load_changes(impacts: list[TableImpact]) -> dict[str, dict[str, int]]:
    """Per table, the rows a load adds, removes and changes (its impact, as confirmed),
    with the child rows that go with the accounts a replace removes."""
    out: dict[str, dict[str, int]] = {}
    for i in impacts:
        out[i.table] = {
            "rows_before": i.rows_now,
            "rows_after": i.rows_after,
            "added": i.rows_added,
            "removed": i.rows_removed,
            "changed": i.rows_changed,
        }
    for i in impacts:
        for child, lost in i.orphans.items():
            if child not in out:
                out[child] = {"removed": lost}
    return out


__all__ = ["FileError", "ImportRefused", "ImportSession", "LoadMode", "view_name"]
