"""Waiting, in tests, for something a server, a thread or a worker process does by itself.

The one poll loop of the tests: it checks the condition itself (never a fixed pause standing in for it),
and fails, saying what did not happen, if the condition does not hold in time.
"""
from __future__ import annotations

import time
from typing import Callable, TypeVar

T = TypeVar("T")


def wait_until(condition: Callable[[], T], timeout: float = 30.0, what: str = "the condition",
               every: float = 0.01) -> T:
    """The condition's first true value, checked every `every` seconds; AssertionError after `timeout`."""
    end = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= end:
            raise AssertionError(f"{what} did not happen within {timeout:.0f} s")
        time.sleep(every)
