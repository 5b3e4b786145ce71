"""One training run as the pages see it (its record, once it ends, is training.record.Run), and what every run of
the service shares.

Pure Python (no Streamlit): the page only calls `start`, `pause`, `resume`, `one_more_epoch`, `stop`, `beat`
(and `again` for a new run of the same settings) and reads
`state`, `progress()`, `history()`, `model()`. The training itself runs in a worker process of the
pool (training.workers); a thread per run waits in line for a worker, then reads its messages (curve points,
the step, weights about once a second, the result) and keeps the copies readers see. The heartbeat
stays here: when the page stops beating (a closed tab), the run's thread stops the run, also while it
waits in line or is paused. That part is `PoolRun`, which the Notebook's runs share (training.replay): one
line, one pool and one set of limits for every run.
"""
from __future__ import annotations

import itertools
import logging
import math
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Literal

import numpy as np

from mlp.config import TrainConfig
from mlp.model import Model
from mlp.teaching.diagnosis import diagnose
from mlp.teaching.insides import Snapshot
from mlp.trainer import History, TrainResult
from training.limits import LIMITS, Estimate, estimate, refusal, time_limit_reason
from training.line import ANYONE, Visitor
from training.logs import short
from training.pace import SETTLED, WORK_NOTED, cpu_seconds
from training.record import Run
from training.words import format_range, format_seconds, ordinal
from training.workers import POOL, Extra, Job, SharedDataset, Worker, WorkerPool, died_words, select

log = logging.getLogger(__name__)

RunState = Literal["ready", "queued", "running", "paused", "finished", "stopped", "failed"]
ACTIVE_STATES = ("queued", "running", "paused")
HEARTBEAT_SECONDS = 10.0  # no beat for this long (and no open connection): the page is gone
LEFT_REASON = "Stopped because nobody is watching any more (the page was closed)."
WEIGHTS_SECONDS = 1.0  # while training, a reader's copy of the weights is at most about this old
POLL_SECONDS = 0.2  # how often a run with no news from its worker looks at the heartbeat


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


