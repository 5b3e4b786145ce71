"""Hidden-layer activations.

Each activation keeps its forward pass beside its backward pass. The backward
pass turns "gradient with respect to its output" into "gradient with respect to
its input" using only the output it produced. That is all backpropagation
needs, so the forward pass keeps just the layer outputs.

Each also says what the rest of the program asks of it: which starting weights
suit it (`init`), and how to tell, from its outputs, the units that stopped
learning (`saturated`, `dead`), which the diagnostics measure.
"""
from __future__ import annotations

import numpy as np

from .registry import Registry, Setting

SATURATION_MARGIN = 0.01  # an output within 0.01 of a bound (sigmoid: 0 or 1, tanh: -1 or 1) is saturated


class Activation:
    settings: tuple[str, ...] = ()  # the settings it reads: TrainConfig fields, or a Setting of its own
    init = "he"  # the initialiser that keeps the signal's spread from layer to layer

    def forward(self, z: np.ndarray) -> np.ndarray:
        """Apply f in place to the pre-activations `z` and return them."""
        raise NotImplementedError

    def backward(self, grad: np.ndarray, out: np.ndarray) -> np.ndarray:
        """Multiply `grad` (dL/d output) in place by f'(z), expressed through out = f(z)."""
        raise NotImplementedError

    def saturated(self, out: np.ndarray) -> float:
        """Share of the outputs in a flat tail, where the slope is almost 0 (an S-shaped f has two)."""
        return 0.0

    def dead(self, out: np.ndarray) -> float:
        """Share of the units whose slope was 0 for every example of the batch (only a ReLU can die)."""
        return 0.0


class _SShaped(Activation):
    """An S-shaped f: its outputs lie within `centre` ± `half` and it is flat near both bounds."""
    init = "xavier"  # Glorot derived it for these: signals and gradients keep their variance
    centre = 0.0
    half = 1.0

    def saturated(self, out):
        return float(np.mean(np.abs(out - self.centre) > self.half - SATURATION_MARGIN))


class Sigmoid(_SShaped):
    """s(z) = 1 / (1 + e^-z),  s' = s (1 - s)"""
    centre = half = 0.5

    def forward(self, z):
        z *= 0.5  # written so that exp never overflows: 1/(1+e^-z) = (1+tanh(z/2))/2
        np.tanh(z, out=z)
        z += 1.0
        z *= 0.5
        return z

    def backward(self, grad, out):
        grad *= out * (1.0 - out)
        return grad


class Tanh(_SShaped):
    """tanh(z),  tanh' = 1 - tanh^2"""

    def forward(self, z):
        return np.tanh(z, out=z)

    def backward(self, grad, out):
        grad *= 1.0 - out * out
        return grad


class ReLU(Activation):
    """max(z, 0),  slope 1 above 0 and 0 below: a unit that is never above 0 passes no gradient, ever."""

    def forward(self, z):
        return np.maximum(z, 0, out=z)

    def backward(self, grad, out):
        grad *= out > 0
        return grad

    def dead(self, out):
        return float(np.mean(~(out > 0).any(axis=0)))


class LeakyReLU(Activation):
    """max(z, slope z) with 0 < slope < 1: below 0 a small slope keeps the gradient flowing."""
    settings = (Setting("leaky_slope", 0.01, 0, 1, "Leaky ReLU slope",
                        "How much of a negative input leaky ReLU lets through (0.01 = 1%)."),)

    def __init__(self, leaky_slope: float):
        self.slope = np.float32(leaky_slope)

    def forward(self, z):
        return np.maximum(z, z * self.slope, out=z)

    def backward(self, grad, out):
        grad *= np.where(out > 0, np.float32(1.0), self.slope)
        return grad


REGISTRY = Registry("activation", {
    "sigmoid": Sigmoid,
    "tanh": Tanh,
    "relu": ReLU,
    "leaky-relu": LeakyReLU,
})
NAMES = tuple(REGISTRY)
