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
    "strokes": "Its strokes lie where no training digit has ink: a letter, a shape?",
}


# Digits written in a way MNIST's writers (American census staff and students) rarely did, by the digit the student
# says it is and what a network that learnt MNIST alone reads it as (bench/drawn_digits.py's styled drawings show
# these confusions): why it missed it, and how the class's drawings fix it. A misreading outside these pairs gets
# no such sentence: it is not one a style explains.
FIX = ("add the class's labelled drawings to its training data (Train page, in a class) and it learns "
       "this way of writing too.")
STYLE_LESSONS = {
    0: ({3, 6, 8, 9}, "If your zero has a slash through it, as in Scandinavia or in programming: MNIST's writers "
                      "almost never wrote one, so the network takes the slash for the middle of an 8 or a 3; " + FIX),
    1: ({2, 4, 7}, "If your one has a long up-stroke flag, and maybe a foot, as much of Europe writes it: MNIST's "
                   "writers mostly wrote a single stroke, so to the network it looks like their sevens; " + FIX),
    4: ({9}, "If your four has a closed top: MNIST's writers mostly left it open, so to the network a closed four "
             "is a 9; " + FIX),
    7: ({1, 2, 3, 4}, "If your seven has a bar across its middle, as much of Europe writes it: MNIST's writers "
                      "rarely crossed it, so the network has hardly seen one; " + FIX),
    9: ({4, 7}, "If your nine has a straight stem: MNIST's writers mostly curved it, so the network has seen few "
                "like yours; " + FIX),
}


def style_lesson(label: int, read_as: int) -> str:
    """One sentence for a drawing the student labelled `label` that the network read as `read_as`, when a way of
    writing that digit which MNIST lacks explains the mistake; "" otherwise (right, or another kind of mistake)."""
    misread, words = STYLE_LESSONS.get(int(label), (set(), ""))
    return words if int(read_as) in misread else ""


def quick_config() -> TrainConfig:
    """A few seconds of training that already reads hand-drawn digits well (wiggled training digits).
    Measured on bench/drawn_digits.py's drawings (seed 0): 2 epochs at 1e-3 read 94.6% of them (training
    seed 0), at 2e-3 95.7% (seeds 0-2), 3 epochs 96.4%, 4 epochs 96.9% (seeds 1-2); 97.7-97.8% on all
    10,000 test digits once filled loops stayed filled (seeds 1-2, docs/drawings.md)."""
    return get_preset("modern").config(epochs=4, augment=True, lr=2e-3)


def reference_config() -> TrainConfig:
    """The server's reference network (training.reference): the quick model's settings on MNIST's digits alone.
    With the quick model's other styles of writing (styles 0.05) it let more letters through (bench/doubt.py, seed 1,
    beside the weak networks: 92-93% of non-digits flagged, 93-97% of letters) than without (93-94%, 97-100%), for
    as many real digits wrongly flagged (1.7-2.1%): what it is asked is whether a drawing is like MNIST's digits."""
    return quick_config().replace(styles=0.0)


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


class Doubt(NamedTuple):
    """Whether the page doubts a drawing: `reason`, a key of DOUBTS (or CHECKING, or "" for no doubt), and whether it
    is the server's reference network (training.reference) that doubts it, not the network answering."""
    reason: str = ""
    by_reference: bool = False

    @property
    def flagged(self) -> bool:
        return bool(self.reason) and self.reason != CHECKING


def combined_doubt(own: str, reference: str) -> Doubt:
    """The page's doubt from the answering network's (`own`, as `doubt` gives it, or CHECKING while its check is
    being made) and the reference network's (`reference`, "" without one): flagged when either doubts, in the
    answering network's words when it doubts itself. A network that learned little doubts little (bench/doubt.py:
    the 9% run flags 81% of non-digits alone, 93% with the reference; 1.4% and 1.9% of real digits wrongly)."""
    if own and own != CHECKING:
        return Doubt(own)
    if reference and reference != CHECKING:
        return Doubt(reference, by_reference=True)
    return Doubt(own)


REFERENCE_DOUBT = ("This network finds nothing odd in it, but a well-trained network (this server's reference) "
                   "finds it unlike any digit it learned.")


def doubt_words(found: Doubt) -> str:
    """Why the page doubts the drawing, in one or two sentences ("" when it does not)."""
    if not found.flagged:
        return ""
    return REFERENCE_DOUBT if found.by_reference else DOUBTS[found.reason]


CHECKING = "checking"  # the doubt while the network's "not a digit" check is still being made
CHECKING_WORDS = "Checking whether it looks like a digit to this network (once per network, a few seconds)…"
DOUBT_MIN_ACCURACY = 0.97  # below, letters pass (bench/doubt.py: 95.7% flags 79% of letters, a 3-stroke A 3%; 98.6% 96%)


def doubt_trusted(test_accuracy: float | None) -> bool:
    """Whether a network reads digits well enough for its "not a digit" doubt to mean much: a network near
    chance finds every drawing as unlike its training digits as any other, so its silence says little."""
    return test_accuracy is not None and test_accuracy >= DOUBT_MIN_ACCURACY


def weak_words(test_accuracy: float | None, backed: bool = False) -> str:
    """What the page says under the answer of a network too weak for its "not a digit" check ("" for one strong
    enough): its silence about a letter or a scribble says little; `backed`: the reference network's check is
    asked too, which catches most of what it lets through."""
    if doubt_trusted(test_accuracy):
        return ""
    measured = (f"reads only {test_accuracy:.0%} of the test digits right" if test_accuracy is not None
                else "was never scored on the test digits")
    if backed:
        return (f"This network {measured}: too few for its own \"not a digit\" check to mean much, so a "
                f"well-trained network's check (this server's reference) is asked too.")
    return (f"This network {measured}: too few for its \"not a digit\" check to mean much. It still notices lines, "
            f"dots and filled blobs, but may take a letter or a scribble for a digit without a doubt. A network "
            f"reading {DOUBT_MIN_ACCURACY:.0%} or more tells them apart far better.")


def rows_of(labels: np.ndarray, classes: tuple[int, ...], limit: int | None = None, seed: int = 0) -> np.ndarray:
    """Sorted positions of the examples of `classes`; at most `limit` of them, drawn at random (seeded)."""
    rows = np.flatnonzero(np.isin(labels, classes))
    if limit is not None and len(rows) > limit:
        rows = np.sort(np.random.default_rng(seed).choice(rows, limit, replace=False))
    return rows


def readable(probabilities: np.ndarray) -> bool:
    """False when the network's answer is not numbers (weights that overflowed give NaN probabilities)."""
    return bool(np.isfinite(probabilities).all())
