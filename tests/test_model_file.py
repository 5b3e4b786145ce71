"""Models on disk: a round trip, and every kind of bad file refused with a reason."""
import io
import json
import os
import pickle
import re
import stat
import tracemalloc
import zipfile

import numpy as np
import pytest

import mlp
from mlp.config import TrainConfig
from mlp.drawing.handwriting import HandwritingFileError, load_handwriting
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


# The settings of a leaky-ReLU model as the program wrote them before a part declared its own settings:
# leaky_slope among the fields, right after the activation.
OLD_CONFIG = ('{"hidden": [3], "activation": "leaky-relu", "leaky_slope": 0.25, "init": "he", "init_std": 1.0, '
              '"bias_init": 0.0, "loss": "cross-entropy", "optimizer": "adam", "lr": 0.001, "momentum": 0.9, '
              '"beta1": 0.9, "beta2": 0.999, "rho": 0.9, "weight_decay": 0.0, "dropout": 0.0, "schedule": "constant", '
              '"step_epochs": 1, "gamma": 0.5, "batch_size": 128, "epochs": 1, "augment": false, "seed": 0, '
              '"classes": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], "per_class": null, "validation_share": 0.1}')


def test_a_model_file_written_before_settings_were_declared_still_loads(tmp_path):
    rng = np.random.default_rng(0)
    w0, w1 = rng.normal(size=(784, 3)).astype(np.float32), rng.normal(size=(3, 10)).astype(np.float32)
    b0, b1 = np.zeros(3, np.float32), np.zeros(10, np.float32)
    np.savez(tmp_path / "old.npz", format=np.array("mlp-playground/1"), config=np.array(OLD_CONFIG),
             metrics=np.array("{}"), W0=w0, b0=b0, W1=w1, b1=b1)
    loaded = load_model(tmp_path / "old.npz")
    # styles did not exist either: that network trained on MNIST's digits alone, whatever today's default
    assert loaded.config.leaky_slope == 0.25 and loaded.config == TrainConfig(**json.loads(OLD_CONFIG), styles=0.0)
    x = rng.random((5, 784)).astype(np.float32)
    z = x @ w0
    logits = np.maximum(z, 0.25 * z) @ w1  # the slope read from the file, not the default 0.01
    expected = np.exp(logits - logits.max(axis=1, keepdims=True))
    np.testing.assert_allclose(loaded.predict_proba(x), expected / expected.sum(axis=1, keepdims=True), rtol=1e-4)
    assert json.loads(str(np.load(io.BytesIO(loaded.to_bytes()))["config"]))["leaky_slope"] == 0.25  # and writes it


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


@pytest.mark.parametrize("as_given", [str, lambda path: path])
def test_a_missing_file_is_named_by_the_whole_path_given(tmp_path, monkeypatch, as_given):
    elsewhere = tmp_path / "elsewhere"  # the working folder: not where the file was looked for
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    given = tmp_path / "x" / "no-model.npz"
    with pytest.raises(ModelFileError) as raised:
        load_model(as_given(given))
    assert str(raised.value) == f"no model file at {given}"
    with pytest.raises(HandwritingFileError) as raised:
        load_handwriting(as_given(given))
    assert str(raised.value) == f"no handwriting file at {given}"
    monkeypatch.chdir(tmp_path)  # a relative path is named from the working folder
    with pytest.raises(ModelFileError, match=f"no model file at {re.escape(str(given))}$"):
        load_model(as_given(given.relative_to(tmp_path)))


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


def npy_member(shape: tuple[int, ...]) -> bytes:
    """An .npy header announcing a float32 array of `shape`, with none of its data."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f4", "fortran_order": False, "shape": shape})
    return header.getvalue()


def test_saved_files_get_the_usual_permissions_and_stay_atomic(model, tmp_path):
    old = os.umask(0o022)
    try:
        path = model.save(tmp_path / "m.npz")
        assert stat.S_IMODE(path.stat().st_mode) == 0o644  # was 0600 (tempfile), unreadable by the class
        os.umask(0o077)
        assert stat.S_IMODE(model.save(tmp_path / "private.npz").stat().st_mode) == 0o600  # the umask rules
    finally:
        os.umask(old)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.npz", "private.npz"]


def test_a_zip_bomb_is_refused_from_its_table_of_contents(model, tmp_path):
    path = tmp_path / "bomb.npz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("W0.npy", "w", force_zip64=True) as member:
            member.write(npy_member((300 * 2**18,)))
            for _ in range(300):
                member.write(bytes(2**20))
    assert path.stat().st_size < 2 * 2**20
    tracemalloc.start()
    try:
        with pytest.raises(ModelFileError, match="bomb.npz unpacks to 300 MB; model files up to 256 MB"):
            load_model(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 10 * 2**20


def test_an_array_header_claiming_more_than_the_file_holds_is_refused_before_reading(tmp_path):
    path = tmp_path / "crafted.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("W0.npy", npy_member((100_000, 100_000)) + bytes(16))  # claims 40 GB
    with pytest.raises(ModelFileError, match=r"'W0' claims shape \(100000, 100000\) of float32"):
        load_model(path)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("W0.npy", np.lib.format.magic(1, 0) + b"\x20\x00{'descr': ")
    with pytest.raises(ModelFileError, match="'W0' has a damaged array header"):
        load_model(path)


def test_a_picture_given_as_a_model_is_named_for_what_it_is(tmp_path):
    from PIL import Image

    Image.fromarray(np.zeros((28, 28), np.uint8)).save(tmp_path / "digit.png")
    with pytest.raises(ModelFileError) as error:
        load_model(tmp_path / "digit.png")
    assert "digit.png is not a model file (a PNG image)" in str(error.value)
    assert "pickle" not in str(error.value)


@pytest.mark.parametrize("weight", [np.nan, 1e30], ids=["nan-weights", "overflowing-weights"])
def test_a_network_computing_nan_says_so_instead_of_reading_zero(weight):
    model = Model.create(TrainConfig(hidden=(12, 8), activation="relu"))
    for w in model.network.weights:
        w[...] = weight  # 1e30 is finite, but 784 x 12 x 8 such products overflow float32 to inf, then NaN
    with pytest.raises(mlp.ModelOutputError, match=r"not numbers \(NaN\) for 2 of 2 images"):
        model.predict_proba(np.full((2, 784), 0.5, np.float32))


def test_a_network_sent_to_another_process_carries_its_parameters_once():
    """A worker pickles its weights to the web process: the per-layer views stay views of the parameters, and the
    gradients are not sent (sent as they were, a network arrived at four times its size)."""
    network = Model.create(TrainConfig(hidden=(512, 256), seed=3)).network
    sent = pickle.dumps(network)
    assert len(sent) < 1.01 * network.params.nbytes
    arrived = pickle.loads(sent)
    assert np.array_equal(arrived.params, network.params)
    assert all(np.shares_memory(w, arrived.params) for w in arrived.weights)
    assert all(np.shares_memory(g, arrived.grads) for g in arrived.weight_grads)
    images = np.random.default_rng(0).random((4, 784), dtype=np.float32)
    assert np.array_equal(arrived.forward(images).logits, network.forward(images).logits)
