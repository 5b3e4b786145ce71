"""The class board with a whole class watching it: N students sit on the Board page while it refreshes by itself.

    python bench/board.py                                   # 30 students, 300 posted runs, SQLite, 120 s
    python bench/board.py --students 5 --runs 60 --seconds 40           # a quick check
    python bench/board.py --database-url postgresql://user@host/db      # SQLite, then this (empty) database
    MLP_TEST_POSTGRES_URL=postgresql://mlp@127.0.0.1:5432/postgres python bench/board.py
                                                            # SQLite, then a fresh database there (dropped after)

Per database: a store is filled through store/ as the app fills it (a class, N members, the runs shared out among
them: each a default 784-256-128-10 network, 5 epochs of curves, a learning rate of its own, posted to the board);
the app is started on it; one student alone sits on the Board for --seconds (the reference), then the N students,
each opening the Board at a random moment of one refresh interval, as a class drifts in, with the teacher's projector
view of the class beside them (the join code, its QR code and who is training: one more query per refresh). Every
student is a websocket client (bench/streamlit_client.py) whose browser remembers its workspace (the cookie a real
browser would send), so the app finds its class on arrival. It prints the time of one board refresh as the students
saw it (from the refresh request their page sent to the end of that fragment run: median, 95th percentile, longest)
and the bytes it brought, the time to open the Board, the server's CPU (average and busiest second) and memory, and
every error, and the same of the projector view. It only talks to 127.0.0.1 and stops its server at the end.
"""
from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import sqlalchemy as sa
import websockets
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))

from classroom import busiest_second, percentile  # noqa: E402
from classroom_server import AppServer, CpuMeter, process_rss_mb  # noqa: E402
from streamlit_client import MAX_MESSAGE, StreamlitClient  # noqa: E402
from mlp.config import TrainConfig  # noqa: E402
from mlp.data.mnist import DATA_DIR_ENV  # noqa: E402
from store import Classes, Limits, Store  # noqa: E402
from store.engine import DATABASE_ENV  # noqa: E402
from ui.board.panel import REFRESH_SECONDS  # noqa: E402
from ui.saving import records  # noqa: E402
from ui.saving.workspace import COOKIE  # noqa: E402
from ui.shared.links import PROJECTOR_PARAM  # noqa: E402

POSTGRES_ENV = "MLP_TEST_POSTGRES_URL"  # a server where databases may be made, as for the store tests
SHARED_MNIST = BENCH.parent.parent / "shared" / "data" / "mnist"
BOARD = "Board"
FRAGMENT_DONE = ForwardMsg.ScriptFinishedStatus.Value("FINISHED_FRAGMENT_RUN_SUCCESSFULLY")


