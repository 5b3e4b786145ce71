"""augment_batch must move digits around in controlled, reproducible ways."""
from __future__ import annotations

import gzip

import numpy as np
import pytest

from mlp.drawing.augment import augment_batch, change_thickness, elastic_displacement, transform_batch
from mlp.drawing.imaging import bilinear_sample
from mlp.drawing.preprocess import center_of_mass

IDENTITY = dict(max_shift=0.0, max_rotation=0.0, scale_range=(1.0, 1.0))


@pytest.fixture(scope="module")
def digits(mnist_dir) -> np.ndarray:
    """The first 64 MNIST test digits as a (64, 784) float32 batch in [0, 1]."""
    with gzip.open(mnist_dir / "t10k-images-idx3-ubyte.gz") as f:
        raw = np.frombuffer(f.read(16 + 784 * 64), np.uint8, offset=16)
    return (raw.reshape(64, 784) / np.float32(255)).astype(np.float32)


def with_margin(batch: np.ndarray, margin: int) -> np.ndarray:
    """The images whose ink stays ``margin`` pixels away from every edge (room to move)."""
    imgs = batch.reshape(-1, 28, 28)
    inner = np.zeros((28, 28), dtype=bool)
    inner[margin:-margin, margin:-margin] = True
    return batch[~(imgs[:, ~inner] > 0).any(axis=1)]


def dot_at(row: int, col: int) -> np.ndarray:
    """A (1, 784) batch holding a 2x2 blob whose centre of mass is (row + .5, col + .5)."""
    img = np.zeros((28, 28), dtype=np.float32)
    img[row : row + 2, col : col + 2] = 1.0
    return img.reshape(1, 784)


def com(flat: np.ndarray) -> np.ndarray:
    return np.array(center_of_mass(flat.reshape(28, 28)))


def test_shape_dtype_range_and_input_untouched(digits):
    before = digits.copy()
    out = augment_batch(digits, np.random.default_rng(0))
    assert out.shape == digits.shape and out.dtype == np.float32
    assert out.min() >= 0.0 and out.max() <= 1.0
    np.testing.assert_array_equal(digits, before)
    assert not np.array_equal(out, digits)


def test_same_seed_same_batch_other_seed_other_batch(digits):
    a = augment_batch(digits, np.random.default_rng(42))
    b = augment_batch(digits, np.random.default_rng(42))
    c = augment_batch(digits, np.random.default_rng(43))
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_identity_settings_return_the_input(digits):
    out = augment_batch(digits, np.random.default_rng(0), **IDENTITY)
    np.testing.assert_allclose(out, digits, atol=1e-6)


def test_each_image_gets_its_own_transform(digits):
    same = np.repeat(digits[:1], 8, axis=0)
    out = augment_batch(same, np.random.default_rng(0))
    assert len({o.tobytes() for o in out}) == 8


def test_whole_pixel_shift_moves_the_centre_of_mass_exactly(digits):
    roomy = with_margin(digits, 2)
    n = len(roomy)
    assert n >= 10
    moved = transform_batch(roomy, np.tile([2.0, -1.0], (n, 1)), np.zeros(n), np.ones(n))
    for before, after in zip(roomy, moved):
        np.testing.assert_allclose(com(after) - com(before), [2.0, -1.0], atol=1e-4)


def test_random_shifts_stay_within_max_shift(digits):
    roomy = with_margin(digits, 3)  # a 2.x px shift cannot push their ink off
    assert len(roomy) >= 20
    out = augment_batch(roomy, np.random.default_rng(1), max_shift=2.0, max_rotation=0.0, scale_range=(1, 1))
    moves = np.array([com(a) - com(b) for a, b in zip(out, roomy)])
    assert np.abs(moves).max() <= 2.0 + 1e-3
    assert np.abs(moves).max() > 1.0  # they did move
    np.testing.assert_allclose(out.sum(axis=1), roomy.sum(axis=1), rtol=1e-4)  # bilinear keeps ink


def test_rotation_keeps_the_ink_and_turns_anticlockwise(digits):
    out = augment_batch(digits, np.random.default_rng(2), max_shift=0.0, max_rotation=10.0, scale_range=(1, 1))
    ratio = out.sum(axis=1) / digits.sum(axis=1)
    assert np.all(np.abs(ratio - 1) < 0.1)

    # A blob right of the centre (13.5, 13.5), turned by 90 degrees, ends up above it.
    turned = transform_batch(dot_at(13, 19), np.zeros((1, 2)), np.array([90.0]), np.ones(1))
    np.testing.assert_allclose(com(turned[0]), [7.5, 13.5], atol=1e-3)


