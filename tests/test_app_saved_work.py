"""Saved work through the app (AppTest), on SQLite and on PostgreSQL: a reload brings everything back,
the address keeps the workspace and share links never carry it, a wrong id starts afresh, limits and a
failing store are told in words while the tab goes on in memory."""
from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from browsing import free_port
from store import Store, valid_workspace_id
from store.store import HOST
from ui import saved_work
from ui.navigation import spec
from ui.state import RUN_KEY, RUNS_KEY

ROOT = Path(__file__).resolve().parents[1]
TRAIN, COMPARE = spec("Train").script, spec("Compare").script


@pytest.fixture
def database(store_url, mnist_dir, monkeypatch):
    """The app's store at `store_url` (SQLite, then PostgreSQL), MNIST from the shared folder."""
    monkeypatch.setenv("MLP_DATA_DIR", str(mnist_dir))
    monkeypatch.setenv("MLP_DATABASE_URL", store_url)
    yield store_url
    saved_work.close_stores()


def visit(workspace: str | None = None) -> AppTest:
    """A new browser tab's first request, for the address holding `workspace`."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    if workspace is not None:
        at.query_params["w"] = workspace
    at.run()
    assert not at.exception, at.exception
    return at


def train_one(at: AppTest) -> None:
    at.switch_page(TRAIN).run()
    at.button_group(key="setting_classes").set_value([1, 9]).run()
    at.number_input(key="setting_per_class").set_value(300).run()
    at.number_input(key="setting_epochs").set_value(1).run()
    at.button(key="start").click().run()
    assert at.session_state[RUN_KEY].wait(120), "training did not end in time"
    at.run()
    assert not at.exception, at.exception


def runs(at: AppTest) -> list:
    """The session's finished runs (none before a page has asked for them)."""
    return at.session_state[RUNS_KEY] if RUNS_KEY in at.session_state else []


def compared(at: AppTest) -> list[str]:
    """The runs the Compare page offers, as it names them."""
    at.switch_page(COMPARE).run()
    assert not at.exception, at.exception
    return at.multiselect(key="compare_runs").options


def shown(at: AppTest) -> str:
    kinds = ("markdown", "caption", "info", "success", "warning", "error")
    return "\n".join(str(e.value) for kind in kinds for e in getattr(at, kind)).replace("\\", "")  # unescaped


def test_a_reload_brings_back_runs_networks_diagnosis_and_settings(database):
    at = visit()
    workspace = at.query_params["w"]
    assert valid_workspace_id(workspace)
    train_one(at)
    at.number_input(key="setting_lr").set_value(0.05).run()  # changed after the run: saved too
    [before] = at.session_state[RUNS_KEY]

    again = visit(workspace)
    [after] = again.session_state[RUNS_KEY]
    assert (after.name, after.status, after.test_accuracy, after.test_loss, after.config) == (
        before.name, before.status, before.test_accuracy, before.test_loss, before.config)
    assert np.array_equal(after.model.network.params, before.model.network.params)
    assert after.history == before.history and after.findings == before.findings and after.usable
    assert again.session_state["settings"]["lr"] == 0.05 and again.session_state["settings"]["classes"] == [1, 9]
    assert "Welcome back. 1 run and your settings are restored" in shown(again).replace("**", "")
    assert "Training: none now; 1 earlier run kept" in "\n".join(c.value for c in again.sidebar.caption).replace("**", "")
    assert any(before.name in option for option in compared(again))
    train_one(again)  # numbering goes on after the restored run
    assert [r.name.split(":")[0] for r in again.session_state[RUNS_KEY]] == ["Run 1", "Run 2"]


def test_the_address_keeps_the_workspace_but_the_share_link_does_not(database):
    at = visit()
    workspace = at.query_params["w"]
    at.switch_page(TRAIN).run()
    at.number_input(key="setting_epochs").set_value(2).run()
    assert at.query_params["w"] == workspace and at.query_params["epochs"] == "2"
    [link] = [c.value for c in at.code]
    assert "epochs=2" in link and "w=" not in link and workspace not in link


@pytest.mark.parametrize("asked", ["A" * 24, "x" * 10_000, "<script>alert(1)</script>", "'; DROP TABLE runs; --"])
def test_a_guessed_or_malformed_workspace_id_starts_a_new_empty_one(database, asked):
    at = visit(asked)
    assert at.query_params["w"] != asked and valid_workspace_id(at.query_params["w"])
    assert "was not found" in shown(at) and runs(at) == []
    assert "<script>" not in shown(at)


