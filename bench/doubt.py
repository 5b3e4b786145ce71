"""Does the Draw page's "not a digit" doubt hold for every network a student can train?

    python bench/doubt.py [--networks DIR] [--digits 2000] [--non-digits 500] [--seed 0] [--only NAME ...]

For each preset (mlp/presets.py) and for the 9% story's fixes (the 9% preset, then the first finding's fix of
mlp/teaching/diagnosis.py applied and trained again, twice), prints the network's MNIST test accuracy, whether the
Draw page calls it too weak for its doubt to mean much (ui.draw.data.doubt_trusted), the share of non-digit
drawings flagged (letters, scribbles, lines, dots, blobs, by kind: drawn with mlp.drawing.canvas_like's brush,
never MNIST) and the share of canvas-like digits wrongly flagged, through the Draw page's own path
(bench/drawn_digits.py's read_all). Beside each, the same with the server's reference network (training.reference:
ui.draw.data.reference_config, trained here once), as the page combines the two (ui.draw.data.combined_doubt: a
drawing is flagged when either network's check doubts it), and what the reference's check adds to one drawing's
answer, in milliseconds of CPU. Trained networks are kept in DIR (default /tmp/mlp-doubt-networks) and read
back on the next run. A benchmark, not a test: it never fails on its numbers.
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
sys.path.insert(0, str(ROOT / "bench"))

from drawn_digits import default_data_dir, read_all  # noqa: E402

from mlp.config import TrainConfig  # noqa: E402
from mlp.data.mnist import load_mnist  # noqa: E402
from mlp.drawing.canvas_like import drawn_digits, non_digits  # noqa: E402
from mlp.drawing.novelty import fit_novelty  # noqa: E402
from mlp.metrics import predict_proba  # noqa: E402
from mlp.model import Model, load_model  # noqa: E402
from mlp.presets import PRESETS  # noqa: E402
from mlp.teaching.diagnosis import diagnose  # noqa: E402
from mlp.trainer import train  # noqa: E402
from ui.draw.data import combined_doubt, doubt, doubt_trusted, read_drawing, reference_config  # noqa: E402

STORY = "notebook-all"  # the 9% run whose fixes are followed
FIXES = 2


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--networks", default="/tmp/mlp-doubt-networks", help="folder of trained networks (kept)")
    parser.add_argument("--digits", type=int, default=2000, help="canvas-like test digits (default 2000)")
    parser.add_argument("--non-digits", type=int, default=500, help="non-digit drawings (default 500)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the drawings (default 0)")
    parser.add_argument("--only", nargs="*", help="names of the networks to measure (default: all)")
    parser.add_argument("--data-dir", help="MNIST folder (default: $MLP_DATA_DIR, else ../shared/data/mnist)")
    args = parser.parse_args()
    args.data_dir = args.data_dir or default_data_dir()
    return args


def trained(name: str, config: TrainConfig, data, folder: Path) -> tuple[Model, dict | None]:
    """The network `config` trains and its diagnosis's first finding ({"code", "fix"}, None for a healthy run),
    read back from `folder` when they are there."""
    path, found = folder / f"{name}.npz", folder / f"{name}.json"
    if path.exists() and found.exists():
        model = load_model(path)
        if model.config == config:  # else trained with settings since changed: trained again
            return model, json.loads(found.read_text())
    began = time.perf_counter()
    result = train(config, data)
    print(f"  trained {name} in {time.perf_counter() - began:.0f} s", flush=True)
    findings = diagnose(config, result.history, status=result.status, reason=result.reason)
    first = {"code": findings[0].code, "fix": findings[0].fix} if findings else None
    result.model.save(path)
    found.write_text(json.dumps(first))
    return result.model, first


def networks(data, folder: Path, only: list[str] | None):
    """(name, model) for every preset, then for the 9% story's fixes, in turn."""
    for name, preset in PRESETS.items():
        if not only or name in only:
            yield name, trained(name, preset.config(), data, folder)[0]
    config = PRESETS[STORY].config()
    model, finding = trained(STORY, config, data, folder)
    for step in range(1, FIXES + 1):
        if finding is None:
            return
        config = config.replace(**finding["fix"])
        name = f"{STORY}+fix{step}"
        model, finding = trained(name, config, data, folder)
        if not only or name in only:
            yield f"{name} ({_settings(config)})", model


