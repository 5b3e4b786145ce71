"""Plain-language explanations of a run that failed or stalled, from what was measured.

Every rule reads the numbers the trainer recorded (losses, accuracies, the
per-layer diagnostics), never the name of a preset, and proposes one change of
settings that addresses the cause. The rules run in order, most fundamental
first; a later rule stays quiet when an earlier finding already explains what
it would report.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Callable

import numpy as np

from .. import activations, initializers, losses, optimizers
from ..config import TrainConfig
from ..network import CLASSES
from ..trainer import History

CERTAIN = 12.0  # a logit this far above the others makes softmax 99.99% sure
LIVE = "While it trained, the Train page showed it inside the network:"
MOST_DROPOUT = 0.5  # above it, dropout switches off most units at every step
SOME_DROPOUT = 0.2  # what the dropout fix proposes: a common choice for hidden layers
GUESSING_MARGIN = 0.05  # an accuracy less than this above guessing's is "no better than guessing"


def no_better_than_guessing(accuracy: float, classes: int) -> bool:
    """Whether an accuracy over `classes` digit classes is about what guessing scores (1 in `classes`): the
    notebook's broken runs ended at 9% on ten digits. The Board's list of who is stuck asks the same."""
    return accuracy < 1 / classes + GUESSING_MARGIN


@dataclass(frozen=True)
class Finding:
    code: str  # stable identifier: exploded, single-class, overconfident-start, saturated, lr-too-small, ...
    title: str
    message: str  # what was measured and why it matters, in plain words
    fix: dict[str, Any] = field(default_factory=dict)  # settings that address it
    fix_label: str = ""
    seen: str = ""  # where a live view of the insides (mlp.teaching.insides) showed it while the run trained


@dataclass
class _Run:
    """What the rules read: the settings, the measurements, and the codes found so far."""
    config: TrainConfig
    history: History
    status: str
    reason: str
    found: list[str] = field(default_factory=list)

    @property
    def train(self):
        return self.history.train

    @property
    def heldout(self):
        return self.history.heldout

    @cached_property
    def levels(self) -> tuple[float, float]:
        """(chance, certain): the loss of a network that spreads its bets evenly over the digits, and the
        loss of one that is certain of a random digit. Both come from the run's own loss function."""
        loss, answers = losses.get_loss(self.config.loss), np.tile(np.eye(CLASSES), (CLASSES, 1))
        chance = loss(np.zeros_like(answers), np.arange(len(answers)) % CLASSES, gradient=False)[0]
        certain = loss(CERTAIN * answers, np.repeat(np.arange(CLASSES), CLASSES), gradient=False)[0]
        return chance, certain

    def hidden_share(self, what: str, point: int) -> float:
        """The largest `what` ("dead" or "saturated") over the hidden layers at diagnostic `point`; 0 without any."""
        if not self.history.diagnostics:
            return 0.0
        return max((getattr(layer, what) for layer in self.history.diagnostics[point].layers[:-1]), default=0.0)

    @property
    def chance_accuracy(self) -> float:
        return 1 / len(self.config.classes)


def diagnose(config: TrainConfig, history: History, *, status: str = "finished", reason: str = "") -> list[Finding]:
    """The findings that apply to a run, most fundamental first; empty for a healthy run."""
    run = _Run(config, history, status, reason)
    findings = []
    for rule in RULES:
        finding = rule(run)
        if finding is not None:
            findings.append(finding)
            run.found.append(finding.code)
    return findings


def _single_class(run: _Run) -> Finding | None:
    only = run.config.classes
    if len(only) != 1:
        return None
    return Finding(
        "single-class", "One class only: the accuracy means nothing",
        f"Every example is a {only[0]}, so answering \"{only[0]}\" every time scores 100%. "
        "The network has learned nothing about telling digits apart.",
        {"classes": TrainConfig.classes}, "Use all ten digits")


def _too_much_dropout(run: _Run) -> Finding | None:
    drop, chance_loss = run.config.dropout, run.levels[0]
    went_badly = (_loss_blew_up(run.train, chance_loss) or _loss_spike(run.train, run.heldout, chance_loss)
                  or run.hidden_share("dead", -1) > 0.5
                  or (run.heldout and no_better_than_guessing(run.heldout[-1].accuracy, len(run.config.classes))))
    if drop <= MOST_DROPOUT or not run.config.hidden or not went_badly:
        return None
    last = f" The held-out accuracy ended at {run.heldout[-1].accuracy:.0%}." if run.heldout else ""
    return Finding(
        "dropout-too-high", f"Dropout {drop:g} leaves too few units to learn with",
        f"At every step dropout switched off {drop:.0%} of each hidden layer's units and multiplied the few left "
        f"by {1 / (1 - drop):.3g} to make up for them: each step trained a different, tiny network on a signal "
        f"blown up {1 / (1 - drop):.3g} times, so the training loss jumped about and little was learned.{last}",
        {"dropout": SOME_DROPOUT}, f"Lower dropout to {SOME_DROPOUT:g}")


