"""Tandem's benchmark: prints one JSON object of named figures (seconds, peak MB).

    python bench/run.py --accounts 100000

Each stage runs in this process against a fresh temporary data folder; peak memory is the
process's resident set size sampled every 20 ms while the stage runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dashboard.demo import DemoSpec, build_demo  # noqa: E402
from dashboard.store import Stores  # noqa: E402

PAGE = os.sysconf("SC_PAGE_SIZE")


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE / 2**20


class Figures:
    """Collects ``<stage>_seconds`` and ``<stage>_peak_mb`` for every timed stage."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        peak = [_rss_mb()]
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.02):
                peak[0] = max(peak[0], _rss_mb())

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        started = time.perf_counter()
        try:
            yield
        finally:
            seconds = time.perf_counter() - started
            done.set()
            sampler.join()
            self.values[f"{name}_seconds"] = round(seconds, 3)
            self.values[f"{name}_peak_mb"] = round(max(peak[0], _rss_mb()), 1)


def bench_demo_and_load(fig: Figures, stores: Stores, spec: DemoSpec) -> None:
    with fig.stage("demo_generate"):
        tables = build_demo(spec)
    fig.values["usage_events"] = tables["usage_events"].height
    with fig.stage("store_load"), stores.sources.writer() as writer:
        for table, frame in tables.items():
            writer.replace_table(table, frame)


STAGES: list[Callable[[Figures, Stores, DemoSpec], None]] = [bench_demo_and_load]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--events",
        type=int,
        default=None,
        help="target usage events (default: the demo's natural volume, 10M at >= 100,000 accounts)",
    )
    parser.add_argument("--anchor", type=dt.date.fromisoformat, default=dt.date(2026, 11, 1))
    args = parser.parse_args(argv)
    events = args.events or (10_000_000 if args.accounts >= 100_000 else None)
    spec = DemoSpec(
        accounts=args.accounts, seed=args.seed, anchor=args.anchor, events_target=events
    )
    fig = Figures()
    fig.values.update(accounts=args.accounts, cores=os.cpu_count())
    with tempfile.TemporaryDirectory(prefix="tandem-bench-") as data_dir:
        stores = Stores.open(Path(data_dir))
        for stage in STAGES:
            stage(fig, stores, spec)
    print(json.dumps(fig.values))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
