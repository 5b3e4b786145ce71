"""What a run leaves: its facts, defined once, and the app's record of a run.

`RunFacts` is the one list of what is saved of a run besides its settings, curves and network. The app's record
(`Run`: settings as a TrainConfig, curves as a History, the network as a Model) and the store's row
(store.StoredRun: the same as JSON and a model file) are both these facts plus their own forms of the rest; the
store's columns, the conversions between the two (ui.saving.records) and the Compare page's table and CSV go by
these fields' names. A new saved fact of a run is one field here, a column in store/schema.py and a migration.
"""
from __future__ import annotations

import itertools
import re
import time
import unicodedata
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from mlp.config import TrainConfig
from mlp.model import Model
from mlp.teaching.diagnosis import Finding
from mlp.trainer import History

RUN_NUMBER = re.compile(r"Run (\d+)\b")  # the names the app gives runs: "Run 3: lr 0.1"
NAME_CHARS = 200  # the longest name the store keeps (a run's); pages ask for shorter ones
# Characters a name people read may not hold: control (NUL among them: PostgreSQL refuses it in text), format
# (bidi overrides that reverse what follows, zero-width spaces and joiners that make two names look alike),
# private-use, and lone surrogates (no UTF-8 for them).
HIDDEN = frozenset({"Cc", "Cf", "Co", "Cs"})


def hidden_characters(text: str) -> bool:
    """Whether `text` holds a character of HIDDEN (what a nickname, an identity on a board, must not hold)."""
    return any(unicodedata.category(c) in HIDDEN for c in text)


def clean_name(text: object, limit: int = NAME_CHARS) -> str:
    """The one rule for a name a person gave (a run's, a class's, a file's, a nickname): on one line (each run of
    spaces, tabs and line breaks one space), without HIDDEN characters, at most `limit` characters ('…' ends one
    that was cut)."""
    line = " ".join("".join(c for c in " ".join(str(text).split()) if unicodedata.category(c) not in HIDDEN).split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def column(label: str | None, digits: int | None = None, **options: Any) -> Any:
    """A fact's field; `label` names its column in the tables that show runs (None: not shown there), where it is
    rounded to `digits` decimals if given."""
    return field(metadata={"column": label, "digits": digits}, **options)


@dataclass(kw_only=True, eq=False)
class RunFacts:
    """What a run did, as plain values: saved as they are, shown as they are."""
    name: str = column("run")
    status: str = column("status")  # finished, stopped, failed, uploaded; in the store also running, interrupted
    reason: str = column(None, default="")  # why it ended so, in words ("" when it simply finished)
    test_accuracy: float | None = column("test accuracy", default=None)
    test_loss: float | None = column("test loss", default=None)
    epochs: float = column("epochs done", 2, default=0.0)
    seconds: float = column("seconds", 1, default=0.0)  # of training
    drawings: int = column("class drawings trained on", default=0)  # 0: none; its handwriting score leaves them out
    drawings_until: float | None = column(None, default=None)  # when the newest of them was labelled (Unix seconds)

    def facts(self) -> dict[str, Any]:
        """The facts by name, to make the other form of this run with (`Run(**row.facts(), ...)`)."""
        return {f.name: getattr(self, f.name) for f in fields(RunFacts)}

    def columns(self, *names: str) -> dict[str, Any]:
        """The facts a table shows, in their order (or the facts `names`, in that order), by column label and rounded
        as the table shows them."""
        by_name = {f.name: f for f in fields(RunFacts)}
        shown = [by_name[n] for n in names] if names else [f for f in by_name.values() if f.metadata["column"]]
        return {f.metadata["column"]: _rounded(getattr(self, f.name), f.metadata["digits"]) for f in shown}


def _rounded(value: Any, digits: int | None) -> Any:
    return round(value, digits) if digits is not None and isinstance(value, float) else value


_record_ids = itertools.count(1)


@dataclass(kw_only=True, eq=False)  # a record is itself: two runs with equal settings and results are still two runs
class Run(RunFacts):
    """A finished (or stopped, failed, or uploaded) run, kept for drawing, inspecting and comparing."""
    config: TrainConfig
    history: History
    model: Model | None = None
    findings: list[Finding] = field(default_factory=list)  # what went wrong, measured (mlp.teaching.diagnosis)
    uid: int = field(default_factory=lambda: next(_record_ids))  # stable across renames, for widgets
    in_store: bool = False  # the workspace's store holds its network: out of memory, it is read back (ui.saving.networks)

    def __post_init__(self) -> None:
        self.take_network(self.model)

    @property
    def usable(self) -> bool:
        """Whether its network can be drawn with: held with finite weights, or out of memory but in the store (and
        not known to be NaN)."""
        return bool(self._finite) if self.model is not None else self.in_store and self._finite is not False

    def take_network(self, model: Model | None) -> None:
        """Hold `model` (made, or read back from the store), checked once: a run whose loss exploded may keep NaN
        weights, which nothing can read or draw with. The verdict outlives a release (None: never held)."""
        self._finite = None if model is None else bool(np.isfinite(model.network.params).all())
        self.model, self.released = model, False  # released: given back to free the server's memory (training.memory)
        self.touch()

    @property
    def megabytes(self) -> float:
        """What its network holds in memory (weights and their gradient buffer)."""
        network = self.model.network if self.model is not None else None
        return (network.params.nbytes + network.grads.nbytes) / 1e6 if network is not None else 0.0

    def touch(self) -> None:
        """Drawn with, inspected or chosen now: the last to be released."""
        self.last_used = time.monotonic()

    def release_network(self) -> None:
        """Drop the network, keep the rest: the curves, results and diagnosis still show and compare; a network the
        store holds comes back when used."""
        self.model, self.released = None, True


def last_run_number(names: list[str]) -> int:
    """The highest N of names 'Run N: …', so new runs go on counting after the restored ones."""
    return max((int(m.group(1)) for m in map(RUN_NUMBER.match, names) if m), default=0)


def run_name(count: int, label: str) -> str:
    """The name the app gives a session's `count`-th run: 'Run 3: lr 0.1', or 'Run 3' without a label."""
    return f"Run {count}: {label}" if label else f"Run {count}"
