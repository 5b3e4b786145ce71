"""A class's labelled drawings in the engine's training (mlp.train(..., drawings=...), `python -m mlp train
--drawings`): the app's held-out rule, one definition (mlp.drawing.handwriting); only the digits the run learns;
a file that is damaged, empty, of one digit only or of digits the run does not learn gets a clear message, and
nothing is trained on the wrong rows. `evaluate` scores held-out writers apart."""
from __future__ import annotations

import json

import numpy as np
import pytest
from test_mnist import write_folder

from mlp.cli import main
from mlp.config import TrainConfig
from mlp.data.mnist import Dataset
from mlp.drawing.handwriting import (
    Handwriting,
    NothingToLearn,
    drawing_rows,
    handwriting_bytes,
    held_out,
    read_handwriting,
    split_writers,
)
from mlp.model import load_model
from mlp.trainer import train

# Names whose fate under the rule is known (checked below, so a change of the rule shows here first).
TRAINING_WRITERS = [w for w in (f"writer {i}" for i in range(40)) if not held_out(w)][:3]
HELD_WRITERS = [w for w in (f"writer {i}" for i in range(40)) if held_out(w)][:2]


def handwriting(labels, writers, seed: int = 0) -> Handwriting:
    """Drawings whose every image is different, so a row can be traced back to the drawing it came from."""
    n = len(labels)
    images = np.random.default_rng(seed).integers(0, 256, (n, 28, 28), dtype=np.uint8)
    images[:, 0, 0] = np.arange(n)  # a mark of its own
    return Handwriting(images, np.asarray(labels, np.int64), np.asarray(writers, str))


def mixed() -> Handwriting:
    """Ten drawings: digits 1, 7 and 3 by three training writers and two held-out ones."""
    writers = [*TRAINING_WRITERS, *HELD_WRITERS, *TRAINING_WRITERS, *HELD_WRITERS]
    return handwriting([1, 7, 3, 1, 7, 7, 3, 1, 7, 3], writers)


def marks(images: np.ndarray) -> set[int]:
    """Each image's mark (its first pixel), from rows in [0, 1] or kept uint8 images."""
    first = np.asarray(images).reshape(len(images), 784)[:, 0]
    return set(np.rint(first * (255 if first.dtype.kind == "f" else 1)).astype(int).tolist())


def test_the_names_used_here_fall_on_the_sides_the_rule_says():
    assert len(TRAINING_WRITERS) == 3 and len(HELD_WRITERS) == 2
    assert all(not held_out(w) for w in TRAINING_WRITERS) and all(held_out(w) for w in HELD_WRITERS)


def test_rows_are_the_training_writers_drawings_of_the_digits_the_run_learns():
    drawings = mixed()
    x, y = drawing_rows(drawings, (1, 7))
    expected = [i for i, (label, writer) in enumerate(zip(drawings.labels, drawings.writers))
                if label in (1, 7) and writer in TRAINING_WRITERS]
    assert marks(x) == set(expected) and sorted(y.tolist()) == sorted(drawings.labels[expected].tolist())
    assert x.shape == (len(expected), 784) and x.dtype == np.float32 and 0 <= x.min() and x.max() <= 1


def test_the_app_and_the_engine_hold_out_the_same_writers():
    from ui.saving import drawings as app_drawings  # the app's training_drawings splits with this very function

    assert app_drawings.split_writers is split_writers
    train_part, held_part = split_writers(mixed())
    assert set(held_part.writers.tolist()) == set(HELD_WRITERS)
    assert marks(drawing_rows(mixed(), range(10))[0]) == marks(train_part.images)


@pytest.mark.parametrize("drawings, classes, words", [
    (handwriting([], []), range(10), "holds no drawings"),
    (handwriting([1, 2, 3], HELD_WRITERS + HELD_WRITERS[:1]), range(10), "all 3 drawings are by held-out writers"),
    (handwriting([3, 4, 3], TRAINING_WRITERS), (1, 9), "of the digits 3, 4, none of which this run learns (1, 9)"),
])
def test_drawings_a_run_cannot_learn_from_are_refused_in_words(drawings, classes, words):
    with pytest.raises(NothingToLearn, match=words.replace("(", r"\(").replace(")", r"\)")):
        drawing_rows(drawings, tuple(classes))


def small_data(n: int = 200) -> Dataset:
    rng = np.random.default_rng(1)
    x = rng.random((n, 784), dtype=np.float32)
    return Dataset(x, np.arange(n) % 10, x[:50].copy(), np.arange(50) % 10, source="folder", location="test")


