"""One visitor against the class: twenty sessions of one address each start the largest run allowed, then a 21st
student (on another address, then on the same one) asks to train.

    python bench/fair_queue.py                    # one app process, 2 training workers
    python bench/fair_queue.py --nginx            # two app processes behind nginx (deploy/serve.py), as deployed
    python bench/fair_queue.py --attackers 20 --settle 300 --attack-query "hidden=2048,2048&batch_size=6000&epochs=1"

No browser: every session is a websocket client sending what Streamlit's front end sends (bench/streamlit_client.py).
The attacker's sessions connect from 127.0.0.2 without a cookie (each a fresh workspace, as a hostile script's
would), the other student from 127.0.0.3 (Linux answers on all of 127.0.0.0/8). Behind nginx, the app processes
read the client's address from X-Forwarded-For, which they trust from nginx on 127.0.0.1 only (uvicorn's
FORWARDED_ALLOW_IPS, docs/classroom.md). The attacker's run is the first of --attack-query candidates whose Start the
Train page enables (the largest the server allows); the students train the default settings for one epoch.

It prints what each student was told (place in line, wait) against how long it waited for a worker and trained, and
the app processes' resident memory before the attack, while it runs, its peak, and at moments after every session
closed. It only talks to 127.0.0.x and stops what it started.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from classroom import stop_on_sigterm  # noqa: E402
from classroom_server import AppServer, free_port, process_rss_mb  # noqa: E402
from mlp.data.mnist import DATA_DIR_ENV  # noqa: E402
from streamlit_client import StreamlitClient  # noqa: E402

START = "Start training"
ATTACKER, STUDENT = "127.0.0.2", "127.0.0.3"
LARGEST = ("hidden=4096,4096&batch_size=6000&epochs=2", "hidden=4096,4096&batch_size=6000&epochs=1",
           "hidden=2048,2048&batch_size=6000&epochs=2", "hidden=2048,2048&batch_size=6000&epochs=1",
           "hidden=1024,1024&batch_size=2000&epochs=2")
STUDENT_QUERY = "epochs=1"
PLACE = re.compile(r"### Waiting for a free slot: (\d+)\w\w in line(?:, (about [^;]+) to wait)?")
ESTIMATED = re.compile(r"^Estimated: (about .+?) and .+? on this server(?:, after (about .+?) in line for a worker)?\.$")
SHARED_MNIST = ROOT.parent / "shared" / "data" / "mnist"


def status(client: StreamlitClient) -> str:
    return next((t for t in reversed(client.texts()) if t.startswith("### ")), "")


def estimated(client: StreamlitClient) -> tuple[str, str]:
    """The Train page's estimate beside Start: (its time, its wait in line or '')."""
    for text in client.texts():
        found = ESTIMATED.match(text)
        if found:
            return found[1], found[2] or ""
    return "", ""


@dataclass
class Student:
    name: str
    address: str
    told: tuple[str, str] = ("", "")  # the estimate beside Start: time, wait
    place: int = 0  # the place in line the page said after the click
    told_wait: str = ""
    waited: float | None = None  # from the click to "Training"
    started: float | None = None  # when it got a worker (time.monotonic()): to order it against other runs
    finished: float | None = None  # from the click to "Finished"
    notes: list[str] = field(default_factory=list)


