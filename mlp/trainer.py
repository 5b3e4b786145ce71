"""The training loop: epochs of shuffled mini-batches, with a history to plot.

`Trainer.run()` blocks in the thread that calls it. `pause()`, `resume()` and
`stop()` may be called from any other thread; `progress()` and `history()`
return consistent copies at any moment, so a UI can poll them while it runs.
"""
from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Literal

import numpy as np

from .augment import augment_batch
from .config import TrainConfig
from .diagnostics import LayerStats, measure
from .losses import add_weight_decay, get_loss
from .metrics import evaluate
from .mnist import Split, load_mnist, make_split
from .model import Model
from .optimizers import make_optimizer
from .schedules import make_schedule
from .seeding import random_streams

State = Literal["ready", "running", "paused", "finished", "stopped", "failed"]
POINTS_PER_EPOCH = 50  # training-curve points logged per epoch


@dataclass(frozen=True)
class TrainPoint:
    """Training loss and accuracy, averaged over the batches since the previous point."""
    step: int
    epoch: float
    loss: float
    accuracy: float
    lr: float


@dataclass(frozen=True)
class EvalPoint:
    """Loss and accuracy on held-out data (the validation split, or the test set without one)."""
    step: int
    epoch: float
    loss: float
    accuracy: float


@dataclass(frozen=True)
class DiagnosticPoint:
    step: int
    epoch: float
    layers: tuple[LayerStats, ...]


@dataclass
class History:
    train: list[TrainPoint] = field(default_factory=list)
    heldout: list[EvalPoint] = field(default_factory=list)
    diagnostics: list[DiagnosticPoint] = field(default_factory=list)
    heldout_name: str = "validation"

    def copy(self) -> "History":
        return History(list(self.train), list(self.heldout), list(self.diagnostics), self.heldout_name)


@dataclass(frozen=True)
class Progress:
    state: State
    step: int
    total_steps: int
    epoch: float
    steps_per_second: float
    seconds_left: float
    reason: str = ""

    @property
    def fraction(self) -> float:
        return self.step / self.total_steps if self.total_steps else 0.0


@dataclass(frozen=True)
class TrainResult:
    status: State  # finished, stopped or failed
    reason: str  # why it stopped or failed, in plain words; empty when finished
    model: Model
    history: History
    test_loss: float
    test_accuracy: float
    epochs: float  # epochs completed (fractional if stopped early)
    steps: int
    seconds: float

    def metrics(self) -> dict:
        return {"status": self.status, "reason": self.reason, "test_accuracy": self.test_accuracy,
                "test_loss": self.test_loss, "epochs": self.epochs, "steps": self.steps, "seconds": self.seconds}


