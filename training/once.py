"""Results a whole server computes once: the first session to ask starts the work, the others asking at the same
time follow that work instead of starting it again (a class opening the same page at once does the work once)."""
from __future__ import annotations

import hashlib
import json
import threading
from typing import Any, Callable, Generic, Hashable, TypeVar

import numpy as np

from mlp.model import Model

T = TypeVar("T")


class SharedRuns(Generic[T]):
    """Results made by runs of the training service, once per key for the whole server. The first session to ask
    for a key starts its run; the others asking while it trains are handed the same run, to show it too. A
    finished run's result is kept (at most `most`, the oldest going first); a run abandoned (no page showed it any
    more) is forgotten, so the next to ask starts it again; one that failed stays, so that every page showing it
    says why, until `forget` lets the next ask start it again. A run (training.replay.ReplayRun) has `done`,
    `abandoned` and `result`, its T once it has finished."""

    def __init__(self, most: int):
        self.most = most
        self._results: dict[Hashable, T] = {}
        self._runs: dict[Hashable, Any] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> T | None:
        with self._lock:
            return self._collect(key)

    def get_or_start(self, key: Hashable, start: Callable[[], Any]) -> tuple[Any, bool]:
        """The key's result if it is kept; else its run: the one under way (or failed), or one `start` makes and
        starts now, then True beside it. A `start` that raises leaves nothing behind."""
        with self._lock:
            result = self._collect(key)
            if result is not None:
                return result, False
            if key in self._runs:
                return self._runs[key], False
            run = self._runs[key] = start()
            return run, True

    def forget(self, key: Hashable) -> None:
        """Drop the key's run if it has ended without a result: the next to ask starts it again."""
        with self._lock:
            run = self._runs.get(key)
            if run is not None and run.done and run.result is None:
                del self._runs[key]

    def _collect(self, key: Hashable) -> T | None:
        """Under the lock: the key's result, moving it from its finished run to the kept ones."""
        if key in self._results:
            return self._results[key]
        run = self._runs.get(key)
        if run is None or not run.done:
            return None
        if run.result is None:
            if run.abandoned:
                del self._runs[key]
            return None
        del self._runs[key]
        if len(self._results) >= self.most:  # the oldest goes first
            self._results.pop(next(iter(self._results)))
        self._results[key] = run.result
        return run.result


def fingerprint(model: Model) -> str:
    """A short hash of the weights and settings: equal networks share cached results, changed ones never do."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(json.dumps(model.config.to_dict(), sort_keys=True).encode())
    digest.update(np.ascontiguousarray(model.network.params).data)
    return digest.hexdigest()
