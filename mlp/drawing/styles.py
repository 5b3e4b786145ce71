"""Digits as people in different countries write them, drawn from pen strokes by synthetic writers.

MNIST's writers (American census staff and students) rarely wrote a zero with a slash through it, a one with a
long up-stroke flag and a foot, a four with a closed top, a seven with a bar across or a nine with a straight stem;
much of Europe and many schools elsewhere write them so. A network trained on MNIST alone misreads them, and no
benchmark made of MNIST's own digits drawn again can show it. Here each digit has a few stroke templates, one per
style, as polylines in a unit box (row, column; rows down), and a writer is a consistent hand: one style per digit
(chosen once, with the shares of STYLE_SHARES), a slant, a width, a brush, a size, and a wobble of their own.

Two template sets, never mixed: EVALUATION (drawn with the canvas's round brush on a 280x280 canvas by
mlp.drawing.canvas_like, read through the app's preprocessing, for bench/drawn_digits.py) and TRAINING (other
shapes for the same styles, stamped by another pen on a smaller square, then read through the same preprocessing:
see training_pool). A network trained on the second and measured on the first has seen the
styles, not the drawings, nor their templates. Neither set is a real writer: see docs/drawings.md.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Iterator, NamedTuple

import numpy as np

from .canvas_like import BRUSHES, HEIGHTS, place, polyline, render
from .preprocess import grey_to_mnist

Stroke = np.ndarray  # (m, 2) float32 points (row, column) in a unit box, rows down
Template = tuple[Stroke, ...]


def arc(cy: float, cx: float, ry: float, rx: float, start: float, end: float, points: int = 80) -> Stroke:
    """Points along an ellipse from angle `start` to `end` (degrees, anticlockwise as seen, 0 to the right)."""
    t = np.deg2rad(np.linspace(start, end, points, dtype=np.float32))
    return np.stack([cy - ry * np.sin(t), cx + rx * np.cos(t)], axis=1).astype(np.float32)


def line(*vertices: tuple[float, float]) -> Stroke:
    return polyline(vertices, spacing=0.02)


def eight(top: float, bottom: float, centre: float = 0.3, points: int = 160) -> Stroke:
    """A figure eight in one stroke: down through the middle, round the lower loop, up through the middle again,
    round the upper loop (loop half-widths `top` and `bottom`)."""
    t = np.linspace(0, 2 * np.pi, points, dtype=np.float32)
    y = 0.5 - 0.5 * np.cos(t)
    return np.stack([y, centre + np.where(y < 0.5, top, bottom) * np.sin(2 * t)], axis=1).astype(np.float32)


def joined(*parts: Stroke) -> Stroke:
    """One stroke made of parts drawn one after the other without lifting the pen."""
    return np.concatenate(parts).astype(np.float32)


# ----- the evaluation set: each digit's styles, as a benchmark draws them -----
def _evaluation() -> dict[int, dict[str, Template]]:
    zero = arc(0.5, 0.3, 0.5, 0.3, 95, 455)
    one_flag = line((0.32, 0.0), (0.0, 0.36), (1.0, 0.36))
    seven = line((0.0, 0.0), (0.0, 0.62), (1.0, 0.22))
    nine_loop = arc(0.27, 0.28, 0.26, 0.26, 10, 370)
    return {
        0: {"plain": (zero,),
            "slashed": (zero, line((0.92, 0.0), (0.08, 0.6)))},
        1: {"single stroke": (line((0.0, 0.3), (1.0, 0.3)),),
            "flag": (one_flag,),
            "flag and foot": (one_flag, line((1.0, 0.1), (1.0, 0.62)))},
        2: {"plain": (joined(arc(0.28, 0.3, 0.27, 0.3, 160, -20), line((0.4, 0.56), (1.0, 0.0), (1.0, 0.62))),),
            "looped": (joined(arc(0.28, 0.3, 0.27, 0.3, 160, -20), line((0.4, 0.56), (0.88, 0.12)),
                              arc(0.9, 0.15, 0.1, 0.12, 90, 400), line((1.0, 0.2), (0.96, 0.62))),)},
        3: {"round": (joined(arc(0.25, 0.3, 0.25, 0.3, 150, -90), arc(0.74, 0.3, 0.26, 0.32, 90, -150)),),
            "flat top": (joined(line((0.0, 0.02), (0.0, 0.58), (0.42, 0.22)), arc(0.7, 0.28, 0.3, 0.32, 80, -150)),)},
        4: {"open top": (line((0.0, 0.08), (0.62, 0.0), (0.62, 0.68)), line((0.05, 0.5), (1.0, 0.5))),
            "closed top": (line((0.0, 0.52), (0.62, 0.0), (0.62, 0.68)), line((0.0, 0.52), (1.0, 0.52)))},
        5: {"plain": (line((0.0, 0.6), (0.0, 0.1), (0.42, 0.06)), arc(0.68, 0.28, 0.31, 0.33, 125, -150))},
        6: {"plain": (joined(arc(0.55, 0.55, 0.55, 0.5, 70, 200), arc(0.72, 0.32, 0.27, 0.29, 180, 540)),)},
        7: {"plain": (seven,),
            "crossed": (seven, line((0.5, 0.18), (0.5, 0.7))),
            "hooked": (line((0.18, 0.0), (0.0, 0.05), (0.0, 0.62), (1.0, 0.22)),)},
        8: {"plain": (eight(0.24, 0.3),)},
        9: {"curved stem": (nine_loop, arc(0.27, 0.0, 0.73, 0.54, 0, -90)),
            "straight stem": (nine_loop, line((0.1, 0.54), (1.0, 0.54)))},
    }


# ----- the training set: the same styles, other shapes (never shown to the benchmark) -----
def _training() -> dict[int, dict[str, Template]]:
    zero = arc(0.5, 0.34, 0.5, 0.34, 80, 430)
    seven = line((0.02, 0.02), (0.0, 0.66), (1.0, 0.3))
    one_flag = line((0.22, 0.08), (0.0, 0.4), (1.0, 0.4))
    nine_loop = arc(0.3, 0.3, 0.3, 0.3, 0, 360)
    return {
        0: {"plain": (arc(0.5, 0.36, 0.5, 0.36, 60, 420),),
            "slashed": (zero, line((0.0, 0.72), (1.0, -0.04))),
            "slashed inside": (zero, line((0.85, 0.1), (0.15, 0.58)))},
        1: {"single stroke": (line((0.0, 0.3), (1.0, 0.26)),),
            "flag": (one_flag,),
            "flag and foot": (one_flag, line((1.0, 0.14), (1.0, 0.66))),
            "short flag and foot": (line((0.15, 0.18), (0.0, 0.38), (1.0, 0.38)), line((1.0, 0.18), (1.0, 0.58)))},
        2: {"plain": (joined(arc(0.3, 0.32, 0.3, 0.32, 150, -10), line((0.36, 0.63), (1.0, 0.02), (0.98, 0.66))),)},
        3: {"round": (joined(arc(0.24, 0.32, 0.24, 0.32, 160, -90), arc(0.74, 0.32, 0.26, 0.34, 90, -160)),),
            "flat top": (joined(line((0.02, 0.0), (0.0, 0.62), (0.38, 0.2)), arc(0.68, 0.3, 0.32, 0.34, 70, -160)),)},
        4: {"open top": (line((0.0, 0.12), (0.58, 0.02), (0.58, 0.72)), line((0.0, 0.46), (1.0, 0.47))),
            "closed top": (line((0.0, 0.57), (0.66, 0.02), (0.68, 0.74)), line((0.02, 0.57), (1.0, 0.55))),
            "closed top, one stroke": (line((1.0, 0.46), (0.0, 0.46), (0.64, 0.0), (0.64, 0.7)),)},
        5: {"plain": (line((0.02, 0.62), (0.0, 0.14), (0.45, 0.1)), arc(0.7, 0.3, 0.3, 0.34, 135, -160))},
        6: {"plain": (joined(arc(0.6, 0.6, 0.6, 0.55, 80, 200), arc(0.74, 0.34, 0.26, 0.3, 180, 530)),)},
        7: {"plain": (seven,),
            "crossed": (seven, line((0.55, 0.25), (0.45, 0.75)))},
        8: {"plain": (eight(0.28, 0.32, 0.34)[::-1],)},
        9: {"curved stem": (nine_loop, arc(0.3, 0.08, 0.7, 0.52, 0, -85)),
            "straight stem": (nine_loop, line((0.2, 0.6), (1.0, 0.58)))},
    }


def one_with_flag(rng: np.random.Generator, foot: bool) -> Template:
    """A training one with an up-stroke flag of a random length and angle (people's flags run from a short tick to
    nearly half the height, and as far left as the stem is tall: the long ones are those MNIST-trained networks read
    as 7), with a foot of random width or none. The flag always falls at least 0.15 of the height from the top: a
    diagonal, never a seven's level bar."""
    top = rng.uniform(0.3, 0.45)
    stem = line((rng.uniform(0.15, 0.45), top - rng.uniform(0.25, 0.48)), (0.0, top),
                (1.0, top + rng.uniform(-0.04, 0.04)))
    half = rng.uniform(0.14, 0.3)
    return (stem, line((1.0, top - half), (1.0, top + half))) if foot else (stem,)


