"""How fast does our engine train MNIST, next to PyTorch and next to a student's notebook code?

    python bench/train_speed.py [--data-dir DIR] [--epochs N] [--threads 1] [--threads 1,2]
                                [--no-torch] [--no-malloc-tuning]

One network for everyone: 784-256-128-10, ReLU, He initialisation, Adam (lr 1e-3),
batches of 128, all 60,000 training images, float32 (the notebook: float64).

Every implementation trains in the same process at the same BLAS thread count,
and they take turns (see measure_all), so a burst of load from other processes
touches all of them alike. The first epoch is a warm-up; the table shows the
median seconds per epoch of the others.

Rows:
  ours: mlp.Trainer     the real training loop, as the app runs it: it also scores the
                        10,000 test images at each epoch end, logs a point and measures
                        layer diagnostics every few steps, and publishes a copy of the model
  ours: bare steps      the same network.forward / cross_entropy / backward / Adam step,
                        with nothing else: the pure cost of training
  ours: matmuls only    the same sequence of np.matmul calls with the same shapes and
                        layouts, nothing else: the floor our engine stands on
  PyTorch (CPU)         torch.nn, same architecture, init, optimiser and batching (if installed)
  notebook float64      how a student writes it: float64, one array per weight, per-layer
                        code, one-hot targets per batch, Adam with fresh temporaries

Also: the time to answer one drawn digit (canvas -> 28x28 -> probabilities), and,
in fresh child processes, our seconds per epoch with and without the glibc malloc
settings MALLOC_TRIM_THRESHOLD_ / MALLOC_MMAP_THRESHOLD_ (they must be set before
a process starts, hence the children).

It is a benchmark, not a test: it prints numbers and never fails on them.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import mlp  # noqa: E402
from mlp.augment import augment_batch  # noqa: E402
from mlp.losses import cross_entropy  # noqa: E402
from mlp.metrics import CHUNK, evaluate  # noqa: E402
from mlp.model import Model  # noqa: E402
from mlp.optimizers import make_optimizer  # noqa: E402
from mlp.preprocess import to_mnist  # noqa: E402
from mlp.seeding import random_streams  # noqa: E402

HIDDEN = (256, 128)
BATCH = 128
LR = 1e-3
SEED = 0
MALLOC_TUNING = {"MALLOC_TRIM_THRESHOLD_": "268435456", "MALLOC_MMAP_THRESHOLD_": "33554432"}
OPENBLAS_TUNING_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
OTHER_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_WAIT_POLICY",
                     "GOMP_SPINCOUNT")
PREDICT_RUNS = 200
AUGMENT_CALLS = 200


def config(epochs: int) -> mlp.TrainConfig:
    return mlp.TrainConfig(hidden=HIDDEN, activation="relu", init="he", optimizer="adam", lr=LR,
                           batch_size=BATCH, epochs=epochs, validation_share=0, seed=SEED)


try:
    import resource  # Unix only: page faults and CPU time
except ImportError:
    resource = None


def minor_faults() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt if resource else 0


def load_average() -> float:
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


class OtherLoad:
    """How many CPUs other processes kept busy, on average, between start() and cpus(): the
    machine's busy time (/proc/stat) minus this process's own CPU time. None where unreadable."""

    def __init__(self):
        self.start()

    @staticmethod
    def _machine_busy() -> float | None:
        try:
            fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        except (OSError, ValueError):
            return None
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
        return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")

    @staticmethod
    def _own() -> float:
        if resource is None:
            return 0.0
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    def start(self) -> None:
        self.t0, self.busy0, self.own0 = time.perf_counter(), self._machine_busy(), self._own()

    def cpus(self) -> float | None:
        busy = self._machine_busy()
        if busy is None or self.busy0 is None or resource is None:
            return None
        wall = time.perf_counter() - self.t0
        return max(0.0, (busy - self.busy0) - (self._own() - self.own0)) / wall if wall > 0 else None


# --------------------------------------------------------------------------------------------
# The contestants. Each steps() generator trains epoch after epoch, yielding after every step.
# --------------------------------------------------------------------------------------------

class BareEngine:
    """Our engine's training step with nothing around it: forward, loss, backward, Adam."""

    def __init__(self, split):
        cfg = config(1)
        self.net = Model.create(cfg).network
        self.optimizer = make_optimizer(cfg, self.net.params.size)
        self.order = random_streams(SEED).order
        self.x, self.y = split.x_train, split.y_train

    def steps(self):
        """Training steps, epoch after epoch; yields after each one."""
        net, opt, x, y = self.net, self.optimizer, self.x, self.y
        while True:
            order = self.order.permutation(len(x))
            for first in range(0, len(x), BATCH):
                idx = order[first:first + BATCH]
                xb, yb = x[idx], y[idx]
                fp = net.forward(xb)
                _, _, dlogits = cross_entropy(fp.logits, yb)
                net.backward(fp, dlogits)
                opt.step(net.params, net.grads, LR)
                yield

    def accuracy(self, x, y) -> float:
        return evaluate(self.net, x, y)[1]


