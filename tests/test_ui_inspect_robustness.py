"""Robustness curves on Inspect: test digits changed more and more, and the accuracy that follows."""
from __future__ import annotations

import gzip

import numpy as np
import pytest

from mlp import TrainConfig, load_mnist, train
from mlp.drawing.preprocess import center_of_mass
from ui.inspect.data import PERTURBATIONS, perturb, robustness
from ui.inspect.figures import CHAR_WIDTH, NARROWEST_PLOT, robustness_figure, wrapped


@pytest.fixture(scope="module")
def digits(mnist_dir) -> np.ndarray:
    with gzip.open(mnist_dir / "t10k-images-idx3-ubyte.gz") as f:
        raw = np.frombuffer(f.read(16 + 784 * 50), np.uint8, offset=16)
    return (raw.reshape(50, 784) / np.float32(255)).astype(np.float32)


@pytest.mark.parametrize("kind", list(PERTURBATIONS))
def test_level_zero_leaves_the_digits_as_they_are_and_a_seed_repeats(digits, kind):
    np.testing.assert_allclose(perturb(digits, kind, 0), digits, atol=1e-6)
    top = PERTURBATIONS[kind].levels[-1]
    assert np.array_equal(perturb(digits, kind, top, seed=4), perturb(digits, kind, top, seed=4))
    assert not np.allclose(perturb(digits, kind, top), digits)


def test_each_change_does_what_it_says(digits):
    ink = digits.sum(axis=1)
    assert np.all(perturb(digits, "thinner", 1).sum(axis=1) < ink)
    assert np.all(perturb(digits, "thicker", 2).sum(axis=1) > perturb(digits, "thicker", 1).sum(axis=1))
    moved = perturb(digits, "shift", 3)
    distances = [np.hypot(*np.subtract(center_of_mass(a.reshape(28, 28)), center_of_mass(b.reshape(28, 28))))
                 for a, b in zip(digits, moved)]
    assert np.median(distances) == pytest.approx(3, abs=0.3)
    noisy = perturb(digits, "noise", 0.3)
    assert noisy.min() >= 0 and noisy.max() <= 1 and np.abs(noisy - digits).mean() > 0.08
    with pytest.raises(ValueError, match="unknown change"):
        perturb(digits, "melt", 1)


def test_a_network_trained_on_centred_digits_falls_as_they_move(mnist_dir):
    data = load_mnist(mnist_dir, download=False)
    model = train(TrainConfig(hidden=(64,), epochs=1, per_class=500, seed=1), data).model
    curves = robustness(model, data.x_test, data.y_test, sample=500)
    assert set(curves) == set(PERTURBATIONS)
    for kind, accuracy in curves.items():
        assert len(accuracy) == len(PERTURBATIONS[kind].levels)
        assert accuracy[0] == curves["shift"][0] > 0.8  # the same digits, unchanged, at level 0
    assert curves["shift"][-1] < curves["shift"][0] - 0.4
    assert curves["rotation"][-1] < curves["rotation"][0] - 0.4
    assert curves["noise"][-1] < curves["noise"][0]


def test_the_figure_draws_one_panel_per_change_with_its_levels():
    curves = {kind: np.linspace(1, 0.5, len(p.levels)) for kind, p in PERTURBATIONS.items()}
    fig = robustness_figure(curves, PERTURBATIONS)
    assert [t.name for t in fig.data] == [p.title for p in PERTURBATIONS.values()]
    assert list(fig.data[1].x) == list(PERTURBATIONS["rotation"].levels)
    assert fig.data[0].y[0] == 1 and fig.layout.yaxis.tickformat == ".0%"
    assert [a.text for a in fig.layout.annotations] == [p.title for p in PERTURBATIONS.values()]


def test_the_units_under_the_panels_fit_their_panels_and_never_run_into_the_next():
    """At a 1440-pixel screen with the sidebar open, "pixels grown per side" ran into "noise (standard deviation)"."""
    curves = {kind: np.linspace(1, 0.5, len(p.levels)) for kind, p in PERTURBATIONS.items()}
    fig = robustness_figure(curves, PERTURBATIONS)
    axes = sorted((fig.layout[name] for name in fig.layout if name.startswith("xaxis")), key=lambda a: a.domain[0])
    assert len(axes) == len(PERTURBATIONS)
    for left, right in zip(axes, axes[1:]):
        assert left.domain[1] < right.domain[0]  # panels apart
    for axis, change in zip(axes, PERTURBATIONS.values()):
        lines = axis.title.text.split("<br>")
        assert " ".join(lines) == change.unit  # the whole unit, only broken into lines
        width = (axis.domain[1] - axis.domain[0]) * NARROWEST_PLOT  # pixels under this panel
        widest = max(len(line) for line in lines) * CHAR_WIDTH * axis.title.font.size
        assert widest <= width, f"{axis.title.text!r} is {widest:.0f} pixels wide under a {width:.0f}-pixel panel"
    assert fig.layout.margin.b >= 24 * max(len(a.title.text.split("<br>")) for a in axes)  # room for the lines


def test_words_are_wrapped_at_spaces_into_lines_that_fit():
    assert wrapped("noise (standard deviation)", 12) == ["noise", "(standard", "deviation)"]
    assert wrapped("pixels grown per side", 13) == ["pixels grown", "per side"]
    assert wrapped("pixels", 3) == ["pixels"]  # a longer word keeps a line to itself
    assert wrapped("degrees", 20) == ["degrees"]
