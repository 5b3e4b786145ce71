"""The student's notebook, replayed: both attempts re-implemented in float64, each mistake a named switch.

The notebook (February 2023) trains a 784-256-128-10 ReLU network by hand: attempt 1 ends at 9.12% test
accuracy on MNIST, attempt 2 (with momentum) at 90.34%. This module does what each attempt's code does,
written anew, with every mistake found in it behind a switch that is on by default: `run(1, data)` is
attempt 1 as written, `run(1, data, fixes=("label-typo",))` the same with that one line corrected, and
with every switch off each attempt is a correct network (it agrees with `mlp.train`, see the tests).
`replay` (and `engine_replay`, the main engine on the same images) yields each epoch as it is trained, for a
page to draw growing curves.

Runs are small by default so that a page can show them live: the first EXAMPLES training images and the
first TEST_EXAMPLES test images of MNIST, in the files' order (the notebook's order), for the notebook's
number of epochs. Nothing else in the engine imports this module.

Reading of the notebook: its PDF export lost the indentation at page breaks; attempt 1's bookkeeping
(`loss += ...`, the accuracy count) is read as inside the batch loop, where its `+=` places it.
"""
from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from typing import Iterable, Iterator

import numpy as np

from .. import gradcheck
from ..config import TrainConfig
from ..losses import log_softmax, softmax
from ..data.mnist import Dataset, Split
from ..trainer import Trainer

SIZES = (784, 256, 128, 10)
BATCH = 64
EPOCHS = {1: 30, 2: 10}  # as the notebook ran them (attempt 1's last run: 30 epochs)
LR = {1: 1e-6, 2: 1e-3}
MOMENTUM = 0.7  # attempt 2
FIXED_LR = {1: 0.1, 2: 0.03}  # once fixed: plain SGD (1), or momentum 0.7 (2: steps about 3.3 times as large)
EXAMPLES, TEST_EXAMPLES = 6000, 2000  # the default subset: a run takes seconds, not minutes
ATTEMPTS = (1, 2)


@dataclass(frozen=True)
class Mistake:
    """One mistake: where it is, what the line does, what it should do, and the fix in one line of code."""
    name: str
    attempt: int
    title: str
    does: str
    should: str
    fix: str  # the corrected line, in the notebook's own style
    lines: tuple[int, ...]  # line numbers in student-notebook.txt
    quote: str  # the notebook's line(s) in question, quoted
    default: bool = True  # on unless fixed; False: a switch one adds, see csv-labels
    reporting: bool = False  # changes only what the notebook prints and plots, not the training


