"""The "not a digit" check: calibrated on real digits, it lets them through and names what is foreign."""
from __future__ import annotations

import numpy as np
import pytest

from mlp.config import TrainConfig
from mlp.mnist import load_mnist
from mlp.novelty import SCORES, fit_novelty, shape_scores, too_small
from mlp.trainer import train


@pytest.fixture(scope="module")
def trained(mnist_dir):
    """A small network trained for a few seconds, its check, and MNIST."""
    data = load_mnist(mnist_dir)
    model = train(TrainConfig(hidden=(64,), epochs=2, per_class=300, validation_share=0), data).model
    return model, fit_novelty(model.network, data.x_train, data.x_test[:5000], references=2000), data


def square(top: int, left: int, height: int, width: int) -> np.ndarray:
    image = np.zeros((28, 28), np.float32)
    image[top:top + height, left:left + width] = 1
    return image.reshape(1, 784)


def test_limits_let_through_all_but_the_chosen_share_of_real_digits(trained):
    model, check, data = trained
    real = data.x_test[:5000]  # the digits it was calibrated on: 0.5% per score at the 99.5th percentile
    scores = check.scores(model.network, real)
    for name in SCORES:
        assert (scores[name] > check.limits[name]).mean() <= 0.006
    unseen = data.x_test[5000:7000]  # other real digits: nearly all read as digits too
    assert np.mean([r == "" for r in check.reasons(model.network, unseen)]) > 0.97


def test_foreign_images_get_their_reason(trained):
    model, check, _ = trained
    assert check.reasons(model.network, square(4, 4, 20, 20)) == ["filled"]
    assert check.reasons(model.network, square(13, 4, 2, 20)) == ["flat"]
    speckles = (np.random.default_rng(0).random((20, 784)) < 0.1).astype(np.float32)  # one pixel in ten lit
    assert set(check.reasons(model.network, speckles)) == {"unlike"}


def test_the_same_seed_picks_the_same_references(trained):
    model, _, data = trained
    a = fit_novelty(model.network, data.x_train, data.x_test[:500], references=300, seed=1)
    b = fit_novelty(model.network, data.x_train, data.x_test[:500], references=300, seed=1)
    c = fit_novelty(model.network, data.x_train, data.x_test[:500], references=300, seed=2)
    assert np.array_equal(a.references, b.references) and a.limits == b.limits
    assert not np.array_equal(a.references, c.references)


def test_shape_scores_measure_width_over_height_and_ink():
    wide, ink = shape_scores(np.concatenate([square(13, 4, 2, 20), square(4, 13, 20, 2), square(4, 4, 20, 20)]))
    assert wide[0] > 20 and wide[1] < 0.05 and wide[2] == pytest.approx(1)
    assert ink.tolist() == [40, 40, 400]


def test_too_small_reads_the_span_of_the_ink_on_the_canvas():
    canvas = np.zeros((280, 280), np.uint8)
    assert too_small(canvas)
    canvas[100:120, 100:120] = 255  # a dab: 20 pixels of 280
    assert too_small(canvas)
    canvas[100:200, 100:105] = 255  # a stroke 100 pixels long
    assert not too_small(canvas)


def test_bad_input_is_refused_in_words(trained):
    model, check, data = trained
    with pytest.raises(ValueError, match=r"\(n, 784\)"):
        check.reasons(model.network, np.zeros((2, 28, 28)))
    with pytest.raises(ValueError, match="percentile"):
        fit_novelty(model.network, data.x_train[:100], data.x_test[:100], percentile=100)
    with pytest.raises(ValueError, match="none"):
        fit_novelty(model.network, data.x_train[:0], data.x_test[:100])
