"""Command line: `python -m mlp train …`, `python -m mlp predict model.npz image.png`, `python -m mlp download`,
`python -m mlp evaluate model.npz --drawings handwriting.npz`,
`python -m mlp notebook --attempt 1 --fix label-typo …` (the student's notebook replayed, mistakes fixed one by one).

Exit codes (docs/engine.md lists them too): 0 done; 1 the run diverged or exploded; 2 bad input (arguments,
settings, data, model or picture files, paths), one line on standard error; 3 MNIST could not be
downloaded; 130 interrupted with Ctrl+C.
"""
from __future__ import annotations

import argparse
import json
import logging
import math
import os
import sys
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from . import activations, initializers, losses, optimizers, schedules
from .data import download
from .data.atomic import check_writable
from .config import ConfigError, TrainConfig
from .teaching.diagnosis import diagnose
from .data.download import DownloadError
from .drawing.handwriting import drawing_rows, held_out_mask, read_handwriting, score_by_writer
from .data.idx import IdxError
from .data.mnist import DATA_DIR_ENV, DataError, Dataset, load_mnist, make_split
from .model import ModelFileError, load_model, npy_header
from .drawing.preprocess import to_mnist
from .presets import PRESETS
from .trainer import Step, Trainer, with_drawings

if TYPE_CHECKING:
    from .teaching import notebook as nb


