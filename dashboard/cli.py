"""The ``tandem`` command line: build the demo, refresh scores, import files, backtest."""

from __future__ import annotations

import argparse
import datetime as dt
import errno
import getpass
import json
import math
import os
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import duckdb

from dashboard import clock
from dashboard.config import get_settings
from dashboard.ingest.demo import DemoSpec, load_demo
from dashboard.ingest.limits import limits_from_settings
from dashboard.ingest.report import file_summary, impact_summary, reference_summary
from dashboard.ingest.warehouse import (
    WarehouseConfig,
    WarehouseError,
    check_warehouse,
    features_in_warehouse,
    warehouse_config,
)
from dashboard.ingest.warehouse_views import (
    ViewsRefused,
    create_views,
    ids_checker,
    plan_views,
    read_raw_tables,
    script,
    status_reader,
    view_statements,
)
from dashboard.jobs.backup import BackupError, backup
from dashboard.jobs.delivery import DeliverySettings, delivery_settings
from dashboard.jobs.demo_history import seed_demo_handoffs
from dashboard.jobs.refresh import RefreshError, RefreshResult, calibrated_summary, refresh
from dashboard.jobs.warehouse import sync_from_warehouse
from dashboard.schema import SOURCE_TABLES
from dashboard.store import AppStore, SchemaError, SourceStore, StoreError, Stores
from dashboard.store.dialects import ENGINES, compile_features
from dashboard.store.features import FeaturesUnavailable, default_as_of, features_at
from dashboard.store.load_log import (
    UndoRefused,
    command_line_actor,
    describe,
    load_records,
    undo_plan,
)
from dashboard.store.pins import pins_of_folder
from dashboard.store.workspaces import import_target, team_store, workspace_dir
from dashboard.text import CHURN_HORIZON_DAYS, to_csv
from dashboard.views.lab import (
    CALIBRATED,
    BacktestResult,
    backtest_report,
    backtest_snapshots,
    calibrated_backtest,
    compare_on_snapshots,
)
from dashboard.workflows.import_flow import (
    FileError,
    ImportPlan,
    ImportReport,
    ImportStep,
    LoadMode,
    Mapping,
    SourceError,
    bundle_plan,
    files_plan,
    import_files,
    read_mapping,
    reload_from_database,
    source_config,
    view_name,
)
from dashboard.workflows.loads import undo_load
from dashboard.workflows.scorecards import active_scorecard, load_saved, load_scorecard_file
from scoring.churn_risk import largest_gap
from scoring.lab_analysis import SurvivalCheck
from scoring.scorecard import Scorecard


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from exc


def progress(fraction: float, message: str) -> None:
    """Long work reports to standard error, so standard output stays one JSON object."""
    print(f"[{fraction:4.0%}] {message}", file=sys.stderr)


def _folder(args: argparse.Namespace) -> Path:
    """The workspace a command works on: the team's data, or (``--demo``) the demo's."""
    root = get_settings().data_dir
    if getattr(args, "demo", False):
        return workspace_dir(root, "demo", SourceStore(root, create=False))
    return root


def cmd_demo(args: argparse.Namespace) -> int:
    """Build the demo in its own workspace (``DATA_DIR/demo``): never over the team's data."""
    args.demo = True
    folder = _folder(args)
    stores = Stores.open(folder)
    spec = DemoSpec(accounts=args.accounts, seed=args.seed, anchor=args.anchor)
    started = time.perf_counter()
    counts = load_demo(stores.sources, spec, progress)
    result = refresh(
        stores, args.anchor, folder, backfill_weeks=args.backfill_weeks, progress=progress
    )
    handoffs_made = seed_demo_handoffs(stores, args.anchor, args.seed)
    seconds = round(time.perf_counter() - started, 2)
    print(
        json.dumps(
            {
                "data_dir": str(folder),
                "seconds": seconds,
                **counts,
                "scored_accounts": result.accounts,
                "handoffs": handoffs_made,
            }
        )
    )
    return 0


