"""The ``tandem`` command line: build the demo, refresh scores, import files, backtest."""

from __future__ import annotations

import argparse
import datetime as dt
import errno
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

import duckdb

from dashboard.backup import BackupError, backup
from dashboard.config import get_settings
from dashboard.connectors import SourceError, load_from_database, source_config
from dashboard.demo import DemoSpec, load_demo, seed_demo_handoffs
from dashboard.ingest.bundle import ImportPlan, bundle_plan, read_mapping, run_import
from dashboard.ingest.mapping import Mapping
from dashboard.ingest.readers import FileError
from dashboard.lab import run_backtest
from dashboard.refresh import RefreshError, refresh
from dashboard.scorecards import active_scorecard, load_saved, load_scorecard_file
from dashboard.store import AppStore, SchemaError, SourceStore, StoreError, Stores
from dashboard.store.features import default_as_of
from scoring.scorecard import Scorecard


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from exc


def progress(fraction: float, message: str) -> None:
    """Long work reports to standard error, so standard output stays one JSON object."""
    print(f"[{fraction:4.0%}] {message}", file=sys.stderr)


def cmd_demo(args: argparse.Namespace) -> int:
    stores = Stores.open()
    spec = DemoSpec(accounts=args.accounts, seed=args.seed, anchor=args.anchor)
    started = time.perf_counter()
    counts = load_demo(stores.sources, spec, progress)
    result = refresh(
        stores, args.anchor, get_settings().data_dir, backfill_weeks=args.backfill_weeks,
        progress=progress,
    )  # fmt: skip
    handoffs_made = seed_demo_handoffs(stores, args.anchor, args.seed)
    seconds = round(time.perf_counter() - started, 2)
    print(
        json.dumps(
            {
                "data_dir": str(get_settings().data_dir),
                "seconds": seconds,
                **counts,
                "scored_accounts": result.accounts,
                "handoffs": handoffs_made,
            }  # fmt: skip
        )
    )
    return 0


def cmd_refresh(args: argparse.Namespace) -> int:
    stores = Stores.open()
    settings = get_settings()
    try:
        scorecard = load_scorecard_file(args.scorecard) if args.scorecard else None
    except ValueError as exc:
        print(f"tandem refresh: {exc}", file=sys.stderr)
        return 2
    config = source_config()
    source_failed = False
    if config is not None:
        try:
            counts = load_from_database(config, stores, dt.date.today())
        except (SourceError, FileError) as exc:
            print(f"tandem refresh: the connected source failed, scoring the stored data: {exc}",
                  file=sys.stderr)  # fmt: skip
            source_failed = True
        else:
            print(f"reloaded from {config.redacted_uri()}: {counts}", file=sys.stderr)
    result = refresh(
        stores,
        args.as_of or default_as_of(stores.sources, dt.date.today()),
        settings.data_dir,
        scorecard=scorecard,
        backfill_weeks=args.backfill_weeks,
        progress=progress,
    )
    print(
        json.dumps(
            {
                "as_of": result.as_of.isoformat(),
                "accounts": result.accounts,
                "snapshots_written": result.snapshots_written,
                "tasks_created": result.tasks_created,
                "digests": len(result.digests),
                "seconds": result.seconds,
            }
        )
    )
    return 1 if source_failed else 0


def cmd_import(args: argparse.Namespace) -> int:
    settings = get_settings()
    stores = Stores.open()
    today = dt.date.today()
    try:
        if args.bundle:
            plan = bundle_plan(args.bundle)
        else:
            if not args.table or not args.files:
                print("tandem import: give TABLE and FILE (or --bundle)", file=sys.stderr)
                return 2
            mapping = read_mapping(args.mapping) if args.mapping else Mapping(table=args.table)
            if mapping.table != args.table:
                print(f"tandem import: {args.mapping} maps table {mapping.table!r}, not "
                      f"{args.table!r}", file=sys.stderr)  # fmt: skip
                return 2
            plan = ImportPlan(f"import of {', '.join(f.name for f in args.files)}",
                              [(mapping, list(args.files))])  # fmt: skip
        prepared, counts = run_import(
            stores, plan, today, settings.max_upload_mb, dry_run=args.dry_run
        )
    except FileError as exc:
        print(f"tandem import: {exc}", file=sys.stderr)
        return 2
    failed = False
    rejects_dir = settings.data_dir / "rejects"
    for p in prepared:
        print(f"{p.table} <- {p.source}: {p.valid_rows:,} of {p.total_rows:,} rows valid",
              file=sys.stderr)  # fmt: skip
        for note in p.notes:
            print(f"  note: {note}", file=sys.stderr)
        for error in p.errors:
            print(f"  error: {error}", file=sys.stderr)
            failed = True
        if p.rejects.height:
            rejects_dir.mkdir(parents=True, exist_ok=True)
            target = rejects_dir / f"{p.table}-rejected.csv"
            p.rejects.write_csv(target)
            print(
                f"  {p.rejects.height:,} rows rejected, with reasons, in {target}", file=sys.stderr
            )
            for row in p.rejects.head(5).iter_rows(named=True):
                print(f"    row {row['row']}: {row['reasons']}", file=sys.stderr)
    if failed:
        print("nothing was loaded: the stored data is unchanged", file=sys.stderr)
        return 2
    if args.dry_run:
        return 0
    result = refresh(stores, default_as_of(stores.sources, today), settings.data_dir)
    print(json.dumps({"loaded": counts, "scored_accounts": result.accounts,
                      "as_of": result.as_of.isoformat()}))  # fmt: skip
    return 0