EXIT_OK, EXIT_DIVERGED, EXIT_BAD_INPUT, EXIT_DOWNLOAD_FAILED, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
MAX_IMAGE_PIXELS = 4096 * 4096  # a photo of a digit needs far fewer; a bigger picture is refused unread


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a mistake costs one line on standard error (exit 2), not the whole usage text."""

    def error(self, message: str) -> None:
        self.exit(EXIT_BAD_INPUT, f"error: {self.prog}: {message} (see {self.prog} --help)\n")


def hidden_width(text: str) -> int | str:
    """A width for --hidden; `none` stands for no hidden layer at all."""
    if text.strip().lower() == "none":
        return "none"
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of units (or none)") from None


def build_parser() -> argparse.ArgumentParser:
    installed = Path(sys.argv[0]).name == "mlp-playground"  # the console command pip installs
    parser = OneLineParser(prog="mlp-playground" if installed else "python -m mlp",
                           description="A from-scratch NumPy MLP for MNIST.")
    commands = parser.add_subparsers(dest="command", required=True)

    t = commands.add_parser("train", help="train a network and report its test accuracy",
                            description="Settings not given come from --preset, else from the defaults.")
    t.add_argument("--preset", choices=sorted(PRESETS), help="start from a named set-up; other flags override it")
    arch = t.add_argument_group("architecture")
    arch.add_argument("--hidden", type=hidden_width, nargs="*", metavar="WIDTH",
                      help="hidden layer widths, e.g. 256 128; none (or no width) for no hidden layer: 784-10")
    arch.add_argument("--activation", choices=list(activations.REGISTRY))
    arch.add_argument("--init", choices=list(initializers.REGISTRY), help="initial weights: normal(0, --init-std), Xavier or He")
    arch.add_argument("--init-std", type=float, help="standard deviation for --init normal (default 1.0)")
    arch.add_argument("--bias-init", type=float, help="value every bias starts at (default 0)")
    opt = t.add_argument_group("objective and optimiser")
    opt.add_argument("--loss", choices=list(losses.REGISTRY))
    opt.add_argument("--optimizer", choices=list(optimizers.REGISTRY))
    opt.add_argument("--lr", type=float, help="learning rate")
    opt.add_argument("--momentum", type=float, help="for momentum and nesterov")
    opt.add_argument("--beta1", type=float, help="Adam's first-moment decay")
    opt.add_argument("--beta2", type=float, help="Adam's second-moment decay")
    opt.add_argument("--rho", type=float, help="RMSprop's decay")
    opt.add_argument("--weight-decay", type=float, help="L2 penalty on the weights")
    opt.add_argument("--dropout", type=float, help="share of hidden units dropped while training")
    opt.add_argument("--schedule", choices=list(schedules.REGISTRY), help="learning-rate schedule")
    opt.add_argument("--step-epochs", type=int, help="--schedule step: epochs between drops")
    opt.add_argument("--gamma", type=float, help="--schedule step: factor at each drop")
    for chooser, kind, group in (("activation", activations, arch), ("init", initializers, arch),
                                 ("optimizer", optimizers, opt), ("schedule", schedules, opt)):
        for setting in kind.REGISTRY.declared().values():  # a part's own setting: --leaky-slope
            readers = ", ".join(name for name, part in kind.REGISTRY.items() if setting in part.settings)
            group.add_argument(f"--{setting.replace('_', '-')}", type=float, dest=setting,  # argparse formats help with %
                               help=f"{setting.help} For --{chooser} {readers}.".replace("%", "%%"))
    run = t.add_argument_group("the run")
    run.add_argument("--batch-size", type=int)
    run.add_argument("--epochs", type=int)
    run.add_argument("--augment", action=argparse.BooleanOptionalAction, help="random shifts, rotations and scalings")
    run.add_argument("--styles", type=float, help="share of each batch drawn as pen digits in styles MNIST lacks "
                                                  "(slashed 0, flagged 1, closed 4, crossed 7...), 0 to 0.5")
    run.add_argument("--seed", type=int)
    data = t.add_argument_group("data")
    data.add_argument("--classes", type=int, nargs="+", metavar="DIGIT", help="digit classes to use, e.g. 1 9")
    data.add_argument("--per-class", type=int, help="at most this many training examples per class")
    data.add_argument("--validation-share", type=float, help="share of training examples held out")
    data.add_argument("--data-dir", help="folder with the four MNIST IDX files (default: $MLP_DATA_DIR, cache, download)")
    data.add_argument("--drawings", type=Path, metavar="PATH",
                      help="a handwriting .npz (as the Board page downloads it): its drawings of the digits the run "
                           "learns join the training rows, except those of held-out writers (one in three, by name), "
                           "kept for `evaluate`")
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

    e = commands.add_parser("evaluate", help="score a model on a file of labelled handwritten digits")
    e.add_argument("model", type=Path)
    e.add_argument("--drawings", type=Path, required=True,
                   help="a handwriting .npz (images, labels, writers), as the app's Board page downloads it")
    e.add_argument("--json", action="store_true")

    add_notebook_parser(commands)

    d = commands.add_parser("download", help="fetch MNIST into the cache (or check a --data-dir) and say what is there")
    d.add_argument("--data-dir")
    return parser


def add_notebook_parser(commands) -> None:
    from .teaching import notebook as nb  # the replay is a lesson beside the engine: nothing else in mlp imports it

    n = commands.add_parser("notebook", help="replay the student's notebook with some of its mistakes fixed",
                            description="Each attempt of the notebook as written, or with the named mistakes fixed. "
                                        f"By default on the first {nb.EXAMPLES:,} training and {nb.TEST_EXAMPLES:,} "
                                        "test images, for the notebook's number of epochs.")
    n.add_argument("--attempt", type=int, choices=nb.ATTEMPTS, default=1)
    n.add_argument("--fix", nargs="+", action="extend", default=[], metavar="NAME",
                   help="fix these mistakes (see --list)")
    n.add_argument("--fix-all", action="store_true", help="fix every mistake of the attempt")
    n.add_argument("--add", nargs="+", action="extend", default=[], metavar="NAME",
                   help="switch on a mistake that is off by default (attempt 2: csv-labels)")
    n.add_argument("--list", action="store_true", help="list the attempt's mistakes and stop")
    n.add_argument("--epochs", type=int, help="default: as in the notebook (30 for attempt 1, 10 for attempt 2)")
    n.add_argument("--examples", type=int, default=nb.EXAMPLES, help="training images, the first ones of MNIST")
    n.add_argument("--test-examples", type=int, default=nb.TEST_EXAMPLES)
    n.add_argument("--seed", type=int, default=0)
    n.add_argument("--gradcheck", action="store_true", help="also check backprop against finite differences")
    n.add_argument("--data-dir", help="folder with the four MNIST IDX files")
    n.add_argument("--json", action="store_true", help="print the result as one JSON object")


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    settings = dict(PRESETS[args.preset].settings) if args.preset else {}
    for name in TrainConfig.names():  # each setting's flag stores under the setting's name
        value = getattr(args, name)
        if value is not None:
            settings[name] = value
    if args.hidden is not None:
        settings["hidden"] = [width for width in args.hidden if width != "none"]
        if "none" in args.hidden and settings["hidden"]:
            raise ConfigError("--hidden none means no hidden layer: give it alone, without widths")
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
    if args.save:
        check_writable(args.save)  # now, not after a long training
    handwriting = read_handwriting(args.drawings) if args.drawings else None  # a bad file fails before the data loads
    rows = drawing_rows(handwriting, config.classes) if handwriting is not None else None
    data = load_data(args.data_dir, quiet=args.quiet)
    split = make_split(data, classes=config.classes, per_class=config.per_class,
                       validation_share=config.validation_share, seed=config.seed)
    added = 0
    if rows is not None:
        split, added = with_drawings(split, rows)
    if not args.quiet:
        said = "" if data.source == "sample" else f"{data.description}. "  # the sample's note has said it: once
        print(f"{said}Training {'-'.join(map(str, config.sizes))} on {len(split.x_train):,} images.", file=sys.stderr)
        if handwriting is not None:
            print(drawings_note(handwriting, rows[1], config), file=sys.stderr)
    trainer = Trainer(config, split)
    bar = None if args.quiet else ProgressBar(trainer)
    for step in trainer.steps():
        if bar is not None and step.point is not None:
            bar.show(step)
    result = trainer.result()
    if added:
        result.model.metrics["drawings"] = added  # evaluate then says the held-out writers' score is the honest one
    if bar is not None:
        print(file=sys.stderr)
    if args.save:
        result.model.save(args.save)
    return report(args, config, data, len(split.x_train), result)


def report(args: argparse.Namespace, config: TrainConfig, data: Dataset, train_examples: int, result) -> int:
    """Print the result (text or JSON) and return the exit code: 1 for a run that diverged or exploded."""
    findings = diagnose(config, result.history, status=result.status, reason=result.reason)
    if args.json:
        print(json.dumps(json_safe({**result.metrics(), "train_examples": train_examples, "dataset": data.source,
                                    "diagnosis": [f.code for f in findings], "config": config.to_dict()}),
                         allow_nan=False))
    else:
        print(f"{result.status}: test accuracy {result.test_accuracy:.2%}, test loss {result.test_loss:.4f}, "
              f"{result.epochs:g} epochs in {result.seconds:.2f} s")
        if result.reason:
            print(result.reason)
        for finding in findings:
            print(f"- {finding.title}. {finding.message} Fix: {finding.fix_label}.")
        if args.save:
            print(f"model saved to {args.save}")
    exploded = result.status == "failed" or any(f.code == "exploded" for f in findings)
    return EXIT_DIVERGED if exploded else EXIT_OK


def json_safe(value: Any) -> Any:
    """`value` with every NaN or infinity replaced by None (null): JSON has no NaN."""
    if isinstance(value, dict):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def load_data(data_dir: str | None, *, quiet: bool) -> Dataset:
    """MNIST as load_mnist finds it; when it falls back to the offline sample, one line says why."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = load_mnist(data_dir, progress=None if quiet else DownloadBar())
    for warning in caught:
        print(f"note: {warning.message}", file=sys.stderr)
    return data