def cmd_refresh(args: argparse.Namespace) -> int:
    folder = _folder(args)
    config = None if args.demo else source_config()
    try:
        warehouse = None if args.demo else warehouse_config()
    except WarehouseError as exc:
        print(f"tandem refresh: {exc}", file=sys.stderr)
        return 2
    if config is not None or warehouse is not None:
        # a database reload writes the team's data: a demo there moves out
        folder = import_target(folder)
    if args.nice > 0:
        os.nice(args.nice)  # the servers answer people first; the nightly work waits
    stores = Stores.open(folder)
    stores.sources.verify()  # damage in the generation it starts from stops it, with a message
    try:
        scorecard = load_scorecard_file(args.scorecard) if args.scorecard else None
    except ValueError as exc:
        print(f"tandem refresh: {exc}", file=sys.stderr)
        return 2
    today = clock.today()
    scored: list[RefreshResult] = []

    def rescore(target: Stores) -> dt.date:
        scored.append(
            refresh(
                target,
                as_of or default_as_of(target.sources, today),
                folder,
                scorecard=scorecard,
                backfill_weeks=args.backfill_weeks,
                progress=progress,
                delivery=_delivery_settings() if args.deliver else None,
                calibrate=args.calibrate,
            )
        )
        return scored[-1].as_of

    source_failed = False
    as_of = args.as_of
    if warehouse is not None:  # the features are computed there; the small tables come back
        card = scorecard or active_scorecard(stores.app)
        try:
            run = sync_from_warehouse(
                stores,
                warehouse,
                today,
                as_of=as_of,
                scorecard=card.name,
                backfill_weeks=args.backfill_weeks,
                actor=cli_actor(),
            )
        except WarehouseError as exc:
            print(
                f"tandem refresh: the warehouse run failed; nothing was published and the "
                f"last published scores keep serving: {exc}",
                file=sys.stderr,
            )
            return 3
        as_of = run.as_of
        print(
            f"features from {warehouse.redacted_url()} ({warehouse.engine}, schema "
            f"{warehouse.schema}): {run.feature_rows:,} rows for {len(run.dates)} dates, "
            f"{run.feature_bytes:,} bytes; small tables {run.tables}",
            file=sys.stderr,
        )
    if config is not None and warehouse is None:
        try:
            loaded = reload_from_database(config, stores, today, rescore=rescore, actor=cli_actor())
        except (SourceError, FileError) as exc:
            print(
                f"tandem refresh: the connected source failed, scoring the stored data: {exc}",
                file=sys.stderr,
            )
            source_failed = True
        else:
            print(f"reloaded from {config.redacted_uri()}: {loaded.counts}", file=sys.stderr)
    if not scored:
        rescore(stores)
    result = scored[-1]
    if not result.accounts and not args.demo:
        print(
            "tandem refresh: the team's workspace holds no account yet (the demo is "
            "refreshed with --demo)",
            file=sys.stderr,
        )
    print(
        json.dumps(
            {
                "as_of": result.as_of.isoformat(),
                "accounts": result.accounts,
                "snapshots_written": result.snapshots_written,
                "tasks_created": result.tasks_created,
                "digests": len(result.digests),
                "delivered": asdict(result.delivery) if result.delivery else None,
                "calibrated": result.calibrated,
                "problems": result.problems,
                "seconds": result.seconds,
            }
        )
    )
    for problem in result.problems:  # reported, never a failed refresh
        print(f"tandem refresh: {problem}", file=sys.stderr)
    if result.delivery:
        for error in result.delivery.errors:  # reported, never a failed refresh
            print(f"tandem refresh: not delivered: {error}", file=sys.stderr)
    return 1 if source_failed else 0


def _delivery_settings() -> DeliverySettings:
    secrets = [
        Path.cwd() / ".streamlit" / "secrets.toml",
        Path.home() / ".streamlit" / "secrets.toml",
    ]
    settings = delivery_settings(dict(os.environ), secrets)
    if not settings.channels:
        print(
            "tandem refresh: --deliver without TANDEM_SMTP_URL or TANDEM_WEBHOOK_URL (or "
            "[tandem.delivery] in .streamlit/secrets.toml): nothing is sent",
            file=sys.stderr,
        )
    return settings


def _named_tables(pairs: list[str]) -> dict[str, str]:
    """``--as FILE=TABLE`` options: the table a person named for a file."""
    named: dict[str, str] = {}
    for pair in pairs:
        file, _, table = pair.rpartition("=")
        if not file or table not in SOURCE_TABLES:
            raise FileError(
                f"--as {pair}: give FILE=TABLE with TABLE one of {', '.join(SOURCE_TABLES)}"
            )
        named[Path(file).name] = table
    return named


def _import_plan(args: argparse.Namespace) -> ImportPlan:
    if args.bundle:
        return bundle_plan(args.bundle)
    files = list(args.files)
    table = args.table
    if table is not None and table not in SOURCE_TABLES:  # `tandem import FILE…`: no table
        files.insert(0, Path(table))
        table = None
    skip = {Path(f).name for f in args.skip or []}
    files = [f for f in files if f.name not in skip]
    if not files:
        raise FileError("give FILE… (each is recognised), TABLE FILE…, or --bundle B")
    named = _named_tables(args.as_table or [])
    mapping = read_mapping(args.mapping) if args.mapping else None
    if named and table is None and mapping is None:
        return ImportPlan(
            f"import of {', '.join(f.name for f in files)}",
            [
                ImportStep(Mapping(table=named[f.name]) if f.name in named else None, [f])
                for f in files
            ],
        )
    if mapping is not None and table is not None and mapping.table != table:
        raise FileError(f"{args.mapping} maps table {mapping.table!r}, not {table!r}")
    return files_plan(files, table or (mapping.table if mapping else None), mapping)


def _rejects_out(report: ImportReport, folder: Path | None) -> dict[str, str]:
    """Write each table's rejected rows, with their reasons, as CSV under ``folder``."""
    written: dict[str, str] = {}
    if folder is None:
        return written
    for p in report.prepared:
        if p.rejects.height:
            folder.mkdir(parents=True, exist_ok=True)
            target = folder / f"{p.table}-{view_name(p.source)}-rejected.csv"
            target.write_text(to_csv(p.rejects), encoding="utf-8")
            written[p.source] = str(target)
    return written


