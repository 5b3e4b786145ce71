"""The Notebook page's runs as the service runs them: in a worker process of the pool, in line with every run.

Pure Python (no Streamlit). A `ReplayRun` is one of the page's runs (the student's code replayed, or the main
engine beside it: training.workers.ReplayJob): it waits in line like any run (training.run.PoolRun), then keeps
each epoch's point as the worker sends it, and the result at the end. It belongs to no session: every page
showing it beats for it (the page that started it and those that found it under way, training.once.SharedRuns),
and it stops when none does any more.
"""
from __future__ import annotations

import logging
import time
from typing import Callable

from mlp.teaching import notebook as nb
from training.limits import LIMITS, Estimate, estimate, refusal
from training.run import HEARTBEAT_SECONDS, LEFT_REASON, PoolRun, Progress, RateMeter, pool_or_default
from training.pace import Pace
from training.workers import ReplayJob, SharedDataset, WorkerPool, died_words

log = logging.getLogger(__name__)
FLOAT64_SLOWER = 2.0  # a replay (float64, per-layer code) took 1.6-2.3 times the engine's float32 run of the same size


def estimate_replay(job: ReplayJob, pace: Pace) -> Estimate:
    """Time and memory of `job` on this server: the main engine's estimate for its settings, and for a replay
    that of the same network and batches, scaled for float64."""
    if job.engine is not None:
        return estimate(job.engine, job.examples, job.test_examples, pace)
    return estimate(nb.engine_config(job.attempt, job.epochs), job.examples, job.test_examples, pace,
                    slower=FLOAT64_SLOWER)


class ReplayRun(PoolRun):
    """One of the Notebook page's runs, trained by a worker of the pool: in line first (its place and wait are
    known, as any run's), then its epoch points as they come (`points()`), then `result`, an
    mlp.teaching.notebook.ReplayResult. Progress is counted in epochs."""

    def __init__(self, job: ReplayJob, data: SharedDataset, *, pool: WorkerPool | None = None,
                 heartbeat_seconds: float = HEARTBEAT_SECONDS, clock: Callable[[], float] = time.monotonic,
                 max_seconds: float | None = None):
        """`data` is the shared dataset; the worker takes the first images the job asks for. Raises ValueError
        (worded for users) when the run would pass the server's limits (training.limits), before anything starts."""
        self.job = job
        self.estimate = estimate_replay(job, pool_or_default(pool).pace)
        too_much = refusal(self.estimate)
        if too_much:
            log.warning("replay refused: estimated %.0f s, limit %.0f s (%s)", self.estimate.limited_seconds,
                        LIMITS.run_minutes * 60, job)
            raise ValueError(too_much)
        super().__init__(job.label or f"attempt {job.attempt}", pool, heartbeat_seconds, None, clock, max_seconds)
        self._data = data  # held, so its files stay while the run may need them
        self._points: tuple[nb.EpochPoint, ...] = ()
        self._rate = RateMeter()
        self.result: nb.ReplayResult | None = None
        self.reason = ""  # why it ended without a result

    def points(self) -> tuple[nb.EpochPoint, ...]:
        """The epochs trained so far (every one, once it has finished)."""
        with self._cond:
            return self._points

    def progress(self) -> Progress:
        with self._cond:
            done, rate = len(self._points), self._rate.per_second
        total = self.job.epochs
        left = (total - done) / rate if rate > 0 else float("nan")
        return Progress(done, total, float(done), rate, left)

    @property
    def abandoned(self) -> bool:
        """Ended without a result because no page showed it any more: whoever asks next starts it again."""
        with self._cond:
            return self._phase == "stopped" and self.reason == LEFT_REASON

    # ----- the worker's messages -----
    def _job(self) -> tuple:
        return ("replay", self.job, self._data.spec)

    def _take(self, message: tuple) -> bool:
        kind, *args = message
        with self._cond:
            if kind == "started":
                self.worker_report = args[0]
                self._rate.tick(0)
            elif kind == "point":
                self._points += (args[0],)
                self._rate.tick(len(self._points))
            elif kind == "result":
                self.result, self._points, self._phase = args[0], args[0].points, "finished"
            elif kind == "stopped":
                self.reason, self._phase = args[0], "stopped"
        if kind in ("error", "died"):  # "error" in words, or "died" with the exit code
            self._fail(args[0] if kind == "error" else died_words(args[0]))
        return kind in ("result", "stopped", "error", "died")

    def _end_unstarted(self) -> None:
        with self._cond:
            self.reason = self._stop_reason or LEFT_REASON
            self._phase = "stopped"

    def _fail(self, reason: str) -> None:
        log.error("replay %r failed (worker pid %s): %s", self.name, self.worker_report.get("pid"), reason)
        with self._cond:
            self.reason, self._phase = reason, "failed"
