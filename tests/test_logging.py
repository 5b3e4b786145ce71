"""The server log: a store that fails, a refused limit and a worker that dies each leave a record a maintainer
can act on (the error and its traceback, the shortened workspace, the run, the limit and the values), while the
student's words stay as they were; and the one configuration gives every line its time, level, logger and pid."""
from __future__ import annotations

import logging
import os
import re
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from mlp.config import TrainConfig
from store import Limits, Store, StoredRun, StoreLimitReached, StoreUnavailable
from test_app_saved_work import TRAIN, shown, visit
from test_ui_controller import LONG, shared
from training.run import TrainingRun
from training.workers import WorkerPool
from ui.saving import process_store
from waiting import wait_until

ROOT = Path(__file__).resolve().parents[1]


def records(caplog, name: str, level: int) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == name and r.levelno >= level]


def test_a_damaged_store_logs_the_database_error_with_its_traceback(tmp_path, caplog):
    path = tmp_path / "store.sqlite3"
    store = Store(f"sqlite:///{path}")
    workspace = store.create_workspace()
    store.close()
    for wal in tmp_path.glob("store.sqlite3-*"):
        wal.unlink()
    path.write_bytes(b"this is not a database, it was overwritten" * 100)  # a real failure, by SQLite itself
    with caplog.at_level(logging.INFO), pytest.raises(StoreUnavailable, match="cannot be read.*damaged") as raised:
        Store(f"sqlite:///{path}").runs(workspace)
    [record] = records(caplog, "store.store", logging.ERROR)
    assert str(path) in record.getMessage() and "file is not a database" in record.getMessage()
    assert record.exc_info and "DatabaseError" in type(record.exc_info[1]).__name__
    assert "Traceback" in caplog.text and "file is not a database" in caplog.text
    assert "damaged" in str(raised.value) and "Traceback" not in str(raised.value)  # the student's words


def test_a_store_error_never_logs_a_whole_workspace_id(tmp_path, caplog):
    path = tmp_path / "store.sqlite3"
    store = Store(f"sqlite:///{path}")
    workspace = store.create_workspace()
    with store.engine.begin() as conn:  # a real constraint failure inside a write, values and all
        conn.exec_driver_sql("CREATE TRIGGER no_runs BEFORE INSERT ON runs BEGIN SELECT RAISE(ABORT, 'full'); END")
    with caplog.at_level(logging.INFO), pytest.raises(StoreUnavailable):
        store.begin_run(workspace, "Run 1", {"hidden": [16]})
    [record] = records(caplog, "store.store", logging.ERROR)
    assert "full" in caplog.text and "INSERT INTO runs" in caplog.text
    assert workspace not in caplog.text  # the statement is logged without its values: the id opens the workspace


def test_a_refused_store_limit_logs_the_workspace_the_limit_and_the_count(tmp_path, caplog):
    store = Store(f"sqlite:///{tmp_path / 'store.sqlite3'}", limits=Limits(runs=1))
    workspace = store.create_workspace()
    store.add_run(workspace, StoredRun(name="Run 1", config={}, status="finished"))
    with caplog.at_level(logging.INFO), pytest.raises(StoreLimitReached, match="already keeps 1 runs"):
        store.add_run(workspace, StoredRun(name="Run 2", config={}, status="finished"))
    [record] = records(caplog, "store.store", logging.WARNING)
    assert f"workspace {workspace[:6]}… keeps 1 runs, limit 1" in record.getMessage()
    assert workspace not in caplog.text


def test_a_run_past_the_servers_limit_is_logged_with_the_estimate_and_the_limit(caplog):
    data = shared()
    try:
        with caplog.at_level(logging.INFO), pytest.raises(ValueError, match="this server allows 1.0 GB per run"):
            TrainingRun(TrainConfig(hidden=(4096,) * 8), data, pool=WorkerPool(0))
    finally:
        data.close()
    [record] = records(caplog, "training.run", logging.WARNING)
    estimated = re.match(r"run refused: estimated (\d+) MB and \d+ s, limits 1000 MB and 180 s", record.getMessage())
    assert estimated and int(estimated[1]) > 1000
    assert "hidden=(4096, 4096" in record.getMessage()


