"""A class on one server: N students train at once while one more only draws digits.

    python bench/classroom.py                      # N = 1, 5, 10; a fresh server per N; 300 s each
    python bench/classroom.py --students 1,10,30 --timeout 600
    python bench/classroom.py --url http://127.0.0.1:8501 --server-pid 1234   # a server you started

No browser: every student is a websocket client that sends what Streamlit's front end sends
(bench/streamlit_client.py), answering each live fragment's refresh at the browser's own rate.
Each student opens Train and presses "Start training" with the default settings, all at the same
moment, and waits until the page says "Finished". The drawing student first trains the Draw
page's quick model (before the class starts), then sends a real MNIST test digit as the canvas
would (a 280x280 PNG) every --draw-every seconds and times the answer.

Per N it prints the first, median and last finish time and their ratio to one student alone (the
N = 1 run, always run first), the drawing student's answer time (median, 95th percentile), the
longest stretch without a page update per student, the server's CPU (average and busiest second)
and memory per session, the machine's other load, and every error seen (exception elements on a
page, dropped connections, timeouts). It only talks to 127.0.0.1 and stops its server at the end.
"""
from __future__ import annotations

import argparse
import asyncio
import base64
import io
import itertools
import json
import os
import re
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from classroom_server import AppServer, CpuMeter, process_cpu_seconds, process_rss_mb  # noqa: E402
from mlp.data.idx import read_idx  # noqa: E402
from mlp.data.mnist import DATA_DIR_ENV, TEST_IMAGES, TEST_LABELS  # noqa: E402
from streamlit_client import StreamlitClient  # noqa: E402

START = "Start training"
QUICK_MODEL = "Train a quick model (a few seconds)"
FINISHED = "Finished"  # the run's status line: "Finished: 97.9% test accuracy."
RUN_ENDS = tuple(f"### {word}" for word in (FINISHED, "Failed:", "Stopped at"))  # the status line once it ended
ANSWER = 'id="predicted-digit"'  # the Draw page's big answer digit
CANVAS = "drawable_canvas"  # part of the canvas component's name
CANVAS_SIDE = 280
STEP = re.compile(r"step (\d+) of (\d+)")
WAITING = "### Waiting for a free slot"
TOLD_WAIT = re.compile(r"\d+(st|nd|rd|th) in line, about \d+( s| min)?(-\d+)? (s|min) to wait")  # "about 20-40 s"
WHO = re.compile(r"^(student \d+|drawing student): ")
SHARED_MNIST = ROOT.parent / "shared" / "data" / "mnist"


# ----- what the drawing student draws -----
def canvas_values(data_dir: Path, count: int = 50) -> list[tuple[int, str]]:
    """(label, component value) for MNIST test digits, as streamlit-drawable-canvas sends a drawing:
    {"drawing": {"raw": Fabric.js JSON, "data": PNG data URL}}, white on an opaque black 280x280."""
    images = read_idx(data_dir / f"{TEST_IMAGES}.gz")[:count]
    labels = read_idx(data_dir / f"{TEST_LABELS}.gz")[:count]
    opaque = Image.new("L", (CANVAS_SIDE, CANVAS_SIDE), 255)
    values = []
    for image, label in zip(images, labels):
        grey = Image.fromarray(image).resize((CANVAS_SIDE, CANVAS_SIDE), Image.BILINEAR)
        png = io.BytesIO()
        Image.merge("RGBA", (grey, grey, grey, opaque)).save(png, "PNG")
        url = "data:image/png;base64," + base64.b64encode(png.getvalue()).decode()
        drawing = {"raw": {"version": "6.0.0", "objects": []}, "data": url}
        values.append((int(label), json.dumps({"drawing": drawing})))
    return values