def seven(rng: np.random.Generator, crossed: bool) -> Template:
    """A training seven: a bar of random length, level within 0.08 of the height, and a stem from its end that
    leans from a little to a lot, so that what tells it from a one with a flag is the level bar, not the lean;
    crossed or not."""
    bar, start = rng.uniform(0.5, 0.72), rng.uniform(-0.03, 0.06)
    foot = rng.uniform(0.1, 0.5)  # how far left the stem ends
    stroke = line((start, 0.0), (rng.uniform(-0.02, 0.02), bar), (1.0, bar - foot))
    if not crossed:
        return (stroke,)
    height = rng.uniform(0.45, 0.6)
    middle = bar - foot * height
    return stroke, line((height + rng.uniform(-0.05, 0.05), middle - rng.uniform(0.2, 0.3)),
                        (height + rng.uniform(-0.05, 0.05), middle + rng.uniform(0.15, 0.3)))


def slashed_zero(rng: np.random.Generator, inside: bool) -> Template:
    """A training zero with a slash of random length and angle, from lower left to upper right."""
    width = rng.uniform(0.26, 0.38)
    start, end = np.array([rng.uniform(0.8, 1.06), rng.uniform(-0.1, 0.14)]), \
        np.array([rng.uniform(-0.06, 0.2), rng.uniform(0.5, 0.78)])
    if inside:
        middle = (start + end) / 2
        start, end = middle + 0.75 * (start - middle), middle + 0.75 * (end - middle)
    return arc(0.5, width, 0.5, width, rng.uniform(60, 110), rng.uniform(420, 470)), line(tuple(start), tuple(end))