def _import_json(report: ImportReport, dry_run: bool) -> dict[str, Any]:
    return {
        "dry_run": dry_run,
        "files": [file_summary(p) for p in report.prepared]
        + [reference_summary(r) for r in report.references],
        "recognised": {name: r.as_json() for name, r in report.recognitions.items()},
        "needs_table": [
            {
                "file": n.file,
                "table": None,
                "guesses": n.guesses,
                "confidence": round(n.confidence, 2),
            }
            for n in report.needs_table
        ],
        "skipped": report.skipped,
        "tables": {i.table: impact_summary(i) for i in report.impacts},
        "accounts_matched": {p.table: p.accounts_matched for p in report.prepared if p.ok},
        "accounts_unmatched": {p.table: p.accounts_unmatched for p in report.prepared if p.ok},
        "refused": report.refused,
        "loaded": report.loaded or None,
    }


def _print_import(report: ImportReport, rejects: dict[str, str]) -> None:
    for p in report.prepared:
        preset = f" [{p.preset}]" if p.preset else ""
        print(
            f"{p.table} <- {p.source}{preset}: {p.valid_rows:,} of {p.total_rows:,} rows valid",
            file=sys.stderr,
        )
        for note in p.notes:
            print(f"  note: {note}", file=sys.stderr)
        for error in p.errors:
            print(f"  error: {error}", file=sys.stderr)
        if p.rejects.height:
            where = f", with reasons, in {rejects[p.source]}" if p.source in rejects else ""
            print(f"  {p.rejects.height:,} rows rejected{where}", file=sys.stderr)
            for row in p.rejects.head(5).iter_rows(named=True):
                print(f"    row {row['row']}: {row['reasons']}", file=sys.stderr)
    for ref in report.references:
        used = f"read with {ref.used_by}" if ref.used_by else "not loaded on its own"
        print(
            f"{ref.table} <- {ref.file} [{ref.preset}]: a reference file, {used}", file=sys.stderr
        )
    for skipped in report.skipped:
        print(f"skipped: {skipped}", file=sys.stderr)
    for needs in report.needs_table:
        print(f"refused: {needs.message}", file=sys.stderr)
    for i in report.impacts:
        print(
            f"{i.table} ({i.mode.value}): {i.rows_now:,} rows now -> {i.rows_after:,} after; "
            f"{i.rows_added:,} added, {i.rows_removed:,} removed, {i.rows_changed:,} changed",
            file=sys.stderr,
        )
    for reason in report.refused:
        print(f"refused: {reason}", file=sys.stderr)


def cli_actor() -> str:
    """Who runs a command, for the audit log: the operating system's user (whoever runs
    ``tandem`` can write the data folder: an admin of this install)."""
    try:
        return f"{getpass.getuser()} (command line)"
    except (KeyError, OSError):
        return "command line"


def cmd_import(args: argparse.Namespace) -> int:
    settings = get_settings()
    today = clock.today()
    root = settings.data_dir
    mode = LoadMode.REPLACE if args.replace else LoadMode(args.mode)
    limits = limits_from_settings()
    scored: list[RefreshResult] = []

    def rescore(target: Stores) -> dt.date:  # the flow rescores after a load
        scored.append(refresh(target, default_as_of(target.sources, today), root))
        return scored[-1].as_of

    try:
        plan = _import_plan(args)
        store = team_store(root, settings.keep_generations)  # read only: nothing created
        report, loaded = import_files(
            store,
            plan,
            today,
            limits,
            rescore=rescore,
            mode=mode,
            confirmed=args.replace or args.confirm,
            identity_confirmed=args.confirm_identities,
            actor=cli_actor(),
            dry_run=args.dry_run,
            pins=pins_of_folder(root),
            target=lambda: Stores.open(import_target(root)),  # a demo there moves out first
        )
    except FileError as exc:
        print(f"tandem import: {exc}", file=sys.stderr)
        return 2
    rejects_dir = args.rejects or (None if args.dry_run else root / "rejects")
    rejects = _rejects_out(report, rejects_dir)
    _print_import(report, rejects)
    failed = bool(report.errors or report.refused or report.needs_table or not report.impacts)
    if failed:
        print("nothing was loaded: the stored data is unchanged", file=sys.stderr)
    result: dict[str, Any] = _import_json(report, args.dry_run)
    if loaded is not None:  # the flow rescored after the load
        result |= {"scored_accounts": scored[-1].accounts, "as_of": loaded.as_of.isoformat()}
    if args.json or report.loaded or report.needs_table:
        print(json.dumps(result, default=str))
    return 2 if failed else 0


def _scorecard_arg(value: str | None, app: AppStore) -> Scorecard:
    """A saved scorecard's name, a TOML file, or (None) the active scorecard."""
    if value is None:
        return active_scorecard(app)
    if Path(value).suffix == ".toml" or Path(value).exists():
        return load_scorecard_file(Path(value))
    return load_saved(app, value)


def _number(value: Any) -> Any:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def _survival_json(found: SurvivalCheck | None) -> dict[str, Any]:
    """Time to churn out of time: the Cox model's concordance and its 95 % interval."""
    if found is None:
        return {"concordance": None, "concordance_ci": [None, None], "note": "not computed"}
    return {
        "concordance": _number(found.concordance),
        "concordance_ci": [_number(v) for v in found.interval],
        "churn_events": found.events,
        "observations": found.observations,
        "note": found.note,
    }


