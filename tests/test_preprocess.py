"""to_mnist must turn canvas drawings into images that look like MNIST digits."""
from __future__ import annotations

import gzip

import numpy as np
import pytest

from mlp.drawing.canvas_like import polyline, render
from mlp.drawing.imaging import area_resize_matrix, resize_area
from mlp.drawing.preprocess import DESLANT, STROKE_RATIO, center_of_mass, deslant, slant, stroke_width, to_mnist

N_MNIST = 20  # how many real test digits to re-process


def blank_canvas(size: int = 280) -> np.ndarray:
    """What the drawing canvas returns before anything is drawn: opaque black RGBA."""
    canvas = np.zeros((size, size, 4), dtype=np.uint8)
    canvas[..., 3] = 255
    return canvas


def paint(canvas: np.ndarray, rows: slice, cols: slice) -> np.ndarray:
    canvas[rows, cols, :3] = 255
    return canvas


def bbox_size(img: np.ndarray) -> tuple[int, int]:
    rows = np.flatnonzero(img.any(axis=1))
    cols = np.flatnonzero(img.any(axis=0))
    return int(rows[-1] - rows[0] + 1), int(cols[-1] - cols[0] + 1)


def seven(top: int, left: int) -> np.ndarray:
    """A '7' of two thick strokes, 150 px tall, with its corner at (top, left)."""
    canvas = paint(blank_canvas(), slice(top, top + 20), slice(left, left + 100))
    for k in range(130):  # the diagonal, one canvas row at a time (test set-up only)
        c = left + 80 - k * 60 // 130
        canvas[top + 20 + k, c : c + 20, :3] = 255
    return canvas


def geometry(canvas: np.ndarray) -> np.ndarray | None:
    """to_mnist with the strokes and slant kept as drawn: cropping, fitting and centring alone."""
    return to_mnist(canvas, stroke_ratio=None, slant_kept=1)


def assert_centred(img: np.ndarray) -> None:
    cy, cx = center_of_mass(img)
    # whole-pixel shift, like MNIST: within half a pixel of (14, 14)
    assert abs(cy - 14) <= 0.5 + 1e-6 and abs(cx - 14) <= 0.5 + 1e-6, (cy, cx)


def test_tall_bar_in_a_corner_is_fitted_and_centred():
    out = geometry(paint(blank_canvas(), slice(5, 65), slice(210, 230)))  # 60 x 20 bar
    assert out is not None
    assert out.shape == (28, 28) and out.dtype == np.float32
    assert out.min() >= 0.0 and out.max() == 1.0
    height, width = bbox_size(out)
    assert height == 20
    assert abs(width - 7) <= 1  # 20 * 20 / 60, keeping the aspect ratio
    assert_centred(out)


def test_wide_shape_is_fitted_by_its_width():
    out = geometry(paint(blank_canvas(), slice(200, 220), slice(10, 70)))  # 20 x 60 bar
    height, width = bbox_size(out)
    assert width == 20 and abs(height - 7) <= 1
    assert_centred(out)


def test_seven_is_centred_and_peaks_at_one():
    out = geometry(seven(10, 10))
    assert bbox_size(out)[0] == 20
    assert out.max() == 1.0
    assert_centred(out)


def test_position_on_the_canvas_does_not_matter():
    np.testing.assert_allclose(to_mnist(seven(10, 10)), to_mnist(seven(110, 150)), atol=1e-6)


def test_thin_strokes_on_a_big_canvas_still_reach_full_intensity():
    canvas = paint(blank_canvas(560), slice(50, 500), slice(300, 308))  # 450 x 8 px line
    out = to_mnist(canvas)
    assert out.max() == 1.0
    assert bbox_size(out)[0] == 20


def test_grey_rgb_rgba_uint8_and_float_inputs_agree():
    rgba = seven(30, 60)
    expected = to_mnist(rgba)
    grey = rgba[..., 0]
    for variant in (rgba[..., :3], grey, grey[..., None], grey / 255.0, rgba / np.float32(255)):
        np.testing.assert_allclose(to_mnist(variant), expected, atol=1e-5)


