"""The canvas-like test set: test digits redrawn as the canvas draws, and non-digits, reproducibly."""
from __future__ import annotations

import gzip

import numpy as np
import pytest

from mlp.drawing.canvas_like import (CANVAS, NON_DIGIT_KINDS, bold_parts, drawn_digits, non_digits, render, thin,
                              upscale)
from mlp.drawing.preprocess import to_mnist

N = 40


@pytest.fixture(scope="module")
def test_digits(mnist_dir) -> tuple[np.ndarray, np.ndarray]:
    """The first 200 MNIST test digits and their labels."""
    with gzip.open(mnist_dir / "t10k-images-idx3-ubyte.gz") as f:
        x = np.frombuffer(f.read(16 + 784 * 200), np.uint8, offset=16).reshape(200, 784) / np.float32(255)
    with gzip.open(mnist_dir / "t10k-labels-idx1-ubyte.gz") as f:
        y = np.frombuffer(f.read(8 + 200), np.uint8, offset=8).astype(np.int64)
    return x.astype(np.float32), y


def test_same_seed_same_drawings_other_seed_others(test_digits):
    first = [d.image for d in drawn_digits(*test_digits, 12, seed=3)]
    again = [d.image for d in drawn_digits(*test_digits, 12, seed=3)]
    other = [d.image for d in drawn_digits(*test_digits, 12, seed=4)]
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not all(np.array_equal(a, b) for a, b in zip(first, other))
    kinds = [d.label for d in non_digits(10, seed=1)]
    assert [np.array_equal(a.image, b.image) for a, b in zip(non_digits(10, seed=1), non_digits(10, seed=1))] == [True] * 10
    assert kinds == list(NON_DIGIT_KINDS) * 2


def test_drawings_look_like_the_canvas_and_keep_inside_it(test_digits):
    for drawing in (*drawn_digits(*test_digits, N, seed=0), *non_digits(N, seed=0)):
        image = drawing.image
        assert image.shape == (CANVAS, CANVAS, 4) and image.dtype == np.uint8
        assert (image[..., 3] == 255).all()  # opaque black background, as the canvas sends it
        assert (image[..., 0] == image[..., 1]).all() and (image[..., 1] == image[..., 2]).all()  # white ink
        assert set(np.unique(image[..., 0])) <= {0, 255}
        assert not image[0, :, 0].any() and not image[-1, :, 0].any()  # nothing touches the edge
        assert not image[:, 0, 0].any() and not image[:, -1, 0].any()


def test_every_digit_gets_an_even_share_and_only_the_digits_given(test_digits):
    x, y = test_digits
    labels = [d.label for d in drawn_digits(x, y, 50, seed=0)]
    assert np.bincount(labels, minlength=10).tolist() == [5] * 10
    only_sevens = [d.label for d in drawn_digits(x[y == 7], y[y == 7], 6, seed=0)]
    assert only_sevens == [7] * 6


def test_a_redrawn_digit_preprocessed_looks_like_the_original(test_digits):
    """Thinning and redrawing keeps the digit: through the app's preprocessing it overlaps its source."""
    x, y = test_digits
    zero = np.flatnonzero(y == 0)[:1]  # a 0: its ring survives any slant and size
    drawing = next(drawn_digits(x[zero], y[zero], 1, seed=0))
    seen = to_mnist(drawing.image)
    original = x[zero[0]].reshape(28, 28)
    assert seen is not None
    overlap = (seen * original).sum() / np.sqrt((seen ** 2).sum() * (original ** 2).sum())
    assert overlap > 0.5


def _eight_with_a_filled_loop() -> np.ndarray:
    """A 28x28 8 whose upper loop is an open ring of MNIST's stroke width and whose lower loop is filled."""
    rows, cols = np.indices((28, 28))
    ring = np.clip(1.5 - np.abs(np.hypot(rows - 9, cols - 14) - 5), 0, 1)
    blot = np.clip(5 - np.hypot(rows - 19.5, cols - 14), 0, 1)
    return np.maximum(ring, blot).astype(np.float32)


def test_only_the_parts_bolder_than_the_strokes_are_bold():
    eight = _eight_with_a_filled_loop()
    bold = bold_parts(upscale(eight.reshape(1, 784)) > 0.5)[0]
    where = np.argwhere(bold) / 3  # back to 28x28 pixels
    assert len(where) > 50
    assert (np.hypot(where[:, 0] - 19.5, where[:, 1] - 14) < 5).all()  # all inside the filled loop, none on the ring


def test_a_filled_loop_is_redrawn_filled_not_as_a_line():
    """Thinning alone leaves a line where the loop was filled (overlap with the original about 0.37)."""
    eight = _eight_with_a_filled_loop()
    for seed in range(4):
        seen = to_mnist(next(drawn_digits(eight.reshape(1, 784), np.array([8]), 1, seed=seed)).image)
        overlap = (seen * eight).sum() / np.sqrt((seen ** 2).sum() * (eight ** 2).sum())
        assert overlap > 0.6, seed


def test_thinning_leaves_one_pixel_lines_that_stay_connected():
    bar = np.zeros((1, 30, 30), bool)
    bar[0, 10:17, 3:27] = True  # a bar 7 pixels thick
    line = thin(bar)[0]
    assert line.any() and line.sum() < 30
    assert (line.sum(axis=0) <= 1).all()  # one pixel thick everywhere
    cols = np.flatnonzero(line.any(axis=0))
    assert np.array_equal(cols, np.arange(cols[0], cols[-1] + 1))  # no gap along the bar
    ring = np.zeros((1, 30, 30), bool)
    yy, xx = np.mgrid[:30, :30]
    ring[0] = (np.hypot(yy - 15, xx - 15) <= 10) & (np.hypot(yy - 15, xx - 15) >= 6)
    assert thin(ring)[0][15, 15] == 0 and thin(ring)[0].sum() > 30  # a ring stays a ring


def test_render_draws_a_round_brush_of_the_width_asked():
    image = render(np.array([[140.0, 140.0]], np.float32), 20)[..., 0] > 0
    rows, cols = np.flatnonzero(image.any(axis=1)), np.flatnonzero(image.any(axis=0))
    assert len(rows) == len(cols) == 21
    assert abs(image.sum() - np.pi * 10 ** 2) < 0.1 * np.pi * 10 ** 2


def test_bad_requests_are_refused_in_words(test_digits):
    with pytest.raises(ValueError, match="at least 1"):
        next(drawn_digits(*test_digits, 0))
    with pytest.raises(ValueError, match="784"):
        next(drawn_digits(test_digits[0][:, :100], test_digits[1], 5))
    with pytest.raises(ValueError, match="at least 1"):
        next(non_digits(0))
