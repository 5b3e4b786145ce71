"""""That does not look like a digit": a judgement from what the network measured, not from its softmax.

A network always answers: softmax spreads 100% over the ten digits whatever it is shown, and can be
99% sure of a scribble. Whether a drawing is like the digits the network learned is a different
question, answered here by comparing it with real digits. Each drawing gets these scores:

* ``far`` and ``angle``: how far the drawing's first hidden layer output (what the network's units
  measured in it) lies from its nearest training digits, in distance and in direction;
* ``mahal``: how far its last hidden layer output lies from the nearest digit class there (Mahalanobis
  distance to the class's mean, with the classes' shared spread);
* ``energy``: minus the log of the summed exponentials of the outputs (Liu et al. 2020): low when some
  output is large, as for digits, high when no output stands out, whatever softmax makes of it;
* ``length``: the length of the ink's centre line in the 28x28 input (strokes brought to MNIST's width):
  scribbles are far longer and more tangled than any digit;
* ``wide``: how much wider than tall the ink is (a dash or a line, not a digit);
* ``outside``: how far the 28x28 input lies from the plane of the training digits' main pixel patterns (their
  first PIXEL_AXES principal directions): ink where digits have none, whatever the network learned;
* ``ink``: how much ink the 28x28 input holds (a filled blob, not strokes).

Each of SCORES has a limit: the given percentile of its values on real digits (MNIST's test digits),
so that only about (100 - percentile)% of real digits go over any one limit. A drawing a little odd in
several ways at once (a scribble: long, with no output standing out) is caught by ``joint``: the sum,
over JOINT, of minus the log of the share of real digits scoring at least as high (Fisher's way of
combining tests), with its own limit set on other real digits than those shares. A drawing over a
limit gets a reason: for ``joint``, the reason of its most surprising part.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .canvas_like import thin
from ..network import Network
from .preprocess import INK_THRESHOLD

SCORES = ("wide", "ink", "far", "angle", "outside", "joint")
JOINT = ("energy", "mahal", "length", "angle", "ink")
REASON_OF = {"wide": "flat", "ink": "filled", "far": "unlike", "angle": "unlike", "mahal": "unlike",
             "energy": "unlike", "length": "tangled", "outside": "strokes"}
PIXEL_AXES = 40  # principal directions of the training digits' pixels that ``outside`` measures from
NEIGHBOURS = 5
MIN_SIDE = 0.15  # a drawing whose ink spans less than this share of the canvas side is too small to read
CENTRE_LINE_INK = 0.35  # grey level above which a 28x28 pixel is ink, for its centre line
JOINT_PERCENTILE = 99.0  # chosen on drawings of seed 0 (see docs/drawings.md)
CHUNK = 2048


@dataclass(frozen=True)
class NoveltyCheck:
    """Training digits as the network's layers see them, real digits' scores, and each score's limit (see
    the module docstring)."""
    references: np.ndarray  # (m, width) float32: the first hidden layer's output for training digits
    norms: np.ndarray  # (m,) their lengths
    whiten: np.ndarray  # (last width, last width): W with W W^T the inverse of the classes' shared covariance
    centres: np.ndarray  # (classes, last width): each class's mean last hidden layer output, times W
    real: dict[str, np.ndarray]  # each of JOINT's scores on real digits, sorted
    limits: dict[str, float]
    pixels: "PixelView"  # the training digits' pixels, whatever the network: for ``outside``

    def scores(self, network: Network, x: np.ndarray) -> dict[str, np.ndarray]:
        """Every score (the module docstring) of every image in x (n, 784), float32."""
        return self._scored(network, x)[0]

    def _scored(self, network: Network, x: np.ndarray, *, lazy: bool = False) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """The scores, and the surprise of each of JOINT's (len(JOINT), n) (empty before it is fitted).
        `lazy`: trace the centre line (the slowest part) only where its length could tip the joint score
        over its limit; elsewhere the length reads 0, which changes no reason."""
        x = _check_images(x)
        wide, ink = shape_scores(x)
        parts = [self._network_scores(network, x[first:first + CHUNK]) for first in range(0, len(x), CHUNK)]
        out = {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}
        out.update(wide=wide, ink=ink, **self.pixels.scores(x))
        if not self.real:
            out["length"] = centre_line_length(x)
            return out, np.empty(0)
        surprises = {name: self.surprise(name, out[name]) for name in JOINT if name != "length"}
        traced = np.ones(len(x), bool)
        if lazy:  # the length's surprise is at most log(n + 1), for a drawing longer than every real digit
            most = np.log(len(self.real["length"]) + 1) + 1e-3
            traced = sum(surprises.values()) + most > self.limits["joint"]
        out["length"] = np.zeros(len(x), np.float32)
        out["length"][traced] = centre_line_length(x[traced])
        surprises["length"] = self.surprise("length", out["length"])
        stacked = np.stack([surprises[name] for name in JOINT])
        out["joint"] = stacked.sum(axis=0)
        return out, stacked

    def surprise(self, name: str, values: np.ndarray) -> np.ndarray:
        """Minus the log of the share of real digits whose `name` score is at least each value (one more
        counted on both sides, so that it stays finite)."""
        real = self.real[name]
        beyond = len(real) - np.searchsorted(real, values, side="left")
        return (-np.log((beyond + 1) / (len(real) + 1))).astype(np.float32)

    def _network_scores(self, network: Network, x: np.ndarray) -> dict[str, np.ndarray]:
        """far, angle, energy and mahal: the scores read from what the network measured, one forward pass."""
        first, last, logits = _layers(network, x)
        far, angle = self._neighbour_scores(first)
        top = logits.max(axis=1)
        energy = -(top + np.log(np.exp(logits - top[:, None]).sum(axis=1)))
        z = last @ self.whiten  # the Mahalanobis distance is the plain distance after whitening
        squared = np.einsum("ij,ij->i", z, z)[:, None] - 2 * z @ self.centres.T + (self.centres ** 2).sum(axis=1)
        mahal = np.maximum(squared.min(axis=1), 0)
        return {"far": far, "angle": angle, "energy": energy.astype(np.float32), "mahal": mahal.astype(np.float32)}

    def _neighbour_scores(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean distance to the NEIGHBOURS nearest references, and 1 - mean cosine to the closest in
        direction; both from one product with the references."""
        k = min(NEIGHBOURS, len(self.references))
        dots = q @ self.references.T
        q_norm = np.sqrt(np.einsum("ij,ij->i", q, q))[:, None]
        squared = self.norms[None, :] ** 2 - 2 * dots + q_norm ** 2
        near = np.sqrt(np.maximum(np.partition(squared, k - 1, axis=1)[:, :k], 0)).mean(axis=1)
        cosines = dots / (np.maximum(q_norm, 1e-6) * np.maximum(self.norms, 1e-6)[None, :])
        closest = np.partition(cosines, cosines.shape[1] - k, axis=1)[:, -k:].mean(axis=1)
        return near.astype(np.float32), (1 - closest).astype(np.float32)

    def reasons(self, network: Network, x: np.ndarray) -> list[str]:
        """For each image: "" when it is like the real digits, else a reason ("flat", "filled", "unlike"
        or "tangled") for the first score over its limit, in the order of SCORES."""
        scores, surprises = self._scored(network, x, lazy=True)
        out = [""] * len(x)
        for name in reversed(SCORES):  # the first score in SCORES wins: it is written last
            for i in np.flatnonzero(scores[name] > self.limits[name]):
                out[i] = REASON_OF[JOINT[surprises[:, i].argmax()] if name == "joint" else name]
        return out


