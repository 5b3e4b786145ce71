"""Loading MNIST the ways a user would, on the real files, and choosing digits and examples with make_split."""
from __future__ import annotations

import gzip
import math
import struct
import warnings
from pathlib import Path

import numpy as np
import pytest

from mlp.data.idx import IdxError
from mlp.data.mnist import DATA_DIR_ENV, DataError, Dataset, load_mnist, make_split, read_mnist_folder

NAMES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


@pytest.fixture(scope="module")
def data(mnist_dir: Path) -> Dataset:
    """The real MNIST, loaded once for the whole file (about a second)."""
    return load_mnist(mnist_dir)


def idx_bytes(array: np.ndarray) -> bytes:
    return struct.pack(f">BBBB{array.ndim}I", 0, 0, 0x08, array.ndim, *array.shape) + array.tobytes()


def write_folder(folder: Path, *, n_train: int = 20, n_test: int = 10, compress: bool = True, side: int = 28,
                 labels_train: np.ndarray | None = None) -> Path:
    """A tiny MNIST-shaped folder, to test the loader's checks without the real files."""
    rng = np.random.default_rng(0)
    arrays = {
        NAMES[0]: rng.integers(0, 256, (n_train, side, side), dtype=np.uint8),
        NAMES[1]: labels_train if labels_train is not None else (np.arange(n_train) % 10).astype(np.uint8),
        NAMES[2]: rng.integers(0, 256, (n_test, side, side), dtype=np.uint8),
        NAMES[3]: (np.arange(n_test) % 10).astype(np.uint8),
    }
    folder.mkdir(parents=True, exist_ok=True)
    for name, array in arrays.items():
        raw = idx_bytes(array)
        if compress:
            (folder / f"{name}.gz").write_bytes(gzip.compress(raw, compresslevel=1))
        else:
            (folder / name).write_bytes(raw)
    return folder


# --- the real data ---------------------------------------------------------


def test_shapes_types_and_range(data: Dataset) -> None:
    assert data.x_train.shape == (60_000, 784) and data.y_train.shape == (60_000,)
    assert data.x_test.shape == (10_000, 784) and data.y_test.shape == (10_000,)
    assert data.x_train.dtype == data.x_test.dtype == np.float32
    assert data.y_train.dtype == data.y_test.dtype == np.int64
    for x in (data.x_train, data.x_test):
        assert x.min() == 0.0 and x.max() == 1.0


def test_first_labels(data: Dataset) -> None:
    assert data.y_train[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert data.y_test[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]


def test_test_set_mean_grey_level(data: Dataset) -> None:
    assert math.isclose(float(data.x_test.mean(dtype=np.float64)), 33.791 / 255, abs_tol=1e-3 / 255)


def test_arrays_are_read_only(data: Dataset) -> None:
    for array in (data.x_train, data.y_train, data.x_test, data.y_test):
        assert not array.flags.writeable
    with pytest.raises(ValueError):
        data.x_train[0, 0] = 1.0


def test_source_and_description(data: Dataset, mnist_dir: Path) -> None:
    assert data.source == "folder"
    assert data.location == str(mnist_dir)
    assert data.description == f"Full MNIST (60,000 training + 10,000 test images) from the folder {mnist_dir}"


def test_folder_from_environment_variable(data: Dataset, mnist_dir: Path, monkeypatch: pytest.MonkeyPatch,
                                          tmp_path: Path) -> None:
    monkeypatch.setenv(DATA_DIR_ENV, str(mnist_dir))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no fallback warning
        from_env = load_mnist(cache_dir=tmp_path)  # as a user would: no arguments at all
    assert from_env.source == "folder" and from_env.location == str(mnist_dir)
    np.testing.assert_array_equal(from_env.y_train, data.y_train)
    np.testing.assert_array_equal(from_env.x_test, data.x_test)
    assert list(tmp_path.iterdir()) == []  # the cache was not touched


# --- folder handling, on tiny synthetic folders ----------------------------


def test_uncompressed_files_are_accepted(tmp_path: Path) -> None:
    x_train, y_train, x_test, y_test = read_mnist_folder(write_folder(tmp_path, compress=False))
    assert x_train.shape == (20, 784) and x_test.shape == (10, 784)
    assert y_train.tolist() == list(range(10)) * 2


def test_explicit_folder_beats_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "not-there"))
    data = load_mnist(write_folder(tmp_path / "mine"))
    assert data.location == str(tmp_path / "mine")
    assert data.description == f"MNIST (20 training + 10 test images) from the folder {tmp_path / 'mine'}"


def test_complete_cache_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DATA_DIR_ENV, raising=False)
    data = load_mnist(cache_dir=write_folder(tmp_path), download=False)
    assert data.source == "cache"
    assert "from the download cache" in data.description


def test_missing_file_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = write_folder(tmp_path)
    (folder / "t10k-labels-idx1-ubyte.gz").unlink()
    monkeypatch.setenv(DATA_DIR_ENV, str(folder))
    # A named folder that is wrong is an error, never a silent fallback to the sample.
    with pytest.raises(DataError, match=rf"Missing from the MNIST data folder {folder}: t10k-labels-idx1-ubyte.gz"):
        load_mnist()


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"nowhere does not exist"):
        load_mnist(tmp_path / "nowhere")


def test_counts_must_agree(tmp_path: Path) -> None:
    folder = write_folder(tmp_path, labels_train=np.zeros(19, dtype=np.uint8))
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte.gz has 20 images but train-labels-idx1-ubyte.gz has 19 labels"):
        read_mnist_folder(folder)


