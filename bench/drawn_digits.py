"""How well does a network read digits drawn on the canvas, and does it notice drawings that are not digits?

    python bench/drawn_digits.py MODEL [MODEL ...] [--digits 10000] [--non-digits 1000] [--writers 300] [--seed 0]

MODEL is a model file (.npz), a preset name (trained here first), `default` (the settings a student
gets without touching anything) or `quick` (the Draw page's quick network); NAME:SETTING=VALUE,... changes some of
its settings (`default:styles=0` is the default without digits in other hands). The drawings come from
mlp.drawing.canvas_like: MNIST's test digits redrawn with the canvas's round brush, and non-digits; and from
mlp.drawing.styles: digits as writers of several countries write them (a slashed 0, a 1 with a flag and a foot, a
closed 4, a crossed 7...), by --writers synthetic writers with a hand and a style per digit each, from the
benchmark's own stroke templates (never the ones training uses). Each goes through the Draw page's own path
(ui.draw.data: preprocessing, answer, doubt). Prints accuracy by digit, and for the styled drawings by style too,
the share of non-digits flagged (by kind), the share of real digits wrongly flagged, the training time (the
styled training digits made first, in that time) and the time from drawing to answer. A benchmark, not a test: it
never fails on its numbers.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mlp.config import TrainConfig  # noqa: E402
from mlp.data.mnist import load_mnist  # noqa: E402
from mlp.drawing import styles  # noqa: E402
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
    parser.add_argument("--writers", type=int, default=300,
                        help="synthetic writers of the styled digits, one drawing of each digit each (default 300)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the drawings (default 0)")
    parser.add_argument("--data-dir", help="MNIST folder (default: $MLP_DATA_DIR, else ../shared/data/mnist)")
    args = parser.parse_args()
    args.data_dir = args.data_dir or default_data_dir()
    return args


def default_data_dir() -> str | None:
    """$MLP_DATA_DIR, else the shared folder beside the project, else None (the download cache)."""
    shared = ROOT.parent / "shared" / "data" / "mnist"
    return os.environ.get("MLP_DATA_DIR") or (str(shared) if shared.is_dir() else None)


def config_of(spec: str) -> TrainConfig:
    """The settings NAME (default, quick or a preset) stands for, with SETTING=VALUE,... after a colon changed
    (a value is read as JSON: 0.05, 3, null, true)."""
    name, _, changes = spec.partition(":")
    config = ({"default": TrainConfig, "quick": quick_config}.get(name) or get_preset(name).config)()
    pairs = (change.split("=", 1) for change in changes.split(",") if change)
    return config.replace(**{key: json.loads(value) for key, value in pairs})


def get_model(spec: str, data) -> tuple[Model, float]:
    """A model file, or a network trained here from the settings `spec` stands for (NAME or NAME:SETTING=VALUE,...),
    and the CPU seconds training took, its styled digits made first (0 for a file): at one BLAS thread the CPU time
    is the cost, however busy the machine."""
    if Path(spec).suffix == ".npz":
        return load_model(spec), 0.0
    config = config_of(spec)
    styles.training_pool.cache_clear()  # a fresh process makes them once: count it
    began, cpu = time.perf_counter(), time.process_time()
    result = train(config, data)
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    print(f"{spec}: trained in {seconds:.1f} s ({cpu:.1f} s of CPU), MNIST test accuracy {result.test_accuracy:.2%}")
    return result.model, cpu


def read_all(drawings) -> tuple[np.ndarray, np.ndarray, list, list]:
    """Every drawing through the page's preprocessing: (inputs (n, 784), too small or inkless?, labels, styles)."""
    inputs, small, labels, kinds = [], [], [], []
    for drawing in drawings:
        reading = read_drawing(drawing.image)
        inputs.append(BLANK if reading.digit is None else reading.digit.ravel())
        small.append(reading.digit is None or reading.small)
        labels.append(drawing.label)
        kinds.append(getattr(drawing, "style", ""))
    return np.array(inputs), np.array(small), labels, kinds


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


def by_digit(right: np.ndarray, labels: np.ndarray) -> str:
    return "  ".join(f"{c}:{right[labels == c].mean():.1%}" for c in range(10))


def styled_report(model: Model, styled) -> float:
    """The styled drawings' accuracy overall, by digit and by style (with what each style is misread as); returns
    the overall figure."""
    x, _, labels, kinds = styled
    labels, kinds = np.array(labels), np.array(kinds)
    predicted = model.predict_proba(x).argmax(axis=1)
    right = predicted == labels
    print(f"styled digits (other hands, {len(labels)}): {right.mean():.2%} read right (weakest digit "
          f"{min(right[labels == c].mean() for c in range(10)):.1%})\n  {by_digit(right, labels)}")
    for digit in range(10):
        cells = []
        for style in dict.fromkeys(kinds[labels == digit].tolist()):
            mine = (labels == digit) & (kinds == style)
            misread = np.bincount(predicted[mine & ~right], minlength=10)
            worst = f", read as {misread.argmax()}" if misread.any() else ""
            rare = "*" if (digit, style) in styles.RARE_IN_MNIST else ""
            cells.append(f"{style}{rare} {right[mine].mean():.1%} of {mine.sum()}{worst}")
        print(f"  {digit}: " + "; ".join(cells))
    return float(right.mean())


def report(name: str, model: Model, data, digits, others, styled) -> None:
    check = fit_novelty(model.network, data.x_train, data.x_test)
    x, small, labels, _ = digits
    labels = np.array(labels)
    predicted = model.predict_proba(x).argmax(axis=1)
    right = predicted == labels
    print(f"\n== {name} ==\ncanvas-like digits: {right.mean():.2%} read right (weakest class "
          f"{min(right[labels == c].mean() for c in range(10)):.1%})\n  {by_digit(right, labels)}")
    styled_report(model, styled)
    wrong_flags = flagged(model, check, x, small)
    print(f"real digits wrongly flagged as not a digit: {wrong_flags.mean():.2%}")
    nx, nsmall, kinds, _ = others
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
    styled = read_all(styles.styled_digits(args.writers, seed=1000 + args.seed))
    print(f"{args.digits} canvas-like test digits, {args.non_digits} non-digits and {10 * args.writers} styled digits "
          f"by {args.writers} writers drawn and read in {time.perf_counter() - began:.0f} s (load average "
          f"{os.getloadavg()[0]:.2f}); * marks the styles MNIST's writers rarely used")
    seconds = {}
    for name in args.models:
        model, seconds[name] = get_model(name, data)
        report(name, model, data, digits, others, styled)
    trained = {name: s for name, s in seconds.items() if s}
    if len(trained) > 1:
        first = next(iter(trained))
        print("\ntraining CPU time against " + first + ": " +
              ", ".join(f"{name} {s / trained[first]:.2f}x" for name, s in trained.items()) +
              f" (load average {os.getloadavg()[0]:.2f})")


if __name__ == "__main__":
    main()