def saved_runs_module():
    """bench/store.py, whose finished default run this benchmark posts (its name hides the `store` package)."""
    spec = importlib.util.spec_from_file_location("bench_store", BENCH / "store.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ----- the store: a class and its posted runs -----
def fill(url: str, students: int, runs: int) -> tuple[list[str], str]:
    """A class of `students` members and `runs` posted runs shared out among them; the members' workspace ids, and
    the class's join code (the teacher's projector view shows the class it names)."""
    a_run = saved_runs_module().a_run
    store = Store(url, limits=Limits(runs=runs + 1, bytes=2**40))
    rooms = Classes(store)
    room, _ = rooms.create("Board benchmark")
    workspaces = [store.create_workspace() for _ in range(students)]
    members = [rooms.join(room.code, w, f"Student {n + 1}") for n, w in enumerate(workspaces)]
    draw = random.Random(0)
    for n in range(runs):
        record = a_run(n)  # its own network (seeded by n): a store of distinct, full-size model files
        record.config = TrainConfig(seed=n, lr=round(10 ** draw.uniform(-4, -0.5), 6))
        record.test_accuracy = draw.uniform(0.6, 0.98)
        row, member = records.stored(record), members[n % students]
        run_id = store.begin_run(workspaces[n % students], row.name, row.config)
        store.finish_run(workspaces[n % students], run_id, row)
        rooms.post(member, run_id)
    store.close()
    return workspaces, room.code


# ----- a student on the Board -----
@dataclass
class Watched:
    """What one student saw while sitting on the Board."""
    opened: float | None = None  # seconds to open the Board
    refreshes: list[float] = field(default_factory=list)  # seconds from a refresh request to its end
    kilobytes: list[float] = field(default_factory=list)  # what each refresh brought
    errors: list[str] = field(default_factory=list)


class BoardWatcher(StreamlitClient):
    """A student whose browser remembers its workspace, timing each refresh the Board's fragment asks for."""

    def __init__(self, base_url: str, name: str, workspace: str, query: str = ""):
        super().__init__(base_url, name)
        self.workspace, self.query_string = workspace, query
        self.asked: float | None = None  # when the oldest refresh request still unanswered was sent
        self.bytes = 0
        self.watched = Watched()

    async def connect(self) -> None:
        """As the base class, with the cookie the app set in this student's browser."""
        self._socket = await websockets.connect(self.ws_url, subprotocols=["streamlit"], max_size=MAX_MESSAGE,
                                                open_timeout=60, ping_timeout=None,
                                                additional_headers={"Cookie": f"{COOKIE}={self.workspace}"})
        self._reader = asyncio.create_task(self._read())

    async def _rerun(self, *args, auto: bool = False, **kwargs) -> None:
        if auto and self.asked is None:
            self.asked, self.bytes = time.monotonic(), 0
        await super()._rerun(*args, auto=auto, **kwargs)

    def _handle(self, message: ForwardMsg) -> None:
        super()._handle(message)
        if self.asked is None:
            return
        self.bytes += message.ByteSize()
        if message.WhichOneof("type") == "script_finished" and message.script_finished == FRAGMENT_DONE:
            self.watched.refreshes.append(time.monotonic() - self.asked)  # answers every request sent meanwhile
            self.watched.kilobytes.append(self.bytes / 1024)
            self.asked = None


class Seated:
    """Counts the students still opening the Board; once the last has (or failed to), the server's meters start,
    so the phase's CPU and memory are those of a class sitting on the page, not of its arrival."""

    def __init__(self, students: int, pid: int):
        self.left, self.pid, self.stop = students, pid, asyncio.Event()
        self.meter, self.peak, self.memory_mb = CpuMeter(pid), None, 0.0

    def arrived(self) -> None:
        self.left -= 1
        if self.left == 0:
            self.meter.start()
            self.peak = asyncio.create_task(busiest_second(self.pid, self.stop))
            self.memory_mb = process_rss_mb(self.pid)


async def sit(client: BoardWatcher, delay: float, until: float, seated: Seated, shown: str = "runs posted") -> Watched:
    """Open the Board after `delay` seconds, then let it refresh by itself until the clock reads `until`; an error
    unless the page shows `shown`."""
    await asyncio.sleep(delay)  # a student arriving later: the class does not open the page at one instant
    start = time.monotonic()
    try:
        try:
            await client.open(BOARD, timeout=120)
        finally:
            seated.arrived()
        client.watched.opened = time.monotonic() - start
        if not client.shows(shown):
            client.log.errors.append(f"{client.name}: the Board did not show {shown!r}")
        await asyncio.sleep(max(0.0, until - time.monotonic()))  # sitting on the page: the duration is the point
    except (TimeoutError, ConnectionError, OSError) as error:
        client.log.errors.append(f"{client.name}: {error}")
    finally:
        await client.close()
    client.watched.errors = client.log.errors
    return client.watched


async def warm_up(url: str) -> None:
    """One visitor opens the Board first, so the server's first page (imports, MNIST) is in no phase's figures."""
    client = StreamlitClient(url, "warm-up")
    await client.open(BOARD, timeout=120)
    await client.close()


# ----- one phase: some students on one server -----
@dataclass
class Phase:
    students: int
    seconds: float
    watched: list[Watched]
    cpu: float  # the server's average cores once every student sat on the Board
    busiest: float  # ... in its busiest second
    others: float  # cores the rest of the machine used (this benchmark's clients apart)
    client: float  # cores this benchmark used
    memory_mb: tuple[float, float, float]  # the server's resident memory before, once all sat, at the end
    projector: Watched | None = None  # the teacher's projector view, sitting on the Board with the class

    def times(self) -> list[float]:
        return [t for w in self.watched for t in w.refreshes]


async def phase(url: str, pid: int, workspaces: list[str], seconds: float, projector: str = "") -> Phase:
    """The students of `workspaces` open the Board within one refresh interval and sit there for `seconds`; with a
    join code `projector`, the teacher's projector view of that class (join code, QR code, who is training) too."""
    teacher = [BoardWatcher(url, "projector", workspaces[0], f"{PROJECTOR_PARAM}={projector}")] if projector else []
    before, seated = process_rss_mb(pid), Seated(len(workspaces) + len(teacher), pid)
    spread = REFRESH_SECONDS if len(workspaces) > 1 else 0.0
    until = time.monotonic() + spread + seconds
    draw = random.Random(1)
    watched = await asyncio.gather(*(sit(BoardWatcher(url, f"student {n + 1}", w), draw.uniform(0, spread), until,
                                         seated) for n, w in enumerate(workspaces)),
                                   *(sit(t, 0.0, until, seated, "Who is training") for t in teacher))
    cpu = seated.meter.read()
    seated.stop.set()
    students, projected = list(watched[:len(workspaces)]), (watched[len(workspaces)] if teacher else None)
    return Phase(len(workspaces), seconds, students, cpu["server"], await seated.peak, cpu["others"],
                 cpu["client"], (before, seated.memory_mb, process_rss_mb(pid)), projected)


# ----- one database -----
@dataclass
class Backend:
    name: str
    students: int
    runs: int
    fill_seconds: float
    alone: Phase
    class_: Phase


def measure(name: str, url: str, args: argparse.Namespace, log_dir: Path) -> Backend:
    print(f"{name}: filling the store with {args.runs} posted runs of {args.students} students", flush=True)
    start = time.monotonic()
    workspaces, code = fill(url, args.students, args.runs)
    filled = time.monotonic() - start
    env = {DATA_DIR_ENV: str(args.data_dir), DATABASE_ENV: url}
    server = AppServer(log_dir / f"server-{name}.log", env)
    print(f"{name}: server pid {server.pid} on {server.url}; one student alone for {args.seconds:.0f} s, then "
          f"{args.students}", flush=True)
    try:
        asyncio.run(warm_up(server.url))
        alone = asyncio.run(phase(server.url, server.pid, workspaces[:1], args.seconds))
        together = asyncio.run(phase(server.url, server.pid, workspaces, args.seconds, code))
    finally:
        server.stop()
    return Backend(name, args.students, args.runs, filled, alone, together)


def fresh_database(server_url: str) -> tuple[str, Callable[[], None]]:
    """A new, empty database on the server `server_url` names, and how to drop it."""
    name = f"mlp_board_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(sa.make_url(server_url).set(drivername="postgresql+psycopg"),
                             isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))  # a name made here: DDL takes no parameters

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return sa.make_url(server_url).set(database=name).render_as_string(hide_password=False), drop