# The ladder of each attempt, in the order a class fixes them (the page and the CLI keep this order).
MISTAKES: dict[int, dict[str, Mistake]] = {1: {m.name: m for m in (
    Mistake("label-typo", 1, "The labels of every batch are those of the first batch",
            "Each batch's labels go to `self.ouputs` (misspelt), so `self.outputs` keeps the first 64 labels set in "
            "`__init__`: every batch is trained, and its accuracy counted, against the labels of batch 0.",
            "Each batch is trained against its own labels.",
            "self.outputs = self.y[start:end]", (172, 280), "self.ouputs = self.y[start:end]"),
    Mistake("inplace-relu", 1, "The ReLU derivative overwrites the stored activations",
            "`relu_derivative` sets its argument's entries to 0 and 1 in place, and is called on `self.layer2` and "
            "`self.layer1`: the weight updates that follow multiply the deltas by 0/1 masks, not by the activations.",
            "Return a new 0/1 array and leave the activations as they were.",
            "return (x > 0).astype(float)", (106, 107, 108, 109, 221, 225, 228, 230),
            "x[x<=0] = 0\nx[x>0] = 1\nreturn x"),
    Mistake("bias-sum", 1, "One number is added to every bias of a layer",
            "`np.sum(output_delta)` sums the deltas over the batch and over the units, so each layer's biases all "
            "move by the same amount: a bias cannot learn anything about its own unit, and the output layer's do not "
            "move at all (softmax's deltas sum to 0 in every row).",
            "Sum over the batch only, one number per unit.",
            "self.bias3 -= np.sum(output_delta, axis=0) * self.learning_rate  # and bias2, bias1",
            (239, 240, 241), "self.bias3 -= np.sum(output_delta) * self.learning_rate"),
    Mistake("normal-init", 1, "Weights and biases start from N(0, 1)",
            "Every weight and bias is drawn with standard deviation 1: with 784 inputs the first layer's sums are "
            "about 10 wide and the output layer's in the hundreds, so softmax is certain of a random answer from the "
            "first step.", "Scale each layer's weights by sqrt(2 / inputs) (He) and start the biases at 0.",
            "self.weights1 = np.random.randn(input_size, hidden_size1) * np.sqrt(2 / input_size)",
            (158, 159, 160, 161, 162, 163), "self.weights1 = np.random.randn(input_size, hidden_size1)"),
    Mistake("summed-gradients", 1, "Gradients are summed over the batch, not averaged",
            "Each update adds up the gradients of the 64 examples, so the step is 64 times the mean gradient: the "
            "learning rate's meaning depends on the batch size.",
            "Divide by the batch size (the loss it reports is a mean over the batch too).",
            "self.weights3 -= np.dot(self.layer2.T, output_delta) / self.batch * self.learning_rate",
            (228, 230, 237, 239), "self.weights3 -= np.dot(self.layer2.T, output_delta) * self.learning_rate"),
    Mistake("tiny-lr", 1, "A learning rate of 1e-6",
            "Each step moves a weight by a millionth of its gradient: in 30 epochs the network barely leaves its "
            "random start.", f"A step size that changes the weights visibly: {FIXED_LR[1]:g} on averaged gradients.",
            f"nn = NeuralNetwork(784, 256, 128, 10, {FIXED_LR[1]:g}, 64, relu, relu_derivative, softmax, ...)",
            (469,), "nn = NeuralNetwork(784, 256, 128, 10, 1e-6, 64, relu, relu_derivative, softmax,"),
    Mistake("no-shuffle", 1, "The examples are never shuffled",
            "`self.shuffle()` is commented out: every epoch sees the same batches in the same order.",
            "Shuffle the examples (and their labels with them) at the start of every epoch.",
            "self.shuffle()", (269,), "# self.shuffle()"),
    Mistake("loss-scale", 1, "The loss curve is divided twice", "The batch loss is already a mean over the batch; "
            "the epoch's sum of them is divided again by the number of examples, so the plotted loss is 64 times "
            "too small (the training is not affected).", "Divide the sum of batch means by the number of batches.",
            "self.loss.append(loss / (self.x.shape[0] // self.batch))", (245, 246, 297),
            "self.loss.append(loss/(self.x.shape[0]))", reporting=True),
)}, 2: {m.name: m for m in (
    Mistake("normal-init", 2, "Weights and biases still start from N(0, 1)",
            "Momentum gets the network moving, but from outputs hundreds wide: many ReLUs start dead or huge and "
            "the network settles near 90%.", "Scale each layer's weights by sqrt(2 / inputs) (He) and start the "
            "biases at 0.", "self.W1 = np.random.randn(self.input.shape[1], 256) * np.sqrt(2 / self.input.shape[1])",
            (571, 572, 573, 575, 576, 577), "self.W1 = np.random.randn(self.input.shape[1], 256)"),
    Mistake("slow-lr", 2, "A learning rate tuned for the N(0, 1) start",
            "From N(0, 1) weights the gradients are huge and 1e-3 is a usable step; from a He start it is about 30 "
            "times too small, so fixing the start alone makes the first epochs worse (\"Learning Rate matters\").",
            f"Retune once the start is fixed: {FIXED_LR[2]:g} with momentum 0.7.",
            f"def __init__(self, X, y, batch = 64, lr = {FIXED_LR[2]:g}, epochs = 10):", (551,),
            "def __init__(self, X, y, batch = 64, lr = 1e-3, epochs = 10):"),
    Mistake("skip-last-batch", 2, "The loop skips the last batch of every epoch",
            "`range(n // batch - 1)` stops one full batch early, and the remainder is dropped too: 96 of the "
            "60,000 examples are left out of every epoch.", "Visit every example: the last, partial batch too.",
            "for batch in range(-(-self.input.shape[0] // self.batch)):", (693,),
            "for batch in range(self.input.shape[0]//self.batch-1):"),
    Mistake("running-curve", 2, "The curves are running sums, appended at every batch",
            "Both `append`s sit inside the batch loop: each adds the partial sum so far divided by the number of "
            "batches, so the plot (labelled Epochs) has one point per batch and climbs from 0 in every epoch.",
            "Append once per epoch, after the batch loop.", "self.loss.append(l / (batch + 1))  # after the loop",
            (704, 705), "self.loss.append(l/(self.input.shape[0]//self.batch))", reporting=True),
    Mistake("csv-labels", 2, "The CSV loader takes its labels from a pixel column",
            "`one_hot(data[:,1:])` builds each label from the first pixel (always 0), so every digit is labelled 0 "
            "and the test, using the same loader, agrees. The reported 90.34% cannot have come through this line.",
            "Take the labels from column 0.", "return normalize(data[:, 1:]), one_hot(data[:, :1])", (527, 535),
            "return normalize(data[:,1:]), one_hot(data[:,1:])", default=False),
)}}


