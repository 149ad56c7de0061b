"""Load test: N sessions read pages in a loop on one `streamlit run` server on loopback (and,
with ``--workers N``, through `tandem serve --workers N`: nginx in front of N processes) while
the nightly job refreshes the scores in its own process; prints JSON, one figure set per
server setup.

    python bench/load.py --sessions 20 --accounts 2000 --seconds 60 [--workers 2] [--client browser]
        [--app floor] [--think 10] [--refresh off] [--profile stacks.txt]

Two kinds of session:

- ``protocol`` (default): Streamlit's own websocket protocol, as the browser speaks it
  (a ``BackMsg`` asking for a page run, ``ForwardMsg`` deltas back until the run finishes),
  with no rendering. A page view's time is the server's: the script run and the transfer of
  everything it draws. This is what the server can serve.
- ``browser``: a headless Chromium page per session, as a person sees it. On a 2-core
  machine, 20 Chromium renderers beside the server measure the machine more than the server.

The refresh scores as of the day before the data's last day, so its result is visible: after
it, the Portfolio page's "Scored as of" changes. Reported: every page view's time (from
navigation to the end of the script run), errors on screen, the refresh's duration, and
whether the sessions showed the refresh's result afterwards.

``--app floor`` first serves ``bench/floor_app.py`` (a title, KPI metrics, one Plotly chart and
a table of the same row count, nothing else) through the same harness: the framework's floor.
Each run reports the server's CPU seconds per page view (from ``/proc``) and its memory before
and after, and ``cpu_per_view_vs_floor`` puts Tandem's against the floor's, measured in one run.

``--think SECONDS``: each session waits an exponential think time of that mean between views
and picks pages as people use them (``MIX``: Portfolio and Account most, the lab now and then);
without it the sessions are closed loops going round every page.

``--workers N`` reports the CPU and memory summed over the N processes and
``scaling_vs_one_process``: N processes' views a second ÷ (N × one process's), 1.0 being
perfect. ``--refresh off`` leaves the nightly refresh out (the servers alone, to see how
views scale with processes). ``--profile FILE``: py-spy samples the one-process server during
its run; the JSON's ``profile`` says where its CPU went (``bench/profile_breakdown.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import math
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from dashboard import clock

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.profile_breakdown import breakdown
from bench.serve import PAGES, app_process
from dashboard.jobs.serve import free_port

ROOT = Path(__file__).resolve().parent.parent
# URL paths: the home page is the portfolio; the account page opens one account
PATHS = [{"portfolio": "", "account": "account?account=ACC-000003"}.get(p, p) for p in PAGES]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# how a team's page views fall on the pages (with --think): weights, not a script
MIX = {
    "portfolio": 30,
    "account": 30,
    "renewals": 12,
    "sync": 8,
    "expansion": 6,
    "unmanaged_middle": 5,
    "lab": 5,
    "data": 4,
}
MIX_PATHS = [{"portfolio": "", "account": "account?account=ACC-000003"}.get(p, p) for p in MIX]
FLOOR_APP = ROOT / "bench" / "floor_app.py"
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds the process has used (``/proc/PID/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def rss_mb(pid: int) -> float:
    """The process's resident memory in MB (``/proc/PID/status``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def next_path(rng: random.Random | None, i: int) -> str:
    """The next page: the team's mix when sessions think, else every page in turn."""
    if rng is None:
        return PATHS[i % len(PATHS)]
    return rng.choices(MIX_PATHS, weights=list(MIX.values()))[0]


async def think(rng: random.Random | None, mean: float) -> None:
    if rng is not None and mean > 0:
        await asyncio.sleep(rng.expovariate(1 / mean))


