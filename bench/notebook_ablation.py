"""Which of the notebook's mistakes mattered, and by how much: each fixed alone, and all fixed but one.

    python bench/notebook_ablation.py [--attempt 1|2] [--examples 6000] [--epochs N] [--seeds 0,1] [--data-dir DIR]

For each attempt: the run as written, every mistake fixed alone, every mistake left alone with all the others
fixed, and every mistake fixed; the test accuracy after the last epoch (mean over the seeds, and the range).
Attempt 2 also runs its CSV loader's mistake (off by default) on top of the notebook as written. It prints a
Markdown table for docs/notebook.md. A measurement, not a test: it never fails on the numbers.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import mlp  # noqa: E402
from mlp.teaching import notebook as nb  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--attempt", type=int, choices=nb.ATTEMPTS, action="append",
                        help="attempt(s) to measure (default both)")
    parser.add_argument("--examples", type=int, default=nb.EXAMPLES, help="first training images used")
    parser.add_argument("--test-examples", type=int, default=nb.TEST_EXAMPLES)
    parser.add_argument("--epochs", type=int, help="default: the notebook's (30 for attempt 1, 10 for attempt 2)")
    parser.add_argument("--seeds", default="0", help="comma-separated seeds (default 0)")
    parser.add_argument("--data-dir")
    args = parser.parse_args()
    args.seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    if not args.data_dir:
        shared = ROOT.parent / "shared" / "data" / "mnist"
        args.data_dir = os.environ.get("MLP_DATA_DIR") or (str(shared) if shared.is_dir() else None)
    return args


def variants(attempt: int) -> list[tuple[str, tuple[str, ...], tuple[str, ...]]]:
    """(row label, fixes, added mistakes) for every run of the table."""
    names = [m.name for m in nb.mistakes(attempt) if m.default]
    rows = [("as written", (), ())]
    rows += [(f"only `{n}` fixed", (n,), ()) for n in names]
    rows += [(f"all fixed but `{n}`", tuple(x for x in names if x != n), ()) for n in names]
    rows.append(("all fixed", tuple(names), ()))
    rows += [(f"as written + `{m.name}`", (), (m.name,)) for m in nb.mistakes(attempt) if not m.default]
    return rows


def measure(attempt: int, data: nb.NotebookData, epochs: int | None, seeds: list[int]) -> None:
    print(f"\n#### Attempt {attempt}: {len(data.x_train):,} training and {len(data.x_test):,} test images, "
          f"{epochs or nb.EPOCHS[attempt]} epochs, seeds {', '.join(map(str, seeds))}\n")
    print("| run | test accuracy | range | the notebook's test() would print | seconds per run |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for label, fixes, add in variants(attempt):
        results = [nb.run(attempt, data, fixes, add=add, epochs=epochs, seed=s) for s in seeds]
        accuracy = [r.test_accuracy for r in results]
        printed = sum(r.notebook_test_accuracy for r in results) / len(results)
        note = " (diverged)" if any(r.diverged for r in results) else ""
        print(f"| {label}{note} | {sum(accuracy) / len(accuracy):.1%} | {min(accuracy):.1%}-{max(accuracy):.1%} | "
              f"{printed:.1%} | {sum(r.seconds for r in results) / len(results):.1f} |", flush=True)


def main() -> None:
    args = parse_args()
    dataset = mlp.load_mnist(args.data_dir)
    data = nb.NotebookData.take(dataset, args.examples, args.test_examples)
    with threadpool_limits(limits=1):
        for attempt in args.attempt or nb.ATTEMPTS:
            measure(attempt, data, args.epochs, args.seeds)


if __name__ == "__main__":
    main()
