"""Learning-rate schedules: the rate as a function of training progress."""
from __future__ import annotations

import math

NAMES = ("constant", "step", "cosine")


def learning_rate(base: float, progress: float, *, schedule: str = "constant", total_epochs: int = 1,
                  step_epochs: int = 1, gamma: float = 0.1, final_share: float = 0.0) -> float:
    """The learning rate at `progress` epochs into training (a float: 1.5 is half-way through epoch 2).

    step: multiply by `gamma` every `step_epochs` epochs.
    cosine: glide from `base` down to `final_share * base` along half a cosine over all epochs.
    """
    if schedule == "constant":
        return base
    if schedule == "step":
        return base * gamma ** int(progress // step_epochs)
    if schedule == "cosine":
        done = min(progress / total_epochs, 1.0)
        floor = base * final_share
        return floor + (base - floor) * 0.5 * (1.0 + math.cos(math.pi * done))
    raise ValueError(f"unknown schedule {schedule!r}: choose one of {', '.join(NAMES)}")
