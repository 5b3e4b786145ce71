"""How fast this server trains, learned from its own runs: the estimates a student and a teacher read.

One definition: a run's time on the wall is its set-up, then its work on a core divided by the share of a core its
worker will get,

    seconds = startup + modelled / (core pace x share)

- `modelled`: the machine's model of the run's work on a free core (mlp.cost), its speed measured once.
- The core pace: how fast this server's workers really go against that model, per second of their CPU time (the
  model's seconds of work done per CPU second), read from the runs measured nearest in size (a step's arithmetic,
  `Cost.step_flops`), the newest weighing most. The load does not change it: a busy machine gives a worker fewer
  seconds of CPU, not slower ones.
- The share: what the load changes. The web process serving the pages goes first (the workers run at a lower
  priority) and uses P cores, measured on its own CPU clock; the C - P cores left are shared by every other process
  that wants one, so each of B busy workers gets min(1, (C - P) / (crowd + B)) of a core (`core_share`), where the
  crowd is the other processes wanting a core. The server reads the crowd from what it sees (`Crowd`): the share
  each training worker got over its last second ((C - P) / share - B: what it competed with), else, a minute after
  the last, the machine's load average besides the workers training (until a worker measured its share, that only
  bounds it: `shares`), each reading weighing as much as the time it stands for. B is the workers that will be
  busy: those training, one per run in line, and the new run's, up to the pool's size. So a class pressing Start
  at once is told the pace of two busy workers beside its pages, not the pace of a lone run before.
- The range: as wide as the measured core paces disagree (wider the further the nearest measured size), times the
  shares at the crowd of the last seconds, less and more how far it differs from the last minute's (how fast the
  load changes). Before anything was measured the model stands alone for the core pace, with a wider range. One
  pace per server process, shared by its sessions; no Streamlit.
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
CROWD_HALF_LIFE = 10.0  # seconds: an observation of the crowd this much older than another weighs half as much...
CROWD_LONGER = 60.0  # ... in its recent average; in its longer one, this much
CROWD_FRESH = 60.0  # seconds without a worker's share observed, after which the load average (a minute's) is read
# instead: within that minute the worker's share is newer and direct (the processes runnable at one moment are not: a
# class's 30 pages rendering at its click made 43 on 2 cores for a second, and the class was told 1.8 times too long)
SHARE_INTERVAL = 0.5  # seconds of a worker's wall time, at least, over which its share of a core is observed
WHOLE_CORE = 0.9  # a worker's share at least this: it had a core, which says only that the crowd left it one


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


@dataclass(frozen=True)
class Share:
    """The share of a core each busy worker gets (0-1): likely, and low and high at the crowd's spread."""
    low: float
    likely: float
    high: float


WHOLE = Share(1.0, 1.0, 1.0)


def core_share(cores: float, crowd: float, busy: int, pages: float = 0.0) -> float:
    """The share of a core each of `busy` training workers gets on `cores` cores when `crowd` other processes want a
    core too and this server's web process uses `pages` cores: the pages first (the workers run at a lower priority,
    training.workers.WORKER_NICENESS), then every process wanting a core served in turn (Linux's scheduler), so the
    rest shared evenly, at most a whole core each."""
    return min(1.0, free_cores(cores, pages) / max(crowd + max(1, busy), 1e-9))


def crowd_from_share(cores: float, share: float, busy: int, pages: float = 0.0) -> float:
    """The crowd that `core_share` says a worker competed with when it got `share` of a core, `busy` workers
    training and the pages using `pages` cores: core_share inverted (a whole core leaves it open: see WHOLE_CORE)."""
    return max(0.0, free_cores(cores, pages) / max(share, 1e-9) - max(1, busy))


def free_cores(cores: float, pages: float) -> float:
    """The cores the web process leaves (it is one process: at most one core; a tenth of the cores left at least)."""
    return max(0.1 * cores, cores - min(1.0, max(0.0, pages)))


def shares(cores: float, crowd: Crowd, busy: int, pages: float = 0.0) -> Share:
    """The share of a core each of `busy` workers will get, at the crowd observed and at its spread either side.
    Before any worker measured its share, the load average only bounds it: it counts processes waiting for a disk,
    and processes in other sessions that Linux's scheduler weighs as one group (autogroup: a worker beside a load
    average of 9.6 on 2 cores got 0.3 of a core, not 2/10.6): between the share at that load and a whole core, their
    geometric middle likely."""
    slow = core_share(cores, crowd.mean + crowd.spread, busy, pages)
    if crowd.guessed:
        return Share(slow, math.sqrt(slow), 1.0)
    return Share(slow, core_share(cores, crowd.mean, busy, pages),
                 core_share(cores, max(0.0, crowd.mean - crowd.spread), busy, pages))


