"""What the browser tests share: the real app under `streamlit run` on loopback, Debian's
Chromium, and the wait for a script run to end."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.pg import free_port

try:  # a loaded CI machine draws later than Playwright's 5 s default for expectations
    from playwright.sync_api import expect

    expect.set_options(timeout=30_000)
except ImportError:  # pragma: no cover - playwright is a dev dependency
    pass

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip

# (url path, page title, does the page draw a Plotly chart?)
PAGES = [
    ("", "Portfolio health", True),
    ("account?account=ACC-000003", None, True),
    ("renewals", "Renewal calendar", True),
    ("expansion", "Expansion windows", True),
    ("sync", "Weekly sync", False),
    ("unmanaged_middle", "Unmanaged middle", False),
    ("lab", "Score lab", True),
    ("data", "Data", False),
]


def require_chromium() -> None:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing in CI: .ci/run should have installed it")
        pytest.skip("Debian's chromium package is not installed (.ci/run installs it)")


@contextmanager
def streamlit_server(data_dir: Path, cwd: Path = ROOT, port: int | None = None) -> Iterator[str]:
    """``streamlit run`` of the app on loopback over ``data_dir``; yields its URL."""
    port = port or free_port()
    env = {**os.environ, "TANDEM_DATA_DIR": str(data_dir), "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboard" / "app.py"),
         "--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                output = server.stdout.read().decode() if server.stdout else ""
                pytest.fail(f"streamlit did not start:\n{output}")
            time.sleep(0.3)
    try:
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


def _wait_for_run(page) -> None:
    """Wait until Streamlit has finished the script run (its status widget is gone)."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=30_000)
    # every page opens with a title: until it is drawn the run has not begun (the status
    # widget is absent before a run starts as well as after it ends)
    page.wait_for_function(
        "() => document.querySelector('[data-testid=\"stMain\"] h1')"
        " && !document.querySelector('[data-testid=\"stStatusWidget\"]')",
        timeout=60_000,
    )
