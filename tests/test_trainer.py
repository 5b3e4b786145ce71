"""The training loop on a tiny synthetic problem: learning, determinism, control from another thread."""
import threading
import time

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
    assert h.train[-1].loss < h.train[0].loss / 3
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


def test_exploding_loss_stops_with_a_reason(tiny_split):
    config = TrainConfig(hidden=(64, 64), activation="relu", init="normal", init_std=1.0, optimizer="sgd", lr=50.0,
                         epochs=3, batch_size=32)
    result = Trainer(config, tiny_split).run()
    assert result.status == "failed"
    assert "step" in result.reason and "learning rate of 50 is too large" in result.reason


def run_in_thread(trainer: Trainer) -> tuple[threading.Thread, list]:
    out = []
    thread = threading.Thread(target=lambda: out.append(trainer.run()), daemon=True)
    thread.start()
    return thread, out


def wait_for(condition, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_pause_resume_and_stop_from_another_thread(tiny_split):
    trainer = Trainer(TrainConfig(**{**FAST, "epochs": 500}), tiny_split)
    thread, out = run_in_thread(trainer)
    wait_for(lambda: trainer.progress().step > 5)
    trainer.pause()
    wait_for(lambda: trainer.state == "paused")
    time.sleep(0.05)
    held = trainer.progress().step
    time.sleep(0.3)
    assert trainer.progress().step - held <= 1  # at most the step under way when paused
    trainer.resume()
    wait_for(lambda: trainer.progress().step > held + 5)
    trainer.stop()
    thread.join(5)
    assert not thread.is_alive()
    result = out[0]
    assert result.status == "stopped" and "user" in result.reason
    assert 0 < result.epochs < 500
    assert trainer.progress().state == "stopped"


def test_a_paused_run_stops_when_nobody_is_watching(tiny_split):
    watching = threading.Event()
    watching.set()
    trainer = Trainer(TrainConfig(**{**FAST, "epochs": 500}), tiny_split, keep_going=watching.is_set)
    thread, out = run_in_thread(trainer)
    wait_for(lambda: trainer.progress().step > 2)
    trainer.pause()
    watching.clear()
    thread.join(5)
    assert not thread.is_alive()
    assert out[0].status == "stopped" and "closed" in out[0].reason


def test_snapshot_is_a_copy_usable_while_training(tiny_split):
    trainer = Trainer(TrainConfig(**{**FAST, "epochs": 500}), tiny_split)
    thread, _ = run_in_thread(trainer)
    wait_for(lambda: len(trainer.history().train) > 3)
    snapshot = trainer.snapshot()
    before = snapshot.network.params.copy()
    wait_for(lambda: len(trainer.history().train) > 6)
    assert np.array_equal(snapshot.network.params, before)
    assert snapshot.predict_proba(tiny_split.x_test[:3]).shape == (3, 10)
    trainer.stop()
    thread.join(5)


def test_a_trainer_runs_once(tiny_split):
    trainer = Trainer(TrainConfig(**{**FAST, "epochs": 1}), tiny_split)
    trainer.run()
    with pytest.raises(RuntimeError):
        trainer.run()


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
