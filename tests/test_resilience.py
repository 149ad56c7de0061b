"""Nothing lost: a nightly job killed halfway leaves the previous data serving, and sessions
writing notes and handoffs at once lose nothing."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time

import polars as pl

from dashboard.ingest.demo import DemoSpec, load_demo
from dashboard.jobs.refresh import refresh
from dashboard.store import AppStore, Stores
from dashboard.workflows import decisions as sync_notes
from dashboard.workflows import handoffs as h

TODAY = dt.date(2026, 11, 22)


def test_a_refresh_killed_halfway_leaves_the_previous_data_serving(tmp_path):
    stores = Stores.open(tmp_path)
    load_demo(stores.sources, DemoSpec(accounts=1500, seed=2, anchor=TODAY))
    refresh(stores, TODAY, tmp_path, digests=False)
    published = (tmp_path / "sources" / "CURRENT").read_text()
    scores = stores.sources.query("SELECT account_id, health FROM account_scores ORDER BY 1")
    env = {**os.environ, "TANDEM_DATA_DIR": str(tmp_path)}
    job = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dashboard.cli",
            "refresh",
            "--as-of",
            "2026-11-21",
            "--backfill-weeks",
            "6",
            "--nice",  # the kill is the point here, not the priority: on a busy machine a
            "0",  # lowered job could wait past the deadline before it writes
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 300  # a bound on the wait, never a timing assertion
    while not list((tmp_path / "sources").glob("*.building*")):  # it is writing: kill it now
        assert job.poll() is None, "the refresh finished before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.005)
    job.send_signal(signal.SIGKILL)
    job.wait()
    assert (tmp_path / "sources" / "CURRENT").read_text() == published
    again = Stores.open(tmp_path)  # a new process's view
    after = again.sources.query("SELECT account_id, health FROM account_scores ORDER BY 1")
    assert after.equals(scores)
    result = refresh(again, TODAY, tmp_path, digests=False)  # the next run cleans up and works
    assert result.accounts == scores.height
    assert not list((tmp_path / "sources").glob("*.building*"))


def test_sessions_writing_notes_and_handoffs_at_once_lose_nothing(tmp_path):
    sessions = [AppStore(tmp_path) for _ in range(4)]
    now = dt.datetime(2026, 11, 22, 9)
    errors: list[BaseException] = []

    def work(store: AppStore, n: int) -> None:
        try:
            for i in range(15):
                sync_notes.add_decision(
                    store, "P + Q", f"A{i}", f"s{n} note {i}", None, None, f"s{n}", "csm", now
                )
                h.flag(store, f"S{n}-{i}", "risk", f"s{n} risk {i}", f"s{n}", "csm", now=now)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(s, n)) for n, s in enumerate(sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    notes = sessions[0].query("SELECT decision FROM sync_notes")
    assert notes.height == 60 and notes["decision"].n_unique() == 60
    flags = sessions[0].query("SELECT account_id FROM handoffs")
    assert flags.height == 60
    assert sessions[0].query("SELECT count(*) AS n FROM handoff_steps")["n"][0] == 60
    assert pl.Series(flags["account_id"]).n_unique() == 60


def test_sessions_of_one_process_open_the_app_store_at_once_without_a_handle_conflict(tmp_path):
    # Streamlit sessions are threads of one process, each with its own AppStore on one file.
    # DuckDB refuses to open a file read-write while another thread is closing it ("Unique
    # file handle conflict"), about once in 150 opens before the shared per-file lock.
    stores = [AppStore(tmp_path) for _ in range(4)]
    assert len({id(s._lock) for s in stores}) == 1
    with stores[0].transaction() as con:
        con.execute("CREATE TABLE hits (session INTEGER, i INTEGER)")
    errors: list[Exception] = []

    def session(n: int) -> None:
        for i in range(60):
            try:
                with stores[n].transaction() as con:
                    con.execute("INSERT INTO hits VALUES (?, ?)", [n, i])
            except Exception as exc:
                errors.append(exc)

    threads = [threading.Thread(target=session, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert stores[1].query("SELECT count(*) AS n FROM hits")["n"][0] == 240
