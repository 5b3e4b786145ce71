"""Saved work, measured: saving a run, a reload bringing a workspace back, a class board's read of 300
posted runs (and its table and chart), and the bytes each run takes; on SQLite and, given --postgres, on PostgreSQL.

    python bench/store.py                                   # SQLite in a temporary folder
    python bench/store.py --postgres postgresql://user@host:port/db   # both (the database should be empty)

The runs are as the app saves them: a 784-256-128-10 network (the default) and 5 epochs of curves.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mlp.config import TrainConfig  # noqa: E402
from mlp.diagnostics import LayerStats  # noqa: E402
from mlp.model import Model  # noqa: E402
from mlp.trainer import DiagnosticPoint, EvalPoint, History, TrainPoint  # noqa: E402
from store import Classes, Limits, Store  # noqa: E402
from training.record import Run  # noqa: E402
from ui.board.data import board_rows, setting_figure  # noqa: E402
from ui.saving import process_store, records  # noqa: E402


def a_run(n: int) -> Run:
    """A finished default run: its network and the curves 5 epochs log (50 points an epoch)."""
    config = TrainConfig(seed=n)
    steps = [(i, i / 50) for i in range(1, 251)]
    history = History([TrainPoint(s, e, 2.3 / s, 1 - 1 / s, 1e-3) for s, e in steps],
                      [EvalPoint(s, e, 0.1, 0.97) for s, e in steps[49::50]],
                      [DiagnosticPoint(s, e, tuple(LayerStats(0.1, 0.0, 12.0, 1e-3) for _ in range(3)))
                       for s, e in steps])
    return Run(name=f"Run {n}", config=config, history=history, status="finished", reason="",
               model=Model.create(config), test_accuracy=0.975, test_loss=0.08, seconds=30.0, epochs=5.0)


def timed(action, repeat: int) -> float:
    """The median wall time of `action()` over `repeat` calls, in milliseconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def size_of(store: Store) -> int:
    with store.engine.connect() as conn:
        if store.engine.dialect.name == "postgresql":
            return conn.execute(sa.text("SELECT pg_database_size(current_database())")).scalar()
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        return Path(store.engine.url.database).stat().st_size


def measure(url: str, students: int, runs_each: int, repeat: int) -> dict[str, float]:
    store = Store(url, limits=Limits(runs=runs_each + 1, bytes=2**40))
    rooms = Classes(store)
    room, _ = rooms.create("Bench class")
    runs = [a_run(n) for n in range(runs_each)]
    rows = [records.stored(r) for r in runs]
    workspaces = [store.create_workspace() for _ in range(students)]
    members = [rooms.join(room.code, w, f"Student {n}") for n, w in enumerate(workspaces)]
    empty = size_of(store)
    start = time.perf_counter()
    for workspace, member in zip(workspaces, members):
        for row in rows:
            run_id = store.begin_run(workspace, row.name, row.config)
            store.finish_run(workspace, run_id, row)
            rooms.post(member, run_id)
    save_ms = (time.perf_counter() - start) * 1000 / (students * runs_each)
    per_run = (size_of(store) - empty) / (students * runs_each)
    posts = rooms.board(room.id)
    first = store.runs(workspaces[0], networks=False)[0].id
    figures = {"save and post a run (ms)": save_ms,
               f"reload: restore {runs_each} runs, their networks left in the store (ms)":
                   timed(lambda: process_store.restore(store, workspaces[0], runs_each), repeat),
               "read one run's network back when a page uses it (ms)":
                   timed(lambda: records.network(store.run_model(workspaces[0], first), "Run 0"), repeat),
               f"board: read {students * runs_each} posted runs of {students} students (ms)":
                   timed(lambda: rooms.board(room.id), repeat),
               "board: its table and setting chart from them (ms)":
                   timed(lambda: (board_rows(posts), setting_figure(posts, "lr")), repeat),
               "store size per run (KB)": per_run / 1024,
               "network file alone (KB)": len(rows[0].model) / 1024}
    store.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", help="a PostgreSQL URL (an empty database) to measure beside SQLite")
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--runs-each", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        urls = {"SQLite": f"sqlite:///{folder}/store.sqlite3"}
        if args.postgres:
            urls["PostgreSQL"] = args.postgres
        results = {name: measure(url, args.students, args.runs_each, args.repeat) for name, url in urls.items()}
    names = list(results)
    print(f"| measure | {' | '.join(names)} |\n| --- |{' ---: |' * len(names)}")
    for label in results[names[0]]:
        print(f"| {label} | {' | '.join(f'{results[n][label]:,.1f}' for n in names)} |")


if __name__ == "__main__":
    main()