def _backtest_json(result: BacktestResult, card: Scorecard, active: Scorecard) -> dict[str, Any]:
    mine, theirs = result.candidate, result.active
    return {
        "scorecard": card.name,
        "weights": card.weights,
        "horizon_days": result.horizon,
        "verdict": result.candidate_verdict,
        "auc": _number(mine.auc),
        "auc_ci": [_number(v) for v in result.intervals.candidate],
        "band_churn_rates": {band: asdict(rate) for band, rate in mine.band_churn_rates.items()},
        "red_lift": _number(mine.red_lift),
        "bottom_decile_precision": _number(mine.bottom_decile_precision),
        "n_accounts": mine.n_accounts,
        "n_churn_events": mine.n_churn_events,
        "n_observations": mine.n_observations,
        "snapshots": [d.isoformat() for d in result.dates],
        "components": [
            {k: _number(v) for k, v in asdict(row).items()} for row in result.components
        ],
        # each stakeholder signal alone, on the same snapshots: AUC, interval, counts, lift
        "signals": [{k: _number(v) for k, v in asdict(row).items()} for row in result.signals],
        "calibration": result.calibration.table.to_dicts(),
        "calibration_note": result.calibration.note,
        "reliability": {  # the same table, with its largest gap (the rule: ≤ 0.05 per decile)
            "deciles": result.calibration.table.to_dicts(),
            "largest_gap": _number(largest_gap(result.calibration.table)),
            # over the deciles whose observed rate is known to ±5 points (the rule's)
            "largest_judged_gap": _number(largest_gap(result.calibration.table, True)),
            "not_judged": [
                r["decile"]
                for r in result.calibration.table.iter_rows(named=True)
                if not r["judged"]
            ],
            "note": result.calibration.note,
        },
        "survival": _survival_json(result.survival),
        "active_scorecard": active.name,
        "active_verdict": result.active_verdict,
        "active_auc": _number(theirs.auc),
        "active_auc_ci": [_number(v) for v in result.intervals.active],
        "auc_difference_ci": [_number(v) for v in result.intervals.difference],
        "seconds": asdict(result.seconds),
    }


def _print_backtest(result: BacktestResult, card: Scorecard, active: Scorecard) -> None:
    same = (card.weights, card.params) == (active.weights, active.params)
    report = backtest_report(result, active.name, card.name, same, markdown=False)
    span = f"{result.dates[0]} … {result.dates[-1]}" if result.dates else "no snapshot"
    print(
        f"Backtest of {card.name!r}, churn within {result.horizon} days, "
        f"{len(result.dates)} snapshots 30 days apart, {span}"
    )
    print(f"  {report.caption}")
    print(f"  {report.verdicts}")
    mine = result.candidate
    if mine.auc is None:
        return
    if not same:
        print(f"  {report.difference}")
    for band, rate in mine.band_churn_rates.items():
        print(f"  {band:>7}: {rate.rate:.1%} churned of {rate.accounts:,}")
    if mine.red_lift is not None and mine.bottom_decile_precision is not None:
        print(
            f"  lift of red {mine.red_lift:.2f}x; bottom-decile precision "
            f"{mine.bottom_decile_precision:.1%}"
        )
    print("  each component alone:")
    for row in result.components:
        auc = (
            f"AUC {row.auc:.3f} ({row.low:.3f}–{row.high:.3f})" if row.auc is not None else "no AUC"
        )
        print(
            f"    {row.component:<12} weight {row.weight:>5.1f}  {auc}, data for {row.coverage:.0%}"
        )
    if result.signals:
        print(
            "  each stakeholder signal alone (raised: account-snapshots; lift: churn raised ÷ known):"
        )
    for row in result.signals:
        auc = (
            f"AUC {row.auc:.3f} ({row.low:.3f}–{row.high:.3f})" if row.auc is not None else "no AUC"
        )
        lift = f"lift {row.lift:.2f}x" if row.lift is not None else "no lift"
        print(
            f"    {row.component:<17} {auc}, raised {row.raised:,} ({row.raised_churned:,} "
            f"churned), {lift}, known for {row.coverage:.0%}"
        )
    if result.calibration.note:
        print(f"  churn probability: {result.calibration.note}")
    else:
        print(
            "  churn probability, later snapshots, each by the model known on its date "
            "(decile: predicted vs observed, its 95 % interval, rows and accounts):"
        )
        for r in result.calibration.table.iter_rows(named=True):
            judged = "" if r["judged"] else " (not judged: known to less than ±5 points)"
            print(
                f"    {r['decile']:>2}: {r['predicted']:.1%} vs {r['observed']:.1%} "
                f"({r['low']:.1%}–{r['high']:.1%}) of {r['n']:,} rows, {r['accounts']:,} "
                f"accounts, {r['churned_accounts']:,} churned{judged}"
            )