class Trainer:
    def __init__(self, config: TrainConfig, split: Split, *, evals_per_epoch: int = 1,
                 keep_going: Callable[[], bool] | None = None,
                 on_progress: Callable[["Trainer"], None] | None = None):
        """`keep_going` is asked every step (and while paused): returning False stops training,
        which lets an app stop the runs of users who have left. `on_progress` is called at
        every logged point, from the training thread."""
        if len(split.x_train) == 0:
            raise ValueError("no training examples: choose more classes or more examples per class")
        self.config = config
        self.split = split
        self.model = Model.create(config)
        self.evals_per_epoch = max(1, int(evals_per_epoch))
        self._keep_going = keep_going
        self._on_progress = on_progress
        self._streams = random_streams(config.seed)
        self._loss = get_loss(config.loss)
        self._optimizer = make_optimizer(config, self.model.network.params.size)
        self._schedule = make_schedule(config)
        n = len(split.x_train)
        self.steps_per_epoch = math.ceil(n / config.batch_size)
        self.total_steps = self.steps_per_epoch * config.epochs
        self.log_every = max(1, self.steps_per_epoch // POINTS_PER_EPOCH)
        self.eval_every = max(1, self.steps_per_epoch // self.evals_per_epoch)
        heldout = "validation" if len(split.x_val) else "test"
        self._heldout = (split.x_val, split.y_val) if len(split.x_val) else (split.x_test, split.y_test)

        self._lock = threading.Lock()
        self._resume = threading.Event()
        self._resume.set()
        self._stop = threading.Event()
        self._history = History(heldout_name=heldout)
        self._state: State = "ready"
        self._reason = ""
        self._step = 0
        self._rate = 0.0
        self._published: Model | None = None  # a copy of the weights for readers, refreshed per point

    # ----- control, from any thread -----
    def pause(self) -> None:
        with self._lock:
            if self._state == "running":
                self._resume.clear()
                self._state = "paused"

    def resume(self) -> None:
        with self._lock:
            if self._state == "paused":
                self._state = "running"
                self._resume.set()

    def stop(self, reason: str = "Stopped by the user.") -> None:
        with self._lock:
            if self._state in ("ready", "running", "paused") and not self._stop.is_set():
                self._reason = reason
                self._stop.set()
                self._resume.set()

    # ----- reading, from any thread -----
    @property
    def state(self) -> State:
        return self._state

    def progress(self) -> Progress:
        with self._lock:
            left = (self.total_steps - self._step) / self._rate if self._rate > 0 else float("nan")
            return Progress(self._state, self._step, self.total_steps, self._step / self.steps_per_epoch,
                            self._rate, left, self._reason)

    def history(self) -> History:
        with self._lock:
            return self._history.copy()

    def snapshot(self) -> Model:
        """A copy of the model as of the last logged point: safe to use while training goes on."""
        with self._lock:
            return (self._published or self.model).copy()

    # ----- the loop -----
    def run(self) -> TrainResult:
        """Train for the configured epochs (or until stopped); returns the result, never raises for
        a diverging loss: that ends the run as 'failed' with the reason in words."""
        with self._lock:
            if self._state != "ready":
                raise RuntimeError("a Trainer runs once; create a new one for another run")
            self._state = "running"
        cfg, net = self.config, self.model.network
        x, y = self.split.x_train, self.split.y_train
        n, batch = len(x), cfg.batch_size
        status: State = "finished"
        start = time.perf_counter()
        paused_seconds = 0.0
        window = _Window()
        self._evaluate(0)
        self._publish()

        sums = np.zeros(2)  # loss, correct since the last point
        seen = 0
        try:
            for epoch in range(cfg.epochs):
                order = self._streams.order.permutation(n)
                for first in range(0, n, batch):
                    if not self._resume.is_set():
                        paused_seconds += self._wait_while_paused()
                    if self._stop.is_set() or (self._keep_going is not None and not self._keep_going()):
                        if not self._stop.is_set():
                            self.stop("Stopped because nobody is watching any more (the page was closed).")
                        raise _Stopped
                    step = self._step + 1
                    progress = epoch + first / n
                    lr = self._schedule(progress)
                    idx = order[first:first + batch]
                    xb, yb = x[idx], y[idx]
                    if cfg.augment:
                        xb = augment_batch(xb, self._streams.noise)
                    in_epoch = step - epoch * self.steps_per_epoch  # 1 .. steps_per_epoch
                    epoch_end = in_epoch == self.steps_per_epoch
                    logged = step % self.log_every == 0 or epoch_end
                    loss, correct = self._train_step(xb, yb, lr, diagnose_step=step if logged else None,
                                                     epoch=progress)
                    if not math.isfinite(loss):
                        status = "failed"
                        self._reason = _divergence_reason(loss, step, epoch, cfg)
                        break
                    sums += (loss * len(yb), correct)
                    seen += len(yb)
                    with self._lock:
                        self._step = step
                        self._rate = window.tick(step)
                    if logged:
                        point = TrainPoint(step, step / self.steps_per_epoch, float(sums[0] / seen),
                                           float(sums[1] / seen), lr)
                        with self._lock:
                            self._history.train.append(point)
                        sums[:] = 0
                        seen = 0
                    if epoch_end or (in_epoch % self.eval_every == 0
                                     and self.steps_per_epoch - in_epoch >= self.eval_every // 2):
                        self._evaluate(step)
                    if logged:
                        self._publish()
                        if self._on_progress is not None:
                            self._on_progress(self)
                if status == "failed":
                    break
        except _Stopped:
            status = "stopped"
        seconds = time.perf_counter() - start - paused_seconds
        test_loss, test_accuracy = evaluate(net, self.split.x_test, self.split.y_test, cfg.loss)
        with self._lock:
            self._state = status
            if status == "finished":
                self._reason = ""
            steps = self._step
        result = TrainResult(status, self._reason, self.model, self.history(), test_loss, test_accuracy,
                             steps / self.steps_per_epoch, steps, seconds)
        self.model.metrics = result.metrics()
        self._publish()
        if self._on_progress is not None:
            self._on_progress(self)
        return result

    def _train_step(self, xb: np.ndarray, yb: np.ndarray, lr: float, *, diagnose_step: int | None,
                    epoch: float) -> tuple[float, int]:
        """forward, loss, backward, update: one step of gradient descent on one batch."""
        cfg, net = self.config, self.model.network
        with np.errstate(over="ignore", invalid="ignore"):  # a diverging run is caught by the loss check
            fp = net.forward(xb, dropout=cfg.dropout, rng=self._streams.noise)
            loss, probs, dlogits = self._loss(fp.logits, yb)
        if not math.isfinite(loss):
            return loss, 0
        net.backward(fp, dlogits)
        add_weight_decay(net.weights, net.weight_grads, cfg.weight_decay)
        before = [w.copy() for w in net.weights] if diagnose_step is not None else None
        self._optimizer.step(net.params, net.grads, lr)
        if before is not None:
            point = DiagnosticPoint(diagnose_step, epoch, measure(net, fp, before))
            with self._lock:
                self._history.diagnostics.append(point)
        return loss, int((probs.argmax(axis=1) == yb).sum())

    def _evaluate(self, step: int) -> None:
        loss, accuracy = evaluate(self.model.network, *self._heldout, self.config.loss)
        with self._lock:
            self._history.heldout.append(EvalPoint(step, step / self.steps_per_epoch, loss, accuracy))

    def _publish(self) -> None:
        copy = self.model.copy()
        with self._lock:
            self._published = copy

    def _wait_while_paused(self) -> float:
        began = time.perf_counter()
        while not self._resume.wait(0.2):
            if self._keep_going is not None and not self._keep_going():
                self.stop("Stopped because nobody is watching any more (the page was closed).")
        with self._lock:
            if self._state == "paused":
                self._state = "running"
        return time.perf_counter() - began


class _Stopped(Exception):
    pass


class _Window:
    """Steps per second over the last few seconds, so a pause or a busy moment fades out."""

    def __init__(self, seconds: float = 3.0):
        self.seconds = seconds
        self.marks: list[tuple[float, int]] = []

    def tick(self, step: int) -> float:
        now = time.perf_counter()
        self.marks.append((now, step))
        while len(self.marks) > 2 and now - self.marks[0][0] > self.seconds:
            self.marks.pop(0)
        (t0, s0), (t1, s1) = self.marks[0], self.marks[-1]
        return (s1 - s0) / (t1 - t0) if t1 > t0 else 0.0


def _divergence_reason(loss: float, step: int, epoch: int, cfg: TrainConfig) -> str:
    what = "not a number (NaN)" if math.isnan(loss) else "infinite"
    return (f"The loss became {what} at step {step} (epoch {epoch + 1}): the updates grew without bound. "
            f"A learning rate of {cfg.lr:g} is too large for {cfg.optimizer}.")


def train(config: TrainConfig, data=None, *, data_dir=None, evals_per_epoch: int = 1,
          on_progress: Callable[[Trainer], None] | None = None) -> TrainResult:
    """Load MNIST (unless `data`, a Dataset, is given), select what `config` asks for, and train."""
    data = data if data is not None else load_mnist(data_dir)
    split = make_split(data, classes=config.classes, per_class=config.per_class,
                       validation_share=config.validation_share, seed=config.seed)
    return Trainer(config, split, evals_per_epoch=evals_per_epoch, on_progress=on_progress).run()
