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
from browsing import free_port
from streamlit.testing.v1 import AppTest

from mlp.config import TrainConfig
from mlp.model import Model, load_model
from mlp.trainer import History
from store import Store, StoredRun, valid_workspace_id
from store.store import HOST
from training.memory import KeptNetworks
from training.record import Run
from ui import state as session
from ui.frame.navigation import spec
from ui.saving import networks, process_store, records
from ui.saving.runs import released_words
from ui.state import RUN_KEY, RUNS_KEY

ROOT = Path(__file__).resolve().parents[1]
TRAIN, COMPARE, DRAW, INSPECT = (spec(name).script for name in ("Train", "Compare", "Draw", "Inspect"))
SMALL = TrainConfig(hidden=(64,), classes=(1, 7), per_class=50)


@pytest.fixture
def database(store_url, mnist_dir, monkeypatch):
    """The app's store at `store_url` (SQLite, then PostgreSQL), MNIST from the shared folder."""
    monkeypatch.setenv("MLP_DATA_DIR", str(mnist_dir))
    monkeypatch.setenv("MLP_DATABASE_URL", store_url)
    yield store_url
    process_store.close_stores()


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
    train_one(at)
    workspace = at.query_params["w"]  # in the address since the first thing saved
    assert valid_workspace_id(workspace)
    at.number_input(key="setting_lr").set_value(0.05).run()  # changed after the run: saved too
    [before] = at.session_state[RUNS_KEY]

    again = visit(workspace)
    [after] = again.session_state[RUNS_KEY]
    assert (after.name, after.status, after.test_accuracy, after.test_loss, after.config) == (
        before.name, before.status, before.test_accuracy, before.test_loss, before.config)
    assert after.history == before.history and after.findings == before.findings and after.usable
    assert after.model is None and after.in_store  # its network stays in the store until a page uses it
    assert again.session_state["settings"]["lr"] == 0.05 and again.session_state["settings"]["classes"] == [1, 9]
    assert "Welcome back. 1 run and your settings are restored" in shown(again).replace("**", "")
    assert "Training: none now; 1 earlier run kept" in "\n".join(c.value for c in again.sidebar.caption).replace("**", "")
    again.switch_page(DRAW).run()
    assert np.array_equal(after.model.network.params, before.model.network.params)
    assert any(before.name in option for option in compared(again))
    train_one(again)  # numbering goes on after the restored run
    assert [r.name.split(":")[0] for r in again.session_state[RUNS_KEY]] == ["Run 1", "Run 2"]


def test_a_reload_and_a_restarted_server_keep_the_last_result_its_diagnosis_and_fix_on_train(database):
    at = visit()
    at.switch_page(TRAIN).run()
    at.button_group(key="setting_classes").set_value([7]).run()  # one digit only: a finding with a fix
    workspace = at.query_params["w"]  # written with that first change
    at.number_input(key="setting_per_class").set_value(100).run()
    at.number_input(key="setting_epochs").set_value(1).run()
    at.button(key="start").click().run()
    assert at.session_state[RUN_KEY].wait(120), "training did not end in time"
    at.run()
    accuracy = next(m.value for m in at.metric if m.label == "Test accuracy")
    assert "One class only" in shown(at) and at.button(key="fix_0")

    for restart in (False, True):
        if restart:  # a new server process opens the store afresh; nothing of the old one is in memory
            process_store.close_stores()
        again = visit(workspace)
        again.switch_page(TRAIN).run()
        assert not again.exception, again.exception
        assert again.query_params["w"] == workspace  # the same address
        page = shown(again)
        assert "Result on the test digits" in page and "Finished" in page and "One class only" in page
        assert next(m.value for m in again.metric if m.label == "Test accuracy") == accuracy
        assert not again.button(key="start_again").disabled and again.button(key="pause").disabled

    again.button(key="fix_0").click().run()  # the fix of the run brought back: applied, and a new run trains
    assert not again.exception, again.exception
    rerun = again.session_state[RUN_KEY]
    assert rerun.config.classes == tuple(range(10)) and rerun.name.startswith("Run 2")
    rerun.stop()
    assert rerun.wait(60)


def test_a_reload_without_runs_welcomes_back_in_sentences(database):
    at = visit()
    at.switch_page(TRAIN).run()
    at.number_input(key="setting_epochs").set_value(2).run()
    again = visit(at.query_params["w"])
    assert "Welcome back. Your settings are restored from this address." in shown(again).replace("**", "")
    assert again.session_state["settings"]["epochs"] == 2


