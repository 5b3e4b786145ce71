"""TrainConfig refuses every bad value with a ConfigError in words, and converts nothing silently."""
import inspect
import io
import json

import numpy as np
import pytest

from mlp import activations, initializers, optimizers, schedules
from mlp.config import ConfigError, TrainConfig
from mlp.model import load_model
from mlp.teaching.diagnosis import diagnose
from mlp.trainer import Trainer


@pytest.mark.parametrize("changes, words", [
    (dict(hidden=[1e400]), "hidden must be a list of whole numbers, got \\[inf\\]"),
    (dict(hidden=json.loads("[" * 500 + "]" * 500)), "hidden must be a list of whole numbers"),
    (dict(hidden="12"), "hidden must be a list of whole numbers, got '12'"),
    (dict(hidden=[2.7]), "hidden must be a list of whole numbers"),
    (dict(hidden=[True]), "hidden must be a list of whole numbers"),
    (dict(hidden=64), "hidden must be a list of whole numbers"),
    (dict(classes="19"), "classes must be a list of whole numbers"),
    (dict(augment="no"), "augment must be true or false, got 'no'"),
    (dict(augment=1), "augment must be true or false"),
    (dict(epochs=True), "epochs must be a whole number, got True"),
    (dict(epochs=2.7), "epochs must be a whole number"),
    (dict(batch_size="64"), "batch_size must be a whole number"),
    (dict(per_class=2.5), "per_class must be a whole number"),
    (dict(lr=10 ** 400), "lr must be a finite number"),
    (dict(lr="0.1"), "lr must be a finite number, got '0.1'"),
    (dict(lr=float("inf")), "lr must be a finite number"),
    (dict(dropout=None), "dropout must be a finite number"),
    (dict(activation=["relu"]), "activation must be a name"),
    (dict(optimizer="adma"), "optimizer must be one of sgd, momentum, .*, got 'adma'"),
    (dict(schedule="x" * 10_000), "schedule must be one of"),
])
def test_bad_values_are_config_errors_in_words(changes, words):
    with pytest.raises(ConfigError, match=words) as error:
        TrainConfig(**changes)
    assert len(str(error.value)) < 200  # a hostile value is shortened, never echoed in full


@pytest.mark.parametrize("values, words", [
    ([1, 2], "mapping"), ({"hidden": [2.7]}, "whole numbers"), ({"speed": 1}, "unknown setting"),
    (json.loads('{"hidden": [1e400]}'), "whole numbers"), ({"augment": "no"}, "true or false")])
def test_from_dict_only_raises_config_errors(values, words):
    with pytest.raises(ConfigError, match=words):
        TrainConfig.from_dict(values)


def test_good_values_keep_their_meaning():
    config = TrainConfig(hidden=[64, np.int64(32)], classes=[9, 1], epochs=np.int64(3), lr=1, augment=True)
    assert config.hidden == (64, 32) and config.classes == (1, 9) and config.epochs == 3
    assert type(config.epochs) is int and type(config.lr) is float and config.augment is True
    assert TrainConfig.from_dict(config.to_dict()) == config


@pytest.mark.parametrize("part", [*activations.REGISTRY.values(), *initializers.REGISTRY.values(),
                                  *optimizers.REGISTRY.values(), *schedules.REGISTRY.values()])
def test_every_default_lives_in_the_config(part):
    """A part's constructor gives its settings no default: it is built from a TrainConfig, which holds them
    (a Setting the part declares as its own holds its default in the declaration, the config's one source)."""
    parameters = inspect.signature(part).parameters
    assert all(parameters[name].default is inspect.Parameter.empty for name in part.settings)


def test_no_hidden_layer_trains_and_is_diagnosed(tiny_split):
    """hidden=() is a 784-10 softmax regression: valid, trainable, measurable and diagnosable."""
    config = TrainConfig(hidden=(), epochs=2, batch_size=32, lr=3e-3, dropout=0.5)
    result = Trainer(config, tiny_split).run()
    assert result.status == "finished" and result.test_accuracy > 0.8
    assert all(len(p.layers) == 1 for p in result.history.diagnostics)
    assert diagnose(config, result.history, status=result.status) == []
    assert load_model(io.BytesIO(result.model.to_bytes())).network.sizes == (784, 10)
