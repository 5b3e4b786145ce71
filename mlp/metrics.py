"""Scoring a network on a data set, in chunks so that memory stays flat."""
from __future__ import annotations

import numpy as np

from .losses import get_loss
from .network import CLASSES, Network

CHUNK = 2048


def predict_proba(network: Network, x: np.ndarray) -> np.ndarray:
    """Softmax probabilities for any number of images, computed CHUNK rows at a time."""
    if len(x) == 0:
        return np.zeros((0, CLASSES), dtype=np.float32)
    return np.concatenate([network.predict_proba(x[i:i + CHUNK]) for i in range(0, len(x), CHUNK)])


def evaluate(network: Network, x: np.ndarray, y: np.ndarray, loss: str = "cross-entropy") -> tuple[float, float]:
    """Mean loss and accuracy (a fraction) over the whole set; (nan, nan) for an empty set."""
    if len(x) == 0:
        return float("nan"), float("nan")
    loss_fn = get_loss(loss)
    total_loss, correct = 0.0, 0
    for i in range(0, len(x), CHUNK):
        xb, yb = x[i:i + CHUNK], y[i:i + CHUNK]
        with np.errstate(over="ignore", invalid="ignore"):  # a diverged network scores nan, quietly
            batch_loss, probs, _ = loss_fn(network.forward(xb).logits, yb, gradient=False)
        total_loss += batch_loss * len(yb)
        correct += int((probs.argmax(axis=1) == yb).sum())
    return total_loss / len(x), correct / len(x)


def confusion_matrix(labels: np.ndarray, predictions: np.ndarray, classes: int = CLASSES) -> np.ndarray:
    """counts[true, predicted]: how many examples of each digit were taken for each digit."""
    counts = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(counts, (np.asarray(labels), np.asarray(predictions)), 1)
    return counts
