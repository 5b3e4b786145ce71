"""Training out of the web process: a pool of worker processes, and MNIST shared with them read-only.

The web process serves every page; a training there shares one GIL with every page rerun, so runs
crawl when a class trains at once. Here each training runs in a worker process ('spawn': a Streamlit
server has threads, never fork it), started on first use, reused, replaced when it dies; each worker
uses one BLAS thread. MNIST is written once to memory-mapped files (in /dev/shm when it exists) that
every worker maps read-only: no copy of the 188 MB training array per worker.

A worker takes two kinds of job: a training (`Job`: it iterates `Trainer.steps()`, publishes what readers need
and obeys pause, resume, one more epoch and stop between two steps) and one of the Notebook page's runs (`ReplayJob`: it sends
each epoch's point, then the result, and obeys stop between two epochs). The heartbeat and every decision stay
in the web process (training.run, training.replay).
"""
from __future__ import annotations

import logging
import multiprocessing
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
import types
import weakref
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from mlp.config import TrainConfig
from mlp.data.mnist import Dataset, Split, make_split
from mlp.teaching import notebook as nb
from mlp.teaching.insides import Camera
from mlp.trainer import Trainer
from mlp.cost import training_speed
from training.limits import number_from_env
from training.line import ANYONE, FairLine, Visitor
from training.pace import Pace
from training.logs import configure as configure_logs

log = logging.getLogger(__name__)
WORKERS_ENV = "MLP_TRAINING_WORKERS"
PER_WORKSPACE_ENV = "MLP_RUNS_PER_WORKSPACE"
FIELDS = ("x_train", "y_train", "x_test", "y_test")
TICK_SECONDS = 0.25  # the step count reaches the web process at most this often (a page polls every 0.5 s or slower)
INSIDES_SECONDS = 1.0  # a snapshot of the network's insides about this often, and at each epoch's end...
INSIDES_GAP_SECONDS = 0.05  # ...unless the last is more recent than this (epochs of a few digits: a few ms each)
WORKER_NICENESS = 10  # the pages come first: training takes the CPU time that serving them leaves
SPARE_NICENESS = 19  # the server's own runs (its reference network) take only the CPU time students' runs leave
MEMORY_WORDS = "The computer ran out of memory: try fewer or narrower hidden layers, or a smaller batch."


# ----- MNIST, shared -----
@dataclass(frozen=True)
class DataSpec:
    """What a worker needs to map a shared dataset: its folder of .npy files, and where the data came from."""
    folder: str
    source: str
    location: str


PREFIX = "mlp-mnist-"


def _shared_bases() -> list[str]:
    """Where the files may go, in order: RAM-backed /dev/shm where there is one, then the temporary folder."""
    ram = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    return [base for base in (ram, tempfile.gettempdir()) if base]


def _shared_folder(base: str) -> str:
    """A new folder in `base`, named after this process, so that the folders of a server that was killed (and could
    not clean up) are found and removed."""
    for left in Path(base).glob(f"{PREFIX}*-*"):
        owner = left.name[len(PREFIX):].split("-")[0]
        if owner.isdigit() and not _alive(int(owner)):
            shutil.rmtree(left, ignore_errors=True)
    return tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=base)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


def _map(folder: str, source: str, location: str) -> Dataset:
    arrays = (np.asarray(np.load(Path(folder) / f"{name}.npy", mmap_mode="r")) for name in FIELDS)
    return Dataset(*arrays, source=source, location=location)


