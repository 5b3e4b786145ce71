"""The command line, as scripts outside the project call it."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args: str, env_dir: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    if env_dir is not None:
        env["MLP_DATA_DIR"] = str(env_dir)
    return subprocess.run([sys.executable, "-m", "mlp", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)


def test_train_json_save_and_predict(mnist_dir, tmp_path):
    model_path = tmp_path / "model.npz"
    done = run_cli("train", "--hidden", "64", "--activation", "relu", "--init", "he", "--optimizer", "adam",
                   "--lr", "1e-3", "--batch-size", "64", "--epochs", "2", "--seed", "0", "--classes", "1", "9",
                   "--per-class", "500", "--data-dir", str(mnist_dir), "--save", str(model_path), "--json")
    assert done.returncode == 0, done.stderr
    metrics = json.loads(done.stdout)
    assert 0.95 < metrics["test_accuracy"] <= 1.0
    assert metrics["epochs"] == 2 and metrics["seconds"] > 0 and metrics["test_loss"] > 0
    assert metrics["config"]["classes"] == [1, 9] and metrics["config"]["hidden"] == [64]
    assert "epoch" in done.stderr  # the progress bar

    # a "1": a vertical white stroke on black, saved as a picture a user would have
    from PIL import Image

    canvas = np.zeros((200, 200), np.uint8)
    canvas[30:170, 90:110] = 255
    Image.fromarray(canvas).save(tmp_path / "one.png")
    predicted = run_cli("predict", str(model_path), str(tmp_path / "one.png"), "--json")
    assert predicted.returncode == 0, predicted.stderr
    out = json.loads(predicted.stdout)
    assert len(out["probabilities"]) == 10 and sum(out["probabilities"]) == pytest.approx(1, abs=1e-5)
    assert out["prediction"] == 1

    Image.fromarray(255 - canvas).save(tmp_path / "paper.png")  # dark ink on white paper
    text = run_cli("predict", str(model_path), str(tmp_path / "paper.png"))
    assert text.stdout.count("\n") == 11 and "prediction: 1" in text.stdout


def test_preset_with_override_and_env_data_dir(mnist_dir):
    done = run_cli("train", "--preset", "notebook-one-nine", "--epochs", "1", "--per-class", "200", "--json",
                   "--quiet", env_dir=mnist_dir)
    assert done.returncode == 0, done.stderr
    metrics = json.loads(done.stdout)
    assert metrics["config"]["init"] == "normal" and metrics["config"]["epochs"] == 1
    assert metrics["dataset"] == "folder"
    assert done.stderr == ""


@pytest.mark.parametrize("args, words", [
    (["train", "--lr", "0"], "learning rate"),
    (["train", "--threads", "0"], "--threads"),
    (["train", "--classes", "3", "12", "--epochs", "1"], "0 to 9"),
    (["train", "--data-dir", "/nonexistent/folder"], "nonexistent"),
    (["predict", "/nonexistent/model.npz", "x.png"], "no model file"),
])
def test_bad_input_gets_one_clear_line(args, words):
    done = run_cli(*args)
    assert done.returncode == 2
    assert words in done.stderr and "Traceback" not in done.stderr


def test_unknown_choice_is_refused_by_argparse():
    done = run_cli("train", "--activation", "swish")
    assert done.returncode == 2 and "invalid choice" in done.stderr