def mistakes(attempt: int) -> tuple[Mistake, ...]:
    """The attempt's mistakes in ladder order."""
    return tuple(MISTAKES[_attempt(attempt)].values())


def _attempt(attempt: int) -> int:
    if attempt not in ATTEMPTS:
        raise ValueError(f"the notebook has attempts 1 and 2, not {attempt!r}")
    return attempt


def switches(attempt: int, fixes: Iterable[str] = (), add: Iterable[str] = ()) -> frozenset[str]:
    """The mistakes left on: every default one not in `fixes`, plus those in `add`. Unknown names raise
    ValueError naming the attempt's mistakes."""
    table = MISTAKES[_attempt(attempt)]
    fixes, add = tuple(fixes), tuple(add)
    unknown = [n for n in (*fixes, *add) if n not in table]
    if unknown:
        raise ValueError(f"attempt {attempt} has no mistake called {', '.join(map(repr, unknown))}; "
                         f"its mistakes are {', '.join(table)}")
    return frozenset(n for n, m in table.items() if (m.default and n not in fixes) or n in add)


# ----- the data, as the notebook holds it -----
@dataclass(frozen=True)
class NotebookData:
    """float64 images in [0, 1] and digit labels: the first `examples` training and test images."""
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    @classmethod
    def take(cls, data: Dataset, examples: int = EXAMPLES, test_examples: int = TEST_EXAMPLES) -> "NotebookData":
        if not (BATCH * 2 <= examples <= len(data.x_train) and 1 <= test_examples <= len(data.x_test)):
            raise ValueError(f"choose {BATCH * 2} to {len(data.x_train):,} training examples and 1 to "
                             f"{len(data.x_test):,} test examples; got {examples} and {test_examples}")
        return cls(data.x_train[:examples].astype(np.float64), data.y_train[:examples],
                   data.x_test[:test_examples].astype(np.float64), data.y_test[:test_examples])


def pixel_labels(x: np.ndarray) -> np.ndarray:
    """Attempt 2's loader: each label is the grey level (0-255) of the image's first pixel."""
    labels = np.rint(x[:, 0] * 255).astype(np.int64)
    if labels.max(initial=0) > 9:
        raise ValueError("the notebook's loader would fail here: a first pixel is brighter than 9 of 255")
    return labels


def cross_entropy(logits: np.ndarray, labels: np.ndarray) -> float:
    """The true mean cross-entropy, from the logits (never log 0), whatever the notebook prints."""
    return float(-log_softmax(logits)[np.arange(len(labels)), labels].mean())


