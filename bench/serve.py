"""The app under ``streamlit run`` on a free loopback port, for the browser benchmarks."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# every page of the app, by its script name in pages/ (the portfolio page is the home page)
PAGES = ("portfolio", "account", "renewals", "expansion", "sync", "unmanaged_middle", "lab", "data")


@contextmanager
def app_server(data_dir: str | Path) -> Iterator[str]:
    """Start the app over ``data_dir``, wait until it answers, yield its URL, stop it."""
    with app_process(data_dir) as (url, _):
        yield url


@contextmanager
def app_process(
    data_dir: str | Path, script: Path | None = None, env: dict[str, str] | None = None
) -> Iterator[tuple[str, int]]:
    """``streamlit run`` of ``script`` (the app by default) over ``data_dir``: yields its URL
    and process id (the load test reads its CPU and memory), stops it on exit."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(script or ROOT / "dashboard" / "app.py"),
            "--server.port",
            str(port),
            "--server.headless",
            "true",
        ],
        env={**os.environ, "TANDEM_DATA_DIR": str(data_dir), **(env or {})},
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=2)
                break
            except OSError:
                time.sleep(0.3)
        yield url, server.pid
    finally:
        server.terminate()
        server.wait(timeout=20)
