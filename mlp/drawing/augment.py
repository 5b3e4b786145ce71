"""Random small shifts, rotations, scalings, elastic distortions and stroke-thickness changes of training images.

Hand-drawn digits are never placed, tilted, sized, bent or as thick as MNIST's.
Showing the network slightly changed copies of every training image, fresh
each step, teaches it that those differences do not change the digit.
"""
from __future__ import annotations

import numpy as np

from .imaging import bilinear_sample

SIDE = 28
CENTRE = (SIDE - 1) / 2  # 13.5: the geometric centre of a 28x28 grid of pixel indices

# Measured with bench/drawn_digits.py (see docs/drawings.md): what reads drawings best.
ELASTIC_ALPHA = 0.0
ELASTIC_SIGMA = 4.0
MAX_THICKNESS = 0.0

# Every output pixel as a column (row, col, 1): an affine map is then one matrix product.
_GRID = np.vstack([np.indices((SIDE, SIDE)).reshape(2, -1), np.ones((1, SIDE * SIDE))]).astype(np.float32)


def transform_batch(
    x: np.ndarray, shift: np.ndarray, rotation: np.ndarray, scale: np.ndarray,
    displacement: np.ndarray | None = None,
) -> np.ndarray:
    """Move every image by its own shift, rotation and scale about the centre.

    ``x`` is ``(n, 784)``; ``shift`` is ``(n, 2)`` pixels as (down, right);
    ``rotation`` is ``(n,)`` degrees, positive turns the digit anticlockwise as
    displayed (row 0 at the top); ``scale`` is ``(n,)``, above 1 enlarges.
    The image is first scaled and rotated about its centre, then shifted;
    `displacement` ((n, 2, 784) pixels) then moves where each output pixel
    reads from (an elastic distortion). Returns a new ``(n, 784)`` float32 array; parts that come from outside the
    image are 0.
    """
    x = _check_batch(x)
    n = x.shape[0]
    shift = np.asarray(shift, dtype=np.float64).reshape(n, 2)
    theta = np.deg2rad(np.asarray(rotation, dtype=np.float64)).reshape(n)
    inv_scale = 1 / np.asarray(scale, dtype=np.float64).reshape(n)

    # Work backwards: for each output pixel, find where it comes from in the
    # input and read there. With rows pointing down, turning the digit
    # anticlockwise by theta maps an offset (dy, dx) from the centre to
    # (cos*dy - sin*dx, sin*dy + cos*dx); the source offset is the inverse
    # turn of (output - centre - shift), divided by the scale.
    cos, sin = np.cos(theta) * inv_scale, np.sin(theta) * inv_scale
    back = np.empty((n, 2, 3))  # one 2x3 affine matrix per image: output -> source
    back[:, 0, 0], back[:, 0, 1] = cos, sin
    back[:, 1, 0], back[:, 1, 1] = -sin, cos
    offset = CENTRE + shift  # (n, 2): output position of the source centre
    back[:, :, 2] = CENTRE - np.einsum("nij,nj->ni", back[:, :, :2], offset)
    src = back.reshape(2 * n, 3).astype(np.float32) @ _GRID  # (2n, 784): one BLAS call
    return _sample(x, src.reshape(n, 2, SIDE * SIDE), displacement)


def _sample(x: np.ndarray, src: np.ndarray, displacement: np.ndarray | None) -> np.ndarray:
    """Read each image (n, 784) at its source positions (n, 2, 784), moved by `displacement` if given."""
    if displacement is not None:
        src = src + displacement
    out = bilinear_sample(x.reshape(len(x), SIDE, SIDE), src[:, 0], src[:, 1])
    return np.clip(out, 0.0, 1.0, out=out)


def _gaussian_matrix(sigma: float) -> np.ndarray:
    """(28, 28) rows of a normalised Gaussian: M @ img @ M.T blurs an image with zeros beyond its edge."""
    at = np.arange(SIDE, dtype=np.float32)
    weights = np.exp(-0.5 * ((at[:, None] - at[None, :]) / sigma) ** 2)
    return (weights / weights.sum(axis=1, keepdims=True)).astype(np.float32)


