"""The networks every session of this server process keeps, under one memory cap.

A session keeps up to ui.state.MAX_RUNS runs, each with its network; thirty students each keeping a few
wide networks would fill the server. Past the cap (training.limits: MLP_KEPT_RUNS_MB), the networks used
longest ago, in any session, give their weights back: their curves, results and diagnosis stay, and
their owner reads why. No Streamlit here: any session's thread may call it.
"""
from __future__ import annotations

import ctypes
import threading
import time
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


# ----- giving memory back to the system -----
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # mallopt's parameters (glibc's malloc.h)
BIG_BLOCK = 1 << 20  # bytes: from this size a block gets its own mapping, returned to the system when freed
TRIM_SECONDS = 30.0


def _libc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.malloc_trim, libc.mallopt  # glibc only
        return libc
    except (OSError, AttributeError):
        return None


def give_back_memory() -> bool:
    """Once per process, before the big blocks come: glibc's malloc maps every block of a megabyte or more on its own,
    so that a network's weights, a worker's message or a figure, once freed, go back to the system. By default the
    threshold grows with the blocks freed (up to 32 MB): after the first large network, its 10-30 MB layers came
    from the heap's arenas, which freed keep (the web process stayed at 1.9 GB after 20 sessions of 4096-unit
    runs had closed). Then every TRIM_SECONDS, the free memory at the arenas' tops and inside them is returned
    (malloc_trim). False where the C library is not glibc: nothing done."""
    libc = _libc()
    if libc is None:
        return False
    libc.mallopt(M_MMAP_THRESHOLD, BIG_BLOCK)  # a fixed threshold: no longer raised by the blocks freed
    libc.mallopt(M_TRIM_THRESHOLD, 4 * BIG_BLOCK)

    def trim() -> None:
        while True:
            time.sleep(TRIM_SECONDS)  # a period: the memory freed meanwhile has no event to wait on
            libc.malloc_trim(0)

    threading.Thread(target=trim, name="malloc trim", daemon=True).start()
    return True
