"""Network files in and out: an upload is checked before NumPy reads it, and becomes a run."""
import io
import zipfile
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from mlp.config import TrainConfig
from mlp.model import Model, ModelFileError
from ui.frame.navigation import spec
from ui.shared import network_files
from ui.shared.network_files import MAX_UPLOAD_BYTES, NAME_CHARS, download_name, read_model_file, unique_name, uploaded_run


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
    with pytest.raises(ModelFileError, match="notes.npz is not a model file"):
        read_model_file("notes.npz", b"hello")


def test_a_file_over_the_limit_is_refused_before_reading(model, monkeypatch):
    monkeypatch.setattr(network_files, "MAX_UPLOAD_BYTES", 1000)
    with pytest.raises(ModelFileError, match=r"MB are accepted"):
        read_model_file("big.npz", model.to_bytes())


def test_a_small_archive_that_unpacks_to_a_huge_one_is_refused(monkeypatch):
    monkeypatch.setattr(network_files, "MAX_UPLOAD_BYTES", 200_000)
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


# ----- the upload box on the Inspect page, as a browser drives it -----
HOSTILE_NAME = "[click](http://evil.example/) :red[x] ![i](http://evil.example/i.png)" + "y" * 500 + ".npz"


@pytest.fixture
def inspect_page(mnist_dir, monkeypatch):
    monkeypatch.setenv("MLP_DATA_DIR", str(mnist_dir))
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=60)
    at.run()
    at.switch_page(spec("Inspect").script).run()
    assert not at.exception
    return at


def upload(at: AppTest, name: str, content: bytes) -> AppTest:
    at.file_uploader(key="model_upload").set_value((name, content, "application/octet-stream")).run()
    assert not at.exception
    return at


def test_an_uploaded_name_is_shown_as_text_and_kept_short(inspect_page, model):
    upload(inspect_page, HOSTILE_NAME, model.to_bytes())
    (message,) = inspect_page.success
    assert "\\[click\\]\\(http\\:\u2060\\/\\/evil\\.example\\/\\)" in message.value and "](" not in message.value
    (run,) = inspect_page.session_state["finished_runs"]
    assert len(run.name) == NAME_CHARS and run.name.endswith("…")


def test_a_refused_file_is_named_as_text(inspect_page):
    upload(inspect_page, HOSTILE_NAME, b"not an archive")
    (message,) = inspect_page.error
    assert "is not a model file" in message.value and "](" not in message.value and len(message.value) < 300


def test_the_app_refuses_more_than_the_limit_whatever_the_browser_allowed(inspect_page):
    upload(inspect_page, "big.npz", bytes(MAX_UPLOAD_BYTES + 1))
    (message,) = inspect_page.error
    assert "25 MB are accepted" in message.value
    assert not inspect_page.session_state["finished_runs"]
