"""One training run in a background thread, the server-wide cap on runs at once, and a run's record.

Pure Python (no Streamlit): the page only calls `start`, `pause`, `resume`, `stop`, `beat` and reads
`state`, `progress()`, `history()`, `model()`. The thread iterates the engine's `Trainer.steps()` and
never touches Streamlit; between two steps it honours pause and stop, and it stops by itself when the
page stops beating (a closed tab), also while it waits for a slot or is paused.
"""
from __future__ import annotations

import itertools
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Literal

import numpy as np

from mlp.config import TrainConfig
from mlp.diagnosis import Finding, diagnose
from mlp.model import Model
from mlp.mnist import Split
from mlp.trainer import History, Step, Trainer, TrainResult

RunState = Literal["ready", "queued", "running", "paused", "finished", "stopped", "failed"]
ACTIVE_STATES = ("queued", "running", "paused")
HEARTBEAT_SECONDS = 10.0  # no beat for this long (and no open connection): the page is gone
MAX_TRAININGS_ENV = "MLP_MAX_TRAININGS"
LEFT_REASON = "Stopped because nobody is watching any more (the page was closed)."
POLL_SECONDS = 0.2  # how often a paused or queued run looks at the heartbeat


def ordinal(n: int) -> str:
    """1 -> '1st', 2 -> '2nd', 11 -> '11th'."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


class SlotLimiter:
    """At most `limit` trainings at once; the others wait in line, first come first served."""

    def __init__(self, limit: int):
        self.limit = max(1, int(limit))
        self._cond = threading.Condition()
        self._running = 0
        self._line: list[object] = []

    def acquire(self, ticket: object, give_up: Callable[[], bool], poll: float = 0.2) -> bool:
        """Wait for a slot; False (and out of the line) as soon as `give_up()` is true."""
        with self._cond:
            self._line.append(ticket)
            try:
                while not (self._line[0] is ticket and self._running < self.limit):
                    if give_up():
                        return False
                    self._cond.wait(poll)
                self._running += 1
                return True
            finally:
                self._line.remove(ticket)
                self._cond.notify_all()

    def release(self) -> None:
        with self._cond:
            self._running = max(0, self._running - 1)
            self._cond.notify_all()

    def place(self, ticket: object) -> int:
        """1 for the next in line, 0 when not waiting."""
        with self._cond:
            return self._line.index(ticket) + 1 if ticket in self._line else 0

    @property
    def running(self) -> int:
        with self._cond:
            return self._running


def _limit_from_env() -> int:
    try:
        return max(1, int(os.environ.get(MAX_TRAININGS_ENV, "2")))
    except ValueError:
        return 2


SLOTS = SlotLimiter(_limit_from_env())  # one per server process, shared by every session


_record_ids = itertools.count(1)


@dataclass(eq=False)  # a record is itself: two runs with equal settings and results are still two runs
class Run:
    """A finished (or stopped, failed, or uploaded) run, kept for drawing, inspecting and comparing."""
    name: str
    config: TrainConfig
    history: History
    status: str  # finished, stopped, failed, or uploaded (a model file with no training history)
    reason: str
    model: Model | None
    test_accuracy: float | None
    test_loss: float | None
    seconds: float
    epochs: float
    findings: list[Finding] = field(default_factory=list)
    uid: int = field(default_factory=lambda: next(_record_ids))  # stable across renames, for widgets

    def __post_init__(self) -> None:
        # Checked once: a run whose loss exploded may keep NaN weights, which nothing can read or draw with.
        self.usable = self.model is not None and bool(np.isfinite(self.model.network.params).all())


@dataclass(frozen=True)
class Progress:
    """Where a running run stands, for its progress bar and status line."""
    step: int
    total_steps: int
    epoch: float
    steps_per_second: float
    seconds_left: float  # nan while unknown

    @property
    def fraction(self) -> float:
        return self.step / self.total_steps if self.total_steps else 0.0


class RateMeter:
    """Steps per second over the last few seconds, so a pause or a busy moment fades out."""

    def __init__(self, seconds: float = 3.0):
        self.seconds = seconds
        self.marks: list[tuple[float, int]] = []
        self.per_second = 0.0

    def tick(self, step: int) -> None:
        now = time.perf_counter()
        self.marks.append((now, step))
        while len(self.marks) > 2 and now - self.marks[0][0] > self.seconds:
            self.marks.pop(0)
        (t0, s0), (t1, s1) = self.marks[0], self.marks[-1]
        self.per_second = (s1 - s0) / (t1 - t0) if t1 > t0 else 0.0


def evals_per_epoch(epochs: int) -> int:
    """Held-out checks per epoch: every epoch, more often when the run is too short for a curve."""
    return 5 if epochs <= 1 else 2 if epochs <= 3 else 1


_run_numbers = itertools.count(1)


class TrainingRun:
    """Iterates one Trainer's steps in a thread of its own, and owns everything around the loop:
    pause, resume and stop, the heartbeat, the rate, the copies of weights and curves that readers
    see, the place in line. Safe to read and control from any thread."""

    def __init__(self, config: TrainConfig, split: Split, *, name: str = "",
                 limiter: SlotLimiter | None = None, heartbeat_seconds: float = HEARTBEAT_SECONDS,
                 connected: Callable[[], bool] | None = None, clock: Callable[[], float] = time.monotonic):
        """Raises ValueError (worded for users) when the split has no training examples.
        `connected` may report that the user's page is still open even when beats are late
        (a browser slows timers in a background tab)."""
        self.config = config
        self.name = name or f"Run {next(_run_numbers)}"
        self.trainer = Trainer(config, split, evals_per_epoch=evals_per_epoch(config.epochs))
        self._limiter = limiter if limiter is not None else SLOTS
        self._heartbeat = heartbeat_seconds
        self._connected = connected
        self._clock = clock
        self._cond = threading.Condition()  # guards every field below; notified on resume and stop
        self._last_beat = clock()
        self._phase: RunState = "ready"
        self._stop_reason = ""
        self._thread: threading.Thread | None = None
        self._rate = RateMeter()
        self._step = 0
        self._history = self.trainer.history.copy()  # published at logged points, for readers
        self._model: Model | None = None
        self.record: Run | None = None

    # ----- control -----
    def start(self) -> None:
        with self._cond:
            if self._thread is not None:
                return
            self._phase = "queued"
            self._last_beat = self._clock()
            self._thread = threading.Thread(target=self._main, name=f"training {self.name}", daemon=True)
        self._thread.start()

    def pause(self) -> None:
        """Takes effect between two steps: the one under way completes."""
        with self._cond:
            if self._phase == "running":
                self._phase = "paused"

    def resume(self) -> None:
        with self._cond:
            if self._phase == "paused":
                self._phase = "running"
                self._cond.notify_all()

    def stop(self, reason: str = "Stopped by the user.") -> None:
        with self._cond:
            if not self._stop_reason and self._phase in ("ready", *ACTIVE_STATES):
                self._stop_reason = reason
                self._cond.notify_all()

    def beat(self) -> None:
        """Called by the page while it is open; without beats the run stops itself."""
        with self._cond:
            self._last_beat = self._clock()

    def keep_going(self) -> bool:
        with self._cond:
            fresh = self._clock() - self._last_beat < self._heartbeat
        if fresh:
            return True
        try:
            return bool(self._connected and self._connected())
        except Exception:  # a probe that breaks must not keep an orphan alive
            return False

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the thread has ended (tests, shutdown); True if it has."""
        if self._thread is not None:
            self._thread.join(timeout)
        return self.done

    # ----- reading -----
    @property
    def state(self) -> RunState:
        with self._cond:
            return self._phase

    @property
    def active(self) -> bool:
        return self.state in ACTIVE_STATES

    @property
    def stopping(self) -> bool:
        """Stop was asked (or the page left) but the thread is still finishing its step and the test scores."""
        with self._cond:
            return bool(self._stop_reason) and self._phase in ("running", "paused")

    @property
    def done(self) -> bool:
        return self.state in ("finished", "stopped", "failed")

    @property
    def slot_limit(self) -> int:
        return self._limiter.limit

    def place_in_line(self) -> int:
        return self._limiter.place(self) if self.state == "queued" else 0

    def progress(self) -> Progress:
        total, per_epoch = self.trainer.total_steps, self.trainer.steps_per_epoch
        with self._cond:
            step, rate = self._step, self._rate.per_second
        left = (total - step) / rate if rate > 0 else float("nan")
        return Progress(step, total, step / per_epoch, rate, left)

    def history(self) -> History:
        """The curves as of the last logged point; do not modify."""
        with self._cond:
            return self._history

    def model(self) -> Model | None:
        """The latest weights: a copy as of the last logged point while training, the final model afterwards."""
        with self._cond:
            if self.record is not None:
                return self.record.model
            return None if self._phase in ("ready", "queued") else self._model

    # ----- the thread -----
    def _main(self) -> None:
        try:
            if not self._limiter.acquire(self, give_up=self._give_up):
                self._end_unstarted()
                return
            try:
                self._train()
            finally:
                self._limiter.release()
        except Exception as error:  # anything at all: the student sees words, not a traceback
            self._fail(error)

    def _train(self) -> None:
        """The trainer's steps; between two of them, publish what readers see and honour pause and stop."""
        with self._cond:
            if self._phase == "queued":
                self._phase = "running"
        self._publish()
        for step in self.trainer.steps():
            self._note(step)
            if not self._carry_on():
                break
        with self._cond:
            reason = self._stop_reason
        self._finish(self.trainer.result(reason))

    def _note(self, step: Step) -> None:
        with self._cond:
            self._step = step.step
            self._rate.tick(step.step)
        if step.point is not None or step.heldout is not None:
            self._publish()

    def _publish(self) -> None:
        model, history = self.trainer.model.copy(), self.trainer.history.copy()
        with self._cond:
            self._model, self._history = model, history

    def _carry_on(self) -> bool:
        """Wait while paused; False once the run is to end (stopped, or its page is gone)."""
        while True:
            watched = self.keep_going()
            with self._cond:
                if not watched and not self._stop_reason:
                    self._stop_reason = LEFT_REASON
                if self._stop_reason:
                    return False
                if self._phase != "paused":
                    return True
                self._cond.wait(POLL_SECONDS)  # woken by resume or stop; else looks at the heartbeat again

    def _give_up(self) -> bool:
        with self._cond:
            stopped = bool(self._stop_reason)
        return stopped or not self.keep_going()

    def _end_unstarted(self) -> None:
        with self._cond:
            reason = "Stopped before it started." if self._stop_reason else LEFT_REASON
            self.record = Run(self.name, self.config, self._history, "stopped", reason, None, None, None, 0.0, 0.0)
            self._phase = "stopped"

    def _finish(self, result: TrainResult) -> None:
        findings = diagnose(self.config, result.history, status=result.status, reason=result.reason)
        record = Run(self.name, self.config, result.history, result.status, result.reason, result.model,
                     result.test_accuracy, result.test_loss, result.seconds, result.epochs, findings)
        with self._cond:
            self.record, self._history = record, result.history
            self._phase = result.status

    def _fail(self, error: Exception) -> None:
        if isinstance(error, MemoryError):
            message = "The computer ran out of memory: try fewer or narrower hidden layers, or a smaller batch."
        else:
            message = f"Training stopped because of an unexpected error ({type(error).__name__}: {error})."
        with self._cond:
            self.record = Run(self.name, self.config, self._history, "failed", message, self._model,
                              None, None, 0.0, 0.0)
            self._phase = "failed"


