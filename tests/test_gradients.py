"""Backpropagation against finite differences, in float64, for every activation and both losses."""
import numpy as np
import pytest

from mlp import activations, gradcheck, losses
from mlp.network import Network


def numeric_gradient(f, params: np.ndarray) -> np.ndarray:
    """Every entry's central difference (mlp.gradcheck's, over the whole flat vector)."""
    return gradcheck.numeric_gradient(f, params, list(np.ndindex(params.shape)))


def small_network(activation: str, seed: int = 0) -> Network:
    net = Network((7, 6, 5, 10), activation, {"leaky_slope": 0.1}, dtype=np.float64)
    rng = np.random.default_rng(seed)
    net.params[...] = rng.normal(0, 0.7, net.params.size)  # biases too: they must be exercised
    return net


@pytest.mark.parametrize("loss_name", losses.NAMES)
@pytest.mark.parametrize("activation", activations.NAMES)
def test_backprop_matches_finite_differences(activation, loss_name):
    net = small_network(activation)
    rng = np.random.default_rng(1)
    x = rng.random((9, 7))
    y = rng.integers(0, 10, 9)
    loss_fn = losses.get_loss(loss_name)

    def loss_value():
        return loss_fn(net.forward(x).logits, y, gradient=False)[0]

    fp = net.forward(x)
    _, _, dlogits = loss_fn(fp.logits, y)
    analytic = net.backward(fp, dlogits).copy()
    numeric = numeric_gradient(loss_value, net.params)
    assert np.abs(analytic).max() > 1e-4  # the check is not vacuous
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-8)


def test_backprop_with_dropout_matches_finite_differences():
    net = small_network("relu")
    rng = np.random.default_rng(2)
    x, y = rng.random((9, 7)), rng.integers(0, 10, 9)

    def forward():  # the same dropout mask every time
        return net.forward(x, dropout=0.3, rng=np.random.default_rng(5))

    fp = forward()
    assert any((m == 0).any() for m in fp.masks)
    _, _, dlogits = losses.cross_entropy(fp.logits, y)
    analytic = net.backward(fp, dlogits).copy()
    numeric = numeric_gradient(lambda: losses.cross_entropy(forward().logits, y, gradient=False)[0], net.params)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-8)


def test_no_hidden_layer_is_softmax_regression():
    net = Network((7, 10), dtype=np.float64)
    net.params[...] = np.random.default_rng(0).normal(size=net.params.size)
    x, y = np.random.default_rng(1).random((4, 7)), np.array([0, 3, 9, 3])
    fp = net.forward(x)
    _, probs, dlogits = losses.cross_entropy(fp.logits, y)
    net.backward(fp, dlogits)
    onehot = np.eye(10)[y]
    np.testing.assert_allclose(net.weight_grads[0], x.T @ (probs - onehot) / 4)


def test_cross_entropy_is_finite_for_huge_logits():
    """The notebook took log(0) of a saturated softmax; computing from the logits never does."""
    logits = np.array([[1000.0, -1000.0, 0, 0, 0, 0, 0, 0, 0, 0]], dtype=np.float32)
    loss, probs, grad = losses.cross_entropy(logits, np.array([1]))
    assert loss == pytest.approx(2000.0, rel=1e-6)
    assert np.isfinite(grad).all() and probs.sum() == pytest.approx(1.0)
