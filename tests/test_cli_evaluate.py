"""`python -m mlp evaluate model.npz --drawings FILE`: a model scored on labelled handwriting, per writer too;
a file that is not a handwriting set is one line of error, exit 2."""
from __future__ import annotations

import io
import json

import numpy as np
import pytest

from mlp.cli import main
from mlp.config import TrainConfig
from mlp.drawing.handwriting import HandwritingFileError, handwriting_bytes, load_handwriting
from mlp.model import Model


@pytest.fixture
def files(tmp_path):
    """A model, and six drawings of which it reads the first four as labelled (two writers)."""
    model = Model.create(TrainConfig(hidden=(16,), seed=1))
    model.metrics = {"test_accuracy": 0.975}
    model_path = model.save(tmp_path / "model.npz")
    images = np.random.default_rng(0).integers(0, 256, (6, 28, 28), dtype=np.uint8)
    guesses = model.predict_proba(images.reshape(6, 784).astype(np.float32) / 255).argmax(axis=1)
    labels = np.where(np.arange(6) < 4, guesses, (guesses + 1) % 10)
    drawings = tmp_path / "handwriting.npz"
    drawings.write_bytes(handwriting_bytes(images, labels, np.array(["Ana", "Ana", "Ana", "Ben\x1b[31m", "Ben\x1b[31m", "Ben\x1b[31m"])))
    return model_path, drawings


def test_the_score_overall_and_per_writer(files, capsys):
    model, drawings = files
    assert main(["evaluate", str(model), "--drawings", str(drawings)]) == 0
    out = capsys.readouterr().out
    assert "4 of 6 drawings by 2 writers right: 66.67% (MNIST test digits: 97.50%)" in out
    assert "- Ana (held out): 3 of 3" in out and "- Ben?[31m: 1 of 3" in out and "\x1b" not in out  # Ana is held out


def test_the_score_as_json(files, capsys):
    model, drawings = files
    assert main(["evaluate", str(model), "--drawings", str(drawings), "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert (found["right"], found["drawings"], found["writers"]["Ana"]) == (4, 6, {"right": 3, "drawings": 3})


def bad_file(kind: str) -> bytes:
    buffer = io.BytesIO()
    arrays = {"images": np.zeros((2, 28, 28), np.uint8), "labels": np.array([1, 2]), "writers": np.array(["a", "b"])}
    if kind == "missing":
        del arrays["writers"]
    elif kind == "label 12":
        arrays["labels"] = np.array([1, 12])
    elif kind == "shape":
        arrays["images"] = np.zeros((2, 14, 14), np.uint8)
    elif kind == "objects":
        arrays["writers"] = np.array(["a", None], dtype=object)
    elif kind == "text":
        return b"hello"
    np.savez(buffer, **arrays) if kind != "objects" else np.savez(buffer, **arrays, allow_pickle=True)
    return buffer.getvalue()


@pytest.mark.parametrize("kind, words", [("missing", "lacks writers"), ("label 12", "from 0 to 9"),
                                         ("shape", "expected images"), ("objects", "Python objects"),
                                         ("text", "not a readable handwriting file")])
def test_a_file_that_is_not_a_handwriting_set_is_one_line_of_error(files, tmp_path, capsys, kind, words):
    model, _ = files
    bad = tmp_path / "bad.npz"
    bad.write_bytes(bad_file(kind))
    with pytest.raises(HandwritingFileError, match=words):
        load_handwriting(bad)
    assert main(["evaluate", str(model), "--drawings", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and words in err
