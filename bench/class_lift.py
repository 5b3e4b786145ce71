"""How much does a class's own handwriting teach a network about writers it never saw?

    python bench/class_lift.py [CONFIG ...] [--writers 5 10 30] [--repeats 3] [--pool 60] [--seed 0]

CONFIG is `default` (the settings a student gets without touching anything), `quick`, a preset name, or
NAME:SETTING=VALUE,...
(`default:styles=0`: the default without digits in other hands). A class is --pool synthetic writers
(mlp.drawing.styles: each with a hand and a style per digit of their own, the benchmark's templates), each drawing
every digit three times on the canvas, read as the app reads and keeps them (28x28, uint8). For each N of --writers
and each of --repeats splits, N writers are drawn at random: their drawings join the training rows (as `train
--drawings` and the app add them: mlp.trainer.with_drawings), and the network is scored on the drawings of the
writers not drawn, beside the same network trained without them (scored on the same writers). Prints the mean and
spread of the lift over the splits. A benchmark, not a test: it never fails on its numbers.
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

from mlp.data.mnist import load_mnist, make_split  # noqa: E402
from mlp.drawing.handwriting import Handwriting, as_training_rows, part  # noqa: E402
from mlp.drawing.preprocess import to_mnist  # noqa: E402
from mlp.drawing.styles import styled_digits  # noqa: E402
from mlp.trainer import Trainer, with_drawings  # noqa: E402

from drawn_digits import config_of  # noqa: E402  (NAME:SETTING=VALUE,..., as drawn_digits.py reads it)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("configs", nargs="*", default=["default"], help="settings to train (default: default)")
    parser.add_argument("--writers", type=int, nargs="+", default=[5, 10, 30], help="class writers trained on")
    parser.add_argument("--repeats", type=int, default=3, help="random writer splits per N (default 3)")
    parser.add_argument("--pool", type=int, default=60, help="writers in the class (default 60)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the class and of the splits")
    parser.add_argument("--data-dir", help="MNIST folder (default: $MLP_DATA_DIR, else ../shared/data/mnist)")
    args = parser.parse_args()
    if max(args.writers) >= args.pool:
        parser.error(f"--pool ({args.pool}) must leave writers to score on after the largest N ({max(args.writers)})")
    if not args.data_dir:
        shared = ROOT.parent / "shared" / "data" / "mnist"
        args.data_dir = os.environ.get("MLP_DATA_DIR") or (str(shared) if shared.is_dir() else None)
    return args


def class_handwriting(writers: int, seed: int) -> Handwriting:
    """Three drawings of each digit by each writer, kept as the app keeps them (28x28 uint8, the writer's name)."""
    images, labels, names = [], [], []
    for drawing in styled_digits(writers, per_digit=3, seed=seed):
        digit = to_mnist(drawing.image)
        images.append(np.zeros((28, 28), np.uint8) if digit is None else np.rint(digit * 255).astype(np.uint8))
        labels.append(drawing.label)
        names.append(f"writer {drawing.writer}")
    return Handwriting(np.array(images), np.array(labels), np.array(names))


def accuracy(model, handwriting: Handwriting) -> float:
    x, y = as_training_rows(handwriting)
    return float((model.predict_proba(x).argmax(axis=1) == y).mean())


def main() -> None:
    args = parse_args()
    data = load_mnist(args.data_dir)
    began = time.perf_counter()
    kept = class_handwriting(args.pool, seed=500 + args.seed)
    names = np.array(sorted(set(kept.writers.tolist()), key=lambda w: int(w.split()[1])))
    print(f"a class of {args.pool} writers, {len(kept)} drawings, drawn in {time.perf_counter() - began:.0f} s "
          f"(load average {os.getloadavg()[0]:.2f})")
    rng = np.random.default_rng(args.seed)
    splits = {n: [rng.permutation(names)[:n] for _ in range(args.repeats)] for n in args.writers}
    for spec in args.configs:
        config = config_of(spec)
        split = make_split(data, classes=config.classes, per_class=config.per_class,
                           validation_share=config.validation_share, seed=config.seed)
        base = Trainer(config, split).run()
        print(f"\n== {spec} == MNIST test {base.test_accuracy:.2%} without drawings "
              f"({base.seconds:.0f} s of training)")
        print(f"{'writers':>8} {'without':>9} {'with':>9} {'lift':>14} {'MNIST test with':>16}  (other writers' "
              "drawings; mean and spread over splits)")
        for n, chosen in splits.items():
            without, with_, tests = [], [], []
            for writers in chosen:
                mine = np.isin(kept.writers, writers)
                others = part(kept, ~mine)
                trained = Trainer(config, with_drawings(split, as_training_rows(part(kept, mine)))[0]).run()
                without.append(accuracy(base.model, others))
                with_.append(accuracy(trained.model, others))
                tests.append(trained.test_accuracy)
            lift = np.array(with_) - np.array(without)
            print(f"{n:>8} {np.mean(without):>9.2%} {np.mean(with_):>9.2%} {lift.mean():>+8.2%} ±{lift.std():.2%} "
                  f"{np.mean(tests):>15.2%}  (lift per split: {', '.join(f'{v:+.1%}' for v in lift)})", flush=True)


if __name__ == "__main__":
    main()
