"""Every engine setting as the app shows it: label, one-line help, group, and when it applies.

The app keeps the settings as a plain dict of widget values (hidden layers as the text the
student typed, for instance). TrainConfig stays the single judge of what is valid: turning
the dict into a config raises ConfigError with a message worded for the student.
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any, Mapping

from mlp import activations, initializers, losses, optimizers, schedules
from mlp.config import ConfigError, TrainConfig
from mlp.presets import PRESETS
from ui.shared.text import shorten

Settings = dict[str, Any]

GROUPS = ("Network", "Learning", "Run", "Data")


@dataclass(frozen=True)
class Field:
    name: str  # the TrainConfig field
    label: str
    help: str
    group: str
    kind: str  # text, select, int, float, bool, classes, optional-int
    options: tuple = ()
    step: float | None = None
    fmt: str | None = None
    read_by: str = ""  # the setting that chooses the part reading this one ("optimizer" for momentum); "" for all

    def applies(self, settings: Mapping[str, Any]) -> bool:
        """Whether the chosen part reads this setting (Adam reads beta1, momentum and Nesterov read momentum)."""
        if not self.read_by:
            return True
        part = PARTS[self.read_by].get(settings.get(self.read_by))
        return part is not None and self.name in part.settings


# The registries of the parts a setting chooses: what a part reads is its own `settings` list.
PARTS = {"activation": activations.REGISTRY, "init": initializers.REGISTRY, "optimizer": optimizers.REGISTRY,
         "schedule": schedules.REGISTRY}
CHOICES = {**PARTS, "loss": losses.REGISTRY}  # the registry each "select" field chooses from


# The settings of the run itself and of the parts they share; fields() adds each part's own settings.
_FIELDS: tuple[Field, ...] = (
    Field("hidden", "Hidden layers (units per layer)",
          "Units in each hidden layer, input side first, separated by commas, e.g. 256, 128 "
          "('none' or empty: no hidden layer).",
          "Network", "text"),
    Field("activation", "Activation", "What each hidden unit does with its weighted input.",
          "Network", "select"),
    Field("dropout", "Dropout", "Share of hidden units switched off at random at each step, against overfitting (0 = off).",
          "Network", "float", step=0.05, fmt="%g"),
    Field("init", "Starting weights", "How the first weights are drawn: He suits ReLU, Xavier suits sigmoid and tanh, "
          "normal uses the spread you choose.", "Network", "select"),
    Field("init_std", "Spread of the normal start", "Standard deviation of the starting weights (the notebook used 1).",
          "Network", "float", step=0.1, fmt="%g",
          read_by="init"),
    Field("bias_init", "Starting bias", "Value every bias starts at: 0 is usual; a small positive value such as "
          "0.01 keeps ReLUs firing at first.", "Network", "float", step=0.01, fmt="%g"),
    Field("loss", "Loss", "What training makes small: cross-entropy suits classifying, mse is mean squared error.",
          "Learning", "select"),
    Field("optimizer", "Optimiser", "The rule that turns gradients into weight updates.",
          "Learning", "select"),
    Field("lr", "Learning rate", "Size of each update step: too large and the loss explodes, too small and nothing moves.",
          "Learning", "float", step=0.0001, fmt="%g"),
    Field("momentum", "Momentum", "Share of the previous update carried into the next one.",
          "Learning", "float", step=0.05, fmt="%g",
          read_by="optimizer"),
    Field("beta1", "Adam beta 1", "How long Adam's running average of the gradients remembers (0.9 is usual).",
          "Learning", "float", step=0.01, fmt="%g",
          read_by="optimizer"),
    Field("beta2", "Adam beta 2", "How long Adam's running average of squared gradients remembers (0.999 is usual).",
          "Learning", "float", step=0.001, fmt="%g",
          read_by="optimizer"),
    Field("rho", "RMSprop rho", "How long RMSprop's running average of squared gradients remembers (0.9 is usual).",
          "Learning", "float", step=0.01, fmt="%g",
          read_by="optimizer"),
    Field("schedule", "Learning-rate schedule",
          "How the learning rate changes: constant, cut in steps, or a smooth cosine glide down to 0.",
          "Learning", "select"),
    Field("step_epochs", "Epochs between cuts", "Step schedule: how many epochs pass between two cuts.",
          "Learning", "int", step=1, read_by="schedule"),
    Field("gamma", "Cut factor", "Step schedule: the learning rate is multiplied by this at each cut.",
          "Learning", "float", step=0.05, fmt="%g",
          read_by="schedule"),
    Field("weight_decay", "Weight decay", "Pulls every weight a little towards 0 at each step, against overfitting (0 = off).",
          "Learning", "float", step=0.0001, fmt="%g"),
    Field("epochs", "Epochs", "How many times training goes through all its examples.",
          "Run", "int", step=1),
    Field("batch_size", "Batch size", "How many examples are averaged for each update of the weights.",
          "Run", "int", step=16),
    Field("augment", "Wiggle the training digits",
          "Shift, turn and resize training digits slightly at random, so hand-drawn digits are recognised better.",
          "Run", "bool"),
    Field("styles", "Digits in other hands",
          "Share of each batch drawn as pen digits written as many people write them but MNIST's writers rarely "
          "did: a slashed 0, a 1 with a flag and a foot, a closed 4, a crossed 7 (0 = MNIST's digits only).",
          "Run", "float", step=0.05, fmt="%g"),
    Field("seed", "Random seed", "Fixes every random choice: the same seed and settings give the same run.",
          "Run", "int", step=1),
    Field("classes", "Digits to learn", "Which digits the network is trained and tested on.",
          "Data", "classes", tuple(range(10))),
    Field("per_class", "Training examples per digit", "Leave empty to use them all (about 6,000 per digit).",
          "Data", "optional-int", step=100),
    Field("validation_share", "Held out for checking",
          "Share of the training examples kept aside to check the network on digits it never trained on.",
          "Data", "float", step=0.05, fmt="%g"),
)


def fields() -> tuple[Field, ...]:
    """Every setting's field, in the order the form shows them: each choice offers the parts registered now,
    and a Setting a part declares as its own follows the choice of its part, shown while that part is chosen."""
    shown = []
    for spec in _FIELDS:
        if spec.name in CHOICES:
            spec = dataclasses.replace(spec, options=tuple(CHOICES[spec.name]))
        shown.append(spec)
        for setting in (PARTS[spec.name].declared().values() if spec.name in PARTS else ()):
            shown.append(Field(str(setting), setting.label, setting.help, spec.group, "float", step=setting.step,
                               fmt="%g", read_by=spec.name))
    return tuple(shown)


NO_HIDDEN = ("", "none", "0", "-")  # what a student may type (or a link hold) for a network without hidden layers
_WHOLE = re.compile(r"[0-9]+")  # ASCII digits only: str.isdigit() and int() also take '²' or '٣'
_NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")  # and float() takes '1_0' or '١'
_MOST_DIGITS = 18


def format_hidden(hidden: tuple[int, ...] | list[int]) -> str:
    return ", ".join(str(h) for h in hidden) if hidden else "none"


def parse_whole(text: str, what: str) -> int:
    """'128' -> 128; anything but ASCII digits is a ConfigError naming `what`. The range is TrainConfig's to judge."""
    cleaned = text.strip()
    if not _WHOLE.fullmatch(cleaned):
        raise ConfigError(f"{what}: '{shorten(cleaned)}' is not a whole number")
    if len(cleaned) > _MOST_DIGITS:  # int() refuses over 4,300 digits; no setting comes near this many
        raise ConfigError(f"{what}: '{shorten(cleaned)}' is far too large")
    return int(cleaned)