@dataclass(frozen=True)
class Crowd:
    """The processes wanting a core besides the training workers, as observed: averaged over the last seconds
    (`mean`, half-life CROWD_HALF_LIFE) and over the last minute or so (`longer`, half-life CROWD_LONGER), each
    observation weighing as much as the time since the one before (a burst of readings in one moment counts like that
    moment). How far the two differ is how fast the load is changing: the range either side. `at`: when last
    observed; `by_worker`: when last from a worker's share."""
    mean: float = 0.0
    longer: float = 0.0
    at: float = -math.inf
    by_worker: float = -math.inf

    @property
    def spread(self) -> float:
        return abs(self.mean - self.longer)

    @property
    def guessed(self) -> bool:
        """Only the load average observed it yet, never a worker's share: see `shares`."""
        return math.isinf(self.by_worker)

    def observed(self, value: float, now: float, by_worker: bool = False) -> Crowd:
        """With one more observation, `value`, at `now` (the first is all there is, and so is a worker's first after
        the load average's guesses; after a long silence, one weighs half)."""
        worker_at = now if by_worker else self.by_worker
        if math.isinf(self.at) or (by_worker and self.guessed):
            return Crowd(value, value, now, worker_at)
        gap = max(0.0, now - self.at)
        recent, longer = (min(0.5, 1 - 0.5 ** (gap / half)) for half in (CROWD_HALF_LIFE, CROWD_LONGER))
        return Crowd(self.mean + recent * (value - self.mean), self.longer + longer * (value - self.longer), now,
                     worker_at)


def paces_at(step_flops: float, measures: Sequence[Measure], now: float, share: Share = WHOLE) -> Paces:
    """The paces on the wall of a run whose steps are `step_flops`, its worker getting `share` of a core: its core
    pace from `measures` (the nearest in size and the newest weigh most; a measure without CPU time counts its wall
    pace; the range widens with their disagreement and with the distance to the nearest), or the model's alone, with
    a wider range, times the share."""
    if not measures:
        return Paces(share.low / UNMEASURED[1], share.likely, share.high / UNMEASURED[0], 1.0, False)
    weighed = []
    for m in measures:
        distance = abs(math.log(step_flops / m.step_flops))
        weight = math.exp(-2 * distance) * 0.5 ** ((now - m.at) / HALF_LIFE) * min(1.0, m.work / WORK_WEIGHED)
        weighed.append((weight, math.log(m.core_pace or m.pace), distance))
    total = sum(w for w, *_ in weighed)
    centre = sum(w * p for w, p, _ in weighed) / total
    spread = math.sqrt(sum(w * (p - centre) ** 2 for w, p, _ in weighed) / total)
    half = min(1.0, NARROWEST + spread + 0.1 * min(d for *_, d in weighed))
    core = math.exp(centre)
    return Paces(core * math.exp(-half) * share.low, core * share.likely, core * math.exp(half) * share.high, core,
                 True)


