"""What one shared server allows, each limit a setting (an environment variable) with a default, and the
words a student reads when a run would pass one. No Streamlit here: the run object and the pages share it."""
from __future__ import annotations

import functools
import math
import os
import warnings
from dataclasses import dataclass

from mlp.config import TrainConfig
from mlp.cost import Cost, run_cost, training_speed
from training.words import format_megabytes, format_seconds


def number_from_env(name: str, default: float, minimum: float, whole: bool = False) -> float:
    """$name as a finite number of at least `minimum`; unset gives `default`, anything else is refused in a warning
    (the server's log) and gives `default`. The one reader of every server limit (training and saved work alike):
    a mistyped limit never becomes a negative one, nor turns a feature off."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value) if whole else float(value)
        if math.isfinite(number) and number >= minimum:  # written so NaN fails too
            return number
    except ValueError:
        pass
    kind = "whole number" if whole else "number"
    warnings.warn(f"{name}={value!r} is not a {kind} of at least {minimum:g}; refused, using the default {default:g}",
                  stacklevel=2)
    return default


@dataclass(frozen=True)
class Limits:
    run_minutes: float  # a run may hold a worker this long, paused time included
    run_megabytes: float  # the memory one run's training may take
    kept_megabytes: float  # the networks every session of this process keeps, together

    @classmethod
    def from_env(cls) -> "Limits":
        return cls(run_minutes=number_from_env("MLP_MAX_RUN_MINUTES", 10.0, 0.1),
                   run_megabytes=number_from_env("MLP_MAX_RUN_MB", 1000.0, 1.0),
                   kept_megabytes=number_from_env("MLP_KEPT_RUNS_MB", 2000.0, 1.0))


LIMITS = Limits.from_env()


@functools.cache
def _speed() -> float:
    """Measured once per server process (50 ms), on one thread as a worker trains."""
    return training_speed()


@dataclass(frozen=True)
class Estimate:
    cost: Cost
    seconds: float  # on this server, with a worker to itself

    @property
    def words(self) -> str:
        """'about 10 s and 6 MB on this server'"""
        return f"{format_seconds(self.seconds)} and {format_megabytes(self.cost.megabytes)} on this server"


def estimate(config: TrainConfig, examples: int, heldout: int) -> Estimate:
    cost = run_cost(config, examples, heldout)
    return Estimate(cost, cost.seconds(_speed()))


def refusal(found: Estimate, limits: Limits = LIMITS) -> str | None:
    """Why this server will not start the run, in words with what to change; None when it fits."""
    if found.cost.megabytes > limits.run_megabytes:
        return (f"This network would need {format_megabytes(found.cost.megabytes)} of memory to train; this server allows "
                f"{format_megabytes(limits.run_megabytes)} per run. Use fewer or narrower hidden layers, or a smaller batch.")
    if found.seconds > limits.run_minutes * 60:
        return (f"This run would take {format_seconds(found.seconds)} on this server; it allows "
                f"{format_seconds(limits.run_minutes * 60)} per run. Use fewer epochs, fewer examples per digit, "
                "or a smaller network.")
    return None


def time_limit_reason(limits: Limits = LIMITS) -> str:
    return (f"Stopped after {format_seconds(limits.run_minutes * 60)}: on this shared server a run may hold a "
            "training worker that long, paused time included.")