def _exploded(run: _Run) -> Finding | None:
    train, heldout, chance_loss = run.train, run.heldout, run.levels[0]
    rose, spike = _loss_blew_up(train, chance_loss), _loss_spike(train, heldout, chance_loss)
    if not (run.status == "failed" or rose or spike) or ("dropout-too-high" in run.found and run.status != "failed"):
        return None
    if run.reason:
        measured = run.reason
    elif rose:
        measured = f"The training loss rose from {train[0].loss:.3g} to {train[-1].loss:.3g}."
    else:
        measured = (f"The training loss shot up to {spike:,.3g} in the first steps, from {heldout[0].loss:.3g} "
                    "before training: the large steps threw the weights far away.")
    smaller = _round(min(run.config.lr / 10, optimizers.REGISTRY[run.config.optimizer].suggested_lr))
    return Finding(
        "exploded", "The loss exploded: the learning rate is too large",
        f"{measured} Each update overshoots the minimum it aims at, by more every time.",
        {"lr": smaller}, f"Lower the learning rate to {smaller:g}",
        seen=f"{LIVE} the change per step stood far right of the green band, and the first layer's pictures "
             "turned to noise.")


def _overconfident_start(run: _Run) -> Finding | None:
    chance, certain = run.levels
    if not run.heldout or run.heldout[0].loss <= chance + 0.7 * (certain - chance):  # nearer certain than chance
        return None
    return Finding(
        "overconfident-start", f"The starting weights are far too large ({_init_words(run.config)})",
        f"Before any training the held-out loss was {run.heldout[0].loss:.3g}, where a network that knows nothing "
        f"scores {chance:.2g} and one certain of random answers {certain:.2g}. Each layer multiplied the signal's "
        "size, so the outputs are so large that softmax rounds the probabilities to exactly 0 and 1: the network "
        "is certain of wrong answers (the notebook took log(0) there).",
        *_good_init(run.config),
        seen=f"{LIVE} the probe digits were answered over 99% sure, and wrong, from the first step, and the "
             "output's bar of what cannot learn stood near the top.")


def _saturated(run: _Run) -> Finding | None:
    first = run.hidden_share("saturated", 0)  # measured 0 for an activation without flat tails
    if first <= 0.5:
        return None
    name = run.config.activation
    return Finding(
        "saturated", f"{first:.0%} of the {name} units are saturated",
        f"At the start, {first:.0%} of the outputs of a hidden layer sat in the flat tails of the {name}, where its "
        "slope is almost 0: almost no gradient flows back through them, so the layers below barely learn.",
        *_good_init(run.config),
        seen=f"{LIVE} the hidden layers' bars of units that cannot learn stood above half from the first step.")


def _dead_relus(run: _Run) -> Finding | None:
    dead = run.hidden_share("dead", -1)  # measured 0 for an activation that cannot die
    if dead <= 0.5 or {"single-class", "dropout-too-high"} & set(run.found):  # a cause that silences units too
        return None
    return Finding(
        "dead-relus", f"{dead:.0%} of a layer's ReLUs are dead",
        f"At the end, {dead:.0%} of a hidden layer's ReLUs gave 0 for every example of a batch. A ReLU "
        "that never fires passes no gradient, so it never recovers: that part of the network is lost.",
        {"activation": "leaky-relu", **({"lr": _round(run.config.lr / 10)} if run.config.lr > 0.01 else {})},
        "Use leaky ReLU, which keeps a small slope below 0",
        seen=f"{LIVE} the hidden layers' bars of units that cannot learn grew as the units died.")


