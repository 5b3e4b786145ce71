"""How fast this server trains, learned from its own runs: the estimates a student and a teacher read.

The machine's speed, measured once from its matrix products (mlp.cost), says how long a run takes on a free core;
it knows nothing of the load, nor of how this machine differs from the model. So every run tells the pace how
fast its worker went against that model: the model's seconds of the work it did, per second of wall time, while
it trains and once it ends (and per second of the worker's CPU time: its speed with a core to itself). An estimate
for a run of any size is the model's time divided by that pace, read from the runs measured nearest in size (a
step's arithmetic, `Cost.step_flops`), the newest weighing most, as a range as wide as those runs disagree. Before
anything was measured the model stands alone, with a wider range. One pace per server process, shared by its
sessions; no Streamlit.
"""
from __future__ import annotations

import math
import os
import statistics
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Hashable, Sequence

KEEP = 48  # measures kept: the newest runs (a running run's latest measure replaces its earlier one)
HALF_LIFE = 180.0  # seconds: a measure this much older than another weighs half as much
NARROWEST = 0.15  # the range's half-width (log) around a measured pace: runs of one size differ this much
UNMEASURED = (0.8, 1.6)  # the range around the model's time, as shares of it, before anything was measured
STARTUP_SECONDS = 1.0  # a worker's set-up before its first step, until one is measured
SETTLED = 2.0  # seconds on the wall before a running run's rest is read from its own pace
WORK_NOTED = 0.5  # seconds of work (as the model times it) before a run's pace counts at all
WORK_WEIGHED = 5.0  # ... and below this much, it weighs less: a tiny run under a busy moment measured its set-up and
# messages more than its training (a 0.5 s preset took 17 s, and made the next estimates 3-5 times too long)
CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100  # for /proc/PID/stat


@dataclass(frozen=True)
class Measure:
    """What one run measured on its worker: the model's seconds of its work done per second, of wall time and
    of its worker's CPU time (1: as the model says; 0.5: twice as long)."""
    step_flops: float  # its steps' size: the key
    pace: float
    core_pace: float | None  # None: unknown
    at: float  # when (time.monotonic)
    work: float = WORK_WEIGHED  # the model's seconds of the work it measured over


@dataclass(frozen=True)
class Paces:
    """The paces a run of one size may go at (slow, likely, fast), and its pace with a core to itself (what the
    server's time limit counts); `measured` False when they are the model's alone."""
    slow: float
    likely: float
    fast: float
    core: float
    measured: bool


def paces_at(step_flops: float, measures: Sequence[Measure], now: float, load: float = 0.0) -> Paces:
    """The paces of a run whose steps are `step_flops`, from `measures` (the nearest in size and the newest weigh
    most; the range widens with their disagreement and with the distance to the nearest), or the model's alone,
    its slow end slower by the machine's `load` (runnable processes per core) when that is over 1."""
    if not measures:
        return Paces(1 / (UNMEASURED[1] * max(1.0, load)), 1.0, 1 / UNMEASURED[0], 1.0, False)
    weighed = []
    for m in measures:
        distance = abs(math.log(step_flops / m.step_flops))
        weight = math.exp(-2 * distance) * 0.5 ** ((now - m.at) / HALF_LIFE) * min(1.0, m.work / WORK_WEIGHED)
        weighed.append((weight, math.log(m.pace), m.core_pace, distance))
    total = sum(w for w, *_ in weighed)
    centre = sum(w * p for w, p, *_ in weighed) / total
    spread = math.sqrt(sum(w * (p - centre) ** 2 for w, p, *_ in weighed) / total)
    half = min(1.0, NARROWEST + spread + 0.1 * min(d for *_, d in weighed))
    cores = [(w, c) for w, _, c, _ in weighed if c]
    core = math.exp(sum(w * math.log(c) for w, c in cores) / sum(w for w, _ in cores)) if cores else 1.0
    return Paces(math.exp(centre - half), math.exp(centre), math.exp(centre + half), core, True)


class Pace:
    """The measures of this server's newest runs, and its workers' set-up time; any thread may call it."""

    def __init__(self, machine: Callable[[], float], keep: int = KEEP, clock: Callable[[], float] = time.monotonic,
                 load: Callable[[], float] | None = None):
        self._machine = machine  # mlp.cost.training_speed: called once, when first needed
        self._load = load or machine_load
        self._speed: float | None = None
        self._keep = keep
        self._clock = clock
        self._lock = threading.Lock()
        self._measures: dict[Hashable, Measure] = {}
        self._startups: list[float] = []

    def machine_speed(self) -> float:
        """The machine's training speed (mlp.cost.training_speed), measured at the first call."""
        if self._speed is None:
            self._speed = self._machine()
        return self._speed

    def note(self, run: Hashable, step_flops: float, modelled: float, seconds: float,
             core_seconds: float | None = None) -> None:
        """`run`, with steps of `step_flops`, did work the model times at `modelled` seconds in `seconds` (and
        `core_seconds` of its worker's CPU); a later note of the same run replaces this one."""
        if not (modelled > 0 and seconds > 0 and step_flops > 0):
            return
        core = modelled / core_seconds if core_seconds and core_seconds > 0 else None
        with self._lock:
            self._measures.pop(run, None)
            self._measures[run] = Measure(step_flops, modelled / seconds, core, self._clock(), modelled)
            while len(self._measures) > self._keep:
                self._measures.pop(next(iter(self._measures)))

    def note_startup(self, seconds: float) -> None:
        """A worker took `seconds` from the job to its first step (starting the process, if it was new, included)."""
        with self._lock:
            self._startups = [*self._startups, seconds][-9:]

    def startup(self) -> float:
        with self._lock:
            return statistics.median(self._startups) if self._startups else STARTUP_SECONDS

    def paces(self, step_flops: float) -> Paces:
        with self._lock:
            measures = list(self._measures.values())
        return paces_at(step_flops, measures, self._clock(), 0.0 if measures else self._load())


def machine_load() -> float:
    """Processes wanting a core, per core, over the last minute (0 where the system does not say)."""
    try:
        return os.getloadavg()[0] / (os.cpu_count() or 1)
    except OSError:
        return 0.0


def cpu_seconds(pid: int | None) -> float | None:
    """User and system CPU seconds a process has used (Linux's /proc); None where that cannot be read."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    except (OSError, ValueError, IndexError):
        return None
