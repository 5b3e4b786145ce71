"""Turn a canvas drawing into a 28x28 image that looks like an MNIST digit.

The network only ever saw MNIST, so a drawing must go through the same steps
MNIST's authors applied to the NIST scans, or it will look foreign:

1. grey levels in [0, 1], white ink on black;
2. crop to the bounding box of the ink;
3. shrink (or enlarge) so the longer side is 20 pixels, keeping the aspect
   ratio, with area averaging -- this anti-aliasing is where MNIST's grey
   stroke edges come from;
4. paste into a 28x28 frame so that the centre of mass of the ink lands on
   pixel (14, 14), by a whole-pixel shift, as MNIST did;
5. stretch the grey levels so the brightest pixel is 1.0.

People slant their digits (and the canvas is often tilted towards them), more than MNIST's writers
did; after step 4 most of the slant is therefore sheared away (DESLANT).

A canvas brush has one width whatever the size of the digit, so a small digit drawn with a wide brush
arrives far bolder than any MNIST digit, and a large one with a fine brush far thinner. Before step 3
the strokes are therefore made as thick, relative to the digit's size, as MNIST's (STROKE_RATIO).
"""
from __future__ import annotations

import numpy as np

from .imaging import bilinear_sample, resize_area

SIZE = 28  # side of the output frame
BOX = 20  # the longer side of the digit is fitted to this
CENTRE = 14.0  # where MNIST puts the centre of mass (row and column index)
INK_THRESHOLD = 0.05  # grey level above which a pixel counts for the bounding box
DEFAULT_MIN_INK = 5.0  # in 28x28-pixel units; the faintest MNIST digit has ~22

STROKE_RATIO = 0.11  # median stroke width over the longer side of MNIST's test digits (see stroke_width)
WORK_SIDE = 80  # thickness is changed at this size (the longer side), four times MNIST's 20-pixel box
MAX_GROW = 4  # at most this many WORK_SIDE pixels grown on each side of a stroke
MAX_PEEL = 2  # or peeled: peeling more erased the thin parts of drawings more than it helped the bold ones

# Share of a drawing's slant sheared away. Measured on bench/drawn_digits.py's drawings (3,000, seed 0):
# none 96.9% (quick network) and 95.8% (default); all of it 97.5% and 96.4%; 0.7 of it 97.6% and 96.7%.
DESLANT = 0.7
MAX_SLANT = 1.0  # a stroke leaning more than 45 degrees is no slanted digit (a dash, a line): left as drawn

_LUMA = (0.299, 0.587, 0.114)  # ITU-R BT.601 weights for R, G, B


def center_of_mass(img: np.ndarray) -> tuple[float, float]:
    """Intensity-weighted mean (row, column) of a 2-D image, in pixel indices.

    Pixel (r, c) sits at (r, c), so a 28x28 MNIST digit has its centre of mass
    within half a pixel of (14, 14). An all-zero image has no centre: ValueError.
    """
    img = np.asarray(img, dtype=np.float64)
    if img.ndim != 2:
        raise ValueError(f"expected a 2-D image, got shape {img.shape}")
    total = img.sum()
    if total <= 0:
        raise ValueError("the image has no ink, so no centre of mass")
    rows = img.sum(axis=1) @ np.arange(img.shape[0]) / total
    cols = img.sum(axis=0) @ np.arange(img.shape[1]) / total
    return float(rows), float(cols)


