"""Every setting of a training run, in one validated, JSON-friendly record."""
from __future__ import annotations

import dataclasses
import math
import numbers
import reprlib
from dataclasses import dataclass
from typing import Any, Mapping

from . import activations, initializers, losses, optimizers, schedules
from .registry import Setting

MAX_HIDDEN_LAYERS = 8
MAX_WIDTH = 4096


class ConfigError(ValueError):
    """A setting out of range, worded for the person who chose it."""


@dataclass(frozen=True, init=False)
class TrainConfig:
    """The one place of the run's defaults. A part (activation, optimiser, schedule...) reads the settings it
    names in its `settings`: fields below, which the comments say which part reads, as of writing, or a
    Setting the part declares as its own, which holds its default and range (leaky ReLU's leaky_slope).
    Either kind is read the same way, as `config.leaky_slope`, and written the same way, by its name."""
    # architecture
    hidden: tuple[int, ...] = (256, 128)
    activation: str = "relu"
    init: str = "he"
    init_std: float = 1.0  # normal
    bias_init: float = 0.0  # every bias starts here: 0 unless asked (0.01 keeps ReLUs firing at first)
    # objective and optimiser
    loss: str = "cross-entropy"
    optimizer: str = "adam"
    lr: float = 1e-3  # every schedule starts here
    momentum: float = 0.9  # momentum and nesterov
    beta1: float = 0.9  # adam
    beta2: float = 0.999  # adam
    rho: float = 0.9  # rmsprop
    weight_decay: float = 0.0
    dropout: float = 0.0
    schedule: str = "constant"
    step_epochs: int = 1  # step
    gamma: float = 0.5  # step
    # the run
    batch_size: int = 128
    epochs: int = 5
    augment: bool = False
    styles: float = 0.05  # share of each batch drawn as pen digits in ways MNIST's writers rarely wrote (mlp.drawing.styles)
    seed: int = 0
    # data
    classes: tuple[int, ...] = tuple(range(10))
    per_class: int | None = None
    validation_share: float = 0.1
    # (name, value) of each Setting a registered part declares, in the registries' order; each is also
    # an attribute of its own name. Made by __init__, never given.
    part_settings: tuple[tuple[str, float], ...] = ()

    def __init__(self, **values: Any) -> None:
        """Each setting by its name, a field above or a part's own (leaky_slope=0.05); the others take their
        defaults. Each value's type is checked here, so that a bad value is a ConfigError in words, never a
        TypeError."""
        declared = declared_settings()
        unknown = sorted(set(values) - set(self.names()))
        if unknown:
            raise ConfigError(f"unknown setting(s): {_shown(', '.join(unknown))}")
        for f in _fields():
            object.__setattr__(self, f.name, _KINDS[f.type](f.name, values.get(f.name, f.default)))
        for name, setting in declared.items():
            object.__setattr__(self, name, _number(name, values.get(name, setting.default)))
        object.__setattr__(self, "part_settings", tuple((name, getattr(self, name)) for name in declared))
        object.__setattr__(self, "classes", tuple(sorted(self.classes)))
        self.validate()

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """Every setting's name, as files, links and the command line spell it: the fields above, then the
        Settings the registered parts declare."""
        return (*(f.name for f in _fields()), *declared_settings())

    def validate(self) -> None:
        """Check every value's range (the one place that does; a part's own Setting holds its range): each
        value's type was checked when the record was made."""
        def check(ok: bool, message: str) -> None:
            if not ok:
                raise ConfigError(message)

        check(len(self.hidden) <= MAX_HIDDEN_LAYERS, f"at most {MAX_HIDDEN_LAYERS} hidden layers, got {len(self.hidden)}")
        check(all(1 <= h <= MAX_WIDTH for h in self.hidden), f"each hidden layer needs 1 to {MAX_WIDTH} units, got {list(self.hidden)}")
        for name, kind in (("activation", activations), ("init", initializers), ("loss", losses),
                           ("optimizer", optimizers), ("schedule", schedules)):
            value = getattr(self, name)
            check(value in kind.REGISTRY, f"{name} must be one of {', '.join(kind.REGISTRY)}, got {_shown(value)}")
        declared = declared_settings()
        for name, value in self.part_settings:
            problem = declared[name].problem(value)
            check(problem is None, problem)
        check(0 < self.init_std <= 100, "the initial standard deviation must be above 0 and at most 100")
        check(-1 <= self.bias_init <= 1, "the starting bias must be between -1 and 1")
        check(0 < self.lr <= 100, "the learning rate must be above 0 and at most 100")
        check(0 <= self.momentum < 1, "momentum must be at least 0 and below 1")
        check(0 <= self.beta1 < 1 and 0 <= self.beta2 < 1, "Adam's betas must be at least 0 and below 1")
        check(0 <= self.rho < 1, "RMSprop's rho must be at least 0 and below 1")
        check(0 <= self.weight_decay <= 1, "weight decay must be between 0 and 1")
        check(0 <= self.dropout < 1, "dropout must be at least 0 and below 1")
        check(self.step_epochs >= 1, "the step schedule needs a whole number of epochs, at least 1")
        check(0 < self.gamma <= 1, "the step schedule's factor must be above 0 and at most 1")
        check(1 <= self.batch_size <= 60_000, "the batch size must be a whole number from 1 to 60,000")
        check(0 <= self.styles <= 0.5, "the share of digits drawn in other styles must be from 0 to 0.5")
        check(1 <= self.epochs <= 500, "epochs must be a whole number from 1 to 500")
        check(0 <= self.seed < 2**32, "the seed must be a whole number from 0 to 4,294,967,295")
        check(len(self.classes) >= 1, "choose at least one digit class")
        check(all(0 <= c <= 9 for c in self.classes), "digit classes must be 0 to 9")
        check(len(set(self.classes)) == len(self.classes), "each digit class may be chosen once")
        check(self.per_class is None or self.per_class >= 1,
              "examples per class must be a whole number, at least 1 (or none for all)")
        check(0 <= self.validation_share <= 0.5, "the validation share must be between 0 and 0.5")

    @property
    def sizes(self) -> tuple[int, ...]:
        """Layer sizes from input to output: 784, the hidden widths, 10."""
        return (784, *self.hidden, 10)

    def replace(self, **changes: Any) -> "TrainConfig":
        return TrainConfig(**{**self._values(), **changes})

    def _values(self) -> dict[str, Any]:
        """Every setting by its name, flat: a part's own Settings beside the fields."""
        return {name: value for name, value in vars(self).items() if name != "part_settings"}

    def to_dict(self) -> dict[str, Any]:
        """Every setting by its name, in plain JSON types only (lists, not tuples)."""
        out = self._values()
        out["hidden"], out["classes"] = list(self.hidden), list(self.classes)
        return out

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> "TrainConfig":
        """Build from a mapping; unknown keys are an error, missing ones take their defaults."""
        if not isinstance(values, Mapping):
            raise ConfigError(f"the settings must be a mapping of names to values, got {_shown(values)}")
        unknown = sorted(set(map(str, values)) - set(cls.names()))
        if unknown:
            raise ConfigError(f"unknown setting(s): {_shown(', '.join(unknown))}")
        return cls(**values)


