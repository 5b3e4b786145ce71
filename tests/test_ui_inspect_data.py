"""What the Inspect page computes from a network and a data set: the test set read, the closest
training digits, each layer's output; checked on a tiny synthetic set."""
import numpy as np
import pytest

from conftest import synthetic_split
from mlp.config import TrainConfig
from mlp.model import Model
from training.once import fingerprint
from ui.inspect.data import (closest_training_digits, layer_outputs, mistake_caption, read_test_digits,
                             training_view)
from ui.shared.figures import sure


@pytest.fixture(scope="module")
def split():
    return synthetic_split(n=600, seed=3)


def model(**settings) -> Model:
    return Model.create(TrainConfig(**{"hidden": (16, 8), **settings}))


def test_the_test_set_is_read_once_into_counts_and_probabilities(split):
    m = model()
    reading = read_test_digits(m, split.x_test, split.y_test)
    assert reading.probs.shape == (len(split.y_test), 10)
    assert reading.counts.sum() == len(split.y_test)
    expected = (m.predict_proba(split.x_test).argmax(axis=1) == split.y_test).mean()
    assert reading.accuracy == pytest.approx(expected)
    assert set(reading.answered()) >= set(reading.classes)


def test_a_network_of_two_digits_is_tested_on_those_digits_only(split):
    reading = read_test_digits(model(classes=(1, 9)), split.x_test, split.y_test)
    assert set(reading.labels) == {1, 9}
    assert list(reading.rows) == list(np.flatnonzero(np.isin(split.y_test, (1, 9))))
    assert reading.counts[[0, 2, 3, 4, 5, 6, 7, 8]].sum() == 0


def test_a_cell_lists_its_digits_surest_first_and_the_worst_mistake_is_found(split):
    reading = read_test_digits(model(), split.x_test, split.y_test)
    true, answer = reading.worst_cell()
    mistakes = reading.counts.copy()
    np.fill_diagonal(mistakes, 0)
    assert true != answer and reading.counts[true, answer] == mistakes.max()
    found = reading.cell(true, answer, limit=5)
    assert len(found) == min(5, reading.counts[true, answer])
    assert all(reading.labels[found] == true) and all(reading.predicted[found] == answer)
    sureness = reading.probs[found, answer]
    assert list(sureness) == sorted(sureness, reverse=True)
    assert len(reading.surest_mistakes(4)) == 4


def test_the_closest_training_digit_to_a_training_digit_is_itself(split):
    m = model()
    view = training_view(m, split.x_train, split.y_train)
    assert view.embeddings.shape == (len(split.y_train), 8) and view.available == len(split.y_train)
    rows, distances = closest_training_digits(m, view, split.x_train[42], k=3)
    assert rows[0] == 42 and distances[0] < 1e-3 and list(distances) == sorted(distances)


def test_training_digits_are_sampled_evenly_when_memory_is_short():
    big = synthetic_split(n=3000, seed=4)
    m = model()
    view = training_view(m, big.x_train, big.y_train, memory=4 * 8 * 1000)  # room for 1,000 of 8 numbers
    assert view.available == 3000 and len(view.rows) == 1000  # a third of them
    assert list(view.rows) == sorted(set(view.rows))  # distinct, in the data set's order
    assert view.embeddings.shape == (1000, 8)
    np.testing.assert_allclose(view.embeddings[:5], m.network.forward(big.x_train[view.rows[:5]]).hidden[-1],
                               rtol=1e-5, atol=1e-6)  # each embedding belongs to its row
    share = np.bincount(big.y_train[view.rows], minlength=10) / np.bincount(big.y_train, minlength=10)
    assert np.all(np.abs(share - 1 / 3) < 0.1)  # every digit keeps about a third of its examples
    assert np.ptp(view.rows) > 0.9 * 3000  # from all over the training set, not its first rows


def test_a_network_of_two_digits_is_compared_with_those_digits_only(split):
    small = training_view(model(classes=(1, 9)), split.x_train, split.y_train)
    assert set(split.y_train[small.rows]) == {1, 9} and small.available == len(small.rows)


def test_every_layer_output_for_one_image(split):
    m = model()
    hidden, probs = layer_outputs(m, split.x_test[0].reshape(28, 28))
    assert [h.shape for h in hidden] == [(16,), (8,)]
    assert probs.shape == (10,) and probs.sum() == pytest.approx(1, abs=1e-5)


def test_the_fingerprint_follows_the_weights_and_settings():
    a, b = model(), model()
    assert fingerprint(a) == fingerprint(b)  # the same seed makes the same network
    b.network.params[0] += 1
    assert fingerprint(a) != fingerprint(b)
    assert fingerprint(a) != fingerprint(model(activation="tanh"))


def test_captions_say_what_went_wrong_and_how_sure():
    probs = np.zeros(10)
    probs[9], probs[4] = 0.97, 0.03
    assert mistake_caption(4, probs) == "a 4 read as 9, 97% sure"
    assert sure(0.9996) == ">99%" and sure(0.004) == "<1%" and sure(0.5) == "50%"


def test_what_training_changed_is_the_weights_minus_their_seeded_start(split):
    from mlp.trainer import Trainer
    from ui.inspect.data import learned_change

    config = TrainConfig(hidden=(8,), epochs=1, batch_size=64, seed=4)
    trained = Trainer(config, split).run().model
    change = learned_change(trained)
    start = Model.create(config).network.weights[0]
    np.testing.assert_allclose(change.weights[0], trained.network.weights[0] - start, atol=1e-6)
    assert np.abs(change.weights[0]).max() > 0
    assert not np.abs(learned_change(Model.create(config)).params).any()  # an untrained network changed nothing
