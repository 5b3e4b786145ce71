"""What the Draw page makes of the canvas: pure NumPy, so it is tested without a browser."""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from mlp.model import Model, ModelOutputError
from mlp.preprocess import to_mnist

EMPTY_HINT = "Draw a digit in the black square."
TOO_LITTLE_HINT = "Too little ink for a digit: draw it larger, in one or two strokes."
UNREADABLE = ("This network cannot read digits: its weights are not numbers any more (they grew too large "
              "while it trained). Train a new one, with a smaller learning rate.")


class CanvasReading(NamedTuple):
    digit: np.ndarray | None  # the 28x28 input the network receives, or None
    hint: str  # why there is no digit ("" when there is one)


def has_ink(image: np.ndarray) -> bool:
    """Whether any pixel of the RGBA drawing is lit. Only the colour channels count: after the toolbar's
    trash button or undoing the only stroke, the canvas is black but its alpha channel is not zero."""
    return bool(np.asarray(image)[..., :3].any())


def read_drawing(image: np.ndarray) -> CanvasReading:
    """The canvas's RGBA image as the network's input, or the reason there is none (empty, or a mere dot)."""
    if not has_ink(image):
        return CanvasReading(None, EMPTY_HINT)
    digit = to_mnist(image)
    return CanvasReading(digit, "" if digit is not None else TOO_LITTLE_HINT)


def answer(model: Model, digit: np.ndarray) -> np.ndarray:
    """The network's ten probabilities for one 28x28 digit; NaN when its outputs are not numbers (said in words)."""
    try:
        return model.predict_proba(digit.reshape(1, -1).astype(np.float32))[0]
    except ModelOutputError:
        return np.full(10, np.nan, dtype=np.float32)


def readable(probabilities: np.ndarray) -> bool:
    """False when the network's answer is not numbers (weights that overflowed give NaN probabilities)."""
    return bool(np.isfinite(probabilities).all())
