"""Cheap measurements of a network's health, taken every few training steps.

They are what lets the app explain a failure in words: a layer whose sigmoids
all sit in their flat tails (the notebook's N(0,1) start), ReLUs that never
fire again, weights that shrink, updates far too small or too large for the
weights they change.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .network import ForwardPass, Network


@dataclass(frozen=True)
class LayerStats:
    """One weight layer (hidden layers and the output layer, in order)."""
    dead: float  # share of this layer's units that passed no gradient for any example of the batch (ReLU)
    saturated: float  # share of this layer's outputs in the flat tails of a sigmoid or tanh
    weight_norm: float  # ||W||
    update_ratio: float  # ||W_after - W_before|| / ||W_before||: a healthy step is around 1e-3


def measure(network: Network, fp: ForwardPass, weights_before: list[np.ndarray]) -> tuple[LayerStats, ...]:
    """Stats of every layer after a step: `fp` is that step's forward pass, `weights_before` its weights."""
    with np.errstate(over="ignore", invalid="ignore"):  # a diverging step measures inf/nan, quietly
        return _measure(network, fp, weights_before)


def _measure(network: Network, fp: ForwardPass, weights_before: list[np.ndarray]) -> tuple[LayerStats, ...]:
    stats = []
    for i, (w, before) in enumerate(zip(network.weights, weights_before)):
        hidden = i < len(fp.hidden)  # the output layer has no activation
        weight_norm = float(np.linalg.norm(before))
        stats.append(LayerStats(
            dead=network.activation.dead(fp.hidden[i]) if hidden else 0.0,
            saturated=network.activation.saturated(fp.hidden[i]) if hidden else 0.0,
            weight_norm=float(np.linalg.norm(w)),
            update_ratio=float(np.linalg.norm(w - before) / weight_norm) if weight_norm > 0 else float("inf"),
        ))
    return tuple(stats)
