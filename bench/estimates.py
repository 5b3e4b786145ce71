"""Told against taken: the time the Train page estimates for a run, against the time it took, for the presets on a
quiet server and for a class of 30 pressing Start at once.

    python bench/estimates.py                       # every preset, one after another, then a class of 30
    python bench/estimates.py --students 0          # the presets only
    python bench/estimates.py --presets modern,best --students 30 --class-query "epochs=3"

No browser: each student is a websocket client (bench/streamlit_client.py) on a fresh server (2 training workers).
A preset's student opens Train with the preset's settings in the address, reads "Estimated: about A-B s ..." beside
Start, presses Start and times the click to "Finished" (the page polls: up to its polling period late). The class's
students each read, after the click, their place and "about W1-W2 s to wait; then about T1-T2 s to train" (or the
estimate beside Start when they got a worker at once) and time their run the same way. The error is the middle of
the range told against the time taken; the target is within 30%. Each estimate is what the server knew then: the
first preset's comes from the machine's model alone, later ones from the runs it measured.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from classroom import stop_on_sigterm  # noqa: E402
from classroom_server import AppServer  # noqa: E402
from mlp.data.mnist import DATA_DIR_ENV  # noqa: E402
from mlp.presets import PRESETS  # noqa: E402
from streamlit_client import StreamlitClient  # noqa: E402
from ui.shared.links import query_string  # noqa: E402

START = "Start training"
AMOUNT = r"(\d+)(?: (s|min))?-(\d+) (s|min)|(\d+) (s|min)"  # "20-40 s", "50 s-2 min", "30 s"
ESTIMATED = re.compile(rf"^Estimated: about (?:{AMOUNT}) and ")
IN_LINE = re.compile(rf"### Waiting for a free slot: \d+\w\w in line, about (?:{AMOUNT}) to wait; then about "
                     rf"(?:{AMOUNT}) to train")
SHARED_MNIST = ROOT.parent / "shared" / "data" / "mnist"


def span(groups: tuple) -> tuple[float, float]:
    """Seconds (low, high) from one AMOUNT's six groups."""
    low, low_unit, high, high_unit, one, one_unit = groups
    if one is not None:
        seconds = float(one) * (60 if one_unit == "min" else 1)
        return seconds, seconds
    high_seconds = float(high) * (60 if high_unit == "min" else 1)
    return float(low) * (60 if (low_unit or high_unit) == "min" else 1), high_seconds


def told(client: StreamlitClient) -> tuple[float, float] | None:
    """What the page said the run would take from the click: the wait in line and the training, low and high."""
    for text in reversed(client.texts()):
        found = IN_LINE.match(text)
        if found:
            wait, train = span(found.groups()[:6]), span(found.groups()[6:])
            return wait[0] + train[0], wait[1] + train[1]
    for text in client.texts():
        found = ESTIMATED.match(text)
        if found:
            return span(found.groups())
    return None


def status(client: StreamlitClient) -> str:
    return next((t for t in reversed(client.texts()) if t.startswith("### ")), "")


@dataclass
class Told:
    name: str
    low: float
    high: float
    took: float | None

    @property
    def error(self) -> float:
        """The middle of the range against the time taken: +0.3 is 30% too long."""
        return (self.low + self.high) / 2 / self.took - 1 if self.took else float("nan")


async def one_run(url: str, name: str, query: str, timeout: float, together: asyncio.Barrier | None = None) -> Told:
    client = StreamlitClient(url, name)
    await client.open("Train", query=query)
    if together is not None:
        await together.wait()  # the class presses Start at once, every page open
    before = told(client)
    clicked = time.monotonic()
    await client.click(START)
    try:
        await client.wait_for(lambda: status(client).startswith(("### Waiting", "### Starting", "### Training",
                                                                 "### Finished")), 120, "the run to start")
        after = told(client) if status(client).startswith("### Waiting") else before
        await client.wait_for(lambda: status(client).startswith(("### Finished", "### Failed", "### Stopped")),
                              timeout, "the end of the run")
        took = time.monotonic() - clicked if status(client).startswith("### Finished") else None
    except TimeoutError:
        after, took = before, None
    await client.close()
    low, high = after or (float("nan"), float("nan"))
    return Told(name, low, high, took)


def line(result: Told) -> str:
    taken = f"{result.took:.1f} s" if result.took else "did not finish"
    inside = "inside" if result.took and result.low <= result.took <= result.high else "outside"
    return (f"  {result.name:<22} told {result.low:.0f}-{result.high:.0f} s, took {taken}: "
            f"{result.error:+.0%} ({inside} the range)")


async def presets(url: str, names: list[str], timeout: float) -> list[Told]:
    results = []
    for name in names:
        result = await one_run(url, name, query_string(PRESETS[name].config()), timeout)
        print(line(result), flush=True)
        results.append(result)
    return results


async def a_class(url: str, n: int, query: str, timeout: float) -> list[Told]:
    together = asyncio.Barrier(n)
    return list(await asyncio.gather(*(one_run(url, f"student {i + 1}", query, timeout, together) for i in range(n))))


def summary(results: list[Told]) -> str:
    errors = [abs(r.error) for r in results if r.took]
    if not errors:
        return "  nothing finished"
    within = sum(e <= 0.3 for e in errors)
    inside = sum(r.low <= r.took <= r.high for r in results if r.took)
    return (f"  {len(errors)} of {len(results)} finished; error of the range's middle: median {statistics.median(errors):.0%},"
            f" worst {max(errors):.0%}; within 30%: {within} of {len(errors)}; time taken inside the range told: "
            f"{inside} of {len(errors)}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--presets", default=",".join(PRESETS), help="the presets, in order (default: all)")
    parser.add_argument("--students", type=int, default=30, help="the class pressing Start at once (0: none)")
    parser.add_argument("--class-query", default="", help="the class's settings, as after '?' (default: the defaults)")
    parser.add_argument("--workers", type=int, default=2, help="MLP_TRAINING_WORKERS (default 2)")
    parser.add_argument("--timeout", type=float, default=900, help="seconds a run may take (default 900)")
    parser.add_argument("--port", type=int, default=None, help="the server's port (default: a free one)")
    parser.add_argument("--data-dir", type=Path, default=Path(os.environ.get(DATA_DIR_ENV) or SHARED_MNIST))
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    signal.signal(signal.SIGTERM, stop_on_sigterm)
    args = parse_args(argv)
    names = [n.strip() for n in args.presets.split(",") if n.strip()]
    log = Path(tempfile.mkdtemp(prefix="estimates-")) / "server.log"
    server = AppServer(log, {DATA_DIR_ENV: str(args.data_dir), "MLP_TRAINING_WORKERS": str(args.workers)},
                       port=args.port)
    print(f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f}; server {server.url} "
          f"({args.workers} workers), log {log}", flush=True)
    try:
        if names:
            print("presets, one at a time on a quiet server:", flush=True)
            print(summary(asyncio.run(presets(server.url, names, args.timeout))), flush=True)
        if args.students:
            print(f"a class of {args.students} pressing Start at once (/Train?{args.class_query}), "
                  f"load average {os.getloadavg()[0]:.1f}:", flush=True)
            results = asyncio.run(a_class(server.url, args.students, args.class_query, args.timeout))
            for result in sorted(results, key=lambda r: r.took or float("inf"))[::max(1, len(results) // 6)]:
                print(line(result))
            print(summary(results), flush=True)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
