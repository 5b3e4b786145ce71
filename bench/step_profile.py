"""Where a training step's time goes, part by part, at 1 BLAS thread: CPU time of each part of our
engine's step (the pieces `Trainer.steps()` runs, in its order), next to the matrix products alone.

    python bench/step_profile.py [--data-dir DIR] [--epochs 2]

The parts are timed inside one loop over real MNIST batches (each with `time.thread_time`, so other
processes do not count), and the floor (`contestants.MatmulsOnly`) takes a turn after every step.
The Trainer's extras are timed at their own cadence and shown per step: layer diagnostics at each
logged point, the held-out evaluation at each epoch end, a snapshot of the insides once a second.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import mlp  # noqa: E402
from contestants import BATCH, LR, MatmulsOnly, config  # noqa: E402
from mlp.diagnostics import measure  # noqa: E402
from mlp.losses import cross_entropy  # noqa: E402
from mlp.metrics import evaluate  # noqa: E402
from mlp.model import Model  # noqa: E402
from mlp.optimizers import make_optimizer  # noqa: E402
from mlp.teaching.insides import Camera  # noqa: E402
from mlp.trainer import POINTS_PER_EPOCH  # noqa: E402


def profile(split, epochs: int) -> tuple[dict, int]:
    cfg = config(epochs)
    net = Model.create(cfg).network
    opt = make_optimizer(cfg, net.params.size)
    floor = MatmulsOnly(len(split.x_train), len(split.x_test)).steps()
    camera = Camera.for_split(split, range(10))
    x, y, n = split.x_train, split.y_train, len(split.x_train)
    per_epoch = -(-n // BATCH)
    log_every = max(1, per_epoch // POINTS_PER_EPOCH)
    spent, steps, trained = defaultdict(float), 0, 0.0
    rng = mlp.seeding.random_streams(0).order
    clock = time.thread_time
    for epoch in range(epochs):
        order = rng.permutation(n)
        for first in range(0, n, BATCH):
            t0 = clock()
            idx = order[first:first + BATCH]
            xb, yb = x[idx], y[idx]
            t1 = clock()
            fp = net.forward(xb)
            t2 = clock()
            _, probs, dlogits = cross_entropy(fp.logits, yb)
            t3 = clock()
            net.backward(fp, dlogits)
            t4 = clock()
            opt.step(net.params, net.grads, LR)
            t5 = clock()
            int((probs.argmax(axis=1) == yb).sum())
            t6 = clock()
            if epoch == 0:
                continue  # a warm-up epoch
            steps += 1
            for part, seconds in (("gather x[idx], y[idx]", t1 - t0), ("forward", t2 - t1), ("loss", t3 - t2),
                                  ("backward", t4 - t3), ("Adam", t5 - t4), ("accuracy of the batch", t6 - t5)):
                spent[part] += seconds
            trained += t6 - t0
            if steps % log_every == 0:
                t = clock()
                measure(net, fp, net.views(opt.change)[0])
                spent["extras: diagnostics (every ~9 steps)"] += clock() - t
            if trained >= 1.0 or first + BATCH >= n:
                t = clock()
                camera.look(net, steps, steps / per_epoch)
                spent["extras: insides (1/s, epoch end)"] += clock() - t
                trained = 0.0
            t = clock()
            next(floor)
            spent["floor: matmuls only"] += clock() - t
        if epoch > 0:
            t = clock()
            evaluate(net, split.x_test, split.y_test)
            spent["extras: held-out evaluation (epoch end)"] += clock() - t
    return spent, steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default=os.environ.get("MLP_DATA_DIR"))
    parser.add_argument("--epochs", type=int, default=2, help="epochs, the first a warm-up (default 2)")
    args = parser.parse_args()
    split = mlp.make_split(mlp.load_mnist(args.data_dir), validation_share=0)
    with threadpool_limits(limits=1):
        spent, steps = profile(split, max(2, args.epochs))
    floor = spent.pop("floor: matmuls only") / steps
    step_parts = [k for k in spent if not k.startswith("extras")]
    step = sum(spent[k] for k in step_parts) / steps
    print(f"CPU time per step over {steps} steps, 784-256-128-10, Adam, batch {BATCH}, 1 BLAS thread "
          f"(load average {os.getloadavg()[0]:.2f})")
    print(f"{'part':<44}{'us/step':>9}{'x floor':>9}")
    for part, seconds in spent.items():
        print(f"{part:<44}{seconds / steps * 1e6:>9.0f}{seconds / steps / floor:>9.2f}")
    print(f"{'bare step (the parts above the extras)':<44}{step * 1e6:>9.0f}{step / floor:>9.2f}")
    print(f"{'floor: the same step, matrix products only':<44}{floor * 1e6:>9.0f}{1:>9.2f}")


if __name__ == "__main__":
    main()
