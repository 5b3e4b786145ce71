"""Diagnosis rules on made-up histories: each rule fires on its measurement, and only there."""
import dataclasses

import numpy as np
import pytest

from mlp import optimizers
from mlp.activations import ReLU, Sigmoid
from mlp.config import TrainConfig
from mlp.diagnostics import LayerStats
from mlp.teaching.diagnosis import diagnose
from mlp.trainer import DiagnosticPoint, EvalPoint, History, TrainPoint


def layer(dead=0.0, saturated=0.0, ratio=1e-3) -> LayerStats:
    return LayerStats(dead=dead, saturated=saturated, weight_norm=10.0, update_ratio=ratio)


def history(losses, accuracies=(0.1, 0.9), start_loss=2.3, hidden=None, ratio=1e-3) -> History:
    hidden = [layer(ratio=ratio), layer(ratio=ratio)] if hidden is None else hidden
    h = History()
    for step, loss in enumerate(losses, start=1):
        h.train.append(TrainPoint(step * 10, step / 10, loss, 0.5, 1e-3))
        h.diagnostics.append(DiagnosticPoint(step * 10, step / 10, (*hidden, layer(ratio=ratio))))
    h.heldout.append(EvalPoint(0, 0.0, start_loss, accuracies[0]))
    h.heldout.append(EvalPoint(len(losses) * 10, len(losses) / 10, losses[-1], accuracies[1]))
    return h


def codes(config, hist, **kw):
    return [f.code for f in diagnose(config, hist, **kw)]


HEALTHY = [2.0, 1.0, 0.5, 0.3, 0.2, 0.15]


def test_healthy_run_has_no_findings():
    assert codes(TrainConfig(), history(HEALTHY)) == []


def test_diverged_run_blames_the_learning_rate():
    config = TrainConfig(optimizer="sgd", lr=5.0)
    found = diagnose(config, history(HEALTHY[:3]), status="failed", reason="The loss became NaN at step 12.")
    assert found[0].code == "exploded" and found[0].fix == {"lr": 0.1}  # sgd's sensible rate, below 5 / 10
    assert "NaN" in found[0].message


def test_explosion_fix_is_one_click_to_a_working_rate():
    found = diagnose(TrainConfig(optimizer="adam", lr=1.0), history(HEALTHY[:3]), status="failed")
    assert found[0].fix == {"lr": 0.001}  # not 0.1, which still explodes with Adam
    found = diagnose(TrainConfig(optimizer="sgd", lr=0.5), history(HEALTHY[:3]), status="failed")
    assert found[0].fix == {"lr": 0.05}


def test_rising_loss_without_nan_is_an_explosion_too():
    assert "exploded" in codes(TrainConfig(lr=0.5), history([2.3, 3, 8, 20, 40, 60]))


def test_huge_starting_loss_blames_the_initial_weights():
    found = diagnose(TrainConfig(init="normal"), history(HEALTHY, start_loss=1000.0))
    assert found[0].code == "overconfident-start" and found[0].fix == {"init": "he"}
    assert "1e+03" in found[0].message


def test_saturated_sigmoids_suggest_xavier():
    hist = history(HEALTHY, hidden=[layer(saturated=0.8), layer(saturated=0.3)])
    found = diagnose(TrainConfig(activation="sigmoid", init="normal"), hist)
    assert [f.code for f in found] == ["saturated"] and found[0].fix == {"init": "xavier"}
    assert "80%" in found[0].title
    # saturation is a sigmoid/tanh matter: a ReLU has no flat tails, so its outputs measure 0 saturated
    outputs = np.array([[0.001, 0.999, 0.3, 0.5]])
    assert Sigmoid().saturated(outputs) == 0.5 and ReLU().saturated(outputs) == 0.0


