"""What one shared server allows, each limit a setting (an environment variable) with a default, and the
words a student reads when a run would pass one. No Streamlit here: the run object and the pages share it."""
from __future__ import annotations

import dataclasses
import math
import os
import warnings
from dataclasses import dataclass

from mlp.config import TrainConfig
from mlp.cost import Cost, run_cost
from training.pace import Pace
from training.words import format_megabytes, format_range, format_seconds


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


HOLD_TIMES = 3  # a run may hold a worker this many times the longest run allowed to start (pauses, a busy server)


@dataclass(frozen=True)
class Limits:
    run_minutes: float  # the longest run that may start, by its estimated time with a core to itself
    run_megabytes: float  # the memory one run's training may take
    kept_megabytes: float  # the networks every session of this process keeps, together
    class_only: bool = False  # only members of an open class (students and their teacher) may train

    @classmethod
    def from_env(cls) -> "Limits":
        return cls(run_minutes=number_from_env("MLP_MAX_RUN_MINUTES", 3.0, 0.1),
                   run_megabytes=number_from_env("MLP_MAX_RUN_MB", 1000.0, 1.0),
                   kept_megabytes=number_from_env("MLP_KEPT_RUNS_MB", 2000.0, 1.0),
                   class_only=bool(number_from_env("MLP_TRAIN_IN_CLASS_ONLY", 0, 0, whole=True)))

    @property
    def hold_seconds(self) -> float:
        """How long a run may hold a worker, paused time included."""
        return self.run_minutes * 60 * HOLD_TIMES


LIMITS = Limits.from_env()


@dataclass(frozen=True)
class Estimate:
    cost: Cost
    seconds: float  # the likely time of its training on this server now, once it has a worker
    low: float = math.nan  # the range that time may well fall in (nan: `seconds` alone)
    high: float = math.nan
    core_seconds: float = math.nan  # with a core to itself: what the server's time limit counts (nan: `seconds`)
    wait: tuple[float, float] = (0.0, 0.0)  # the range of the wait for a worker, for a run started now
    modelled: float = math.nan  # the machine's model of it (mlp.cost), which the pace corrects

    @property
    def span(self) -> tuple[float, float]:
        return (self.seconds, self.seconds) if math.isnan(self.low) else (self.low, self.high)

    @property
    def limited_seconds(self) -> float:
        return self.seconds if math.isnan(self.core_seconds) else self.core_seconds

    @property
    def words(self) -> str:
        """'about 10-14 s and 6 MB on this server', and the wait in line before it when there is one."""
        said = f"{format_range(*self.span)} and {format_megabytes(self.cost.megabytes)} on this server"
        waiting = format_range(*self.wait) if self.wait[1] >= 1 else ""
        return f"{said}, after {waiting} in line for a worker" if waiting else said

    def waiting(self, wait: tuple[float, float]) -> "Estimate":
        return dataclasses.replace(self, wait=wait)

    def again(self, pace: Pace) -> "Estimate":
        """The same run at the pace the server measures now (a run in line was estimated when it joined)."""
        return self if math.isnan(self.modelled) else timed(self.cost, self.modelled, pace)


def timed(cost: Cost, modelled: float, pace: Pace) -> Estimate:
    """A run the machine's model times at `modelled` seconds, at the `pace` this server's runs went."""
    paces, startup = pace.paces(cost.step_flops), pace.startup()
    return Estimate(cost, startup + modelled / paces.likely, startup + modelled / paces.fast,
                    startup + modelled / paces.slow, modelled / paces.core, modelled=modelled)


def estimate(config: TrainConfig, examples: int, heldout: int, pace: Pace, evals_per_epoch: int = 1,
             slower: float = 1.0) -> Estimate:
    """Training `config` on `examples` digits, checking `heldout` digits `evals_per_epoch` times an epoch: the
    machine's model of it (mlp.cost), at the `pace` this server's runs went (training.pace); `slower` scales it
    for code slower than the engine's."""
    cost = run_cost(config, examples, heldout, evals_per_epoch)
    return timed(cost, slower * cost.seconds(pace.machine_speed()), pace)


def refusal(found: Estimate, limits: Limits = LIMITS) -> str | None:
    """Why this server will not start the run, in words with what to change; None when it fits."""
    if found.cost.megabytes > limits.run_megabytes:
        return (f"This network would need {format_megabytes(found.cost.megabytes)} of memory to train; this server allows "
                f"{format_megabytes(limits.run_megabytes)} per run. Use fewer or narrower hidden layers, or a smaller batch.")
    if found.limited_seconds > limits.run_minutes * 60:
        return (f"This run would take {format_seconds(found.limited_seconds)} on this server with a worker to itself; "
                f"it allows {format_seconds(limits.run_minutes * 60)} per run, so that one visitor cannot hold a "
                "worker for long. Use fewer epochs, fewer examples per digit, or a smaller network.")
    return None


def time_limit_reason(limits: Limits = LIMITS) -> str:
    return (f"Stopped after {format_seconds(limits.hold_seconds)}: on this shared server a run may hold a "
            "training worker that long, paused time included.")
