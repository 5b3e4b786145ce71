"""Each optimiser takes the step its textbook formula gives, several steps in a row."""
import numpy as np
import pytest

from mlp.optimizers import NAMES, make_optimizer
from mlp.schedules import learning_rate

P0 = np.array([1.0, -2.0, 0.5], dtype=np.float32)
GRADS = [np.array(g, dtype=np.float32) for g in ([0.5, -0.25, 0.0], [0.3, 0.1, -1.0], [-0.2, 0.4, 2.0])]
LR = 0.1


def textbook(name: str) -> np.ndarray:
    """The update rules as written in a textbook, in float64."""
    p = P0.astype(np.float64)
    v = np.zeros(3)
    m = np.zeros(3)
    s = np.zeros(3)
    for t, g in enumerate(GRADS, start=1):
        g = g.astype(np.float64)
        if name == "sgd":
            p = p - LR * g
        elif name == "momentum":
            v = 0.7 * v - LR * g
            p = p + v
        elif name == "nesterov":
            v = 0.7 * v - LR * g
            p = p + 0.7 * v - LR * g
        elif name == "rmsprop":
            s = 0.9 * s + 0.1 * g * g
            p = p - LR * g / (np.sqrt(s) + 1e-8)
        elif name == "adam":
            m = 0.9 * m + 0.1 * g
            s = 0.999 * s + 0.001 * g * g
            p = p - LR * (m / (1 - 0.9 ** t)) / (np.sqrt(s / (1 - 0.999 ** t)) + 1e-8)
    return p


@pytest.mark.parametrize("name", NAMES)
def test_optimizer_follows_its_formula(name):
    opt = make_optimizer(name, 3, momentum=0.7)
    p = P0.copy()
    for g in GRADS:
        opt.step(p, g, LR)
    assert p.dtype == np.float32
    np.testing.assert_allclose(p, textbook(name), rtol=1e-5, atol=1e-6)
    assert not np.allclose(p, P0)


def test_first_adam_step_is_lr_times_sign():
    """Bias correction makes Adam's first step lr * sign(g), whatever the gradient's size."""
    p = P0.copy()
    make_optimizer("adam", 3).step(p, np.array([1e-3, -50.0, 0.0], dtype=np.float32), LR)
    np.testing.assert_allclose(p, P0 + [-LR, LR, 0.0], atol=1e-4)


def test_unknown_optimizer_is_named():
    with pytest.raises(ValueError, match="adagrad"):
        make_optimizer("adagrad", 3)


def test_schedules():
    assert learning_rate(0.1, 2.5) == 0.1
    assert learning_rate(0.1, 2.5, schedule="step", step_epochs=1, gamma=0.5) == pytest.approx(0.025)
    assert learning_rate(0.1, 0.0, schedule="cosine", total_epochs=4) == pytest.approx(0.1)
    assert learning_rate(0.1, 2.0, schedule="cosine", total_epochs=4) == pytest.approx(0.05)
    assert learning_rate(0.1, 4.0, schedule="cosine", total_epochs=4) == pytest.approx(0.0)
    with pytest.raises(ValueError, match="warmup"):
        learning_rate(0.1, 1.0, schedule="warmup")