def test_a_killed_worker_is_logged_with_its_run_its_pid_and_the_signal(caplog):
    data, pool = shared(), WorkerPool(1)
    try:
        run = TrainingRun(TrainConfig(**LONG), data, pool=pool, name="watched")
        with caplog.at_level(logging.INFO):
            run.start()
            wait_until(lambda: run.progress().step > 5)
            killed = run.worker_report["pid"]
            os.kill(killed, signal.SIGKILL)
            assert run.wait(30)
    finally:
        pool.close()
        data.close()
    assert run.state == "failed" and run.record.reason.startswith("The process training this network ended")
    [record] = records(caplog, "training.run", logging.ERROR)
    assert f"run 'watched' failed (worker pid {killed})" in record.getMessage()
    assert "killed by signal SIGKILL" in record.getMessage()


@pytest.mark.parametrize("level, shown", [("", ["INFO", "WARNING"]), ("warning", ["WARNING"]),
                                          ("DEBUG", ["DEBUG", "INFO", "WARNING"]), ("loud", ["INFO", "WARNING"])])
def test_one_configuration_gives_time_level_logger_and_pid_at_the_level_asked(level, shown):
    script = ("import logging; from training.logs import configure; configure(); configure()\n"
              "for name in ('store.store', 'training.workers'):\n"
              "    log = logging.getLogger(name); log.debug('d'); log.info('i'); log.warning('w')\n"
              "logging.getLogger('some.library').info('not ours')\n"
              "import os; print(os.getpid())")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "MLP_LOG_LEVEL": level})
    pid = done.stdout.strip()
    lines = [line for line in done.stderr.splitlines() if "is not a level" not in line]
    assert [line.split()[2] for line in lines] == [level for _ in range(2) for level in shown]  # each line once
    assert all(line.split()[3] in ("store.store", "training.workers") and f"[pid {pid}]" in line for line in lines)
    assert all(line[:4].isdigit() and line[10] == " " for line in lines)  # "2026-12-06 03:40:00,123 INFO ..."
    assert ("is not a level" in done.stderr) == (level == "loud")


def test_a_locked_store_under_the_app_is_logged_with_the_workspace_shortened_and_said_on_the_page(
        mnist_dir, monkeypatch, tmp_path, caplog):
    path = tmp_path / "store.sqlite3"
    monkeypatch.setenv("MLP_DATA_DIR", str(mnist_dir))
    monkeypatch.setenv("MLP_DATABASE_URL", f"sqlite:///{path}")
    try:
        at = visit()
        workspace = at.query_params["w"]
        at.switch_page(TRAIN).run()
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")  # another program holds the lock: a real SQLite failure
        try:
            with caplog.at_level(logging.INFO):
                at.number_input(key="setting_lr").set_value(0.01).run()  # a change to save
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert "Saved work is busy" in shown(at) and not at.exception  # the student's words, as before
    finally:
        process_store.close_stores()
    [said] = records(caplog, "ui.saving.runs", logging.WARNING)
    assert f"workspace {workspace[:6]}…" in said.getMessage() and "Saved work is busy" in said.getMessage()
    [failed] = records(caplog, "store.store", logging.ERROR)
    assert "database is locked" in failed.getMessage() and failed.exc_info
    assert workspace not in caplog.text


@pytest.mark.parametrize("fatal", [signal.SIGBUS, signal.SIGSEGV])
def test_a_process_killed_by_a_fatal_signal_leaves_a_line_in_the_log(fatal):
    """As SQLite's memory-mapped -shm file did (SIGBUS): the process set up as the app sets up its log dies by the
    signal, and the log says which, with the Python stack it was in."""
    script = ("import os, signal; from training.logs import configure; configure()\n"
              "def serve_a_page():\n"
              f"    os.kill(os.getpid(), {int(fatal)})\n"
              "serve_a_page()")
    env = {name: value for name, value in os.environ.items() if name != "PYTHONFAULTHANDLER"}  # as a server starts
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == -fatal
    assert f"Fatal Python error: {'Bus error' if fatal == signal.SIGBUS else 'Segmentation fault'}" in done.stderr
    assert 'line 3 in serve_a_page' in done.stderr