# ----- the network -----
class NotebookNet:
    """784-256-128-10, ReLU, softmax, float64: one attempt's network, its forward pass, its backprop and its
    update, with that attempt's mistakes as `on` names them."""

    def __init__(self, attempt: int, on: frozenset[str], rng: np.random.Generator):
        self.attempt, self.on = _attempt(attempt), on
        normal = "normal-init" in on
        pairs = list(zip(SIZES[:-1], SIZES[1:]))
        self.weights = [rng.standard_normal((i, o)) * (1.0 if normal else math.sqrt(2 / i)) for i, o in pairs]
        self.biases = [rng.standard_normal(o) if normal else np.zeros(o) for _, o in pairs]
        self.velocity = [np.zeros_like(p) for p in (*self.weights, *self.biases)]
        self.inputs: list[np.ndarray] = []  # each layer's input as stored: x, then the hidden activations
        self.logits = self.probs = np.zeros((0, SIZES[-1]))

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Softmax probabilities; keeps each layer's input for backprop, as the notebook's attributes do."""
        self.inputs, h = [x], x
        for w, b in zip(self.weights[:-1], self.biases[:-1]):
            h = np.maximum(h @ w + b, 0)
            self.inputs.append(h)
        self.logits = h @ self.weights[-1] + self.biases[-1]
        self.probs = softmax(self.logits)
        return self.probs

    def _relu_slope(self, layer: int) -> np.ndarray:
        """ReLU's derivative at hidden layer `layer`'s activation; attempt 1's version writes it over them."""
        a = self.inputs[layer + 1]
        if "inplace-relu" not in self.on:
            return (a > 0).astype(a.dtype)
        a[a <= 0], a[a > 0] = 0, 1
        return a

    def backprop(self, onehot: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """(dW, db) per layer, input layer first: the direction each update takes, scaled as the attempt does."""
        deltas = [self.probs - onehot]
        for layer in (1, 0):  # all deltas first, from the weights before the update, as the notebook does
            deltas.insert(0, (deltas[0] @ self.weights[layer + 1].T) * self._relu_slope(layer))
        scale = 1.0 if "summed-gradients" in self.on else 1.0 / len(onehot)
        bias_all = "bias-sum" in self.on
        return [((a.T @ d) * scale, np.full(d.shape[1], d.sum()) * scale if bias_all else d.sum(axis=0) * scale)
                for a, d in zip(self.inputs, deltas)]

    def update(self, grads: list[tuple[np.ndarray, np.ndarray]], lr: float) -> None:
        """Attempt 1: w -= lr g. Attempt 2: change = lr g + 0.7 change; w -= change."""
        params = [*self.weights, *self.biases]
        steps = [g for g, _ in grads] + [g for _, g in grads]
        mu = MOMENTUM if self.attempt == 2 else 0.0
        for p, v, g in zip(params, self.velocity, steps):
            v *= mu
            v += lr * g
            p -= v


# ----- the training loop -----
@dataclass(frozen=True)
class EpochPoint:
    """One epoch's numbers: as the notebook reports them, and as they truly are."""
    epoch: int  # 1 for the first
    reported_loss: float  # the notebook's loss for this epoch (its own formula and scale)
    reported_accuracy: float  # the notebook's training accuracy (a fraction), against the labels it trained on
    train_loss: float  # mean cross-entropy of the epoch's batches against their true labels, before each update
    test_loss: float
    test_accuracy: float  # against the true test labels


@dataclass(frozen=True)
class BatchStep:
    """One update: which training rows it used, the labels it trained them on, and the epoch's point at its end."""
    epoch: int
    batch: int
    rows: np.ndarray
    labels: np.ndarray
    point: EpochPoint | None


@dataclass(frozen=True)
class ReplayResult:
    label: str
    attempt: int  # 0 for a run of the main engine
    fixes: tuple[str, ...]
    mistakes_on: tuple[str, ...]
    points: tuple[EpochPoint, ...]
    test_accuracy: float  # against the true labels
    notebook_test_accuracy: float  # what the notebook's test() prints (attempt 2's loader may mislabel the test)
    reported_loss: tuple[float, ...]  # the curves the notebook plots: per epoch, or per batch (running-curve)
    reported_accuracy: tuple[float, ...]
    examples: int
    test_examples: int
    seed: int
    seconds: float
    diverged: bool = False
    reason: str = ""

    def to_dict(self) -> dict:
        out = asdict(self)
        out["points"] = [asdict(p) for p in self.points]
        out["fixes"], out["mistakes_on"] = list(self.fixes), list(self.mistakes_on)
        out["reported_loss"], out["reported_accuracy"] = list(self.reported_loss), list(self.reported_accuracy)
        return out


@dataclass
class _Tally:
    """What the notebook adds up during an epoch, and the true loss beside it."""
    loss: float = 0.0
    correct: int = 0
    true_loss: float = 0.0
    batches: int = 0
    curve_loss: list[float] = field(default_factory=list)
    curve_accuracy: list[float] = field(default_factory=list)


class Replay:
    """One attempt's training run with the given mistakes on. `steps()` trains, yielding after each batch."""

    def __init__(self, attempt: int, data: NotebookData, *, fixes: Iterable[str] = (), add: Iterable[str] = (),
                 epochs: int | None = None, seed: int = 0):
        self.attempt, self.data, self.seed = _attempt(attempt), data, seed
        self.fixes = tuple(fixes)
        self.on = switches(attempt, self.fixes, add)
        self.epochs = EPOCHS[attempt] if epochs is None else int(epochs)
        if not 1 <= self.epochs <= 500:
            raise ValueError(f"epochs must be 1 to 500, got {self.epochs}")
        self.rng = np.random.default_rng(seed)
        self.net = NotebookNet(attempt, self.on, self.rng)
        self.lr = LR[attempt] if {"tiny-lr", "slow-lr"} & self.on else FIXED_LR[attempt]
        mislabelled = "csv-labels" in self.on
        self.y_train = pixel_labels(data.x_train) if mislabelled else data.y_train
        self.y_test = pixel_labels(data.x_test) if mislabelled else data.y_test
        self.points: list[EpochPoint] = []
        self.curve_loss: list[float] = []
        self.curve_accuracy: list[float] = []
        self.diverged = False

    def batches_per_epoch(self) -> int:
        n = len(self.data.x_train)
        if self.attempt == 1:
            return n // BATCH
        return n // BATCH - 1 if "skip-last-batch" in self.on else math.ceil(n / BATCH)

    def steps(self) -> Iterator[BatchStep]:
        """Train epoch after epoch; stop early (diverged) once the loss is not a number."""
        first_labels = self.y_train[:BATCH]  # what attempt 1's __init__ stores in self.outputs
        n = len(self.data.x_train)
        for epoch in range(1, self.epochs + 1):
            shuffled = self.attempt == 2 or "no-shuffle" not in self.on
            order, tally = (self.rng.permutation(n) if shuffled else np.arange(n)), _Tally()
            for batch in range(self.batches_per_epoch()):
                rows = order[batch * BATCH:(batch + 1) * BATCH]
                labels = first_labels if "label-typo" in self.on else self.y_train[rows]
                with np.errstate(all="ignore"):  # a diverging run is caught just below
                    self._train_batch(rows, labels, tally)
                if not math.isfinite(tally.true_loss):
                    self.diverged = True
                    return
                point = self._end_epoch(epoch, tally) if batch == self.batches_per_epoch() - 1 else None
                yield BatchStep(epoch, batch, rows, labels, point)

    def _train_batch(self, rows: np.ndarray, labels: np.ndarray, tally: _Tally) -> None:
        x, net = self.data.x_train[rows], self.net
        onehot = np.eye(SIZES[-1])[labels]
        probs = net.forward(x)
        true_loss = cross_entropy(net.logits, self.data.y_train[rows])
        net.update(net.backprop(onehot), self.lr)
        tally.loss += self._notebook_loss(probs, onehot)
        tally.correct += int((probs.argmax(axis=1) == labels).sum())
        tally.true_loss += true_loss
        tally.batches += 1
        if "running-curve" in self.on:  # attempt 2 appends its running sums at every batch
            per = len(self.data.x_train) // BATCH
            tally.curve_loss.append(tally.loss / per)
            tally.curve_accuracy.append(tally.correct / BATCH / per)

    def _notebook_loss(self, probs: np.ndarray, onehot: np.ndarray) -> float:
        """The batch loss as each attempt computes it: from probabilities nudged (1) or clipped (2) off 0."""
        if self.attempt == 1:
            return float(-np.sum(onehot * np.log(probs + 1e-10)) / BATCH)
        return float(-np.mean(np.sum(onehot * np.log(np.clip(probs, 1e-15, 1 - 1e-15)), axis=-1)))

    def _end_epoch(self, epoch: int, tally: _Tally) -> EpochPoint:
        n = len(self.data.x_train)
        if self.attempt == 1:
            loss = tally.loss / (n if "loss-scale" in self.on else tally.batches)
            accuracy = tally.correct / n
        else:
            per = n // BATCH if "running-curve" in self.on else tally.batches  # the notebook divides by n // batch
            loss, accuracy = tally.loss / per, tally.correct / (per * BATCH)
        if "running-curve" in self.on:
            self.curve_loss += tally.curve_loss
            self.curve_accuracy += tally.curve_accuracy
        else:
            self.curve_loss.append(loss)
            self.curve_accuracy.append(accuracy)
        test_loss, test_accuracy = self.score(self.data.y_test)
        point = EpochPoint(epoch, loss, accuracy, tally.true_loss / tally.batches, test_loss, test_accuracy)
        self.points.append(point)
        return point

    def score(self, labels: np.ndarray) -> tuple[float, float]:
        """Loss and accuracy on the test images against `labels`."""
        with np.errstate(all="ignore"):
            probs = self.net.forward(self.data.x_test)
            return cross_entropy(self.net.logits, labels), float((probs.argmax(axis=1) == labels).mean())

    def result(self, seconds: float = 0.0) -> ReplayResult:
        true = self.score(self.data.y_test)[1]
        printed = self.score(self.y_test)[1]
        reason = "the weights grew without bound: the loss became NaN" if self.diverged else ""
        fixed = ", ".join(self.fixes) if self.fixes else "as written"
        return ReplayResult(f"attempt {self.attempt}: {fixed}", self.attempt, self.fixes, tuple(sorted(self.on)),
                            tuple(self.points), true, printed, tuple(self.curve_loss), tuple(self.curve_accuracy),
                            len(self.data.x_train), len(self.data.x_test), self.seed, seconds, self.diverged, reason)


def replay(attempt: int, data: NotebookData, fixes: Iterable[str] = (), *, add: Iterable[str] = (),
           epochs: int | None = None, seed: int = 0) -> Iterator[EpochPoint | ReplayResult]:
    """Yield each epoch's point as it is trained, then the ReplayResult (so a page can draw growing curves)."""
    run = Replay(attempt, data, fixes=fixes, add=add, epochs=epochs, seed=seed)
    began = time.perf_counter()
    for step in run.steps():
        if step.point is not None:
            yield step.point
    yield run.result(time.perf_counter() - began)


def run(attempt: int, data: NotebookData, fixes: Iterable[str] = (), **kwargs) -> ReplayResult:
    """The whole run at once: replay's last item."""
    *_, result = replay(attempt, data, fixes, **kwargs)
    return result


# ----- the check that would have caught the backprop mistakes -----
@dataclass(frozen=True)
class GradientCheck:
    attempt: int
    mistakes_on: tuple[str, ...]
    groups: tuple[gradcheck.GroupCheck, ...]  # W1, b1, W2, b2, W3, b3

    @property
    def passed(self) -> bool:
        return all(g.passed for g in self.groups)

    def failing(self) -> tuple[str, ...]:
        return tuple(g.name for g in self.groups if not g.passed)


def gradient_check(attempt: int, data: NotebookData, fixes: Iterable[str] = (), *, add: Iterable[str] = (),
                   per_array: int = 12, seed: int = 0) -> GradientCheck:
    """Compare the attempt's backprop with finite differences of the mean cross-entropy on one batch of 64.

    The network starts from small (He) weights whatever `normal-init` says: a saturated softmax has
    gradients of exactly 0 and 1 that would hide the comparison, and the starting weights are not what is
    being checked. Each array has `per_array` entries checked, drawn among those whose input is not 0."""
    on = switches(attempt, fixes, add)
    rng = np.random.default_rng(seed)
    net = NotebookNet(attempt, on - {"normal-init"}, rng)
    x, y = data.x_train[:BATCH], data.y_train[:BATCH]
    net.forward(x)
    live = [np.flatnonzero(a.any(axis=0)) for a in net.inputs]  # inputs that are not 0 for the whole batch
    grads = net.backprop(np.eye(SIZES[-1])[y])
    picks = {}
    for layer, (w, b) in enumerate(zip(net.weights, net.biases)):
        rows = rng.choice(live[layer], per_array)
        picks[f"W{layer + 1}"] = (w, grads[layer][0], list(zip(rows, rng.integers(0, w.shape[1], per_array))))
        units = rng.choice(len(b), min(per_array, len(b)), replace=False)
        picks[f"b{layer + 1}"] = (b, grads[layer][1], [(int(u),) for u in units])

    def loss() -> float:
        net.forward(x)
        return cross_entropy(net.logits, y)

    groups = [gradcheck.compare(name, idx, np.array([g[i] for i in idx]), gradcheck.numeric_gradient(loss, p, idx))
              for name, (p, g, idx) in picks.items()]  # W1, b1, W2, b2, W3, b3
    return GradientCheck(attempt, tuple(sorted(on)), tuple(groups))


# ----- the main engine on the same data -----
def engine_config(attempt: int, epochs: int | None = None, seed: int = 0) -> TrainConfig:
    """The main engine's settings for an attempt with every mistake fixed: He start, ReLU, batches of 64,
    plain SGD (attempt 1) or momentum 0.7 (attempt 2) at the attempt's FIXED_LR."""
    optimiser = dict(optimizer="sgd") if attempt == 1 else dict(optimizer="momentum", momentum=MOMENTUM)
    return TrainConfig(hidden=SIZES[1:-1], activation="relu", init="he", loss="cross-entropy", batch_size=BATCH,
                       epochs=EPOCHS[_attempt(attempt)] if epochs is None else epochs, seed=seed,
                       lr=FIXED_LR[attempt], validation_share=0.0, **optimiser)


def engine_replay(config: TrainConfig, data: NotebookData, label: str) -> Iterator[EpochPoint | ReplayResult]:
    """Train the main engine (float32) on the same images: each epoch's point as it is trained, as `replay` yields
    a replay's, then the ReplayResult."""
    x_train, x_test = data.x_train.astype(np.float32), data.x_test.astype(np.float32)
    split = Split(x_train, data.y_train, x_train[:0], data.y_train[:0], x_test, data.y_test)
    trainer, points, seen = Trainer(config, split), [], []
    for step in trainer.steps():
        seen.append((step.loss, step.accuracy))
        if step.heldout is not None:
            loss, accuracy = np.mean(seen, axis=0)
            points.append(EpochPoint(len(points) + 1, float(loss), float(accuracy), float(loss), step.heldout.loss,
                                     step.heldout.accuracy))
            seen = []
            yield points[-1]
    done = trainer.result()
    yield ReplayResult(label, 0, (), (), tuple(points), done.test_accuracy, done.test_accuracy,
                       tuple(p.reported_loss for p in points), tuple(p.reported_accuracy for p in points),
                       len(x_train), len(x_test), config.seed, done.seconds, done.status == "failed", done.reason)


def engine_run(config: TrainConfig, data: NotebookData, label: str) -> ReplayResult:
    """The main engine's whole run at once: engine_replay's last item."""
    *_, result = engine_replay(config, data, label)
    return result
