"""What the Draw page makes of the canvas: pure NumPy, so it is tested without a browser."""
from __future__ import annotations

import json
from typing import NamedTuple

import numpy as np

from mlp.config import TrainConfig
from mlp.drawing.canvas_image import CanvasImageError, decode_png
from mlp.drawing.novelty import NoveltyCheck, too_small
from mlp.drawing.preprocess import grey_to_mnist, to_grey
from mlp.model import Model, ModelOutputError
from mlp.presets import get_preset

EMPTY_HINT = "Draw a digit in the black square."
TOO_LITTLE_HINT = "Too little ink for a digit: draw it larger, in one or two strokes."
UNREADABLE = ("This network cannot read digits: its outputs are not numbers (its weights are too large). Train a "
              "new one, with a smaller learning rate.")
SURE_IS_NOT_RIGHT = ("A network always answers, even for a scribble: its ten probabilities add up to 100% "
                     "whatever it is shown, and being sure is not being right.")
DOUBTS = {  # why a drawing does not look like a digit, by the reason novelty/too_small give
    "small": "It is too small: draw the digit larger, filling most of the square.",
    "flat": "It is too thin and flat for a digit: a line or a dash?",
    "filled": "It is filled in rather than drawn with strokes.",
    "unlike": "It is not like any digit this network learned: its units respond to it as to none of the "
              "training digits.",
    "tangled": "Its strokes are far longer and more tangled than any digit's: a scribble?",
}


def quick_config() -> TrainConfig:
    """A few seconds of training that already reads hand-drawn digits well (wiggled training digits).
    Measured on bench/drawn_digits.py's drawings (seed 0): 2 epochs at 1e-3 read 94.6% of them (training
    seed 0), at 2e-3 95.7% (seeds 0-2), 3 epochs 96.4%, 4 epochs 96.9% (seeds 1-2); 97.7-97.8% on all
    10,000 test digits once filled loops stayed filled (seeds 1-2, docs/drawings.md)."""
    return get_preset("modern").config(epochs=4, augment=True, lr=2e-3)


class CanvasReading(NamedTuple):
    digit: np.ndarray | None  # the 28x28 input the network receives, or None
    hint: str  # why there is no digit ("" when there is one)
    small: bool = False  # the ink spans too little of the canvas to be read as a digit
    refused: bool = False  # what the canvas sent was no drawing it could have made (too large, not a PNG)


MAX_STROKES_CHARS = 200_000  # a drawing's strokes (JSON) kept to show it again; a busy digit takes under 50,000


def has_ink(image: np.ndarray) -> bool:
    """Whether any pixel of the RGBA drawing is lit. Only the colour channels count: after the toolbar's
    trash button or undoing the only stroke, the canvas is black but its alpha channel is not zero."""
    return bool(np.asarray(image)[..., :3].any())


def read_drawing(image: np.ndarray) -> CanvasReading:
    """The canvas's RGBA image as the network's input, or the reason there is none (empty, or a mere dot).
    Empty as has_ink says (only the colours count), read from the grey image made anyway."""
    grey = to_grey(image)
    if not grey.any():
        return CanvasReading(None, EMPTY_HINT)
    digit = grey_to_mnist(grey)
    return CanvasReading(digit, "" if digit is not None else TOO_LITTLE_HINT, too_small(grey))


def read_canvas(png: bytes) -> CanvasReading:
    """The canvas's PNG file as the network's input, or the reason there is none. The file is outside input (a
    visitor can send any bytes as the canvas's value): its size and stated width and height are checked before
    any pixel is unpacked (mlp.drawing.canvas_image)."""
    try:
        image = decode_png(png)
    except CanvasImageError as error:
        return CanvasReading(None, f"This drawing was not read: {error}. Clear the drawing and draw again.",
                             refused=True)
    return read_drawing(image)


def strokes_to_keep(strokes: object) -> dict | None:
    """The canvas's strokes (fabric.js objects) to keep and show again, or None: not a JSON object, or larger than
    MAX_STROKES_CHARS (they go back to the browser on every page and into the saved work)."""
    if not isinstance(strokes, dict):
        return None
    try:
        text = json.dumps(strokes)
    except (TypeError, ValueError, RecursionError):
        return None
    return strokes if len(text) <= MAX_STROKES_CHARS else None


def answer(model: Model, digit: np.ndarray) -> np.ndarray:
    """The network's ten probabilities for one 28x28 digit; NaN when its outputs are not numbers (said in words)."""
    try:
        return model.predict_proba(digit.reshape(1, -1).astype(np.float32))[0]
    except ModelOutputError:
        return np.full(10, np.nan, dtype=np.float32)


def doubt(reading: CanvasReading, model: Model, check: NoveltyCheck | None) -> str:
    """Why a drawing read as a digit does not look like one (a key of DOUBTS), or "" when it does: first
    what the drawing itself shows (too small), then what the network measured in its 28x28 input."""
    if reading.small:
        return "small"
    return check.reasons(model.network, reading.digit.reshape(1, -1))[0] if check is not None else ""


def rows_of(labels: np.ndarray, classes: tuple[int, ...], limit: int | None = None, seed: int = 0) -> np.ndarray:
    """Sorted positions of the examples of `classes`; at most `limit` of them, drawn at random (seeded)."""
    rows = np.flatnonzero(np.isin(labels, classes))
    if limit is not None and len(rows) > limit:
        rows = np.sort(np.random.default_rng(seed).choice(rows, limit, replace=False))
    return rows


def readable(probabilities: np.ndarray) -> bool:
    """False when the network's answer is not numbers (weights that overflowed give NaN probabilities)."""
    return bool(np.isfinite(probabilities).all())
