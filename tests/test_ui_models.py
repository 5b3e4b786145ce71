"""Network files in and out: an upload is checked before NumPy reads it, and becomes a run."""
import io
import zipfile

import numpy as np
import pytest

from mlp.config import TrainConfig
from mlp.model import Model, ModelFileError
from ui import models
from ui.models import download_name, read_model_file, unique_name, uploaded_run


@pytest.fixture
def model():
    m = Model.create(TrainConfig(hidden=(8,), seed=2))
    m.metrics = {"test_accuracy": 0.91, "test_loss": float("nan"), "epochs": 3, "seconds": "long"}
    return m


def test_a_downloaded_network_uploads_again(model):
    loaded = read_model_file("mine.npz", model.to_bytes())
    np.testing.assert_array_equal(loaded.network.params, model.network.params)
    assert loaded.config == model.config


def test_a_file_that_is_not_an_archive_is_refused_in_words():
    with pytest.raises(ModelFileError, match="not a network file"):
        read_model_file("notes.npz", b"hello")


def test_a_file_over_the_limit_is_refused_before_reading(model, monkeypatch):
    monkeypatch.setattr(models, "MAX_UPLOAD_BYTES", 1000)
    with pytest.raises(ModelFileError, match=r"MB are accepted"):
        read_model_file("big.npz", model.to_bytes())


def test_a_small_archive_that_unpacks_to_a_huge_one_is_refused(monkeypatch):
    monkeypatch.setattr(models, "MAX_UPLOAD_BYTES", 200_000)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, W0=np.zeros(1_000_000, np.float32))  # 4 MB of zeros in a few kB
    assert len(buffer.getvalue()) < 200_000
    with pytest.raises(ModelFileError, match="unpacks to"):
        read_model_file("bomb.npz", buffer.getvalue())


def test_a_damaged_network_names_the_file(model):
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        archive.writestr("format.npy", b"junk")
    with pytest.raises(ModelFileError, match="odd.npz.*not NumPy arrays"):
        read_model_file("odd.npz", data.getvalue())


def test_an_upload_becomes_a_run_with_only_sensible_metrics(model):
    record = uploaded_run("mine.npz", model)
    assert record.name == "mine.npz" and record.status == "uploaded" and record.usable
    assert record.test_accuracy == 0.91 and record.test_loss is None and record.epochs == 3.0 and record.seconds == 0.0
    assert not record.history.train and record.config == model.config


def test_names_stay_unique_and_downloads_get_safe_file_names():
    assert unique_name("a.npz", ["b"]) == "a.npz"
    assert unique_name("a.npz", ["a.npz", "a.npz (2)"]) == "a.npz (3)"
    assert download_name("Run 3: lr 1e-06") == "run-3-lr-1e-06.npz"
    assert download_name("mine.npz") == "mine.npz" and download_name("???") == "network.npz"