async def session(browser: Any, url: str, until: float, results: list[dict], offset: int) -> None:
    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    i = offset
    while time.monotonic() < until:
        path = PATHS[i % len(PATHS)]
        began = time.perf_counter()
        error = None
        try:
            await page.goto(f"{url}/{path}", timeout=120_000)
            await page.wait_for_selector("h1", timeout=120_000)
            await page.wait_for_function(
                "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')",
                timeout=120_000,
            )
            if await page.locator('[data-testid="stException"]').count():
                error = await page.locator('[data-testid="stException"]').first.inner_text()
        except Exception as exc:
            error = repr(exc)[:300]
        caption = None
        if path == "" and error is None:
            caption = await page.get_by_text("Scored as of").first.inner_text()
        seconds = time.perf_counter() - began
        results.append(
            {
                "page": path or "portfolio",
                "seconds": seconds,
                "error": error,
                "started": time.monotonic() - seconds,
                "caption": caption,
            }
        )
        i += 1
    await page.close()


async def protocol_view(ws: Any, path: str) -> tuple[str | None, str | None]:
    """One page run over the websocket: (the first exception shown, the "Scored as of" line)."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    page, _, query = path.partition("?")
    msg = BackMsg()
    msg.rerun_script.query_string = query
    msg.rerun_script.page_name = page
    msg.rerun_script.context_info.timezone = "UTC"
    await ws.send(msg.SerializeToString())
    error = caption = None
    while True:
        fwd = ForwardMsg()
        fwd.ParseFromString(await asyncio.wait_for(ws.recv(), timeout=120))
        kind = fwd.WhichOneof("type")
        if kind == "page_not_found":
            error = error or f"page not found: {path}"
        if kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
            element = fwd.delta.new_element
            if element.WhichOneof("type") == "exception":
                error = error or element.exception.message[:300]
            elif (
                element.WhichOneof("type") == "markdown" and "Scored as of" in element.markdown.body
            ):
                caption = element.markdown.body
        if kind == "script_finished":
            return error, caption


async def protocol_session(
    url: str,
    until: float,
    results: list[dict],
    offset: int,
    think_mean: float = 0.0,
    paths: list[str] | None = None,
) -> None:
    import websockets

    rng = random.Random(offset) if think_mean > 0 else None
    stream = url.replace("http://", "ws://") + "/_stcore/stream"
    async with websockets.connect(stream, subprotocols=["streamlit"], max_size=None) as ws:
        i = offset
        await think(rng, think_mean)  # sessions arrive spread out, as people do
        while time.monotonic() < until:
            path = paths[i % len(paths)] if paths else next_path(rng, i)
            began = time.perf_counter()
            try:
                error, caption = await protocol_view(ws, path)
            except Exception as exc:
                error, caption = repr(exc)[:300], None
            seconds = time.perf_counter() - began
            results.append(
                {
                    "page": path or "portfolio",
                    "seconds": seconds,
                    "error": error,
                    "started": time.monotonic() - seconds,
                    "caption": caption,
                }
            )
            i += 1
            await think(rng, think_mean)


async def drive(
    url: str,
    sessions: int,
    seconds: float,
    data_dir: str,
    as_of: dt.date | None,
    client: str,
    think_mean: float = 0.0,
    paths: list[str] | None = None,
) -> dict:
    """Run the sessions for ``seconds``; with ``as_of``, the nightly refresh runs in its own
    process a third of the way in (the floor has none)."""
    from playwright.async_api import async_playwright

    results: list[dict] = []
    async with async_playwright() as p:
        until = time.monotonic() + seconds
        browser = None
        if client == "browser":
            browser = await p.chromium.launch(
                executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
            )
            tasks = [
                asyncio.create_task(session(browser, url, until, results, i))
                for i in range(sessions)
            ]
        else:
            tasks = [
                asyncio.create_task(protocol_session(url, until, results, i, think_mean, paths))
                for i in range(sessions)
            ]
        if as_of is None:
            await asyncio.gather(*tasks)
            return {"results": results, "refresh": None}
        await asyncio.sleep(seconds / 3)
        began = time.perf_counter()
        job = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "dashboard.cli",
            "refresh",
            "--as-of",
            as_of.isoformat(),
            env={**os.environ, "TANDEM_DATA_DIR": data_dir},
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        code = await job.wait()
        refresh = {
            "seconds": time.perf_counter() - began,
            "exit_code": code,
            "done_at": time.monotonic(),
        }
        await asyncio.gather(*tasks)
        if browser is not None:
            await browser.close()
    return {"results": results, "refresh": refresh}


def p95(seconds: list[float]) -> float | None:
    """The 95th percentile by nearest rank: the smallest time at least 95 % of views took no
    longer than (of two views, the slower)."""
    times = sorted(seconds)
    return round(times[math.ceil(0.95 * len(times)) - 1], 2) if times else None


def quantiles(seconds: list[float]) -> dict:
    times = sorted(seconds)
    return {
        "views": len(times),
        "p50": round(statistics.median(times), 2) if times else None,
        "p95": p95(times),
        "max": round(times[-1], 2) if times else None,
    }


def summary(run: dict, as_of: dt.date | None, seconds: float, server: dict) -> dict:
    """Page-view times (all and per page), views a second, the server's CPU per view and
    memory, errors, the refresh, and whether the sessions saw its result."""
    results, done = run["results"], run["refresh"]
    times = sorted(r["seconds"] for r in results)
    pages = sorted({r["page"] for r in results})
    base = {
        "views_per_second": round(len(results) / seconds, 2),
        "server_cpu_seconds_per_view": (
            round(server["cpu"] / len(results), 3)
            if results and server["cpu"] is not None
            else None  # not measured (several processes behind nginx)
        ),
        "server_rss_mb_before": server["rss_before"],
        "server_rss_mb_after": server["rss_after"],
        "by_page": {p: quantiles([r["seconds"] for r in results if r["page"] == p]) for p in pages},
    }
    if done is None:
        return {
            "page_views": len(results),
            "errors": sum(1 for r in results if r["error"]),
            "page_p50_seconds": round(statistics.median(times), 2) if times else None,
            "page_p95_seconds": p95(times),
            **base,
        }
    shown = [r for r in results if r["caption"] and r["started"] > done["done_at"]]
    return {
        **base,
        "page_views": len(results),
        "errors": sum(1 for r in results if r["error"]),
        "error_examples": sorted({r["error"] for r in results if r["error"]})[:3],
        "page_p50_seconds": round(statistics.median(times), 2) if times else None,
        "page_p95_seconds": p95(times),
        "page_max_seconds": round(times[-1], 2) if times else None,
        "refresh_seconds": round(done["seconds"], 2),
        "refresh_exit_code": done["exit_code"],
        "portfolio_views_after_refresh": len(shown),
        "of_which_show_the_new_scores": sum(str(as_of) in r["caption"] for r in shown),
    }


async def warm(url: str, paths: list[str]) -> None:
    """One unrecorded view of each page: the imports and caches of a process's first views
    are not what a team's Monday morning costs."""
    import websockets

    stream = url.replace("http://", "ws://") + "/_stcore/stream"
    async with websockets.connect(stream, subprotocols=["streamlit"], max_size=None) as ws:
        for path in paths:
            await protocol_view(ws, path)