def to_grey(image: np.ndarray) -> np.ndarray:
    """Grey levels in [0, 1] (float32, (H, W)) from a grey, RGB or RGBA image.

    Integer images are read as 0-255, float images must already be in [0, 1].
    For RGBA only the colours count, except that fully transparent pixels are
    background whatever their colour.
    """
    image = np.asarray(image)
    if image.ndim not in (2, 3):
        raise ValueError(f"expected an (H, W), (H, W, 3) or (H, W, 4) image, got shape {image.shape}")
    if image.ndim == 3 and image.shape[2] not in (1, 3, 4):
        raise ValueError(f"expected 1, 3 (RGB) or 4 (RGBA) channels, got {image.shape[2]}")
    if image.size == 0:
        raise ValueError(f"the image is empty (shape {image.shape})")

    if image.dtype == np.bool_ or np.issubdtype(image.dtype, np.integer):
        scale = np.float32(1 / 255) if image.dtype != np.bool_ else np.float32(1)
    elif np.issubdtype(image.dtype, np.floating):
        scale = np.float32(1)
        lo, hi = float(image.min()), float(image.max())
        if not (np.isfinite(lo) and np.isfinite(hi)):
            raise ValueError("the image contains NaN or infinite values")
        if lo < -1e-3 or hi > 1 + 1e-3:
            raise ValueError(f"a float image must hold values in [0, 1], got [{lo:g}, {hi:g}]")
    else:
        raise ValueError(f"unsupported pixel type {image.dtype}")

    if image.ndim == 2 or image.shape[2] == 1:
        grey = image.reshape(image.shape[:2]).astype(np.float32) * scale
    else:
        # Three scalar multiply-adds are ~2x faster than a (H, W, 3) @ (3,) product.
        r, g, b = (image[..., k] * np.float32(w * scale) for k, w in enumerate(_LUMA))
        grey = r + g + b
        if image.shape[2] == 4:
            grey[image[..., 3] == 0] = 0.0
    return np.clip(grey, 0.0, 1.0, out=grey)


def to_mnist(image: np.ndarray, *, min_ink: float = DEFAULT_MIN_INK,
             stroke_ratio: float | None = STROKE_RATIO, slant_kept: float = 1 - DESLANT) -> np.ndarray | None:
    """Make a 28x28 float32 MNIST-style image in [0, 1] from a drawing, or None.

    ``image``: white ink on black, (H, W) grey, (H, W, 3) RGB or (H, W, 4) RGBA,
    uint8 0-255 or float 0-1, any size.

    Returns None when there is too little ink to be a digit (an empty canvas,
    a stray click): total ink below ``min_ink``, measured in pixels of a 28x28
    frame -- as if the whole canvas were shrunk to 28x28 -- so the threshold
    means the same on any canvas size (images smaller than 28x28 count their
    own pixels). A brush dot is a few such pixels; a real digit has 20 or more.

    Centring uses MNIST's own rule: a whole-pixel shift that brings the centre
    of mass within half a pixel of (14, 14). A sub-pixel (interpolated) shift
    would centre exactly but blur the strokes, which MNIST digits are not.
    When centring would push ink out of the frame, the shift is limited so
    the whole 20-pixel box stays inside.

    ``stroke_ratio``: the stroke width, relative to the longer side, the
    strokes are brought to first (see with_stroke_ratio); None keeps them.
    ``slant_kept``: the share of the digit's slant left after centring (see deslant); 1 keeps it all.
    """
    return grey_to_mnist(to_grey(image), min_ink=min_ink, stroke_ratio=stroke_ratio, slant_kept=slant_kept)


def grey_to_mnist(grey: np.ndarray, *, min_ink: float = DEFAULT_MIN_INK, stroke_ratio: float | None = STROKE_RATIO,
                  slant_kept: float = 1 - DESLANT) -> np.ndarray | None:
    """to_mnist of a drawing already made grey by to_grey (for a caller that needs the grey image too)."""
    h, w = grey.shape
    ink = float(grey.sum()) * SIZE * SIZE / max(h * w, SIZE * SIZE)
    if ink < min_ink:
        return None
    box = _ink_box(grey)
    if box is None:  # all ink is fainter than the threshold: nothing drawn
        return None
    crop = grey[box]
    if stroke_ratio is not None:
        crop = with_stroke_ratio(crop, stroke_ratio)

    ch, cw = crop.shape
    factor = BOX / max(ch, cw)
    small = resize_area(crop, max(1, round(ch * factor)), max(1, round(cw * factor)))

    sh, sw = small.shape
    cy, cx = center_of_mass(small)
    top = min(max(_nearest_int(CENTRE - cy), 0), SIZE - sh)
    left = min(max(_nearest_int(CENTRE - cx), 0), SIZE - sw)
    out = np.zeros((SIZE, SIZE), dtype=np.float32)
    out[top : top + sh, left : left + sw] = small / small.max()
    return out if slant_kept == 1 else deslant(out, 1 - slant_kept)


