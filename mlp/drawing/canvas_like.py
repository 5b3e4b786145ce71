"""Drawings as the Draw page's canvas sends them: MNIST test digits redrawn with a round brush, and non-digits.

MNIST digits are pen strokes scanned, shrunk and anti-aliased; a canvas drawing is a path traced with a
round brush of fixed width, at any size and place in a 280x280 square. To measure how a network reads
drawings without people drawing thousands of digits, each test digit is thinned to its centre line and
that line is traced again with a round brush, at a random size, position, slant and brush width. The
result is the canvas's own picture (white on black RGBA, 280x280), to be read by the app's own
preprocessing. A part far bolder than the digit's strokes (a small loop the pen filled in) stays filled:
thinned, it would become a line that no one draws, an 8 with one loop. Only test digits are used, so a network trained on MNIST's training set never saw them.

Non-digits (scribbles, letters, lines, dots, filled blobs) are drawn with the same brush, for measuring
how often a network notices that a drawing is not a digit.
"""
from __future__ import annotations

from typing import Iterator, NamedTuple

import numpy as np

from .imaging import bilinear_sample
from .preprocess import grow, stroke_width

CANVAS = 280  # the Draw page's canvas side, in pixels
UPSCALE = 3  # digits are thinned at 84x84: at 28x28 their centre lines would be one jagged pixel wide
HEIGHTS = (100, 250)  # drawn digit height on the canvas, pixels
BRUSHES = (10, 30)  # brush widths, pixels (the canvas's default is 20)
MAX_SLANT = 0.3  # horizontal shift per unit of height (about 17 degrees)
MAX_ROTATION = 8.0  # degrees
MARGIN = 4  # pixels kept free along the canvas edge
NON_DIGIT_KINDS = ("scribble", "letter", "line", "dot", "blob")

# Letters that no digit resembles, as strokes (polylines) in a unit box, y down.
LETTERS = {
    "A": [[(1, 0), (0, 0.5), (1, 1)], [(0.6, 0.2), (0.6, 0.8)]],
    "E": [[(0, 1), (0, 0), (1, 0), (1, 1)], [(0.5, 0), (0.5, 0.8)]],
    "F": [[(0, 1), (0, 0), (1, 0)], [(0.5, 0), (0.5, 0.8)]],
    "H": [[(0, 0), (1, 0)], [(0, 1), (1, 1)], [(0.5, 0), (0.5, 1)]],
    "K": [[(0, 0), (1, 0)], [(0, 1), (0.55, 0), (1, 1)]],
    "M": [[(1, 0), (0, 0), (0.6, 0.5), (0, 1), (1, 1)]],
    "N": [[(1, 0), (0, 0), (1, 1), (0, 1)]],
    "W": [[(0, 0), (1, 0.25), (0.3, 0.5), (1, 0.75), (0, 1)]],
    "X": [[(0, 0), (1, 1)], [(0, 1), (1, 0)]],
    "R": [[(1, 0), (0, 0), (0, 0.8), (0.25, 1), (0.45, 0.8), (0.5, 0)], [(0.5, 0.3), (1, 1)]],
}


class Drawing(NamedTuple):
    image: np.ndarray  # (280, 280, 4) uint8 RGBA, white strokes on opaque black, as the canvas returns it
    label: int | str  # the digit, or the kind of non-digit


def upscale(x: np.ndarray, factor: int = UPSCALE) -> np.ndarray:
    """(n, 784) images in [0, 1] as (n, 28*factor, 28*factor), bilinearly enlarged."""
    n, side = len(x), 28 * factor
    grid = (np.arange(side, dtype=np.float32) + 0.5) / factor - 0.5
    ys = np.broadcast_to(np.repeat(grid, side), (n, side * side))
    xs = np.broadcast_to(np.tile(grid, side), (n, side * side))
    return bilinear_sample(np.asarray(x, np.float32).reshape(n, 28, 28), ys, xs).reshape(n, side, side)


