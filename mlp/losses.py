"""Output layer: softmax, the two losses the notebook tried, and the weight-decay penalty.

Both losses take the logits (the last layer's raw outputs) and integer labels
and return the mean loss over the batch, the softmax probabilities, and, when
asked, dL/dlogits: the gradient that starts backpropagation.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .registry import Registry


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """log p computed as z - max - log(sum(exp(z - max))): never exp of a large number, never log(0)."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    shifted -= np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return shifted


def softmax(logits: np.ndarray) -> np.ndarray:
    return np.exp(log_softmax(logits))


def cross_entropy(logits: np.ndarray, labels: np.ndarray, *, gradient: bool = True):
    """Mean of -log p[label]; with softmax its gradient is simply (p - onehot) / n."""
    n = len(labels)
    rows = np.arange(n)
    log_p = log_softmax(logits)
    loss = -float(log_p[rows, labels].sum(dtype=np.float64)) / n  # sum / n: ndarray.mean is slower Python
    probs = np.exp(log_p, out=log_p)
    if not gradient:
        return loss, probs, None
    grad = probs / n  # p/n - onehot/n: one pass fewer than copying p first
    grad[rows, labels] -= 1.0 / n
    return loss, probs, grad


def mean_squared_error(logits: np.ndarray, labels: np.ndarray, *, gradient: bool = True):
    """Mean over samples and classes of (p - onehot)^2, as Keras' 'mse' on a softmax output.

    Its gradient passes through the softmax Jacobian: dL/dz = p * (g - sum(g * p)),
    where g = dL/dp. A confident wrong answer has p ~ 0 there, so it learns slowly.
    """
    n, k = logits.shape
    probs = softmax(logits)
    error = probs.copy()
    error[np.arange(n), labels] -= 1.0
    loss = float(np.mean(np.square(error, dtype=np.float64)))
    if not gradient:
        return loss, probs, None
    g = error * np.float32(2.0 / (n * k))
    grad = probs * (g - (g * probs).sum(axis=1, keepdims=True))
    return loss, probs, grad


def add_weight_decay(weights: Sequence[np.ndarray], weight_grads: Sequence[np.ndarray], decay: float) -> None:
    """Add the gradient of the penalty (decay/2) * sum of ||W||^2 to each dL/dW, in place: decay * W.

    This is the one place weight decay happens. It pulls every weight towards 0 in
    proportion to its size, so no weight grows large without a reason in the data.
    Biases are left alone: they only shift a unit's input and never amplify it.
    """
    if decay:
        for w, g in zip(weights, weight_grads):
            g += g.dtype.type(decay) * w


REGISTRY = Registry("loss", {
    "cross-entropy": cross_entropy,
    "mse": mean_squared_error,
})
NAMES = tuple(REGISTRY)


def get_loss(name: str):
    """The loss function called `name`."""
    return REGISTRY[name]
