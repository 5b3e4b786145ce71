""""That does not look like a digit": a judgement from what the network measured, not from its softmax.

A network always answers: softmax spreads 100% over the ten digits whatever it is shown, and can be
99% sure of a scribble. Whether a drawing is like the digits the network learned is a different
question, answered here by comparing it with real digits:

* ``far`` and ``angle``: how far the drawing's first hidden layer output (what the network's units
  measured in it) lies from its nearest training digits, in distance and in direction;
* ``wide``: how much wider than tall the ink is (a dash or a line, not a digit);
* ``ink``: how much ink the 28x28 input holds (a filled blob, not strokes).

Each score's limit is the given percentile of its values on real digits (MNIST's test digits), so that
only about (100 - percentile)% of real digits go over any one limit. A drawing over a limit gets a reason.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .network import Network
from .preprocess import INK_THRESHOLD

SCORES = ("wide", "ink", "far", "angle")
REASON_OF = {"wide": "flat", "ink": "filled", "far": "unlike", "angle": "unlike"}
NEIGHBOURS = 5
MIN_SIDE = 0.15  # a drawing whose ink spans less than this share of the canvas side is too small to read
CHUNK = 2048


@dataclass(frozen=True)
class NoveltyCheck:
    """Training digits as the first hidden layer sees them, and each score's limit (see the module docstring)."""
    references: np.ndarray  # (m, width) float32
    norms: np.ndarray  # (m,) their lengths
    limits: dict[str, float]

    def scores(self, network: Network, x: np.ndarray) -> dict[str, np.ndarray]:
        """Every score (SCORES) of every image in x (n, 784), float32."""
        x = _check_images(x)
        wide, ink = shape_scores(x)
        far, angle = [], []
        for first in range(0, len(x), CHUNK):
            f, a = self._neighbour_scores(measured(network, x[first:first + CHUNK]))
            far.append(f)
            angle.append(a)
        return {"wide": wide, "ink": ink, "far": np.concatenate(far), "angle": np.concatenate(angle)}

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
        """For each image: "" when it is like the real digits, else "flat", "filled" or "unlike" (the
        first score over its limit, in the order of SCORES)."""
        scores = self.scores(network, x)
        out = [""] * len(x)
        for name in reversed(SCORES):  # the first score in SCORES wins: it is written last
            for i in np.flatnonzero(scores[name] > self.limits[name]):
                out[i] = REASON_OF[name]
        return out


def fit_novelty(network: Network, x_train: np.ndarray, x_real: np.ndarray, *, references: int = 5000,
                percentile: float = 99.5, seed: int = 0) -> NoveltyCheck:
    """The check for one network: `references` training digits drawn at random (seeded) as its
    neighbours, and each score's limit at `percentile` of its values on the real digits `x_real`
    (give MNIST's test digits: the network never trained on them, as it never trained on a drawing)."""
    x_train, x_real = _check_images(x_train), _check_images(x_real)
    if not 50 <= percentile < 100:
        raise ValueError(f"percentile must be from 50 to below 100, got {percentile}")
    if len(x_train) == 0 or len(x_real) == 0:
        raise ValueError("the check needs training digits and real digits, got none")
    rows = np.random.default_rng(seed).choice(len(x_train), min(references, len(x_train)), replace=False)
    refs = np.concatenate([measured(network, x_train[np.sort(rows)[i:i + CHUNK]]) for i in range(0, len(rows), CHUNK)])
    norms = np.linalg.norm(refs, axis=1)
    real = NoveltyCheck(refs, norms, {}).scores(network, x_real)
    return NoveltyCheck(refs, norms, {name: float(np.percentile(real[name], percentile)) for name in SCORES})


def measured(network: Network, x: np.ndarray) -> np.ndarray:
    """What the network's first layer of units measured in each image (the image itself without one)."""
    if network.layers == 1:
        return np.asarray(x, np.float32)
    return network.forward(np.asarray(x, np.float32)).hidden[0]


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