def _settings(config: TrainConfig) -> str:
    return f"{config.optimizer}, lr {config.lr:g}, init {config.init}, {config.epochs} epochs"


def reasons(model: Model, check, inputs: np.ndarray, small: np.ndarray) -> list[str]:
    """What the Draw page's check of `model` says of each input (ui.draw.data.doubt), for many at once."""
    return ["small" if tiny else reason for tiny, reason in zip(small, check.reasons(model.network, inputs))]


def page_flags(own: list[str], reference: list[str] | None) -> np.ndarray:
    """Which drawings the page flags, from each network's reasons (ui.draw.data.combined_doubt)."""
    return np.array([combined_doubt(mine, theirs).flagged for mine, theirs in zip(own, reference or [""] * len(own))])


def check_milliseconds(model: Model, check, drawings, repeats: int = 3) -> float:
    """Median CPU milliseconds of one drawing's check (ui.draw.data.doubt), the drawing read once beforehand."""
    readings = [reading for reading in map(read_drawing, (d.image for d in drawings)) if reading.digit is not None]
    times = []
    for reading in readings * repeats:
        began = time.process_time()
        doubt(reading, model, check)
        times.append(time.process_time() - began)
    return 1000 * float(np.median(times))


def main() -> None:
    args = parse_args()
    folder = Path(args.networks)
    folder.mkdir(parents=True, exist_ok=True)
    data = load_mnist(args.data_dir)
    digits = read_all(drawn_digits(data.x_test, data.y_test, args.digits, seed=args.seed))
    others = read_all(non_digits(args.non_digits, seed=args.seed))
    kinds = np.array(others[2])
    print(f"{args.digits} canvas-like digits, {args.non_digits} non-digits, seed {args.seed} "
          f"(load {os.getloadavg()[0]:.2f})")
    reference = trained("reference", reference_config(), data, folder)[0]
    reference_check = fit_novelty(reference.network, data.x_train, data.x_test)
    print(f"the reference (ui.draw.data.reference_config): test "
          f"{(predict_proba(reference.network, data.x_test).argmax(axis=1) == data.y_test).mean():.1%}")
    by_reference = [reasons(reference, reference_check, *drawings[:2]) for drawings in (others, digits)]
    sample = list(non_digits(20, seed=args.seed + 1)) + list(drawn_digits(data.x_test, data.y_test, 20, seed=args.seed + 1))
    print(f"the reference's check adds {check_milliseconds(reference, reference_check, sample):.1f} ms of CPU to a "
          f"drawing's answer (median over {len(sample)} drawings, 3 times each)", flush=True)
    table = []
    for name, model in networks(data, folder, args.only):
        accuracy = float((predict_proba(model.network, data.x_test).argmax(axis=1) == data.y_test).mean())
        check = fit_novelty(model.network, data.x_train, data.x_test)
        own = [reasons(model, check, *drawings[:2]) for drawings in (others, digits)]
        trusted = "trusted" if doubt_trusted(accuracy) else "TOO WEAK (the page says so)"
        print(f"{name}: test {accuracy:.1%}, {trusted}", flush=True)
        row = [name.split(" ")[0], f"{accuracy:.1%}"]
        for label, theirs in (("alone", [None, None]), ("with the reference", by_reference)):
            non, real = (page_flags(mine, other) for mine, other in zip(own, theirs))
            per_kind = "  ".join(f"{k}:{non[kinds == k].mean():.0%}" for k in dict.fromkeys(kinds))
            print(f"  {label}: non-digits flagged {non.mean():.1%} ({per_kind}); digits wrongly flagged "
                  f"{real.mean():.1%}", flush=True)
            row += [f"{non.mean():.1%}", f"{non[kinds == 'letter'].mean():.0%}", f"{real.mean():.1%}"]
        table.append(row)
    print("\n| network | test | non-digits flagged | letters | digits wrongly flagged | with the reference: non-digits "
          "| letters | digits wrongly flagged |\n|---|---|---|---|---|---|---|---|")
    for row in table:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