# ----- the report -----
def refresh_line(label: str, times: list[float], reference: list[float] | None = None) -> str:
    if not times:
        return f"  {label}: no refresh measured"
    median = statistics.median(times)
    ratio = f" ({median / statistics.median(reference):.1f}x alone)" if reference else ""
    return (f"  {label}: refresh median {median:.2f} s{ratio}, 95th percentile {percentile(times, 95):.2f} s, "
            f"longest {max(times):.2f} s ({len(times)} refreshes)")


def phase_lines(label: str, result: Phase, reference: Phase | None) -> list[str]:
    opened = [w.opened for w in result.watched if w.opened is not None]
    sizes = [kb for w in result.watched for kb in w.kilobytes]
    errors = [e for w in result.watched for e in w.errors]
    before, seated, after = result.memory_mb
    return [
        refresh_line(label, result.times(), reference.times() if reference else None),
        f"    opening the Board: median {statistics.median(opened):.2f} s, longest {max(opened):.2f} s; "
        f"a refresh brings {statistics.median(sizes) if sizes else 0:.0f} KB",
        f"    server, once all sat: {result.cpu:.2f} cores on average, {result.busiest:.2f} in its busiest second; "
        f"memory {before:.0f} MB before, {seated:.0f} MB once all sat ({(seated - before) / result.students:+.1f} "
        f"per student), {after:.0f} MB at the end; this benchmark {result.client:.2f} cores, other processes "
        f"{result.others:.2f}",
        "    errors: " + ("; ".join(sorted(set(errors))[:6]) if errors else "none"),
        *_projector_lines(result.projector, reference),
    ]