# Settings added after runs were saved, with the value that reproduces what those runs did.
BEFORE_THEY_EXISTED = {"styles": 0.0}  # MNIST's digits only


def from_saved(values: Mapping[str, Any]) -> TrainConfig:
    """The settings of a saved run (a model file, a stored or posted run): one saved before a setting existed
    trained without it (BEFORE_THEY_EXISTED), not with today's default."""
    if not isinstance(values, Mapping):
        raise ConfigError(f"the settings must be a mapping of names to values, got {_shown(values)}")
    return TrainConfig.from_dict({**BEFORE_THEY_EXISTED, **values})


def declared_settings() -> dict[str, Setting]:
    """The Setting each registered part declares as its own, by name: read at each use, so that a part
    registered later is known too."""
    return {name: setting for kind in (activations, initializers, optimizers, schedules)
            for name, setting in kind.REGISTRY.declared().items()}


def _fields() -> tuple[dataclasses.Field, ...]:
    """The fields given by name (all but part_settings)."""
    return tuple(f for f in dataclasses.fields(TrainConfig) if f.name != "part_settings")


def _shown(value: Any) -> str:
    """A value as it may appear in a message: shortened, so a hostile value cannot flood it."""
    return reprlib.repr(value)


def _number(name: str, value: Any) -> float:
    try:  # float() refuses an int beyond 1e308 with OverflowError
        number = float(value) if isinstance(value, numbers.Real) and not isinstance(value, bool) else math.nan
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise ConfigError(f"{name} must be a finite number, got {_shown(value)}")
    return number


def _is_whole(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _whole(name: str, value: Any) -> int:
    if not _is_whole(value):
        raise ConfigError(f"{name} must be a whole number, got {_shown(value)}")
    return int(value)


def _whole_or_none(name: str, value: Any) -> int | None:
    return None if value is None else _whole(name, value)


def _wholes(name: str, value: Any) -> tuple[int, ...]:
    if not isinstance(value, (list, tuple)) or not all(_is_whole(v) for v in value):
        raise ConfigError(f"{name} must be a list of whole numbers, got {_shown(value)}")
    return tuple(int(v) for v in value)


def _flag(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{name} must be true or false, got {_shown(value)}")
    return value


def _text(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{name} must be a name, got {_shown(value)}")
    return value


# Each field's annotation (a string, see `from __future__ import annotations`) names the check for its type.
_KINDS = {"float": _number, "int": _whole, "int | None": _whole_or_none, "tuple[int, ...]": _wholes,
          "bool": _flag, "str": _text}