def cmd_backtest(args: argparse.Namespace) -> int:
    stores = Stores.open(_folder(args))
    active = active_scorecard(stores.app)
    calibrating = args.scorecard == CALIBRATED
    try:
        card = active if calibrating else _scorecard_arg(args.scorecard, stores.app)
    except (ValueError, OSError) as exc:
        print(f"tandem backtest: {exc}", file=sys.stderr)
        return 2
    snapshots = backtest_snapshots(stores.sources, args.horizon)
    fitted = None
    if calibrating:  # fit on the earlier snapshots, backtest on the later ones only
        fitted, found = calibrated_backtest(snapshots, active)
        if found is None or fitted.scorecard is None:
            out = {
                "scorecard": CALIBRATED,
                "horizon_days": args.horizon,
                "verdict": fitted.verdict,
                "auc": None,
                "message": fitted.refused,
                "n_churn_events": fitted.churn_events,
                "snapshots": [d.isoformat() for d in snapshots.dates],
            }
            print(json.dumps(out) if args.json else fitted.refused)
            return 0
        card, result = fitted.scorecard, found
    else:
        result = compare_on_snapshots(snapshots, active, card)
    out = _backtest_json(result, card, active)
    if fitted is not None:
        out |= {
            "fitted_on": [d.isoformat() for d in fitted.train_dates],
            "fitted_churn_events": fitted.churn_events,
            "offered": fitted.refused is None,
            "message": fitted.refused or calibrated_summary(fitted, active.name),
        }
    if args.json:
        print(json.dumps(out, default=str))
        return 0
    if fitted is not None:
        print(out["message"])
    _print_backtest(result, card, active)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """N Streamlit processes behind nginx, until Ctrl-C (or SIGTERM)."""
    import signal

    from dashboard.jobs.serve import ServeError, serve

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        with serve(get_settings().data_dir, args.workers, args.host, args.port) as served:
            print(json.dumps({"url": served.url, "workers": served.workers}), flush=True)
            while True:
                time.sleep(3600)
    except ServeError as exc:
        print(f"tandem serve: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0


def cmd_backup(args: argparse.Namespace) -> int:
    try:
        manifest = backup(Stores.open(), args.dest, clock.now())
    except (BackupError, StoreError, OSError) as exc:
        print(f"tandem backup: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(manifest))
    return 0


def _engine_config(url: str, schema: str | None) -> WarehouseConfig:
    """``--engine``: a warehouse URL, or an engine's name (compiled only, never connected)."""
    configured = warehouse_config()
    fallback = configured.schema if configured else "public"
    config = WarehouseConfig(
        url=url if "://" in url else f"{url}://",
        schema=schema or fallback,
        usage=configured.usage if configured else "events",
    )
    config.engine  # noqa: B018 - an unknown scheme is refused before anything runs
    return config


def cmd_features(args: argparse.Namespace) -> int:
    """The feature table at a date, from the local store or a warehouse, as Parquet (or the
    SQL an engine would run, with ``--sql``)."""
    try:
        if args.sql:
            given = _engine_config(args.engine, args.schema) if args.engine else None
            engine, usage = (given.engine, given.usage) if given else ("postgres", "both")
            print(compile_features(engine, [args.as_of], schema=args.schema, usage=usage))
            return 0
        if args.out is None:
            print("tandem features: --out FILE.parquet (or --sql) is needed", file=sys.stderr)
            return 2
        if args.engine:
            config = _engine_config(args.engine, args.schema)
            frame = features_in_warehouse(config, [args.as_of])
            where = f"{config.redacted_url()} ({config.engine})"
        else:
            frame = features_at(Stores.open(_folder(args)).sources, [args.as_of])
            where = "the local store"
    except WarehouseError as exc:
        print(f"tandem features: {exc}", file=sys.stderr)
        return 3
    args.out.parent.mkdir(parents=True, exist_ok=True)
    frame.write_parquet(args.out)
    print(
        json.dumps(
            {
                "from": where,
                "as_of": args.as_of.isoformat(),
                "rows": frame.height,
                "columns": frame.width,
                "out": str(args.out),
            }
        )
    )
    return 0


def cmd_warehouse_check(args: argparse.Namespace) -> int:
    """Each canonical table of the warehouse's schema: present, its columns and types, its
    rows. Reads only."""
    try:
        config = warehouse_config()
        if config is None:
            print("tandem warehouse check: set TANDEM_WAREHOUSE_URL (and _SCHEMA)", file=sys.stderr)
            return 2
        checks = check_warehouse(config)
    except WarehouseError as exc:
        print(f"tandem warehouse check: {exc}", file=sys.stderr)
        return 3
    print(f"{config.redacted_url()} ({config.engine}), schema {config.schema}:")
    for c in checks:
        status = "missing" if c.rows is None else f"{c.rows:,} rows"
        print(f"  {c.table}: {status}" + ("" if c.problems or c.rows is None else ", ok"))
        for problem in c.problems if c.rows is not None else ():
            print(f"    - {problem}")
    failed = [c for c in checks if c.problems]
    if failed:
        print(f"{len(failed)} of {len(checks)} tables need attention", file=sys.stderr)
    return 1 if failed else 0


def _confirmed(question: str) -> bool:
    """A person's yes on the terminal (anything else, or no terminal input, is a no)."""
    print(question + " [y/N] ", end="", file=sys.stderr, flush=True)
    try:
        answer = sys.stdin.readline()
    except (OSError, ValueError):
        return False
    return answer.strip().lower() in ("y", "yes")


def cmd_warehouse_views(args: argparse.Namespace) -> int:
    """The canonical tables as views over the raw synced tables of ``--from``, generated from
    the file import's vendor presets: shown (or ``--print``-ed for a dbt project), and
    created only with ``--create`` and a yes."""
    try:
        configured = warehouse_config()
        if args.engine:
            config = _engine_config(args.engine, args.schema)
        elif configured is not None:
            config = WarehouseConfig(
                configured.url, args.schema or configured.schema, configured.timeout_seconds
            )
        else:
            print("tandem warehouse views: set TANDEM_WAREHOUSE_URL or --engine", file=sys.stderr)
            return 2
        only = [t.strip() for t in args.tables.split(",") if t.strip()] if args.tables else None
        schemas = [s.strip() for given in args.raw_schema for s in given.split(",") if s.strip()]
        raw = read_raw_tables(config, schemas, only)
        plan = plan_views(raw, status_reader(config), ids_checker(config))
        statements = view_statements(plan, config.engine, config.schema)
    except ViewsRefused as exc:
        print(f"tandem warehouse views: {exc}", file=sys.stderr)
        return 1
    except WarehouseError as exc:
        print(f"tandem warehouse views: {exc}", file=sys.stderr)
        return 3
    print(script(statements), end="")
    fed = ", ".join(
        f"{table} <- " + " + ".join(f"{s.raw} ({s.preset})" for s in sources)
        for table, sources in plan.sources.items()
    )
    print(f"views in {config.schema}: {fed}; every other canonical table empty", file=sys.stderr)
    if plan.references:
        print(
            f"not read by the views (lookups the file import joins): {', '.join(plan.references)}",
            file=sys.stderr,
        )
    if not args.create:
        if not args.print:
            print(
                "nothing was created: --create creates these views (after a yes), --print "
                "prints only the SQL (for your dbt project)",
                file=sys.stderr,
            )
        return 0
    where = f"{config.redacted_url()}, schema {config.schema}"
    if not args.yes and not _confirmed(f"create {len(statements) - 1} views in {where}?"):
        print("nothing was created", file=sys.stderr)
        return 1
    try:
        create_views(config, statements)
    except WarehouseError as exc:
        print(f"tandem warehouse views: {exc}", file=sys.stderr)
        return 3
    print(
        f"created {len(statements) - 1} views in {where}; `tandem warehouse check` checks them",
        file=sys.stderr,
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tandem", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="build the seeded demo portfolio into the store")
    demo.add_argument("--accounts", type=int, default=get_settings().demo_accounts)
    demo.add_argument("--seed", type=int, default=get_settings().demo_seed)
    demo.add_argument(
        "--anchor",
        type=_date,
        default=clock.today(),
        help="the last day of history (default: today)",
    )
    demo.add_argument(
        "--backfill-weeks",
        type=int,
        default=12,
        help="weekly score snapshots to rebuild before the anchor (default 12)",
    )
    demo.set_defaults(func=cmd_demo)

    ref = sub.add_parser(
        "refresh", help="score every account, keep the day's snapshot, write digests"
    )
    ref.add_argument(
        "--as-of",
        type=_date,
        default=None,
        help="default: today (or the day after the newest data, if older)",
    )
    ref.add_argument(
        "--scorecard", type=Path, help="a scorecard TOML file (default: the active one)"
    )
    ref.add_argument(
        "--backfill-weeks",
        type=int,
        default=0,
        help="also rebuild the weekly snapshots of the N weeks before",
    )
    ref.add_argument("--demo", action="store_true", help="refresh the demo's workspace")
    ref.add_argument(
        "--nice",
        type=int,
        default=10,
        help="lower the refresh's CPU priority by this much (default 10), so the app's servers "
        "on the same machine answer first while it runs; 0 keeps the priority",
    )
    ref.add_argument(
        "--deliver",
        action="store_true",
        help="send each owner's digest by e-mail (TANDEM_SMTP_URL) and to chat "
        "(TANDEM_WEBHOOK_URL); once per owner, role and day",
    )
    ref.add_argument(
        "--calibrate",
        action="store_true",
        help="also fit a scorecard on the history (>= 30 churn events) and save it for review "
        "in the Score lab when it predicts churn on later snapshots (never activated)",
    )
    ref.set_defaults(func=cmd_refresh)

    fea = sub.add_parser(
        "features",
        help="write the feature table at a date, computed locally or in a warehouse, as Parquet",
    )
    fea.add_argument("--as-of", type=_date, required=True)
    fea.add_argument("--out", type=Path, help="the Parquet file to write")
    fea.add_argument(
        "--engine",
        help="a warehouse URL (postgresql://…, spark://local) to compute them there; with "
        f"--sql also an engine's name ({', '.join(ENGINES)})",
    )
    fea.add_argument("--schema", help="the schema of the canonical tables there")
    fea.add_argument("--sql", action="store_true", help="print the compiled SQL, run nothing")
    fea.add_argument("--demo", action="store_true", help="the demo's workspace")
    fea.set_defaults(func=cmd_features)

    wh = sub.add_parser("warehouse", help="the warehouse of TANDEM_WAREHOUSE_URL")
    wh_sub = wh.add_subparsers(dest="warehouse_command", required=True)
    wh_check = wh_sub.add_parser(
        "check", help="each canonical table there: present, columns and types, rows (reads only)"
    )
    wh_check.set_defaults(func=cmd_warehouse_check)
    wh_views = wh_sub.add_parser(
        "views",
        help="the canonical tables as views over raw synced tables (Fivetran/Airbyte layouts), "
        "from the file import's presets: shown, or created with --create",
    )
    wh_views.add_argument(
        "--from",
        dest="raw_schema",
        action="append",
        required=True,
        help="a schema of raw synced tables (repeat, or comma-separate: one per connector)",
    )
    wh_views.add_argument(
        "--engine", help="a warehouse URL (default: TANDEM_WAREHOUSE_URL); read with SELECT only"
    )
    wh_views.add_argument(
        "--schema", help="the schema the views go to (default: TANDEM_WAREHOUSE_SCHEMA)"
    )
    wh_views.add_argument("--tables", help="only these raw tables, comma-separated")
    what = wh_views.add_mutually_exclusive_group()
    what.add_argument("--print", action="store_true", help="print the SQL only, create nothing")
    what.add_argument(
        "--create", action="store_true", help="also make the views there (asks first, unless --yes)"
    )
    wh_views.add_argument("--yes", action="store_true", help="no question before --create")
    wh_views.set_defaults(func=cmd_warehouse_views)

    imp = sub.add_parser(
        "import", help="load files (each recognised, or for a named table), checked first"
    )
    imp.add_argument("table", nargs="?", help="canonical table (accounts, …); omit to recognise")
    imp.add_argument("files", nargs="*", type=Path, help="CSV/TSV, Parquet or XLSX files")
    imp.add_argument("--mapping", type=Path, help="a mapping TOML file (default: recognised)")
    imp.add_argument("--bundle", type=Path, help="a bundle TOML file: several tables at once")
    imp.add_argument(
        "--mode",
        choices=[m.value for m in LoadMode],
        default=LoadMode.UPDATE.value,
        help="how the files change the tables: update (default: by id; event tables by the "
        "period the file covers), replace or append",
    )
    imp.add_argument(
        "--replace",
        action="store_true",
        help="replace the tables, and confirm a load that removes more than half of a table "
        "or leaves child rows without their account",
    )
    imp.add_argument("--confirm", action="store_true", help="confirm such a load in the mode given")
    imp.add_argument(
        "--confirm-identities",
        action="store_true",
        help="confirm changes to who people are (an owner's e-mail, role or team; an owner "
        "removed): a separate yes, audited with your user name",
    )
    imp.add_argument("--dry-run", action="store_true", help="check only: write nothing at all")
    imp.add_argument(
        "--skip",
        action="append",
        metavar="FILE",
        help="leave this file out (a file the evidence does not decide stops the import)",
    )
    imp.add_argument(
        "--as",
        dest="as_table",
        action="append",
        metavar="FILE=TABLE",
        help="the table a file feeds, when recognition asks",
    )
    imp.add_argument("--json", action="store_true", help="print the report as one JSON object")
    imp.add_argument(
        "--rejects", type=Path, help="folder for the rejected rows (default: DATA_DIR/rejects)"
    )
    imp.set_defaults(func=cmd_import)

    back = sub.add_parser(
        "backtest", help="how well a scorecard's health predicted churn on past snapshots"
    )
    back.add_argument(
        "--scorecard",
        help="a saved scorecard's name, a TOML file, or 'calibrated': weights fitted on the "
        "earlier snapshots and backtested on the later ones (default: the active scorecard)",
    )
    back.add_argument(
        "--horizon",
        type=int,
        default=CHURN_HORIZON_DAYS,
        help=f"churn within N days (default {CHURN_HORIZON_DAYS})",
    )
    back.add_argument("--json", action="store_true", help="print the metrics as one JSON object")
    back.add_argument("--demo", action="store_true", help="backtest on the demo's workspace")
    back.set_defaults(func=cmd_backtest)
    srv = sub.add_parser(
        "serve", help="serve the app for a team: N Streamlit processes behind nginx (sticky)"
    )
    srv.add_argument("--workers", type=int, default=2, help="Streamlit processes (default 2)")
    srv.add_argument("--port", type=int, default=8501, help="the port nginx listens on")
    srv.add_argument("--host", default="127.0.0.1", help="the address nginx listens on")
    srv.set_defaults(func=cmd_serve)

    bak = sub.add_parser("backup", help="a consistent copy of both stores, in a new folder")
    bak.add_argument("dest", type=Path, help="a new (or empty) folder")
    bak.set_defaults(func=cmd_backup)

    rep = sub.add_parser(
        "repair", help="serve the newest generation that reads whole (a lost or bad pointer)"
    )
    rep.add_argument("--demo", action="store_true", help="repair the demo's workspace")
    rep.set_defaults(func=cmd_repair)
    _add_load_commands(sub)
    return parser


def _add_load_commands(sub: Any) -> None:
    """``tandem loads`` and ``tandem undo``."""
    lds = sub.add_parser("loads", help="every load (and undo) of the team's data, newest first")
    lds.add_argument("--json", action="store_true", help="print the loads as one JSON list")
    lds.set_defaults(func=cmd_loads)
    und = sub.add_parser(
        "undo", help="put the source data back to just before a load (default: the latest)"
    )
    und.add_argument("load_id", nargs="?", help="the load to undo (`tandem loads` lists them)")
    und.add_argument("--yes", action="store_true", help="also undo the later loads that go with it")
    und.set_defaults(func=cmd_undo)


def _load_entry_json(entry: dict[str, Any]) -> dict[str, Any]:
    loaded_at = entry["loaded_at"]
    return {
        "load_id": entry["load_id"],
        "kind": entry["kind"],
        "loaded_at": loaded_at.isoformat() if loaded_at else None,
        "actor": entry["actor"],
        "source": entry["source"],
        "files": json.loads(entry["files"] or "[]"),
        "mode": entry["mode"],
        "tables": json.loads(entry["tables"] or "{}"),
        "undoes": json.loads(entry["undoes"] or "[]"),
        "undone_by": entry["undone_by"],
        "in_effect": entry["undone_by"] is None,
        "generation": entry["generation"],
        "generation_before": entry["generation_before"],
    }


def _table_line(table: str, change: dict[str, int]) -> str:
    counts = (
        f"{change['rows_before']:,} -> {change['rows_after']:,} rows; "
        if "rows_before" in change
        else ""
    )
    return (
        f"    {table}: {counts}{change.get('added', 0):,} added, "
        f"{change.get('removed', 0):,} removed, {change.get('changed', 0):,} changed"
    )


def cmd_loads(args: argparse.Namespace) -> int:
    settings = get_settings()
    store = team_store(settings.data_dir, settings.keep_generations)
    entries = [] if store is None else list(load_records(store).iter_rows(named=True))
    out = [_load_entry_json(e) for e in entries]
    if args.json:
        print(json.dumps(out))
        return 0
    if not out:
        print("no load recorded in the team's workspace")
    for e in out:
        what = f"undo of {', '.join(e['undoes'])}" if e["kind"] == "undo" else e["source"]
        files = f" ({', '.join(e['files'])})" if e["files"] else ""
        state = "" if e["in_effect"] else f"  [undone by {e['undone_by']}]"
        print(
            f"{e['load_id']:<6} {e['loaded_at'][:16].replace('T', ' ')} UTC  {e['actor']}  "
            f"{e['mode']}  {what}{files}{state}"
        )
        for table, change in e["tables"].items():
            print(_table_line(table, change))
    return 0


def cmd_undo(args: argparse.Namespace) -> int:
    settings = get_settings()
    root = settings.data_dir
    store = team_store(root, settings.keep_generations)
    try:
        if store is None:
            raise UndoRefused("there is no load to undo: the team's workspace holds no data")
        plan = undo_plan(store, args.load_id)
        print(
            f"undoing {describe(plan.target)}: the source data goes back to "
            f"{plan.restore or 'an empty store'}",
            file=sys.stderr,
        )
        for table in SOURCE_TABLES:
            now, after = plan.rows_now.get(table, 0), plan.rows_after.get(table, 0)
            if now != after:
                print(f"    {table}: {now:,} -> {after:,} rows", file=sys.stderr)
        for later in plan.later:
            print(f"  it also undoes the later load {describe(later)}", file=sys.stderr)
        if plan.later and not args.yes:
            raise UndoRefused(
                f"undoing {plan.load_id} also undoes {len(plan.later)} later load(s), listed "
                "above: nothing was changed. Run it again with --yes to undo them all."
            )
        stores = Stores.open(root)
        result = undo_load(
            stores,
            plan.load_id,
            actor=command_line_actor(),
            now=clock.now(),
            expect_latest=plan.latest,
            confirm_later=args.yes,
        )
    except UndoRefused as exc:
        print(f"tandem undo: {exc}", file=sys.stderr)
        return 2
    scored = refresh(stores, default_as_of(stores.sources, clock.today()), root)
    print(
        json.dumps(
            {
                "undo_id": result.undo_id,
                "undone": result.undone,
                "also_undone": result.also_undone,
                "restored_generation": result.restored,
                "tables": result.tables,
                "scored_accounts": scored.accounts,
                "as_of": scored.as_of.isoformat(),
            }
        )
    )
    return 0


def cmd_repair(args: argparse.Namespace) -> int:
    """Point CURRENT at the newest generation that reads whole (after a lost or bad pointer,
    or a damaged newest file); nothing is removed."""
    store = SourceStore(_folder(args), get_settings().keep_generations)
    try:
        store.verify()
    except StoreError as exc:
        print(f"tandem repair: {exc}", file=sys.stderr)
    else:
        print(json.dumps({"serving": store.generation(), "changed": False}))
        return 0
    chosen = store.repair()
    if chosen is None:
        print("tandem repair: no generation reads whole; restore a backup", file=sys.stderr)
        return 2
    print(json.dumps({"serving": chosen.name, "changed": True}))
    return 0


def _published() -> dict[str, str | None]:
    """What each workspace's store serves now (its pointer's text), to tell afterwards
    whether a failed command had published anything before it failed."""
    try:
        root = get_settings().data_dir
    except ValueError:
        return {}
    out: dict[str, str | None] = {}
    for folder in (root, root / "demo"):
        try:
            out[str(folder)] = (folder / "sources" / "CURRENT").read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            out[str(folder)] = None
    return out


def _failure_message(exc: BaseException, published: bool = False) -> str:
    """What a failed command says instead of a traceback; on a full disk, whether the data
    was published before the failure (a load that landed, then a rescore that did not)."""
    outcome = (
        "the data was published before that; run `tandem refresh` once there is room, to score it"
        if published
        else "nothing was published"
    )
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return f"the disk is full ({exc.filename or 'data folder'}); {outcome}"
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if "No space left on device" in text or "disk is full" in text.lower():
        return f"the disk is full: {text}; {outcome}"
    return text


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    before = _published()
    try:
        return int(args.func(args))
    except (
        StoreError,
        SchemaError,
        RefreshError,
        FeaturesUnavailable,
        WarehouseError,
        duckdb.Error,
        OSError,
    ) as exc:
        published = _published() != before
        print(f"tandem {args.command}: {_failure_message(exc, published)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
