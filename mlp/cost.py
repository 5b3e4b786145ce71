"""What a run will cost before it starts: parameters, memory and arithmetic, from its settings alone.

A shared server refuses a run it cannot afford before the run takes a worker, and tells the student the
size in words. Memory counts float32 arrays only (what grows with the settings); time (`seconds`) is the
arithmetic at the machine's matrix-product speed plus each step's fixed and per-parameter work, on a core to
itself: a server corrects it by what its own runs measured (training.pace).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from . import optimizers
from .config import TrainConfig
from .data.mnist import N_PIXELS as PIXELS
from .network import CLASSES

BYTES = 4  # float32
OPTIMIZER_SLOTS = 2  # Adam keeps two vectors the size of the weights; the others keep fewer
ACTIVATION_COPIES = 3  # per layer and example: pre-activation, activation, delta (dropout masks aside)
FLOPS_PER_WEIGHT_STEP = 6  # per example: 2 forward (multiply, add), 4 backward (delta and gradient)
PRODUCTS_SHARE = 0.58  # of a step's time, in matrix products: measured, default settings 9.6 s for 5.6 s of products
AUGMENT_FLOPS_PER_IMAGE = 1e6  # a distorted training digit costs about this much arithmetic's time (8.6 us an image
# against 1.2e11 flops/s of products, measured at 256-128 and 512-256 alike): per image, whatever the network
REFERENCE_SPEED = 7.1e10  # training_speed() on the machine where the two figures below were measured (on a core's
# CPU clock, 784-16-10 to 784-1024-1024-10 at batches of 1 to 512: within 30% of the steps' times)
STEP_SECONDS = 1.5e-4  # a step's fixed work (a few dozen NumPy calls), there
PARAMETER_SECONDS = 4.5e-9  # a step's work per parameter (the optimiser's update, the gradients), there, with Adam:
# other optimisers' is their `parameter_work` times this (SGD's half: its notebook runs were timed 1.6 times too long)
TEST_ROWS = 10_000  # MNIST's test set, scored once at the end of every run


@dataclass(frozen=True)
class Cost:
    parameters: int
    megabytes: float  # weights, gradients, optimiser state and a batch's activations
    steps: int
    flops: float  # the whole run: every training step, every held-out check and the test set
    step_flops: float = 0.0  # one training step's: the size of a run's work, by which measured speeds are kept
    parameter_work: float = 1.0  # the optimiser's work per parameter against Adam's (mlp.optimizers)

    def seconds(self, flops_per_second: float) -> float:
        """With one core to itself whose training_speed() is `flops_per_second`: its arithmetic at the matrix
        products' speed, and each step's fixed and per-parameter work (scaled from the machine they were measured on)."""
        per_step = (STEP_SECONDS + self.parameters * PARAMETER_SECONDS * self.parameter_work) * REFERENCE_SPEED \
            / flops_per_second
        return self.steps * per_step + self.flops * PRODUCTS_SHARE / flops_per_second


def run_cost(config: TrainConfig, examples: int, heldout: int = 10_000, evals_per_epoch: int = 1,
             test: int = TEST_ROWS) -> Cost:
    """The cost of training `config` on `examples` digits, checking `heldout` digits at the start and
    `evals_per_epoch` times an epoch, then scoring `test` digits."""
    sizes = (PIXELS, *config.hidden, CLASSES)
    weights = sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
    parameters = weights + sum(sizes[1:])
    units = sum(sizes)
    megabytes = (parameters * (2 + OPTIMIZER_SLOTS) + config.batch_size * units * ACTIVATION_COPIES) * BYTES / 1e6
    steps = math.ceil(examples / config.batch_size) * config.epochs
    per_example = FLOPS_PER_WEIGHT_STEP * weights + (AUGMENT_FLOPS_PER_IMAGE if config.augment else 0.0)
    training = per_example * examples * config.epochs
    checking = 2 * weights * (heldout * (config.epochs * max(1, evals_per_epoch) + 1) + test)
    return Cost(parameters, megabytes, steps, float(training + checking),
                float(per_example * min(config.batch_size, max(1, examples))),
                optimizers.REGISTRY[config.optimizer].parameter_work)


def training_speed(seconds: float = 0.05, rounds: int = 5) -> float:
    """Training arithmetic per second of one core: this machine's float32 matrix-product speed at a training
    batch's shape, times the share of a step spent in products (the rest: activations, softmax, the optimiser,
    gathering the batch). Timed on the calling thread's CPU clock, the fastest of `rounds` slices of `seconds`: a
    server measures this once, maybe while busy, and the time other processes take says nothing of the machine
    (timed on the wall clock beside a loaded test run, a 20-epoch run was estimated over the 10-minute limit)."""
    rng = np.random.default_rng(0)
    x, w = rng.random((128, PIXELS), dtype=np.float32), rng.random((PIXELS, 256), dtype=np.float32)
    x @ w  # warm up
    fastest = 0.0
    for _ in range(rounds):
        done, start = 0, time.thread_time()
        while (elapsed := time.thread_time() - start) < seconds / rounds:
            x @ w
            done += 1
        fastest = max(fastest, done / elapsed)
    return 2 * x.shape[0] * x.shape[1] * w.shape[1] * fastest * PRODUCTS_SHARE

