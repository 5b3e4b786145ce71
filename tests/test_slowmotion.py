"""Backpropagation in slow motion: every number of one step matches a NumPy computation written out here."""
import numpy as np
import pytest

from mlp import TrainConfig
from mlp.model import Model
from mlp.teaching.slowmotion import slow_step


@pytest.fixture
def batch():
    rng = np.random.default_rng(3)
    return rng.random((4, 784), dtype=np.float32), np.array([3, 1, 4, 1])


def by_hand(net, x, y):
    """The step written out: z = xW + b, ReLU, softmax, mean cross-entropy, and the deltas back."""
    (w0, w1), (b0, b1) = [w.astype(np.float64) for w in net.weights], [b.astype(np.float64) for b in net.biases]
    z0 = x @ w0 + b0
    h = np.maximum(z0, 0)
    z1 = h @ w1 + b1
    p = np.exp(z1 - z1.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    loss = -np.log(p[np.arange(len(y)), y]).mean()
    d1 = (p - np.eye(10)[y]) / len(y)
    d0 = (d1 @ w1.T) * (z0 > 0)
    return z0, h, z1, p, loss, d0, d1


@pytest.mark.parametrize("weight", [(0, 300, 6), (1, 7, 3)])
def test_each_number_of_an_sgd_step_matches_numpy(batch, weight):
    x, y = batch
    config = TrainConfig(hidden=(16,), optimizer="sgd", lr=0.5, seed=2)
    model = Model.create(config)
    kept = model.network.params.copy()
    step = slow_step(model.network, config, x, y, weight)
    z0, h, z1, p, loss, d0, d1 = by_hand(model.network, x.astype(np.float64), y)
    close = dict(rtol=1e-4, atol=1e-6)
    for got, want in ((step.layers[0].z, z0), (step.layers[0].out, h), (step.layers[1].z, z1), (step.layers[1].out, p),
                      (step.layers[0].delta, d0), (step.layers[1].delta, d1)):
        np.testing.assert_allclose(got, want, **close)
    assert step.loss == pytest.approx(loss, rel=1e-5)
    layer, i, j = weight
    inputs = x.astype(np.float64) if layer == 0 else h
    gradient = inputs[:, i] @ (d0 if layer == 0 else d1)[:, j]
    assert abs(gradient) > 1e-6  # a weight that moves: the check is not vacuous
    assert step.gradient == pytest.approx(gradient, rel=1e-4)
    assert step.before == model.network.weights[layer][i, j]
    assert step.after == pytest.approx(step.before - 0.5 * gradient, rel=1e-5)
    np.testing.assert_array_equal(model.network.params, kept)  # the session's network is left as it was
    assert step.network.weights[layer][i, j] == np.float32(step.after)


def test_adam_s_first_step_moves_a_weight_by_the_learning_rate_against_its_gradient(batch):
    x, y = batch
    config = TrainConfig(hidden=(16,), optimizer="adam", lr=1e-3)
    step = slow_step(Model.create(config).network, config, x, y, (1, 2, 3))
    assert step.after == pytest.approx(step.before - 1e-3 * np.sign(step.gradient), abs=1e-6)


@pytest.mark.parametrize("weight, words", [((2, 0, 0), "layers 0 to 1"), ((0, 784, 0), "784 x 16"),
                                           ((1, 0, 10), "16 x 10")])
def test_a_weight_that_does_not_exist_is_refused_in_words(batch, weight, words):
    config = TrainConfig(hidden=(16,))
    with pytest.raises(ValueError, match=words):
        slow_step(Model.create(config).network, config, *batch, weight)