def _removable() -> tuple[np.ndarray, np.ndarray]:
    """Zhang-Suen's rule for each of its two sub-passes, as a table over the 256 ways the 8 neighbours
    P2..P9 (bit i: the i-th, clockwise from the one above) can be lit: may the centre pixel go?"""
    p = [(np.arange(256) >> i) & 1 == 1 for i in range(8)]
    count = np.sum(p, axis=0)
    turns = np.sum([~p[i] & p[(i + 1) % 8] for i in range(8)], axis=0)  # unlit-to-lit steps around it
    keeps_shape = (count >= 2) & (count <= 6) & (turns == 1)
    return (keeps_shape & ~(p[0] & p[2] & p[4]) & ~(p[2] & p[4] & p[6]),
            keeps_shape & ~(p[0] & p[2] & p[6]) & ~(p[0] & p[4] & p[6]))


REMOVABLE = _removable()
RING = ((-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1))  # P2..P9, (row, column)


def thin(binary: np.ndarray) -> np.ndarray:
    """Zhang-Suen thinning of a batch (n, H, W) of boolean images to one-pixel-wide centre lines.

    Each pass peels the outer pixels whose removal neither disconnects the shape nor shortens a line
    end (looked up in REMOVABLE from the 8 neighbours' pattern), on every image still changing at once.
    """
    img = np.pad(np.asarray(binary, bool), ((0, 0), (1, 1), (1, 1)))
    h, w = img.shape[1] - 2, img.shape[2] - 2
    active = np.arange(len(img))
    while active.size:
        work = img[active]
        changed = np.zeros(len(active), bool)
        for table in REMOVABLE:
            code = np.zeros((len(work), h, w), np.uint8)
            for bit, (dy, dx) in enumerate(RING):
                code |= work[:, 1 + dy:1 + dy + h, 1 + dx:1 + dx + w].view(np.uint8) << np.uint8(bit)
            remove = work[:, 1:-1, 1:-1] & table[code]
            changed |= remove.any(axis=(1, 2))
            work[:, 1:-1, 1:-1] &= ~remove
        img[active] = work
        active = active[changed]
    return img[:, 1:-1, 1:-1]


def bold_parts(binary: np.ndarray) -> np.ndarray:
    """The parts of each boolean image (n, H, W) bolder than its own strokes: what is left after peeling
    half its mean stroke width off every side. A stroke of that width vanishes; a filled loop or a blot
    leaves its core, which the brush then fills again."""
    ink = np.asarray(binary, np.float32)
    return np.array([grow(img, -max(1, round(stroke_width(img) / 2))) > 0.5 for img in ink]).reshape(ink.shape)


def centre_line_points(skeleton: np.ndarray) -> np.ndarray:
    """(m, 2) float (row, column) points along a one-pixel skeleton: its pixels, and between every two
    touching pixels three more, so the line stays continuous however much it is enlarged."""
    points = [np.argwhere(skeleton).astype(np.float32)]
    for dy, dx in ((0, 1), (1, 0), (1, 1), (1, -1)):
        a = skeleton[max(0, -dy):skeleton.shape[0] - max(0, dy), max(0, -dx):skeleton.shape[1] - max(0, dx)]
        b = skeleton[max(0, dy):, max(0, dx):][:a.shape[0], :a.shape[1]]
        start = np.argwhere(a & b).astype(np.float32) + (max(0, -dy), max(0, -dx))
        for t in (0.25, 0.5, 0.75):
            points.append(start + np.float32(t) * np.array([dy, dx], np.float32))
    return np.concatenate(points)


