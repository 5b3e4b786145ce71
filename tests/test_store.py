"""The store on SQLite and on a real PostgreSQL server: migrations, workspaces, runs whole or not at all,
limits, interrupted runs, and a database that is damaged, locked or unreachable."""
from __future__ import annotations

import dataclasses
import json
import math
import logging
import os
import re
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import sqlalchemy as sa
from browsing import free_port

from store import Limits, Store, StoredRun, StoreLimitReached, StoreUnavailable, valid_workspace_id
from store.engine import create, current_revision, head_revision, migrate
from store.store import HOST, INTERRUPTED

ROOT = Path(__file__).resolve().parents[1]
CONFIG = {"hidden": [32], "learning_rate": 0.1}


@pytest.fixture
def store(store_url):
    opened = Store(store_url)
    yield opened
    opened.close()


def finished(model: bytes = b"PK" + bytes(1000), **changes) -> StoredRun:
    values = dict(name="Run 1", config=CONFIG, status="finished", curves={"train": [[1, 0.5, math.nan, 0.1, 0.1]]},
                  test_accuracy=0.93, test_loss=0.25, seconds=12.5, epochs=3.0, model=model)
    return StoredRun(**{**values, **changes})


def test_an_empty_database_is_migrated_to_the_newest_schema(store_url):
    Store(store_url).close()
    engine = create(store_url)
    assert current_revision(engine) == head_revision() != "0001"
    assert {"workspaces", "runs", "drawings"} <= set(sa.inspect(engine).get_table_names())
    engine.dispose()


def test_a_store_at_the_first_schema_keeps_its_runs_through_the_upgrade(store_url):
    engine = create(store_url)
    migrate(engine, "0001")
    assert "drawings" not in sa.inspect(engine).get_table_names()
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO workspaces (id, created, updated) VALUES (:w, 1, 1)"), {"w": "w" * 24})
        conn.execute(sa.text("INSERT INTO runs (workspace_id, name, config, status, model, created, updated) "
                             "VALUES (:w, 'Old run', :config, 'finished', :model, 1, 1)"),
                     {"w": "w" * 24, "config": json.dumps(CONFIG), "model": b"weights"})
    engine.dispose()
    store = Store(store_url)
    [run] = store.runs("w" * 24)
    assert (run.name, run.config, run.model, run.curves) == ("Old run", CONFIG, b"weights", {})
    assert (run.drawings, run.drawings_until) == (0, None)  # a run from before 0006 trained on no drawing
    assert "drawings" in sa.inspect(store.engine).get_table_names()
    store.close()


def test_a_store_at_the_fifth_schema_gains_what_runs_trained_on(store_url):
    engine = create(store_url)
    migrate(engine, "0005")
    assert "drawings_until" not in {c["name"] for c in sa.inspect(engine).get_columns("runs")}
    engine.dispose()
    store = Store(store_url)
    assert current_revision(store.engine) == head_revision() == "0006"
    workspace = store.create_workspace()
    run_id = store.begin_run(workspace, "Run 1", CONFIG)
    store.finish_run(workspace, run_id, finished(drawings=12, drawings_until=1_700_000_123.25))
    store.add_run(workspace, finished(name="Run 2"))
    [with_drawings, without] = store.runs(workspace)
    assert (with_drawings.drawings, with_drawings.drawings_until) == (12, 1_700_000_123.25)
    assert (without.drawings, without.drawings_until) == (0, None)
    store.close()


def test_workspace_ids_are_long_random_and_checked_before_any_query(store):
    made = {store.create_workspace() for _ in range(20)}
    assert len(made) == 20 and all(valid_workspace_id(w) for w in made)
    assert all(store.workspace_exists(w) for w in made)
    guessed = "A" * 24  # the right form, but nobody made it
    hostile = ["", "x" * 10_000, "'; DROP TABLE runs; --", "../../etc/passwd", None, 42]
    assert not store.workspace_exists(guessed)
    assert not any(store.workspace_exists(w) for w in hostile)
    assert {"runs", "workspaces"} <= set(sa.inspect(store.engine).get_table_names())


def test_a_run_is_saved_running_then_whole_with_its_network(store):
    workspace = store.create_workspace()
    run_id = store.begin_run(workspace, "Run 1", CONFIG)
    store.checkpoint_run(workspace, run_id, {"train": [[1, 0.1, 2.3, 0.1, 0.1]]})
    [running] = store.runs(workspace)
    assert (running.status, running.curves, running.model) == ("running", {"train": [[1, 0.1, 2.3, 0.1, 0.1]]}, None)
    model = os.urandom(300_000)
    store.finish_run(workspace, run_id, finished(model))
    [run] = store.runs(workspace)
    assert (run.id, run.status, run.model, run.test_accuracy, run.seconds) == (run_id, "finished", model, 0.93, 12.5)
    assert math.isnan(run.curves["train"][0][2])  # a diverged loss survives the trip
    assert store.usage(workspace)[1] > len(model)