def _lr_too_small(run: _Run) -> Finding | None:
    train, heldout, diagnostics = run.train, run.heldout, run.history.diagnostics
    stalled_by_other_cause = {"exploded", "dead-relus", "dropout-too-high"} & set(run.found)  # tiny steps as a symptom
    if not diagnostics or not heldout or len(train) < 2 or run.status == "failed" or stalled_by_other_cause:
        return None
    ratio = float(np.median([p.layers[0].update_ratio for p in diagnostics]))
    if ratio >= 1e-5 or train[-1].loss <= 0.05:  # a tiny step with nothing left to learn is fine
        return None
    change = abs(train[0].loss - train[-1].loss) / max(abs(train[0].loss), 1e-12)
    better = optimizers.REGISTRY[run.config.optimizer].suggested_lr
    return Finding(
        "lr-too-small", "The learning rate is too small: the loss barely moved",
        f"Each step changed the first layer's weights by about {ratio:.1e} of their size (healthy is "
        f"around 1e-3): the training loss moved by {change:.0%} in the whole run, and accuracy from "
        f"{heldout[0].accuracy:.0%} to {heldout[-1].accuracy:.0%}.",
        {"lr": better}, f"Use a learning rate of {better:g}",
        seen=f"{LIVE} the change per step stood far left of the green band, and the pictures of what training "
             "changed stayed blank.")


def _too_much_weight_decay(run: _Run) -> Finding | None:
    """Decay pulls each weight towards 0; too strong, it shrinks the weights while the loss stays high."""
    train, diagnostics, decay = run.train, run.history.diagnostics, run.config.weight_decay
    if not decay or len(train) < 2 or not diagnostics or run.status == "failed" or run.found:
        return None
    first, last = diagnostics[0].layers[0].weight_norm, diagnostics[-1].layers[0].weight_norm
    if train[-1].loss < 0.5 * run.levels[0] or last > 0.75 * first:
        return None
    weaker = _round(decay / 100)
    return Finding(
        "weight-decay-too-strong", f"Weight decay {decay:g} holds the weights back",
        f"Weight decay pulls every weight towards 0 in proportion to its size. Here it shrank the first layer's "
        f"weights from a size of {first:.3g} to {last:.3g}, while the training loss only came down to "
        f"{train[-1].loss:.3g} (a network that knows nothing scores {run.levels[0]:.2g}): the pull towards 0 "
        "outweighs what the data asks of the weights.",
        {"weight_decay": weaker}, f"Lower weight decay to {weaker:g}")


def _no_better_than_chance(run: _Run) -> Finding | None:
    explained = {"exploded", "overconfident-start", "lr-too-small", "dropout-too-high",
                 "weight-decay-too-strong"} & set(run.found)
    heldout, chance = run.heldout, run.chance_accuracy
    classes = len(run.config.classes)
    if classes < 2 or not heldout or not no_better_than_guessing(heldout[-1].accuracy, classes):
        return None
    if run.status == "failed" or explained:
        return None
    optimizer, lr = TrainConfig.optimizer, TrainConfig.lr
    return Finding(
        "chance", "No better than guessing",
        f"Held-out accuracy is {heldout[-1].accuracy:.1%}, about what guessing scores ({chance:.0%}).",
        {"optimizer": optimizer, "lr": lr}, f"Switch to {optimizer.capitalize()} with learning rate {lr:g}",
        seen=f"{LIVE} the probe digits' answers never settled on the right digits.")


RULES: tuple[Callable[[_Run], Finding | None], ...] = (
    _single_class, _too_much_dropout, _exploded, _overconfident_start, _saturated, _dead_relus, _lr_too_small,
    _too_much_weight_decay, _no_better_than_chance)


def _loss_blew_up(train, chance_loss: float) -> bool:
    if len(train) < 4:
        return False
    late = np.mean([p.loss for p in train[-max(2, len(train) // 4):]])
    return late > 2 * train[0].loss and late > chance_loss


def _loss_spike(train, heldout, chance_loss: float) -> float:
    """The training loss's peak when it shot far above where it started (0.0 otherwise): a learning rate
    so large that the first steps throw the weights away, even if the loss settles back later."""
    finite = [p.loss for p in train if math.isfinite(p.loss)]
    if not finite or not heldout:
        return 0.0
    peak = max(finite)
    return peak if peak > 10 * max(heldout[0].loss, chance_loss) else 0.0


def _good_init(config: TrainConfig) -> tuple[dict[str, Any], str]:
    """The fix "start from the initialiser that suits the activation", and its label."""
    init = activations.REGISTRY[config.activation].init
    return {"init": init}, f"Start from {init.capitalize()} initialisation"


def _init_words(config: TrainConfig) -> str:
    """The starting weights in words: the initialiser's name, or N(0, s) when it reads the spread s."""
    return f"N(0, {config.init_std:g})" if "init_std" in initializers.REGISTRY[config.init].settings else config.init


def _round(value: float) -> float:
    """Two significant digits: a value a person would type."""
    return float(f"{value:.2g}")