def measured(
    pids: list[int],
    urls: list[str],
    paths: list[str],
    run: Callable[[], Awaitable[Any]],
    profile: Path | None = None,
) -> tuple[dict, dict]:
    """Warm each server process (its own URL) on ``paths``, then run ``run()`` (a coroutine
    factory) and return its result with the CPU seconds the processes spent and their memory
    before and after (summed over the processes). With ``profile``, py-spy samples the first
    process during the run (collapsed stacks into that file) and the result says where its
    CPU went (``bench/profile_breakdown.py``)."""
    for url in urls:
        asyncio.run(warm(url, paths))
    rss_before = round(sum(rss_mb(pid) for pid in pids), 1)
    cpu_before = sum(cpu_seconds(pid) for pid in pids)
    spy = None
    if profile is not None:
        binary = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
        command = [binary, "record", "-p", str(pids[0]), "-f", "raw", "-o", str(profile)]
        command += ["--full-filenames"]
        spy = subprocess.Popen(
            [*command, "--rate", "100", "--nonblocking"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    result = asyncio.run(run())
    server = {
        "cpu": sum(cpu_seconds(pid) for pid in pids) - cpu_before,
        "rss_before": rss_before,
        "rss_after": round(sum(rss_mb(pid) for pid in pids), 1),
    }
    if spy is not None and profile is not None:
        spy.send_signal(signal.SIGINT)  # py-spy writes its file on Ctrl-C
        spy.wait(timeout=60)
        server["profile"] = breakdown(profile.read_text())
    return result, server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--accounts", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--client", choices=["protocol", "browser"], default="protocol")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="also run the same load through `tandem serve --workers N` (nginx in front of N "
        "Streamlit processes) and report both, one process first",
    )
    parser.add_argument(
        "--app",
        choices=["tandem", "floor"],
        default="tandem",
        help="floor: first serve bench/floor_app.py (Streamlit's own cost for the same kinds of "
        "elements) through the same harness, and report Tandem's CPU per view against it",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        help="py-spy (pip install py-spy) samples the one-process Tandem server during its "
        "run; the collapsed stacks go to this file and the JSON gives the breakdown",
    )
    parser.add_argument(
        "--refresh",
        choices=["on", "off"],
        default="on",
        help="on (default): the nightly refresh runs in its own process a third of the way "
        "into each run; off: the servers alone (to measure how views scale with processes)",
    )
    parser.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="mean think time in seconds between a session's views (exponential), with the "
        "team's page mix; 0 (default): closed loops over every page",
    )
    args = parser.parse_args(argv)

    from dashboard.ingest.demo import DemoSpec, load_demo
    from dashboard.jobs.refresh import refresh
    from dashboard.jobs.serve import serve
    from dashboard.store import Stores

    today = clock.today()
    runs: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="tandem-load-") as data_dir:
        stores = Stores.open(Path(data_dir))
        load_demo(stores.sources, DemoSpec(accounts=args.accounts, seed=7, anchor=today))
        refresh(stores, today, Path(data_dir), backfill_weeks=4)
        floor = None
        if args.app == "floor":
            env = {"FLOOR_ROWS": str(args.accounts)}
            with app_process(data_dir, FLOOR_APP, env) as (url, pid):
                result, server = measured(
                    [pid],
                    [url],
                    [""],
                    lambda: drive(
                        url, args.sessions, args.seconds, data_dir, None, "protocol", 0.0, [""]
                    ),
                )
                floor = summary(result, None, args.seconds, server)
        refreshing = args.refresh == "on"
        as_of = today - dt.timedelta(days=1) if refreshing else None
        with app_process(data_dir) as (url, pid):
            result, server = measured(
                [pid],
                [url],
                PATHS,
                lambda: drive(
                    url, args.sessions, args.seconds, data_dir, as_of, args.client, args.think
                ),
                args.profile,
            )
            runs["1"] = summary(result, as_of, args.seconds, server)
            if "profile" in server:
                runs["1"]["profile"] = server["profile"]
        if floor is not None:
            runs["1"]["cpu_per_view_vs_floor"] = round(
                runs["1"]["server_cpu_seconds_per_view"] / floor["server_cpu_seconds_per_view"], 2
            )
        if args.workers > 1:
            # another refresh result to look for
            as_of = today - dt.timedelta(days=2) if refreshing else None
            with serve(Path(data_dir), args.workers, port=free_port()) as served:
                result, server = measured(
                    list(served.pids),
                    served.workers,
                    PATHS,
                    lambda: drive(
                        served.url,
                        args.sessions,
                        args.seconds,
                        data_dir,
                        as_of,
                        args.client,
                        args.think,
                    ),
                )
                runs[str(args.workers)] = summary(result, as_of, args.seconds, server)
            # N processes against one: 1.0 is perfect scaling (views a second ÷ N × one's)
            runs[str(args.workers)]["scaling_vs_one_process"] = round(
                runs[str(args.workers)]["views_per_second"]
                / (args.workers * runs["1"]["views_per_second"]),
                2,
            )
    print(
        json.dumps(
            {
                "client": args.client,
                "sessions": args.sessions,
                "accounts": args.accounts,
                "seconds": args.seconds,
                "cores": os.cpu_count(),
                "think_seconds": args.think,
                "refresh": args.refresh,
                "floor": floor,
                "by_workers": runs,
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
