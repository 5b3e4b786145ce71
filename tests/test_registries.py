"""Every registered part, of every kind, does what the rest of the program asks of it."""

import io
import math

import numpy as np
import pytest

from mlp import activations, initializers, losses, optimizers, schedules
from mlp.cli import build_parser, config_from_args
from mlp.config import ConfigError, TrainConfig
from mlp.diagnostics import measure
from mlp.model import load_model
from mlp.network import Network
from mlp.registry import Setting
from mlp.teaching.diagnosis import diagnose
from mlp.teaching.slowmotion import slow_step
from mlp.trainer import Trainer
from tests.test_gradients import numeric_gradient, small_network
from ui.inspect.figures import resting_output
from ui.shared.links import decode, encode
from ui.shared.settings import config_from_settings, fields, settings_from_config

KINDS = {"activation": activations, "init": initializers, "loss": losses, "optimizer": optimizers,
         "schedule": schedules}
FIELDS = set(TrainConfig.names())


def test_a_setting_a_part_declares_has_a_name_of_its_own():
    """A part's own Setting is an attribute of the config beside the fields: it must not hide one."""
    assert len(FIELDS) == len(TrainConfig.names())


@pytest.mark.parametrize("setting, kind", KINDS.items())
def test_names_come_from_the_registry_and_each_is_a_valid_setting(setting, kind):
    assert kind.NAMES == tuple(kind.REGISTRY) and kind.NAMES
    for name in kind.NAMES:
        assert getattr(TrainConfig(**{setting: name}), setting) == name
        assert set(getattr(kind.REGISTRY[name], "settings", ())) <= FIELDS  # a loss reads no setting
    with pytest.raises(ValueError, match=f"choose one of {', '.join(kind.NAMES)}"):
        kind.REGISTRY["no-such-part"]


@pytest.mark.parametrize("name", activations.NAMES)
def test_every_activation_suggests_an_initialiser_and_measures_in_place(name):
    act = activations.REGISTRY.build(name, leaky_slope=0.1)
    assert act.init in initializers.NAMES
    z = np.linspace(-30, 30, 61, dtype=np.float32).reshape(1, -1)
    out = act.forward(z)
    assert out is z  # in place: the forward pass keeps no copy
    grad = act.backward(np.ones_like(out), out)
    assert np.isfinite(grad).all() and (grad >= 0).all()  # every activation here rises
    assert 0.0 <= act.saturated(out) <= 1.0 and 0.0 <= act.dead(out) <= 1.0


@pytest.mark.parametrize("name, expected", [("sigmoid", (0.0, 0.625)), ("tanh", (0.0, 0.625)), ("relu", (0.5, 0.0)),
                                            ("leaky-relu", (0.0, 0.0))])
def test_dead_and_saturated_units_are_told_apart(name, expected):
    """A unit is dead when it passed no gradient for the whole batch (ReLU only); an output is saturated
    in the flat tail of an S-shaped activation."""
    act = activations.REGISTRY.build(name, leaky_slope=0.1)
    # units 0 and 2 never fire; 5 of the 8 outputs are at +-20, deep in an S-shaped tail
    z = np.array([[-20.0, 0.3, -20.0, 20.0], [-20.0, -0.2, -20.0, 0.1]], dtype=np.float32)
    out = act.forward(z)
    assert (act.dead(out), act.saturated(out)) == pytest.approx(expected)


@pytest.mark.parametrize("name", initializers.NAMES)
def test_every_initialiser_draws_the_spread_it_promises(name):
    net = Network((400, 300, 10)).initialize(np.random.default_rng(0), name, std=0.3)
    spread = initializers.REGISTRY.build(name, init_std=0.3)
    for w in net.weights:
        assert np.std(w) == pytest.approx(spread.std(*w.shape), rel=0.05)
        assert abs(np.mean(w)) < 0.05 * spread.std(*w.shape)


@pytest.mark.parametrize("name, fan_in, fan_out, expected", [
    ("normal", 784, 256, 0.3), ("xavier", 784, 256, (2 / 1040) ** 0.5), ("he", 784, 256, (2 / 784) ** 0.5)])
def test_initialiser_formulas(name, fan_in, fan_out, expected):
    assert initializers.REGISTRY.build(name, init_std=0.3).std(fan_in, fan_out) == pytest.approx(expected)


def test_weight_decay_is_the_gradient_of_half_lambda_times_the_squared_weights():
    net, decay = small_network("tanh"), 0.3
    rng = np.random.default_rng(3)
    x, y = rng.random((9, 7)), rng.integers(0, 10, 9)

    def penalised_loss():
        return (losses.cross_entropy(net.forward(x).logits, y, gradient=False)[0]
                + decay / 2 * sum(float(np.sum(w * w)) for w in net.weights))  # weights only, not biases

    fp = net.forward(x)
    net.backward(fp, losses.cross_entropy(fp.logits, y)[2])
    bias_grads = [b.copy() for b in net.bias_grads]
    losses.add_weight_decay(net.weights, net.weight_grads, decay)
    np.testing.assert_allclose(net.grads, numeric_gradient(penalised_loss, net.params), rtol=1e-5, atol=1e-8)
    for before, after in zip(bias_grads, net.bias_grads):
        np.testing.assert_array_equal(before, after)


