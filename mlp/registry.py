"""A registry maps the names a user types ("relu", "adam") to the parts that do the work.

Each kind (activations, initialisers, losses, optimisers, schedules) keeps one
registry beside its definitions, so adding a part is one class and one line.
A part that takes settings lists, in `settings`, the TrainConfig fields it reads.
"""
from __future__ import annotations

import reprlib
from typing import Any, Mapping


class Registry(dict):
    """name -> part (a class, or a function for losses), for one kind of part."""

    def __init__(self, kind: str, parts: Mapping[str, Any]):
        super().__init__(parts)
        self.kind = kind

    def __missing__(self, name: str):
        raise ValueError(f"unknown {self.kind} {reprlib.repr(name)}: choose one of {', '.join(self)}")

    def build(self, name: str, *args: Any, **settings: Any) -> Any:
        """The part called `name`, made from `args` and the `settings` it reads; other settings are ignored."""
        part = self[name]
        return part(*args, **{key: settings[key] for key in part.settings})
