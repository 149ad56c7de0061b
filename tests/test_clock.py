"""The app's one clock: TANDEM_TODAY pins the date; the suite gives the same results with the
machine's clock moved a year forward (time-machine moves Python's clock in the process)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine

from dashboard import clock

ROOT = Path(__file__).resolve().parent.parent


def test_pinned_date_is_the_apps_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(clock.ENV, "2025-02-28")
    assert clock.today() == dt.date(2025, 2, 28)
    assert clock.now().date() == dt.date(2025, 2, 28)
    assert clock.utcnow().date() in {
        dt.date(2025, 2, 27),
        dt.date(2025, 2, 28),
        dt.date(2025, 3, 1),
    }
    earlier = clock.now()
    assert clock.now() >= earlier  # the time of day still moves: records keep their order


def test_unpinned_is_the_machines_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(clock.ENV, raising=False)
    assert clock.pinned() is None
    with time_machine.travel(dt.datetime(2031, 3, 4, 12, tzinfo=dt.UTC), tick=False):
        assert clock.today() == dt.date(2031, 3, 4)


def test_a_bad_pin_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(clock.ENV, "15/06/2026")
    with pytest.raises(ValueError, match=r"TANDEM_TODAY='15/06/2026' is not a date"):
        clock.today()


def test_the_suite_does_not_read_the_machines_clock() -> None:
    """Files that once read today's date, and a page, run again with the machine's clock a year
    ahead (conftest moves Python's clock with time-machine) and pass unchanged."""
    files = ["tests/test_loads.py", "tests/test_vendors.py", "tests/test_lab.py"]
    env = {**os.environ, "TANDEM_TEST_CLOCK_SHIFT_DAYS": "365"}
    unshifted = {k: v for k, v in env.items() if k != "TANDEM_TEST_CLOCK_SHIFT_DAYS"}

    def machine_date(environment: dict[str, str]) -> dt.date:
        said = subprocess.run(
            [sys.executable, "-c", "import tests.conftest, datetime; print(datetime.date.today())"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            env=environment,
            check=True,
        )
        return dt.date.fromisoformat(said.stdout.strip())

    assert machine_date(env) - machine_date(unshifted) >= dt.timedelta(days=364)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-n", "0", "-q", "-p", "no:cacheprovider", *files],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
