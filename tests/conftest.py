"""Shared fixtures: a real demo portfolio in a temporary data folder, built once per session."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from dashboard.config import get_settings
from dashboard.ingest.demo import DemoSpec, load_demo
from dashboard.jobs.demo_history import seed_demo_handoffs
from dashboard.jobs.refresh import refresh
from dashboard.schema import SOURCE_TABLES
from dashboard.store import Stores

ROOT = Path(__file__).resolve().parent.parent

# The suite's fixed date. Pinned for the app too (TANDEM_TODAY, read by dashboard.clock), before
# any test imports the app, so AppTest runs, the command line and the browser tests' servers all
# count as of it whatever the machine's clock says (tests/test_clock.py moves that clock).
TODAY = dt.date(2026, 6, 15)
os.environ["TANDEM_TODAY"] = TODAY.isoformat()

# TANDEM_TEST_CLOCK_SHIFT_DAYS=365 runs the suite with the machine's clock a year forward (as
# tests/test_clock.py does for some files): tests/clock_shift/sitecustomize.py moves the wall
# clock of this process and, through PYTHONPATH, of every Python process the suite starts.
if os.environ.get("TANDEM_TEST_CLOCK_SHIFT_DAYS"):
    _hook = str(Path(__file__).resolve().parent / "clock_shift")
    if _hook not in os.environ.get("PYTHONPATH", "").split(os.pathsep):
        os.environ["PYTHONPATH"] = os.pathsep.join(
            p for p in (_hook, os.environ.get("PYTHONPATH")) if p
        )
    sys.path.insert(0, _hook)
    import sitecustomize  # noqa: F401  (moves this process's clock once, if not already)
DEMO_ACCOUNTS = 400
DEMO_SEED = 11


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A data folder holding a 400-account demo anchored today; the app's TANDEM_DATA_DIR."""
    root = tmp_path_factory.mktemp("tandem-data")
    previous = os.environ.get("TANDEM_DATA_DIR")
    os.environ["TANDEM_DATA_DIR"] = str(root)
    get_settings.cache_clear()
    stores = Stores.open(root)
    load_demo(stores.sources, DemoSpec(accounts=DEMO_ACCOUNTS, seed=DEMO_SEED, anchor=TODAY))
    refresh(stores, TODAY, root, backfill_weeks=8)
    seed_demo_handoffs(stores, TODAY, DEMO_SEED)
    yield root
    if previous is None:
        os.environ.pop("TANDEM_DATA_DIR", None)
    else:
        os.environ["TANDEM_DATA_DIR"] = previous
    get_settings.cache_clear()


def source_digest(stores: Stores) -> str:
    """A fingerprint of every canonical table: equal before and after = nothing changed."""
    h = hashlib.sha256()
    for table in SOURCE_TABLES:
        h.update(stores.sources.query(f"SELECT * FROM {table} ORDER BY ALL").write_csv().encode())
    return h.hexdigest()


@pytest.fixture(scope="session")
def demo_stores(demo_dir: Path) -> Stores:
    return Stores.open(demo_dir)


@pytest.fixture
def empty_stores(tmp_path: Path) -> Stores:
    return Stores.open(tmp_path)


@pytest.fixture
def app_data_dir(demo_dir: Path):
    """Point the app (``TANDEM_DATA_DIR``) at another folder for one test:
    ``app_data_dir(path)``; the shared demo folder is restored afterwards."""

    def use(path: Path) -> Path:
        os.environ["TANDEM_DATA_DIR"] = str(path)
        get_settings.cache_clear()
        return path

    yield use
    os.environ["TANDEM_DATA_DIR"] = str(demo_dir)
    get_settings.cache_clear()


def tandem(data_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """The command line (``tandem ARGS``) in its own process over ``data_dir``."""
    return subprocess.run(
        [sys.executable, "-m", "dashboard.cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "TANDEM_DATA_DIR": str(data_dir), **env},
    )


SAMPLES = ROOT.parent / "shared" / "samples"


def needs_sample(name: str) -> Path:
    """A shared sample folder: skipped (with the reason) where the samples are not beside
    the checkout, a failure in CI, which always has them."""
    folder = SAMPLES / name
    if not folder.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{folder} is missing: CI always has ../shared/samples")
        pytest.skip(f"needs the shared samples beside the checkout ({folder})")
    return folder


@pytest.fixture(scope="session")
def sample_bundles(tmp_path_factory) -> dict[str, tuple[Path, subprocess.CompletedProcess]]:
    """The RavenStack and Maven bundles, each imported (and scored) by ``tandem import
    --bundle`` into a folder of its own, once per run: (folder, the finished command)."""
    needs_sample("ravenstack")
    needs_sample("maven-crm")
    out = {}
    for name in ("ravenstack", "maven"):
        folder = tmp_path_factory.mktemp(f"sample-{name}")
        out[name] = (folder, tandem(folder, "import", "--bundle", f"data/samples/{name}.toml"))
    return out


def type_into(at, key: str, text: str):
    """Type ``text`` into the selectbox ``key`` (one that accepts new options) and press
    Enter: the widget state the browser sends then, a string no option formats to."""
    from streamlit.proto.WidgetStates_pb2 import WidgetState
    from streamlit.testing.v1.element_tree import Selectbox

    class Typed(Selectbox):
        @property
        def _widget_state(self) -> WidgetState:
            state = WidgetState()
            state.id = self.id
            state.string_value = text
            return state

    box = at.selectbox(key=key)
    box.__class__ = Typed
    return box
