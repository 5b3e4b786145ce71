"""A teacher's rule: which settings the students of a class may change.

One definition, read wherever a setting can change: the settings form, a preset, a diagnosis fix, a share link and
the class-drawings switch. Every other setting stays at its default, the same for the whole class, so a sweep on the
board varies only what the exercise varies. What the rule blocks is said, with why; nothing claims a change it did
not make.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from ui.shared.settings import Settings, default_settings, fields

DRAWINGS = "with_drawings"  # the class-drawings switch: not a TrainConfig field, but a choice the rule can fix
DRAWINGS_LABEL = "Add the class's drawings"


def choices() -> dict[str, str]:
    """Every name a rule can leave to students, with its label, in the order the Train page shows them."""
    return {**{f.name: f.label for f in fields()}, DRAWINGS: DRAWINGS_LABEL}


@dataclass(frozen=True)
class Rule:
    """The names students may change; `None` is no rule (outside a class, or a class that leaves everything open)."""

    allowed: frozenset[str] | None = None

    @classmethod
    def of(cls, names: tuple[str, ...] | list[str] | None) -> Rule:
        """The rule a class keeps: none chosen means every setting, as the teacher's form says."""
        return cls(frozenset(names) if names else None)

    @property
    def open(self) -> bool:
        return self.allowed is None

    def permits(self, name: str) -> bool:
        return self.allowed is None or name in self.allowed

    def blocked(self, wanted: Mapping[str, Any], current: Mapping[str, Any]) -> list[str]:
        """The names `wanted` would move away from `current` that the rule fixes, in the form's order."""
        return [name for name in choices() if name in wanted and not self.permits(name)
                and wanted[name] != current.get(name)]

    def held(self, settings: Mapping[str, Any]) -> Settings:
        """`settings` with every fixed setting back at its default."""
        defaults = default_settings()
        return {name: value if self.permits(name) or name not in defaults else defaults[name]
                for name, value in settings.items()}

    def free_labels(self) -> str:
        """What students may change, in words: 'Learning rate and Batch size'."""
        return _and([label for name, label in choices().items() if self.permits(name)])

    def why(self, names: list[str]) -> str:
        """One sentence saying that the rule fixes `names`, and what it leaves free."""
        labels = choices()
        fixed = _and([labels.get(name, name) for name in names])
        verb = "is" if len(names) == 1 else "are"
        return (f"{fixed} {verb} fixed by your teacher for this exercise (you may change only "
                f"{self.free_labels()}).")


def _and(items: list[str]) -> str:
    if len(items) < 2:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
