"""Tandem for a team: ``tandem serve --workers N`` starts N Streamlit processes on loopback
and nginx in front of them (``deploy/nginx.conf``, rendered with the ports), so N processes
share the sessions. A Streamlit session lives in the process its browser's websocket reached:
nginx keeps each browser on one process (a cookie it sets, hashed), websockets included."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "deploy" / "nginx.conf"


class ServeError(RuntimeError):
    """The servers could not start; the message says why."""


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def nginx_binary() -> str:
    """Debian's nginx (``apt-get install nginx``), found on the PATH or in /usr/sbin."""
    found = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if not found:
        raise ServeError("nginx is not installed: apt-get install nginx (Debian's package)")
    return found


def nginx_config(prefix: Path, host: str, port: int, worker_ports: list[int]) -> str:
    """The repo's ``deploy/nginx.conf`` with the listen address, the workers and the paths."""
    servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=0;" for p in worker_ports)
    return TEMPLATE.read_text().format(prefix=prefix, host=host, port=port, servers=servers)


def _wait(url: str, seconds: float, processes: list[subprocess.Popen]) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in processes):
            raise ServeError(
                f"a server stopped while starting (exit {[p.poll() for p in processes]})"
            )
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.3)
    raise ServeError(f"{url} did not answer within {seconds:.0f} s")


@dataclass(frozen=True)
class Served:
    url: str
    workers: list[str]  # each Streamlit process's own URL (loopback)
    pids: tuple[int, ...] = ()  # each Streamlit process's id, in the same order


@contextmanager
def serve(
    data_dir: Path,
    workers: int,
    host: str = "127.0.0.1",
    port: int = 8501,
    run_dir: Path | None = None,
) -> Iterator[Served]:
    """Start ``workers`` Streamlit processes and nginx on ``host:port``; stop them all on exit."""
    if workers < 1:
        raise ServeError("--workers must be at least 1")
    binary = nginx_binary()
    prefix = (run_dir or data_dir / "serve").resolve()
    prefix.mkdir(parents=True, exist_ok=True)
    ports = [free_port() for _ in range(workers)]
    env = {**os.environ, "TANDEM_DATA_DIR": str(data_dir)}
    processes: list[subprocess.Popen] = []
    try:
        for p in ports:  # the first builds the demo on an empty store; the others wait for it
            processes.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "streamlit",
                        "run",
                        str(ROOT / "dashboard" / "app.py"),
                        "--server.port",
                        str(p),
                        "--server.address",
                        "127.0.0.1",
                        "--server.headless",
                        "true",
                    ],
                    env=env,
                    cwd=ROOT,
                    stdout=subprocess.DEVNULL,
                    stderr=(prefix / f"worker-{p}.log").open("w"),
                )
            )
        for p in ports:
            _wait(f"http://127.0.0.1:{p}/_stcore/health", 120, processes)
        config = prefix / "nginx.conf"
        config.write_text(nginx_config(prefix, host, port, ports))
        processes.append(
            subprocess.Popen(
                [binary, "-p", str(prefix), "-c", str(config), "-g", "daemon off;"],
                stdout=subprocess.DEVNULL,
                stderr=(prefix / "nginx.log").open("w"),
            )
        )
        url = f"http://{host}:{port}"
        _wait(f"{url}/_stcore/health", 30, processes)
        yield Served(
            url,
            [f"http://127.0.0.1:{p}" for p in ports],
            tuple(process.pid for process in processes[:workers]),
        )
    finally:
        for process in reversed(processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
