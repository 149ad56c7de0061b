"""The ``tandem`` command line: build the demo, and (later) refresh, import, backtest."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path

from dashboard.config import get_settings
from dashboard.demo import DemoSpec, load_demo
from dashboard.refresh import refresh
from dashboard.scorecards import load_scorecard_file
from dashboard.store import Stores


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from exc


def cmd_demo(args: argparse.Namespace) -> int:
    stores = Stores.open()
    spec = DemoSpec(accounts=args.accounts, seed=args.seed, anchor=args.anchor)
    started = time.perf_counter()

    def progress(fraction: float, message: str) -> None:
        print(f"[{fraction:4.0%}] {message}", file=sys.stderr)

    counts = load_demo(stores.sources, spec, progress)
    result = refresh(
        stores, args.anchor, get_settings().data_dir, backfill_weeks=args.backfill_weeks,
        progress=progress,
    )  # fmt: skip
    seconds = round(time.perf_counter() - started, 2)
    print(
        json.dumps(
            {
                "data_dir": str(get_settings().data_dir),
                "seconds": seconds,
                **counts,
                "scored_accounts": result.accounts,
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
    result = refresh(
        stores,
        args.as_of,
        settings.data_dir,
        scorecard=scorecard,
        backfill_weeks=args.backfill_weeks,
        progress=lambda fraction, message: print(f"[{fraction:4.0%}] {message}", file=sys.stderr),
    )
    print(
        json.dumps(
            {
                "as_of": result.as_of.isoformat(),
                "accounts": result.accounts,
                "snapshots_written": result.snapshots_written,
                "digests": len(result.digests),
                "seconds": result.seconds,
            }
        )
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
    ref.add_argument("--as-of", type=_date, default=dt.date.today(), help="default: today")
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
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