def parse_number(text: str, what: str) -> float:
    """'1e-3' -> 0.001; a ConfigError naming `what` for anything that is not a plain decimal number."""
    cleaned = text.strip()
    if not _NUMBER.fullmatch(cleaned):
        raise ConfigError(f"{what}: '{shorten(cleaned)}' is not a number")
    return float(cleaned)


def parse_hidden(text: str) -> tuple[int, ...]:
    """'256, 128' -> (256, 128); 'none' or nothing -> (), a network without hidden layers."""
    cleaned = (text or "").strip()
    if cleaned.lower() in NO_HIDDEN:
        return ()
    try:
        return tuple(parse_whole(part, "Hidden layers") for part in re.split(r"[\s,;]+", cleaned) if part)
    except ConfigError as error:
        raise ConfigError(f"{error}. Write the units of each layer like 256, 128, or 'none'.") from None


def settings_from_config(config: TrainConfig) -> Settings:
    """The widget values that show `config`."""
    values = config.to_dict()
    values["hidden"] = format_hidden(config.hidden)
    return values


def default_settings() -> Settings:
    return settings_from_config(TrainConfig())


def config_from_settings(settings: Mapping[str, Any]) -> TrainConfig:
    """The TrainConfig the settings describe. Only the typed text is parsed here: TrainConfig alone judges
    every value, and raises ConfigError in words when one is not valid."""
    return TrainConfig.from_dict({**settings, "hidden": parse_hidden(str(settings.get("hidden", "")))})


def apply_changes(settings: Mapping[str, Any], changes: Mapping[str, Any]) -> Settings:
    """Settings with some engine values replaced (a diagnosis fix, for instance), in widget form."""
    updated = dict(settings)
    for name, value in changes.items():
        if name == "hidden":
            value = format_hidden(value)
        elif name == "classes":
            value = sorted(int(c) for c in value)
        updated[name] = value
    return updated


def describe(config: TrainConfig) -> str:
    """One line naming what a run trains: shape, activation, optimiser, rate, data."""
    shape = "-".join(str(s) for s in config.sizes)
    digits = "all digits" if len(config.classes) == 10 else "digits " + ", ".join(map(str, config.classes))
    per = f", {config.per_class:,} per digit" if config.per_class else ""
    return (f"{shape} network, {config.activation}, {config.init} start, {config.optimizer} at learning rate "
            f"{config.lr:g}, {config.epochs} epoch{'s' if config.epochs != 1 else ''}, {digits}{per}")


def short_label(config: TrainConfig, most: int = 3) -> str:
    """A few words telling a run apart in a legend: its preset's name, else what differs from the defaults.

    'lr 1e-06', 'hidden 50, lr 0.01', 'notebook-all'; 'default settings' when nothing differs.
    """
    for name, preset in PRESETS.items():
        if preset.config(seed=config.seed) == config:
            return name if config.seed == preset.config().seed else f"{name}, seed {config.seed}"
    defaults = TrainConfig()
    changed = [f"{spec.name} {_short_value(getattr(config, spec.name))}" for spec in fields()
               if getattr(config, spec.name) != getattr(defaults, spec.name)]
    if not changed:
        return "default settings"
    return ", ".join(changed[:most]) + (f", +{len(changed) - most} more" if len(changed) > most else "")


def _short_value(value: Any) -> str:
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value) if value else "none"
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        return f"{value:g}"
    return "all" if value is None else str(value)
