"""Does the Draw page's "not a digit" doubt hold for every network a student can train?

    python bench/doubt.py [--networks DIR] [--digits 2000] [--non-digits 500] [--seed 0] [--only NAME ...]

For each preset (mlp/presets.py) and for the 9% story's fixes (the 9% preset, then the first finding's fix of
mlp/teaching/diagnosis.py applied and trained again, twice), prints the network's MNIST test accuracy, whether the
Draw page calls it too weak for its doubt to mean much (ui.draw.data.doubt_trusted), the share of non-digit
drawings flagged (letters, scribbles, lines, dots, blobs, by kind: drawn with mlp.drawing.canvas_like's brush,
never MNIST) and the share of canvas-like digits wrongly flagged, through the Draw page's own path
(bench/drawn_digits.py's read_all and flagged). Beside each, the same when a drawing is also doubted by the check of a
reference network (the Draw page's quick network, trained here once): what a server could add for networks that
learned too little to doubt anything. Trained networks are kept in DIR (default /tmp/mlp-doubt-networks) and read
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

from drawn_digits import default_data_dir, flagged, read_all  # noqa: E402

from mlp.config import TrainConfig  # noqa: E402
from mlp.data.mnist import load_mnist  # noqa: E402
from mlp.drawing.canvas_like import drawn_digits, non_digits  # noqa: E402
from mlp.drawing.novelty import fit_novelty  # noqa: E402
from mlp.metrics import predict_proba  # noqa: E402
from mlp.model import Model, load_model  # noqa: E402
from mlp.presets import PRESETS  # noqa: E402
from mlp.teaching.diagnosis import diagnose  # noqa: E402
from mlp.trainer import train  # noqa: E402
from ui.draw.data import doubt_trusted, quick_config  # noqa: E402

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
        return load_model(path), json.loads(found.read_text())
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


def main() -> None:
    args = parse_args()
    folder = Path(args.networks)
    folder.mkdir(parents=True, exist_ok=True)
    data = load_mnist(args.data_dir)
    digits = read_all(drawn_digits(data.x_test, data.y_test, args.digits, seed=args.seed))
    others = read_all(non_digits(args.non_digits, seed=args.seed))
    kinds = np.array(others[2])
    print(f"{args.digits} canvas-like digits, {args.non_digits} non-digits (load {os.getloadavg()[0]:.2f})")
    reference = trained("quick", quick_config(), data, folder)[0]
    reference_check = fit_novelty(reference.network, data.x_train, data.x_test)
    by_reference = [flagged(reference, reference_check, *drawings[:2]) for drawings in (others, digits)]
    for name, model in networks(data, folder, args.only):
        accuracy = float((predict_proba(model.network, data.x_test).argmax(axis=1) == data.y_test).mean())
        check = fit_novelty(model.network, data.x_train, data.x_test)
        caught = flagged(model, check, others[0], others[1])
        wrong = flagged(model, check, digits[0], digits[1])
        trusted = "trusted" if doubt_trusted(accuracy) else "TOO WEAK (the page says so)"
        print(f"{name}: test {accuracy:.1%}, {trusted}", flush=True)
        for label, non, real in (("alone", caught, wrong), ("with the quick network's check", caught | by_reference[0],
                                                             wrong | by_reference[1])):
            per_kind = "  ".join(f"{k}:{non[kinds == k].mean():.0%}" for k in dict.fromkeys(kinds))
            print(f"  {label}: non-digits flagged {non.mean():.1%} ({per_kind}); digits wrongly flagged "
                  f"{real.mean():.1%}", flush=True)


if __name__ == "__main__":
    main()