def elastic_displacement(n: int, rng: np.random.Generator, alpha: float, sigma: float) -> np.ndarray:
    """Simard et al. (2003)'s elastic distortion: random moves uniform in [-1, 1] per pixel and axis,
    smoothed by a normalised Gaussian of `sigma` pixels and scaled by `alpha` (their alpha 34, sigma 4
    moves pixels by about 1.4 pixels, smoothly enough to bend strokes without tearing them).
    Returns (n, 2, 784) offsets (rows, columns)."""
    noise = rng.uniform(-1, 1, size=(n * 2, SIDE, SIDE)).astype(np.float32)
    blur = _gaussian_matrix(sigma)
    field = blur @ noise @ blur.T
    field *= np.float32(alpha)
    return field.reshape(n, 2, SIDE * SIDE)


def change_thickness(x: np.ndarray, amount: np.ndarray) -> np.ndarray:
    """Thicker strokes for `amount` > 0, thinner for < 0 (per image, at most 1 pixel each side at |1|):
    a blend towards the brightest (or darkest) pixel of each 3x3 neighbourhood."""
    imgs = _check_batch(x).reshape(-1, SIDE, SIDE)
    padded = np.pad(imgs, ((0, 0), (1, 1), (1, 1)))
    around = [padded[:, 1 + dy:1 + dy + SIDE, 1 + dx:1 + dx + SIDE] for dy in (-1, 0, 1) for dx in (-1, 0, 1)]
    amount = np.asarray(amount, np.float32).reshape(-1, 1, 1)
    grow, shrink = np.maximum(amount, 0), np.maximum(-amount, 0)
    out = imgs + grow * (np.max(around, axis=0) - imgs) - shrink * (imgs - np.min(around, axis=0))
    return out.reshape(len(imgs), SIDE * SIDE)


def augment_batch(
    x: np.ndarray,
    rng: np.random.Generator,
    *,
    max_shift: float = 2.0,
    max_rotation: float = 10.0,
    scale_range: tuple[float, float] = (0.9, 1.1),
    elastic: float = ELASTIC_ALPHA,
    elastic_sigma: float = ELASTIC_SIGMA,
    max_thickness: float = MAX_THICKNESS,
) -> np.ndarray:
    """A randomly changed copy of a batch: each image its own shift, rotation, scale, bending, thickness.

    Shift is uniform in +-``max_shift`` pixels on each axis, rotation uniform
    in +-``max_rotation`` degrees, scale uniform in ``scale_range``; an elastic
    distortion of strength ``elastic`` (0: none) and smoothness ``elastic_sigma``
    (see elastic_displacement); a thickness change uniform in +-``max_thickness``
    (see change_thickness). Sampling is bilinear with zeros outside. All
    randomness comes from ``rng``, so the same generator state gives the same batch.
    """
    x = _check_batch(x)
    _check_ranges(max_shift, max_rotation, scale_range, elastic, elastic_sigma, max_thickness)
    lo, hi = scale_range
    n = x.shape[0]
    shift = rng.uniform(-max_shift, max_shift, size=(n, 2))
    rotation = rng.uniform(-max_rotation, max_rotation, size=n)
    scale = rng.uniform(lo, hi, size=n)
    bend = elastic_displacement(n, rng, elastic, elastic_sigma) if elastic > 0 else None
    out = transform_batch(x, shift, rotation, scale, bend)
    if max_thickness > 0:
        out = change_thickness(out, rng.uniform(-max_thickness, max_thickness, size=n))
    return out


def _check_ranges(max_shift: float, max_rotation: float, scale_range: tuple[float, float], elastic: float,
                  elastic_sigma: float, max_thickness: float) -> None:
    lo, hi = scale_range
    if not (np.isfinite(max_shift) and max_shift >= 0):
        raise ValueError(f"max_shift must be >= 0, got {max_shift}")
    if not (np.isfinite(max_rotation) and max_rotation >= 0):
        raise ValueError(f"max_rotation must be >= 0 degrees, got {max_rotation}")
    if not (np.isfinite(lo) and np.isfinite(hi) and 0 < lo <= hi):
        raise ValueError(f"scale_range must be (low, high) with 0 < low <= high, got {scale_range}")
    if not (np.isfinite(elastic) and elastic >= 0 and np.isfinite(elastic_sigma) and elastic_sigma > 0):
        raise ValueError(f"elastic must be >= 0 and elastic_sigma > 0, got {elastic} and {elastic_sigma}")
    if not (np.isfinite(max_thickness) and 0 <= max_thickness <= 1):
        raise ValueError(f"max_thickness must be from 0 to 1, got {max_thickness}")


def _check_batch(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 2 or x.shape[1] != SIDE * SIDE:
        raise ValueError(f"expected a batch of shape (n, {SIDE * SIDE}), got {x.shape}")
    return x
