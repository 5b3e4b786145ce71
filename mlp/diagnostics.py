"""Cheap measurements of a network's health, taken every few training steps.

They are what lets the app explain a failure in words: a layer whose sigmoids
all sit in their flat tails (the notebook's N(0,1) start), ReLUs that never
fire again, gradients that vanish or explode, updates far too small or too
large for the weights they change.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .network import ForwardPass, Network

SATURATION_MARGIN = 0.01  # a sigmoid output within 1% of 0 or 1 (tanh: of -1 or 1) is saturated


@dataclass(frozen=True)
class LayerStats:
    """One weight layer (hidden layers and the output layer, in order)."""
    dead: float  # share of this layer's units that gave no signal for any example of the batch (ReLU family)
    saturated: float  # share of this layer's outputs in the flat tails of a sigmoid or tanh
    grad_norm: float  # ||dL/dW||
    weight_norm: float  # ||W||
    update_ratio: float  # ||W_after - W_before|| / ||W_before||: a healthy step is around 1e-3


def unit_health(activation: str, hidden: np.ndarray) -> tuple[float, float]:
    """(dead share, saturated share) of one hidden layer's outputs over a batch."""
    if activation in ("relu", "leaky-relu"):
        return float(np.mean(~(hidden > 0).any(axis=0))), 0.0
    if activation == "sigmoid":
        tail = np.abs(hidden - 0.5) > 0.5 - SATURATION_MARGIN
    else:
        tail = np.abs(hidden) > 1.0 - SATURATION_MARGIN
    return 0.0, float(np.mean(tail))


def measure(network: Network, fp: ForwardPass, weights_before: list[np.ndarray]) -> tuple[LayerStats, ...]:
    """Stats of every layer after a step: `fp` is that step's forward pass, `weights_before` its weights."""
    with np.errstate(over="ignore", invalid="ignore"):  # a diverging step measures inf/nan, quietly
        return _measure(network, fp, weights_before)


def _measure(network: Network, fp: ForwardPass, weights_before: list[np.ndarray]) -> tuple[LayerStats, ...]:
    stats = []
    for i, (w, g, before) in enumerate(zip(network.weights, network.weight_grads, weights_before)):
        dead, saturated = unit_health(network.activation.name, fp.hidden[i]) if i < len(fp.hidden) else (0.0, 0.0)
        weight_norm = float(np.linalg.norm(before))
        stats.append(LayerStats(
            dead=dead,
            saturated=saturated,
            grad_norm=float(np.linalg.norm(g)),
            weight_norm=float(np.linalg.norm(w)),
            update_ratio=float(np.linalg.norm(w - before) / weight_norm) if weight_norm > 0 else float("inf"),
        ))
    return tuple(stats)