def slant(img: np.ndarray) -> tuple[float, float]:
    """The ink's slant (columns moved per row down: negative when the top leans right, from its second
    moments) and the row of its centre of mass."""
    rows, cols = np.indices(img.shape, dtype=np.float32)
    total = max(float(img.sum()), 1e-6)
    cy, cx = float((img * rows).sum()) / total, float((img * cols).sum()) / total
    dy = rows - cy
    return float((img * dy * (cols - cx)).sum() / max(float((img * dy * dy).sum()), 1e-6)), cy


def deslant(img: np.ndarray, amount: float = DESLANT) -> np.ndarray:
    """The 2-D image sheared along its rows, about its centre of mass (which stays put), so that `amount`
    of its slant is gone (1: upright), the brightest pixel again at 1. Beyond MAX_SLANT it is left as is."""
    s, cy = slant(img)
    if abs(s) > MAX_SLANT:
        return img
    rows, cols = np.indices(img.shape, dtype=np.float32)
    src = cols + np.float32(amount * s) * (rows - np.float32(cy))
    out = bilinear_sample(img[None], rows.reshape(1, -1), src.reshape(1, -1)).reshape(img.shape)
    return out / max(float(out.max()), 1e-6)


def stroke_width(img: np.ndarray) -> float:
    """The mean width of the strokes of a grey image, in its pixels: twice the ink over the length of
    the ink's outline (the total variation), as a stroke of width w and length L has area w L and an
    outline about 2 L long. Exact for long straight strokes, close for digits."""
    outline = np.hypot(np.diff(img, axis=0)[:, :-1], np.diff(img, axis=1)[:-1]).sum()
    return float(2 * img.sum() / max(outline, 1e-6))


def with_stroke_ratio(crop: np.ndarray, ratio: float) -> np.ndarray:
    """The cropped drawing at WORK_SIDE pixels (the longer side), its strokes grown or peeled on each
    side until their width is `ratio` of that side (within MAX_GROW and MAX_PEEL pixels), cropped
    again. A peeling that would erase a part of the drawing (a thin stroke beside bold ones) is not done."""
    factor = WORK_SIDE / max(crop.shape)
    work = resize_area(crop, max(1, round(crop.shape[0] * factor)), max(1, round(crop.shape[1] * factor)))
    change = float(np.clip((ratio * WORK_SIDE - stroke_width(work)) / 2, -MAX_PEEL, MAX_GROW))
    work = np.pad(work, MAX_GROW + 1)
    changed = grow(work, change)
    box, new_box = _ink_box(work), _ink_box(changed)
    if new_box is None or any(b - n > 2 * abs(change) + 2 for b, n in zip(_sides(box), _sides(new_box))):
        return crop
    return changed[new_box]


def grow(img: np.ndarray, change: float) -> np.ndarray:
    """The 2-D image with its ink grown (change > 0) or peeled (< 0) by |change| pixels on each side; a
    fraction blends."""
    pick = np.maximum if change > 0 else np.minimum
    whole, part = divmod(abs(change), 1.0)
    for _ in range(int(whole)):
        img = _neighbourhood(img, pick)
    return img + np.float32(part) * (_neighbourhood(img, pick) - img)


def _ink_box(img: np.ndarray) -> tuple[slice, slice] | None:
    """The rows and columns holding ink (above INK_THRESHOLD), or None."""
    inked = img > INK_THRESHOLD
    rows, cols = np.flatnonzero(inked.any(axis=1)), np.flatnonzero(inked.any(axis=0))
    return None if rows.size == 0 else (slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))


def _sides(box: tuple[slice, slice]) -> tuple[int, int]:
    return box[0].stop - box[0].start, box[1].stop - box[1].start


def _neighbourhood(img: np.ndarray, pick) -> np.ndarray:
    """The brightest (pick=np.maximum) or darkest pixel of each 3x3 neighbourhood, in two 1-D passes."""
    rows = pick(pick(img[:-2], img[1:-1]), img[2:])
    out = img.copy()
    out[1:-1] = rows
    cols = pick(pick(out[:, :-2], out[:, 1:-1]), out[:, 2:])
    out[:, 1:-1] = cols
    return out


def _nearest_int(v: float) -> int:
    """Round half up, with ties decided the same way despite float noise.

    A symmetric drawing often has its centre of mass exactly half-way between
    two pixels; without the tolerance, grey, colour and float versions of the
    same drawing could be placed one pixel apart.
    """
    return int(np.floor(v + 0.5 + 1e-6))