def place(points: np.ndarray, rng: np.random.Generator, height: float, brush: float,
          slant: float = 0.0, rotation: float = 0.0, *, longest: bool = False) -> np.ndarray:
    """The points slanted, turned, scaled to `height` canvas pixels high (or long, with `longest`) and put
    at a random place on the canvas, wholly inside it with room for the brush (a shape too wide for the
    canvas is shrunk)."""
    p = points - (points.min(axis=0) + points.max(axis=0)) / 2
    p[:, 1] -= slant * p[:, 0]  # rows grow downwards: the top leans right for a positive slant
    theta = np.deg2rad(rotation)
    turn = np.array([[np.cos(theta), np.sin(theta)], [-np.sin(theta), np.cos(theta)]], np.float32)
    p = p @ turn
    extent = np.maximum(p.max(axis=0) - p.min(axis=0), 1e-3)
    room = CANVAS - 2 * MARGIN - brush
    p *= min(height / (extent.max() if longest else extent[0]), room / extent.max())
    low, high = p.min(axis=0), p.max(axis=0)
    lo_shift = MARGIN + brush / 2 - low
    hi_shift = CANVAS - 1 - MARGIN - brush / 2 - high
    return p + rng.uniform(lo_shift, np.maximum(lo_shift, hi_shift))


