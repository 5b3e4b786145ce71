"""Starting weights. The scale of the first weights decides whether a deep net can learn at all.

Every initialiser draws each weight from N(0, s^2); they differ in the spread s
they choose for a layer of `fan_in` inputs and `fan_out` outputs.
"""
from __future__ import annotations

import math

from .registry import Registry


class Normal:
    """The notebook's N(0, init_std), whatever the layer size. With init_std=1 and 784 inputs,
    a unit's input sum has a standard deviation of about 10: sigmoids saturate."""
    settings = ("init_std",)

    def __init__(self, init_std: float):
        if not init_std > 0:
            raise ValueError(f"the initial standard deviation must be positive, got {init_std}")
        self.init_std = float(init_std)

    def std(self, fan_in: int, fan_out: int) -> float:
        return self.init_std


class Xavier:
    """Glorot: keeps the variance of signals and gradients about equal across layers for tanh
    and sigmoid: sqrt(2 / (fan_in + fan_out))."""
    settings = ()

    def std(self, fan_in: int, fan_out: int) -> float:
        return math.sqrt(2.0 / (fan_in + fan_out))


class He:
    """Compensates for ReLU zeroing half its inputs: sqrt(2 / fan_in)."""
    settings = ()

    def std(self, fan_in: int, fan_out: int) -> float:
        return math.sqrt(2.0 / fan_in)


REGISTRY = Registry("initialisation", {
    "normal": Normal,
    "xavier": Xavier,
    "he": He,
})
NAMES = tuple(REGISTRY)