# ----- the students -----
@dataclass
class StudentResult:
    seconds: float | None  # from the click to "Finished"; None if it did not finish
    outcome: str
    longest_gap: float
    last_status: str = ""  # what the page said last about the run
    steps: tuple[int, int] = (0, 0)  # the progress bar's last "step A of B"
    received: dict[str, int] = field(default_factory=dict)  # messages from the click on, by kind
    errors: list[str] = field(default_factory=list)
    watched_gap: float = 0.0  # the same, from the first update after the click (the page has answered it)
    waited: bool = False  # the page said the run waits for a slot
    told_wait: bool = False  # ... with its place in line and an estimated wait
    gap_after: float = 0.0  # seconds from the click to the start of the longest watched gap
    gap_before_end: float = 0.0  # ... and from its start to the run's end: where in the run the page stalled


@dataclass
class DrawResult:
    answers: list[float] = field(default_factory=list)
    right: int = 0
    unanswered: int = 0
    misread: list[str] = field(default_factory=list)  # "label->answer" for answers that differ
    errors: list[str] = field(default_factory=list)


def run_ended(client: StreamlitClient) -> bool:
    return any(text.startswith(RUN_ENDS) for text in client.texts())


async def student(client: StreamlitClient, go: asyncio.Event, timeout: float) -> StudentResult:
    """Press Start when the class starts; wait for the run's end (or the timeout)."""
    await go.wait()
    start, before = time.monotonic(), Counter(client.log.received)
    waiting: set[str] = set()

    def ended() -> bool:
        waiting.update(t for t in client.texts(start) if t.startswith(WAITING))
        return run_ended(client)

    try:
        await client.click(START, timeout)
        await client.wait_for(ended, timeout - (time.monotonic() - start), "end of the run")
        outcome = "finished" if client.shows("### " + FINISHED) else "ended otherwise"
        seconds = time.monotonic() - start if outcome == "finished" else None
    except (TimeoutError, ConnectionError) as error:
        client.log.errors.append(str(error))
        outcome, seconds = ("timed out" if isinstance(error, TimeoutError) else "disconnected"), None
    status = next((text for text in reversed(client.texts()) if text.startswith("### ")), "")
    end = time.monotonic()
    answered = next((t for t in client.log.updates if t > start), end)
    watched, gap_start = client.log.longest_gap_at(answered, end)
    return StudentResult(seconds, outcome, client.log.longest_gap(start, end), status[4:],
                         steps_shown(client), dict(client.log.received - before), client.log.errors,
                         watched, bool(waiting), any(TOLD_WAIT.search(t) for t in waiting),
                         gap_start - start, end - gap_start)


def steps_shown(client: StreamlitClient) -> tuple[int, int]:
    """The last "step A of B" on the page, as (A, B); (0, 0) before the run's progress bar appears."""
    for text in reversed(client.texts()):
        found = STEP.fullmatch(text.replace(",", ""))
        if found:
            return int(found[1]), int(found[2])
    return 0, 0


async def prepare_drawer(url: str, timeout: float) -> StreamlitClient:
    """The drawing student, with a network to read digits: Draw's one-click quick model, trained alone."""
    client = StreamlitClient(url, "drawing student")
    await client.open("Draw", timeout)
    await client.click(QUICK_MODEL, timeout)
    await client.wait_for(lambda: client.shows(FINISHED), timeout, "the quick model to finish")
    return client


async def drawer(client: StreamlitClient, values: list[tuple[int, str]], every: float, answer_timeout: float,
                 stop: asyncio.Event) -> DrawResult:
    """Send a digit every `every` seconds (at once if the answer took longer) until `stop` is set."""
    result = DrawResult()
    for i in itertools.count():
        if stop.is_set():
            break
        label, value = values[i % len(values)]
        sent = time.monotonic()
        try:
            await client.set_component(CANVAS, value, answer_timeout)
            await client.wait_for(lambda: client.shows(ANSWER, sent), answer_timeout, "an answer to a drawing")
        except TimeoutError:
            result.unanswered += 1
            continue
        except ConnectionError as error:
            result.errors.append(str(error))
            break
        result.answers.append(time.monotonic() - sent)
        answer = next(text for text in client.texts(sent) if ANSWER in text)
        digit = answer.split(ANSWER + ">", 1)[1][:1]
        result.right += digit == str(label)
        if digit != str(label):
            result.misread.append(f"{label}->{digit}")
        try:
            await asyncio.wait_for(stop.wait(), max(0.0, sent + every - time.monotonic()))
        except asyncio.TimeoutError:
            pass
    result.errors += client.log.errors
    return result


