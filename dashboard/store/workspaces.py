"""Workspaces: the demo and a team's own data never share a store.

A data folder (an organisation's, when there are organisations) is the team's workspace: its
``sources/``, ``app.duckdb``, ``digests/`` and ``calendars/``. The demo lives in a workspace of
its own, the folder ``demo/`` inside it, with stores of its own. Imports and connector reloads
always write to the team's workspace; the app builds the demo only in ``demo/``.

A data folder that an older Tandem filled with the demo is recognised (the store says it
holds the demo) and, before the first import, moved into ``demo/`` whole: the import then
starts from an empty store, and nothing typed in the demo (handoffs, tasks, notes) follows.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from dashboard import clock
from dashboard.store.sources import SourceStore

Workspace = Literal["data", "demo"]
DEMO_FOLDER = "demo"
WORKSPACE_LABELS: dict[str, str] = {"data": "Your data", "demo": "Demo"}
# what a workspace folder holds, moved together
_PARTS = ("sources", "app.duckdb", "app.duckdb.wal", "digests", "calendars", "rejects", "feeds")


def workspace_dir(root: Path, workspace: Workspace, store: SourceStore | None = None) -> Path:
    """The folder of a workspace under a data folder: the data folder itself for the team's
    data; ``demo/`` for the demo, or the data folder when an older Tandem put the demo
    there (until the first import moves it)."""
    root = Path(root)
    if workspace == "data":
        return root
    return root if holds_demo(store or SourceStore(root)) else root / DEMO_FOLDER


_HOLDS_DEMO: dict[tuple[str, str], bool] = {}  # (folder, published file) -> answer


def holds_demo(store: SourceStore) -> bool:
    """True when the published data is the demo portfolio (marked by the demo's loader; a
    store from before the mark counts when every load it records came from the demo).
    Remembered per published file: pages ask several times a run."""
    if store.current_path() is None:
        return False
    key = (str(store.root), store.identity())
    if key not in _HOLDS_DEMO:
        if len(_HOLDS_DEMO) > 256:
            _HOLDS_DEMO.clear()
        _HOLDS_DEMO[key] = _reads_as_demo(store)
    return _HOLDS_DEMO[key]


def _reads_as_demo(store: SourceStore) -> bool:
    marked = store.scalar("SELECT max(value) FROM meta WHERE key = 'workspace'")
    if marked is not None:
        return marked == "demo"
    sources = store.query("SELECT DISTINCT source FROM loads")["source"].to_list()
    return bool(sources) and all(s.startswith("demo (seed") for s in sources)


def has_team_data(store: SourceStore) -> bool:
    """True when the team's workspace (``store``, of the data folder) holds accounts that
    are not the demo."""
    if store.current_path() is None:
        return False
    return store.remembered("has_team_data", lambda: not store.is_empty() and not holds_demo(store))


def team_store(root: Path, keep_generations: int = 3) -> SourceStore | None:
    """The team's store as an import will find it, read without creating anything: None
    when there is none yet or it holds the demo (the import then starts from empty)."""
    store = SourceStore(root, keep_generations, create=False)
    if store.current_path() is None or holds_demo(store):
        return None
    return store


def import_target(root: Path) -> Path:
    """The folder an import writes into: the team's workspace. When it holds the demo (an
    older Tandem built it there), the demo moves to its own workspace first."""
    root = Path(root)
    store = SourceStore(root)
    if store.current_path() is None or not holds_demo(store):
        return root
    target = root / DEMO_FOLDER
    if target.exists() and any(target.iterdir()):
        target = root / f"{DEMO_FOLDER}-{clock.now():%Y%m%d-%H%M%S}"
    target.mkdir(parents=True, exist_ok=True)
    with store.write_lock():  # no writer of the demo is halfway while it moves
        for part in _PARTS:
            if (root / part).exists():
                os.replace(root / part, target / part)
    return root