def format_seconds(seconds: float) -> str:
    """'about 12 s', 'about 3 min'; '' when unknown."""
    if not seconds or seconds != seconds or seconds == float("inf"):
        return ""
    if seconds < 90:
        return f"about {max(1, round(seconds))} s"
    return f"about {round(seconds / 60)} min"


def status_text(run: TrainingRun) -> str:
    """One plain line on where a run stands, for the page and the sidebar."""
    state = run.state
    if state == "ready":
        return "Ready to start."
    if state == "queued":
        place = run.place_in_line()
        where = f"{ordinal(place)} in line" if place else "starting"
        return f"Waiting for a free slot: {where} (the server trains {run.slot_limit} at a time)."
    p = run.progress()
    of = f"epoch {p.epoch:.1f} of {run.config.epochs}"
    if run.stopping:
        return f"Stopping at {of}…"
    if state == "running":
        left = format_seconds(p.seconds_left)
        return f"Training: {of} · {p.steps_per_second:.0f} steps/s" + (f" · {left} left." if left else ".")
    if state == "paused":
        return f"Paused at {of}."
    record = run.record
    if state == "failed":
        return f"Failed: {record.reason}"
    accuracy = f"{record.test_accuracy:.1%} test accuracy" if record and record.test_accuracy is not None else ""
    if state == "finished":
        return f"Finished: {accuracy}." if accuracy else "Finished."
    return f"Stopped at {of}" + (f": {accuracy}." if accuracy else ".")
