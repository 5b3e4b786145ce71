"""The training loop on a tiny synthetic problem: learning, determinism, stopping, weight decay."""
from types import SimpleNamespace

import numpy as np
import pytest

from mlp.config import ConfigError, TrainConfig
from mlp.trainer import Trainer

FAST = dict(hidden=(32,), epochs=3, batch_size=32, lr=3e-3)


def test_learns_and_records_history(tiny_split):
    result = Trainer(TrainConfig(**FAST), tiny_split, evals_per_epoch=2).run()
    assert result.status == "finished" and result.reason == ""
    assert result.test_accuracy > 0.9
    h = result.history
    assert h.train[-1].loss < h.train[0].loss / 3 and result.seconds > 0
    assert [p.step for p in h.train] == sorted(p.step for p in h.train)
    assert h.heldout[0].step == 0  # the starting point is measured too
    assert len(h.heldout) == 1 + 3 * 2
    assert h.heldout_name == "validation"
    assert len(h.diagnostics) == len(h.train)
    assert result.steps == 3 * 19 and result.epochs == 3.0  # 600 examples in batches of 32
    assert result.model.metrics["test_accuracy"] == result.test_accuracy


def test_same_seed_gives_bit_identical_weights(tiny_split):
    config = TrainConfig(**FAST, dropout=0.2, augment=True, seed=7)
    a = Trainer(config, tiny_split).run().model.network.params
    b = Trainer(config, tiny_split).run().model.network.params
    c = Trainer(config.replace(seed=8), tiny_split).run().model.network.params
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_no_validation_share_uses_the_test_set(tiny_split):
    tiny_split.x_val, tiny_split.y_val = tiny_split.x_val[:0], tiny_split.y_val[:0]
    result = Trainer(TrainConfig(**FAST), tiny_split).run()
    assert result.history.heldout_name == "test"
    assert result.history.heldout[-1].accuracy == pytest.approx(result.test_accuracy)


def test_the_loop_yields_one_record_per_update(tiny_split):
    trainer = Trainer(TrainConfig(**{**FAST, "epochs": 2}), tiny_split, evals_per_epoch=2)
    steps = list(trainer.steps())
    assert [s.step for s in steps] == list(range(1, 2 * 19 + 1))
    assert steps[18].epoch == 1.0 and steps[-1].epoch == 2.0
    assert all(0 <= s.accuracy <= 1 and s.loss > 0 and s.lr == 3e-3 for s in steps)
    assert [s.point for s in steps if s.point] == trainer.history.train  # what was logged is what was yielded
    assert [s.heldout for s in steps if s.heldout] == trainer.history.heldout[1:]  # after the starting point
    assert steps[18].point is not None and steps[18].heldout is not None  # every epoch end logs and evaluates
    assert trainer.status == "finished"


def test_a_consumer_stops_by_no_longer_iterating(tiny_split):
    trainer = Trainer(TrainConfig(**FAST), tiny_split)
    for step in trainer.steps():
        if step.step == 5:
            break
    result = trainer.result("Stopped by the user.")
    assert result.status == "stopped" and result.reason == "Stopped by the user."
    assert result.steps == 5 and result.epochs == 5 / 19
    assert 0 <= result.test_accuracy <= 1 and result.model.metrics["status"] == "stopped"


def test_a_diverging_loss_ends_the_loop_as_failed(tiny_split):
    # without the styled pen digits: at lr 50 a run whose ReLUs all die first ends with a finite loss, and which
    # run does depends on every row of its first batches (pool changes turned this one's seed into one)
    config = TrainConfig(hidden=(64, 64), activation="relu", init="normal", init_std=1.0, optimizer="sgd", lr=50.0,
                         epochs=3, batch_size=32, styles=0.0)
    trainer = Trainer(config, tiny_split)
    steps = list(trainer.steps())  # the generator simply ends: no exception to catch
    assert trainer.status == "failed" and len(steps) < 3 * 19
    assert f"at step {len(steps) + 1} " in trainer.reason and "learning rate of 50 is too large" in trainer.reason
    assert trainer.result().status == "failed"  # asking for the result keeps the reason
    assert trainer.result().reason == trainer.reason


