"""Random small shifts, rotations and scalings of training images.

Hand-drawn digits are never placed, tilted or sized quite like MNIST's.
Showing the network slightly moved copies of every training image, fresh
each step, teaches it that those differences do not change the digit.
"""
from __future__ import annotations

import numpy as np

from .imaging import bilinear_sample

SIDE = 28
CENTRE = (SIDE - 1) / 2  # 13.5: the geometric centre of a 28x28 grid of pixel indices

# Every output pixel as a column (row, col, 1): an affine map is then one matrix product.
_GRID = np.vstack([np.indices((SIDE, SIDE)).reshape(2, -1), np.ones((1, SIDE * SIDE))]).astype(np.float32)


def transform_batch(
    x: np.ndarray, shift: np.ndarray, rotation: np.ndarray, scale: np.ndarray
) -> np.ndarray:
    """Move every image by its own shift, rotation and scale about the centre.

    ``x`` is ``(n, 784)``; ``shift`` is ``(n, 2)`` pixels as (down, right);
    ``rotation`` is ``(n,)`` degrees, positive turns the digit anticlockwise as
    displayed (row 0 at the top); ``scale`` is ``(n,)``, above 1 enlarges.
    The image is first scaled and rotated about its centre, then shifted.
    Returns a new ``(n, 784)`` float32 array; parts that come from outside the
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
    src = src.reshape(n, 2, SIDE * SIDE)
    out = bilinear_sample(x.reshape(n, SIDE, SIDE), src[:, 0], src[:, 1])
    return np.clip(out, 0.0, 1.0, out=out)


def augment_batch(
    x: np.ndarray,
    rng: np.random.Generator,
    *,
    max_shift: float = 2.0,
    max_rotation: float = 10.0,
    scale_range: tuple[float, float] = (0.9, 1.1),
) -> np.ndarray:
    """A randomly moved copy of a batch: each image its own shift, rotation, scale.

    Shift is uniform in +-``max_shift`` pixels on each axis, rotation uniform
    in +-``max_rotation`` degrees, scale uniform in ``scale_range``; sampling
    is bilinear with zeros outside. All randomness comes from ``rng``, so the
    same generator state gives the same batch.
    """
    x = _check_batch(x)
    lo, hi = scale_range
    if not (np.isfinite(max_shift) and max_shift >= 0):
        raise ValueError(f"max_shift must be >= 0, got {max_shift}")
    if not (np.isfinite(max_rotation) and max_rotation >= 0):
        raise ValueError(f"max_rotation must be >= 0 degrees, got {max_rotation}")
    if not (np.isfinite(lo) and np.isfinite(hi) and 0 < lo <= hi):
        raise ValueError(f"scale_range must be (low, high) with 0 < low <= high, got {scale_range}")

    n = x.shape[0]
    shift = rng.uniform(-max_shift, max_shift, size=(n, 2))
    rotation = rng.uniform(-max_rotation, max_rotation, size=n)
    scale = rng.uniform(lo, hi, size=n)
    return transform_batch(x, shift, rotation, scale)


def _check_batch(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 2 or x.shape[1] != SIDE * SIDE:
        raise ValueError(f"expected a batch of shape (n, {SIDE * SIDE}), got {x.shape}")
    return x