class PoolRun:
    """What every run of the service does in the web process, whatever it trains: a thread of its own waits in
    line for a worker of the pool, hands it the run's job, then reads the worker's messages until the run ends;
    between two, the heartbeat (a run no page beats for any more stops, also while it waits in line) and the
    server's time limit. A kind of run says what its job is (`_job`) and what the worker's messages mean
    (`_take`), and provides `progress()` and `estimate` for the wait in line. Safe to read and control from any
    thread."""

    def __init__(self, name: str, pool: WorkerPool | None, heartbeat_seconds: float,
                 connected: Callable[[], bool] | None, clock: Callable[[], float], max_seconds: float | None,
                 visitor: Visitor = ANYONE):
        self.name = name
        self.visitor = visitor  # whose run: its turns in line and its workspace's share (training.line)
        self._pool = pool_or_default(pool)
        self._heartbeat = heartbeat_seconds
        self._connected = connected
        self._clock = clock
        self._cond = threading.Condition()  # guards every field below, and every message sent to the worker
        self._last_beat = clock()
        self._phase: RunState = "ready"
        self._stop_reason = ""
        self._thread: threading.Thread | None = None
        self._worker: Worker | None = None  # while it trains this run
        self._max_seconds = LIMITS.hold_seconds if max_seconds is None else max_seconds
        self._sent_at = math.nan  # when the job went to a worker
        self.worker_report: dict = {}  # the worker's pid and how it sees the data (tests, diagnostics)

    # ----- control -----
    def start(self) -> None:
        """Into the line; training.line.LineRefused (a ValueError, in words) when its workspace has its share."""
        with self._cond:
            if self._thread is not None:
                return
            self._pool.line.join(self, self.visitor)
            self._phase = "queued"
            self._last_beat = self._clock()
            self._thread = threading.Thread(target=self._main, name=f"training {self.name}", daemon=True)
        self._thread.start()

    def stop(self, reason: str = "Stopped by the user.") -> None:
        with self._cond:
            if not self._stop_reason and self._phase in ("ready", *ACTIVE_STATES):
                self._stop_reason = reason
                self._tell(("stop", reason))

    def beat(self) -> None:
        """Called by a page while it shows the run; without beats the run stops itself."""
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
        """Block until the run's thread has ended (tests, shutdown); True if it has."""
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
    def done(self) -> bool:
        return self.state in ("finished", "stopped", "failed")

    @property
    def slot_limit(self) -> int:
        return self._pool.size

    def place_in_line(self) -> int:
        return self._pool.line.place(self) if self.state == "queued" else 0

    def expected_wait(self) -> tuple[float, float]:
        """The range of seconds until a worker is free for this run, from the runs before it."""
        if self.state != "queued":
            return 0.0, 0.0
        left = spans()
        return tuple(self._pool.line.wait(self, lambda run, end=end: left(run)[end]) for end in (0, 1))

    def seconds_left(self) -> tuple[float, float]:
        """The range of the rest of this run's time: from its estimate at the server's pace now; a kind of run that
        measures better says so."""
        fraction = self.progress().fraction
        low, high = self.estimate.again(self._pool.pace).span
        return low * (1 - fraction), high * (1 - fraction)

    # ----- the run's thread: in line, then reading the worker -----
    def _main(self) -> None:
        try:
            queued = time.monotonic()
            worker = self._pool.acquire(self, give_up=self._give_up, visitor=self.visitor)
            if worker is None:
                self._end_unstarted()
                return
            log.info("run %r of %s (workspace %s) got a worker after %.1f s in line", self.name,
                     self.visitor.address or "-", short(self.visitor.workspace), time.monotonic() - queued)
            ended = False
            try:
                ended = self._follow(worker)
            finally:
                with self._cond:
                    self._worker = None  # no command for this run may reach the worker's next run
                if not ended:
                    worker.close()  # it may still be training this run: never hand it to another
                self._pool.release(worker, self)
        except Exception as error:  # anything at all: the student sees words, not a traceback
            log.exception("run %r: unexpected error", self.name)
            self._fail(f"Training stopped because of an unexpected error ({type(error).__name__}: {error}).")

    def _follow(self, worker: Worker) -> bool:
        """Hand the job to the worker, then read its messages until the run ends (True); between two, the heartbeat."""
        with self._cond:
            self._sent_at = time.monotonic()  # the real clock, as every time the pace reads
            worker.send(self._job())
            if self._stop_reason:  # stopped while the worker was starting
                worker.send(("stop", self._stop_reason))
            self._worker, self._phase = worker, "running" if self._phase == "queued" else self._phase
        ended, since = False, self._clock()
        while not ended:
            message = worker.receive(POLL_SECONDS)
            ended = message is not None and self._take(message)
            if not ended and not self.keep_going():
                self.stop(LEFT_REASON)
            if not ended and self._clock() - since > self._max_seconds:
                log.warning("run %r stopped at the time limit: %.0f s on a worker, limit %.0f s", self.name,
                            self._clock() - since, self._max_seconds)
                self.stop(time_limit_reason())
        return True

    def _tell(self, message: tuple) -> None:
        """Under the lock: to the worker, if it is training this run."""
        if self._worker is not None:
            self._worker.send(message)

    def _give_up(self) -> bool:
        with self._cond:
            stopped = bool(self._stop_reason)
        return stopped or not self.keep_going()

    # ----- what a kind of run says -----
    def _job(self) -> tuple:
        """The message that hands this run's job to a worker."""
        raise NotImplementedError

    def _take(self, message: tuple) -> bool:
        """Apply one message from the worker; True once the run has ended."""
        raise NotImplementedError

    def _end_unstarted(self) -> None:
        """It left the line before a worker was free: stopped, or its page was closed."""
        raise NotImplementedError

    def _fail(self, reason: str) -> None:
        raise NotImplementedError

    def progress(self) -> Progress:
        raise NotImplementedError


