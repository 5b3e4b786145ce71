"""Gradient checking: backpropagation's numbers against finite differences of the loss.

A backward pass can be wrong and still train a little, so its curves rarely say what is wrong. Nudging one
parameter by +-eps and watching the loss change gives that parameter's gradient with no calculus at all;
where the two disagree, the backward pass has a mistake, and the parameters that disagree say where.
Float64 only: in float32 the difference of two nearby losses is mostly rounding.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

EPS = 1e-6  # the nudge: small next to every weight, large next to float64's rounding of a loss near 1
TOLERANCE = 1e-5  # relative error a correct float64 backward pass stays under (measured: about 1e-7 at EPS)


def numeric_gradient(loss: Callable[[], float], array: np.ndarray, indices: Sequence[tuple[int, ...]],
                     eps: float = EPS) -> np.ndarray:
    """d loss / d array[i] for each index i by central differences; `loss()` must read `array` afresh."""
    out = np.empty(len(indices))
    for k, index in enumerate(indices):
        keep = array[index]
        array[index] = keep + eps
        up = loss()
        array[index] = keep - eps
        down = loss()
        array[index] = keep
        out[k] = (up - down) / (2 * eps)
    return out


def relative_error(analytic: np.ndarray, numeric: np.ndarray) -> np.ndarray:
    """|a - n| / (|a| + |n|): 0 when they agree, 1 when one is 0 or they have opposite signs; 0 for 0 vs 0."""
    scale = np.abs(analytic) + np.abs(numeric)
    return np.abs(analytic - numeric) / np.where(scale > 0, scale, 1.0)


@dataclass(frozen=True)
class GroupCheck:
    """One parameter array (W1, b1, ...): how far backpropagation's gradient is from the finite differences."""
    name: str
    checked: int  # entries compared
    max_error: float  # largest relative error among them
    ratio: float  # median of backprop / finite difference where the latter is not ~0: 1.0 when right
    worst: tuple[int, ...]  # index of the entry with the largest error
    analytic: float  # backprop's value there
    numeric: float  # the finite difference there

    @property
    def passed(self) -> bool:
        return self.max_error < TOLERANCE


def compare(name: str, indices: Sequence[tuple[int, ...]], analytic: np.ndarray, numeric: np.ndarray) -> GroupCheck:
    """Summarise one array's comparison (its worst entry and the typical ratio)."""
    errors = relative_error(analytic, numeric)
    worst = int(errors.argmax())
    solid = np.abs(numeric) > 1e-8
    ratio = float(np.median(analytic[solid] / numeric[solid])) if solid.any() else float("nan")
    return GroupCheck(name, len(indices), float(errors[worst]), ratio, tuple(int(i) for i in indices[worst]),
                      float(analytic[worst]), float(numeric[worst]))
