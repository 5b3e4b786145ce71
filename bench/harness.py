"""The harness: timing each contestant's epochs in turns, the load of other processes, and the
time to answer one drawn digit. BLAS threads are set by the caller, with threadpoolctl."""
from __future__ import annotations

import os
import statistics
import time
from functools import partial
from pathlib import Path

import numpy as np

from contestants import BareEngine, MatmulsOnly, Notebook, Ours, Torch
from mlp.drawing.preprocess import to_mnist
from mlp.model import Model
from mlp.teaching.insides import Camera

PREDICT_RUNS = 200
INSIDES_SHOTS = 5  # extra snapshots of the live insides timed at each epoch end, for their cost alone

try:
    import resource  # Unix only: page faults and CPU time
except ImportError:
    resource = None


def minor_faults() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt if resource else 0


def load_average() -> float:
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


class OtherLoad:
    """How many CPUs other processes kept busy, on average, between start() and cpus(): the
    machine's busy time (/proc/stat) minus this process's own CPU time. None where unreadable."""

    def __init__(self):
        self.start()

    @staticmethod
    def _machine_busy() -> float | None:
        try:
            fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        except (OSError, ValueError):
            return None
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
        return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")

    @staticmethod
    def _own() -> float:
        if resource is None:
            return 0.0
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    def start(self) -> None:
        self.t0, self.busy0, self.own0 = time.perf_counter(), self._machine_busy(), self._own()

    def cpus(self) -> float | None:
        busy = self._machine_busy()
        if busy is None or self.busy0 is None or resource is None:
            return None
        wall = time.perf_counter() - self.t0
        return max(0.0, (busy - self.busy0) - (self._own() - self.own0)) / wall if wall > 0 else None


class Timer:
    """Wall seconds, CPU seconds of the calling thread, and minor page faults of each epoch of one
    contestant. At 1 thread all the work runs in the calling thread, so its CPU time is what the
    epoch costs even while other processes take turns on the core (wall time then grows)."""

    def __init__(self, name: str):
        self.name = name
        self.seconds: list[float] = []
        self.cpu: list[float] = []
        self.faults: list[int] = []
        self.accuracy = float("nan")
        self.first_accuracy = float("nan")  # after the warm-up epoch

    def add(self, epoch: int, seconds: float, cpu: float, faults: int) -> None:
        """Add to epoch `epoch` (0-based): an epoch may be timed in slices."""
        while len(self.seconds) <= epoch:
            self.seconds.append(0.0)
            self.cpu.append(0.0)
            self.faults.append(0)
        self.seconds[epoch] += seconds
        self.cpu[epoch] += cpu
        self.faults[epoch] += faults

    def start(self) -> None:
        self._marks = (minor_faults(), time.thread_time(), time.perf_counter())

    def stop(self, epoch: int) -> None:
        f0, c0, t0 = self._marks
        self.add(epoch, time.perf_counter() - t0, time.thread_time() - c0, minor_faults() - f0)

    def time(self, fn, epoch: int) -> None:
        self.start()
        fn()
        self.stop(epoch)

    @staticmethod
    def _after_warmup(values: list) -> list:
        return values[1:] if len(values) > 1 else values

    @property
    def timed(self) -> list[float]:
        return self._after_warmup(self.seconds)

    @property
    def median(self) -> float:
        return statistics.median(self.timed) if self.seconds else float("nan")

    @property
    def cpu_median(self) -> float:
        return statistics.median(self._after_warmup(self.cpu)) if self.cpu else float("nan")

    @property
    def faults_per_epoch(self) -> float:
        timed = self._after_warmup(self.faults)
        return statistics.median(timed) if timed else float("nan")


SETTLE_SECONDS = 0.15  # idle OpenBLAS workers spin ~50-80 ms after a call, torch's OpenMP ones ~10 ms