def test_coloured_ink_counts_by_its_brightness():
    canvas = seven(30, 60)
    canvas[..., 1:3] = 0  # pure red ink: luminance 0.299
    out = to_mnist(canvas)
    np.testing.assert_allclose(out, to_mnist(seven(30, 60)), atol=1e-5)  # max rescaled to 1


def test_fully_transparent_pixels_are_background():
    canvas = seven(30, 60)
    canvas[..., 3] = np.where(canvas[..., 0] > 0, 255, 0)  # transparent background...
    canvas[canvas[..., 3] == 0, :3] = 255  # ...even though its colour is white
    np.testing.assert_allclose(to_mnist(canvas), to_mnist(seven(30, 60)), atol=1e-6)


def test_ink_that_would_fall_off_the_frame_is_kept_inside():
    # A heavy top bar with a hair-thin stem: the centre of mass sits near the
    # top of the 20 px box, so centring it would push the stem off the bottom.
    canvas = paint(blank_canvas(), slice(20, 60), slice(40, 240))
    paint(canvas, slice(60, 240), slice(139, 141))
    out = to_mnist(canvas)
    assert bbox_size(out)[0] == 20
    assert out[-1].max() > 0  # the stem reaches the bottom row instead of vanishing
    assert center_of_mass(out)[0] < 13.5  # centring was limited, on purpose


@pytest.mark.parametrize(
    "canvas",
    [
        blank_canvas(),
        paint(blank_canvas(), slice(140, 141), slice(140, 141)),  # one pixel
        np.zeros((1, 1), dtype=np.uint8) + 255,  # a 1x1 canvas, fully inked
        np.zeros((280, 280)),  # float, empty
    ],
)
def test_empty_drawings_give_none(canvas):
    assert to_mnist(canvas) is None


def test_a_single_brush_dot_gives_none():
    yy, xx = np.mgrid[:280, :280]
    canvas = blank_canvas()
    canvas[(yy - 100) ** 2 + (xx - 200) ** 2 <= 10**2, :3] = 255  # a click with a 20 px brush
    assert to_mnist(canvas) is None
    assert to_mnist(canvas, min_ink=1.0) is not None


@pytest.mark.parametrize(
    "bad",
    [
        np.zeros(280, dtype=np.uint8),
        np.zeros((2, 28, 28, 4), dtype=np.uint8),
        np.zeros((280, 280, 2), dtype=np.uint8),
        np.zeros((280, 280, 5), dtype=np.uint8),
        np.zeros((0, 280, 4), dtype=np.uint8),
        np.full((28, 28), 255.0),  # float must be 0-1
        np.full((28, 28), np.nan),
        np.full((28, 28), "x"),
    ],
)
def test_bad_input_raises_value_error(bad):
    with pytest.raises(ValueError):
        to_mnist(bad)


def test_center_of_mass_uses_pixel_indices():
    img = np.zeros((5, 7))
    img[1, 2] = 1.0
    img[3, 6] = 3.0
    assert center_of_mass(img) == pytest.approx((2.5, 5.0))
    with pytest.raises(ValueError):
        center_of_mass(np.zeros((3, 3)))


def test_area_resize_rows_sum_to_one_both_ways():
    for n_in, n_out in [(280, 20), (60, 20), (7, 20), (3, 3), (150, 7)]:
        r = area_resize_matrix(n_in, n_out)
        assert r.shape == (n_out, n_in)
        np.testing.assert_allclose(r.sum(axis=1), 1.0, rtol=1e-5)


def test_area_resize_undoes_block_upscaling():
    img = np.random.default_rng(0).random((20, 14)).astype(np.float32)
    np.testing.assert_allclose(resize_area(np.kron(img, np.ones((10, 10))), 20, 14), img, atol=1e-5)