# ----- one class -----
@dataclass
class ClassResult:
    students: int
    results: list[StudentResult]
    drawing: DrawResult
    open_seconds: list[float]
    cpu: dict[str, float]
    busiest_second: float
    memory_mb: dict[str, float]
    load_before: float


async def busiest_second(pid: int | None, stop: asyncio.Event) -> float:
    """The server's highest CPU use (cores) over any one-second window until `stop`."""
    peak, last, then = 0.0, process_cpu_seconds(pid) if pid else 0.0, time.monotonic()
    while pid and not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), 1.0)  # a sampling period, not a wait for an event
        except asyncio.TimeoutError:
            pass
        now, used = time.monotonic(), process_cpu_seconds(pid)
        peak, last, then = max(peak, (used - last) / max(now - then, 1e-9)), used, now
    return peak


async def open_students(url: str, n: int, timeout: float) -> tuple[list[StreamlitClient], list[float]]:
    """N students open Train at once; returns them and how long each page took to load."""
    clients = [StreamlitClient(url, f"student {i + 1}") for i in range(n)]

    async def open_one(client: StreamlitClient) -> float:
        start = time.monotonic()
        try:
            await client.open("Train", timeout)
        except (TimeoutError, ConnectionError, OSError) as error:
            client.log.errors.append(f"Train did not load: {error}")
        return time.monotonic() - start

    return clients, list(await asyncio.gather(*(open_one(c) for c in clients)))


async def run_class(url: str, n: int, pid: int | None, args: argparse.Namespace) -> ClassResult:
    load_before = os.getloadavg()[0]
    draw_client = await prepare_drawer(url, args.timeout)
    memory = {"before": process_rss_mb(pid) if pid else 0.0}
    clients, open_seconds = await open_students(url, n, args.timeout)
    memory["idle"] = process_rss_mb(pid) if pid else 0.0
    go, done = asyncio.Event(), asyncio.Event()
    meter = CpuMeter(pid)
    peak = asyncio.create_task(busiest_second(pid, done))
    drawing = asyncio.create_task(drawer(draw_client, canvas_values(args.data_dir), args.draw_every,
                                         args.answer_timeout, done))
    class_work = asyncio.gather(*(student(c, go, args.timeout) for c in clients))
    go.set()
    print(f"  the class of {n} pressed Start", flush=True)
    results = await class_work
    done.set()
    cpu = meter.read()
    memory["after"] = process_rss_mb(pid) if pid else 0.0
    result = ClassResult(n, results, await drawing, open_seconds, cpu, await peak, memory, load_before)
    await asyncio.gather(*(c.close() for c in [*clients, draw_client]))
    return result


