"""Faults of the store under a running app (AppTest, real SQLite files, a real PostgreSQL): the store's file deleted
while tabs are open is said on their next page and their work is written again, surviving a restart; a run that ends
while the store refuses writes, in a tab closed meanwhile, is written by the server once the store takes writes
again, and a tab opened in between gets it back instead of hearing it is "still training"."""
from __future__ import annotations

import os
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

import test_app_saved_work as saved_work
from store import Store
from test_app_saved_work import TRAIN, visit
from ui.saving import process_store
from ui.state import RUN_KEY, RUNS_KEY
from waiting import wait_until


def shown(at: AppTest) -> str:
    return saved_work.shown(at).replace("**", "")


def start(at: AppTest, epochs: int) -> None:
    at.switch_page(TRAIN).run()
    at.button_group(key="setting_classes").set_value([1, 9]).run()
    at.number_input(key="setting_per_class").set_value(300).run()
    at.number_input(key="setting_epochs").set_value(epochs).run()
    at.button(key="start").click().run()
    assert not at.exception, at.exception


@pytest.fixture
def sqlite_file(tmp_path, mnist_dir, monkeypatch) -> Iterator[Path]:
    path = tmp_path / "state" / "store.sqlite3"
    path.parent.mkdir()
    monkeypatch.setenv("MLP_DATA_DIR", str(mnist_dir))
    monkeypatch.setenv("MLP_DATABASE_URL", f"sqlite:///{path}")
    yield path
    process_store.close_stores()


def test_a_store_file_deleted_under_open_tabs_is_said_and_their_work_survives_a_restart(sqlite_file):
    at = visit()
    start(at, epochs=1)
    workspace = at.query_params["w"]  # in the address since the run began: the first thing saved
    assert at.session_state[RUN_KEY].wait(120)
    at.run()
    at.number_input(key="setting_lr").set_value(0.05).run()
    assert not at.exception, at.exception
    sqlite_file.unlink()  # rm store.sqlite3 while the server runs
    deleted = time.monotonic()
    at.run()  # the tab's next page: any click
    said = time.monotonic() - deleted
    page = shown(at)
    assert "Saved work was lost on the server" in page and "saved again: 1 run, your settings and your drawing" in page
    assert str(sqlite_file.parent) not in page and "sqlite" not in page.lower()  # no path, no address on a page
    print(f"deletion to the page saying so: {said:.2f} s (one page run)")
    process_store.close_stores()  # the server restarts
    again = visit(workspace)
    [run] = again.session_state[RUNS_KEY]
    assert run.name.startswith("Run 1") and run.in_store and again.session_state["settings"]["lr"] == 0.05
    assert "Welcome back. 1 run and your settings are restored" in shown(again)


def test_a_store_file_deleted_right_after_a_run_ended_keeps_that_run(sqlite_file):
    """The server wrote the run's final row, then the file went, before the tab's next page kept the run: that page
    keeps it first and then writes the session again, the run included (bench/abuse.py found it lost)."""
    at = visit()
    start(at, epochs=1)
    workspace = at.query_params["w"]
    run = at.session_state[RUN_KEY]
    assert run.wait(120)
    saver = at.session_state["saving_books"].saver
    assert saver is not None and saver.run is run
    assert saver.landed.wait(60), "the final row did not land"  # written by the server's own thread, as for a closed tab
    sqlite_file.unlink()
    at.run()  # the tab's next page keeps the ended run, and finds the file gone
    assert "saved again: 1 run" in shown(at), shown(at)
    process_store.close_stores()
    assert [r.name for r in visit(workspace).session_state[RUNS_KEY]] == [run.name]


def test_an_address_whose_work_went_with_the_file_says_why(sqlite_file):
    tab = visit()  # a tab since closed: nothing in memory holds its work
    tab.switch_page(TRAIN).run()
    tab.number_input(key="setting_epochs").set_value(2).run()  # something saved: the workspace is written
    closed = tab.query_params["w"]
    del tab
    visit()  # the store is opened by this process
    sqlite_file.unlink()
    at = visit(closed)
    assert "the server lost its saved work while it ran" in shown(at) and at.query_params.get("w") != closed


@contextmanager
def refusing_writes(url: str, path: Path | None) -> Iterator[None]:
    """The store refuses every write, as a full or read-only disk does, until the block ends. SQLite: its folder
    made immutable (chattr +i: root too is refused; no journal can be made beside the file) or, for another user,
    read-only. PostgreSQL: the database made read-only for every session, its open connections ended."""
    if path is None:
        engine = sa.create_engine(sa.make_url(url), isolation_level="AUTOCOMMIT")
        name = sa.make_url(url).database
        with engine.connect() as conn:
            conn.exec_driver_sql(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
            conn.exec_driver_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = "
                                 f"'{name}' AND pid <> pg_backend_pid()")
        try:
            yield
        finally:
            with engine.connect() as conn:
                conn.exec_driver_sql(f'ALTER DATABASE "{name}" RESET default_transaction_read_only')
                conn.exec_driver_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = "
                                     f"'{name}' AND pid <> pg_backend_pid()")
            engine.dispose()
        return
    folder = path.parent
    if os.geteuid() == 0:
        done = subprocess.run(["chattr", "+i", str(folder)], capture_output=True, text=True)
        if done.returncode:
            pytest.fail(f"chattr +i is refused here ({done.stderr.strip()}): the test needs a file system with "
                        "immutable folders (ext4, xfs, btrfs, tmpfs) or a non-root user")
    else:
        folder.chmod(0o500)
    try:
        yield
    finally:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        else:
            folder.chmod(0o700)


def ended_rows(url: str, workspace: str) -> list:
    """The workspace's rows as another server process (or a restart) reads them, once none says "running"."""
    fresh = Store(url)
    try:
        rows = fresh.runs(workspace, networks=False)
    finally:
        fresh.close()
    return rows if rows and all(row.status != "running" for row in rows) else []


def test_a_run_that_ends_while_the_store_refuses_writes_is_written_by_the_server_without_its_tab(
        store_url, mnist_dir, monkeypatch, tmp_path):
    monkeypatch.setenv("MLP_DATA_DIR", str(mnist_dir))
    monkeypatch.setenv("MLP_DATABASE_URL", store_url)
    monkeypatch.setattr(process_store, "FINAL_RETRY_SECONDS", 0.2, raising=False)
    path = Path(sa.make_url(store_url).database) if store_url.startswith("sqlite") else None
    try:
        tab = visit()
        start(tab, epochs=30)  # far longer than the test: it is stopped below
        workspace = tab.query_params["w"]
        run = tab.session_state[RUN_KEY]
        saver = tab.session_state["saving_books"].saver
        with refusing_writes(store_url, path):
            run.stop()
            assert run.wait(120) and run.record is not None
            wait_until(lambda: saver.finish() is not None, what="the final write refused")
            del tab  # the tab is closed before the store takes writes again: nothing of it runs any more
            reloaded = visit(workspace)  # a new tab meanwhile: the ended run comes back from the server's memory
            page = shown(reloaded)
            assert "still training in another tab" not in page and "back from the server's memory" in page
            assert [r.name for r in reloaded.session_state[RUNS_KEY]] == [run.record.name]
        [row] = wait_until(lambda: ended_rows(store_url, workspace), timeout=60, every=0.2,
                           what="the server's own write of the ended run")
        assert (row.status, row.name, row.has_network) == (run.record.status, run.record.name, True)
        reloaded.run()
        assert "Saved now" in shown(reloaded) and reloaded.session_state[RUNS_KEY][0].in_store
    finally:
        process_store.close_stores()
