"""Each optimiser takes the step its textbook formula gives, reads the settings it names, and descends;
each schedule gives the rate its formula gives."""
import dataclasses
import math

import numpy as np
import pytest

from mlp import optimizers, schedules
from mlp.config import TrainConfig
from mlp.optimizers import NAMES, make_optimizer
from mlp.schedules import make_schedule

P0 = np.array([1.0, -2.0, 0.5], dtype=np.float32)
GRADS = [np.array(g, dtype=np.float32) for g in ([0.5, -0.25, 0.0], [0.3, 0.1, -1.0], [-0.2, 0.4, 2.0])]
LR = 0.1
MU = 0.7


def _sgd(p, g, t, state):
    return p - LR * g


def _momentum(p, g, t, state):
    state["v"] = MU * state.get("v", 0) - LR * g
    return p + state["v"]


def _nesterov(p, g, t, state):
    state["v"] = MU * state.get("v", 0) - LR * g
    return p + MU * state["v"] - LR * g


def _rmsprop(p, g, t, state):
    state["s"] = 0.9 * state.get("s", 0) + 0.1 * g * g
    return p - LR * g / (np.sqrt(state["s"]) + 1e-8)


def _adam(p, g, t, state):
    state["m"] = 0.9 * state.get("m", 0) + 0.1 * g
    state["s"] = 0.999 * state.get("s", 0) + 0.001 * g * g
    return p - LR * (state["m"] / (1 - 0.9 ** t)) / (np.sqrt(state["s"] / (1 - 0.999 ** t)) + 1e-8)


TEXTBOOK = {"sgd": _sgd, "momentum": _momentum, "nesterov": _nesterov, "rmsprop": _rmsprop, "adam": _adam}


def run(config: TrainConfig, grads=GRADS, p0=P0, lr=LR) -> np.ndarray:
    opt = make_optimizer(config, p0.size)
    p = p0.copy()
    for g in grads:
        opt.step(p, g, lr)
    return p


@pytest.mark.parametrize("name", TEXTBOOK)
def test_optimizer_follows_its_formula_in_float64(name):
    p, state = P0.astype(np.float64), {}
    for t, g in enumerate(GRADS, start=1):
        p = TEXTBOOK[name](p, g.astype(np.float64), t, state)
    ours = run(TrainConfig(optimizer=name, momentum=MU))
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours, p, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_every_optimizer_descends_a_quadratic_at_its_suggested_rate(name):
    """f(w) = 1/2 sum a w^2, with curvatures a tenfold apart: 500 steps must bring f down tenfold."""
    curvature = np.array([0.2, 0.5, 1.0, 2.0], dtype=np.float32)
    w = np.array([0.5, -0.4, 0.3, -0.2], dtype=np.float32)
    f0 = 0.5 * float(np.sum(curvature * w * w))
    opt = make_optimizer(TrainConfig(optimizer=name), w.size)
    for _ in range(500):
        opt.step(w, curvature * w, optimizers.REGISTRY[name].suggested_lr)
    assert 0.5 * float(np.sum(curvature * w * w)) < f0 / 10


@pytest.mark.parametrize("name", NAMES)
def test_every_optimizer_reads_the_settings_it_names(name):
    part = optimizers.REGISTRY[name]
    fields = {f.name for f in dataclasses.fields(TrainConfig)}
    assert set(part.settings) <= fields
    assert 0 < part.suggested_lr and TrainConfig(optimizer=name, lr=part.suggested_lr)
    base = TrainConfig(optimizer=name)
    for setting in part.settings:  # halving a setting it names changes the steps it takes
        assert not np.allclose(run(base), run(base.replace(**{setting: getattr(base, setting) / 2})))


def test_first_adam_step_is_lr_times_sign():
    """Bias correction makes Adam's first step lr * sign(g), whatever the gradient's size."""
    p = run(TrainConfig(optimizer="adam"), grads=[np.array([1e-3, -50.0, 0.0], dtype=np.float32)])
    np.testing.assert_allclose(p, P0 + [-LR, LR, 0.0], atol=1e-4)


def test_unknown_parts_are_named_with_the_choices():
    with pytest.raises(ValueError, match="unknown optimiser 'adma': choose one of sgd, momentum"):
        optimizers.REGISTRY.build("adma", 3)
    with pytest.raises(ValueError, match="unknown schedule 'warmup'"):
        schedules.REGISTRY["warmup"]


