"""Cheap measurements of a network's health, taken every few training steps.

They are what lets the app explain a failure in words: a layer whose sigmoids
all sit in their flat tails (the notebook's N(0,1) start), ReLUs that never
fire again, weights that shrink, updates far too small or too large for the
weights they change.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .network import ForwardPass, Network

# Below this share of ||W_after||^2 + ||dW||^2, the ||W_before||^2 computed from dot products is rounding error:
# the weights were 0 before the step, and the ratio is infinite.
ROUNDING = 1e-5


@dataclass(frozen=True)
class LayerStats:
    """One weight layer (hidden layers and the output layer, in order)."""
    dead: float  # share of this layer's units that passed no gradient for any example of the batch (ReLU)
    saturated: float  # share of this layer's outputs in the flat tails of a sigmoid or tanh
    weight_norm: float  # ||W||
    update_ratio: float  # ||W_after - W_before|| / ||W_before||: a healthy step is around 1e-3


def measure(network: Network, fp: ForwardPass, changes: Sequence[np.ndarray] | None) -> tuple[LayerStats, ...]:
    """Stats of every layer after a step: `fp` is that step's forward pass, `changes` what the step added to each
    layer's weights (the optimiser's `change`, or after - before; None: unknown, so update_ratio is nan)."""
    with np.errstate(over="ignore", invalid="ignore"):  # a diverging step measures inf/nan, quietly
        return _measure(network, fp, changes)


def _measure(network: Network, fp: ForwardPass, changes: Sequence[np.ndarray] | None) -> tuple[LayerStats, ...]:
    stats = []
    for i, w in enumerate(network.weights):
        hidden = i < len(fp.hidden)  # the output layer has no activation
        after = _dot(w, w)
        ratio = math.nan
        if changes is not None:
            change = _dot(changes[i], changes[i])
            # ||W - dW||^2 expanded into dot products: no temporary, no copy of W before the step.
            before = after - 2.0 * _dot(w, changes[i]) + change
            ratio = math.sqrt(change / before) if before > ROUNDING * (after + change) else math.inf
        stats.append(LayerStats(
            dead=network.activation.dead(fp.hidden[i]) if hidden else 0.0,
            saturated=network.activation.saturated(fp.hidden[i]) if hidden else 0.0,
            weight_norm=math.sqrt(after),
            update_ratio=ratio,
        ))
    return tuple(stats)


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.dot(a.ravel(), b.ravel()))