class TrainingRun(PoolRun):
    """One training, run by a worker process of the pool, and everything around it in the web process:
    pause, resume and stop, the heartbeat, the rate, the copies of weights and curves that readers see,
    the place in line (PoolRun)."""

    def __init__(self, config: TrainConfig, data: SharedDataset, *, name: str = "",
                 pool: WorkerPool | None = None, heartbeat_seconds: float = HEARTBEAT_SECONDS,
                 connected: Callable[[], bool] | None = None, clock: Callable[[], float] = time.monotonic,
                 max_seconds: float | None = None, extra: Extra | None = None, drawings_until: float | None = None,
                 drawing: np.ndarray | None = None, visitor: Visitor = ANYONE):
        """`data` is the shared dataset; the worker selects the digits and examples `config` asks for.
        Raises ValueError (worded for users) when that selection is empty, or when the run would pass the
        server's limits (training.limits), before anything starts; `max_seconds` (default: the server's limit)
        is how long it may then hold a worker.
        `connected` may report that the user's page is still open even when beats are late
        (a browser slows timers in a background tab). `extra` (images, labels) joins the training rows: the class's
        drawings, the newest labelled at `drawings_until`; the record remembers them (ui.shared.handwriting_score.scored_on).
        `drawing` (784 values in [0, 1]), the student's own latest, is one of the digits the live insides show."""
        self.drawings, self.drawings_until = added_rows(config, extra), drawings_until
        self.estimate = estimate_run(config, data, self.drawings, pool)  # refuses an empty selection
        too_much = refusal(self.estimate)
        if too_much:
            log.warning("run refused: estimated %.0f MB and %.0f s, limits %.0f MB and %.0f s (%s)",
                        self.estimate.cost.megabytes, self.estimate.seconds, LIMITS.run_megabytes,
                        LIMITS.run_minutes * 60, config)
            raise ValueError(too_much)
        super().__init__(name or f"Run {next(_run_numbers)}", pool, heartbeat_seconds, connected, clock, max_seconds,
                         visitor)
        self.config, self.extra, self.drawing = config, extra, drawing
        self._data = data  # held, so its files stay while the run may need them
        self._held = False  # the worker said it waits between two steps
        self._epoch_asked: int | None = None  # the token of "one more epoch" under way: it pauses at that epoch's end
        self._tokens = itertools.count(1)
        self._rate = RateMeter()
        self._step, self._total = 0, self.estimate.cost.steps  # known before a worker is free
        self._per_epoch = self._total // config.epochs  # the worker's Trainer agrees
        self._history = History()
        self._model: Model | None = None
        self._weights_at = -math.inf  # when the copy in _model arrived
        self._weights_asked = False  # a newer copy is on its way
        self._insides: Snapshot | None = None  # the worker's latest snapshot of the network's insides
        self._began = math.nan  # when the worker began its first step (its "started")
        self._cpu_began: float | None = None  # the worker's CPU seconds then
        self._noted = -math.inf  # when this run last told the pace its speed
        self._paused = False  # ever: then it tells the pace nothing
        self.record: Run | None = None

    # ----- control -----
    def pause(self) -> None:
        """Takes effect between two steps: the one under way completes."""
        with self._cond:
            if self._phase == "running":
                self._phase, self._held, self._epoch_asked = "paused", False, None  # held again once the worker says so
                self._paused = True  # its time on the wall no longer says how fast its worker trains
                self._tell(("pause",))

    def resume(self) -> None:
        with self._cond:
            if self._phase == "paused":
                self._phase, self._held, self._epoch_asked = "running", False, None
                self._tell(("resume",))

    def one_more_epoch(self) -> None:
        """Train to the end of the epoch under way (paused at an epoch's end: exactly one more epoch), then pause;
        in the last epoch, the run simply finishes. The worker answers with this request's token when it holds,
        so a late answer to an earlier pause is never taken for it."""
        with self._cond:
            if self._phase in ("running", "paused") and not self._stop_reason:
                self._phase, self._held, self._epoch_asked = "running", False, next(self._tokens)
                self._paused = True  # it will pause: its time on the wall no longer says how fast its worker trains
                self._tell(("epoch", self._epoch_asked))

    def again(self, **options: Any) -> "TrainingRun":
        """A new run, not started, of the same settings and seed, data and added drawings on the same pool: a fresh
        network that retraces this one's steps. `options` are the constructor's keywords to change (its name)."""
        same = dict(name="", pool=self._pool, heartbeat_seconds=self._heartbeat, connected=self._connected,
                    clock=self._clock, max_seconds=self._max_seconds, extra=self.extra,
                    drawings_until=self.drawings_until, drawing=self.drawing, visitor=self.visitor)
        return TrainingRun(self.config, self._data, **{**same, **options})

    # ----- reading -----
    @property
    def stopping(self) -> bool:
        """Stop was asked (or the page left) but the worker is still finishing its step and the test scores."""
        with self._cond:
            return bool(self._stop_reason) and self._phase in ("running", "paused")

    @property
    def pausing(self) -> bool:
        """Running to the end of the epoch under way, where it pauses (one_more_epoch)."""
        with self._cond:
            return self._epoch_asked is not None and self._phase == "running"

    @property
    def held(self) -> bool:
        """Paused, and the worker has confirmed it: no step will be taken until resume."""
        with self._cond:
            return self._held and self._phase == "paused"

    def progress(self) -> Progress:
        with self._cond:
            step, total, per_epoch, rate = self._step, self._total, self._per_epoch, self._rate.per_second
        left = (total - step) / rate if rate > 0 else float("nan")
        return Progress(step, total, step / per_epoch if per_epoch else 0.0, rate, left)

    def history(self) -> History:
        """The curves as of the last logged point; do not modify."""
        with self._cond:
            return self._history

    def model(self) -> Model | None:
        """The latest weights: while training, the worker's last copy (a newer one is asked for when this one
        is over WEIGHTS_SECONDS old, and comes with a later step); the final model afterwards."""
        with self._cond:
            if self.record is not None:
                return self.record.model
            if self._phase in ("ready", "queued"):
                return None
            if not self._weights_asked and self._clock() - self._weights_at >= WEIGHTS_SECONDS:
                self._weights_asked = True
                self._tell(("weights",))
            return self._model

    def insides(self) -> Snapshot | None:
        """The network's insides as the worker last saw them (mlp.teaching.insides): about once a second, at each
        epoch's end and at the run's end; None before the first."""
        with self._cond:
            return self._insides

    # ----- the worker's messages -----
    def _job(self) -> tuple:
        return ("train", Job(self.config, self._data.spec, evals_per_epoch(self.config.epochs), self.extra,
                             self.drawing))

    def _take(self, message: tuple) -> bool:
        kind, *args = message
        if kind == "progress":
            self._note(*args)
        elif kind == "held":
            with self._cond:
                self._step, self._held = args[0], True
                if args[1:] and args[1] == self._epoch_asked and self._phase == "running":  # the epoch asked is done
                    self._phase, self._epoch_asked = "paused", None
        elif kind == "started":
            with self._cond:
                self._total, self._per_epoch, heldout_name, self.worker_report = args
                self._history = History(heldout_name=heldout_name)
                self._began, self._cpu_began = time.monotonic(), cpu_seconds(self.worker_report.get("pid"))
            self._pool.pace.note_startup(self._began - self._sent_at)
        elif kind == "result":
            self._finish(args[0])
        else:  # "error" in words, or "died" with the exit code
            self._fail(args[0] if kind == "error" else died_words(args[0]))
        return kind in ("result", "error", "died")

    def _note(self, step: int, delta: tuple | None, model: Model | None, insides: Snapshot | None) -> None:
        self._tell_pace(step)
        with self._cond:
            if insides is not None:
                self._insides = insides
            self._step = step
            self._rate.tick(step)
            if delta is not None:  # a new object: readers keep the copy they were given
                old = self._history
                self._history = History(old.train + delta[0], old.heldout + delta[1], old.diagnostics + delta[2],
                                        old.heldout_name)
            if model is not None:
                self._model, self._weights_at, self._weights_asked = model, self._clock(), False

    def _end_unstarted(self) -> None:
        with self._cond:
            reason = "Stopped before it started." if self._stop_reason else LEFT_REASON
            self.record = self._record(history=self._history, status="stopped", reason=reason)
            self._phase = "stopped"

    def _tell_pace(self, step: int, ended: bool = False) -> None:
        """The speed this run's worker trains at, on the wall and on its CPU, for every later estimate on this server
        (training.pace): while it trains, once it has trained a little, at most once a second; and once it has ended,
        its test set scored."""
        now, pace = time.monotonic(), self._pool.pace
        if math.isnan(self._began) or not self._total or self._paused or not (ended or now - self._noted >= 1.0):
            return
        cost = self.estimate.cost
        done = cost.seconds(pace.machine_speed()) * min(1.0, step / self._total)
        if done < WORK_NOTED:
            return  # a moment's work measures the set-up and messages, not the training
        self._noted = now
        cpu = cpu_seconds(self.worker_report.get("pid"))
        core = cpu - self._cpu_began if cpu is not None and self._cpu_began is not None else None
        pace.note(id(self), cost.step_flops, done, now - self._began, core)

    def seconds_left(self) -> tuple[float, float]:
        """The rest of this run's time, once it has trained a little, from what its worker did: the CPU time the
        rest needs (the longer of its steps' pace so far and the model's CPU time not yet used: a run of few long
        steps, or one whose test set takes long, says little by its steps), at the share of a core its worker has
        been getting (a busy machine gives it less); else from its estimate."""
        with self._cond:
            began, cpu_began, step, total, paused = self._began, self._cpu_began, self._step, self._total, self._paused
        elapsed, cpu = time.monotonic() - began, cpu_seconds(self.worker_report.get("pid"))
        if elapsed < SETTLED or paused or not total or cpu is None or cpu_began is None or cpu <= cpu_began:
            return super().seconds_left()
        used, fraction = cpu - cpu_began, step / total
        needs = self.estimate.again(self._pool.pace).limited_seconds  # CPU seconds of the whole run, modelled
        by_steps = used * (1 - fraction) / fraction if fraction else 0.0  # coarse when its steps are few and long
        left = max(by_steps, needs - used, needs * (1 - fraction) / 4)
        left /= used / elapsed  # at the share of a core its worker gets
        return 0.8 * left, 1.25 * left

    def _finish(self, result: TrainResult) -> None:
        self._tell_pace(result.steps, ended=True)
        findings = diagnose(self.config, result.history, status=result.status, reason=result.reason)
        record = self._record(history=result.history, status=result.status, reason=result.reason, model=result.model,
                              test_accuracy=result.test_accuracy, test_loss=result.test_loss, seconds=result.seconds,
                              epochs=result.epochs, findings=findings)
        with self._cond:
            self.record, self._history, self._step = record, result.history, result.steps
            self._model = None  # the last copy it sent while training: the record holds the final network
            self._phase = result.status

    def _fail(self, reason: str) -> None:
        log.error("run %r failed (worker pid %s): %s", self.name, self.worker_report.get("pid"), reason)
        with self._cond:
            self.record = self._record(history=self._history, status="failed", reason=reason, model=self._model)
            self._phase = "failed"

    def _record(self, **values: Any) -> Run:
        """This run's record: its name and settings, how it ended (`values`), the drawings it trained on."""
        return Run(name=self.name, config=self.config, drawings=self.drawings, drawings_until=self.drawings_until,
                   **values)


