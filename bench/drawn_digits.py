"""How well does a network read digits drawn on the canvas, and does it notice drawings that are not digits?

    python bench/drawn_digits.py MODEL [MODEL ...] [--digits 10000] [--non-digits 1000] [--seed 0]

MODEL is a model file (.npz), a preset name (trained here first), `default` (the settings a student
gets without touching anything) or `quick` (the Draw page's quick network). The drawings come from
mlp.drawing.canvas_like: MNIST's test digits redrawn with the canvas's round brush, and non-digits; each goes
through the Draw page's own path (ui.draw.data: preprocessing, answer, doubt). Prints accuracy by
digit, the share of non-digits flagged (by kind), the share of real digits wrongly flagged, and the
time from drawing to answer. A benchmark, not a test: it never fails on its numbers.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mlp.config import TrainConfig  # noqa: E402
from mlp.data.mnist import load_mnist  # noqa: E402
from mlp.drawing.canvas_like import drawn_digits, non_digits  # noqa: E402
from mlp.drawing.novelty import fit_novelty  # noqa: E402
from mlp.model import Model, load_model  # noqa: E402
from mlp.presets import PRESETS, get_preset  # noqa: E402
from mlp.trainer import train  # noqa: E402
from ui.draw.data import answer, doubt, quick_config, read_drawing  # noqa: E402

BLANK = np.zeros(784, np.float32)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="+", help=f"model files, or: default, quick, {', '.join(PRESETS)}")
    parser.add_argument("--digits", type=int, default=10_000,
                        help="canvas-like test digits (default 10000: every MNIST test digit once; with 300 of a "
                             "digit its figure varies by about 1.5 points from seed to seed)")
    parser.add_argument("--non-digits", type=int, default=1000, help="non-digit drawings (default 1000)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the drawings (default 0)")
    parser.add_argument("--data-dir", help="MNIST folder (default: $MLP_DATA_DIR, else ../shared/data/mnist)")
    args = parser.parse_args()
    if not args.data_dir:
        shared = ROOT.parent / "shared" / "data" / "mnist"
        args.data_dir = os.environ.get("MLP_DATA_DIR") or (str(shared) if shared.is_dir() else None)
    return args


def get_model(name: str, data) -> Model:
    """A model file, or a network trained here from the settings `name` stands for."""
    if Path(name).suffix == ".npz":
        return load_model(name)
    config = {"default": TrainConfig, "quick": quick_config}.get(name) or get_preset(name).config
    began = time.perf_counter()
    result = train(config(), data)
    print(f"{name}: trained in {time.perf_counter() - began:.1f} s, MNIST test accuracy {result.test_accuracy:.2%}")
    return result.model


def read_all(drawings) -> tuple[np.ndarray, np.ndarray, list]:
    """Every drawing through the page's preprocessing: (inputs (n, 784), too small or inkless?, labels)."""
    inputs, small, labels = [], [], []
    for drawing in drawings:
        reading = read_drawing(drawing.image)
        inputs.append(BLANK if reading.digit is None else reading.digit.ravel())
        small.append(reading.digit is None or reading.small)
        labels.append(drawing.label)
    return np.array(inputs), np.array(small), labels


def flagged(model: Model, check, inputs: np.ndarray, small: np.ndarray) -> np.ndarray:
    """What the Draw page would doubt (see ui.draw.data.doubt), for many inputs at once."""
    return small | (np.array(check.reasons(model.network, inputs)) != "")


def answer_time(model: Model, check, drawings) -> float:
    """Median milliseconds from the canvas image to the answer and the doubt, one drawing at a time."""
    times = []
    for drawing in drawings:
        began = time.perf_counter()
        reading = read_drawing(drawing.image)
        answer(model, reading.digit)
        doubt(reading, model, check)
        times.append(time.perf_counter() - began)
    return 1000 * float(np.median(times))


def report(name: str, model: Model, data, digits, others) -> None:
    check = fit_novelty(model.network, data.x_train, data.x_test)
    x, small, labels = digits
    labels = np.array(labels)
    predicted = model.predict_proba(x).argmax(axis=1)
    right = predicted == labels
    by_digit = "  ".join(f"{c}:{right[labels == c].mean():.1%}" for c in range(10))
    print(f"\n== {name} ==\ncanvas-like digits: {right.mean():.2%} read right (weakest class "
          f"{min(right[labels == c].mean() for c in range(10)):.1%})\n  {by_digit}")
    wrong_flags = flagged(model, check, x, small)
    print(f"real digits wrongly flagged as not a digit: {wrong_flags.mean():.2%}")
    nx, nsmall, kinds = others
    kinds = np.array(kinds)
    caught = flagged(model, check, nx, nsmall)
    per_kind = "  ".join(f"{k}:{caught[kinds == k].mean():.0%}" for k in dict.fromkeys(kinds))
    print(f"non-digits flagged: {caught.mean():.1%}  ({per_kind})")
    sample = list(drawn_digits(data.x_test, data.y_test, 60, seed=99))
    print(f"drawing to answer: {answer_time(model, check, sample):.2f} ms (median of 60)")


def main() -> None:
    args = parse_args()
    data = load_mnist(args.data_dir)
    began = time.perf_counter()
    digits = read_all(drawn_digits(data.x_test, data.y_test, args.digits, seed=args.seed))
    others = read_all(non_digits(args.non_digits, seed=args.seed))
    print(f"{args.digits} canvas-like test digits and {args.non_digits} non-digits drawn and read in "
          f"{time.perf_counter() - began:.0f} s (load average {os.getloadavg()[0]:.2f})")
    for name in args.models:
        report(name, get_model(name, data), data, digits, others)


if __name__ == "__main__":
    main()