EVALUATION = _evaluation()
TRAINING = _training()
# Training styles whose shape varies beyond a writer's wobble: drawn afresh for every training digit.
VARIED = {(0, "slashed"): lambda rng: slashed_zero(rng, inside=False),
          (0, "slashed inside"): lambda rng: slashed_zero(rng, inside=True),
          (1, "flag"): lambda rng: one_with_flag(rng, foot=False),
          (1, "flag and foot"): lambda rng: one_with_flag(rng, foot=True),
          (1, "short flag and foot"): lambda rng: one_with_flag(rng, foot=True),
          (7, "plain"): lambda rng: seven(rng, crossed=False),
          (7, "crossed"): lambda rng: seven(rng, crossed=True)}

# How often a writer picks each style (the others: the first, MNIST's usual one). Not measured on any population:
# shares that make each variant common enough to be counted, as in a class with writers from several countries.
STYLE_SHARES = {
    0: {"slashed": 0.35, "slashed inside": 0.15},
    1: {"flag": 0.3, "flag and foot": 0.35, "short flag and foot": 0.1},
    2: {"looped": 0.2},
    3: {"flat top": 0.25},
    4: {"closed top": 0.4, "closed top, one stroke": 0.1},
    7: {"crossed": 0.4, "hooked": 0.2},
    9: {"straight stem": 0.4},
}
# The training pool leans harder on the variants MNIST lacks: the network meets them more often than a class would.
TRAINING_SHARES = {**STYLE_SHARES,
                   0: {"slashed": 0.4, "slashed inside": 0.2},
                   1: {"flag": 0.55, "flag and foot": 0.25, "short flag and foot": 0.1}}
