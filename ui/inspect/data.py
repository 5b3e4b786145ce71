"""What the Inspect page computes from a network and MNIST, as plain arrays (no Streamlit).

The two expensive parts, the test set read by the network and the training set as the network
sees it, are built once per network by ui.inspect.panel's caches, keyed by `training.once.fingerprint`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from mlp.drawing.augment import change_thickness, transform_batch
from mlp.metrics import CHUNK, confusion_matrix, predict_proba
from mlp.model import Model
from mlp.network import CLASSES, Network
from mlp.teaching.inspection import confident_mistakes, embed, nearest
from ui.shared.figures import sure

NEIGHBOUR_MEMORY = 64 * 2**20  # bytes of training-set embeddings kept per network


@dataclass(frozen=True)
class Reading:
    """The test digits of the network's classes, as the network reads them."""
    rows: np.ndarray  # positions in the dataset's test set
    labels: np.ndarray
    probs: np.ndarray  # (n, 10) softmax outputs
    counts: np.ndarray  # counts[true, predicted]
    classes: tuple[int, ...]

    @property
    def predicted(self) -> np.ndarray:
        return self.probs.argmax(axis=1)

    @property
    def accuracy(self) -> float:
        return float(np.trace(self.counts) / max(self.counts.sum(), 1))

    def answered(self) -> tuple[int, ...]:
        """Digits to show as answers: the classes, and any other digit the network answered."""
        return tuple(sorted(set(self.classes) | set(np.flatnonzero(self.counts.sum(axis=0)).tolist())))

    def cell(self, true: int, predicted: int, limit: int = 24) -> np.ndarray:
        """Positions (in this result) of test digits `true` read as `predicted`, the surest first."""
        found = np.flatnonzero((self.labels == true) & (self.predicted == predicted))
        order = np.argsort(-self.probs[found, predicted], kind="stable")
        return found[order[:limit]]

    def worst_cell(self) -> tuple[int, int]:
        """The most frequent mistake (true, predicted); the first class read as itself when there is none."""
        mistakes = self.counts.copy()
        np.fill_diagonal(mistakes, 0)
        if mistakes.max() == 0:
            return self.classes[0], self.classes[0]
        true, predicted = np.unravel_index(int(mistakes.argmax()), mistakes.shape)
        return int(true), int(predicted)

    def surest_mistakes(self, k: int = 12) -> np.ndarray:
        return confident_mistakes(self.probs, self.labels, k)


def read_test_digits(model: Model, x_test: np.ndarray, y_test: np.ndarray) -> Reading:
    """Read every test digit of the network's classes (in chunks, so memory stays flat); ModelOutputError when its
    outputs are not numbers (rather than every digit read as 0)."""
    classes = tuple(model.config.classes)
    rows = np.flatnonzero(np.isin(y_test, classes))
    x = x_test if len(rows) == len(y_test) else x_test[rows]
    probs = model.predict_proba(x)
    labels = np.asarray(y_test[rows])
    return Reading(rows, labels, probs, confusion_matrix(labels, probs.argmax(axis=1), CLASSES), classes)


@dataclass(frozen=True)
class TrainingView:
    """Training digits as the network sees them just before deciding: its last hidden layer's output."""
    rows: np.ndarray  # positions in the dataset's training set
    embeddings: np.ndarray  # (n, width of the last hidden layer)
    available: int  # training digits of the network's classes (more than `rows` when memory capped them)