class MatmulsOnly:
    """The np.matmul calls of our training step and of the Trainer's per-epoch test scoring,
    with the same shapes, dtypes and memory layouts (transposed views included), and nothing else."""

    def __init__(self, n_train: int, n_test: int):
        rng = np.random.default_rng(1)
        net = Model.create(config(1)).network
        self.weights, self.weight_grads = net.weights, net.weight_grads  # views into flat vectors, as in training
        self.sizes = [min(BATCH, n_train - first) for first in range(0, n_train, BATCH)]
        self.eval_sizes = [min(CHUNK, n_test - first) for first in range(0, n_test, CHUNK)]
        self.x = {b: rng.random((b, 784), dtype=np.float32) for b in set(self.sizes) | set(self.eval_sizes)}
        self.dlogits = {b: rng.standard_normal((b, 10), dtype=np.float32) for b in set(self.sizes)}

    def steps(self):
        (w0, w1, w2), (g0, g1, g2) = self.weights, self.weight_grads
        while True:
            for b in self.sizes:
                x = self.x[b]
                h1 = x @ w0  # forward
                h2 = h1 @ w1
                _ = h2 @ w2
                d = self.dlogits[b]  # backward, as Network.backward does it
                np.matmul(h2.T, d, out=g2)
                d = d @ w2.T
                np.matmul(h1.T, d, out=g1)
                d = d @ w1.T
                np.matmul(x.T, d, out=g0)
                yield

    def eval_pass(self) -> None:
        w0, w1, w2 = self.weights
        for b in self.eval_sizes:
            _ = ((self.x[b] @ w0) @ w1) @ w2


class Notebook:
    """A student's float64 MLP, written the straightforward way: it is a fair reference, not a
    strawman (correct, He-initialised, the textbook Adam), just without any care for speed."""

    def __init__(self, split, seed: int = SEED):
        rng = np.random.default_rng(seed)
        self.p = {
            "W1": rng.standard_normal((784, 256)) * np.sqrt(2 / 784), "b1": np.zeros(256),
            "W2": rng.standard_normal((256, 128)) * np.sqrt(2 / 256), "b2": np.zeros(128),
            "W3": rng.standard_normal((128, 10)) * np.sqrt(2 / 128), "b3": np.zeros(10),
        }
        self.m = {name: np.zeros_like(value) for name, value in self.p.items()}
        self.v = {name: np.zeros_like(value) for name, value in self.p.items()}
        self.t = 0
        self.rng = rng
        # X_train / 255.0 in a notebook gives float64: done once, at load time, not timed.
        self.X = split.x_train.astype(np.float64)
        self.y = split.y_train

    def forward(self, X):
        p = self.p
        z1 = X @ p["W1"] + p["b1"]
        a1 = np.maximum(0, z1)
        z2 = a1 @ p["W2"] + p["b2"]
        a2 = np.maximum(0, z2)
        z3 = a2 @ p["W3"] + p["b3"]
        e = np.exp(z3 - z3.max(axis=1, keepdims=True))
        probs = e / e.sum(axis=1, keepdims=True)
        return z1, a1, z2, a2, probs

    def train_step(self, X, y, lr=LR, beta1=0.9, beta2=0.999, eps=1e-8):
        n = X.shape[0]
        Y = np.zeros((n, 10))
        Y[np.arange(n), y] = 1
        z1, a1, z2, a2, probs = self.forward(X)
        loss = -np.sum(Y * np.log(probs + 1e-12)) / n

        dz3 = (probs - Y) / n
        grads = {"W3": a2.T @ dz3, "b3": dz3.sum(axis=0)}
        dz2 = (dz3 @ self.p["W3"].T) * (z2 > 0)
        grads["W2"], grads["b2"] = a1.T @ dz2, dz2.sum(axis=0)
        dz1 = (dz2 @ self.p["W2"].T) * (z1 > 0)
        grads["W1"], grads["b1"] = X.T @ dz1, dz1.sum(axis=0)

        self.t += 1
        for name, g in grads.items():
            self.m[name] = beta1 * self.m[name] + (1 - beta1) * g
            self.v[name] = beta2 * self.v[name] + (1 - beta2) * g ** 2
            m_hat = self.m[name] / (1 - beta1 ** self.t)
            v_hat = self.v[name] / (1 - beta2 ** self.t)
            self.p[name] = self.p[name] - lr * m_hat / (np.sqrt(v_hat) + eps)
        return loss

    def steps(self):
        while True:
            order = self.rng.permutation(len(self.X))
            for first in range(0, len(self.X), BATCH):
                idx = order[first:first + BATCH]
                self.train_step(self.X[idx], self.y[idx])
                yield

    def accuracy(self, x, y) -> float:
        probs = self.forward(x.astype(np.float64))[-1]
        return float((probs.argmax(axis=1) == y).mean())