SCHEDULE_AT = {  # progress in epochs -> rate, for lr 0.1 over 4 epochs, halved every epoch
    "constant": {0.0: 0.1, 2.5: 0.1, 4.0: 0.1},
    "step": {0.0: 0.1, 0.99: 0.1, 1.0: 0.05, 2.5: 0.025},
    "cosine": {0.0: 0.1, 2.0: 0.05, 4.0: 0.0},
}


@pytest.mark.parametrize("name", SCHEDULE_AT)
def test_schedule_follows_its_formula(name):
    schedule = make_schedule(TrainConfig(schedule=name, lr=0.1, epochs=4, step_epochs=1, gamma=0.5))
    for progress, rate in SCHEDULE_AT[name].items():
        assert schedule(progress) == pytest.approx(rate, abs=1e-12)


@pytest.mark.parametrize("name", schedules.NAMES)
def test_every_schedule_starts_at_the_rate_and_never_rises(name):
    schedule = make_schedule(TrainConfig(schedule=name, lr=0.1, epochs=4))
    rates = [schedule(e / 10) for e in range(41)]
    assert rates[0] == pytest.approx(0.1)
    assert all(0 <= b <= a for a, b in zip(rates, rates[1:]))
    assert set(schedules.REGISTRY[name].settings) <= {f.name for f in dataclasses.fields(TrainConfig)}


def test_the_step_schedule_takes_its_factor_from_the_config():
    """TrainConfig holds the one default: the step schedule's factor is 0.5 unless set."""
    schedule = make_schedule(TrainConfig(schedule="step", lr=1.0))
    assert schedule(1.0) == TrainConfig.gamma == 0.5
    assert math.isclose(make_schedule(TrainConfig(schedule="step", lr=1.0, gamma=0.1))(2.0), 0.01)


@pytest.mark.parametrize("name", ["momentum", "nesterov", "rmsprop", "adam"])
def test_a_running_average_that_only_decays_is_flushed_to_zero_not_left_subnormal(name):
    """One gradient, then zeros (a pixel blank in every later batch): the average decays through float32's
    subnormal range, which is slow on x86; the optimiser sets such values to 0 every flush_every(decay) steps."""
    opt = optimizers.REGISTRY.build(name, 3, momentum=0.9, rho=0.9, beta1=0.9, beta2=0.9)
    params = np.zeros(3, np.float32)
    opt.step(params, np.array([1.0, 1e-3, 0.0], np.float32), 0.1)
    subnormal_between, subnormal_after_flush = False, False
    for _ in range(3000):
        opt.step(params, np.zeros(3, np.float32), 0.1)
        for average, decay in opt._averages():
            found = np.any((average != 0) & (np.abs(average) < np.finfo(np.float32).tiny))
            subnormal_between |= found
            subnormal_after_flush |= found and opt.t % optimizers.flush_every(decay) == 0
    assert subnormal_between and not subnormal_after_flush
    assert all(not a.any() for a, _ in opt._averages())  # all the way down to 0
    assert np.isfinite(params).all()



@pytest.mark.parametrize("decay", [0.5, 0.9, 0.99, 0.999])
def test_an_average_is_flushed_a_few_times_while_a_value_decays_through_the_subnormal_range(decay):
    """Flushing often costs passes, rarely leaves values subnormal for longer: FLUSHES times per crossing."""
    x, crossing = 2.0 ** -126, 0  # float32's smallest normal number, decayed (in float64) below its smallest subnormal
    while x >= 2.0 ** -149:
        x, crossing = x * decay, crossing + 1
    every = optimizers.flush_every(decay)
    assert every * optimizers.FLUSHES <= crossing <= (every + 1) * optimizers.FLUSHES
    assert optimizers.flush_every(0.0) is None and optimizers.flush_every(0.01) == 1

@pytest.mark.parametrize("name", TEXTBOOK)
def test_change_is_what_the_step_added_to_every_parameter(name):
    """The diagnostics read an update's size from `change` instead of copying the weights before each step."""
    opt = make_optimizer(TrainConfig(optimizer=name, momentum=MU), P0.size)
    p = P0.copy()
    for g in GRADS:
        before = p.copy()
        opt.step(p, g, LR)
        np.testing.assert_allclose(opt.change, p - before, rtol=1e-5, atol=1e-7)
        assert np.any(opt.change != 0)