def _projector_lines(watched: Watched | None, reference: Phase | None) -> list[str]:
    """The teacher's projector view beside the class: its two parts' refreshes (the board, who is training)."""
    if watched is None:
        return []
    return [refresh_line("the teacher's projector view", watched.refreshes, reference.times() if reference else None),
            f"    opening it: {watched.opened or float('nan'):.2f} s; errors: " + ("; ".join(watched.errors) or "none")]


def report(result: Backend) -> list[str]:
    return [f"{result.name}: {result.runs} runs posted by {result.students} students (store filled in "
            f"{result.fill_seconds:.0f} s); the Board refreshes every {REFRESH_SECONDS:.0f} s",
            *phase_lines("1 student alone", result.alone, None),
            *phase_lines(f"{result.students} students", result.class_, result.alone)]


def table(results: list[Backend]) -> list[str]:
    """One Markdown row per database and phase, for docs/saved-work.md."""
    lines = ["| database | students | refresh median / p95 / longest (s) | server cores (busiest s) | "
             "server MB | errors |", "| --- | ---: | --- | --- | --- | ---: |"]
    for r in results:
        for p in (r.alone, r.class_):
            times = p.times()
            shown = " / ".join(f"{v:.2f}" for v in (percentile(times, 50), percentile(times, 95),
                                                     max(times, default=float("nan"))))
            lines.append(f"| {r.name} | {p.students} | {shown} | {p.cpu:.2f} ({p.busiest:.2f}) | "
                         f"{p.memory_mb[2]:.0f} | {sum(len(w.errors) for w in p.watched)} |")
    return lines


# ----- the command line -----
def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=30, help="students watching the board (default 30)")
    parser.add_argument("--runs", type=int, default=300, help="runs posted to the board (default 300)")
    parser.add_argument("--seconds", type=float, default=120, help="seconds each phase sits on the Board (120)")
    parser.add_argument("--database-url", help="a PostgreSQL database (empty) to measure after SQLite")
    parser.add_argument("--data-dir", type=Path, default=Path(os.environ.get(DATA_DIR_ENV) or SHARED_MNIST),
                        help=f"the MNIST folder (default ${DATA_DIR_ENV}, else ../shared/data/mnist)")
    parser.add_argument("--json", type=Path, help="also write every number to this file")
    args = parser.parse_args(argv)
    if args.students < 1 or args.runs < args.students or args.seconds <= 0:
        parser.error("--students needs at least 1, --runs at least one run per student, --seconds more than 0")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    log_dir = Path(tempfile.mkdtemp(prefix="board-"))
    print(f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f}; server logs in {log_dir}", flush=True)
    results, drop = [], None
    try:
        results.append(measure("SQLite", f"sqlite:///{log_dir / 'store.sqlite3'}", args, log_dir))
        print("\n".join(report(results[-1])), flush=True)
        postgres = args.database_url
        if not postgres and os.environ.get(POSTGRES_ENV):
            postgres, drop = fresh_database(os.environ[POSTGRES_ENV])
        if postgres:
            results.append(measure("PostgreSQL", postgres, args, log_dir))
            print("\n".join(report(results[-1])), flush=True)
    finally:
        if drop is not None:
            drop()
    print("\n".join(["", *table(results)]))
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=1))
        print(f"numbers written to {args.json}")


if __name__ == "__main__":
    main()