class Torch:
    """The same network in PyTorch on the CPU, float32, default Adam."""

    def __init__(self, torch, split):
        self.torch = torch
        nn = torch.nn
        torch.manual_seed(SEED)
        self.model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                                   nn.Linear(128, 10))
        for layer in self.model:
            if isinstance(layer, nn.Linear):
                nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")  # N(0, 2/fan_in): He
                nn.init.zeros_(layer.bias)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=LR)
        self.loss = nn.CrossEntropyLoss()
        self.x = torch.tensor(split.x_train)  # a copy: the dataset's arrays are read-only
        self.y = torch.tensor(split.y_train)
        self.rng = np.random.default_rng(SEED)

    def steps(self):
        torch, model, opt = self.torch, self.model, self.optimizer
        while True:
            order = torch.from_numpy(self.rng.permutation(len(self.x)))
            for first in range(0, len(self.x), BATCH):
                idx = order[first:first + BATCH]
                opt.zero_grad(set_to_none=True)
                loss = self.loss(model(self.x[idx]), self.y[idx])
                loss.backward()
                opt.step()
                yield

    def accuracy(self, x, y) -> float:
        with self.torch.no_grad():
            logits = self.model(self.torch.tensor(x))
        return float((logits.argmax(dim=1).numpy() == y).mean())


# --------------------------------------------------------------------------------------------
# Measuring
# --------------------------------------------------------------------------------------------

class Timer:
    """Wall seconds, CPU seconds of the calling thread, and minor page faults of each epoch of one
    contestant. At 1 thread all the work runs in the calling thread, so its CPU time is what the
    epoch costs even while other processes take turns on the core (wall time then grows)."""

    def __init__(self, name: str):
        self.name = name
        self.seconds: list[float] = []
        self.cpu: list[float] = []
        self.faults: list[int] = []
        self.accuracy = float("nan")
        self.first_accuracy = float("nan")  # after the warm-up epoch

    def add(self, epoch: int, seconds: float, cpu: float, faults: int) -> None:
        """Add to epoch `epoch` (0-based): an epoch may be timed in slices."""
        while len(self.seconds) <= epoch:
            self.seconds.append(0.0)
            self.cpu.append(0.0)
            self.faults.append(0)
        self.seconds[epoch] += seconds
        self.cpu[epoch] += cpu
        self.faults[epoch] += faults

    def time(self, fn, epoch: int) -> None:
        f0, c0, t0 = minor_faults(), time.thread_time(), time.perf_counter()
        fn()
        self.add(epoch, time.perf_counter() - t0, time.thread_time() - c0, minor_faults() - f0)

    @staticmethod
    def _after_warmup(values: list) -> list:
        return values[1:] if len(values) > 1 else values

    @property
    def timed(self) -> list[float]:
        return self._after_warmup(self.seconds)

    @property
    def median(self) -> float:
        return statistics.median(self.timed) if self.seconds else float("nan")

    @property
    def cpu_median(self) -> float:
        return statistics.median(self._after_warmup(self.cpu)) if self.cpu else float("nan")

    @property
    def faults_per_epoch(self) -> float:
        timed = self._after_warmup(self.faults)
        return statistics.median(timed) if timed else float("nan")


