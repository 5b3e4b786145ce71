"""The app's side of saved work, without Streamlit: the process's store, and a saver per training run.

A run is written "running" when it starts, its curves every CHECKPOINT_SECONDS while it trains, and
its final row when it ends, by a thread of its own: a run whose tab was closed is still saved. A final row the store
cannot take (full, locked, down) is tried again by that thread every FINAL_RETRY_SECONDS until it lands or the
server stops (its row then comes back "interrupted"): no tab needs to stay open for it. The session's page also asks
for the final write when it collects the run, and waits for it then.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from store import Limits, Store, StoreError, StoreLimitReached, StoreUnavailable, database_url, state_dir
from training.limits import number_from_env
from training.logs import short
from training.record import Run
from training.run import TrainingRun
from ui.saving import records

log = logging.getLogger(__name__)

CHECKPOINT_SECONDS = 5.0  # curves so far, and the sign that the training process lives (store.STALE_SECONDS)
RETRY_SECONDS = 30.0  # a store that could not be opened is tried again after this long, not on every page
FINAL_RETRY_SECONDS = 10.0  # an ended run's final row the store could not take is written again after this long
RUNS_ENV, MB_ENV = "MLP_WORKSPACE_RUNS", "MLP_WORKSPACE_MB"  # the server's limits per workspace
BUSY_SECONDS = 5.0  # how long a write waits for another program's lock on an SQLite store before giving up

_stores: dict[str, Store] = {}
_closed = threading.Event()  # set when the opened stores are closed: savers of that time stop trying (replaced anew)
_failed: dict[str, tuple[float, str]] = {}
_lock = threading.Lock()


def state_folder() -> str:
    """The server's state folder ($MLP_STATE_DIR; store.state_dir): saved work's SQLite file, and the files the server
    keeps for itself (its reference network, training.reference)."""
    return str(state_dir())


def open_store() -> Store:
    """The process's store for $MLP_DATABASE_URL / $MLP_STATE_DIR, opened (and migrated) once; StoreError
    when it cannot be, repeated without retrying for RETRY_SECONDS."""
    url = _url_or_fail()
    with _lock:
        if url in _stores:
            return _stores[url]
        when, message = _failed.get(url, (0.0, ""))
        if time.monotonic() - when < RETRY_SECONDS:
            raise StoreUnavailable(message)
        try:
            _stores[url] = Store(url, limits=limits(), busy_seconds=BUSY_SECONDS)
        except StoreError as error:
            _failed[url] = (time.monotonic(), str(error))
            raise
        _failed.pop(url, None)
        return _stores[url]


def limits() -> Limits:
    """Limits per workspace: $MLP_WORKSPACE_RUNS runs and $MLP_WORKSPACE_MB megabytes, else the store's defaults;
    read as every server limit is (training.limits.number_from_env: a bad value is refused, with a warning)."""
    default = Limits()
    runs = int(number_from_env(RUNS_ENV, default.runs, 1, whole=True))
    megabytes = number_from_env(MB_ENV, default.bytes / 2**20, 0.1)
    return Limits(runs=runs, bytes=int(megabytes * 2**20))


def close_stores() -> None:
    """Forget the opened stores (tests that change the address; a server that ends): savers still trying to write
    into them give up."""
    global _closed
    with _lock:
        _closed.set()
        _closed = threading.Event()
        for store in _stores.values():
            store.close()
        _stores.clear()
        _failed.clear()


def _url_or_fail() -> str:
    try:
        return database_url()
    except OSError:  # the data folder cannot be made
        log.error("saved work is off: the data folder cannot be made", exc_info=True)
        raise StoreUnavailable("Saved work cannot be kept: the server's data folder cannot be made.") from None


class RunSaver:
    """Writes one training run into a workspace: at start, while it trains, and at its end until that lands."""

    def __init__(self, store: Store, workspace: str, run: TrainingRun):
        """Raises StoreError (the run then trains in memory only)."""
        self.store, self.workspace, self.run = store, workspace, run
        self._closed = _closed  # set once this store is closed: no more tries into it
        self._lost = store.lost
        self.row_id = store.begin_run(workspace, run.name, run.config.to_dict())
        self._lock = threading.Lock()
        self._outcome: StoreError | None = None
        self.landed = threading.Event()  # the final row is written (a limit may have kept its network out)
        self.network_saved = False  # the final row holds the network: out of memory, it can be read back
        with _lock:
            _live[self.row_id] = self
        threading.Thread(target=self._follow, name=f"saving {run.name}", daemon=True).start()

    @property
    def pending(self) -> bool:
        """The run has ended and its final row is not written yet (this server keeps trying)."""
        return self.run.done and not self.landed.is_set()

    def finish(self) -> StoreError | None:
        """Write the ended run's final row unless it is (the thread and the page may both ask); what went wrong, if
        anything: StoreUnavailable while it is not written (the thread tries again), StoreLimitReached once it is
        written without its network."""
        with self._lock:
            if self.landed.is_set():
                return self._outcome
            row = records.stored(self.run.record)
            try:
                self._move(self.store.finish_run(self.workspace, self.row_id, row))
                self.network_saved = row.model is not None
                if self.network_saved and not self.run.keep_going():
                    self.run.record.release_network()  # its page is gone: the store has it, if it comes back
            except StoreLimitReached as error:  # written, without its network
                self._move(error.row_id or self.row_id)
                self._outcome = error
            except StoreError as error:
                log.warning("run %r not finished in workspace %s (tried again in %.0f s): %s", self.run.name,
                            short(self.workspace), FINAL_RETRY_SECONDS, error)
                self._outcome = error
                return error
            else:
                self._outcome = None
            self.landed.set()
            with _lock:
                _live.pop(self.row_id, None)
            return self._outcome

    def _move(self, row_id: int) -> None:
        """The run's row is `row_id` now (written anew after the store's file was lost)."""
        with _lock:
            if _live.get(self.row_id) is self:
                del _live[self.row_id]
            self.row_id = row_id
            _live[row_id] = self

    def _checkpoint(self) -> None:
        if self.store.lost != self._lost:  # the store's file went: the "running" row with it
            self._lost = self.store.lost
            if self.row_id not in self.store.run_ids(self.workspace):
                self.store.keep_workspace(self.workspace)
                self._move(self.store.begin_run(self.workspace, self.run.name, self.run.config.to_dict()))
        self.store.checkpoint_run(self.workspace, self.row_id, records.curves(self.run.history()))

    def _follow(self) -> None:
        while not self.run.wait(CHECKPOINT_SECONDS) and not self._closed.is_set():
            try:
                self._checkpoint()
            except StoreError as error:  # the next checkpoint, or the final write, tries again; the page says the last
                log.warning("run %r not checkpointed in workspace %s: %s", self.run.name, short(self.workspace),
                            error)
        while not self.landed.is_set() and not self._closed.is_set():
            if self.finish() is None or self.landed.is_set():
                break
            self._closed.wait(FINAL_RETRY_SECONDS)  # the page's own try may land it meanwhile
        if not self.landed.is_set():
            log.warning("run %r of workspace %s not finished: its store was closed", self.run.name, short(self.workspace))


_live: dict[int, RunSaver] = {}  # row id -> saver, while its run trains in this process


def live_saver(row_id: int | None) -> RunSaver | None:
    """The saver of a run still training in this process, or ended with its final row not written yet (a tab
    reloaded finds it again)."""
    with _lock:
        return _live.get(row_id)


@dataclass
class Restored:
    """What a workspace brings back into a session."""
    runs: list[tuple[int, Run]]  # (row id, record), oldest first
    training: list[int]  # row ids of runs still training (here or in another server process)
    pending: list[RunSaver]  # runs ended here whose final row is not written yet: they come back from memory
    unreadable: int  # rows this version could not read
    settings: dict | None
    drawing: dict | None


def restore(store: Store, workspace: str, newest: int) -> Restored:
    """The workspace's newest runs as records, without their networks (each is read back when first used:
    ui.saving.networks.network), its settings and its drawing; StoreError when unreadable."""
    runs, training, pending, unreadable = [], [], [], 0
    for row in store.runs(workspace, newest=newest, networks=False):
        saver = live_saver(row.id) if row.status == "running" else None
        if saver is not None and saver.pending:  # ended: not "still training", though its row says so
            runs.append((row.id, saver.run.record))
            pending.append(saver)
            continue
        if row.status == "running":
            training.append(row.id)
            continue
        try:
            record = records.restored(row)
        except records.UNREADABLE:
            unreadable += 1
            continue
        record.in_store = row.has_network
        runs.append((row.id, record))
    settings, drawing = store.workspace_state(workspace)
    return Restored(runs, training, pending, unreadable, settings, drawing)
