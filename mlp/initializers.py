"""Starting weights. The scale of the first weights decides whether a deep net can learn at all."""
from __future__ import annotations

import numpy as np

NAMES = ("normal", "xavier", "he")


def init_std(name: str, fan_in: int, fan_out: int, std: float = 1.0) -> float:
    """Standard deviation of the normal distribution each weight is drawn from.

    normal: the notebook's N(0, std), whatever the layer size. With std=1 and 784
    inputs, a unit's input sum has a standard deviation of about 10: sigmoids saturate.
    xavier (Glorot): keeps the variance of signals and gradients about equal across
    layers for tanh/sigmoid: sqrt(2 / (fan_in + fan_out)).
    he: compensates for ReLU zeroing half its inputs: sqrt(2 / fan_in).
    """
    if name == "normal":
        if std <= 0:
            raise ValueError(f"the initial standard deviation must be positive, got {std}")
        return float(std)
    if name == "xavier":
        return float(np.sqrt(2.0 / (fan_in + fan_out)))
    if name == "he":
        return float(np.sqrt(2.0 / fan_in))
    raise ValueError(f"unknown initialisation {name!r}: choose one of {', '.join(NAMES)}")