def train_ours(split, epochs: int, meanwhile=None) -> tuple[Timer, mlp.TrainResult, list[float]]:
    """Run the real Trainer. At each point it logs (every ~9 steps and at each epoch end, after its
    test scoring), `meanwhile(step, steps_per_epoch)` may run other work; that time is not counted
    in our epochs (our clock stops while it runs)."""
    timer = Timer("ours: mlp.Trainer")
    marks = {"t": 0.0, "c": 0.0, "f": 0, "step": 0}

    def restart_clock() -> None:
        marks["f"], marks["c"], marks["t"] = minor_faults(), time.thread_time(), time.perf_counter()

    def on_progress(tr: mlp.Trainer) -> None:
        step = tr.progress().step
        if step == marks["step"]:  # the final call, after training
            return
        timer.add((step - 1) // tr.steps_per_epoch, time.perf_counter() - marks["t"],
                  time.thread_time() - marks["c"], minor_faults() - marks["f"])
        marks["step"] = step
        if meanwhile is not None:
            meanwhile(step, tr.steps_per_epoch)
        restart_clock()

    trainer = mlp.Trainer(config(epochs), split, on_progress=on_progress)
    restart_clock()
    result = trainer.run()
    heldout = [p.accuracy for p in result.history.heldout[1:]]  # test accuracy after each epoch
    timer.accuracy = result.test_accuracy
    timer.first_accuracy = heldout[0] if heldout else float("nan")
    return timer, result, heldout


SETTLE_SECONDS = 0.15  # idle OpenBLAS workers spin ~50-80 ms after a call, torch's OpenMP ones ~10 ms


def measure_all(data, split, epochs: int, use_torch, threads: int) -> dict:
    """Interleaved. At 1 thread: whenever our Trainer logs a point (every ~9 steps), every other
    contestant catches up by the same number of steps, each timed on its own; a burst of load
    from other processes lasts far longer than one such slice, so it hits all alike.
    At 2+ threads, slices that short would measure the thread pools more than the training: a
    BLAS library's idle workers keep spinning on the cores for a while after each call (OpenBLAS
    ~50-80 ms, torch's OpenMP ~10 ms) and slow whoever runs next. So there they take turns by
    whole epochs, with an untimed pause of SETTLE_SECONDS before each turn."""
    settle = SETTLE_SECONDS if threads > 1 else 0.0
    bare = BareEngine(split)
    mm = MatmulsOnly(len(split.x_train), len(split.x_test))
    note = Notebook(split)
    tor = Torch(use_torch, split) if use_torch is not None else None
    timers = {name: Timer(name) for name in ("bare", "mm_train", "mm_eval", "notebook", "torch")}
    runners = {"bare": bare.steps(), "mm_train": mm.steps(), "notebook": note.steps()}
    if tor is not None:
        runners["torch"] = tor.steps()
    done = {"step": 0}

    def advance(runner, count: int):
        return lambda: [next(runner) for _ in range(count)]

    def others(step: int, steps_per_epoch: int) -> None:
        epoch = (step - 1) // steps_per_epoch
        if settle and step % steps_per_epoch:
            return
        count, done["step"] = step - done["step"], step
        for name, runner in runners.items():
            time.sleep(settle)
            timers[name].time(advance(runner, count), epoch)
        if step % steps_per_epoch:
            return
        time.sleep(settle)
        timers["mm_eval"].time(mm.eval_pass, epoch)
        if epoch == 0:  # the notebook must learn: > 90% after one epoch
            timers["notebook"].first_accuracy = note.accuracy(split.x_test, split.y_test)
            if tor is not None:
                timers["torch"].first_accuracy = tor.accuracy(split.x_test, split.y_test)
        time.sleep(settle)  # before our Trainer's next epoch
        print(f"  epoch {epoch + 1}/{epochs} done by all ({time.strftime('%H:%M:%S')}, "
              f"load {load_average():.2f})", flush=True)

    ours, result, _ = train_ours(split, epochs, others)
    timers["bare"].accuracy = bare.accuracy(split.x_test, split.y_test)
    timers["notebook"].accuracy = note.accuracy(split.x_test, split.y_test)
    if tor is not None:
        timers["torch"].accuracy = tor.accuracy(split.x_test, split.y_test)
    return {"ours": ours, "model": result.model, **timers}