def test_images_must_be_28_by_28(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte.gz should hold 28 x 28 images.*20 x 27 x 27"):
        read_mnist_folder(write_folder(tmp_path, side=27))


def test_labels_must_be_digits(tmp_path: Path) -> None:
    labels = np.full(20, 10, dtype=np.uint8)
    with pytest.raises(DataError, match=r"train-labels-idx1-ubyte.gz has a label 10"):
        read_mnist_folder(write_folder(tmp_path, labels_train=labels))


def test_broken_file_error_propagates(tmp_path: Path) -> None:
    folder = write_folder(tmp_path)
    path = folder / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(IdxError, match=r"t10k-images-idx3-ubyte.gz is a damaged gzip file"):
        load_mnist(folder)


# --- make_split -------------------------------------------------------------


def test_one_class(data: Dataset) -> None:
    split = make_split(data, classes=(1,))
    assert set(split.y_train) == set(split.y_val) == set(split.y_test) == {1}
    assert len(split.y_train) + len(split.y_val) == 6742  # all the ones in MNIST's training set
    assert len(split.y_val) == round(6742 * 0.1)
    assert len(split.y_test) == 1135
    assert split.x_train.shape == (len(split.y_train), 784)


def test_two_classes(data: Dataset) -> None:
    split = make_split(data, classes=(9, 1), validation_share=0.2)
    assert set(split.y_train) == set(split.y_test) == {1, 9}  # labels keep their digit values
    assert np.bincount(split.y_val, minlength=10)[[1, 9]].tolist() == [round(6742 * 0.2), round(5949 * 0.2)]
    assert len(split.y_test) == 1135 + 1009


def test_per_class_and_validation(data: Dataset) -> None:
    split = make_split(data, per_class=100, validation_share=0.1)
    assert np.bincount(split.y_train).tolist() == [90] * 10
    assert np.bincount(split.y_val).tolist() == [10] * 10
    assert len(split.y_test) == 10_000
    # no example is both in training and in validation
    train_rows = {row.tobytes() for row in split.x_train}
    assert not any(row.tobytes() in train_rows for row in split.x_val)


def test_a_digit_keeps_its_examples_when_others_are_added(data: Dataset) -> None:
    ones = make_split(data, classes=(1,), per_class=50)
    ones_and_nines = make_split(data, classes=(1, 9), per_class=50)
    np.testing.assert_array_equal(ones.x_train, ones_and_nines.x_train[ones_and_nines.y_train == 1])


def test_seed_makes_it_repeatable(data: Dataset) -> None:
    a = make_split(data, classes=(3, 5), per_class=200, seed=7)
    b = make_split(data, classes=(3, 5), per_class=200, seed=7)
    c = make_split(data, classes=(3, 5), per_class=200, seed=8)
    np.testing.assert_array_equal(a.x_train, b.x_train)
    np.testing.assert_array_equal(a.y_val, b.y_val)
    assert not np.array_equal(a.x_train, c.x_train)


def test_no_validation_and_no_copy(data: Dataset) -> None:
    split = make_split(data, validation_share=0)
    assert split.x_val.shape == (0, 784) and split.y_val.shape == (0,)
    assert split.x_val.dtype == np.float32 and split.y_val.dtype == np.int64
    assert split.x_train is data.x_train and split.x_test is data.x_test


def test_default_split_covers_everything(data: Dataset) -> None:
    split = make_split(data)
    assert len(split.y_train) + len(split.y_val) == 60_000
    assert len(split.y_val) == pytest.approx(6000, abs=5)
    assert split.x_train.dtype == np.float32
    for array in (split.x_train, split.y_train, split.x_val, split.y_val, split.x_test, split.y_test):
        assert not array.flags.writeable


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"classes": ()}, "empty"),
        ({"classes": (10,)}, "digits from 0 to 9"),
        ({"classes": (-1, 2)}, "digits from 0 to 9"),
        ({"classes": (1.0,)}, "digits from 0 to 9"),
        ({"classes": (1, 1)}, "more than once"),
        ({"classes": "19"}, "list of digits"),
        ({"classes": 3}, "list of digits"),
        ({"per_class": 0}, "at least 1"),
        ({"per_class": 2.5}, "at least 1"),
        ({"validation_share": 1.0}, "below 1"),
        ({"validation_share": -0.1}, "at least 0"),
        ({"validation_share": float("nan")}, "below 1"),
    ],
)
def test_bad_arguments(data: Dataset, kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_split(data, **kwargs)


def test_an_empty_test_set_is_an_error_not_nan(tmp_path: Path) -> None:
    data = load_mnist(write_folder(tmp_path / "one-test", n_test=1))  # its test set holds one 0 and nothing else
    with pytest.raises(DataError, match=rf"the test set of {tmp_path / 'one-test'} holds no images of the digits 1, 9: "
                                        "there is nothing to measure the network on"):
        make_split(data, classes=(1, 9))
    assert len(make_split(data, classes=(0,)).y_test) == 1
    no_test = load_mnist(write_folder(tmp_path / "no-test", n_test=0))
    with pytest.raises(DataError, match=r"the test set .* digits 0, 1, 2"):
        make_split(no_test, validation_share=0)  # the shortcut that shares the arrays checks too


def test_an_empty_training_set_is_an_error(tmp_path: Path) -> None:
    data = load_mnist(write_folder(tmp_path, n_train=1, labels_train=np.array([3], np.uint8)))
    with pytest.raises(DataError, match=r"the training set of .* holds no images of the digits 4: .*learn from"):
        make_split(data, classes=(4,))


def test_a_relative_folder_is_named_in_full(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DataError, match=rf"The MNIST data folder {tmp_path / 'data'} does not exist"):
        load_mnist("data")