def test_real_mnist_digits_come_back_nearly_unchanged(mnist_dir):
    with gzip.open(mnist_dir / "t10k-images-idx3-ubyte.gz") as f:
        digits = np.frombuffer(f.read(16 + 784 * N_MNIST), np.uint8, offset=16).reshape(-1, 28, 28)
    bolder_or_finer = []
    for digit in digits:
        canvas = np.kron(digit, np.ones((10, 10), dtype=np.uint8))  # as if drawn on 280x280
        out = geometry(canvas)
        assert out is not None
        assert np.corrcoef(out.ravel(), digit.ravel())[0, 1] > 0.99
        bolder_or_finer.append(np.corrcoef(to_mnist(canvas, slant_kept=1).ravel(), digit.ravel())[0, 1])
    # with MNIST's stroke width restored, most come back nearly as they were; the finest are made bolder
    assert np.median(bolder_or_finer) > 0.97 and min(bolder_or_finer) > 0.75


def test_stroke_width_reads_the_width_of_a_long_bar():
    for width in (4, 10, 20):
        bar = np.zeros((60, 260), np.float32)
        bar[20:20 + width, 10:250] = 1
        assert abs(stroke_width(bar) - width) < 0.12 * width


def test_strokes_come_out_as_thick_as_mnist_whatever_the_brush():
    """The same path drawn with a fine and a wide brush: after preprocessing their strokes differ far
    less than as drawn, and both are near MNIST's width (STROKE_RATIO of the 20-pixel box)."""
    path = polyline([(0, 0.8), (0, 0), (1, 0.4)])  # a 7, in a unit box
    placed = 40 + 160 * path
    fine, wide = (to_mnist(render(placed, brush)) for brush in (8, 30))
    kept_fine, kept_wide = (to_mnist(render(placed, brush), stroke_ratio=None) for brush in (8, 30))
    assert stroke_width(kept_wide) / stroke_width(kept_fine) > 2
    assert stroke_width(wide) / stroke_width(fine) < 1.5
    for out in (fine, wide):
        assert abs(stroke_width(out) - STROKE_RATIO * 20) < 1.0


def test_a_thin_stroke_beside_bold_ones_is_not_peeled_away():
    canvas = paint(blank_canvas(), slice(20, 60), slice(40, 240))  # a bold bar
    paint(canvas, slice(60, 240), slice(139, 141))  # and a hairline stem under it
    out = to_mnist(canvas)
    assert bbox_size(out)[0] == 20  # the stem is still there


def leaning_one(lean: int, height: int = 200) -> np.ndarray:
    """A '1' drawn as a bar `height` px tall whose top is `lean` px right of its foot."""
    canvas = blank_canvas()
    for k in range(height):
        c = 128 + lean // 2 - k * lean // height
        canvas[40 + k, c:c + 24, :3] = 255
    return canvas


def test_most_of_a_slant_is_sheared_away_about_the_centre():
    kept, upright = to_mnist(leaning_one(80), slant_kept=1), to_mnist(leaning_one(80))
    assert slant(kept)[0] < -0.3  # the top leans right: columns fall as rows grow
    assert abs(slant(upright)[0] - (1 - DESLANT) * slant(kept)[0]) < 0.05
    assert abs(center_of_mass(upright)[1] - center_of_mass(kept)[1]) < 0.1
    assert upright.max() == 1.0


def test_an_upright_digit_is_left_as_it_is():
    bar = np.zeros((28, 28), np.float32)
    bar[4:24, 12:16] = 1
    np.testing.assert_allclose(deslant(bar), bar, atol=1e-6)


def test_a_stroke_leaning_more_than_45_degrees_is_no_slanted_digit():
    dash = to_mnist(leaning_one(200, height=100), slant_kept=1)  # 200 px across for 100 down
    assert slant(dash)[0] < -1
    np.testing.assert_array_equal(deslant(dash), dash)
