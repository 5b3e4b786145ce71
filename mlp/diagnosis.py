"""Plain-language explanations of a run that failed or stalled, from what was measured.

Every rule reads the numbers the trainer recorded (losses, accuracies, the
per-layer diagnostics), never the name of a preset, and proposes one change of
settings that addresses the cause.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .config import TrainConfig
from .trainer import History

CHANCE_LOSS = math.log(10)  # cross-entropy of a network that spreads its bets evenly over 10 digits
SUGGESTED_LR = {"sgd": 0.1, "momentum": 0.01, "nesterov": 0.01, "rmsprop": 1e-3, "adam": 1e-3}


@dataclass(frozen=True)
class Finding:
    code: str  # stable identifier: exploded, single-class, overconfident-start, saturated, lr-too-small, ...
    title: str
    message: str  # what was measured and why it matters, in plain words
    fix: dict[str, Any] = field(default_factory=dict)  # settings that address it
    fix_label: str = ""


def diagnose(config: TrainConfig, history: History, *, status: str = "finished", reason: str = "") -> list[Finding]:
    """The findings that apply to a run, most fundamental first; empty for a healthy run."""
    findings: list[Finding] = []
    train, heldout, diag = history.train, history.heldout, history.diagnostics
    hidden_stats = [p.layers[:-1] for p in diag]

    if len(config.classes) == 1:
        findings.append(Finding(
            "single-class", "One class only: the accuracy means nothing",
            f"Every example is a {config.classes[0]}, so answering \"{config.classes[0]}\" every time scores 100%. "
            "The network has learned nothing about telling digits apart.",
            {"classes": tuple(range(10))}, "Use all ten digits"))

    rose, spike = _loss_blew_up(train), _loss_spike(train, heldout)
    if status == "failed" or rose or spike:
        if reason:
            measured = reason
        elif rose:
            measured = f"The training loss rose from {train[0].loss:.3g} to {train[-1].loss:.3g}."
        else:
            measured = (f"The training loss shot up to {spike:,.3g} in the first steps, from {heldout[0].loss:.3g} "
                        "before training: the large steps threw the weights far away.")
        smaller = _round_lr(min(config.lr / 10, SUGGESTED_LR[config.optimizer]))
        findings.append(Finding(
            "exploded", "The loss exploded: the learning rate is too large",
            f"{measured} Each update overshoots the minimum it aims at, by more every time.",
            {"lr": smaller}, f"Lower the learning rate to {smaller:g}"))

    if heldout and heldout[0].loss > 4 * CHANCE_LOSS:
        findings.append(Finding(
            "overconfident-start", f"The starting weights are far too large ({_init_words(config)})",
            f"Before any training the held-out loss was {heldout[0].loss:.3g}, where a network that knows nothing "
            f"scores {CHANCE_LOSS:.1f} (ln 10). Each layer multiplied the signal's size, so the outputs are so "
            "large that softmax rounds the probabilities to exactly 0 and 1: the network is certain of wrong "
            "answers (the notebook took log(0) there).",
            _good_init(config), f"Start from {_good_init(config)['init'].capitalize()} initialisation"))

    if hidden_stats and config.activation in ("sigmoid", "tanh"):
        first = max(layer.saturated for layer in hidden_stats[0])
        if first > 0.5:
            findings.append(Finding(
                "saturated", f"{first:.0%} of the {config.activation} units are saturated",
                f"At the start, {first:.0%} of the outputs of a hidden layer sat in the flat tails of the "
                f"{config.activation}, where its slope is almost 0: almost no gradient flows back through them, "
                "so the layers below barely learn.",
                _good_init(config), f"Start from {_good_init(config)['init'].capitalize()} initialisation"))

    if hidden_stats and config.activation == "relu":
        dead = max(layer.dead for layer in hidden_stats[-1])
        if dead > 0.5:
            findings.append(Finding(
                "dead-relus", f"{dead:.0%} of a layer's ReLUs are dead",
                f"At the end, {dead:.0%} of a hidden layer's ReLUs gave 0 for every example of a batch. A ReLU "
                "that never fires passes no gradient, so it never recovers: that part of the network is lost.",
                {"activation": "leaky-relu", **({"lr": _round_lr(config.lr / 10)} if config.lr > 0.01 else {})},
                "Use leaky ReLU, which keeps a small slope below 0"))

    stalled_by_other_cause = any(f.code in ("exploded", "dead-relus") for f in findings)  # tiny steps as a symptom
    if diag and heldout and len(train) >= 2 and status != "failed" and not stalled_by_other_cause:
        ratio = float(np.median([p.layers[0].update_ratio for p in diag]))
        change = abs(train[0].loss - train[-1].loss) / max(abs(train[0].loss), 1e-12)
        if ratio < 1e-5 and train[-1].loss > 0.05:  # a tiny step with nothing left to learn is fine
            better = SUGGESTED_LR[config.optimizer]
            findings.append(Finding(
                "lr-too-small", "The learning rate is too small: the loss barely moved",
                f"Each step changed the first layer's weights by about {ratio:.1e} of their size (healthy is "
                f"around 1e-3): the training loss moved by {change:.0%} in the whole run, and accuracy from "
                f"{heldout[0].accuracy:.0%} to {heldout[-1].accuracy:.0%}.",
                {"lr": better}, f"Use a learning rate of {better:g}"))

    chance = 1 / len(config.classes)
    if len(config.classes) > 1 and heldout and heldout[-1].accuracy < chance + 0.05 and status != "failed":
        if not any(f.code in ("exploded", "overconfident-start", "lr-too-small") for f in findings):
            findings.append(Finding(
                "chance", "No better than guessing",
                f"Held-out accuracy is {heldout[-1].accuracy:.1%}, about what guessing scores ({chance:.0%}).",
                {"optimizer": "adam", "lr": 1e-3}, "Switch to Adam with learning rate 0.001"))
    return findings


def _loss_blew_up(train) -> bool:
    if len(train) < 4:
        return False
    late = np.mean([p.loss for p in train[-max(2, len(train) // 4):]])
    return late > 2 * train[0].loss and late > CHANCE_LOSS


def _loss_spike(train, heldout) -> float:
    """The training loss's peak when it shot far above where it started (0.0 otherwise): a learning rate
    so large that the first steps throw the weights away, even if the loss settles back later."""
    finite = [p.loss for p in train if math.isfinite(p.loss)]
    if not finite or not heldout:
        return 0.0
    peak = max(finite)
    return peak if peak > 10 * max(heldout[0].loss, CHANCE_LOSS) else 0.0


def _good_init(config: TrainConfig) -> dict[str, Any]:
    return {"init": "he" if config.activation in ("relu", "leaky-relu") else "xavier"}


def _init_words(config: TrainConfig) -> str:
    return f"N(0, {config.init_std:g})" if config.init == "normal" else config.init


def _round_lr(lr: float) -> float:
    return float(f"{lr:.2g}")
