"""The networks every session of this server process keeps, under one memory cap.

A session keeps up to ui.state.MAX_RUNS runs, each with its network; thirty students each keeping a few
wide networks would fill the server. Past the cap (training.limits: MLP_KEPT_RUNS_MB), the networks used
longest ago, in any session, give their weights back: their curves, results and diagnosis stay, and
their owner reads why. No Streamlit here: any session's thread may call it.
"""
from __future__ import annotations

import threading
import weakref

from training.limits import LIMITS
from training.record import Run


class KeptNetworks:
    def __init__(self, megabytes: float):
        self.megabytes = megabytes
        self._lock = threading.Lock()
        self._runs: weakref.WeakSet[Run] = weakref.WeakSet()  # a closed session's runs leave by themselves

    def keep(self, record: Run) -> list[Run]:
        """Count `record`'s network; release the networks used longest ago (never `record`'s) until all fit.
        Returns the runs released."""
        with self._lock:
            record.touch()
            self._runs.add(record)
            holding = sorted((r for r in self._runs if r.model is not None), key=lambda r: r.last_used)
            total = sum(r.megabytes for r in holding)
            released = []
            for oldest in holding:
                if total <= self.megabytes:
                    break
                if oldest is not record:
                    total -= oldest.megabytes
                    oldest.release_network()
                    released.append(oldest)
            return released

    @property
    def in_use(self) -> float:
        """Megabytes held by kept networks now."""
        with self._lock:
            return sum(r.megabytes for r in self._runs if r.model is not None)


KEPT = KeptNetworks(LIMITS.kept_megabytes)  # one per server process