class Pace:
    """The measures of this server's newest runs, the crowd its workers train among, and its workers' set-up time;
    any thread may call it. `line()` says the runs training and the runs in line now, `workers` the pool's size."""

    def __init__(self, machine: Callable[[], float], keep: int = KEEP, clock: Callable[[], float] = time.monotonic,
                 load: Callable[[], float | None] | None = None, line: Callable[[], tuple[int, int]] | None = None,
                 workers: int = 1, cores: float | None = None, own_cpu: Callable[[], float] = time.process_time):
        self._machine = machine  # mlp.cost.training_speed: called once, when first needed
        self._load = load or load_average
        self._line = line or (lambda: (0, 0))
        self._workers = max(1, workers)
        self.cores = cores or machine_cores()
        self._speed: float | None = None
        self._keep = keep
        self._clock = clock
        self._lock = threading.Lock()
        self._measures: dict[Hashable, Measure] = {}
        self._seen: dict[Hashable, tuple[float, float]] = {}  # a running run's last (wall, CPU) seconds noted
        self._crowd = Crowd()
        self._own_cpu = own_cpu  # this process's CPU seconds, all its threads: the pages' work
        self._pages = Crowd()  # the cores the web process used, averaged alike
        self._own_seen = (clock(), own_cpu())
        self._startups: list[float] = []

    def machine_speed(self) -> float:
        """The machine's training speed (mlp.cost.training_speed), measured at the first call."""
        if self._speed is None:
            self._speed = self._machine()
        return self._speed

    def note(self, run: Hashable, step_flops: float, modelled: float, seconds: float,
             core_seconds: float | None = None) -> None:
        """`run`, with steps of `step_flops`, did work the model times at `modelled` seconds in `seconds` (and
        `core_seconds` of its worker's CPU) since its first step; a later note of the same run replaces this one, and
        the share of a core its worker got since the last says how crowded the machine is."""
        if not (modelled > 0 and seconds > 0 and step_flops > 0):
            return
        core = modelled / core_seconds if core_seconds and core_seconds > 0 else None
        training = self._line()[0]
        besides = self._load_besides(training)
        pages = self.pages()
        with self._lock:
            self._measures.pop(run, None)
            self._measures[run] = Measure(step_flops, modelled / seconds, core, self._clock(), modelled)
            while len(self._measures) > self._keep:
                self._measures.pop(next(iter(self._measures)))
            wall, cpu = self._seen.get(run, (0.0, 0.0))
            if core_seconds is not None and seconds - wall >= SHARE_INTERVAL:
                self._seen[run] = (seconds, core_seconds)
                while len(self._seen) > self._keep:
                    self._seen.pop(next(iter(self._seen)))
                share = max(0.0, core_seconds - cpu) / (seconds - wall)
                crowd = crowd_from_share(self.cores, share, training, pages)
                if share >= WHOLE_CORE and besides is not None:  # it had a core: the crowd may be smaller than
                    crowd = min(crowd, besides)  # the cores it left, and is at most the load besides the workers
                self._crowd = self._crowd.observed(crowd, self._clock(), by_worker=True)

    def note_startup(self, seconds: float) -> None:
        """A worker took `seconds` from the job to its first step (starting the process, if it was new, included)."""
        with self._lock:
            self._startups = [*self._startups, seconds][-9:]

    def startup(self) -> float:
        with self._lock:
            return statistics.median(self._startups) if self._startups else STARTUP_SECONDS

    def busy(self) -> int:
        """The workers busy once a run started now has one: those training, one per run in line, and its own."""
        training, waiting = self._line()
        return min(self._workers, training + waiting + 1)

    def crowd(self) -> Crowd:
        """The crowd as observed; a minute after the last training worker's share (or at first), the load average
        is observed first."""
        now, training = self._clock(), self._line()[0]
        with self._lock:
            stale = now - self._crowd.by_worker > CROWD_FRESH and now - self._crowd.at > CROWD_FRESH / 60
        besides = self._load_besides(training) if stale else None
        with self._lock:
            if besides is not None:
                self._crowd = self._crowd.observed(besides, now)
            return self._crowd

    def pages(self) -> float:
        """The cores the web process used (serving the pages), over the last seconds: observed at most twice a
        second, from its CPU time since the last observation."""
        now, cpu = self._clock(), self._own_cpu()
        with self._lock:
            at, was = self._own_seen
            if now - at >= SHARE_INTERVAL:
                self._own_seen = (now, cpu)
                self._pages = self._pages.observed(max(0.0, cpu - was) / (now - at), now)
            return self._pages.mean

    def share(self) -> Share:
        """The share of a core each worker will get once a run started now has one."""
        return shares(self.cores, self.crowd(), self.busy(), self.pages())

    def paces(self, step_flops: float) -> Paces:
        share = self.share()
        with self._lock:
            measures = list(self._measures.values())
        return paces_at(step_flops, measures, self._clock(), share)

    def _load_besides(self, training: int) -> float | None:
        """The machine's load average besides the `training` workers (None: unknown)."""
        load = self._load()
        return None if load is None else max(0.0, load - training)


def machine_cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def load_average() -> float | None:
    """Processes running or waiting for a core, averaged over the last minute (None where the system does not say)."""
    try:
        return os.getloadavg()[0]
    except (OSError, AttributeError):
        return None


def cpu_seconds(pid: int | None) -> float | None:
    """User and system CPU seconds a process has used (Linux's /proc); None where that cannot be read."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    except (OSError, ValueError, IndexError):
        return None
