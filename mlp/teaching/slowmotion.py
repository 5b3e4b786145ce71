"""Backpropagation in slow motion: one training step on one small batch, with every number it computes kept.

`slow_step` runs the engine's own forward pass, loss, backward pass and optimiser on a copy of a network and
returns what a teacher writes on the board: for each layer z = xW + b and its activation, the loss, the deltas
dL/dz flowing back layer by layer, and for one chosen weight its gradient and the update the optimiser makes.
The network given is never changed (the step is taken on a copy, which is returned).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config import TrainConfig
from ..losses import get_loss
from ..network import Network
from ..optimizers import make_optimizer


@dataclass(frozen=True)
class LayerNumbers:
    """One layer on one batch: its input, weights and biases before the step, z = input @ W + b, its output f(z)
    (softmax for the last), and delta."""
    inputs: np.ndarray  # (n, fan_in)
    weights: np.ndarray  # (fan_in, fan_out), a copy taken before the update
    biases: np.ndarray  # (fan_out,)
    z: np.ndarray  # (n, fan_out)
    out: np.ndarray  # (n, fan_out): the activation, or the probabilities for the last layer
    delta: np.ndarray  # (n, fan_out): dL/dz, the loss's sensitivity to this layer's sums


@dataclass(frozen=True)
class SlowStep:
    labels: np.ndarray
    layers: tuple[LayerNumbers, ...]  # input layer first
    loss: float
    weight: tuple[int, int, int]  # (layer, input unit, output unit) of the chosen weight
    before: float  # the chosen weight before the step
    gradient: float  # dL/dw: inputs[:, i] . delta[:, j]
    after: float  # after the optimiser's update
    lr: float
    network: Network  # the copy, one step further


def _check_weight(network: Network, weight: tuple[int, int, int]) -> tuple[int, int, int]:
    layer, i, j = (int(v) for v in weight)
    if not 0 <= layer < network.layers:
        raise ValueError(f"the network has layers 0 to {network.layers - 1}, not {layer}")
    n_in, n_out = network.weights[layer].shape
    if not (0 <= i < n_in and 0 <= j < n_out):
        raise ValueError(f"layer {layer}'s weights are {n_in} x {n_out}; there is no weight ({i}, {j})")
    return layer, i, j


def slow_step(network: Network, config: TrainConfig, x: np.ndarray, y: np.ndarray,
              weight: tuple[int, int, int] = (0, 0, 0), lr: float | None = None) -> SlowStep:
    """One step of `config`'s loss and optimiser (fresh, as at a run's first step) on the batch (x, y)."""
    layer, i, j = _check_weight(network, weight)
    if len(x) == 0 or len(x) != len(y):
        raise ValueError("a slow-motion step needs a batch of at least one image, with one label each")
    net = network.copy()
    x = np.asarray(x, dtype=net.params.dtype)
    fp = net.forward(x)
    loss, probs, dlogits = get_loss(config.loss)(fp.logits, y)
    z = [fp.inputs[k] @ w + b for k, (w, b) in enumerate(zip(net.weights, net.biases))]
    deltas = [dlogits.copy()]
    for k in range(net.layers - 1, 0, -1):  # delta_{k-1} = (delta_k W_k^T) * f'(z_{k-1}), as backward does
        deltas.insert(0, net.activation.backward(deltas[0] @ net.weights[k].T, fp.hidden[k - 1]))
    before = float(net.weights[layer][i, j])
    kept = [(w.copy(), b.copy()) for w, b in zip(net.weights, net.biases)]
    net.backward(fp, dlogits)
    gradient = float(net.weight_grads[layer][i, j])
    rate = config.lr if lr is None else lr
    make_optimizer(config, net.params.size).step(net.params, net.grads, rate)
    outs = [*fp.hidden, probs]
    layers = tuple(LayerNumbers(fp.inputs[k], *kept[k], z[k], outs[k], deltas[k]) for k in range(net.layers))
    return SlowStep(np.asarray(y), layers, float(loss), (layer, i, j), before, gradient,
                    float(net.weights[layer][i, j]), float(rate), net)
