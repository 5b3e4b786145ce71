"""How fast does our engine train MNIST, next to PyTorch and next to a student's notebook code?

    python bench/train_speed.py [--data-dir DIR] [--epochs N] [--threads 1] [--threads 1,2] [--no-torch]

One network for everyone: 784-256-128-10, ReLU, He initialisation, Adam (lr 1e-3),
batches of 128, all 60,000 training images, float32 (the notebook: float64).
The contestants are in contestants.py, the timing in harness.py, the printing in
report.py. It is a benchmark, not a test: it prints numbers and never fails on them.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from threadpoolctl import threadpool_info, threadpool_limits

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import mlp  # noqa: E402
from contestants import BATCH, LR  # noqa: E402
from harness import SETTLE_SECONDS, OtherLoad, load_average, measure_all, time_predict  # noqa: E402
from report import describe_machine, report, report_predict  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", help="folder with the MNIST IDX files (default: $MLP_DATA_DIR, "
                                           "else ../shared/data/mnist beside the project, else the download cache)")
    parser.add_argument("--epochs", type=int, default=6,
                        help="epochs per implementation, the first a warm-up (default 6, at least 2)")
    parser.add_argument("--threads", default="1", help="BLAS thread count(s), e.g. 1 or 2 or 1,2 (default 1)")
    parser.add_argument("--no-torch", action="store_true", help="leave PyTorch out even if it is installed")
    args = parser.parse_args()
    args.threads = [int(t) for t in str(args.threads).split(",") if t.strip()]
    args.epochs = max(2, args.epochs)
    if not args.data_dir:
        shared = ROOT.parent / "shared" / "data" / "mnist"
        args.data_dir = os.environ.get("MLP_DATA_DIR") or (str(shared) if shared.is_dir() else None)
    return args


def import_torch(wanted: bool):
    if not wanted:
        return None
    try:
        import torch
    except ImportError:
        return None
    return torch


def run_at(threads: int, split, epochs: int, steps: int, torch) -> None:
    """Every contestant at one BLAS thread count (set process-wide by threadpoolctl), then the report."""
    with threadpool_limits(limits=threads):
        if torch is not None:
            torch.set_num_threads(threads)
        print(f"\n######## {threads} thread(s) ########")
        print("limits now: " + ", ".join(f"{lib['internal_api']}={lib['num_threads']}" for lib in threadpool_info())
              + (f", torch={torch.get_num_threads()}" if torch is not None else ""))
        start, others = time.perf_counter(), OtherLoad()
        print("taking turns " + ("every ~9 steps" if threads == 1 else
                                 f"by whole epochs, {SETTLE_SECONDS} s apart (see measure_all)"))
        results = measure_all(split, epochs, torch, threads)
        busy = others.cpus()
        report(results, threads, steps, torch)
        report_predict(time_predict(results["model"]))
        print(f"(measured in {time.perf_counter() - start:.0f} s"
              + (f"; meanwhile other processes kept {busy:.2f} of the {os.cpu_count()} CPUs busy on average"
                 if busy is not None else "") + ")")


def main() -> None:
    args = parse_args()
    data = mlp.load_mnist(args.data_dir)
    torch = import_torch(not args.no_torch)
    describe_machine(torch)
    print(f"data: {data.description}")
    if len(data.x_train) != 60_000:
        print("WARNING: not the full 60,000 training images; these numbers are not comparable")
    split = mlp.make_split(data, validation_share=0)
    steps = -(-len(split.x_train) // BATCH)
    print(f"network 784-256-128-10, ReLU, He, Adam lr {LR:g}, batch {BATCH}: {steps} steps per epoch, "
          f"{args.epochs} epochs each (1 warm-up)")
    for threads in args.threads:
        run_at(threads, split, args.epochs, steps, torch)
    print(f"\nload average at the end: {load_average():.2f}")


if __name__ == "__main__":
    main()
