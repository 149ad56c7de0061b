"""Where a served page view's CPU goes: a py-spy profile of the Streamlit server (collapsed
stacks, ``py-spy record -f raw``) read two ways.

- ``where``: the part of the run a sample fell in: the app's shell (``dashboard/app.py`` around
  the page: sign-in, sidebar, search, filters, workspace checks), each page's script (the
  ``pages/`` file and everything under it), or Streamlit outside any script run (the websocket,
  the event loop, sessions).
- ``what``: the mechanism, by the innermost frame that names one: Arrow serialisation of
  tables, Plotly figures (building and serialising), DuckDB queries (a store module's call),
  Polars, Streamlit's cache lookups (hashing the arguments), session state, protobuf and the
  websocket send, garbage collection, the rest of Tandem's own Python, the rest of Streamlit.

    python bench/profile_breakdown.py PROFILE.txt
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

# innermost frame first: the first rule a frame's file or function matches names the mechanism
# (py-spy's --full-filenames: site-packages' files as /.../site-packages/plotly/io/_json.py)
WHAT_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("garbage collection", re.compile(r"\(<gc>|gc_collect|\bgc\.collect")),
    ("Arrow serialisation (tables)", re.compile(r"[(/]pyarrow/|dataframe_util\.py|/arrow\.py")),
    ("Plotly figures (build + JSON)", re.compile(r"[(/]_?plotly(_utils)?/|plotly_chart\.py")),
    ("websocket send + protobuf", re.compile(r"tornado/|websocket|forward_msg|protobuf|_pb2")),
    ("cache lookups (hashing)", re.compile(r"runtime/caching/")),
    ("session state", re.compile(r"runtime/state/")),
    ("DuckDB queries", re.compile(r"[(/]duckdb/|/dashboard/store/")),
    ("Polars", re.compile(r"[(/]polars/")),
    ("pandas", re.compile(r"[(/]pandas/")),
    ("Tandem's own Python", re.compile(r"/dashboard/|/scoring/|/pages/")),
)
PAGE = re.compile(r"/pages/(\w+)\.py")
SHELL = re.compile(r"[(/]dashboard/app\.py")
# a thread waiting, not working (py-spy's --nonblocking counts some waits as samples)
IDLE = re.compile(
    r"^(\w+Selector\.select|Condition\.wait|Event\.wait|_worker|Queue\.get|"
    r"PollingPathWatcher\._schedule\.<locals>\.task|_hold_compute_lock) \("
)
FILE = re.compile(r"(\w+)\.py:\d+\)$")
SCRIPT = re.compile(r"exec_func_with_error_handling|script_runner\.py")


def _frames(stack: str) -> list[str]:
    return stack.split(";")


def where(frames: list[str]) -> str:
    """The part of a run a stack (root first) belongs to."""
    for i, frame in enumerate(frames[:-1]):
        script = FILE.search(frames[i + 1])  # after Page.run: the page's own script
        if frame.startswith("Page.run (") and script and frames[i + 1].startswith("<module> ("):
            return f"page: {script.group(1)}"
    for frame in reversed(frames):
        page = PAGE.search(frame)
        if page:
            return f"page: {page.group(1)}"
    if any(SHELL.search(f) for f in frames):
        return "app shell"
    if any(SCRIPT.search(f) for f in frames):
        return "script runner (outside the app's files)"
    return "Streamlit server (websocket, event loop, sessions)"


def what(frames: list[str]) -> str:
    """The mechanism a stack (root first) spends its time in: its innermost named one."""
    for frame in reversed(frames):
        for name, rule in WHAT_RULES:
            if rule.search(frame):
                return name
    return "Streamlit and Python (other)"


def breakdown(text: str) -> dict[str, dict[str, float]]:
    """Shares (in %) of the working samples by ``where`` and by ``what``, largest first (a
    thread waiting in a select, a sleep or a lock is counted apart, as idle)."""
    by_where: Counter[str] = Counter()
    by_what: Counter[str] = Counter()
    idle = missed = 0
    for line in text.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = _frames(stack)
        if IDLE.search(frames[-1]):
            idle += int(count)
            continue
        by_where[where(frames)] += int(count)
        if any(f.startswith("CachedFunc._handle_cache_miss (") for f in frames):
            missed += int(count)
        by_what[what(frames)] += int(count)
    total = sum(by_where.values())
    share = 100 / max(total, 1)
    return {
        "samples": {"total": total, "idle_left_out": idle},
        # computing a cached function's value (a cache miss: a new generation, new inputs)
        "cache_misses_percent": round(missed * share, 1),
        "where_percent": {k: round(v * share, 1) for k, v in by_where.most_common()},
        "what_percent": {k: round(v * share, 1) for k, v in by_what.most_common()},
    }


if __name__ == "__main__":
    print(json.dumps(breakdown(Path(sys.argv[1]).read_text()), indent=2))