def render(points: np.ndarray, brush: float) -> np.ndarray:
    """The canvas's RGBA image of a round brush of width `brush` dragged through `points` (row, column)."""
    radius = brush / 2
    step = max(1, int(radius // 3))  # discs this close overlap into a smooth stroke
    centres = np.unique(np.round(points / step).astype(np.int64), axis=0) * step
    r = int(np.ceil(radius))
    dy, dx = np.mgrid[-r:r + 1, -r:r + 1]
    inside = dy ** 2 + dx ** 2 <= radius ** 2
    rows = (centres[:, :1] + dy[inside]).ravel()
    cols = (centres[:, 1:] + dx[inside]).ravel()
    keep = (rows >= 0) & (rows < CANVAS) & (cols >= 0) & (cols < CANVAS)
    ink = np.zeros((CANVAS, CANVAS), np.uint8)
    ink[rows[keep], cols[keep]] = 255
    return canvas_image(ink)


def canvas_image(ink: np.ndarray) -> np.ndarray:
    """Grey ink (H, W) uint8 as the canvas returns it: RGBA, the ink in the colours, opaque everywhere."""
    image = np.empty((*ink.shape, 4), np.uint8)
    image[..., :3] = ink[..., None]
    image[..., 3] = 255
    return image


def drawn_digits(x_test: np.ndarray, y_test: np.ndarray, count: int, seed: int = 0,
                 chunk: int = 256) -> Iterator[Drawing]:
    """`count` test digits (an even share of every digit, picked at random) redrawn as canvas drawings.

    Give only MNIST's test set: the network must not have trained on them. Deterministic for a seed.
    """
    x_test, y_test = np.asarray(x_test), np.asarray(y_test)
    if x_test.ndim != 2 or x_test.shape[1] != 784 or len(x_test) != len(y_test):
        raise ValueError(f"expected test images (n, 784) and n labels, got {x_test.shape} and {y_test.shape}")
    if count < 1:
        raise ValueError(f"count must be at least 1, got {count}")
    rng = np.random.default_rng(seed)
    picks = _even_picks(y_test, count, rng)
    for first in range(0, len(picks), chunk):
        rows = picks[first:first + chunk]
        inked = upscale(x_test[rows]) > 0.5
        for row, skeleton, bold in zip(rows, thin(inked), bold_parts(inked)):
            points = np.concatenate([centre_line_points(skeleton), np.argwhere(bold).astype(np.float32)])
            yield Drawing(_redraw(points, rng), int(y_test[row]))


def _even_picks(labels: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """`count` positions, dealt in turn from each class's shuffled positions (an even share of each)."""
    classes = np.unique(labels)
    queues = [rng.permutation(np.flatnonzero(labels == c)) for c in classes]
    dealt = [q[i] for i in range(max(map(len, queues))) for q in queues if i < len(q)]
    return np.asarray(dealt[:count], np.int64)


def _redraw(points: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    brush = rng.uniform(*BRUSHES)
    placed = place(points, rng, rng.uniform(*HEIGHTS), brush, rng.uniform(-MAX_SLANT, MAX_SLANT),
                   rng.uniform(-MAX_ROTATION, MAX_ROTATION))
    return render(placed, brush)


def non_digits(count: int, seed: int = 0) -> Iterator[Drawing]:
    """`count` drawings that are not digits, the kinds in turn (see NON_DIGIT_KINDS). Deterministic."""
    if count < 1:
        raise ValueError(f"count must be at least 1, got {count}")
    rng = np.random.default_rng(seed)
    makers = {"scribble": _scribble, "letter": _letter, "line": _line, "dot": _dots, "blob": _blob}
    for i in range(count):
        kind = NON_DIGIT_KINDS[i % len(NON_DIGIT_KINDS)]
        yield Drawing(makers[kind](rng), kind)


def polyline(vertices, spacing: float = 0.01) -> np.ndarray:
    """Points every `spacing` along straight segments through `vertices` ((row, column) pairs)."""
    v = np.asarray(vertices, np.float32)
    parts = [a + np.linspace(0, 1, max(2, int(np.hypot(*(b - a)) / spacing)), dtype=np.float32)[:, None] * (b - a)
             for a, b in zip(v[:-1], v[1:])]
    return np.concatenate(parts)


def _brushed(points: np.ndarray, rng: np.random.Generator, height: float | None = None) -> np.ndarray:
    brush = rng.uniform(*BRUSHES)
    return render(place(points, rng, height or rng.uniform(*HEIGHTS), brush, rng.uniform(-0.2, 0.2)), brush)


def _scribble(rng: np.random.Generator) -> np.ndarray:
    """A tangle: a closed curve of a few random sine waves per axis, crossing itself many times."""
    t = np.linspace(0, 2 * np.pi, 1500, dtype=np.float32)[:, None]
    freq = rng.integers(2, 7, size=(2, 3))
    phase = rng.uniform(0, 2 * np.pi, size=(2, 3))
    amp = rng.uniform(0.3, 1.0, size=(2, 3))
    curve = [(amp[k] * np.sin(freq[k] * t + phase[k])).sum(axis=1) for k in range(2)]
    return _brushed(np.stack(curve, axis=1).astype(np.float32), rng)


def _letter(rng: np.random.Generator) -> np.ndarray:
    strokes = LETTERS[list(LETTERS)[rng.integers(len(LETTERS))]]
    return _brushed(np.concatenate([polyline(s) for s in strokes]), rng)


def _line(rng: np.random.Generator) -> np.ndarray:
    """A straight stroke at least 60 degrees away from upright (an upright one is a 1)."""
    angle = np.deg2rad(rng.uniform(60, 120))
    end = np.array([np.cos(angle), np.sin(angle)], np.float32)
    brush = rng.uniform(*BRUSHES)
    points = polyline([-end, end])
    return render(place(points, rng, rng.uniform(*HEIGHTS), brush, longest=True), brush)


def _dots(rng: np.random.Generator) -> np.ndarray:
    """One to three dabs of the brush."""
    points = rng.uniform(0, 1, size=(rng.integers(1, 4), 2)).astype(np.float32)
    brush = rng.uniform(*BRUSHES)
    return render(place(points, rng, rng.uniform(20, 120), brush, longest=True), brush)


def _blob(rng: np.random.Generator) -> np.ndarray:
    """A filled, lumpy disc: its radius wobbles with a few random harmonics around the centre."""
    side = rng.uniform(*HEIGHTS)
    yy, xx = np.mgrid[0:CANVAS, 0:CANVAS].astype(np.float32)
    centre = rng.uniform(side / 2 + MARGIN, CANVAS - side / 2 - MARGIN, size=2)
    angle = np.arctan2(yy - centre[0], xx - centre[1])
    k = np.arange(2, 5)[:, None, None]
    wobble = (rng.uniform(0, 0.15, (3, 1, 1)) * np.cos(k * angle + rng.uniform(0, 2 * np.pi, (3, 1, 1)))).sum(0)
    radius = side / 2 * (0.8 + wobble)
    ink = (np.hypot(yy - centre[0], xx - centre[1]) <= radius).astype(np.uint8) * 255
    return canvas_image(ink)