def added_rows(config: TrainConfig, extra: Extra | None) -> int:
    """How many of `extra`'s rows a run of `config` trains on: those of the digits it learns (as `select` keeps)."""
    return int(np.isin(extra[1], config.classes).sum()) if extra is not None else 0


def pool_or_default(pool: WorkerPool | None) -> WorkerPool:
    """`pool`, else the server's."""
    return pool if pool is not None else POOL


def estimate_run(config: TrainConfig, data: SharedDataset, extra_rows: int = 0,
                 pool: WorkerPool | None = None) -> Estimate:
    """Time and memory of training `config` on this server (on `pool`'s workers, at the pace they measured), with
    `extra_rows` added training rows (the class's drawings: see added_rows); ValueError (in words) for an empty
    selection."""
    chosen = select(data.dataset, config)  # row numbers only: cheap, and a wrong choice is refused here
    return estimate(config, len(chosen.y_train) + extra_rows, len(chosen.y_val) or len(chosen.y_test),
                    pool_or_default(pool).pace, evals_per_epoch(config.epochs))


def spans() -> Callable[[PoolRun], tuple[float, float]]:
    """Each run's seconds_left(), asked once: a wait's low and high ends go through the same runs."""
    known: dict[PoolRun, tuple[float, float]] = {}

    def left(run: PoolRun) -> tuple[float, float]:
        if run not in known:
            known[run] = run.seconds_left()
        return known[run]
    return left