def read_image(path: Path) -> np.ndarray:
    """A grey image with light ink on a dark background, as MNIST; dark ink on paper is inverted."""
    grey = _read_npy_image(path) if path.suffix.lower() == ".npy" else _read_picture(path)
    if grey.ndim == 2 and grey.dtype == np.uint8 and grey.mean() > 127:
        grey = 255 - grey
    return grey


def _read_npy_image(path: Path) -> np.ndarray:
    with open(path, "rb") as f:
        shape, _ = npy_header(f, path.stat().st_size, str(path))
    _check_pixels(path, shape)
    return np.load(path, allow_pickle=False)


def _read_picture(path: Path) -> np.ndarray:
    from PIL import Image  # only the command line reads picture files

    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(path) as image:
                _check_pixels(path, image.size)  # read from the header: nothing is unpacked yet
                return np.asarray(image.convert("L"))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ValueError(f"{path} is a picture of more than {MAX_IMAGE_PIXELS:,} pixels") from None


def _check_pixels(path: Path, shape: Sequence[int]) -> None:
    if len(shape) not in (2, 3) or math.prod(shape[:2]) > MAX_IMAGE_PIXELS:
        raise ValueError(f"{path} holds an array shaped {tuple(shape)}; a picture of at most "
                         f"{MAX_IMAGE_PIXELS:,} pixels is expected")