def test_one_sgd_step_with_weight_decay_shrinks_each_weight_by_lr_times_lambda():
    w, b = np.array([[2.0, -1.0]], dtype=np.float32), np.array([0.5, 0.5], dtype=np.float32)
    gw, gb = np.zeros_like(w), np.zeros_like(b)  # no data gradient: only the decay pulls
    losses.add_weight_decay([w], [gw], 0.1)
    params, grads = np.concatenate([w.ravel(), b]), np.concatenate([gw.ravel(), gb])
    optimizers.make_optimizer(TrainConfig(optimizer="sgd"), params.size).step(params, grads, 0.5)
    np.testing.assert_allclose(params, [2.0 * 0.95, -1.0 * 0.95, 0.5, 0.5])


def test_no_hidden_layer_is_measured_too():
    net = Network((7, 10), dtype=np.float64)
    net.params[...] = np.random.default_rng(0).normal(size=net.params.size)
    fp = net.forward(np.random.default_rng(1).random((4, 7)))
    before = [w.copy() for w in net.weights]
    net.weights[0] *= 1.001
    (only,) = measure(net, fp, [w - b for w, b in zip(net.weights, before)])
    assert only.dead == only.saturated == 0.0 and only.update_ratio == pytest.approx(1e-3)


class Softplus(activations.Activation):
    """log(1 + e^(b z)) / b,  slope 1 - e^(-b f): a ReLU with its corner rounded, sharper as b grows."""
    settings = (Setting("sharpness", 1.0, 0, 50, "Softplus sharpness", "How sharply softplus bends at 0."),)

    def __init__(self, sharpness: float):
        self.b = np.float32(sharpness)

    def forward(self, z):
        z *= self.b
        np.logaddexp(0, z, out=z)
        z /= self.b
        return z

    def backward(self, grad, out):
        grad *= 1 - np.exp(-self.b * out)
        return grad


def test_an_activation_with_a_setting_of_its_own_is_one_class_and_one_registry_line(monkeypatch, tiny_split):
    """Softplus above, registered by the one line below, is offered, checked, trained, saved, loaded, shown and
    inspected with its sharpness, without another line anywhere; and it is gone once unregistered."""
    with monkeypatch.context() as undo:
        undo.setitem(activations.REGISTRY, "softplus", Softplus)

        config = TrainConfig(activation="softplus", sharpness=2.0, hidden=(16,), epochs=2, batch_size=32, lr=3e-3)
        assert config.sharpness == 2.0 and TrainConfig().sharpness == 1.0  # its default is its declaration's
        with pytest.raises(ConfigError, match="Softplus sharpness must be above 0 and below 50"):
            config.replace(sharpness=0.0)
        net = small_network("softplus")  # the default sharpness: backprop agrees with finite differences
        rng = np.random.default_rng(1)
        x, y = rng.random((9, 7)), rng.integers(0, 10, 9)
        fp = net.forward(x)
        analytic = net.backward(fp, losses.cross_entropy(fp.logits, y)[2]).copy()
        numeric = numeric_gradient(lambda: losses.cross_entropy(net.forward(x).logits, y, gradient=False)[0],
                                   net.params)
        np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-8)

        result = Trainer(config, tiny_split).run()
        assert result.status == "finished" and result.test_accuracy > 0.8
        assert result.model.network.activation.b == 2.0
        assert diagnose(config, result.history, status=result.status) == []
        assert slow_step(result.model.network, config, tiny_split.x_train[:4], tiny_split.y_train[:4]).loss > 0

        loaded = load_model(io.BytesIO(result.model.to_bytes()))
        assert loaded.config == config and loaded.network.activation.b == 2.0
        np.testing.assert_array_equal(loaded.predict_proba(tiny_split.x_test), result.model.predict_proba(tiny_split.x_test))

        shown = {spec.name: spec for spec in fields()}
        assert "softplus" in shown["activation"].options
        assert shown["sharpness"].label == "Softplus sharpness" and shown["sharpness"].help
        assert shown["sharpness"].applies({"activation": "softplus"})
        assert not shown["sharpness"].applies({"activation": "leaky-relu"})
        assert not shown["leaky_slope"].applies({"activation": "softplus"})
        assert config_from_settings(settings_from_config(config)) == config
        assert encode(config)["sharpness"] == "2.0" and decode(encode(config)) == (config, [])
        assert config_from_args(build_parser().parse_args(
            ["train", "--activation", "softplus", "--sharpness", "2", "--hidden", "16"])).sharpness == 2.0

        assert resting_output(config) == pytest.approx(math.log(2) / 2)  # softplus(0) = log 2 / b
        assert resting_output(TrainConfig(activation="softplus")) == pytest.approx(math.log(2))

    assert "softplus" not in activations.REGISTRY and "sharpness" not in TrainConfig.names()
    assert "sharpness" not in {spec.name for spec in fields()}
    with pytest.raises(ConfigError, match="unknown setting"):
        TrainConfig(sharpness=2.0)


def test_weights_that_were_zero_before_a_step_changed_infinitely_much():
    net = Network((7, 10), dtype=np.float32)
    fp = net.forward(np.random.default_rng(1).random((4, 7), dtype=np.float32))
    net.weights[0][...] = 0.5  # from all zeros
    (only,) = measure(net, fp, [net.weights[0].copy()])
    assert only.update_ratio == math.inf
    (unknown,) = measure(net, fp, None)
    assert math.isnan(unknown.update_ratio)