def test_dead_relus_suggest_leaky_relu():
    hist = history(HEALTHY, hidden=[layer(dead=0.9), layer()])
    found = diagnose(TrainConfig(activation="relu", lr=0.1), hist)
    assert found[0].code == "dead-relus" and found[0].fix["activation"] == "leaky-relu"
    assert codes(TrainConfig(activation="relu"), history(HEALTHY, hidden=[layer(dead=0.3), layer()])) == []


def test_tiny_updates_mean_the_learning_rate_is_too_small():
    hist = history([2.31, 2.30, 2.30, 2.30], accuracies=(0.1, 0.11), ratio=1e-7)
    found = diagnose(TrainConfig(optimizer="sgd", lr=1e-6), hist)
    assert [f.code for f in found] == ["lr-too-small"] and found[0].fix == {"lr": 0.1}
    # tiny updates once the loss is ~0 are just convergence
    assert codes(TrainConfig(), history([0.01, 0.001, 0.0001, 0.0], ratio=1e-9)) == []


def test_a_finding_points_back_to_what_the_live_insides_showed():
    saturated = diagnose(TrainConfig(activation="sigmoid", init="normal"),
                         history(HEALTHY, hidden=[layer(saturated=0.8), layer()]))[0]
    assert "cannot learn" in saturated.seen and "first step" in saturated.seen
    slow = diagnose(TrainConfig(optimizer="sgd", lr=1e-6), history([2.31, 2.30, 2.30, 2.30], accuracies=(0.1, 0.11),
                                                                    ratio=1e-7))[0]
    assert "change per step" in slow.seen and "far left" in slow.seen
    assert diagnose(TrainConfig(classes=(1,)), history(HEALTHY))[0].seen == ""  # nothing live to point to


def test_one_class_makes_accuracy_meaningless():
    found = diagnose(TrainConfig(classes=(1,)), history(HEALTHY, accuracies=(0.0, 1.0)))
    assert found[0].code == "single-class" and found[0].fix == {"classes": tuple(range(10))}


@pytest.mark.parametrize("classes, final, expected", [((0, 1, 2, 3, 4, 5, 6, 7, 8, 9), 0.12, True),
                                                      ((1, 9), 0.52, True), ((1, 9), 0.9, False)])
def test_chance_level_is_relative_to_the_number_of_classes(classes, final, expected):
    found = codes(TrainConfig(classes=classes), history(HEALTHY, accuracies=(0.1, final)))
    assert ("chance" in found) is expected


def test_an_early_spike_is_an_explosion_and_the_stall_after_it_is_not_a_small_learning_rate():
    # Adam at learning rate 1: the loss shoots up in the first steps, every ReLU dies, then nothing moves
    hist = history([21401.0, 613.0, 14.7, 2.4, 2.34, 2.33], accuracies=(0.09, 0.1), start_loss=2.47,
                   hidden=[layer(dead=1.0, ratio=1e-9), layer(dead=1.0, ratio=1e-9)], ratio=1e-9)
    found = diagnose(TrainConfig(lr=1.0), hist)
    assert [f.code for f in found] == ["exploded", "dead-relus"]
    assert "2.14e+04" in found[0].message and found[0].fix == {"lr": 0.001}
    # a loss that starts high and only falls is no spike
    assert "exploded" not in codes(TrainConfig(init="normal"), history(HEALTHY, start_loss=1000.0))


@pytest.mark.parametrize("optimizer", optimizers.NAMES)
def test_every_optimizer_has_a_learning_rate_to_propose(optimizer):
    """The fix comes from the optimiser's registry entry: a new optimiser cannot end a diagnosis in KeyError."""
    found = diagnose(TrainConfig(optimizer=optimizer, lr=50.0), history(HEALTHY[:3]), status="failed")
    assert found[0].code == "exploded" and found[0].fix == {"lr": optimizers.REGISTRY[optimizer].suggested_lr}