def predict_command(args: argparse.Namespace) -> int:
    try:
        model = load_model(args.model)
    except ModelFileError as error:
        swapped = args.image.suffix.lower() == ".npz"
        raise ModelFileError(f"{error}{' (the model comes first: predict MODEL.npz IMAGE)' if swapped else ''}") from None
    image = _image_or_error(args.image)
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
    return EXIT_OK


def drawings_note(handwriting, labels: np.ndarray, config: TrainConfig) -> str:
    """What a run adds from a handwriting file, and what it leaves out and why, in one line."""
    held = int(held_out_mask(handwriting).sum())
    other = len(handwriting) - held - len(labels)
    digits = sorted(set(labels.tolist()))
    only = f" (all of them {digits[0]}s)" if len(digits) == 1 and len(config.classes) > 1 else ""
    skipped = f", {other} of digits it does not learn" if other else ""
    return (f"Adding {len(labels):,} labelled drawings to the training rows{only}; left out: {held} by held-out "
            f"writers (for evaluate){skipped}.")


def evaluate_command(args: argparse.Namespace) -> int:
    """The model's accuracy on labelled drawings, overall, on held-out writers and on the others, and per writer,
    beside its MNIST test accuracy."""
    model = load_model(args.model)
    handwriting = read_handwriting(args.drawings)
    x, y, writers = as_rows(handwriting)
    if not len(y):
        raise ValueError(f"{args.drawings} holds no drawings")
    predictions = model.predict_proba(x).argmax(axis=1)
    right, by_writer = int((predictions == y).sum()), score_by_writer(predictions, y, writers)
    held = held_out_mask(handwriting)
    groups = {"held_out": (int((predictions == y)[held].sum()), int(held.sum())),
              "training_writers": (int((predictions == y)[~held].sum()), int((~held).sum()))}
    mnist, trained = model.metrics.get("test_accuracy"), model.metrics.get("drawings", 0)
    if args.json:
        print(json.dumps({"right": right, "drawings": len(y), "accuracy": right / len(y), "mnist_test_accuracy": mnist,
                          "trained_on_drawings": trained,
                          **{k: {"right": r, "drawings": n} for k, (r, n) in groups.items()},
                          "writers": {w: {"right": r, "drawings": n} for w, (r, n) in by_writer.items()}}))
        return EXIT_OK
    beside = f" (MNIST test digits: {mnist:.2%})" if isinstance(mnist, float) else ""
    print(f"{right} of {len(y)} drawings by {len(by_writer)} writers right: {right / len(y):.2%}{beside}")
    for words, (r, n) in zip(("held-out writers (never trained on)", "the other writers"), groups.values()):
        print(f"  {words}: " + (f"{r} of {n}, {r / n:.2%}" if n else "none"))
    if trained:
        print(f"This network trained on {trained} drawings by the other writers: only the held-out writers' score "
              "says how it reads writers it never saw.")
    for writer, (r, n) in by_writer.items():
        shown = "".join(c if c.isprintable() else "?" for c in writer[:40])  # a file's text, never terminal codes
        print(f"- {shown or '(no name)'}{' (held out)' if held[writers == writer][0] else ''}: {r} of {n}")
    return EXIT_OK


def as_rows(handwriting) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from .drawing.handwriting import as_training_rows

    x, y = as_training_rows(handwriting)
    return x, y, handwriting.writers


def _image_or_error(path: Path) -> np.ndarray:
    if not path.is_file():
        raise ValueError(f"no picture file at {path.absolute()}" + (" (it is a folder)" if path.is_dir() else ""))
    try:
        return read_image(path)
    except (OSError, ValueError) as error:
        raise ValueError(f"cannot read the image {path}: {error}") from None