def draw_canvas(side: int = 280, brush: float = 20.0) -> np.ndarray:
    """An RGBA canvas like the app's: transparent, with a white, round-brushed '7' drawn on it."""
    points = np.array([(70, 60), (215, 60), (215, 75), (120, 230)], dtype=np.float64)  # (x, y)
    yy, xx = np.mgrid[0:side, 0:side].astype(np.float64)
    distance = np.full((side, side), np.inf)
    for (x0, y0), (x1, y1) in zip(points[:-1], points[1:]):
        dx, dy = x1 - x0, y1 - y0
        t = np.clip(((xx - x0) * dx + (yy - y0) * dy) / (dx * dx + dy * dy), 0, 1)
        distance = np.minimum(distance, np.hypot(xx - (x0 + t * dx), yy - (y0 + t * dy)))
    alpha = np.clip(brush / 2 + 0.5 - distance, 0, 1)  # anti-aliased edge, one pixel wide
    canvas = np.zeros((side, side, 4), dtype=np.uint8)
    canvas[..., :3] = 255
    canvas[..., 3] = np.round(alpha * 255).astype(np.uint8)
    canvas[canvas[..., 3] == 0] = 0
    return canvas


def time_predict(model: Model, runs: int = PREDICT_RUNS) -> dict:
    canvas = draw_canvas()

    def answer():
        image = to_mnist(canvas)
        return model.predict_proba(image.reshape(1, -1).astype(np.float32))[0]

    digit = int(answer().argmax())
    image = to_mnist(canvas).reshape(1, -1).astype(np.float32)
    out = {"digit": digit}
    for name, fn in (("end to end", answer), ("to_mnist", lambda: to_mnist(canvas)),
                     ("predict_proba", lambda: model.predict_proba(image))):
        for _ in range(10):
            fn()
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        out[name] = statistics.median(times) * 1e3
    return out


def time_augment(xb: np.ndarray, calls: int = AUGMENT_CALLS) -> tuple[float, float]:
    """Median ms and mean minor page faults of one augment_batch call on the batch xb."""
    rng = np.random.default_rng(0)
    for _ in range(10):
        augment_batch(xb, rng)
    times, f0 = [], minor_faults()
    for _ in range(calls):
        t0 = time.perf_counter()
        augment_batch(xb, rng)
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3, (minor_faults() - f0) / calls


# --------------------------------------------------------------------------------------------
# glibc malloc settings: measured in fresh processes, because glibc reads them at start-up
# --------------------------------------------------------------------------------------------