def test_mlp_train_adds_exactly_those_rows_and_says_so_in_the_model():
    config = TrainConfig(hidden=(8,), epochs=1, classes=(1, 7), validation_share=0.0, styles=0.0)
    result = train(config, small_data(), drawings=mixed())
    expected = len(drawing_rows(mixed(), (1, 7))[1])
    assert result.model.metrics["drawings"] == expected == 4
    assert result.steps == int(np.ceil((40 + expected) / config.batch_size))  # 20 ones and 20 sevens, and the 4
    with pytest.raises(NothingToLearn):  # nothing trained on the wrong rows: refused before training
        train(config.replace(classes=(0, 5)), small_data(), drawings=mixed())


@pytest.fixture
def folder(tmp_path):
    return write_folder(tmp_path / "data", n_train=60, n_test=20)


def cli_train(folder, drawings, *more: str) -> int:
    return main(["train", "--hidden", "8", "--epochs", "1", "--styles", "0", "--data-dir", str(folder),
                 "--drawings", str(drawings), *more])


def test_cli_train_with_drawings_of_one_digit_says_so_and_saves_their_count(folder, tmp_path, capsys):
    path = tmp_path / "sevens.npz"
    sevens = handwriting([7] * 6, TRAINING_WRITERS * 2)
    path.write_bytes(handwriting_bytes(sevens.images, sevens.labels, sevens.writers))
    assert cli_train(folder, path, "--save", str(tmp_path / "m.npz")) == 0
    err = capsys.readouterr().err
    assert "Adding 6 labelled drawings to the training rows (all of them 7s); left out: 0 by held-out writers" in err
    assert load_model(tmp_path / "m.npz").metrics["drawings"] == 6


@pytest.mark.parametrize("content, words", [
    (lambda: b"PK\x03\x04 half a zip file", "not a readable handwriting file"),
    (lambda: handwriting_bytes(np.zeros((0, 28, 28), np.uint8), np.zeros(0, int), np.zeros(0, str)),
     "holds no drawings"),
    (lambda: handwriting_bytes(mixed().images, mixed().labels, mixed().writers), "none of which this run learns (0, 5)"),
])
def test_cli_train_refuses_a_damaged_empty_or_unlearnable_file_in_one_line_before_training(
        folder, tmp_path, capsys, content, words):
    path = tmp_path / "drawings.npz"
    path.write_bytes(content())
    saved = tmp_path / "m.npz"
    assert cli_train(folder, path, "--classes", "0", "5", "--save", str(saved)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and words in err and "epoch" not in err
    assert not saved.exists()


def test_evaluate_scores_held_out_writers_apart(tmp_path, capsys):
    from mlp.model import Model

    model = Model.create(TrainConfig(hidden=(8,), seed=3))
    model.metrics = {"test_accuracy": 0.9, "drawings": 6}
    drawings = mixed()
    guesses = model.predict_proba(drawings.images.reshape(-1, 784).astype(np.float32) / 255).argmax(axis=1)
    held = np.isin(drawings.writers, HELD_WRITERS)
    labels = np.where(held, guesses, (guesses + 1) % 10)  # held-out writers all right, the others all wrong
    path = tmp_path / "h.npz"
    path.write_bytes(handwriting_bytes(drawings.images, labels, drawings.writers))
    assert main(["evaluate", str(model.save(tmp_path / "m.npz")), "--drawings", str(path)]) == 0
    out = capsys.readouterr().out
    assert "held-out writers (never trained on): 4 of 4, 100.00%" in out and "the other writers: 0 of 6" in out
    assert "trained on 6 drawings by the other writers" in out and f"- {HELD_WRITERS[0]} (held out): 2 of 2" in out
    assert main(["evaluate", str(tmp_path / "m.npz"), "--drawings", str(path), "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found["held_out"] == {"right": 4, "drawings": 4} and found["training_writers"] == {"right": 0, "drawings": 6}


def test_read_handwriting_keeps_the_images_as_kept(tmp_path):
    drawings = mixed()
    path = tmp_path / "h.npz"
    path.write_bytes(handwriting_bytes(drawings.images, drawings.labels, drawings.writers))
    read = read_handwriting(path)
    assert read.images.dtype == np.uint8 and np.array_equal(read.images, drawings.images)
    assert read.writers.tolist() == drawings.writers.tolist() and read.labels.tolist() == drawings.labels.tolist()
