"""Image resampling primitives shared by preprocessing and augmentation.

Two ways of reading an image at new positions, both pure NumPy:

* area (box-filter) resizing, written as two small matrices so that resizing
  is just ``R_y @ img @ R_x.T`` -- this is what makes shrinking a big canvas
  drawing anti-aliased instead of jagged;
* bilinear sampling at arbitrary (fractional) coordinates, for a whole batch
  at once -- this is what shifts, rotates and scales images.

Coordinates are pixel indices: pixel ``(r, c)`` is centred at ``(r, c)``.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np


@lru_cache(maxsize=4096)
def area_resize_matrix(n_in: int, n_out: int) -> np.ndarray:
    """Weights mapping ``n_in`` pixels onto ``n_out`` pixels by area averaging.

    Lay both rows of pixels over the same unit-length segment: output pixel
    ``i`` covers ``[i * s, (i + 1) * s)`` in input-pixel units, ``s = n_in / n_out``.
    Its value is the average of the input pixels weighted by how much of each
    it covers, so row ``i`` of the returned ``(n_out, n_in)`` matrix holds
    those overlaps divided by ``s`` and sums to 1. The same formula shrinks
    (each output averages several inputs) and enlarges (each output sits
    inside one input, or straddles two). Kept per size pair (a drawing needs
    four), read-only.
    """
    if n_in < 1 or n_out < 1:
        raise ValueError(f"sizes must be >= 1, got n_in={n_in}, n_out={n_out}")
    s = n_in / n_out
    lo = np.arange(n_out)[:, None] * s  # output pixel i covers [lo, hi)
    hi = lo + s
    j = np.arange(n_in)[None, :]  # input pixel j covers [j, j + 1)
    overlap = np.clip(np.minimum(hi, j + 1) - np.maximum(lo, j), 0.0, None)
    matrix = (overlap / s).astype(np.float32)
    matrix.flags.writeable = False
    return matrix


def resize_area(img: np.ndarray, height: int, width: int) -> np.ndarray:
    """Resize a 2-D image to ``(height, width)`` with area averaging (anti-aliased)."""
    if img.ndim != 2:
        raise ValueError(f"expected a 2-D image, got shape {img.shape}")
    r_y = area_resize_matrix(img.shape[0], height)
    r_x = area_resize_matrix(img.shape[1], width)
    return r_y @ img.astype(np.float32, copy=False) @ r_x.T


def bilinear_sample(images: np.ndarray, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """Read each image at fractional positions, blending the 4 nearest pixels.

    ``images`` is ``(n, H, W)``; ``ys`` and ``xs`` are ``(n, P)`` row / column
    coordinates, one set per image. Returns ``(n, P)`` float32. Everything
    outside the image reads as 0, and positions within one pixel of the border
    fade smoothly to 0 instead of being cut off.
    """
    ys, xs = np.asarray(ys), np.asarray(xs)
    if images.ndim != 3:
        raise ValueError(f"expected images of shape (n, H, W), got {images.shape}")
    n, h, w = images.shape
    if ys.shape != xs.shape or ys.ndim != 2 or ys.shape[0] != n:
        raise ValueError(f"ys and xs must both be (n={n}, P), got {ys.shape} and {xs.shape}")

    # A one-pixel ring of zeros around every image gives "zero outside" for free:
    # clamping far-away coordinates onto the ring reads only zeros there.
    padded = np.zeros((n, h + 2, w + 2), dtype=np.float32)
    padded[:, 1:-1, 1:-1] = images
    ys = np.clip(ys, -1.0, h, dtype=np.float32)
    xs = np.clip(xs, -1.0, w, dtype=np.float32)
    # Top-left neighbour; capped at h - 1 so that its lower neighbour (at most
    # the zero ring at row h) still exists.
    y0 = np.floor(ys)
    x0 = np.floor(xs)
    np.minimum(y0, h - 1, out=y0)
    np.minimum(x0, w - 1, out=x0)
    # How far each point is towards its lower / right neighbour, in [0, 1].
    # ys and xs are our own clipped copies, so their memory is reused.
    wy = np.subtract(ys, y0, out=ys)
    wx = np.subtract(xs, x0, out=xs)

    # Flat index of each top-left neighbour in the padded batch: +1 row and
    # +1 column for the ring, plus where each image starts. The in-image part
    # is computed in float32 (exact below 2**24 pixels) and converted once.
    row = w + 2
    in_image = y0  # y0's memory, reused: y0 is not needed any more
    in_image *= row
    in_image += x0
    in_image += row + 1
    top_left = in_image.astype(np.intp)
    top_left += (np.arange(n, dtype=np.intp) * ((h + 2) * row))[:, None]
    # The other three neighbours: the same indices into shifted views.
    flat = padded.reshape(-1)
    top = _lerp(flat[top_left], flat[1:][top_left], wx)
    bottom = _lerp(flat[row:][top_left], flat[row + 1 :][top_left], wx)
    return _lerp(top, bottom, wy)


def _lerp(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    """``a + (b - a) * t``, computed in ``b``'s memory; exactly ``a`` where t == 0."""
    b -= a
    b *= t
    b += a
    return b