def notebook_command(args: argparse.Namespace) -> int:
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        return _notebook(args)


def _notebook(args: argparse.Namespace) -> int:
    from .teaching import notebook as nb

    fixes = [m.name for m in nb.mistakes(args.attempt)] if args.fix_all else args.fix
    nb.switches(args.attempt, fixes, args.add)  # a misspelt name fails now, before the data is read
    if args.list:
        for m in nb.mistakes(args.attempt):
            print(f"{m.name:18} {m.title}{'' if m.default else ' (off unless --add)'}")
        return EXIT_OK
    data = nb.NotebookData.take(load_data(args.data_dir, quiet=args.json), args.examples, args.test_examples)
    result = None
    for item in nb.replay(args.attempt, data, fixes, add=args.add, epochs=args.epochs, seed=args.seed):
        if isinstance(item, nb.EpochPoint) and not args.json:
            print(f"epoch {item.epoch}: notebook's loss {item.reported_loss:.4g}, notebook's training accuracy "
                  f"{item.reported_accuracy:.1%}, test accuracy {item.test_accuracy:.1%}", file=sys.stderr)
        result = item
    check = nb.gradient_check(args.attempt, data, fixes, add=args.add, seed=args.seed) if args.gradcheck else None
    if args.json:
        extra = {} if check is None else {"gradcheck": {"passed": check.passed, "groups": [
            {**vars(g), "passed": g.passed} for g in check.groups]}}
        print(json.dumps(json_safe({**result.to_dict(), **extra}), allow_nan=False))
    else:
        print_notebook_result(result, check)
    return EXIT_DIVERGED if result.diverged else EXIT_OK


def print_notebook_result(result: nb.ReplayResult, check: nb.GradientCheck | None) -> None:
    print(f"{result.label}: test accuracy {result.test_accuracy:.2%} ({result.examples:,} training and "
          f"{result.test_examples:,} test images, {len(result.points)} epochs, {result.seconds:.1f} s)")
    if result.notebook_test_accuracy != result.test_accuracy:
        print(f"the notebook's test() would print {result.notebook_test_accuracy:.2%} (against its own labels)")
    if result.reason:
        print(result.reason)
    if check is not None:
        print("gradient check: " + ("passed" if check.passed else "failed on " + ", ".join(check.failing())))
        for g in check.groups:
            print(f"  {g.name}: largest relative error {g.max_error:.1e}, backprop / finite difference {g.ratio:.3g}")


class DownloadFailed(Exception):
    """MNIST could not be downloaded: exit code 3, not the 2 of a mistake in the command."""


def download_command(args: argparse.Namespace) -> int:
    """Fill the cache (or check the named folder) and say what is there; never settle for the sample."""
    if args.data_dir or os.environ.get(DATA_DIR_ENV):
        print(load_mnist(args.data_dir).description)
        return EXIT_OK
    bar = DownloadBar()
    try:
        folder = download.download_mnist(download.default_cache_dir(), mirrors=download.MIRRORS, progress=bar)
    except DownloadError as error:
        bar.end_line()
        raise DownloadFailed(f"MNIST could not be downloaded: {error.one_line()}") from None
    print(load_mnist(cache_dir=folder).description)
    return EXIT_OK


class DownloadBar:
    """`downloading NAME: 42.0%` redrawn on one line of standard error; the line ends with the file."""

    def __init__(self) -> None:
        self.open = False

    def __call__(self, name: str, done: int, total: int | None) -> None:
        size = f"{done / total:6.1%}" if total else f"{done / 1e6:6.1f} MB"
        sys.stderr.write(f"\rdownloading {name}: {size}")
        self.open = True
        if total and done >= total:
            self.end_line()
        sys.stderr.flush()

    def end_line(self) -> None:
        if self.open:
            sys.stderr.write("\n")
            self.open = False


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    command = {"train": train_command, "predict": predict_command, "download": download_command,
               "evaluate": evaluate_command, "notebook": notebook_command}[args.command]
    logging.getLogger("mlp").addHandler(logging.NullHandler())  # failures are reported below, in one line
    try:
        return command(args)
    except (ConfigError, DataError, IdxError, ModelFileError, ValueError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except DownloadFailed as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_DOWNLOAD_FAILED
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
