"""What a run will cost before it starts: parameters, memory and arithmetic, from its settings alone.

A shared server refuses a run it cannot afford before the run takes a worker, and tells the student the
size in words. Memory counts float32 arrays only (what grows with the settings); time is arithmetic
divided by a measured speed (`seconds`), since a step's cost is almost all matrix products.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from .config import TrainConfig
from .data.mnist import N_PIXELS as PIXELS
from .network import CLASSES

BYTES = 4  # float32
OPTIMIZER_SLOTS = 2  # Adam keeps two vectors the size of the weights; the others keep fewer
ACTIVATION_COPIES = 3  # per layer and example: pre-activation, activation, delta (dropout masks aside)
FLOPS_PER_WEIGHT_STEP = 6  # per example: 2 forward (multiply, add), 4 backward (delta and gradient)
PRODUCTS_SHARE = 0.58  # of a step's time, in matrix products: measured, default settings 9.6 s for 5.6 s of products


@dataclass(frozen=True)
class Cost:
    parameters: int
    megabytes: float  # weights, gradients, optimiser state and a batch's activations
    steps: int
    flops: float  # the whole run: every training step plus one held-out pass per epoch and the test set

    def seconds(self, flops_per_second: float) -> float:
        return self.flops / flops_per_second


def run_cost(config: TrainConfig, examples: int, heldout: int = 10_000) -> Cost:
    """The cost of training `config` on `examples` digits, checking `heldout` digits once per epoch."""
    sizes = (PIXELS, *config.hidden, CLASSES)
    weights = sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
    parameters = weights + sum(sizes[1:])
    units = sum(sizes)
    megabytes = (parameters * (2 + OPTIMIZER_SLOTS) + config.batch_size * units * ACTIVATION_COPIES) * BYTES / 1e6
    steps = math.ceil(examples / config.batch_size) * config.epochs
    training = FLOPS_PER_WEIGHT_STEP * weights * examples * config.epochs
    checking = 2 * weights * heldout * (config.epochs + 1)
    return Cost(parameters, megabytes, steps, float(training + checking))


def training_speed(seconds: float = 0.05, rounds: int = 5) -> float:
    """Training arithmetic per second on the calling thread: this machine's float32 matrix-product speed at
    a training batch's shape, times the share of a step spent in products (the rest: activations, softmax,
    the optimiser, gathering the batch). The fastest of `rounds` slices of `seconds`: a slice the thread lost to
    another process says nothing of the machine, and a server measures this once, maybe while busy."""
    rng = np.random.default_rng(0)
    x, w = rng.random((128, PIXELS), dtype=np.float32), rng.random((PIXELS, 256), dtype=np.float32)
    x @ w  # warm up
    fastest = 0.0
    for _ in range(rounds):
        done, start = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - start) < seconds / rounds:
            x @ w
            done += 1
        fastest = max(fastest, done / elapsed)
    return 2 * x.shape[0] * x.shape[1] * w.shape[1] * fastest * PRODUCTS_SHARE
