"""Where a loaded server's seconds go: a summary of py-spy's raw (collapsed-stack) output.

    py-spy record --format raw --threads -o stacks.txt --pid PID --duration 60
    python bench/classroom_profile.py stacks.txt [--top 25]

Each sample is put in the first bucket whose marker appears in its stack (the table below, in
order), so "gc after a script run" is counted apart from the script run it ends. With `--gil`
recordings the shares are of the time some thread held the GIL.
"""
from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

# (bucket, markers): a sample goes to the first bucket with any marker in its stack.
BUCKETS = (
    ("full gc after a script run (runner.postScriptGC)", ("script_runner.py:1055",)),
    ("training thread: engine (mlp/)", ("mlp/trainer.py",)),
    ("a thread waiting on a lock or condition (idle)", ("Condition.wait", "Event.wait")),
    ("Plotly figure building (plotly/, ui figures)", ("plotly/", "ui/shared/figures.py")),
    ("script run: pages, ui/, Streamlit elements", ("script_runner.py",)),
    ("web server: websocket, event loop", ("uvicorn", "starlette", "websockets", "asyncio")),
    ("file watchers (polling)", ("path_watcher",)),
)
FRAME = re.compile(r"^(?P<name>.*) \((?P<where>[^()]*)\)$")


def read_stacks(path: Path) -> Counter:
    """Collapsed stacks ("frame;frame;... count" per line) to a Counter of stack tuples."""
    stacks: Counter = Counter()
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks[tuple(stack.split(";"))] += int(count)
    return stacks


def bucket(stack: tuple[str, ...]) -> str:
    text = ";".join(stack)
    return next((name for name, markers in BUCKETS if any(m in text for m in markers)), "other")


def short(frame: str) -> str:
    """`name (path/to/file.py:12)` as `name (file.py:12)`."""
    found = FRAME.match(frame)
    return f"{found['name']} ({found['where'].rsplit('/', 1)[-1]})" if found else frame


def summary(stacks: Counter, top: int) -> list[str]:
    total = sum(stacks.values()) or 1
    buckets, leaves, inclusive = Counter(), Counter(), Counter()
    for stack, count in stacks.items():
        buckets[bucket(stack)] += count
        frames = [short(f) for f in stack if not f.startswith(("process ", "thread "))]
        if frames:
            leaves[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
    lines = [f"{total:,} samples"]
    lines += [f"{count / total:6.1%}  {name}" for name, count in buckets.most_common()]
    lines += ["", f"top {top} by own time (the frame running when sampled):"]
    lines += [f"{count / total:6.1%}  {name}" for name, count in leaves.most_common(top)]
    lines += ["", f"top {top} by time inside (the frame anywhere on the stack):"]
    lines += [f"{count / total:6.1%}  {name}" for name, count in inclusive.most_common(top)]
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("stacks", type=Path, help="py-spy record --format raw output")
    parser.add_argument("--top", type=int, default=25, help="how many frames to list (25)")
    args = parser.parse_args(argv)
    if not args.stacks.is_file():
        parser.error(f"no such file: {args.stacks}")
    print("\n".join(summary(read_stacks(args.stacks), args.top)))


if __name__ == "__main__":
    main()