# The styles MNIST's writers rarely used, which the Draw page explains when a network misreads one.
RARE_IN_MNIST = {(0, "slashed"), (1, "flag"), (1, "flag and foot"), (4, "closed top"), (7, "crossed"),
                 (9, "straight stem"), (3, "flat top")}


class Hand(NamedTuple):
    """One writer: a style per digit and the way their pen moves, the same for all their drawings."""
    styles: tuple[str, ...]  # a style name for each digit 0-9
    slant: float  # columns shifted per row up (positive leans right)
    width: float  # how wide, relative to the template
    brush: float  # pen width on the canvas, pixels
    height: float  # usual digit height on the canvas, pixels
    wobble: float  # how far strokes stray from the template, in units of the digit's height


def make_hand(rng: np.random.Generator, templates: dict[int, dict[str, Template]]) -> Hand:
    styles = []
    for digit in range(10):
        names = list(templates[digit])
        shares = np.array([STYLE_SHARES.get(digit, {}).get(n, 0.0) for n in names])
        shares[0] = max(0.0, 1 - shares[1:].sum())
        styles.append(names[rng.choice(len(names), p=shares / shares.sum())])
    return Hand(tuple(styles), rng.uniform(-0.1, 0.35), rng.uniform(0.75, 1.25), rng.uniform(*BRUSHES),
                rng.uniform(*HEIGHTS), rng.uniform(0.01, 0.035))


def wobbled(template: Template, rng: np.random.Generator, wobble: float, width: float) -> np.ndarray:
    """The template's points, widened by `width` and bent smoothly: each stroke moved by two slow random waves
    along its length (a hand never retraces a shape exactly), its ends a little longer or shorter."""
    out = []
    for stroke in template:
        s = np.linspace(0, 1, len(stroke), dtype=np.float32)[:, None]
        waves = rng.normal(0, wobble, (2, 2)).astype(np.float32)
        phase = rng.uniform(0, 2 * np.pi, (2, 2)).astype(np.float32)
        bend = (waves[0] * np.sin(np.pi * s + phase[0]) + waves[1] * np.sin(2 * np.pi * s + phase[1]))
        out.append(stroke * np.array([1, width], np.float32) + bend)
    return np.concatenate(out).astype(np.float32)


class StyledDrawing(NamedTuple):
    image: np.ndarray  # (280, 280, 4) uint8 RGBA as the canvas returns it
    label: int
    style: str
    writer: int


def styled_digits(writers: int, per_digit: int = 1, seed: int = 0) -> Iterator[StyledDrawing]:
    """`per_digit` drawings of each digit by each of `writers` writers, EVALUATION templates, canvas-drawn.
    Deterministic for a seed; each writer's hand is drawn first, from their own stream."""
    if writers < 1 or per_digit < 1:
        raise ValueError(f"need at least one writer and one drawing per digit, got {writers} and {per_digit}")
    for writer in range(writers):
        rng = np.random.default_rng([seed, writer])
        hand = make_hand(rng, EVALUATION)
        for _ in range(per_digit):
            for digit in range(10):
                style = hand.styles[digit]
                points = wobbled(EVALUATION[digit][style], rng, hand.wobble, hand.width * rng.uniform(0.9, 1.1))
                brush = float(np.clip(hand.brush * rng.uniform(0.85, 1.15), *BRUSHES))
                placed = place(points, rng, hand.height * rng.uniform(0.85, 1.15), brush,
                               hand.slant + rng.normal(0, 0.05), rng.normal(0, 3))
                yield StyledDrawing(render(placed, brush), digit, style, writer)


# ----- the training renderer: another pen, stamped on a small grid, then the app's own preprocessing -----
POOL_POINTS = 120  # points each training digit is resampled to, so a whole batch is stamped at once
POOL_SIDE = 84  # the training digits' drawing square, pixels (a canvas-drawn digit is 100 to 250)
PEN_RATIO = (0.09, 0.13)  # pen width over the digit's longer side (the preprocessing brings drawings to 0.11)
SLANT = (-0.1, 0.35)  # columns per row, as writers slant (the preprocessing shears 70% of it away)
# Each digit's share of the pool, relative: zeros and ones twice the others, since their variants (a slash, a long
# flag) sit closest to another digit (8, 7) and every other digit's variants are read right with an even share.
POOL_WEIGHTS = (2, 2, 1, 1, 1, 1, 1, 1, 1, 1)