# ----- the report -----
def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def first_median_last(result: ClassResult) -> tuple[int, tuple[float, float, float]]:
    """How many finished, and the first, median and last finish time (inf for a run that did not finish)."""
    times = sorted(r.seconds if r.seconds is not None else float("inf") for r in result.results)
    return sum(t != float("inf") for t in times), (times[0], times[(len(times) - 1) // 2], times[-1])


def class_steps_per_second(result: ClassResult) -> float:
    return sum(r.steps[0] for r in result.results) / result.cpu["wall"]


def finish_line(result: ClassResult, alone: float | None, timeout: float) -> str:
    done, picks = first_median_last(result)

    def show(t: float) -> str:
        if t == float("inf"):
            return f"> {timeout:.0f} s"
        return f"{t:.1f} s" + (f" ({t / alone:.1f}x alone)" if alone else "")

    named = ", ".join(f"{name} {show(t)}" for name, t in zip(("first", "median", "last"), picks))
    steps = sum(r.steps[0] for r in result.results)
    return (f"finished {done} of {result.students}: {named}; the class trained {steps:,} steps, "
            f"{class_steps_per_second(result):.0f} per second")


def drawing_line(drawing: DrawResult) -> str:
    answers = drawing.answers
    if not answers:
        return f"no answer to any drawing ({drawing.unanswered} sent)"
    return (f"{len(answers)} answers, median {statistics.median(answers):.2f} s, 95th percentile "
            f"{percentile(answers, 95):.2f} s, longest {max(answers):.2f} s; {drawing.unanswered} unanswered; "
            f"{drawing.right} of {len(answers)} read as their MNIST label"
            + (f" (misread: {' '.join(drawing.misread[:12])})" if drawing.misread else ""))


def messages_line(result: ClassResult) -> str:
    kinds = sorted({kind for r in result.results for kind in r.received})
    return ", ".join(f"{kind} {statistics.median(r.received.get(kind, 0) for r in result.results):.0f}"
                     for kind in kinds) or "none"


def first_line(error: str) -> str:
    """An error's first line without the student's name, so that the same error is counted once."""
    return WHO.sub("", error.split("\n", 1)[0])[:160]


def report(result: ClassResult, alone: float | None, timeout: float) -> list[str]:
    n, cpu, memory = result.students, result.cpu, result.memory_mb
    gaps = [r.longest_gap for r in result.results]
    watched = [r.watched_gap for r in result.results]
    worst = max(result.results, key=lambda r: r.watched_gap)
    errors = Counter(first_line(e) for r in result.results for e in r.errors)
    errors.update(first_line(e) for e in result.drawing.errors)
    lines = [
        f"N = {n} students + 1 drawing (load average before: {result.load_before:.1f})",
        "  " + finish_line(result, alone, timeout),
        f"  opening Train: median {statistics.median(result.open_seconds):.1f} s, longest "
        f"{max(result.open_seconds):.1f} s",
        "  drawing student: " + drawing_line(result.drawing),
        f"  longest stretch without a page update: worst student {max(gaps):.1f} s, median "
        f"{statistics.median(gaps):.1f} s  [{' '.join(f'{g:.1f}' for g in gaps)}]",
        f"  ... counted from the click's first answer (the page then only polls): worst student "
        f"{max(watched):.1f} s, median {statistics.median(watched):.1f} s; the worst began "
        f"{worst.gap_after:.1f} s after the click, {worst.gap_before_end:.1f} s before the run's end",
        f"  CPU (cores, average over {cpu['wall']:.0f} s): server {cpu['server']:.2f} (busiest second "
        f"{result.busiest_second:.2f}), this benchmark {cpu['client']:.2f}, other processes {cpu['others']:.2f}",
        f"  server memory: {memory['before']:.0f} MB before the class, {(memory['idle'] - memory['before']) / n:+.1f}"
        f" MB per session that opened Train, {(memory['after'] - memory['before']) / n:+.1f} MB per session "
        f"after its run ({memory['after']:.0f} MB)",
        f"  messages each student received after the click (median): {messages_line(result)}",
        f"  students who waited for a slot: {sum(r.waited for r in result.results)}, told their place and wait: "
        f"{sum(r.told_wait for r in result.results)}",
        "  last status of an unfinished run: "
        + next((r.last_status for r in result.results if r.seconds is None), "-"),
        "  errors: " + ("none" if not errors else "; ".join(f"{count} x {e}" for e, count in errors.most_common(8))),
    ]
    return lines


def table(results: list[ClassResult], timeout: float) -> list[str]:
    """One Markdown row per N, for docs/classroom.md."""
    lines = ["| N | finished | first / median / last (s) | class steps/s | drawing: median / p95 (s) | "
             "longest without update (s) | server cores | MB per session | errors |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in results:
        done, picks = first_median_last(r)
        shown = " / ".join(f"{t:.0f}" if t != float("inf") else f">{timeout:.0f}" for t in picks)
        answers = r.drawing.answers
        errors = sum(len(x.errors) for x in r.results) + len(r.drawing.errors)
        per_session = (r.memory_mb["after"] - r.memory_mb["before"]) / r.students
        lines.append(f"| {r.students} | {done} of {r.students} | {shown} | {class_steps_per_second(r):.0f} | "
                     f"{percentile(answers, 50):.2f} / {percentile(answers, 95):.2f} | "
                     f"{max(x.longest_gap for x in r.results):.1f} | {r.cpu['server']:.2f} | {per_session:.1f} | "
                     f"{errors} |")
    return lines


# ----- the command line -----
def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", default="1,5,10", help="class sizes, e.g. 1,5,10 (1 runs first unless --alone)")
    parser.add_argument("--timeout", type=float, default=300, help="seconds a class may take, per N (default 300)")
    parser.add_argument("--draw-every", type=float, default=2.0, help="seconds between two drawings (default 2)")
    parser.add_argument("--answer-timeout", type=float, default=30, help="seconds to wait for one answer (30)")
    parser.add_argument("--url", help="an app already running on 127.0.0.1 (default: start one per N)")
    parser.add_argument("--server-pid", type=int, help="with --url: its process id, to read its CPU and memory")
    parser.add_argument("--server-env", action="append", default=[], metavar="NAME=VALUE",
                        help="an environment variable for the started server, e.g. MLP_TRAINING_WORKERS=1")
    parser.add_argument("--data-dir", type=Path, default=Path(os.environ.get(DATA_DIR_ENV) or SHARED_MNIST),
                        help=f"the MNIST folder (default ${DATA_DIR_ENV}, else ../shared/data/mnist)")
    parser.add_argument("--alone", type=float,
                        help="one student's time alone, measured before: skips the N = 1 run (0: skip it, no ratios)")
    parser.add_argument("--json", type=Path, help="also write every number to this file")
    args = parser.parse_args(argv)
    try:
        sizes = [int(s) for s in args.students.split(",") if s.strip()]
        env = dict(item.split("=", 1) for item in args.server_env)
    except ValueError:
        parser.error("--students takes whole numbers like 1,5,10, and --server-env NAME=VALUE pairs")
    if not sizes or min(sizes) < 1:
        parser.error("--students needs class sizes of at least 1")
    if args.url and urlparse(args.url).hostname not in ("127.0.0.1", "localhost"):
        parser.error("--url must be on 127.0.0.1: this benchmark only loads a server on this machine")
    if not (args.data_dir / f"{TEST_IMAGES}.gz").is_file():
        parser.error(f"no {TEST_IMAGES}.gz in {args.data_dir}: give the MNIST folder with --data-dir")
    args.sizes = sorted(set(sizes)) if args.alone is not None else [1] + [s for s in sizes if s != 1]
    args.env = env
    return args


def one_class(n: int, args: argparse.Namespace, log_dir: Path) -> ClassResult:
    """Run a class of `n` on a fresh server (or the given one), stopping the server afterwards."""
    server = None
    if args.url:
        url, pid = args.url, args.server_pid
    else:
        env = {DATA_DIR_ENV: str(args.data_dir), **args.env}
        server = AppServer(log_dir / f"server-{n}.log", env)
        url, pid = server.url, server.pid
        print(f"server for N = {n}: pid {pid} on {url}, log {server.log}", flush=True)
    try:
        guard = 3 * args.timeout + 120  # preparing the drawer, opening pages, the class, closing
        return asyncio.run(asyncio.wait_for(run_class(url, n, pid, args), guard))
    finally:
        if server is not None:
            server.stop()


def stop_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(f"stopped by signal {signum}")  # so the started server is stopped too


def main(argv: list[str] | None = None) -> None:
    signal.signal(signal.SIGTERM, stop_on_sigterm)
    args = parse_args(argv)
    log_dir = Path(tempfile.mkdtemp(prefix="classroom-"))
    print(f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f}; server logs in {log_dir}", flush=True)
    results, alone = [], args.alone or None
    for n in args.sizes:
        result = one_class(n, args, log_dir)
        if n == 1:
            alone = result.results[0].seconds
        print("\n".join(report(result, alone, args.timeout)), flush=True)
        results.append(result)
    print("\n".join(["", *table(results, args.timeout)]))
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=1))
        print(f"numbers written to {args.json}")


if __name__ == "__main__":
    main()