def open_address(params: dict[str, str]) -> AppTest:
    """A new tab's first request for an address with these parameters (a reload, a bookmark, a link)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for name, value in params.items():
        at.query_params[name] = value
    at.run()
    assert not at.exception, at.exception
    return at


def test_reloading_ones_own_workspace_does_not_claim_a_link_but_a_share_link_still_says_so(database):
    at = visit()
    at.switch_page(TRAIN).run()
    at.number_input(key="setting_epochs").set_value(2).run()
    at.number_input(key="setting_lr").set_value(0.05).run()
    address = dict(at.query_params.items())  # what the app wrote there: the workspace and the settings
    assert address["epochs"] == "2" and address["lr"] == "0.05" and address["w"] == at.query_params["w"]

    reloaded = open_address(address)
    assert "Settings loaded from the link" not in shown(reloaded)
    assert "Welcome back. Your settings are restored from this address." in shown(reloaded).replace("**", "")
    settings = reloaded.session_state["settings"]
    assert (settings["epochs"], settings["lr"]) == (2, 0.05)

    linked = open_address({**address, "epochs": "3"})  # the same workspace, but settings it does not hold
    assert "Settings loaded from the link" in shown(linked)
    assert linked.session_state["settings"]["epochs"] == 3 and linked.session_state["settings"]["lr"] == 0.05
    shared = open_address({"epochs": "2", "lr": "0.05"})  # a share link: no workspace of its own
    assert "Settings loaded from the link" in shown(shared) and "Welcome back" not in shown(shared)


def test_the_address_keeps_the_workspace_but_the_share_link_does_not(database):
    at = visit()
    assert "w" not in at.query_params  # nothing saved yet: no workspace to name
    at.switch_page(TRAIN).run()
    at.number_input(key="setting_epochs").set_value(2).run()
    workspace = at.query_params["w"]
    assert valid_workspace_id(workspace) and at.query_params["epochs"] == "2"
    at.number_input(key="setting_lr").set_value(0.05).run()
    assert at.query_params["w"] == workspace
    [link] = [c.value for c in at.code]
    assert "epochs=2" in link and "w=" not in link and workspace not in link


@pytest.mark.parametrize("asked", ["A" * 24, "x" * 10_000, "<script>alert(1)</script>", "'; DROP TABLE runs; --"])
def test_a_guessed_or_malformed_workspace_id_starts_a_new_empty_one(database, asked):
    at = visit(asked)
    assert "w" not in at.query_params  # dropped: a reload would not find it either
    assert "was not found" in shown(at) and runs(at) == []
    assert "<script>" not in shown(at)


def test_start_fresh_makes_a_new_workspace_and_keeps_the_old_one(database):
    at = visit()
    train_one(at)
    old = at.query_params["w"]
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
    at.switch_page(TRAIN).run()
    assert "Interrupted: the server stopped" in shown(at)  # the Train page shows the last run, as it ended
    train_one(at)
    assert at.session_state[RUNS_KEY][-1].name.startswith("Run 5")


def test_a_workspace_over_its_limit_says_so_and_keeps_the_network_in_the_tab(database, monkeypatch):
    monkeypatch.setenv(process_store.MB_ENV, "0.5")
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
        process_store.close_stores()


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
        process_store.close_stores()


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
        process_store.close_stores()


def stored_workspace(url: str, count: int) -> tuple[str, list[Model]]:
    """A workspace whose `count` ended runs, each with its own small network, are in the store at `url`."""
    store = Store(url)
    workspace = store.create_workspace()
    models = [Model.create(TrainConfig(**{**SMALL.to_dict(), "seed": n})) for n in range(count)]
    for n, model in enumerate(models, 1):
        record = Run(name=f"Run {n}", config=model.config, history=History(), status="finished", model=model,
                     test_accuracy=0.9, test_loss=0.3, seconds=1.0, epochs=1.0)
        store.add_run(workspace, records.stored(record))
    store.close()
    return workspace, models


def same(record: Run, model: Model) -> bool:
    return record.model is not None and np.array_equal(record.model.network.params, model.network.params)


def test_a_returning_student_reads_no_network_until_a_page_uses_one(database, monkeypatch):
    workspace, models = stored_workspace(database, 10)
    reads = []
    monkeypatch.setattr(records, "load_model", lambda file: reads.append(file.name) or load_model(file))
    at = visit(workspace)
    runs = at.session_state[RUNS_KEY]
    assert len(runs) == 10 and reads == []
    assert all(r.model is None and r.usable and r.in_store and not r.released for r in runs)
    assert "Welcome back. 10 runs" in shown(at).replace("**", "") and "set aside" not in shown(at)
    at.switch_page(DRAW).run()
    assert not at.exception, at.exception
    assert reads == ["the saved network of Run 10"] and same(runs[-1], models[-1])  # the newest, drawn with
    assert all(r.model is None for r in runs[:-1])


def test_a_network_let_go_by_the_memory_cap_comes_back_from_the_store_with_the_same_weights(database, monkeypatch):
    workspace, models = stored_workspace(database, 2)
    kept = KeptNetworks(megabytes=1.5 * Run(name="", config=SMALL, history=History(), status="",
                                            model=models[0]).megabytes)
    monkeypatch.setattr(session, "KEPT", kept)  # room for one of the two, as runs are kept
    monkeypatch.setattr(networks, "KEPT", kept)  # and as networks are read back
    at = visit(workspace)
    first, second = at.session_state[RUNS_KEY]
    at.switch_page(DRAW).run()
    assert same(second, models[1]) and first.model is None
    at.selectbox(key="draw_model").set_value(first.uid).run()
    assert same(first, models[0]) and second.model is None and second.released and second.usable
    assert "set aside to free the server's memory" in shown(at) and "Download a network" not in shown(at)
    at.switch_page(INSPECT).run()
    at.selectbox(key="inspect_model").set_value(second.uid).run()
    assert not at.exception, at.exception
    assert same(second, models[1]) and first.released and not second.released
    assert np.isclose(kept.in_use, second.megabytes)


def test_a_store_out_of_reach_when_a_network_is_needed_is_said_and_the_run_comes_back_later(
        postgres_url, postgres_admin_url, mnist_dir, monkeypatch):
    monkeypatch.setenv("MLP_DATA_DIR", str(mnist_dir))
    monkeypatch.setenv("MLP_DATABASE_URL", postgres_url)
    monkeypatch.setattr(networks, "READ_AGAIN_SECONDS", 0.0)
    workspace, models = stored_workspace(postgres_url, 1)
    admin, name = sa.create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT"), sa.make_url(postgres_url).database
    try:
        at = visit(workspace)
        [record] = at.session_state[RUNS_KEY]
        with admin.connect() as conn:  # the database goes out of reach, as a server restarting is
            conn.execute(sa.text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"),
                         {"name": name})
        at.switch_page(DRAW).run()
        assert not at.exception, at.exception
        assert "is kept in your saved work, which cannot be read just now" in shown(at).replace("**", "")
        assert record.model is None and record.usable
        with admin.connect() as conn:
            conn.execute(sa.text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
        at.run()
        assert same(record, models[0]) and "cannot be read just now" not in shown(at)
    finally:
        process_store.close_stores()
        admin.dispose()


def test_the_notice_of_networks_let_go_tells_apart_those_the_store_gives_back():
    back, gone = (Run(name=name, config=SMALL, history=History(), status="finished", test_accuracy=0.9,
                      test_loss=0.3, seconds=1.0, epochs=1.0, in_store=kept)
                  for name, kept in (("Run *1*", True), ("Run 2", False)))
    assert released_words([back]) == (
        "The network of **Run \\*1\\*** was set aside to free the server's memory (the networks used longest ago go "
        "first): it is read back from your saved work when you use it.")
    assert "Download a network you want to keep" in released_words([gone])
    both = released_words([back, gone])
    assert both.index("set aside") < both.index("**Run 2** was let go") and "Download" in both


def test_a_stored_network_that_cannot_be_read_leaves_the_menus_in_words(database):
    store = Store(database)
    workspace = store.create_workspace()
    store.add_run(workspace, StoredRun(name="Run 1", config=SMALL.to_dict(), status="finished",
                                       model=b"PK not a model file"))
    store.close()
    at = visit(workspace)
    [record] = at.session_state[RUNS_KEY]
    assert record.usable  # nothing read yet
    at.switch_page(INSPECT).run()
    assert not at.exception, at.exception
    assert "There is no trained network in this session yet" in shown(at) and not record.usable
    assert any("Run 1" in option for option in compared(at))  # its curves and results stay