def measure_all(split, epochs: int, torch, threads: int) -> dict:
    """Our Trainer's steps, with the others taking turns. At 1 thread: whenever ours logs a point
    (every ~9 steps), every other contestant catches up by the same number of steps, each timed on
    its own; a burst of load from other processes lasts far longer than one such slice, so it hits
    all alike. At 2+ threads, slices that short would measure the thread pools more than the
    training: a BLAS library's idle workers keep spinning on the cores for a while after each call
    (OpenBLAS ~50-80 ms, torch's OpenMP ~10 ms) and slow whoever runs next. So there they take
    turns by whole epochs, with an untimed pause of SETTLE_SECONDS before each turn."""
    settle = SETTLE_SECONDS if threads > 1 else 0.0
    ours = Ours(split, epochs)
    per_epoch = ours.trainer.steps_per_epoch
    others = {"bare": BareEngine(split), "mm_train": MatmulsOnly(len(split.x_train), len(split.x_test)),
              "notebook": Notebook(split), **({"torch": Torch(torch, split)} if torch is not None else {})}
    runners = {name: contestant.steps() for name, contestant in others.items()}
    timers = {name: Timer(name) for name in ("ours", "mm_eval", "insides", *others)}
    camera = Camera.for_split(split, range(10))
    caught_up = 0
    timers["ours"].start()
    for step in ours.steps():
        epoch, epoch_end = (step.step - 1) // per_epoch, step.step % per_epoch == 0
        if not (epoch_end if settle else step.point is not None):
            continue
        timers["ours"].stop(epoch)
        for name, runner in runners.items():
            time.sleep(settle)
            timers[name].time(partial(advance, runner, step.step - caught_up), epoch)
        caught_up = step.step
        if epoch_end:
            for _ in range(INSIDES_SHOTS):  # what the Train page's worker adds to our Trainer
                timers["insides"].time(partial(camera.look, ours.trainer.model.network, step.step, step.epoch), epoch)
            end_of_epoch(epoch, epochs, others, timers, split, settle)
        timers["ours"].start()
    timers["ours"].first_accuracy = ours.trainer.history.heldout[1].accuracy  # the test set, after epoch 1
    for name, contestant in (("ours", ours), *others.items()):
        if name != "mm_train":
            timers[name].accuracy = contestant.accuracy(split.x_test, split.y_test)
    return {**timers, "model": ours.trainer.model, "snapshots_per_epoch": ours.snapshots / epochs}


def advance(runner, count: int) -> None:
    for _ in range(count):
        next(runner)


def end_of_epoch(epoch: int, epochs: int, others: dict, timers: dict, split, settle: float) -> None:
    """The matmuls of our Trainer's test scoring, and after the warm-up epoch everyone's test
    accuracy (the notebook must be above 90% by then)."""
    time.sleep(settle)
    timers["mm_eval"].time(others["mm_train"].eval_pass, epoch)
    if epoch == 0:
        for name in ("notebook", "torch"):
            if name in others:
                timers[name].first_accuracy = others[name].accuracy(split.x_test, split.y_test)
    time.sleep(settle)  # before our Trainer's next epoch
    print(f"  epoch {epoch + 1}/{epochs} done by all ({time.strftime('%H:%M:%S')}, "
          f"load {load_average():.2f})", flush=True)


def draw_canvas(side: int = 280, brush: float = 20.0) -> np.ndarray:
    """An RGBA canvas like the app's: transparent, with a white, round-brushed '7' drawn on it."""
    points = np.array([(70, 60), (215, 60), (215, 75), (120, 230)], dtype=np.float64)  # (x, y)
    yy, xx = np.mgrid[0:side, 0:side].astype(np.float64)
    distance = np.full((side, side), np.inf)
    for (x0, y0), (x1, y1) in zip(points[:-1], points[1:]):
        dx, dy = x1 - x0, y1 - y0
        t = np.clip(((xx - x0) * dx + (yy - y0) * dy) / (dx * dx + dy * dy), 0, 1)
        distance = np.minimum(distance, np.hypot(xx - (x0 + t * dx), yy - (y0 + t * dy)))
    alpha = np.clip(brush / 2 + 0.5 - distance, 0, 1)  # anti-aliased edge, one pixel wide
    canvas = np.zeros((side, side, 4), dtype=np.uint8)
    canvas[..., :3] = 255
    canvas[..., 3] = np.round(alpha * 255).astype(np.uint8)
    canvas[canvas[..., 3] == 0] = 0
    return canvas


def time_predict(model: Model, runs: int = PREDICT_RUNS) -> dict:
    canvas = draw_canvas()

    def answer():
        image = to_mnist(canvas)
        return model.predict_proba(image.reshape(1, -1).astype(np.float32))[0]

    digit = int(answer().argmax())
    image = to_mnist(canvas).reshape(1, -1).astype(np.float32)
    out = {"digit": digit}
    for name, fn in (("end to end", answer), ("to_mnist", lambda: to_mnist(canvas)),
                     ("predict_proba", lambda: model.predict_proba(image))):
        for _ in range(10):
            fn()
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        out[name] = statistics.median(times) * 1e3
    return out
