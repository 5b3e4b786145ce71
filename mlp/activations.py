"""Hidden-layer activations.

Each activation knows its value and how to turn "gradient with respect to its
output" into "gradient with respect to its input" using only the output it
produced. That is all backpropagation needs, so the forward pass keeps just the
layer outputs.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NAMES = ("sigmoid", "tanh", "relu", "leaky-relu")


@dataclass(frozen=True)
class Activation:
    name: str
    slope: float = 0.01  # only leaky-relu uses it

    def forward(self, z: np.ndarray) -> np.ndarray:
        """Apply the activation in place to the pre-activations `z` and return them."""
        if self.name == "relu":
            return np.maximum(z, 0, out=z)
        if self.name == "leaky-relu":
            return np.maximum(z, z * np.float32(self.slope), out=z)
        if self.name == "tanh":
            return np.tanh(z, out=z)
        # sigmoid, written so that exp never overflows: 1/(1+e^-z) = (1+tanh(z/2))/2
        z *= 0.5
        np.tanh(z, out=z)
        z += 1.0
        z *= 0.5
        return z

    def backward(self, grad: np.ndarray, out: np.ndarray) -> np.ndarray:
        """Multiply `grad` (dL/d output) in place by f'(z), expressed through out = f(z)."""
        if self.name == "relu":
            grad *= out > 0
        elif self.name == "leaky-relu":
            grad *= np.where(out > 0, np.float32(1.0), np.float32(self.slope))
        elif self.name == "tanh":
            grad *= 1.0 - out * out  # tanh' = 1 - tanh^2
        else:
            grad *= out * (1.0 - out)  # sigmoid' = s (1 - s)
        return grad


def get_activation(name: str, slope: float = 0.01) -> Activation:
    if name not in NAMES:
        raise ValueError(f"unknown activation {name!r}: choose one of {', '.join(NAMES)}")
    if name == "leaky-relu" and not 0 < slope < 1:
        raise ValueError(f"the leaky ReLU slope must be between 0 and 1, got {slope}")
    return Activation(name, float(slope))