def fit_novelty(network: Network, x_train: np.ndarray, x_real: np.ndarray, *, references: int = 5000,
                percentile: float = 99.5, joint_percentile: float = JOINT_PERCENTILE, seed: int = 0) -> NoveltyCheck:
    """The check for one network: `references` training digits drawn at random (seeded) as its
    neighbours and class means, and each score's limit at `percentile` (`joint_percentile` for joint)
    of its values on the real digits `x_real` (give MNIST's test digits: the network never trained on
    them, as it never trained on a drawing). Joint's shares come from one half of them, its limit from
    the other."""
    x_train, x_real = _check_images(x_train), _check_images(x_real)
    if not (50 <= percentile < 100 and 50 <= joint_percentile < 100):
        raise ValueError(f"percentiles must be from 50 to below 100, got {percentile} and {joint_percentile}")
    if len(x_train) == 0 or len(x_real) < 2:
        raise ValueError("the check needs training digits and at least two real digits, got none or one")
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(len(x_train), min(references, len(x_train)), replace=False))
    first, last, logits = (np.concatenate(part) for part in
                           zip(*(_layers(network, x_train[rows[i:i + CHUNK]]) for i in range(0, len(rows), CHUNK))))
    whiten, centres = _class_spread(last, logits.argmax(axis=1))
    pixels = PixelView.fit(x_train[rows])
    bare = NoveltyCheck(first, np.linalg.norm(first, axis=1), whiten, centres, {}, {}, pixels)
    real = bare.scores(network, x_real)
    halves = np.array_split(rng.permutation(len(x_real)), 2)
    shares = {name: np.sort(real[name][halves[0]]) for name in JOINT}
    limits = {name: float(np.percentile(real[name], percentile)) for name in SCORES if name != "joint"}
    check = NoveltyCheck(bare.references, bare.norms, whiten, centres, shares, limits, pixels)
    joint = sum(check.surprise(name, real[name][halves[1]]) for name in JOINT)
    limits["joint"] = float(np.percentile(joint, joint_percentile))
    return check