def test_no_hidden_layer_is_diagnosed_without_crashing():
    hist = history([2.31, 2.30, 2.30, 2.30], accuracies=(0.1, 0.11), hidden=[], ratio=1e-7)  # the output layer only
    assert codes(TrainConfig(hidden=(), optimizer="sgd", lr=1e-6), hist) == ["lr-too-small"]


# dropout 0.99 (measured): the training loss, taken with dropout on, jumps to 30 while the held-out
# loss stays near chance; half the units of a layer look dead because their inputs were switched off
DROPOUT_RUN = dict(losses=[29.8, 28.9, 25.2, 17.7, 15.6, 11.0, 7.0, 10.9, 7.4], accuracies=(0.1, 0.085),
                   start_loss=2.48, hidden=[layer(), layer(dead=0.54)])


def test_very_high_dropout_is_the_cause_not_the_learning_rate():
    found = diagnose(TrainConfig(dropout=0.99), history(**DROPOUT_RUN))
    assert [f.code for f in found] == ["dropout-too-high"] and found[0].fix == {"dropout": 0.2}
    assert "99%" in found[0].message and "100" in found[0].message
    # the same curves without dropout are an explosion
    assert codes(TrainConfig(dropout=0.0), history(**DROPOUT_RUN))[0] == "exploded"
    # moderate dropout that still learns is fine, and without a hidden layer dropout does nothing
    assert codes(TrainConfig(dropout=0.9), history(HEALTHY)) == []
    assert "dropout-too-high" not in codes(TrainConfig(hidden=(), dropout=0.99), history(**DROPOUT_RUN))


def test_a_nan_under_high_dropout_still_blames_the_learning_rate_too():
    found = codes(TrainConfig(dropout=0.95, optimizer="sgd", lr=50.0), history(**DROPOUT_RUN), status="failed")
    assert found == ["dropout-too-high", "exploded"]


def test_an_overconfident_start_is_recognised_under_mean_squared_error():
    """Under mse a network certain of random answers scores about 0.18 (chance: 0.09): the notebook's N(0, 1)
    start measured 0.177, and cross-entropy's threshold of 9 would never see it."""
    found = diagnose(TrainConfig(loss="mse", init="normal"), history([0.18, 0.18, 0.18], start_loss=0.177))
    assert found[0].code == "overconfident-start" and found[0].fix == {"init": "he"}
    assert codes(TrainConfig(loss="mse"), history([0.09, 0.05, 0.03], start_loss=0.093)) == []


def test_one_class_explains_silent_relus():
    hist = history(HEALTHY, accuracies=(0.0, 1.0), hidden=[layer(dead=0.9), layer()])
    assert codes(TrainConfig(classes=(1,)), hist) == ["single-class"]


def shrinking(hist: History, norms) -> History:
    """The same history, with the first layer's weights of these sizes at the diagnostic points."""
    hist.diagnostics = [
        DiagnosticPoint(p.step, p.epoch, (dataclasses.replace(p.layers[0], weight_norm=n), *p.layers[1:]))
        for p, n in zip(hist.diagnostics, norms)]
    return hist


def test_weight_decay_that_shrinks_the_weights_while_the_loss_stays_high_is_named():
    # weight decay 1 (measured): the first layer's weights shrank from 22 to 11, the loss stayed near chance
    found = diagnose(TrainConfig(weight_decay=1.0), shrinking(history([2.42, 2.3, 2.2, 2.1]), (22, 16, 12, 10.8)))
    assert [f.code for f in found] == ["weight-decay-too-strong"] and found[0].fix == {"weight_decay": 0.01}
    assert "22" in found[0].message and "10.8" in found[0].message
    # the same shrinking while the loss falls is decay doing its job; without decay it is not decay's doing
    assert codes(TrainConfig(weight_decay=0.01), shrinking(history([2.42, 1.0, 0.4, 0.1]), (22, 18, 16, 15))) == []
    assert codes(TrainConfig(), shrinking(history([2.42, 2.3, 2.2, 2.1]), (22, 16, 12, 10.8))) == []