def test_time_between_steps_is_not_counted(tiny_split, monkeypatch):
    now = [0.0]
    monkeypatch.setattr("mlp.trainer.time", SimpleNamespace(perf_counter=lambda: now[0]))
    trainer = Trainer(TrainConfig(**FAST), tiny_split)
    for step in trainer.steps():
        now[0] += 100.0  # a paused consumer, say: the trainer's own clock stands still meanwhile
        if step.step == 3:
            break
    assert trainer.result().seconds == 0.0


def test_weight_decay_adds_decay_times_w_to_the_weight_gradients(tiny_split):
    """One plain SGD step: w <- w - lr (g + decay w), so the decayed run differs by -lr decay w."""
    lr, decay = 0.5, 0.1
    plain = Trainer(TrainConfig(hidden=(16,), optimizer="sgd", lr=lr, epochs=1), tiny_split)
    decayed = Trainer(TrainConfig(hidden=(16,), optimizer="sgd", lr=lr, epochs=1, weight_decay=decay), tiny_split)
    start = [w.copy() for w in decayed.model.network.weights]
    next(plain.steps())
    next(decayed.steps())
    for w0, wp, wd in zip(start, plain.model.network.weights, decayed.model.network.weights):
        np.testing.assert_allclose(wd - wp, -lr * decay * w0, atol=1e-6)
        assert np.abs(wd - wp).max() > 1e-3
    for bp, bd in zip(plain.model.network.biases, decayed.model.network.biases):
        np.testing.assert_array_equal(bp, bd)  # biases are not decayed


def test_a_trainer_runs_once(tiny_split):
    trainer = Trainer(TrainConfig(**{**FAST, "epochs": 1}), tiny_split)
    trainer.run()
    with pytest.raises(RuntimeError):
        next(trainer.steps())


@pytest.mark.parametrize("changes, words", [
    (dict(lr=0), "learning rate"), (dict(hidden=(0,)), "hidden layer"), (dict(classes=()), "at least one"),
    (dict(classes=(3, 3)), "once"), (dict(batch_size=0), "batch size"), (dict(activation="swish"), "activation"),
    (dict(lr=float("nan")), "number"), (dict(hidden=(8,) * 9), "at most 8"),
])
def test_bad_settings_are_refused_in_words(changes, words):
    with pytest.raises(ConfigError, match=words):
        TrainConfig(**changes)


@pytest.mark.parametrize("layers", [0, 1, 6])
def test_any_depth_trains(tiny_split, layers):
    result = Trainer(TrainConfig(hidden=(64,) * layers, epochs=3, lr=1e-3), tiny_split).run()
    assert result.status == "finished" and result.test_accuracy > 0.5


def test_biases_start_at_zero_unless_asked():
    from mlp.model import Model

    zero = Model.create(TrainConfig(hidden=(8,)))
    assert all(not b.any() for b in zero.network.biases)
    asked = Model.create(TrainConfig(hidden=(8,), bias_init=0.01))
    assert all(np.allclose(b, 0.01) for b in asked.network.biases)
    np.testing.assert_array_equal(zero.network.weights[0], asked.network.weights[0])


def test_the_logged_update_ratio_is_the_weights_change_over_their_size(tiny_split):
    """Read from the optimiser's own record of its step, it must equal what copies of the weights give."""
    trainer = Trainer(TrainConfig(hidden=(16,), epochs=1, batch_size=8, optimizer="adam", weight_decay=1e-3), tiny_split)
    net, checked = trainer.model.network, 0
    before = [w.copy() for w in net.weights]
    for step in trainer.steps():
        if step.point is not None:
            logged = trainer.history.diagnostics[-1]
            assert logged.step == step.step
            for stats, w, b in zip(logged.layers, net.weights, before):
                expected = np.linalg.norm(w.astype(np.float64) - b) / np.linalg.norm(b.astype(np.float64))
                assert stats.update_ratio == pytest.approx(expected, rel=1e-3)
                assert stats.weight_norm == pytest.approx(np.linalg.norm(w.astype(np.float64)), rel=1e-5)
            checked += 1
        before = [w.copy() for w in net.weights]
    assert checked >= 2