class SharedDataset:
    """A Dataset written once to memory-mapped files: `dataset` (mapped, read-only) for this process,
    `spec` for the workers. The files go when this object does, or when the process exits.

    They are written with write(), not through a writable mapping: a /dev/shm too small for them (Docker gives a
    container 64 MB; MNIST takes 220 MB) then refuses with ENOSPC, and the temporary folder on disk is used instead;
    writing through a mapping there killed the process by SIGBUS (measured on an 8 MB tmpfs)."""

    def __init__(self, data: Dataset, bases: list[str] | None = None):
        *earlier, last = bases or _shared_bases()
        for base in [*earlier, last]:
            folder = _shared_folder(base)
            try:
                for name in FIELDS:
                    np.save(Path(folder) / f"{name}.npy", np.ascontiguousarray(getattr(data, name)))
                break
            except OSError as error:
                shutil.rmtree(folder, ignore_errors=True)
                if base == last:
                    raise
                log.warning("MNIST does not fit in %s (%s): written to the next folder instead", base, error)
        self._cleanup = weakref.finalize(self, shutil.rmtree, folder, ignore_errors=True)
        self.spec = DataSpec(folder, data.source, data.location)
        self.dataset = _map(folder, data.source, data.location)

    def close(self) -> None:
        """Remove the files now (mappings already open stay valid until they are dropped)."""
        self._cleanup()


# ----- inside a worker -----
class Rows:
    """Some rows of a shared array, read on demand: `rows[key]` is `base[index[key]]`. A run's selection
    of digits, examples and validation then costs its row numbers, not a private copy of its images.
    Row numbers from len(base) on read `extra` (the class's drawings, sent with the job): appended rows
    without copying the shared ones."""

    def __init__(self, base: np.ndarray, index: np.ndarray, extra: np.ndarray | None = None):
        self.base, self.index, self.extra = base, index, extra

    def __len__(self) -> int:
        return len(self.index)

    def __getitem__(self, key) -> np.ndarray:
        index = self.index[key]
        if self.extra is None:
            return self.base[index]
        index, n = np.atleast_1d(index), len(self.base)
        out = np.empty((len(index), *self.base.shape[1:]), dtype=self.base.dtype)
        own = index < n
        out[own], out[~own] = self.base[index[own]], self.extra[index[~own] - n]
        return out if np.ndim(self.index[key]) else out[0]

    def setflags(self, write: bool) -> None:
        """Split marks its arrays read-only; these rows are already, their base being a read-only mapping."""
        if write:
            raise ValueError("shared rows are read-only")


Extra = tuple[np.ndarray, np.ndarray]  # images (n, 784) float32 in [0, 1] and their labels: drawings to train on


def select(data: Dataset, config: TrainConfig, extra: Extra | None = None) -> Split:
    """`make_split` of `data` as `config` asks for, with rows of the shared images instead of copies: the
    selection is made on row numbers, so its rules stay make_split's own. `extra` rows of the digits the
    config learns are appended to the training rows (never to validation or test)."""
    numbers = Dataset(np.arange(len(data.x_train)), data.y_train, np.arange(len(data.x_test)), data.y_test,
                      source=data.source, location=data.location)
    rows = make_split(numbers, classes=config.classes, per_class=config.per_class,
                      validation_share=config.validation_share, seed=config.seed)
    train_rows, train_labels, images = rows.x_train, rows.y_train, None
    if extra is not None and len(extra[1]):
        images, labels = np.asarray(extra[0], dtype=np.float32).reshape(-1, data.x_train.shape[1]), extra[1]
        kept = np.isin(labels, config.classes)
        images = images[kept]
        added = len(data.x_train) + np.arange(len(images))
        train_rows = np.concatenate([train_rows, added])
        train_labels = np.concatenate([train_labels, np.asarray(labels)[kept].astype(train_labels.dtype)])
    return Split(Rows(data.x_train, train_rows, images), train_labels, Rows(data.x_train, rows.x_val), rows.y_val,
                 Rows(data.x_test, rows.x_test), rows.y_test)


@dataclass(frozen=True)
class Job:
    """One training, as sent to a worker: the settings, the shared data, and how often to score held-out data."""
    config: TrainConfig
    data: DataSpec
    evals_per_epoch: int
    extra: Extra | None = None  # the class's drawings to append to the training rows (small: sent whole)
    drawing: np.ndarray | None = None  # the student's latest drawing (784 values): a probe of the live insides


