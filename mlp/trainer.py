"""The training loop: epochs of shuffled mini-batches, with a history to plot.

`Trainer.steps()` is the loop itself, a generator: for each epoch, for each batch,
forward, loss, backward, update, log, and yield a `Step`. The command line, the
benchmark and the app all iterate it; `mlp.train` simply runs it to the end.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Iterator, Literal

import numpy as np

from .drawing.augment import augment_batch
from .drawing.handwriting import Handwriting, drawing_rows
from .drawing.styles import training_pool
from .config import TrainConfig
from .diagnostics import LayerStats, measure
from .losses import add_weight_decay, get_loss
from .metrics import evaluate
from .data.mnist import Split, load_mnist, make_split
from .model import Model
from .optimizers import make_optimizer
from .schedules import make_schedule
from .seeding import random_streams

State = Literal["ready", "running", "finished", "stopped", "failed"]
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
    """Every layer's health (dead and saturated units, gradient, weight and update sizes) at one logged step."""
    step: int
    epoch: float
    layers: tuple[LayerStats, ...]


@dataclass
class History:
    """Everything a run logged, in step order: what the pages plot and the diagnosis reads."""
    train: list[TrainPoint] = field(default_factory=list)
    heldout: list[EvalPoint] = field(default_factory=list)
    diagnostics: list[DiagnosticPoint] = field(default_factory=list)
    heldout_name: str = "validation"

    def copy(self) -> "History":
        return History(list(self.train), list(self.heldout), list(self.diagnostics), self.heldout_name)


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


@dataclass(frozen=True)
class Step:
    """One update, as the loop yields it: this batch's loss and accuracy, and what was logged at it."""
    step: int  # updates made so far, 1 for the first
    epoch: float  # epochs done, as a float
    loss: float
    accuracy: float
    lr: float
    point: TrainPoint | None  # the training point logged at this step, if one was
    heldout: EvalPoint | None  # the held-out evaluation made at this step, if one was


