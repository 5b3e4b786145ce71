"""One seed, separate random streams for separate jobs.

Initial weights, the order of examples, and the noise of dropout and augmentation
each draw from their own stream, so switching augmentation on does not change the
starting weights: runs that differ in one setting start from the same network.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Streams(NamedTuple):
    init: np.random.Generator
    order: np.random.Generator
    noise: np.random.Generator


def random_streams(seed: int) -> Streams:
    return Streams(*np.random.default_rng(seed).spawn(3))
