"""The server's cap on kept networks: the ones used longest ago, in any session, give their weights back."""
import numpy as np

from mlp.config import TrainConfig
from mlp.model import Model
from mlp.trainer import History
from training.memory import KeptNetworks
from training.record import Run


def record(name: str, hidden=(256,)) -> Run:
    config = TrainConfig(hidden=hidden)
    return Run(name=name, config=config, history=History(), status="finished", reason="", model=Model.create(config),
               test_accuracy=0.9, test_loss=0.3, seconds=1.0, epochs=5.0)


def test_past_the_cap_the_network_used_longest_ago_is_released_and_the_rest_stays():
    first, second, third = record("a"), record("b"), record("c")
    size = first.megabytes
    assert size > 1  # 784x256 + 256x10 weights and their gradients, float32
    kept = KeptNetworks(megabytes=2.5 * size)
    assert kept.keep(first) == [] and kept.keep(second) == []
    first.touch()  # drawn with again: now second is the one used longest ago
    assert kept.keep(third) == [second]
    assert second.model is None and not second.usable and second.released
    assert second.history is not None and second.test_accuracy == 0.9  # curves and results stay
    assert first.usable and third.usable and np.isclose(kept.in_use, 2 * size)


def test_the_run_just_kept_is_never_the_one_released_even_alone_over_the_cap():
    big = record("wide", hidden=(2048,))
    kept = KeptNetworks(megabytes=1.0)
    assert kept.keep(big) == [] and big.usable


def test_a_closed_sessions_runs_leave_the_count_by_themselves():
    kept = KeptNetworks(megabytes=100)
    kept.keep(record("gone"))  # no session holds it any more
    assert kept.in_use == 0


def test_a_released_network_the_store_holds_stays_usable_and_comes_back_but_one_of_nan_weights_never_does():
    stored, broken, alone = record("in the store"), record("nan"), record("in memory only")
    stored.in_store = broken.in_store = True
    nan = broken.model.copy()
    nan.network.params[0] = np.nan
    broken.take_network(nan)
    kept = KeptNetworks(megabytes=1.5 * stored.megabytes)
    kept.keep(stored), kept.keep(alone), kept.keep(broken)
    assert stored.released and alone.released and stored.model is None
    assert stored.usable and not alone.usable and not broken.usable  # a NaN network is not read back either
    back = Model.create(stored.config)
    stored.take_network(back)
    assert kept.keep(stored) == [broken] and stored.model is back and stored.usable and not stored.released
    assert broken.released and not broken.usable  # let go, its NaN verdict stays: it never comes back to the menus
