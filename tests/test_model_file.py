"""Models on disk: a round trip, and every kind of bad file refused with a reason."""
import io
import json
import pickle
import zipfile

import numpy as np
import pytest

import mlp
from mlp.config import TrainConfig
from mlp.model import Model, ModelFileError, load_model


@pytest.fixture
def model() -> Model:
    m = Model.create(TrainConfig(hidden=(12, 8), activation="tanh", init="xavier", seed=3))
    m.metrics = {"test_accuracy": 0.5}
    return m


def test_round_trip_keeps_weights_settings_and_metrics(model, tmp_path):
    path = model.save(tmp_path / "sub" / "m.npz")
    loaded = mlp.load_model(path)
    assert loaded.config == model.config
    assert loaded.metrics == {"test_accuracy": 0.5}
    np.testing.assert_array_equal(loaded.network.params, model.network.params)
    x = np.random.default_rng(0).random((3, 784), dtype=np.float32)
    np.testing.assert_array_equal(loaded.predict_proba(x), model.predict_proba(x))
    assert not list(tmp_path.glob("sub/*.part"))


def test_file_is_readable_without_this_program(model, tmp_path):
    path = model.save(tmp_path / "m.npz")
    with np.load(path, allow_pickle=False) as f:
        assert sorted(f.files) == ["W0", "W1", "W2", "b0", "b1", "b2", "config", "format", "metrics"]
        assert f["W0"].shape == (784, 12) and f["b2"].shape == (10,)
        assert json.loads(str(f["config"]))["hidden"] == [12, 8]


def test_bytes_and_file_objects_load(model):
    loaded = load_model(io.BytesIO(model.to_bytes()))
    np.testing.assert_array_equal(loaded.network.params, model.network.params)


def rewrite(model: Model, tmp_path, **changes) -> str:
    with np.load(io.BytesIO(model.to_bytes()), allow_pickle=False) as f:
        arrays = {k: f[k] for k in f.files}
    arrays.update(changes)
    for key in [k for k, v in changes.items() if v is None]:
        del arrays[key]
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    return path


@pytest.mark.parametrize("changes, message", [
    ({"W1": np.zeros((12, 9), np.float32)}, "W1.*shape"),
    ({"b0": None}, "missing 'b0'"),
    ({"config": np.array("{not json")}, "not valid JSON"),
    ({"config": np.array(json.dumps({"hidden": [12, 8], "lr": -1}))}, "learning rate"),
    ({"format": np.array("other/9")}, "format"),
    ({"W0": np.full((784, 12), np.nan, np.float32)}, "NaN"),
    ({"extra": np.zeros(3)}, "unexpected"),
])
def test_damaged_model_files_are_refused_with_a_reason(model, tmp_path, changes, message):
    with pytest.raises(ModelFileError, match=message):
        load_model(rewrite(model, tmp_path, **changes))


def test_pickle_inside_is_never_unpickled(model, tmp_path):
    class Boom:
        def __reduce__(self):
            return (exec, ("raise SystemExit('unpickled!')",))

    path = tmp_path / "evil.npz"
    np.savez(path, W0=np.array([Boom()], dtype=object), format=np.array("mlp-playground/1"))
    with pytest.raises(ModelFileError, match="pickle"):
        load_model(path)


def test_truncated_and_foreign_files(model, tmp_path):
    whole = model.to_bytes()
    (tmp_path / "half.npz").write_bytes(whole[: len(whole) // 2])
    with pytest.raises(ModelFileError):
        load_model(tmp_path / "half.npz")
    (tmp_path / "pickle.npz").write_bytes(pickle.dumps({"a": 1}))
    with pytest.raises(ModelFileError):
        load_model(tmp_path / "pickle.npz")
    with pytest.raises(ModelFileError, match="no model file"):
        load_model(tmp_path / "missing.npz")


def test_save_failure_leaves_no_partial_file(model, tmp_path, monkeypatch):
    target = tmp_path / "m.npz"
    target.write_bytes(b"old")

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", broken)
    with pytest.raises(OSError):
        model.save(target)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["m.npz"]


def test_shapes_are_checked_before_the_network_is_allocated(model, tmp_path, monkeypatch):
    huge = json.dumps({"hidden": [4096] * 8})  # about 480 MB of weights, claimed by a tiny file
    path = rewrite(model, tmp_path, config=np.array(huge))

    def no_allocation(*args, **kwargs):
        raise AssertionError("a network was allocated for a file that does not hold it")

    monkeypatch.setattr("mlp.model.Network", no_allocation)
    with pytest.raises(ModelFileError, match="W0.*shape"):
        load_model(path)


def test_archive_members_that_are_not_arrays_and_single_arrays_are_refused(tmp_path):
    odd = tmp_path / "odd.npz"
    with zipfile.ZipFile(odd, "w") as archive:
        archive.writestr("format.npy", b"junk")  # NumPy returns such a member as raw bytes
    with pytest.raises(ModelFileError, match="not NumPy arrays"):
        load_model(odd)
    single = tmp_path / "single.npy"
    np.save(single, np.zeros(3))
    with pytest.raises(ModelFileError, match="single array"):
        load_model(single)
