"""The ``tandem`` command line: build the demo, and (later) refresh, import, backtest."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time

from dashboard.config import get_settings
from dashboard.demo import DemoSpec, load_demo
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
    seconds = round(time.perf_counter() - started, 2)
    print(json.dumps({"data_dir": str(get_settings().data_dir), "seconds": seconds, **counts}))
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
    demo.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