def stamp(points: np.ndarray, pens: np.ndarray, side: int = POOL_SIDE) -> np.ndarray:
    """(n, side, side) float32 ink of round pens of widths `pens` (n,) stamped at every one of `points`
    (n, P, 2) (pixel coordinates, each at least pen / 2 + 1 from the edges), all drawings at once."""
    n = len(points)
    reach = int(np.ceil(pens.max() / 2))
    dy, dx = (a.ravel().astype(np.int32) for a in np.mgrid[-reach:reach + 1, -reach:reach + 1])
    offsets = dy * side + dx  # (K,) flat moves from a centre
    out = np.zeros(n * side * side, np.float32)
    for first in range(0, n, 200):
        p, radius = points[first:first + 200], pens[first:first + 200] / 2
        centre = np.rint(p).astype(np.int32)
        flat = ((first + np.arange(len(p), dtype=np.int32))[:, None] * side + centre[:, :, 0]) * side + centre[:, :, 1]
        inside = (dy ** 2 + dx ** 2)[None, :] <= (radius ** 2)[:, None]  # (m, K): each pen's disc
        for j in range(len(p)):  # one drawing at a time: its disc's offsets only
            out[(flat[j][:, None] + offsets[inside[j]]).ravel()] = 1
    return out.reshape(n, side, side)


@lru_cache(maxsize=4)
def training_pool(count: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """`count` digits (each digit's share as POOL_WEIGHTS says) in the TRAINING styles, as the network's inputs
    (count, 784) float32 and their labels, read-only; each by a writer of its own, stamped with a round pen on an
    84-pixel square as bold as the app's preprocessing makes a drawing, then cropped, fitted, centred and deslanted
    by it (mlp.drawing.preprocess.grey_to_mnist). Made once per process for a count and seed (about 0.5 s for 1,000)."""
    rng = np.random.default_rng([seed, 2024])
    cycle = np.repeat(np.arange(10, dtype=np.int64), POOL_WEIGHTS)
    labels = cycle[np.arange(count) % len(cycle)]
    points = np.empty((count, POOL_POINTS, 2), np.float32)
    for i, digit in enumerate(labels):
        names = list(TRAINING[digit])
        shares = np.array([TRAINING_SHARES.get(digit, {}).get(n, 0.0) for n in names])
        shares[0] = max(0.0, 1 - shares[1:].sum())
        style = names[rng.choice(len(names), p=shares / shares.sum())]
        template = VARIED[digit, style](rng) if (digit, style) in VARIED else TRAINING[digit][style]
        drawn = wobbled(template, rng, rng.uniform(0.01, 0.035), rng.uniform(0.75, 1.25))
        points[i] = drawn[np.linspace(0, len(drawn) - 1, POOL_POINTS).round().astype(int)]
    slant = rng.uniform(*SLANT, count).astype(np.float32)
    points[:, :, 1] += slant[:, None] * (points[:, :, 0].mean(axis=1, keepdims=True) - points[:, :, 0])
    low, high = points.min(axis=1, keepdims=True), points.max(axis=1, keepdims=True)
    extent = (high - low).max(axis=2, keepdims=True)
    ratio = rng.uniform(*PEN_RATIO, (count, 1, 1)).astype(np.float32)
    longest = (POOL_SIDE - 4) / (1 + ratio)  # the digit's longer side, with room for the pen
    pens = (ratio * longest).ravel()
    points = (points - low) * (longest / extent) + pens[:, None, None] / 2 + 2
    images = np.zeros((count, 784), np.float32)
    for i, grey in enumerate(stamp(points, pens)):  # already as bold as the preprocessing makes them
        digit = grey_to_mnist(grey, stroke_ratio=None)  # deslanted as a drawing is: a flag sways it
        if digit is not None:
            images[i] = digit.ravel()
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels
