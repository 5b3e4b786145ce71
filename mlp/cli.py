"""Command line: `python -m mlp train …`, `python -m mlp predict model.npz image.png`, `python -m mlp download`."""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Sequence

import numpy as np

from . import activations, initializers, losses, optimizers, schedules
from .config import ConfigError, TrainConfig
from .diagnosis import diagnose
from .idx import IdxError
from .mnist import DataError, load_mnist, make_split
from .model import ModelFileError, load_model
from .preprocess import to_mnist
from .presets import PRESETS
from .trainer import Step, Trainer

# flag -> TrainConfig field, for every setting that has a flag of its own
SETTINGS = {
    "hidden": "hidden", "activation": "activation", "leaky_slope": "leaky_slope", "init": "init",
    "init_std": "init_std", "bias_init": "bias_init", "loss": "loss", "optimizer": "optimizer", "lr": "lr", "momentum": "momentum",
    "beta1": "beta1", "beta2": "beta2", "rho": "rho", "weight_decay": "weight_decay", "dropout": "dropout",
    "schedule": "schedule", "step_epochs": "step_epochs", "gamma": "gamma", "batch_size": "batch_size",
    "epochs": "epochs", "augment": "augment", "seed": "seed", "classes": "classes", "per_class": "per_class",
    "validation_share": "validation_share",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m mlp", description="A from-scratch NumPy MLP for MNIST.")
    commands = parser.add_subparsers(dest="command", required=True)

    t = commands.add_parser("train", help="train a network and report its test accuracy",
                            description="Settings not given come from --preset, else from the defaults.")
    t.add_argument("--preset", choices=sorted(PRESETS), help="start from a named set-up; other flags override it")
    arch = t.add_argument_group("architecture")
    arch.add_argument("--hidden", type=int, nargs="*", metavar="WIDTH", help="hidden layer widths, e.g. 256 128 (none: no hidden layer)")
    arch.add_argument("--activation", choices=activations.NAMES)
    arch.add_argument("--leaky-slope", type=float, help="slope of leaky ReLU below 0")
    arch.add_argument("--init", choices=initializers.NAMES, help="initial weights: normal(0, --init-std), Xavier or He")
    arch.add_argument("--init-std", type=float, help="standard deviation for --init normal (default 1.0)")
    arch.add_argument("--bias-init", type=float, help="value every bias starts at (default 0)")
    opt = t.add_argument_group("objective and optimiser")
    opt.add_argument("--loss", choices=losses.NAMES)
    opt.add_argument("--optimizer", choices=optimizers.NAMES)
    opt.add_argument("--lr", type=float, help="learning rate")
    opt.add_argument("--momentum", type=float, help="for momentum and nesterov")
    opt.add_argument("--beta1", type=float, help="Adam's first-moment decay")
    opt.add_argument("--beta2", type=float, help="Adam's second-moment decay")
    opt.add_argument("--rho", type=float, help="RMSprop's decay")
    opt.add_argument("--weight-decay", type=float, help="L2 penalty on the weights")
    opt.add_argument("--dropout", type=float, help="share of hidden units dropped while training")
    opt.add_argument("--schedule", choices=schedules.NAMES, help="learning-rate schedule")
    opt.add_argument("--step-epochs", type=int, help="--schedule step: epochs between drops")
    opt.add_argument("--gamma", type=float, help="--schedule step: factor at each drop")
    run = t.add_argument_group("the run")
    run.add_argument("--batch-size", type=int)
    run.add_argument("--epochs", type=int)
    run.add_argument("--augment", action=argparse.BooleanOptionalAction, help="random shifts, rotations and scalings")
    run.add_argument("--seed", type=int)
    data = t.add_argument_group("data")
    data.add_argument("--classes", type=int, nargs="+", metavar="DIGIT", help="digit classes to use, e.g. 1 9")
    data.add_argument("--per-class", type=int, help="at most this many training examples per class")
    data.add_argument("--validation-share", type=float, help="share of training examples held out")
    data.add_argument("--data-dir", help="folder with the four MNIST IDX files (default: $MLP_DATA_DIR, cache, download)")
    out = t.add_argument_group("output")
    out.add_argument("--save", type=Path, metavar="PATH", help="write the trained model here (.npz)")
    out.add_argument("--json", action="store_true", help="print the final metrics as one JSON object")
    out.add_argument("--quiet", action="store_true", help="no progress bar")
    run.add_argument("--threads", type=int, default=1,
                     help="BLAS threads for the matrix products (default 1: on a small shared machine more "
                          "threads than free cores is many times slower)")

    p = commands.add_parser("predict", help="print the ten digit probabilities for an image")
    p.add_argument("model", type=Path)
    p.add_argument("image", type=Path, help="a picture of one digit (PNG, JPEG…) or a .npy array")
    p.add_argument("--json", action="store_true")

    d = commands.add_parser("download", help="fetch MNIST into the cache (or check a --data-dir) and say what is there")
    d.add_argument("--data-dir")
    return parser


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    settings = dict(PRESETS[args.preset].settings) if args.preset else {}
    for flag, name in SETTINGS.items():
        value = getattr(args, flag)
        if value is not None:
            settings[name] = value
    return TrainConfig(**settings)


class ProgressBar:
    """One line on standard error, redrawn at each training point: epoch, loss, accuracy, speed."""

    def __init__(self, trainer: Trainer, stream=sys.stderr, width: int = 30):
        self.trainer, self.stream, self.width = trainer, stream, width
        self.started = time.perf_counter()

    def show(self, step: Step) -> None:
        total, point = self.trainer.total_steps, step.point
        rate = step.step / max(time.perf_counter() - self.started, 1e-9)
        done = int(self.width * step.step / total)
        bar = "#" * done + "." * (self.width - done)
        self.stream.write(f"\repoch {step.epoch:5.2f}/{self.trainer.config.epochs} [{bar}] loss {point.loss:.4f} "
                          f"acc {point.accuracy:6.1%} {rate:5.0f} steps/s {(total - step.step) / rate:4.0f}s left ")
        self.stream.flush()


def train_command(args: argparse.Namespace) -> int:
    from threadpoolctl import threadpool_limits  # a command-line concern: the engine itself sets no threads

    if args.threads < 1:
        raise ValueError("--threads must be at least 1")
    with threadpool_limits(limits=args.threads, user_api="blas"):
        return _train(args)


def _train(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    data = load_mnist(args.data_dir, progress=None if args.quiet else _download_progress)
    split = make_split(data, classes=config.classes, per_class=config.per_class,
                       validation_share=config.validation_share, seed=config.seed)
    if not args.quiet:
        print(f"{data.description}. Training {'-'.join(map(str, config.sizes))} on {len(split.x_train):,} images.",
              file=sys.stderr)
    trainer = Trainer(config, split)
    bar = None if args.quiet else ProgressBar(trainer)
    for step in trainer.steps():
        if bar is not None and step.point is not None:
            bar.show(step)
    result = trainer.result()
    if bar is not None:
        print(file=sys.stderr)
    if args.save:
        result.model.save(args.save)
    findings = diagnose(config, result.history, status=result.status, reason=result.reason)
    if args.json:
        print(json.dumps({**result.metrics(), "train_examples": len(split.x_train), "dataset": data.source,
                          "diagnosis": [f.code for f in findings], "config": config.to_dict()}))
    else:
        print(f"{result.status}: test accuracy {result.test_accuracy:.2%}, test loss {result.test_loss:.4f}, "
              f"{result.epochs:g} epochs in {result.seconds:.2f} s")
        if result.reason:
            print(result.reason)
        for finding in findings:
            print(f"- {finding.title}. {finding.message} Fix: {finding.fix_label}.")
        if args.save:
            print(f"model saved to {args.save}")
    return 1 if result.status == "failed" else 0


def read_image(path: Path) -> np.ndarray:
    """A grey image with light ink on a dark background, as MNIST; dark ink on paper is inverted."""
    if path.suffix.lower() == ".npy":
        grey = np.load(path, allow_pickle=False)
    else:
        from PIL import Image  # only the command line reads picture files

        with Image.open(path) as image:
            grey = np.asarray(image.convert("L"))
    if grey.ndim == 2 and grey.dtype == np.uint8 and grey.mean() > 127:
        grey = 255 - grey
    return grey


def predict_command(args: argparse.Namespace) -> int:
    model = load_model(args.model)
    try:
        image = read_image(args.image)
    except (OSError, ValueError) as error:
        raise ValueError(f"cannot read the image {args.image}: {error}") from None
    started = time.perf_counter()
    x = to_mnist(image)
    if x is None:
        raise ValueError(f"{args.image} holds no digit: it is empty or almost empty (light ink on a dark background expected)")
    probs = model.predict_proba(x.reshape(1, -1))[0]
    seconds = time.perf_counter() - started
    digit = int(probs.argmax())
    if args.json:
        print(json.dumps({"prediction": digit, "probabilities": [float(p) for p in probs], "seconds": seconds}))
    else:
        for d, p in enumerate(probs):
            print(f"{d}: {p:.4f} {'#' * int(round(40 * p))}")
        print(f"prediction: {digit} ({probs[digit]:.1%})")
    return 0


def download_command(args: argparse.Namespace) -> int:
    print(load_mnist(args.data_dir, progress=_download_progress).description)
    return 0


def _download_progress(name: str, done: int, total: int | None) -> None:
    size = f"{done / total:6.1%}" if total else f"{done / 1e6:6.1f} MB"
    sys.stderr.write(f"\rdownloading {name}: {size}")
    if total and done >= total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    command = {"train": train_command, "predict": predict_command, "download": download_command}[args.command]
    try:
        return command(args)
    except (ConfigError, DataError, IdxError, ModelFileError, ValueError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
