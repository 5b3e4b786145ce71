"""The server's reference network: one well-trained network, trained once per server, whose "not a digit" check
backs up the check of every network a student trains (a network that learned little doubts little:
bench/doubt.py, docs/drawings.md).

Pure Python (no Streamlit). It is trained through the training service as a background run (training.line.BACKGROUND: a
worker of its own at the lowest priority, none of the students' slots), once for the whole server: the first page to ask starts its run, every later ask (from
any session) finds it under way. Its model file lives in the server's state folder ($MLP_STATE_DIR), written
atomically; several app processes sharing that folder take turns through a lock file, so that one of them trains it
and the others read the file it writes. After a restart the file is read back, not trained again; a file that cannot
be read (damaged, or of other settings) is said in the log and trained again. No ask ever waits for the training.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any, Callable

from mlp.config import TrainConfig
from mlp.model import Model, ModelFileError, load_model
from training.limits import number_from_env
from training.line import BACKGROUND
from training.run import TrainingRun
from training.workers import SharedDataset, WorkerPool

log = logging.getLogger(__name__)
ENABLED_ENV = "MLP_REFERENCE_NETWORK"  # 0: no reference network (each network's own doubt only)
LOOK_SECONDS = 5.0  # while another process trains it, how often its file is looked for
RETRY_SECONDS = 300.0  # after a failed training, how long before the next ask starts another


def enabled() -> bool:
    """Whether this server backs up each network's doubt with a reference network ($MLP_REFERENCE_NETWORK, 1 unset)."""
    return bool(number_from_env(ENABLED_ENV, 1, 0, whole=True))


def file_name(config: TrainConfig, data_key: str) -> str:
    """The reference's file name: a hash of its settings and of the data it trains on, so that other settings or
    other data (MNIST, or the offline sample) never hand over a network trained for something else."""
    digest = hashlib.blake2b(json.dumps([config.to_dict(), data_key], sort_keys=True).encode(), digest_size=6)
    return f"reference-network-{digest.hexdigest()}.npz"


def service_training(config: TrainConfig, data: Callable[[], SharedDataset],
                     pool: WorkerPool | None = None) -> Callable[[], TrainingRun]:
    """What starts the reference's run in the training service (`pool`, default the server's) on `data()`: a
    background run (its own worker, on the CPU time students' runs leave), and kept going with no page showing it (the
    server's time limit still holds)."""
    def start() -> TrainingRun:
        run = TrainingRun(config, data(), name="the server's reference network", pool=pool,
                          connected=lambda: True, visitor=BACKGROUND)
        run.start()
        return run
    return start


class ReferenceNetwork:
    """The reference network of one server, as one process sees it. `model()` hands it out once it is there, else
    says None at once: it reads the file, or starts the training (`train()` returns a started run of the training
    service: training.run.TrainingRun, or any object with `done`, `state`, `model()` and `wait(timeout)`), or finds it
    under way, in this process or in another one sharing the folder (the lock file says which). A thread waits for
    the run to end and writes the file then, whether or not a page asks again before the server stops. Thread-safe."""

    def __init__(self, folder: Path, config: TrainConfig, data_key: str, train: Callable[[], Any], *,
                 clock: Callable[[], float] = time.monotonic):
        self.config = config
        self.path = Path(folder) / file_name(config, data_key)
        self._train, self._clock = train, clock
        self._lock = threading.Lock()
        self._model: Model | None = None
        self._run: Any = None  # this process's training of it, while under way
        self._held: int | None = None  # the lock file's descriptor while this process trains it
        self._looked = -float("inf")  # when the file was last looked for
        self._failed = -float("inf")  # when a training here last ended without a network
        self._damage_said: tuple | None = None  # the damaged file last said in the log (its size and time)

    @property
    def training(self) -> bool:
        """Whether this process is training it now."""
        with self._lock:
            return self._run is not None and not self._run.done

    def model(self) -> Model | None:
        """The reference network, or None while it is not there yet (never waits: a file read at most)."""
        with self._lock:
            if self._model is not None:
                return self._model
            if self._run is not None:
                return self._collect()
            now = self._clock()
            if now - self._looked < LOOK_SECONDS:
                return None
            self._looked = now
            self._model = self._read()
            if self._model is None and now - self._failed >= RETRY_SECONDS and self._take_lock():
                self._model = self._read()  # another process may have written it before giving the lock up
                if self._model is None:
                    self._start()
                else:
                    self._give_lock()
            return self._model

    # ----- under the lock -----
    def _read(self) -> Model | None:
        """The file's network; None when there is none, or, said once in the log, when it cannot be used."""
        try:
            seen = os.stat(self.path)
        except FileNotFoundError:
            return None
        except OSError as error:
            log.warning("reference network %s cannot be read (%s): it is trained again", self.path, error)
            return None
        try:
            model = load_model(self.path)
            if model.config != self.config:
                raise ModelFileError(f"{self.path} holds a network of other settings")
            log.info("reference network: read from %s", self.path)
            return model
        except (ModelFileError, OSError) as error:
            if self._damage_said != (seen.st_size, seen.st_mtime_ns):
                self._damage_said = (seen.st_size, seen.st_mtime_ns)
                log.warning("reference network refused, it is trained again: %s", error)
            return None

    def _start(self) -> None:
        try:
            self._run = self._train()
            log.info("reference network: training started (%s)", self.path.name)
        except Exception as error:  # noqa: BLE001 (refused by the server's limits, or no worker: none, said)
            log.warning("reference network: training could not start (%s)", error)
            self._failed = self._clock()
            self._give_lock()
            return
        threading.Thread(target=self._finish, args=(self._run,), daemon=True, name="reference network").start()

    def _finish(self, run: Any) -> None:
        """The run's end, in a thread of its own: its network kept and written (or its failure said) at once."""
        run.wait(None)
        with self._lock:
            if self._run is run:
                self._collect()

    def _collect(self) -> Model | None:
        """This process's run: None while under way; once ended, its network written to the file and kept."""
        run = self._run
        if not run.done:
            return None
        self._run = None
        model = run.model() if run.state == "finished" else None
        try:
            if model is None:
                log.warning("reference network: its training ended without a network (%s)", run.state)
                self._failed = self._clock()
                return None
            try:
                model.save(self.path)
            except OSError as error:  # kept in memory for this process; the next start trains it again
                log.warning("reference network: not saved to %s (%s)", self.path, error)
            self._model = model
            seconds = getattr(getattr(run, "record", None), "seconds", float("nan"))
            log.info("reference network: trained in %.0f s, saved to %s", seconds, self.path)
            return model
        finally:
            self._give_lock()

    def _take_lock(self) -> bool:
        """The lock file's lock, without waiting: False when another process (or this one) holds it."""
        if self._held is not None:
            return False
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path.with_suffix(".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as error:
            log.warning("reference network: no lock file in %s (%s)", self.path.parent, error)
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._held = fd
        return True

    def _give_lock(self) -> None:
        if self._held is not None:
            os.close(self._held)  # closing the descriptor gives up the lock (as does the process's end)
            self._held = None