class Trainer:
    """Trains one model, once, on one split. `steps()` is the loop; `result()` scores the test set.

    Whoever iterates `steps()` decides what happens between two steps (a progress bar, a pause
    button, a benchmark's clock); to stop early, it stops iterating and asks for the result.
    """

    def __init__(self, config: TrainConfig, split: Split, *, evals_per_epoch: int = 1):
        if len(split.x_train) == 0:
            raise ValueError("no training examples: choose more classes or more examples per class")
        self.config = config
        self.split = split
        self.model = Model.create(config)
        self.steps_per_epoch = math.ceil(len(split.x_train) / config.batch_size)
        self.total_steps = self.steps_per_epoch * config.epochs
        self.log_every = max(1, self.steps_per_epoch // POINTS_PER_EPOCH)
        self.eval_every = max(1, self.steps_per_epoch // max(1, int(evals_per_epoch)))
        validation = len(split.x_val) > 0
        self._heldout = (split.x_val, split.y_val) if validation else (split.x_test, split.y_test)
        self.history = History(heldout_name="validation" if validation else "test")
        self.status: State = "ready"
        self.reason = ""  # why the run stopped or failed, in plain words
        self.steps_taken = 0
        self.seconds = 0.0  # spent in the loop; what a consumer does between steps is not counted
        self._streams = random_streams(config.seed)
        self._loss = get_loss(config.loss)
        self._optimizer = make_optimizer(config, self.model.network.params.size)
        self._schedule = make_schedule(config)  # the learning rate as a function of epochs done
        self._sums = [0.0, 0, 0]  # loss x examples, correct, examples since the last training point (Python numbers:
        # an array's += of a tuple costs a conversion every step)
        self._styled = styled_rows(config)
        self._moved = None  # the styled pool as moved for this epoch (without augment)
        self._draws = None  # this epoch's random draws for the styled rows: a number per step, and rows to pick

    # ----- the loop -----
    def steps(self) -> Iterator[Step]:
        """Train, yielding after every update. Ends after the last epoch, or as soon as the loss is
        not finite (status 'failed', with the reason in words): it never raises for a diverging run."""
        if self.status != "ready":
            raise RuntimeError("a Trainer runs once; create a new one for another run")
        self.status = "running"
        loop = self._loop()
        while True:  # the clock runs only inside the loop, so pauses between steps are not counted
            began = time.perf_counter()
            step = next(loop, None)
            self.seconds += time.perf_counter() - began
            if step is None:
                return
            yield step

    def _loop(self) -> Iterator[Step]:
        cfg, net = self.config, self.model.network
        x, y, n = self.split.x_train, self.split.y_train, len(self.split.x_train)
        self._evaluate()  # where the held-out curve starts
        for epoch in range(cfg.epochs):
            order = self._streams.order.permutation(n)
            for first in range(0, n, cfg.batch_size):
                xb, yb = self._batch(x, y, order[first:first + cfg.batch_size])
                done = epoch + first / n  # epochs done before this step
                lr = self._schedule(done)
                with np.errstate(over="ignore", invalid="ignore"):  # a diverging loss is caught just below
                    fp = net.forward(xb, dropout=cfg.dropout, rng=self._streams.noise)  # forward
                    loss, probs, dlogits = self._loss(fp.logits, yb)  # loss
                if not math.isfinite(loss):
                    self.status, self.reason = "failed", _divergence_reason(loss, self.steps_taken + 1, epoch, cfg)
                    return
                net.backward(fp, dlogits)  # backward
                add_weight_decay(net.weights, net.weight_grads, cfg.weight_decay)
                self._optimizer.step(net.params, net.grads, lr)  # update
                self.steps_taken += 1
                logging = self._logs_at(self.steps_taken)
                if logging:  # log, with the update's size read from the optimiser's own record of it
                    changes = net.views(self._optimizer.change)[0]
                    self.history.diagnostics.append(DiagnosticPoint(self.steps_taken, done, measure(net, fp, changes)))
                yield self._log(loss, np.count_nonzero(probs.argmax(axis=1) == yb), len(yb), lr, logging)
        self.status = "finished"

    def _batch(self, x: np.ndarray, y: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        xb, yb = x[idx], y[idx]
        if self._styled is not None:
            xb, yb = self._with_styled(xb, yb)
        return (augment_batch(xb, self._streams.noise) if self.config.augment else xb), yb

    def _with_styled(self, xb: np.ndarray, yb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The batch with its last rows (config.styles of them, rounded at random) replaced by pen digits drawn in
        the styles MNIST lacks: same steps, nearly the same time, a few of them the world's way of writing. Without
        augment, the pool is moved, turned and sized afresh at each epoch's start (one call for all of it)."""
        rng, (images, labels) = self._streams.noise, self._styled
        in_epoch = self.steps_taken % self.steps_per_epoch
        if in_epoch == 0:  # the whole epoch's draws at once: two calls an epoch, not two a step (~60 us each there)
            if not self.config.augment:
                self._moved = augment_batch(images, rng)
            most = math.ceil(self.config.styles * self.config.batch_size)
            self._draws = rng.random(self.steps_per_epoch), rng.integers(0, len(labels), (self.steps_per_epoch, most))
        wanted = self.config.styles * len(yb)
        k = int(wanted) + int(self._draws[0][in_epoch] < wanted - int(wanted))
        if k == 0:
            return xb, yb
        picks = self._draws[1][in_epoch, :k]
        xb = xb if xb.flags.writeable else xb.copy()  # a batch is usually a fresh copy already
        yb = yb if yb.flags.writeable else yb.copy()
        xb[-k:] = images[picks] if self.config.augment else self._moved[picks]
        yb[-k:] = labels[picks]
        return xb, yb

    def _logs_at(self, step: int) -> bool:
        """A training point every `log_every` steps, and at the end of every epoch."""
        return step % self.log_every == 0 or step % self.steps_per_epoch == 0

    def _evaluates_at(self, step: int) -> bool:
        """At every epoch end, and every `eval_every` steps unless an epoch end is closer than half that."""
        in_epoch = (step - 1) % self.steps_per_epoch + 1
        return in_epoch == self.steps_per_epoch or (in_epoch % self.eval_every == 0 and
                                                    self.steps_per_epoch - in_epoch >= self.eval_every // 2)

    def _log(self, loss: float, correct: int, count: int, lr: float, logging: bool) -> Step:
        """Sum this batch into the next training point; record the point at a logging step, and score
        the held-out set when it is due."""
        step, point, heldout = self.steps_taken, None, None
        sums = self._sums
        sums[0] += loss * count
        sums[1] += correct
        sums[2] += count
        if logging:
            loss_sum, correct_sum, seen = self._sums
            point = TrainPoint(step, step / self.steps_per_epoch, float(loss_sum / seen), float(correct_sum / seen), lr)
            self.history.train.append(point)
            self._sums = [0.0, 0, 0]
        if self._evaluates_at(step):
            heldout = self._evaluate()
        return Step(step, step / self.steps_per_epoch, loss, correct / count, lr, point, heldout)

    def _evaluate(self) -> EvalPoint:
        loss, accuracy = evaluate(self.model.network, *self._heldout, self.config.loss)
        point = EvalPoint(self.steps_taken, self.steps_taken / self.steps_per_epoch, loss, accuracy)
        self.history.heldout.append(point)
        return point

    # ----- after the loop -----
    def result(self, reason: str = "Stopped before the last epoch.") -> TrainResult:
        """Score the test set and wrap up. Asked before the loop ran out (its consumer stopped
        iterating), the run ends as 'stopped', for `reason`."""
        if self.status in ("ready", "running"):
            self.status, self.reason = "stopped", reason
        test_loss, test_accuracy = evaluate(self.model.network, self.split.x_test, self.split.y_test,
                                            self.config.loss)
        result = TrainResult(self.status, self.reason, self.model, self.history, test_loss, test_accuracy,
                             self.steps_taken / self.steps_per_epoch, self.steps_taken, self.seconds)
        self.model.metrics = result.metrics()
        return result

    def run(self) -> TrainResult:
        """Every step, then the result: for when nothing needs doing between steps."""
        for _ in self.steps():
            pass
        return self.result()


STYLED_POOL = 1000  # pen digits made once per process for config.styles (each digit's share: styles.POOL_WEIGHTS)


def styled_rows(config: TrainConfig) -> tuple[np.ndarray, np.ndarray] | None:
    """The pen digits in other styles a run of `config` mixes into its batches (of the digits it learns), or None."""
    if config.styles <= 0:
        return None
    images, labels = training_pool(STYLED_POOL)  # the same for every run, as MNIST is: made once per process
    keep = np.isin(labels, config.classes)
    return images[keep], labels[keep]


def _divergence_reason(loss: float, step: int, epoch: int, cfg: TrainConfig) -> str:
    what = "not a number (NaN)" if math.isnan(loss) else "infinite"
    return (f"The loss became {what} at step {step} (epoch {epoch + 1}): the updates grew without bound. "
            f"A learning rate of {cfg.lr:g} is too large for {cfg.optimizer}.")


def train(config: TrainConfig, data=None, *, data_dir=None, evals_per_epoch: int = 1,
          drawings: Handwriting | None = None) -> TrainResult:
    """Load MNIST (unless `data`, a Dataset, is given), select what `config` asks for, and train; with `drawings`
    (a class's labelled handwriting), their training writers' drawings of the digits it learns join the training
    rows (mlp.drawing.handwriting.drawing_rows: held-out writers never do; NothingToLearn when none would)."""
    data = data if data is not None else load_mnist(data_dir)
    split = make_split(data, classes=config.classes, per_class=config.per_class,
                       validation_share=config.validation_share, seed=config.seed)
    added = 0
    if drawings is not None:
        split, added = with_drawings(split, drawing_rows(drawings, config.classes))
    result = Trainer(config, split, evals_per_epoch=evals_per_epoch).run()
    if added:
        result.model.metrics["drawings"] = added  # its file says so: evaluate then scores held-out writers apart
    return result


def with_drawings(split: Split, rows: tuple[np.ndarray, np.ndarray]) -> tuple[Split, int]:
    """`split` with `rows` (images (n, 784) in [0, 1], labels) added to its training rows only, and n."""
    images, labels = rows
    x = np.concatenate([split.x_train, np.asarray(images, np.float32).reshape(-1, split.x_train.shape[1])])
    y = np.concatenate([split.y_train, np.asarray(labels).astype(split.y_train.dtype)])
    return Split(x, y, split.x_val, split.y_val, split.x_test, split.y_test), len(labels)