def test_settings_and_drawing_come_back(store):
    workspace = store.create_workspace()
    assert store.workspace_state(workspace) == (None, None)
    store.save_workspace_state(workspace, settings={"learning_rate": 0.05}, drawing={"objects": [1, 2]})
    store.save_workspace_state(workspace, drawing=None)
    assert store.workspace_state(workspace) == ({"learning_rate": 0.05}, None)


def test_one_workspace_cannot_touch_anothers_runs(store):
    mine, theirs = store.create_workspace(), store.create_workspace()
    run_id = store.add_run(theirs, finished())
    store.rename_run(mine, run_id, "hacked")
    store.delete_run(mine, run_id)
    assert [r.name for r in store.runs(theirs)] == ["Run 1"] and store.runs(mine) == []
    store.rename_run(theirs, run_id, "Renamed")
    assert store.runs(theirs)[0].name == "Renamed"
    store.delete_run(theirs, run_id)
    assert store.runs(theirs) == []


def test_a_workspace_comes_back_without_its_networks_and_each_is_read_alone_from_its_own_workspace(store):
    mine, theirs = store.create_workspace(), store.create_workspace()
    model = os.urandom(300_000)
    with_network, without = store.add_run(mine, finished(model)), store.add_run(mine, finished(None, name="Run 2"))
    statements = []

    def note(conn, cursor, statement, *rest):
        statements.append(statement)

    sa.event.listen(store.engine, "before_cursor_execute", note)
    try:
        light = store.runs(mine, networks=False)
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", note)
    whole = store.runs(mine)
    assert [(r.name, r.model, r.has_network) for r in light] == [("Run 1", None, True), ("Run 2", None, False)]
    assert light == [dataclasses.replace(r, model=None) for r in whole] and whole[0].model == model
    read = [s for s in statements if "FROM runs" in s]
    assert read and not any(re.search(r"runs\.model\b(?!\))", s) for s in read)  # only length(runs.model)
    assert store.run_model(mine, with_network) == model
    assert store.run_model(mine, without) is None and store.run_model(mine, with_network + 1000) is None
    assert store.run_model(theirs, with_network) is None  # another workspace's run id reads nothing


def test_newest_runs_only_oldest_first(store):
    workspace = store.create_workspace()
    for n in range(5):
        store.add_run(workspace, finished(name=f"Run {n}"))
    assert [r.name for r in store.runs(workspace, newest=3)] == ["Run 2", "Run 3", "Run 4"]


def test_summaries_of_many_workspaces_leave_the_networks_out(store):
    ours = [store.create_workspace() for _ in range(3)]
    other = store.create_workspace()
    for n, workspace in enumerate(ours + [other]):
        store.add_run(workspace, finished(name=f"Run {n}"))
    store.begin_run(ours[0], "Training", CONFIG)
    found = store.summaries(ours)
    assert [r.name for r in found] == ["Run 0", "Run 1", "Run 2"]
    assert all(r.model is None and r.test_accuracy == 0.93 and r.curves == {} for r in found)
    theirs = store.runs(other)[0].id
    [(run_id, curves)] = store.curves(ours, [found[1].id, theirs]).items()  # not the other workspace's
    assert run_id == found[1].id and curves["train"][0][:2] == [1, 0.5]


def test_the_run_limit_refuses_a_run_in_words(store_url):
    store = Store(store_url, limits=Limits(runs=2))
    workspace = store.create_workspace()
    store.add_run(workspace, finished())
    store.begin_run(workspace, "Run 2", CONFIG)
    with pytest.raises(StoreLimitReached, match="already keeps 2 runs.*not saved.*Delete runs"):
        store.begin_run(workspace, "Run 3", CONFIG)
    assert store.usage(workspace)[0] == 2
    store.close()


def test_the_bytes_limit_keeps_results_but_not_the_network(store_url):
    store = Store(store_url, limits=Limits(bytes=50_000))
    workspace = store.create_workspace()
    run_id = store.begin_run(workspace, "Run 1", CONFIG)
    with pytest.raises(StoreLimitReached, match=r"over its 0.0 MB.*download it"):
        store.finish_run(workspace, run_id, finished(bytes(60_000)))
    [run] = store.runs(workspace)
    assert (run.status, run.model, run.test_accuracy) == ("finished", None, 0.93)
    with pytest.raises(StoreLimitReached):
        store.add_run(workspace, finished(bytes(60_000)))  # an upload that would pass the limit
    assert store.usage(workspace)[0] == 1
    store.close()


def test_a_run_of_a_dead_process_comes_back_interrupted_with_its_curves(store):
    workspace = store.create_workspace()
    run_id = store.begin_run(workspace, "Run 1", CONFIG)
    store.checkpoint_run(workspace, run_id, {"train": [[5, 0.2, 1.0, 0.7, 0.1]]})
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    with store.engine.begin() as conn:  # as if that finished process had been training it
        conn.execute(sa.text("UPDATE runs SET owner = :owner WHERE id = :id"),
                     {"owner": f"{HOST}:{gone.stdout.strip()}:abcd", "id": run_id})
    live = store.begin_run(workspace, "Run 2", CONFIG)  # this process's: still training
    first, second = store.runs(workspace)
    assert (first.status, first.reason, first.curves) == ("interrupted", INTERRUPTED, {"train": [[5, 0.2, 1.0, 0.7, 0.1]]})
    assert (second.id, second.status) == (live, "running")