@dataclass(frozen=True)
class ReplayJob:
    """One of the Notebook page's runs, as sent to a worker (the shared data's spec travels beside it): the
    student's code replayed (its `attempt`, with `fixes` made and the `add` mistakes added) or, given `engine`
    settings, the main engine; `epochs` of the first `examples` training and `test_examples` test images, in
    float64 as the notebook held them (mlp.teaching.notebook.NotebookData)."""
    attempt: int
    epochs: int
    examples: int
    test_examples: int
    fixes: tuple[str, ...] = ()
    add: tuple[str, ...] = ()
    engine: TrainConfig | None = None  # the main engine's settings (their epochs: `epochs`), for its run beside them
    label: str = ""  # the engine run's name (a replay names itself after its attempt and fixes)
    seed: int = 0

    def run(self, data: nb.NotebookData) -> Iterator[nb.EpochPoint | nb.ReplayResult]:
        """Each epoch's point as it is trained, then the result: mlp.teaching.notebook's own generators, so a
        worker computes exactly what any process would."""
        if self.engine is not None:
            return nb.engine_replay(self.engine, data, self.label)
        return nb.replay(self.attempt, data, self.fixes, add=self.add, epochs=self.epochs, seed=self.seed)


class _Mapped:
    """The worker's mapped datasets, by folder; the last one only, since a server has one data folder. Beside
    it, the float64 images the Notebook's runs read, for the last run size asked (a class walks one size)."""

    def __init__(self):
        self.folder, self.dataset = "", None
        self.size, self.notebook_data = None, None

    def get(self, spec: DataSpec) -> Dataset:
        if spec.folder != self.folder:
            self.folder, self.dataset = spec.folder, _map(spec.folder, spec.source, spec.location)
        return self.dataset

    def notebook(self, spec: DataSpec, examples: int, test_examples: int) -> nb.NotebookData:
        size = (spec.folder, examples, test_examples)
        if size != self.size:
            self.size, self.notebook_data = None, None  # the old copy goes before the new one is made
            self.notebook_data = nb.NotebookData.take(self.get(spec), examples, test_examples)
            self.size = size
        return self.notebook_data


def worker_main(conn: Connection, niceness: int = WORKER_NICENESS) -> None:
    """A worker's life: wait for a job, train it, repeat; ends when the web process goes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the web process ends its workers
    configure_logs()  # a spawned process: the web process's log set-up does not reach it
    threadpool_limits(1)  # one BLAS thread: workers, not threads, use the cores
    os.nice(niceness)
    mapped = _Mapped()
    while True:
        try:
            kind, *args = conn.recv()
        except (EOFError, OSError):
            return
        if kind == "train":
            _serve(conn, args[0], mapped)
        elif kind == "replay":
            _serve_replay(conn, *args, mapped)
        # anything else is a late command for a run that has ended


def _serve(conn: Connection, job: Job, mapped: _Mapped) -> None:
    cfg = job.config
    try:
        data = mapped.get(job.data)
        trainer = Trainer(cfg, select(data, cfg, job.extra), evals_per_epoch=job.evals_per_epoch)
    except MemoryError:
        log.error("worker: out of memory starting %s", cfg)
        conn.send(("error", MEMORY_WORDS))
        return
    except (ValueError, OSError) as error:
        log.exception("worker: training could not start (%s)", cfg)
        conn.send(("error", f"Training could not start: {error}"))
        return
    conn.send(("started", trainer.total_steps, trainer.steps_per_epoch, trainer.history.heldout_name,
               _report(job.data, data, trainer.split)))
    with _failures_in_words(conn, "training", cfg, "Training stopped"):
        _Loop(conn, trainer, _camera(trainer, job.drawing)).run()


def _camera(trainer: Trainer, drawing: np.ndarray | None) -> Camera | None:
    """What takes the run's live insides; None (logged) if it cannot: they are there to watch, not to train."""
    try:
        return Camera.for_split(trainer.split, trainer.config.classes, drawing)
    except Exception:
        log.exception("worker: no live insides for %s", trainer.config)
        return None