def _scorecard_arg(value: str | None, app: AppStore) -> Scorecard:
    """A saved scorecard's name, a TOML file, or (None) the active scorecard."""
    if value is None:
        return active_scorecard(app)
    if Path(value).suffix == ".toml" or Path(value).exists():
        return load_scorecard_file(Path(value))
    return load_saved(app, value)


def _number(value: Any) -> Any:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def cmd_backtest(args: argparse.Namespace) -> int:
    stores = Stores.open()
    try:
        card = _scorecard_arg(args.scorecard, stores.app)
    except (ValueError, OSError) as exc:
        print(f"tandem backtest: {exc}", file=sys.stderr)
        return 2
    active = active_scorecard(stores.app)
    result = run_backtest(stores.sources, active, card, horizon=args.horizon)
    mine, theirs = result.results["candidate"], result.results["active"]
    out = {
        "scorecard": card.name,
        "horizon_days": args.horizon,
        "auc": _number(mine["auc"]),
        "auc_ci": [_number(v) for v in result.intervals["b"]],
        "band_churn_rates": mine["band_churn_rates"],
        "red_lift": _number(mine["red_lift"]),
        "bottom_decile_precision": _number(mine["bottom_decile_precision"]),
        "n_accounts": mine["n_accounts"],
        "n_churn_events": mine["n_churn_events"],
        "n_observations": mine["n_observations"],
        "snapshots": [d.isoformat() for d in result.dates],
        "active_scorecard": active.name,
        "active_auc": _number(theirs["auc"]),
        "auc_difference_ci": [_number(v) for v in result.intervals["difference"]],
        "seconds": result.seconds,
    }
    if args.json:
        print(json.dumps(out))
        return 0
    print(
        f"Backtest of {card.name!r}, churn within {args.horizon} days, "
        f"{len(result.dates)} snapshots 30 days apart, {out['snapshots'][0]} … {out['snapshots'][-1]}"
    )
    print(
        f"  rests on {out['n_accounts']:,} accounts, {out['n_churn_events']:,} churn events, "
        f"{out['n_observations']:,} account-snapshots"
    )
    lo, hi = out["auc_ci"]
    print(
        f"  ROC AUC {out['auc']:.3f} (95 % CI {lo:.3f}–{hi:.3f}); active {active.name!r}: "
        f"{out['active_auc']:.3f}"
    )
    for band, rate in out["band_churn_rates"].items():
        print(f"  {band:>7}: {rate['rate']:.1%} churned of {rate['accounts']:,}")
    print(f"  lift of red {out['red_lift']:.2f}x; bottom-decile precision "
          f"{out['bottom_decile_precision']:.1%}")  # fmt: skip
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    try:
        manifest = backup(Stores.open(), args.dest, dt.datetime.now())
    except (BackupError, StoreError, OSError) as exc:
        print(f"tandem backup: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(manifest))
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
        default=dt.date.today(),
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
    ref.set_defaults(func=cmd_refresh)

    imp = sub.add_parser("import", help="load a table from files, checked against a mapping")
    imp.add_argument("table", nargs="?", help="canonical table: accounts, usage_events, …")
    imp.add_argument("files", nargs="*", type=Path, help="CSV/TSV, Parquet or XLSX files")
    imp.add_argument("--mapping", type=Path, help="a mapping TOML file (default: suggested)")
    imp.add_argument("--bundle", type=Path, help="a bundle TOML file: several tables at once")
    imp.add_argument("--dry-run", action="store_true", help="validate only, write nothing")
    imp.set_defaults(func=cmd_import)

    back = sub.add_parser(
        "backtest", help="how well a scorecard's health predicted churn on past snapshots"
    )
    back.add_argument(
        "--scorecard", help="a saved scorecard's name or a TOML file (default: the active one)"
    )
    back.add_argument("--horizon", type=int, default=90, help="churn within N days (default 90)")
    back.add_argument("--json", action="store_true", help="print the metrics as one JSON object")
    back.set_defaults(func=cmd_backtest)

    bak = sub.add_parser("backup", help="copy both stores, consistently, into a new folder")
    bak.add_argument("dest", type=Path, help="a new (or empty) folder")
    bak.set_defaults(func=cmd_backup)

    rep = sub.add_parser(
        "repair", help="serve the newest generation that reads whole (a lost or bad pointer)"
    )
    rep.set_defaults(func=cmd_repair)
    return parser


def cmd_repair(args: argparse.Namespace) -> int:
    """Point CURRENT at the newest generation that reads whole (after a lost or bad pointer,
    or a damaged newest file); nothing is removed."""
    store = SourceStore(get_settings().data_dir, get_settings().keep_generations)
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


def _failure_message(exc: BaseException) -> str:
    """What a failed command says instead of a traceback."""
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return f"the disk is full ({exc.filename or 'data folder'}); nothing was published"
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if "No space left on device" in text or "disk is full" in text.lower():
        return f"the disk is full: {text}; nothing was published"
    return text


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (StoreError, SchemaError, RefreshError, duckdb.Error, OSError) as exc:
        print(f"tandem {args.command}: {_failure_message(exc)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
