"""Looking inside a trained network: what its layers compute and where it goes wrong."""
from __future__ import annotations

import numpy as np

from ..metrics import CHUNK
from ..network import Network


def embed(network: Network, x: np.ndarray) -> np.ndarray:
    """Each image as the network sees it just before deciding: its last hidden layer's output.

    With no hidden layer, the image itself.
    """
    if network.layers == 1:
        return np.asarray(x, dtype=np.float32)
    return np.concatenate([network.forward(x[i:i + CHUNK]).hidden[-1] for i in range(0, len(x), CHUNK)])


def nearest(query: np.ndarray, references: np.ndarray, k: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """Indices and Euclidean distances of the k rows of `references` closest to the vector `query`."""
    k = min(k, len(references))
    if k == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    # |r - q|^2 = |r|^2 - 2 r.q + |q|^2, one matrix-vector product for all references
    squared = np.einsum("ij,ij->i", references, references) - 2 * references @ query + query @ query
    best = np.argpartition(squared, k - 1)[:k]
    best = best[np.argsort(squared[best], kind="stable")]
    return best, np.sqrt(np.maximum(squared[best], 0))


def confident_mistakes(probs: np.ndarray, labels: np.ndarray, k: int = 12) -> np.ndarray:
    """Indices of the k wrong predictions made with the highest confidence, most confident first."""
    predicted = probs.argmax(axis=1)
    wrong = np.flatnonzero(predicted != labels)
    confidence = probs[wrong, predicted[wrong]]
    return wrong[np.argsort(-confidence, kind="stable")[:k]]


def first_layer_images(network: Network) -> np.ndarray:
    """Each first-layer unit's 784 incoming weights as a 28x28 image, scaled to [-1, 1] per unit.

    Positive (bright) pixels excite the unit, negative (dark) ones inhibit it.
    """
    w = network.weights[0].T  # (units, 784)
    scale = np.abs(w).max(axis=1, keepdims=True)
    scale[scale == 0] = 1
    return (w / scale).reshape(-1, 28, 28)