@contextmanager
def _failures_in_words(conn: Connection, doing: str, what: object, stopped: str) -> Iterator[None]:
    """A run's failure, said to its page in words (never a traceback) and to the server's log in full."""
    try:
        yield
    except MemoryError:
        log.error("worker: out of memory %s %s", doing, what)
        conn.send(("error", MEMORY_WORDS))
    except Exception as error:
        log.exception("worker: unexpected error %s %s", doing, what)
        conn.send(("error", f"{stopped} because of an unexpected error ({type(error).__name__}: {error})."))


def _report(spec: DataSpec, data: Dataset, split: Split | None = None) -> dict:
    """How this worker runs: its pid, its BLAS threads, and whether it reads the images from the shared file
    (and, for a training's `split`, whether its images are rows of that file rather than copies)."""
    report = {"pid": os.getpid(), "data_file": str(Path(spec.folder) / "x_train.npy"),
              "blas_threads": [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"],
              "niceness": os.nice(0),
              "data_is_mapped": isinstance(data.x_train.base, np.memmap) and not data.x_train.flags.writeable}
    if split is not None:
        images = (split.x_train, split.x_val, split.x_test)
        report["images_are_shared"] = all(isinstance(x, Rows) and any(x.base is d for d in (data.x_train, data.x_test))
                                          for x in images)
    return report


def _serve_replay(conn: Connection, job: ReplayJob, spec: DataSpec, mapped: _Mapped) -> None:
    """One of the Notebook's runs: "started", each epoch's "point" as it is trained, then the "result"; a stop
    sent meanwhile is obeyed between two epochs ("stopped", with its reason)."""
    with _failures_in_words(conn, "replaying", job, "The run stopped"):
        data = mapped.notebook(spec, job.examples, job.test_examples)
        conn.send(("started", _report(spec, mapped.get(spec))))
        for item in job.run(data):
            if isinstance(item, nb.ReplayResult):
                conn.send(("result", item))
                return
            conn.send(("point", item))
            reason = _stop_asked(conn)
            if reason is not None:
                conn.send(("stopped", reason))
                return


def _stop_asked(conn: Connection) -> str | None:
    """The reason of a stop among the commands sent since the last look, or None (a replay has no other command)."""
    reason = None
    while conn.poll():
        kind, *args = conn.recv()
        if kind == "stop" and reason is None:
            reason = args[0]
    return reason


class _Loop:
    """Iterates the trainer's steps; between two, sends what is new and obeys the web process's commands."""

    def __init__(self, conn: Connection, trainer: Trainer, camera: Camera | None):
        self.conn, self.trainer, self.camera = conn, trainer, camera  # camera: None once it failed
        self.looked = time.monotonic()  # when the last snapshot of the insides was taken
        self.sent = (0, 0, 0)  # training points, held-out points, diagnostics already sent
        self.ticked = time.monotonic()
        self.paused = False
        self.pause_at: tuple[int, int] | None = None  # ("epoch", token): the step to hold at, the token to answer
        self.weights_wanted = False  # a page asked for the current weights: sent with the next step

    def run(self) -> None:
        self._send_progress(0, weights=True, insides=True)
        reason = None
        for step in self.trainer.steps():
            self._publish(step.step)
            if self.pause_at is not None and step.step >= self.pause_at[0]:  # the epoch asked for is done
                self._hold(step.step, self.pause_at[1])
            reason = self._obey(step.step)
            if reason is not None:
                break
        if self.camera is not None and self.camera.taken != self.trainer.steps_taken:  # the insides as it ends
            self._send_progress(self.trainer.steps_taken, weights=False, insides=True)
        self.conn.send(("result", self.trainer.result(reason or "Stopped before the last epoch.")))

    def _delta(self):
        h, (t, e, d) = self.trainer.history, self.sent
        self.sent = (len(h.train), len(h.heldout), len(h.diagnostics))
        return (h.train[t:], h.heldout[e:], h.diagnostics[d:]) if self.sent != (t, e, d) else None

    def _send_progress(self, step: int, weights: bool, insides: bool = False) -> None:
        self.ticked = time.monotonic()
        if weights:
            self.weights_wanted = False
        shot = None
        if insides and self.camera is not None:
            try:
                shot = self.camera.look(self.trainer.model.network, step, step / self.trainer.steps_per_epoch)
            except Exception:  # the insides are there to watch: their failure must not end the training
                log.exception("worker: the live insides failed at step %d; the run goes on without them", step)
                self.camera = None
            self.looked = time.monotonic()
        self.conn.send(("progress", step, self._delta(), self.trainer.model if weights else None, shot))

    def _publish(self, step: int) -> None:
        """New curve points at once; the step count a few times a second; the weights when a page asked
        for them (a copy of a large network is megabytes: not sent for nobody); a snapshot of the insides
        (kilobytes) about once a second and at each epoch's end."""
        h = self.trainer.history
        since, epoch_end = time.monotonic() - self.looked, step % self.trainer.steps_per_epoch == 0
        insides = since >= INSIDES_SECONDS or (epoch_end and since >= INSIDES_GAP_SECONDS)
        if (insides or self.weights_wanted or time.monotonic() - self.ticked >= TICK_SECONDS
                or (len(h.train), len(h.heldout)) != self.sent[:2]):
            self._send_progress(step, self.weights_wanted, insides)

    def _hold(self, step: int, token: int | None = None) -> None:
        """Wait between two steps from now on; say so with the weights it holds at (Draw and Inspect use them),
        and, when it is the end of an epoch asked for, with that request's token."""
        self.paused, self.pause_at = True, None
        self._send_progress(step, weights=True)
        self.conn.send(("held", step) if token is None else ("held", step, token))

    def _obey(self, step: int) -> str | None:
        """Read the commands sent since the last step (waiting for one while paused): a stop reason, or None."""
        while self.paused or self.conn.poll():
            kind, *args = self.conn.recv()
            if kind == "stop":
                return args[0]
            if kind == "pause" and not self.paused:
                self._hold(step)
            elif kind == "resume" and self.paused:
                self.paused, self.pause_at = False, None
            elif kind == "epoch":  # one more epoch: to the end of the one under way (from an epoch's end, the next)
                per_epoch = self.trainer.steps_per_epoch
                end = (step // per_epoch + 1) * per_epoch
                self.paused, self.pause_at = False, (end, args[0]) if end < self.trainer.total_steps else None
            elif kind == "weights":
                self.weights_wanted = True
                if self.paused:
                    self._send_progress(step, weights=True)
        return None


# ----- in the web process -----
def died_words(exitcode: int | None) -> str:
    """Why a worker process ended, for a student: the usual cause is the out-of-memory killer."""
    if exitcode is not None and exitcode < 0:
        try:
            how = f"it was killed by signal {signal.Signals(-exitcode).name}"
        except ValueError:
            how = f"it was killed by signal {-exitcode}"
    else:
        how = f"it exited with code {exitcode}"
    return (f"The process training this network ended unexpectedly ({how}), most often because the server ran "
            "out of memory. Try a smaller network or batch, and train again.")


_STARTING = threading.Lock()


def _start_without_main(process) -> None:
    """Start a spawned process without the parent's __main__. Spawn runs the parent's main script again in
    the child, and under Streamlit that is a page script (Streamlit installs each page as __main__): every
    worker would render a page and load MNIST of its own. Our own starts are serialised; a page run that
    installs its __main__ meanwhile keeps it."""
    with _STARTING:
        page, blank = sys.modules["__main__"], types.ModuleType("__main__")
        sys.modules["__main__"] = blank
        try:
            process.start()
        finally:
            if sys.modules["__main__"] is blank:
                sys.modules["__main__"] = page


class Worker:
    """One worker process and the pipe to it; `send` is called under the owning run's lock."""

    def __init__(self, context, niceness: int = WORKER_NICENESS):
        here, there = context.Pipe()
        self.process = context.Process(target=worker_main, args=(there, niceness), name="mlp training worker",
                                       daemon=True)
        _start_without_main(self.process)
        there.close()
        self.conn = here

    @property
    def pid(self) -> int | None:
        return self.process.pid

    @property
    def alive(self) -> bool:
        return self.process.is_alive()

    def send(self, message: tuple) -> None:
        try:
            self.conn.send(message)
        except (BrokenPipeError, EOFError, OSError):
            pass  # the process is gone: `receive` says so

    def receive(self, timeout: float) -> tuple | None:
        """The next message; None after `timeout` seconds without one; ('died', exit code) once the process is gone."""
        ready = wait([self.conn, self.process.sentinel], timeout)
        if not ready:
            return None
        if self.conn in ready:
            try:
                return self.conn.recv()
            except (EOFError, OSError):
                pass
        self.process.join(5)
        return ("died", self.process.exitcode)

    def close(self) -> None:
        self.conn.close()
        if self.process.is_alive():
            self.process.terminate()
        self.process.join(5)


class WorkerPool:
    """`size` worker processes, started on first use and reused; runs beyond them wait in a fair line
    (training.line), each workspace with at most `per_workspace` runs in it. The server's own runs (background
    visitors) take none of those: each gets a worker of its own at the lowest priority, which trains on the CPU
    time the students' runs leave and ends with its run, so a class pressing Start never waits behind one."""

    def __init__(self, size: int, start_method: str = "spawn", per_workspace: int = 2):
        self.line = FairLine(size, per_workspace)
        self.pace = Pace(training_speed, line=lambda: (self.line.running, self.line.waiting),
                         workers=self.line.limit)  # how fast its workers train, and will (training.pace)
        self._context = multiprocessing.get_context(start_method)
        self._lock = threading.Lock()
        self._idle: list[Worker] = []

    @property
    def size(self) -> int:
        return self.line.limit

    def acquire(self, ticket: object, give_up: Callable[[], bool], visitor: Visitor = ANYONE) -> Worker | None:
        """A live worker for `ticket` once its turn comes; None if it gave up while waiting."""
        if not self.line.acquire(ticket, give_up, visitor=visitor):
            return None
        if visitor.background:
            try:
                return Worker(self._context, SPARE_NICENESS)
            except BaseException:
                self.line.release(ticket)
                raise
        with self._lock:
            worker = self._idle.pop() if self._idle else None
        if worker is not None and worker.alive:
            return worker
        try:
            return Worker(self._context)  # the first use of this slot, or a replacement for one that died
        except BaseException:
            self.line.release(ticket)
            raise

    def release(self, worker: Worker, ticket: object) -> None:
        """Back to the pool after `ticket`'s run; a worker that died is dropped (the next run starts a new one), and
        so is a background run's (its priority is for that run only)."""
        if worker.alive and not self.line.is_background(ticket):
            with self._lock:
                self._idle.append(worker)
        else:
            worker.close()
        self.line.release(ticket)

    def close(self) -> None:
        """End the idle workers (tests, shutdown); busy ones end with the web process."""
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.close()


def workers_from_env() -> int:
    """$MLP_TRAINING_WORKERS, else the machine's core count."""
    cores = os.cpu_count() or 1
    return int(number_from_env(WORKERS_ENV, cores, 1, whole=True))


def per_workspace_from_env() -> int:
    """$MLP_RUNS_PER_WORKSPACE: the runs one workspace (its tabs together) may have training or in line; 2 unset."""
    return int(number_from_env(PER_WORKSPACE_ENV, 2, 1, whole=True))


POOL = WorkerPool(workers_from_env(), per_workspace=per_workspace_from_env())  # one per server process; no worker starts until the first run
