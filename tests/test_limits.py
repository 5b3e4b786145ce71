"""A run's cost from its settings, and the server's limits: pure, checked against the engine itself."""
import math

import pytest

from conftest import synthetic_split
from mlp.config import TrainConfig
from mlp.cost import run_cost
from mlp.network import Network
from mlp.trainer import Trainer
from training.limits import Estimate, Limits, number_from_env, refusal

LIMITS = Limits(run_minutes=10, run_megabytes=1000, kept_megabytes=2000)


@pytest.mark.parametrize("hidden", [(), (32,), (256, 128), (64, 64, 64)])
def test_the_cost_counts_the_networks_parameters_and_the_trainers_steps(hidden):
    config = TrainConfig(hidden=hidden, batch_size=50, epochs=3)
    split = synthetic_split()
    cost = run_cost(config, len(split.x_train))
    assert cost.parameters == Network((784, *hidden, 10)).params.size
    assert cost.steps == Trainer(config, split).total_steps


def test_memory_and_arithmetic_grow_with_the_network_and_the_run():
    small, wide, long = (run_cost(TrainConfig(hidden=h, epochs=e), 54_000) for h, e in
                         (((128,), 5), ((1024,), 5), ((128,), 50)))
    assert wide.megabytes > 4 * small.megabytes and wide.flops > 4 * small.flops
    assert long.megabytes == small.megabytes and long.flops > 9 * small.flops


def estimate_of(seconds: float, megabytes: float) -> Estimate:
    cost = run_cost(TrainConfig(), 54_000)
    return Estimate(type(cost)(cost.parameters, megabytes, cost.steps, cost.flops), seconds)


def test_a_run_within_the_limits_is_allowed():
    assert refusal(estimate_of(seconds=599, megabytes=999), LIMITS) is None


def test_a_run_too_long_is_refused_with_its_time_and_what_to_change():
    words = refusal(estimate_of(seconds=3 * 3600, megabytes=10), LIMITS)
    assert "would take about 3 hours on this server with a worker to itself; it allows about 10 min per run" in words
    assert "fewer epochs" in words


def test_a_run_too_large_is_refused_with_its_memory_and_what_to_change():
    words = refusal(estimate_of(seconds=10, megabytes=8_600), LIMITS)
    assert "would need 8.6 GB of memory to train; this server allows 1.0 GB per run" in words
    assert "narrower hidden layers" in words


def test_a_limit_is_an_environment_setting_with_a_default(monkeypatch):
    monkeypatch.setenv("MLP_MAX_RUN_MINUTES", "2.5")
    assert number_from_env("MLP_MAX_RUN_MINUTES", 10.0, 0.1) == 2.5
    assert Limits.from_env().run_minutes == 2.5
    monkeypatch.delenv("MLP_MAX_RUN_MINUTES")
    assert Limits.from_env().run_minutes == 3.0
    for bad in ("-1", "ten", "nan"):
        monkeypatch.setenv("MLP_MAX_RUN_MINUTES", bad)
        with pytest.warns(UserWarning, match=f"MLP_MAX_RUN_MINUTES='{bad}' is not a number of at least 0.1; refused, "
                                             "using the default 3"):
            assert Limits.from_env().run_minutes == 3.0


def test_an_infinite_limit_is_refused_like_any_bad_value(monkeypatch):
    monkeypatch.setenv("MLP_MAX_RUN_MB", "inf")
    with pytest.warns(UserWarning,
                      match="MLP_MAX_RUN_MB='inf' is not a number of at least 1; refused, using the default 1000"):
        assert Limits.from_env().run_megabytes == 1000.0


def test_saved_work_limits_are_read_by_the_same_parser_bad_values_refused_in_words(monkeypatch):
    from store import Limits as WorkspaceLimits
    from ui.saving import process_store

    monkeypatch.setenv(process_store.RUNS_ENV, "7")
    monkeypatch.setenv(process_store.MB_ENV, "0.5")
    assert process_store.limits() == WorkspaceLimits(runs=7, bytes=2**19)
    default = WorkspaceLimits()
    for name, kind, minimum in ((process_store.RUNS_ENV, "whole number", "1"), (process_store.MB_ENV, "number", "0.1")):
        for bad in ("-3", "0", "ten", "nan", "inf", "1e400"):
            monkeypatch.setenv(process_store.RUNS_ENV, "7")
            monkeypatch.setenv(process_store.MB_ENV, "0.5")
            monkeypatch.setenv(name, bad)  # saved work stays on, with the default for this one limit
            with pytest.warns(UserWarning, match=f"{name}='{bad}' is not a {kind} of at least {minimum}; refused"):
                found = process_store.limits()
            if name == process_store.RUNS_ENV:
                assert found == WorkspaceLimits(runs=default.runs, bytes=2**19)
            else:
                assert found == WorkspaceLimits(runs=7, bytes=default.bytes)


def test_nothing_in_the_cost_is_infinite_or_negative():
    cost = run_cost(TrainConfig(hidden=(4096,) * 8, epochs=500, batch_size=1), 60_000)
    assert all(math.isfinite(v) and v > 0 for v in (cost.parameters, cost.megabytes, cost.steps, cost.flops))