def test_scale_is_about_the_centre():
    # Blob 6 px right of the centre; scale 1.5 puts it 9 px right.
    grown = transform_batch(dot_at(13, 19), np.zeros((1, 2)), np.zeros(1), np.array([1.5]))
    np.testing.assert_allclose(com(grown[0]), [13.5, 22.5], atol=1e-3)


def test_values_stay_in_range_for_extreme_settings():
    x = np.random.default_rng(3).random((16, 784), dtype=np.float32)
    out = augment_batch(x, np.random.default_rng(0), max_shift=30, max_rotation=180, scale_range=(0.2, 3))
    assert out.min() >= 0.0 and out.max() <= 1.0


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(max_shift=-1.0),
        dict(max_rotation=-5.0),
        dict(scale_range=(0.0, 1.1)),
        dict(scale_range=(-1.0, 1.0)),
        dict(scale_range=(1.2, 0.9)),
        dict(max_shift=float("nan")),
    ],
)
def test_bad_settings_raise_value_error(kwargs):
    with pytest.raises(ValueError):
        augment_batch(np.zeros((2, 784), np.float32), np.random.default_rng(0), **kwargs)


def test_bad_batch_shape_raises_value_error():
    with pytest.raises(ValueError):
        augment_batch(np.zeros((2, 28, 28), np.float32), np.random.default_rng(0))


def test_bilinear_sample_blends_neighbours_and_is_zero_outside():
    img = np.arange(12, dtype=np.float32).reshape(1, 3, 4)
    ys = np.array([[0.0, 0.5, 1.0, -0.5, 2.5, -5.0, 1.0]])
    xs = np.array([[0.0, 0.0, 1.5, 0.0, 3.0, 1.0, 40.0]])
    expected = [0.0, 2.0, 5.5, 0.0, 5.5, 0.0, 0.0]  # (-0.5, 0): half of pixel 0; (2.5, 3): half of 11
    np.testing.assert_allclose(bilinear_sample(img, ys, xs)[0], expected, atol=1e-6)


def test_elastic_displacement_is_smooth_reproducible_and_sized_by_alpha():
    a = elastic_displacement(64, np.random.default_rng(5), alpha=34.0, sigma=4.0)
    b = elastic_displacement(64, np.random.default_rng(5), alpha=34.0, sigma=4.0)
    assert a.shape == (64, 2, 784) and np.array_equal(a, b)
    rms = float(np.sqrt((a ** 2).mean()))
    assert 0.7 < rms < 3.0  # Simard's setting moves pixels by a pixel or two
    field = a.reshape(64, 2, 28, 28)
    assert np.abs(np.diff(field, axis=3)).mean() < 0.2 * np.abs(field).mean()  # neighbours move together
    half = elastic_displacement(64, np.random.default_rng(5), alpha=17.0, sigma=4.0)
    np.testing.assert_allclose(half, a / 2, rtol=1e-5, atol=1e-6)


def test_elastic_augmentation_bends_digits_but_keeps_their_ink(digits):
    bent = augment_batch(digits, np.random.default_rng(0), **{**IDENTITY, "elastic": 34.0})
    assert not np.allclose(bent, digits)
    ink_ratio = bent.sum(axis=1) / digits.sum(axis=1)
    assert np.all((ink_ratio > 0.6) & (ink_ratio < 1.6))  # stretched here, squeezed there
    assert 0.9 < np.median(ink_ratio) < 1.1


def test_change_thickness_grows_or_peels_strokes(digits):
    same = change_thickness(digits, np.zeros(len(digits)))
    np.testing.assert_allclose(same, digits)
    bolder = change_thickness(digits, np.ones(len(digits)))
    finer = change_thickness(digits, -np.ones(len(digits)))
    assert np.all(bolder.sum(axis=1) > 1.3 * digits.sum(axis=1))
    assert np.all(finer.sum(axis=1) < 0.8 * digits.sum(axis=1))
    assert bolder.max() <= 1 and finer.min() >= 0


@pytest.mark.parametrize("kwargs", [dict(elastic=-1.0), dict(elastic_sigma=0.0), dict(max_thickness=1.5)])
def test_bad_elastic_or_thickness_settings_are_refused(kwargs):
    with pytest.raises(ValueError):
        augment_batch(np.zeros((2, 784), np.float32), np.random.default_rng(0), **kwargs)
