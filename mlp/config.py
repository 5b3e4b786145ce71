"""Every setting of a training run, in one validated, JSON-friendly record."""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Mapping

from . import activations, initializers, losses, optimizers, schedules

MAX_HIDDEN_LAYERS = 8
MAX_WIDTH = 4096


class ConfigError(ValueError):
    """A setting out of range, worded for the person who chose it."""


@dataclass(frozen=True)
class TrainConfig:
    # architecture
    hidden: tuple[int, ...] = (256, 128)
    activation: str = "relu"
    leaky_slope: float = 0.01
    init: str = "he"
    init_std: float = 1.0  # only for init="normal"
    bias_init: float = 0.0  # every bias starts here: 0 unless asked (0.01 keeps ReLUs firing at first)
    # objective and optimiser
    loss: str = "cross-entropy"
    optimizer: str = "adam"
    lr: float = 1e-3
    momentum: float = 0.9  # momentum and nesterov
    beta1: float = 0.9  # adam
    beta2: float = 0.999  # adam
    rho: float = 0.9  # rmsprop
    weight_decay: float = 0.0
    dropout: float = 0.0
    schedule: str = "constant"
    step_epochs: int = 1  # schedule="step"
    gamma: float = 0.5  # schedule="step"
    # the run
    batch_size: int = 128
    epochs: int = 5
    augment: bool = False
    seed: int = 0
    # data
    classes: tuple[int, ...] = tuple(range(10))
    per_class: int | None = None
    validation_share: float = 0.1

    def __post_init__(self) -> None:
        object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))
        object.__setattr__(self, "classes", tuple(sorted(int(c) for c in self.classes)))
        self.validate()

    def validate(self) -> None:
        def check(ok: bool, message: str) -> None:
            if not ok:
                raise ConfigError(message)

        def finite(name: str) -> float:
            value = getattr(self, name)
            check(isinstance(value, (int, float)) and math.isfinite(value), f"{name} must be a number, got {value!r}")
            return value

        check(len(self.hidden) <= MAX_HIDDEN_LAYERS, f"at most {MAX_HIDDEN_LAYERS} hidden layers, got {len(self.hidden)}")
        check(all(1 <= h <= MAX_WIDTH for h in self.hidden), f"each hidden layer needs 1 to {MAX_WIDTH} units, got {list(self.hidden)}")
        check(self.activation in activations.NAMES, f"activation must be one of {', '.join(activations.NAMES)}")
        check(0 < finite("leaky_slope") < 1, "the leaky ReLU slope must be between 0 and 1")
        check(self.init in initializers.NAMES, f"init must be one of {', '.join(initializers.NAMES)}")
        check(0 < finite("init_std") <= 100, "the initial standard deviation must be above 0 and at most 100")
        check(-1 <= finite("bias_init") <= 1, "the starting bias must be between -1 and 1")
        check(self.loss in losses.NAMES, f"loss must be one of {', '.join(losses.NAMES)}")
        check(self.optimizer in optimizers.NAMES, f"optimizer must be one of {', '.join(optimizers.NAMES)}")
        check(0 < finite("lr") <= 100, "the learning rate must be above 0 and at most 100")
        check(0 <= finite("momentum") < 1, "momentum must be at least 0 and below 1")
        check(0 <= finite("beta1") < 1 and 0 <= finite("beta2") < 1, "Adam's betas must be at least 0 and below 1")
        check(0 <= finite("rho") < 1, "RMSprop's rho must be at least 0 and below 1")
        check(0 <= finite("weight_decay") <= 1, "weight decay must be between 0 and 1")
        check(0 <= finite("dropout") < 1, "dropout must be at least 0 and below 1")
        check(self.schedule in schedules.NAMES, f"schedule must be one of {', '.join(schedules.NAMES)}")
        check(isinstance(self.step_epochs, int) and self.step_epochs >= 1, "the step schedule needs a whole number of epochs, at least 1")
        check(0 < finite("gamma") <= 1, "the step schedule's factor must be above 0 and at most 1")
        check(isinstance(self.batch_size, int) and 1 <= self.batch_size <= 60_000, "the batch size must be a whole number from 1 to 60,000")
        check(isinstance(self.epochs, int) and 1 <= self.epochs <= 500, "epochs must be a whole number from 1 to 500")
        check(isinstance(self.seed, int) and 0 <= self.seed < 2**32, "the seed must be a whole number from 0 to 4,294,967,295")
        check(len(self.classes) >= 1, "choose at least one digit class")
        check(all(0 <= c <= 9 for c in self.classes), "digit classes must be 0 to 9")
        check(len(set(self.classes)) == len(self.classes), "each digit class may be chosen once")
        check(self.per_class is None or (isinstance(self.per_class, int) and self.per_class >= 1),
              "examples per class must be a whole number, at least 1 (or none for all)")
        check(0 <= finite("validation_share") <= 0.5, "the validation share must be between 0 and 0.5")

    @property
    def sizes(self) -> tuple[int, ...]:
        """Layer sizes from input to output: 784, the hidden widths, 10."""
        return (784, *self.hidden, 10)

    def replace(self, **changes: Any) -> "TrainConfig":
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types only (lists, not tuples)."""
        out = dataclasses.asdict(self)
        out["hidden"], out["classes"] = list(self.hidden), list(self.classes)
        return out

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> "TrainConfig":
        """Build from a mapping; unknown keys are an error, missing ones take their defaults."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(f"unknown setting(s): {', '.join(unknown)}")
        try:
            return cls(**values)
        except (TypeError, ValueError) as error:
            if isinstance(error, ConfigError):
                raise
            raise ConfigError(str(error)) from error