def child_main(args) -> None:
    """Child mode: augment_batch in a fresh process, our Trainer alone, then augment_batch again;
    one JSON line out."""
    with threadpool_limits(limits=args.threads[0]):
        # First, before any big block was freed (not even by loading MNIST): glibc still serves
        # every block above 128 KiB with a fresh mmap, whose pages fault in on first touch.
        fresh = np.random.default_rng(1).random((BATCH, 784), dtype=np.float32)
        fresh_ms, fresh_faults = time_augment(fresh)
        split = mlp.make_split(mlp.load_mnist(args.data_dir), validation_share=0)
        xb = np.ascontiguousarray(split.x_train[:BATCH])
        others = OtherLoad()
        ours, _, _ = train_ours(split, args.epochs)
        busy = others.cpus()
        aug_ms, aug_faults = time_augment(xb)
        in_thread = {}
        worker = threading.Thread(target=lambda: in_thread.update(zip(("ms", "faults"), time_augment(xb))))
        worker.start()  # the app trains in a background thread, which glibc serves from another arena
        worker.join()
    steps = -(-len(split.x_train) // BATCH)
    print("CHILD " + json.dumps({"median": ours.median, "seconds": ours.seconds,
                                 "faults_per_step": ours.faults_per_epoch / steps,
                                 "augment_ms": aug_ms, "augment_faults": aug_faults,
                                 "fresh_ms": fresh_ms, "fresh_faults": fresh_faults,
                                 "augment_thread_ms": in_thread["ms"], "augment_thread_faults": in_thread["faults"],
                                 "others_busy": busy}),
          flush=True)


def run_child(args, threads: int, tuned: bool) -> dict | None:
    env = {k: v for k, v in os.environ.items() if k not in MALLOC_TUNING}
    if tuned:
        env.update(MALLOC_TUNING)
    command = [sys.executable, str(Path(__file__).resolve()), "--child", "--threads", str(threads),
               "--epochs", str(args.epochs)]
    if args.data_dir:
        command += ["--data-dir", str(args.data_dir)]
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    for line in done.stdout.splitlines():
        if line.startswith("CHILD "):
            return json.loads(line[len("CHILD "):])
    print(f"  child process failed (exit {done.returncode}):\n{done.stderr[-2000:]}")
    return None


# --------------------------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------------------------

def describe_machine(torch) -> None:
    print("== machine ==")
    cpu = platform.processor()
    if Path("/proc/cpuinfo").exists():
        names = [line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                 if line.startswith("model name")]
        cpu = names[0] if names else cpu
    print(f"python {platform.python_version()}, numpy {np.__version__}, "
          f"torch {torch.__version__ if torch else 'not installed'}; {os.cpu_count()} CPUs ({cpu}); "
          f"load average {load_average():.2f}")
    if load_average() > 0.5:
        print("NOTE: other processes are busy on this machine (load average above 0.5 before we start): epoch "
              "times will scatter, and 2-thread numbers suffer most (a BLAS call waits for its slower thread)")
    for var in OPENBLAS_TUNING_VARS:
        value = os.environ.get(var)
        print(f"{var}: " + ("not set" if value is None
                            else f"SET to {value!r}: OpenBLAS kernels/blocking are overridden, numbers may differ"))
    for var in (*OTHER_THREAD_VARS, *MALLOC_TUNING):
        if var in os.environ:
            print(f"{var} is set: {os.environ[var]!r}")
    print("threadpoolctl (BLAS / OpenMP libraries loaded in this process):")
    for lib in threadpool_info():
        print(f"  {lib.get('user_api')}: {lib.get('internal_api')} {lib.get('version')} "
              f"({lib.get('architecture') or lib.get('threading_layer') or ''}) "
              f"num_threads={lib.get('num_threads')}  {Path(lib.get('filepath', '')).name}")
    if torch is not None:
        build = torch.__config__.show()
        blas = build.split("BLAS_INFO=")[1].split(",")[0] if "BLAS_INFO=" in build else "?"
        print(f"torch: {torch.get_num_threads()} intra-op threads by default; BLAS {blas}, "
              f"oneDNN {'on' if torch.backends.mkldnn.is_available() else 'off'}")


def ratio(a: float, b: float) -> float:
    return a / b if b and b == b else float("nan")


def report(r: dict, threads: int, steps: int, torch, args_no_torch: bool = False) -> None:
    ours, bare, mm_train, mm_eval = r["ours"], r["bare"], r["mm_train"], r["mm_eval"]
    rows = [("ours: mlp.Trainer", ours), ("ours: bare steps", bare)]
    if torch is not None:
        rows.append((f"PyTorch {torch.__version__} (CPU)", r["torch"]))
    rows.append(("notebook float64", r["notebook"]))
    one = threads == 1  # then the calling thread's CPU time is the whole cost
    print(f"\n== seconds per epoch at {threads} BLAS thread(s): median of {len(ours.timed)} epochs "
          f"after 1 warm-up ==")
    print(f"{'implementation':<28}{'s/epoch':>9}{'min-max':>12}{'CPU s':>8}{'test acc':>10}{'vs ours':>9}")
    for name, t in rows:
        spread = f"{min(t.timed):.2f}-{max(t.timed):.2f}"
        cpu = f"{t.cpu_median:.3f}" if one else "-"
        print(f"{name:<28}{t.median:>9.3f}{spread:>12}{cpu:>8}{t.accuracy:>9.2%}{ratio(t.median, ours.median):>9.2f}")
    mm = mm_train.median
    print(f"{'ours: matmuls only':<28}{mm:>9.3f}{'':>12}{f'{mm_train.cpu_median:.3f}' if one else '-':>8}{'':>10}"
          f"{ratio(mm, ours.median):>9.2f}   (+ {mm_eval.median:.3f} s for the Trainer's test scoring)")
    print("(s/epoch: wall clock; CPU s: CPU time of the training thread, shown at 1 thread only, where it is "
          "the whole cost\n and does not grow while other processes hold the core)" if one else
          "(s/epoch: wall clock; at 2+ threads CPU time would count idle BLAS threads spinning, so it is not shown)")
    if torch is None:
        print("PyTorch left out (--no-torch)" if args_no_torch else "PyTorch not installed: skipped")

    print("\n== ratios ==")
    if torch is not None:
        q = ratio(ours.median, r["torch"].median)
        print(f"ours / torch    = {q:.2f}  (target <= 1.0: {'met' if q <= 1.0 else 'NOT met'}); "
              f"bare steps / torch = {ratio(bare.median, r['torch'].median):.2f}")
    q = ratio(r["notebook"].median, ours.median)
    print(f"notebook / ours = {q:.2f}  (target >= 2: {'met' if q >= 2 else 'NOT met'})")
    fastest = ", ".join(f"{name} {ratio(min(a.timed), min(b.timed)):.2f}" for name, a, b in
                        ((("ours / torch", ours, r["torch"]),) if torch is not None else ())
                        + (("notebook / ours", r["notebook"], ours),))
    print(f"the same ratios on each one's fastest epoch (less sensitive to other processes): {fastest}")
    if one:
        on_cpu = ", ".join(f"{name} {ratio(a.cpu_median, b.cpu_median):.2f}" for name, a, b in
                           ((("ours / torch", ours, r["torch"]),) if torch is not None else ())
                           + (("notebook / ours", r["notebook"], ours),))
        print(f"the same ratios on CPU time (blind to other processes): {on_cpu}")

    print("\n== where our epoch goes ==")
    outside_bare = 1 - mm / bare.median
    outside_trainer = 1 - (mm + mm_eval.median) / ours.median
    print(f"outside matrix products: {outside_bare:.0%} of a bare-step epoch "
          f"({bare.median - mm:.3f} s of {bare.median:.3f}), "
          f"{outside_trainer:.0%} of a Trainer epoch ({ours.median - mm - mm_eval.median:.3f} s of {ours.median:.3f})")
    print(f"Trainer extras (test scoring, logging, diagnostics, copies): {ours.median - bare.median:+.3f} s/epoch "
          f"({ratio(ours.median - bare.median, ours.median):.0%} of its epoch)")
    print(f"per step: Trainer {ours.median / steps * 1e3:.2f} ms, bare {bare.median / steps * 1e3:.2f} ms, "
          f"matmuls {mm / steps * 1e3:.2f} ms"
          + (f", torch {r['torch'].median / steps * 1e3:.2f} ms" if torch is not None else "")
          + f", notebook {r['notebook'].median / steps * 1e3:.2f} ms")
    print(f"minor page faults per epoch: Trainer {ours.faults_per_epoch:.0f}, bare {bare.faults_per_epoch:.0f}"
          + (f", torch {r['torch'].faults_per_epoch:.0f}" if torch is not None else "")
          + f", notebook {r['notebook'].faults_per_epoch:.0f}")

    print("\n== correctness ==")
    first = r["notebook"].first_accuracy
    print(f"test accuracy after 1 epoch: ours {ours.first_accuracy:.2%}, notebook {first:.2%} "
          f"({'OK, > 90%' if first > 0.9 else 'BELOW 90%: the notebook reference is broken'})"
          + (f", torch {r['torch'].first_accuracy:.2%}" if torch is not None else ""))


def report_predict(p: dict) -> None:
    print(f"\n== one drawn digit, 280x280 RGBA canvas -> to_mnist -> predict_proba "
          f"(median of {PREDICT_RUNS}) ==")
    print(f"end to end {p['end to end']:.2f} ms (target < 5 ms: {'met' if p['end to end'] < 5 else 'NOT met'}): "
          f"to_mnist {p['to_mnist']:.2f} ms + predict_proba {p['predict_proba']:.3f} ms; "
          f"the '7' drawn is read as {p['digit']}")


def compare_malloc(args, threads: int, pairs: int = 2) -> None:
    """Children without and with the malloc settings, alternating (A B A B), so that a change in the
    machine's load does not land on one setting only."""
    print(f"\n== glibc malloc settings, our Trainer alone in fresh processes ({threads} thread(s)) ==")
    runs: dict[bool, list[dict]] = {False: [], True: []}
    for _ in range(pairs):
        for tuned in (False, True):
            child = run_child(args, threads, tuned)
            if child is None:
                print("a child process failed; see above")
                return
            runs[tuned].append(child)
    settings = " ".join(f"{k}={v}" for k, v in MALLOC_TUNING.items())
    summary = {}
    for tuned, name in ((False, "default glibc"), (True, settings)):
        children = runs[tuned]
        epochs = [t for c in children for t in c["seconds"][1:]]  # each child's first epoch is its warm-up
        summary[tuned] = (statistics.median(epochs), statistics.median(c["augment_ms"] for c in children))
        busy = [c["others_busy"] for c in children if c.get("others_busy") is not None]
        print(f"{name}:\n    {summary[tuned][0]:.3f} s/epoch (median of {len(epochs)} epochs in {len(children)} "
              f"processes: {', '.join(f'{t:.2f}' for t in epochs)}), "
              f"{max(c['faults_per_step'] for c in children):.1f} page faults/step;\n"
              f"    augment_batch(128) in a fresh process: {statistics.median(c['fresh_ms'] for c in children):.2f} ms, "
              f"{statistics.median(c['fresh_faults'] for c in children):.0f} page faults/call; after training: "
              f"{summary[tuned][1]:.2f} ms, {max(c['augment_faults'] for c in children):.1f} page faults/call "
              f"(in a worker thread: {statistics.median(c['augment_thread_ms'] for c in children):.2f} ms, "
              f"{max(c['augment_thread_faults'] for c in children):.1f})"
              + (f"\n    other processes busy on {statistics.mean(busy):.2f} CPUs meanwhile" if busy else ""))
    fresh = [statistics.median(c["fresh_ms"] for c in runs[tuned]) for tuned in (False, True)]
    print(f"tuned / default: training {ratio(summary[True][0], summary[False][0]):.3f}, augmentation "
          f"{ratio(fresh[1], fresh[0]):.3f} in a fresh process, {ratio(summary[True][1], summary[False][1]):.3f} "
          f"after training")
    print("(glibc raises its mmap threshold to the largest mmapped block freed so far, up to 32 MiB: once a process\n"
          " has loaded MNIST or scored a test set, the augmentation's temporaries come from the heap anyway; only a\n"
          " process that has freed no big block yet, like the fresh one above, pays the page faults)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", help="folder with the MNIST IDX files (default: $MLP_DATA_DIR, "
                                           "else ../shared/data/mnist beside the project, else the download cache)")
    parser.add_argument("--epochs", type=int, default=6, help="epochs per implementation, the first a warm-up (default 6)")
    parser.add_argument("--threads", default="1", help="BLAS thread count(s), e.g. 1 or 2 or 1,2 (default 1)")
    parser.add_argument("--no-torch", action="store_true", help="leave PyTorch out even if it is installed")
    parser.add_argument("--no-malloc-tuning", action="store_true",
                        help="skip the two child processes that compare glibc malloc settings")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.threads = [int(t) for t in str(args.threads).split(",") if t.strip()]
    args.epochs = max(2, args.epochs)
    if not args.data_dir:
        shared = ROOT.parent / "shared" / "data" / "mnist"
        args.data_dir = os.environ.get("MLP_DATA_DIR") or (str(shared) if shared.is_dir() else None)

    if args.child:
        child_main(args)
        return
    data = mlp.load_mnist(args.data_dir)

    torch = None
    if not args.no_torch:
        try:
            import torch  # noqa: F811
        except ImportError:
            torch = None
    describe_machine(torch)
    print(f"data: {data.description}")
    if len(data.x_train) != 60_000:
        print("WARNING: not the full 60,000 training images; these numbers are not comparable")
    if args.no_torch:
        print("PyTorch left out (--no-torch)")
    split = mlp.make_split(data, validation_share=0)
    steps = -(-len(split.x_train) // BATCH)
    print(f"network 784-256-128-10, ReLU, He, Adam lr {LR:g}, batch {BATCH}: {steps} steps per epoch, "
          f"{args.epochs} epochs each (1 warm-up)")

    for threads in args.threads:
        with threadpool_limits(limits=threads):
            if torch is not None:
                torch.set_num_threads(threads)
            print(f"\n######## {threads} thread(s) ########")
            print("limits now: " + ", ".join(f"{lib['internal_api']}={lib['num_threads']}" for lib in threadpool_info())
                  + (f", torch={torch.get_num_threads()}" if torch is not None else ""))
            start, others = time.perf_counter(), OtherLoad()
            print("taking turns " + ("every ~9 steps" if threads == 1 else
                                     f"by whole epochs, {SETTLE_SECONDS} s apart (see measure_all)"))
            results = measure_all(data, split, args.epochs, torch, threads)
            busy = others.cpus()
            report(results, threads, steps, torch, args.no_torch)
            report_predict(time_predict(results["model"]))
            print(f"(measured in {time.perf_counter() - start:.0f} s"
                  + (f"; meanwhile other processes kept {busy:.2f} of the {os.cpu_count()} CPUs busy on average"
                     if busy is not None else "") + ")")
        if not args.no_malloc_tuning:
            compare_malloc(args, threads)
    print(f"\nload average at the end: {load_average():.2f}")


if __name__ == "__main__":
    main()
