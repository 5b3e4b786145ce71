"""Learning-rate schedules: the rate as a function of training progress.

A schedule is made once per run from the settings it reads, then called at
every step with the progress in epochs (a float: 1.5 is half-way through epoch 2).
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

from .registry import Registry

if TYPE_CHECKING:
    from .config import TrainConfig


class Constant:
    """The same rate throughout."""
    settings = ("lr",)

    def __init__(self, lr: float):
        self.lr = lr

    def __call__(self, progress: float) -> float:
        return self.lr


class Step:
    """Multiply the rate by `gamma` every `step_epochs` epochs."""
    settings = ("lr", "step_epochs", "gamma")

    def __init__(self, lr: float, step_epochs: int, gamma: float):
        self.lr, self.step_epochs, self.gamma = lr, step_epochs, gamma

    def __call__(self, progress: float) -> float:
        return self.lr * self.gamma ** int(progress // self.step_epochs)


class Cosine:
    """Glide from the rate down to 0 along half a cosine over all `epochs`: big steps first, fine ones last."""
    settings = ("lr", "epochs")

    def __init__(self, lr: float, epochs: int):
        self.lr, self.epochs = lr, epochs

    def __call__(self, progress: float) -> float:
        done = min(progress / self.epochs, 1.0)
        return self.lr * 0.5 * (1.0 + math.cos(math.pi * done))


REGISTRY = Registry("schedule", {
    "constant": Constant,
    "step": Step,
    "cosine": Cosine,
})
NAMES = tuple(REGISTRY)


def make_schedule(config: TrainConfig):
    """The schedule `config.schedule`, made from the settings it reads: call it with the progress in epochs."""
    return REGISTRY.build(config.schedule, **vars(config))