KILLED_WRITER = textwrap.dedent("""
    import os, sys
    from store import Store, StoredRun
    store = Store(sys.argv[1])
    workspace = store.create_workspace()
    print(workspace, flush=True)
    model = os.urandom(400_000)
    n = 0
    while True:
        n += 1
        run_id = store.begin_run(workspace, f"Run {n}", {"n": n})
        store.checkpoint_run(workspace, run_id, {"n": n})
        store.finish_run(workspace, run_id, StoredRun(name=f"Run {n}", config={"n": n}, status="finished", model=model))
        if n == 3:
            run_id = store.begin_run(workspace, "Training", {"n": 0})
            store.checkpoint_run(workspace, run_id, {"n": 0})
        print(n, model[:8].hex(), flush=True)
""")


def test_a_server_killed_mid_write_leaves_every_committed_run_whole(store_url):
    writer = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, store_url], stdout=subprocess.PIPE, text=True,
                              cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    workspace = writer.stdout.readline().strip()
    for line in writer.stdout:
        if int(line.split()[0]) >= 6:
            break
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    store = Store(store_url)
    saved = store.runs(workspace)
    done = [r for r in saved if r.status == "finished"]
    assert len(done) >= 6 and all(len(r.model) == 400_000 and r.model[:8].hex() == line.split()[1] for r in done)
    assert [r.status for r in saved if r.name == "Training"] == ["interrupted"]
    assert all(r.status in ("finished", "interrupted") for r in saved)  # the run cut short is interrupted too
    store.close()


def test_a_damaged_sqlite_file_gives_a_message(tmp_path):
    path = tmp_path / "store.sqlite3"
    Store(f"sqlite:///{path}").close()
    path.write_bytes(b"this is not a database, it was overwritten" * 100)
    with pytest.raises(StoreUnavailable, match="cannot be read.*damaged"):
        Store(f"sqlite:///{path}")


def test_a_truncated_sqlite_file_gives_a_message(tmp_path):
    path = tmp_path / "store.sqlite3"
    store = Store(f"sqlite:///{path}")
    workspace = store.create_workspace()
    for n in range(40):
        store.add_run(workspace, finished(os.urandom(20_000), name=f"Run {n}"))
    store.close()
    sqlite3.connect(path).execute("PRAGMA wal_checkpoint(TRUNCATE)").close()
    with path.open("r+b") as f:
        f.truncate(path.stat().st_size // 3)
    with pytest.raises(StoreUnavailable, match="damaged"):
        Store(f"sqlite:///{path}").runs(workspace)


def test_a_locked_sqlite_file_says_it_is_busy(tmp_path):
    path = tmp_path / "store.sqlite3"
    store = Store(f"sqlite:///{path}", busy_seconds=0.2)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreUnavailable, match="busy: another program holds a lock"):
            store.create_workspace()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert valid_workspace_id(store.create_workspace())  # free again: it works again


def test_an_unreachable_server_or_bad_address_gives_a_message_without_the_address(tmp_path, caplog):
    """Students read these messages: the database's user, host and port, and server paths, go to the log only."""
    port = free_port()
    with caplog.at_level(logging.ERROR), pytest.raises(StoreUnavailable, match="cannot be reached") as raised:
        Store(f"postgresql://mlp:secret@127.0.0.1:{port}/nothing")
    assert not any(part in str(raised.value) for part in ("mlp", "secret", "127.0.0.1", str(port), "postgresql"))
    assert f"127.0.0.1:{port}" in caplog.text and "secret" not in caplog.text
    with pytest.raises(StoreUnavailable, match="cannot be opened") as raised:
        Store("postgresql://mlp:secret@127.0.0.1:notaport/nothing")
    assert "secret" not in str(raised.value) and "127.0.0.1" not in str(raised.value)
    with pytest.raises(StoreUnavailable) as raised:
        Store(f"sqlite:///{tmp_path}/no/such/folder/store.sqlite3")
    assert str(tmp_path) not in str(raised.value)


def test_every_fact_of_a_run_is_a_column_of_its_name_and_comes_back_whole(store):
    """training.record.RunFacts is the one list of a run's saved facts: each is a column of the same name, written and
    read by name (a new fact needs its field, its column and a migration, and nothing else of the store)."""
    from store.schema import runs
    from training.record import RunFacts
    names = [f.name for f in dataclasses.fields(RunFacts)]
    assert set(names) <= set(runs.c.keys())
    example = {"str": "x", "int": 7, "float": 2.5, "str | None": "y", "int | None": 3, "float | None": 0.125}
    facts = {f.name: example[f.type] for f in dataclasses.fields(RunFacts)}  # a new type of fact: add an example
    workspace = store.create_workspace()
    store.add_run(workspace, StoredRun(**facts, config=CONFIG, model=b"PK net"))
    [back] = store.runs(workspace)
    assert back.facts() == facts