class Memory:
    """The app processes' resident memory, sampled every second by `watch()` (its peak kept)."""

    def __init__(self, pids: list[int]):
        self.pids, self.peak = pids, 0.0

    def now(self) -> float:
        return sum(process_rss_mb(pid) for pid in self.pids)

    async def watch(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self.peak = max(self.peak, self.now())
            try:
                await asyncio.wait_for(stop.wait(), 1.0)  # a sampling period, not a wait for an event
            except asyncio.TimeoutError:
                pass


async def largest_allowed(url: str, candidates: tuple[str, ...]) -> str:
    """The first candidate whose Start the Train page enables."""
    for query in candidates:
        probe = StreamlitClient(url, "probe", ATTACKER)
        await probe.open("Train", query=query)
        allowed = START in probe.widgets and not probe.widgets[START].disabled
        await probe.close()
        if allowed:
            return query
    raise SystemExit(f"the server refuses every candidate: {candidates}")


async def student(url: str, who: Student, timeout: float) -> tuple[Student, StreamlitClient]:
    """One student's run, what it was told and what it took; a page that does not come in time is said, not fatal."""
    client = StreamlitClient(url, who.name, who.address)
    try:
        await client.open("Train", query=STUDENT_QUERY, timeout=300)
        who.told = estimated(client)
        clicked = time.monotonic()
        await client.click(START, timeout=300)
        await client.wait_for(lambda: status(client).startswith(("### Waiting", "### Starting", "### Training")), 300,
                              "the run in line or training")
    except (TimeoutError, ConnectionError) as error:
        who.notes.append(str(error))
        return who, client
    place = PLACE.match(status(client))
    if place:
        who.place, who.told_wait = int(place[1]), place[2] or ""
    try:
        await client.wait_for(lambda: status(client).startswith(("### Starting", "### Training", "### Finished")),
                              timeout, "a worker")
        who.started = time.monotonic()
        who.waited = who.started - clicked
        await client.wait_for(lambda: status(client).startswith("### Finished"), timeout, "the end of the run")
        who.finished = time.monotonic() - clicked
    except TimeoutError as error:
        who.notes.append(str(error))
    return who, client


async def attack(url: str, n: int, query: str) -> list[StreamlitClient]:
    clients = [StreamlitClient(url, f"attacker session {i + 1}", ATTACKER) for i in range(n)]
    await asyncio.gather(*(c.open("Train", query=query, timeout=300) for c in clients))
    await asyncio.gather(*(c.click(START, timeout=300) for c in clients))
    await asyncio.gather(*(c.wait_for(lambda c=c: status(c).startswith(("### Waiting", "### Starting", "### Training")),
                                      300, "its run in line or training") for c in clients))
    return clients


async def scenario(url: str, pids: list[int], args: argparse.Namespace) -> list[str]:
    lines, memory, stop = [], Memory(pids), asyncio.Event()
    warm = StreamlitClient(url, "warm-up", STUDENT)
    await warm.open("Train")  # MNIST loaded and shared: the memory every server has
    await warm.close()
    before = memory.now()
    watcher = asyncio.create_task(memory.watch(stop))
    query = args.attack_query or await largest_allowed(url, LARGEST)
    say = lambda line: (lines.append(line), print(line, flush=True))  # noqa: E731
    say(f"memory before: {before:.0f} MB; attacker's run: /Train?{query}, {args.attackers} sessions from {ATTACKER}")
    attackers = await attack(url, args.attackers, query)
    places = sorted(int(p[1]) for c in attackers if (p := PLACE.match(status(c))))
    say(f"  {args.attackers - len(places)} training, {len(places)} in line (places {places[:1]}..{places[-1:]})")
    during = memory.now()
    other, other_client = await student(url, Student("21st student, another address", STUDENT), args.timeout)
    same, same_client = await student(url, Student("22nd student, the attacker's address", ATTACKER), args.same_timeout)
    for who in (other, same):
        say(f"{who.name} ({who.address}): told beside Start {who.told[0]} to train"
                     + (f" after {who.told[1]} in line" if who.told[1] else "") + f"; after the click {ordinal(who.place)} in line, "
                     f"{who.told_wait or 'no wait said'}; waited {seconds(who.waited)} for a worker, finished after "
                     f"{seconds(who.finished)}" + (f" ({'; '.join(who.notes)})" if who.notes else ""))
    await asyncio.gather(*(c.close() for c in [*attackers, other_client, same_client]))
    closed = time.monotonic()
    samples = []
    for moment in sorted({30, 60, 120, args.settle}):
        if moment > args.settle:
            continue
        await asyncio.sleep(max(0.0, closed + moment - time.monotonic()))  # sampling moments, not events
        samples.append((moment, memory.now()))
    stop.set()
    await watcher
    say(f"app memory (MB, {len(pids)} process{'es' if len(pids) > 1 else ''}): before {before:.0f}, with the "
                 f"attack in line {during:.0f}, peak {memory.peak:.0f}; after every session closed: "
                 + ", ".join(f"+{m} s {mb:.0f}" for m, mb in samples)
                 + f" ({samples[-1][1] - before:+.0f} MB against before)")
    return lines


def ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}" if n else "not"


def seconds(value: float | None) -> str:
    return f"{value:.0f} s" if value is not None else "(not within the time allowed)"


def app_pids(ports: list[int]) -> list[int]:
    """The streamlit processes serving `ports` (Linux's /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"streamlit" in b" ".join(command) and any(str(p).encode() in command for p in ports):
            found.append(int(entry.name))
    return found


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--attackers", type=int, default=20, help="the hostile visitor's sessions (default 20)")
    parser.add_argument("--attack-query", help="the attacker's Train settings, as after '?' (default: the largest allowed)")
    parser.add_argument("--workers", type=int, default=2, help="MLP_TRAINING_WORKERS per process (default 2)")
    parser.add_argument("--nginx", action="store_true", help="two app processes (1 worker each) behind nginx")
    parser.add_argument("--timeout", type=float, default=900, help="seconds the other student may wait and train")
    parser.add_argument("--same-timeout", type=float, default=120,
                        help="seconds the student on the attacker's address may wait (its told wait is printed anyway)")
    parser.add_argument("--settle", type=int, default=300, help="seconds after the sessions close to read memory at")
    parser.add_argument("--data-dir", type=Path, default=Path(os.environ.get(DATA_DIR_ENV) or SHARED_MNIST))
    parser.add_argument("--server-env", action="append", default=[], metavar="NAME=VALUE")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    signal.signal(signal.SIGTERM, stop_on_sigterm)
    args = parse_args(argv)
    env = {DATA_DIR_ENV: str(args.data_dir), **dict(item.split("=", 1) for item in args.server_env)}
    run_dir = Path(tempfile.mkdtemp(prefix="fair-queue-"))
    print(f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f}; logs in {run_dir}", flush=True)
    if args.nginx:
        ports = [free_port() for _ in range(3)]
        launcher = subprocess.Popen(
            [sys.executable, "deploy/serve.py", "--app-ports", *map(str, ports[1:]), "--listen", f"127.0.0.1:{ports[0]}",
             "--run-dir", str(run_dir)], cwd=ROOT, env={**os.environ, **env, "MLP_TRAINING_WORKERS": "1"},
            stdout=subprocess.PIPE, stderr=(run_dir / "serve.err").open("wb"), text=True)
        if not launcher.stdout.readline().startswith("ready: "):
            launcher.terminate()
            raise SystemExit(f"deploy/serve.py did not start; see {run_dir / 'serve.err'}")
        url, pids, stop = f"http://127.0.0.1:{ports[0]}", app_pids(ports[1:]), launcher.terminate
        print(f"behind nginx: {url}, app processes {pids} (1 training worker each)", flush=True)
    else:
        server = AppServer(run_dir / "server.log", {**env, "MLP_TRAINING_WORKERS": str(args.workers)})
        url, pids, stop = server.url, [server.pid], server.stop
        print(f"one app process: {url}, pid {server.pid}, {args.workers} training workers", flush=True)
    try:
        asyncio.run(scenario(url, pids, args))
    finally:
        stop()


if __name__ == "__main__":
    main()
