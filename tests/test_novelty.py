"""The "not a digit" check: calibrated on real digits, it lets them through and names what is foreign."""
from __future__ import annotations

import numpy as np
import pytest

from mlp.config import TrainConfig
from mlp.data.mnist import load_mnist
from mlp.drawing import novelty
from mlp.drawing.canvas_like import non_digits
from mlp.drawing.novelty import JOINT, REASON_OF, SCORES, centre_line_length, fit_novelty, shape_scores, too_small
from mlp.drawing.preprocess import to_mnist
from mlp.model import Model
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
    for name in SCORES:  # joint: 1% of the half its limit was set on, and of the other half
        assert (scores[name] > check.limits[name]).mean() <= (0.013 if name == "joint" else 0.006)
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
    with pytest.raises(ValueError, match="percentiles"):
        fit_novelty(model.network, data.x_train[:100], data.x_test[:100], percentile=100)
    with pytest.raises(ValueError, match="none"):
        fit_novelty(model.network, data.x_train[:0], data.x_test[:100])
    with pytest.raises(ValueError, match="at least two real digits"):
        fit_novelty(model.network, data.x_train[:100], data.x_test[:1])


def test_scribbles_are_caught_by_adding_up_small_surprises(trained):
    """Scribbles from the benchmark's generator: the joint limit catches far more of them than any one
    score's limit does, and they are longer than nearly every real digit."""
    model, check, _ = trained
    drawings = [d.image for d in non_digits(150, seed=5) if d.label == "scribble"]
    x = np.stack([to_mnist(image).ravel() for image in drawings])
    scores = check.scores(model.network, x)
    caught = {name: (scores[name] > check.limits[name]).mean() for name in SCORES}
    assert caught["joint"] >= 0.4 and caught["joint"] >= 2 * max(caught[n] for n in SCORES if n != "joint")
    assert np.median(check.surprise("length", scores["length"])) > np.log(20)  # longer than 95% of digits
    assert set(check.reasons(model.network, x)) - {""} <= {"tangled", "unlike", "filled", "flat", "strokes"}


def test_ink_where_no_digit_has_any_is_seen_whatever_the_network(mnist_dir):
    """A network that learned nothing measures nothing in a drawing: letters then pass its own scores. Their ink
    lies off the plane of the training digits' main pixel patterns (``outside``), which no network changes."""
    data = load_mnist(mnist_dir)
    untrained = Model.create(TrainConfig(hidden=(64,), seed=4)).network
    check = fit_novelty(untrained, data.x_train, data.x_test[:5000], references=2000)
    letters = np.stack([to_mnist(d.image).ravel() for d in non_digits(300, seed=3) if d.label == "letter"])
    outside = check.scores(untrained, letters)["outside"] > check.limits["outside"]
    assert outside.mean() >= 0.2  # letters seen in their pixels alone
    unseen = check.scores(untrained, data.x_test[5000:7000])["outside"] > check.limits["outside"]
    assert unseen.mean() < 0.01  # other real digits: about 0.5%, as every score's limit
    reasons = np.array(check.reasons(untrained, letters))
    assert (reasons[outside] != "").all() and REASON_OF["outside"] in set(reasons)  # each doubted, some for it alone


def test_surprise_is_minus_the_log_of_the_share_of_real_digits_beyond(trained):
    _, check, _ = trained
    real = check.real["energy"]
    n = len(real)
    above_all, below_all = check.surprise("energy", np.array([real[-1] + 1, real[0] - 1], np.float32))
    assert above_all == pytest.approx(np.log(n + 1)) and below_all == pytest.approx(0, abs=1e-6)
    assert set(JOINT) <= set(check.real)


def test_centre_line_length_counts_the_pixels_along_a_stroke():
    bar = np.zeros((1, 28, 28), np.float32)
    bar[0, 4:24, 12:16] = 1  # 20 rows tall, 4 wide: a centre line of about 20 pixels
    assert 16 <= centre_line_length(bar.reshape(1, 784))[0] <= 20
    assert centre_line_length(np.zeros((1, 784)))[0] == 0
    assert centre_line_length(np.zeros((0, 784))).shape == (0,)


def test_a_network_without_hidden_layers_is_measured_on_its_input(mnist_dir):
    """Softmax regression has no hidden layer: the image itself stands in for both layers' outputs."""
    data = load_mnist(mnist_dir)
    model = train(TrainConfig(hidden=(), epochs=1, per_class=100, validation_share=0), data).model
    check = fit_novelty(model.network, data.x_train[:1000], data.x_test[:1000], references=500)
    assert check.references.shape == (500, 784) and check.whiten.shape == (784, 784)
    assert check.reasons(model.network, square(4, 4, 20, 20)) == ["filled"]
    assert np.mean([r == "" for r in check.reasons(model.network, data.x_test[1000:1400])]) > 0.9


def test_reasons_trace_centre_lines_only_where_they_can_matter_and_say_the_same(trained, monkeypatch):
    """Skipping the centre line where even the longest could not tip the joint score changes no reason."""
    model, check, data = trained
    scribbles = [to_mnist(d.image).ravel() for d in non_digits(30, seed=6) if d.label == "scribble"]
    x = np.concatenate([data.x_test[5000:5200], np.stack(scribbles)])
    full = check.scores(model.network, x)
    expected = [""] * len(x)  # reasons from every score computed in full, by the rule reasons() follows
    for name in reversed(SCORES):
        for i in np.flatnonzero(full[name] > check.limits[name]):
            parts = [check.surprise(part, full[part][i:i + 1])[0] for part in JOINT]
            expected[i] = REASON_OF[JOINT[int(np.argmax(parts))] if name == "joint" else name]
    traced = []
    monkeypatch.setattr(novelty, "centre_line_length", lambda images: traced.append(len(images)) or
                        centre_line_length(images))
    assert check.reasons(model.network, x) == expected
    assert traced[0] < len(x) // 2  # most real digits are settled without it
    traced.clear()
    assert check.reasons(model.network, data.x_test[5000:5001]) == [""] and traced == [0]  # a plain digit: none
