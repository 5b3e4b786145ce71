"""Does the `best` preset reach 99% on MNIST's test set within 3 minutes of training at one BLAS thread?

    OPENBLAS_NUM_THREADS=1 python bench/best_preset.py [--seeds 0,1,2] [--preset best]

Trains the preset once per seed on all 60,000 training digits (as the preset says) and prints the test
accuracy, the seconds spent in the training loop, and the machine's load average before and after (the
machine is shared: a loaded one trains slower). A benchmark, not a test: it never fails on its numbers.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mlp.data.mnist import load_mnist  # noqa: E402
from mlp.presets import get_preset  # noqa: E402
from mlp.trainer import train  # noqa: E402

TARGET, BUDGET = 0.99, 180.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="0,1,2", help="seeds, comma-separated (default 0,1,2)")
    parser.add_argument("--preset", default="best")
    parser.add_argument("--data-dir", default=os.environ.get("MLP_DATA_DIR") or str(ROOT.parent / "shared" / "data" / "mnist"))
    args = parser.parse_args()
    data = load_mnist(args.data_dir)
    preset = get_preset(args.preset)
    print(f"{preset.name}: {preset.settings}")
    with threadpool_limits(limits=1):
        for seed in (int(s) for s in args.seeds.split(",")):
            before = os.getloadavg()[0]
            result = train(preset.config(seed=seed), data)
            ok = result.test_accuracy >= TARGET and result.seconds <= BUDGET
            print(f"seed {seed}: test accuracy {result.test_accuracy:.2%} after {result.seconds:.0f} s of training "
                  f"({'meets' if ok else 'misses'} {TARGET:.0%} in {BUDGET:.0f} s); load average "
                  f"{before:.1f} -> {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs", flush=True)


if __name__ == "__main__":
    main()