def test_start_fresh_makes_a_new_workspace_and_keeps_the_old_one(database):
    at = visit()
    old = at.query_params["w"]
    train_one(at)
    at.switch_page(COMPARE).run()
    at.button(key="start_fresh").click().run()
    assert runs(at) == [] and at.query_params["w"] != old
    assert "A fresh start" in shown(at)
    assert len(visit(old).session_state[RUNS_KEY]) == 1 and runs(visit(at.query_params["w"])) == []


def test_a_run_of_a_server_that_died_comes_back_interrupted_with_its_curves(database):
    store = Store(database)
    workspace = store.create_workspace()
    run_id = store.begin_run(workspace, "Run 4: lr 0.1", {"epochs": 3})
    store.checkpoint_run(workspace, run_id, {"train": [[10, 0.1, 2.0, 0.3, 0.001], [20, 0.2, 1.5, 0.5, 0.001]]})
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE runs SET owner = :owner"), {"owner": f"{HOST}:{dead.stdout.strip()}:0000"})
    store.close()
    at = visit(workspace)
    [run] = at.session_state[RUNS_KEY]
    assert (run.status, len(run.history.train), run.model) == ("interrupted", 2, None)
    assert "Interrupted: the server stopped" in run.reason
    assert any("Run 4" in option for option in compared(at))
    train_one(at)
    assert at.session_state[RUNS_KEY][-1].name.startswith("Run 5")


def test_a_workspace_over_its_limit_says_so_and_keeps_the_network_in_the_tab(database, monkeypatch):
    monkeypatch.setenv(saved_work.MB_ENV, "0.5")
    at = visit()
    train_one(at)
    assert "over its 0.5 MB" in shown(at) and "stays in this tab only" in shown(at)
    assert at.session_state[RUNS_KEY][0].usable  # the tab keeps it
    [again] = visit(at.query_params["w"]).session_state[RUNS_KEY]
    assert again.test_accuracy is not None and again.model is None  # the results are saved, not the network


def test_an_unreachable_store_is_a_warning_and_the_app_works_in_memory(mnist_dir, monkeypatch):
    monkeypatch.setenv("MLP_DATA_DIR", str(mnist_dir))
    monkeypatch.setenv("MLP_DATABASE_URL", f"postgresql://mlp@127.0.0.1:{free_port()}/gone")
    try:
        at = visit()
        assert "Saved work cannot be reached" in shown(at) and "in memory only" in shown(at)
        assert "w" not in at.query_params
        train_one(at)
        assert len(at.session_state[RUNS_KEY]) == 1 and "Saved work is off" in shown(at)
    finally:
        saved_work.close_stores()


def test_a_locked_sqlite_store_is_a_warning_and_the_run_stays_in_the_tab(mnist_dir, monkeypatch, tmp_path):
    path = tmp_path / "store.sqlite3"
    monkeypatch.setenv("MLP_DATA_DIR", str(mnist_dir))
    monkeypatch.setenv("MLP_DATABASE_URL", f"sqlite:///{path}")
    try:
        at = visit()
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            train_one(at)
            at.number_input(key="setting_lr").set_value(0.01).run()  # a change to save, while still locked
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert "Saved work is busy" in shown(at) and "in memory only" in shown(at)
        assert len(at.session_state[RUNS_KEY]) == 1 and not at.exception
    finally:
        saved_work.close_stores()


def test_a_damaged_store_file_is_a_message_and_the_app_works_in_memory(mnist_dir, monkeypatch, tmp_path):
    path = tmp_path / "store.sqlite3"
    Store(f"sqlite:///{path}").close()
    path.write_bytes(b"not a database any more" * 500)  # overwritten or cut short by a full disk
    monkeypatch.setenv("MLP_DATA_DIR", str(mnist_dir))
    monkeypatch.setenv("MLP_DATABASE_URL", f"sqlite:///{path}")
    try:
        at = visit()
        assert "Saved work cannot be read" in shown(at) and "is damaged" in shown(at) and "in memory only" in shown(at)
        train_one(at)
        assert len(at.session_state[RUNS_KEY]) == 1 and not at.exception
    finally:
        saved_work.close_stores()