@dataclass(frozen=True)
class PixelView:
    """Training digits as pixels, whatever the network: their mean and their first PIXEL_AXES principal directions.
    A network that learned little (the 9% run, or SGD at 0.1 for 2 epochs) measures little in a drawing, so its own
    scores let many letters through; ink where no digit has any is seen in the pixels themselves (bench/doubt.py)."""
    mean: np.ndarray  # (784,)
    axes: np.ndarray  # (k, 784), orthonormal rows

    @classmethod
    def fit(cls, x: np.ndarray, axes: int = PIXEL_AXES) -> "PixelView":
        x = _check_images(x)
        mean = x.mean(axis=0)
        _, _, directions = np.linalg.svd(x - mean, full_matrices=False)
        return cls(mean, directions[:axes].astype(np.float32))

    def scores(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """``outside``: the distance of each image from the plane the principal directions span through the mean
        (the part of it no mix of those directions draws)."""
        centred = x - self.mean
        coords = centred @ self.axes.T
        squared = np.einsum("ij,ij->i", centred, centred) - np.einsum("ij,ij->i", coords, coords)
        return {"outside": np.sqrt(np.maximum(squared, 0)).astype(np.float32)}


def _layers(network: Network, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The first and the last hidden layer's outputs for each image (the image itself without one), and
    the network's outputs."""
    fp = network.forward(np.asarray(x, np.float32))
    hidden = fp.hidden or [fp.inputs[0]]
    return hidden[0], hidden[-1], fp.logits


def _class_spread(h: np.ndarray, classes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A whitening W (W W^T the inverse of the covariance of `h` around its class means, shared by the
    classes of at least two members; a little added to its diagonal keeps it invertible) and those
    means times W."""
    present = [c for c in np.unique(classes) if (classes == c).sum() >= 2] or list(np.unique(classes))
    means = np.stack([h[classes == c].mean(axis=0) for c in present]).astype(np.float64)
    keep = np.isin(classes, present)
    apart = h[keep] - means[np.searchsorted(present, classes[keep])]
    covariance = apart.T @ apart / len(apart)
    ridge = 1e-3 * max(float(np.trace(covariance)) / len(covariance), 1e-6)
    whiten = np.linalg.cholesky(np.linalg.inv(covariance + ridge * np.eye(len(covariance))))
    return whiten.astype(np.float32), (means @ whiten).astype(np.float32)


def centre_line_length(x: np.ndarray) -> np.ndarray:
    """The number of pixels on the centre line (Zhang-Suen thinning) of each 28x28 image's ink."""
    images = _check_images(x).reshape(-1, 28, 28) > CENTRE_LINE_INK
    lengths = [thin(images[i:i + CHUNK]).sum(axis=(1, 2)) for i in range(0, len(images), CHUNK)]
    return np.concatenate(lengths).astype(np.float32) if lengths else np.zeros(0, np.float32)


def shape_scores(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Width over height of the ink's spread (ratio of its variances across and down), and total ink."""
    images = _check_images(x).reshape(-1, 28, 28)
    ink = images.sum(axis=(1, 2))
    safe = np.maximum(ink, 1e-6)
    at = np.arange(28, dtype=np.float32)
    spread = []
    for profile in (images.sum(axis=1), images.sum(axis=2)):  # across (columns), then down (rows)
        mean = profile @ at / safe
        spread.append(profile @ (at * at) / safe - mean * mean)
    return (spread[0] / np.maximum(spread[1], 0.05)).astype(np.float32), ink.astype(np.float32)


def too_small(grey: np.ndarray, min_side: float = MIN_SIDE) -> bool:
    """Whether the drawing's ink spans less than `min_side` of the canvas's longer side, both ways: a
    dot or a tiny mark, which preprocessing would blow up to a blob the size of a digit. `grey`: the
    drawing as preprocessing's to_grey makes it (2-D, ink above 0)."""
    grey = np.asarray(grey)
    if grey.ndim != 2:
        raise ValueError(f"expected a 2-D grey image, got shape {grey.shape}")
    inked = grey > INK_THRESHOLD
    rows, cols = np.flatnonzero(inked.any(axis=1)), np.flatnonzero(inked.any(axis=0))
    if rows.size == 0:
        return True
    span = max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1
    return bool(span < min_side * max(grey.shape))


def _check_images(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, np.float32)
    if x.ndim == 1:
        x = x[None, :]
    if x.ndim != 2 or x.shape[1] != 784:
        raise ValueError(f"expected images of shape (n, 784), got {x.shape}")
    return x
