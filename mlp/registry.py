"""A registry maps the names a user types ("relu", "adam") to the parts that do the work.

Each kind (activations, initialisers, losses, optimisers, schedules) keeps one
registry beside its definitions, so adding a part is one class and one line.
A part lists, in `settings`, the names of the settings it reads: TrainConfig
fields shared by several parts ("momentum"), or a `Setting` it declares as its
own ("leaky_slope"), which the config, the command line and the app then offer
without another line elsewhere.
"""
from __future__ import annotations

import math
import reprlib
from typing import Any, Mapping


class Setting(str):
    """A setting a part declares as its own: its name, with its default, the open range (low, high) of its
    values, and a label and one-line help for people. It is a str, so it serves as its name wherever a
    name does (in `settings`, as a keyword, as a key)."""
    default: float
    low: float
    high: float
    label: str
    help: str

    def __new__(cls, name: str, default: float, low: float, high: float, label: str, help: str) -> "Setting":
        setting = super().__new__(cls, name)
        setting.default, setting.low, setting.high, setting.label, setting.help = default, low, high, label, help
        return setting

    def problem(self, value: float) -> str | None:
        """What is wrong with `value`, in words, or None when it lies within the range."""
        if self.low < value < self.high:
            return None
        return f"{self.label} must be above {self.low:g} and below {self.high:g}, got {value:g}"

    @property
    def step(self) -> float:
        """A step for a number box: the order of magnitude of the default (0.01 for 0.01 or 0.05)."""
        return 10.0 ** math.floor(math.log10(abs(self.default))) if self.default else 0.1


class Registry(dict):
    """name -> part (a class, or a function for losses), for one kind of part."""

    def __init__(self, kind: str, parts: Mapping[str, Any]):
        super().__init__(parts)
        self.kind = kind

    def __missing__(self, name: str):
        raise ValueError(f"unknown {self.kind} {reprlib.repr(name)}: choose one of {', '.join(self)}")

    def build(self, name: str, *args: Any, **settings: Any) -> Any:
        """The part called `name`, made from `args` and the `settings` it reads; other settings are ignored.
        A Setting the part declares takes its default when not given, and must lie within its range."""
        part = self[name]
        values = {}
        for key in getattr(part, "settings", ()):
            values[str(key)] = settings.get(key, key.default) if isinstance(key, Setting) else settings[key]
            problem = key.problem(values[key]) if isinstance(key, Setting) else None
            if problem:
                raise ValueError(problem)
        return part(*args, **values)

    def declared(self) -> dict[str, Setting]:
        """Every Setting a registered part declares, by name, in the order of the parts."""
        return {str(s): s for part in self.values() for s in getattr(part, "settings", ()) if isinstance(s, Setting)}