def wait_for(visitor: Visitor, pool: WorkerPool | None = None) -> tuple[float, float]:
    """The range of seconds a run `visitor` starts now would wait for a worker."""
    line, left = pool_or_default(pool).line, spans()
    return tuple(line.wait_for(visitor, lambda run, end=end: left(run)[end]) for end in (0, 1))


def waiting_words(run: PoolRun) -> str:
    """Where a queued run of any kind stands in line, about how long it will wait, then train."""
    place = run.place_in_line()
    wait, train = format_range(*run.expected_wait()), format_range(*run.seconds_left())
    where = f"{ordinal(place)} in line" + (f", {wait} to wait" if wait else "") if place else "starting"
    then = f"; then {train} to train" if train else ""
    return f"Waiting for a free slot: {where}{then} (the server trains {run.slot_limit} at a time)."


def status_text(run: TrainingRun) -> str:
    """One plain line on where a run stands, for the page and the sidebar."""
    state = run.state
    if state == "ready":
        return "Ready to start."
    if state == "queued":
        return waiting_words(run)
    p = run.progress()
    of = f"epoch {p.epoch:.1f} of {run.config.epochs}"
    if run.stopping:
        return f"Stopping at {of}…"
    if state == "running" and p.step == 0:
        return f"Starting: a worker process is setting up the network ({p.total_steps:,} steps to train)."
    if state == "running":
        left = format_seconds(p.seconds_left)
        if run.pausing:
            return f"Training: {of} · pausing at the end of epoch {min(math.floor(p.epoch) + 1, run.config.epochs)}."
        return f"Training: {of} · {p.steps_per_second:.0f} steps/s" + (f" · {left} left." if left else ".")
    if state == "paused":
        return f"Paused at {of}."
    return ended_words(run.record)


def ended_words(record: Run) -> str:
    """One plain line on how a run ended, from its record (a run of this session, or one brought back from the
    store: a run the server stopped under says its reason)."""
    accuracy = f"{record.test_accuracy:.1%} test accuracy" if record.test_accuracy is not None else ""
    if record.status == "failed":
        return f"Failed: {record.reason}"
    if record.status == "finished":
        return f"Finished: {accuracy}." if accuracy else "Finished."
    if record.status != "stopped":
        return record.reason or record.status.capitalize() + "."
    return f"Stopped at epoch {record.epochs:.1f} of {record.config.epochs}" + (f": {accuracy}." if accuracy else ".")