def training_view(model: Model, x_train: np.ndarray, y_train: np.ndarray,
                  memory: int = NEIGHBOUR_MEMORY) -> TrainingView:
    """Embed the training digits of the network's classes; beyond `memory` bytes, an even random share."""
    rows = np.flatnonzero(np.isin(y_train, model.config.classes))
    available = len(rows)
    width = model.config.hidden[-1] if model.config.hidden else x_train.shape[1]
    cap = max(1000, memory // (4 * width))
    if available > cap:
        rows = np.sort(np.random.default_rng(0).choice(rows, cap, replace=False))
    parts = [embed(model.network, x_train[rows[i:i + CHUNK]]) for i in range(0, len(rows), CHUNK)]
    embeddings = np.concatenate(parts) if parts else np.zeros((0, width), np.float32)
    return TrainingView(rows, embeddings.astype(np.float32, copy=False), available)


def closest_training_digits(model: Model, view: TrainingView, image: np.ndarray,
                            k: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """Training-set positions and distances of the k digits the network finds most like `image`."""
    query = embed(model.network, np.asarray(image, np.float32).reshape(1, -1))[0]
    found, distances = nearest(query, view.embeddings, k)
    return view.rows[found], distances


def learned_change(model: Model) -> Network:
    """The network with each weight minus its random starting value (rebuilt from the settings and seed):
    what training added, without the starting noise that hides it in the weights themselves."""
    change = model.network.copy()
    change.params -= Model.create(model.config).network.params
    return change


def layer_outputs(model: Model, image: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """Every hidden layer's output for one image, and the ten probabilities at the end."""
    x = np.asarray(image, np.float32).reshape(1, -1)
    forward = model.network.forward(x)
    return [h[0] for h in forward.hidden], model.predict_proba(x)[0]


def clicked_cell(selection: Mapping[str, Any] | None, rows: Sequence[int],
                 cols: Sequence[int]) -> tuple[int, int] | None:
    """The (true digit, answer) of a click on the confusion matrix, read from what st.plotly_chart returns
    (its selection's points carry the cell's labels as x and y); None if it holds no cell of the matrix."""
    points = ((selection or {}).get("selection") or {}).get("points") or []
    for point in reversed(points):  # the latest click last
        try:
            true, answer = int(point["y"]), int(point["x"])
        except (KeyError, TypeError, ValueError):
            continue
        if true in rows and answer in cols:
            return true, answer
    return None


def mistake_caption(true: int, probs: np.ndarray) -> str:
    """'a 4 read as 9, 97% sure': what went wrong, and how sure the network was."""
    predicted = int(np.argmax(probs))
    return f"a {true} read as {predicted}, {sure(float(probs[predicted]))} sure"


# ----- robustness: accuracy as test digits are changed more and more -----
@dataclass(frozen=True)
class Perturbation:
    title: str  # what is changed, as the figure's panel says it
    unit: str  # of the levels, for the axis
    levels: tuple[float, ...]  # the first is 0: the digits as they are


PERTURBATIONS = {
    "shift": Perturbation("Moved", "pixels", (0, 1, 2, 3, 4, 5, 6)),
    "rotation": Perturbation("Turned", "degrees", (0, 10, 20, 30, 45, 60, 90)),
    "thinner": Perturbation("Thinner strokes", "pixels peeled per side", (0, 0.25, 0.5, 0.75, 1)),
    "thicker": Perturbation("Thicker strokes", "pixels grown per side", (0, 0.5, 1, 1.5, 2, 3)),
    "noise": Perturbation("Noisy", "noise (standard deviation)", (0, 0.1, 0.2, 0.3, 0.4, 0.5)),
}


def perturb(x: np.ndarray, kind: str, level: float, seed: int = 0) -> np.ndarray:
    """Test digits (n, 784) changed by `kind` at `level` (see PERTURBATIONS): moved `level` pixels in a
    random direction, turned by `level` degrees either way, strokes peeled or grown by `level` pixels on
    each side, or Gaussian noise of that spread added. Random choices come from `seed`."""
    if kind not in PERTURBATIONS:
        raise ValueError(f"unknown change {kind!r}: choose one of {', '.join(PERTURBATIONS)}")
    x = np.asarray(x, np.float32)
    rng = np.random.default_rng(seed)
    n = len(x)
    if kind in ("shift", "rotation"):
        angle = rng.uniform(0, 2 * np.pi, n)
        shift = level * np.stack([np.sin(angle), np.cos(angle)], axis=1) if kind == "shift" else np.zeros((n, 2))
        turn = level * rng.choice([-1.0, 1.0], n) if kind == "rotation" else np.zeros(n)
        return transform_batch(x, shift, turn, np.ones(n))
    if kind == "noise":
        return np.clip(x + rng.normal(0, level, x.shape).astype(np.float32), 0, 1)
    sign = -1.0 if kind == "thinner" else 1.0
    whole, part = divmod(float(level), 1.0)
    for _ in range(int(whole)):
        x = change_thickness(x, np.full(n, sign))
    return change_thickness(x, np.full(n, sign * part)) if part else x


def robustness(model: Model, x_test: np.ndarray, y_test: np.ndarray, sample: int = 2000,
               seed: int = 0) -> dict[str, np.ndarray]:
    """For each change of PERTURBATIONS, the network's accuracy at each level, on `sample` test digits
    of its classes picked at random (seeded): the same digits, changed more and more."""
    rows = np.flatnonzero(np.isin(y_test, model.config.classes))
    rows = np.sort(np.random.default_rng(seed).choice(rows, min(sample, len(rows)), replace=False))
    x, y = np.asarray(x_test[rows], np.float32), np.asarray(y_test[rows])
    curves = {}
    with np.errstate(over="ignore", invalid="ignore"):
        for kind, change in PERTURBATIONS.items():
            curves[kind] = np.array([(predict_proba(model.network, perturb(x, kind, level, seed)).argmax(axis=1) == y)
                                     .mean() for level in change.levels])
    return curves
