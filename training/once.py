"""Results a whole server computes once: the first session to ask makes one, the others asking at the same
time wait for it instead of making it again (a class opening the same page at once does the work once)."""
from __future__ import annotations

import hashlib
import json
import threading
from typing import Callable, Generic, Hashable, TypeVar

import numpy as np

from mlp.model import Model

T = TypeVar("T")


class OncePerKey(Generic[T]):
    """A bounded map from key to result, each made by one caller while the others wait on that key alone."""

    def __init__(self, most: int):
        self.most = most
        self._results: dict[Hashable, T] = {}
        self._making: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> T | None:
        with self._lock:
            return self._results.get(key)

    def busy(self, key: Hashable) -> bool:
        """Whether another caller is making this key's result now (this one would wait)."""
        with self._lock:
            making = self._making.get(key)
        return making is not None and making.locked()

    def get_or_make(self, key: Hashable, make: Callable[[], T]) -> T:
        """The key's result, made now by `make` unless it is kept or being made (then waited for). A `make`
        that raises leaves nothing behind: the next caller tries again."""
        with self._lock:
            if key in self._results:
                return self._results[key]
            making = self._making.setdefault(key, threading.Lock())
        with making:
            kept = self.get(key)
            if kept is not None:
                return kept
            result = make()
            with self._lock:
                if len(self._results) >= self.most:  # the oldest goes first
                    self._results.pop(next(iter(self._results)))
                self._results[key] = result
                self._making.pop(key, None)
            return result


def fingerprint(model: Model) -> str:
    """A short hash of the weights and settings: equal networks share cached results, changed ones never do."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(json.dumps(model.config.to_dict(), sort_keys=True).encode())
    digest.update(np.ascontiguousarray(model.network.params).data)
    return digest.hexdigest()
