"""mlp.teaching.insides: what a snapshot of a learning network holds, how small it is, and what it detects."""
import math
import pickle

import numpy as np
import pytest
from conftest import synthetic_split

from mlp import TrainConfig
from mlp.model import Model
from mlp.network import Network
from mlp.teaching.diagram import MOST_UNITS
from mlp.teaching.insides import CHANGE_FULL, DRAWING, MAX_BYTES, PICTURED, SAMPLE, Camera, look, probe_rows


def network(**settings) -> Network:
    return Model.create(TrainConfig(**{"seed": 3, **settings})).network


@pytest.fixture(scope="module")
def split():
    return synthetic_split(n=300)


def shot(net, split, **kwargs):
    return Camera.for_split(split, range(10), **kwargs).look(net, 0, 0.0)


def test_probes_are_the_first_digit_of_each_class_learned():
    labels = np.array([4, 1, 4, 7, 1, 0])
    assert probe_rows(labels, [0, 1, 4, 7]).tolist() == [5, 1, 0, 3]
    assert probe_rows(labels, [1, 9]).tolist() == [1]  # a class without digits has no probe


def test_a_snapshot_is_kilobytes_whatever_the_network(split):
    drawing = np.zeros(784, np.float32)
    deep = network(hidden=(64,) * 8, activation="sigmoid")  # every layer wider than the diagram draws
    big = shot(deep, split, drawing=drawing)
    assert len(pickle.dumps(big)) <= MAX_BYTES
    assert big.pictures.shape == (PICTURED, 28, 28) and big.pictures.dtype == np.uint8 and big.units == 64
    assert big.probes.shape == (11, 28, 28) and big.labels.tolist() == [*range(10), DRAWING]
    assert big.probabilities.shape == (11, 10) and big.probabilities.dtype == np.float16
    np.testing.assert_allclose(big.probabilities.astype(np.float32).sum(axis=1), 1, atol=1e-2)
    assert len(big.layers) == 9 and [u.shape for u in big.diagram.units] == [(11, MOST_UNITS)] * 9 + [(11, 10)]
    narrow = shot(network(hidden=(8,)), split)
    assert narrow.pictures.shape == (8, 28, 28) and narrow.probes.shape == (10, 28, 28)
    assert len(pickle.dumps(narrow)) < len(pickle.dumps(big))


def test_the_pictures_are_each_units_weights_on_its_own_scale(split):
    net = network(hidden=(40,))
    weights = net.weights[0][:, :PICTURED].T.reshape(-1, 28, 28)
    scaled = weights / np.abs(weights).max(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(shot(net, split).weights(), scaled, atol=1 / 127)


def test_the_change_pictures_show_what_training_changed_on_a_fixed_scale(split):
    net = network(hidden=(40,))
    camera = Camera.for_split(split, range(10))
    assert (camera.look(net, 0, 0.0).changes == 128).all()  # nothing changed yet
    largest = np.abs(net.weights[0][:, 3]).max()
    net.weights[0][300, 3] += CHANGE_FULL * largest  # a full change, on the scale of that unit's start
    net.weights[0][301, 3] -= CHANGE_FULL * largest / 2
    net.weights[0][:, 5] *= 1 + 1e-6  # a change too small to see
    changed = camera.look(net, 1, 0.0).changed()
    assert changed[3].reshape(-1)[300] == 1 and changed[3].reshape(-1)[301] == pytest.approx(-0.5, abs=1 / 127)
    assert np.count_nonzero(changed) == 2


def test_the_answers_are_the_networks_own(split):
    net = network(hidden=(32,))
    s = shot(net, split)
    expected = net.predict_proba(split.x_test[probe_rows(split.y_test, range(10))])
    np.testing.assert_allclose(s.probabilities.astype(np.float32), expected, atol=2e-3)
    assert s.answers.tolist() == expected.argmax(axis=1).tolist()
    assert s.right == int((expected.argmax(axis=1) == s.labels).sum())


def test_sigmoids_started_from_n01_are_seen_saturated(split):
    n01 = shot(network(hidden=(256, 128), activation="sigmoid", init="normal", init_std=1.0), split)
    assert min(layer.saturated for layer in n01.layers[:-1]) > 0.5
    suited = shot(network(hidden=(256, 128), activation="sigmoid", init="xavier"), split)
    assert max(layer.saturated for layer in suited.layers[:-1]) < 0.1


def test_a_softmax_sure_of_wrong_answers_is_seen(split):
    notebook = shot(network(hidden=(64, 32), init="normal", init_std=1.0), split)  # the student's N(0, 1) start
    assert notebook.layers[-1].saturated > 0.5  # sure beyond 99%, and wrong
    assert shot(network(hidden=(64, 32)), split).layers[-1].saturated < 0.05


def test_dead_relus_are_seen(split):
    net = network(hidden=(64,))
    before = shot(net, split).layers[0].dead
    alive = np.flatnonzero((net.forward(Camera.for_split(split, range(10)).sample).hidden[0] > 0).any(axis=0))
    net.biases[0][alive[:16]] = -1e3  # 16 units that fired can never fire again
    assert shot(net, split).layers[0].dead == pytest.approx(before + 16 / 64)


def test_the_update_ratio_is_the_change_per_step_relative_to_the_weights(split):
    net = network(hidden=(32,))
    camera = Camera.for_split(split, range(10))
    first = camera.look(net, 0, 0.0)
    assert all(math.isnan(layer.update_ratio) for layer in first.layers)  # nothing to compare with yet
    net.weights[0] *= 1.02  # as if 20 steps had each moved the first layer by 0.1% of its size
    later = camera.look(net, 20, 0.5)
    assert later.layers[0].update_ratio == pytest.approx(1e-3, rel=1e-3)
    assert later.layers[1].update_ratio == 0 and later.step == 20 and later.epoch == 0.5
    assert camera.look(net, 30, 0.75).layers[0].update_ratio == 0  # measured from the last snapshot on


def test_a_diverged_network_still_gives_a_snapshot(split):
    net = network(hidden=(32,))
    net.params[:] = np.nan
    s = shot(net, split)
    assert len(pickle.dumps(s)) <= MAX_BYTES and s.pictures.shape == (PICTURED, 28, 28)


def test_the_health_sample_is_a_fixed_set_of_test_digits(split):
    camera = Camera.for_split(split, (2, 5))
    assert camera.labels.tolist() == [2, 5] and len(camera.sample) == min(SAMPLE, len(split.y_test))
    np.testing.assert_array_equal(camera.sample, split.x_test[:SAMPLE])


def test_look_is_a_plain_function_too(split):
    net = network(hidden=(16,))
    rows = probe_rows(split.y_test, range(10))
    s = look(net, split.x_test[rows], split.y_test[rows], split.x_test[:50], split.y_test[:50], step=7)
    assert s.step == 7 and s.right <= 10
