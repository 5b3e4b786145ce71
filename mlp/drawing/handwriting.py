"""A set of labelled handwritten digits as a file: the class's own handwriting, to score a network on.

A handwriting file is a NumPy `.npz` archive:
  images   (n, 28, 28) uint8, white ink on black as MNIST (255 = full ink)
  labels   (n,) integers 0-9: the digit each writer says it is
  writers  (n,) strings: each drawing's writer (a nickname; may be empty)
Reading never unpickles and checks every array's header and shape first.

The held-out rule lives here, for the app and the engine alike: one writer in three (by a stable hash of the
nickname) is kept out of training, whole, so a score on their drawings is a score on writers the network never saw.
"""
from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np

from ..model import ModelFileError, check_archive

MAX_HANDWRITING_BYTES = 64 * 2**20  # unpacked: about 80,000 drawings


@dataclass
class Handwriting:
    """Labelled drawings as arrays: images (n, 28, 28) uint8, labels (n,) int64, writers (n,) str, and when each
    was labelled (n,) float64 Unix seconds (None: not known, as for drawings read from a file)."""
    images: np.ndarray
    labels: np.ndarray
    writers: np.ndarray
    created: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.labels)


class HandwritingFileError(ValueError):
    """A handwriting file that cannot be used, with the reason in plain words."""


def handwriting_bytes(images: np.ndarray, labels: np.ndarray, writers: np.ndarray) -> bytes:
    """The file's content for these drawings (see the module docstring)."""
    buffer = io.BytesIO()
    np.savez(buffer, images=np.asarray(images, dtype=np.uint8).reshape(-1, 28, 28),
             labels=np.asarray(labels, dtype=np.int64), writers=np.asarray(writers, dtype=str))
    return buffer.getvalue()


def load_handwriting(source: str | Path | Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Images as the network reads them (n, 784) float32 in [0, 1], labels (n,) int64, writers (n,) str;
    HandwritingFileError saying what is wrong."""
    handwriting = read_handwriting(source)
    return as_training_rows(handwriting)[0], handwriting.labels, handwriting.writers


def read_handwriting(source: str | Path | Any) -> Handwriting:
    """The drawings of a handwriting file, as kept (images (n, 28, 28) uint8); HandwritingFileError saying what is
    wrong."""
    # the path as given, whole (a Path's .name is only its last part); a file object's own name
    name = str(source) if isinstance(source, (str, PathLike)) else getattr(source, "name", str(source))
    try:
        check_archive(source, name, MAX_HANDWRITING_BYTES)
        with np.load(source, allow_pickle=False) as archive:
            missing = {"images", "labels", "writers"} - set(archive.files)
            if missing:
                raise HandwritingFileError(f"{name} is not a handwriting file: it lacks {', '.join(sorted(missing))}")
            images, labels, writers = archive["images"], archive["labels"], archive["writers"]
    except FileNotFoundError:
        raise HandwritingFileError(f"no handwriting file at {Path(name).absolute()}") from None
    except (ModelFileError, OSError, EOFError, zipfile.BadZipFile) as error:
        raise HandwritingFileError(f"{name} is not a readable handwriting file ({error})") from None
    return _checked(images, labels, writers, name)


def _checked(images: np.ndarray, labels: np.ndarray, writers: np.ndarray, name: str):
    n = len(labels)
    if images.dtype != np.uint8 or images.shape != (n, 28, 28) or labels.shape != (n,) or writers.shape != (n,):
        raise HandwritingFileError(f"{name}: expected images (n, 28, 28) uint8, labels (n,) and writers (n,); got "
                                   f"{images.shape} {images.dtype}, {labels.shape} and {writers.shape}")
    if labels.dtype.kind not in "iu" or (n and (labels.min() < 0 or labels.max() > 9)):
        raise HandwritingFileError(f"{name}: labels must be whole numbers from 0 to 9")
    return Handwriting(images, labels.astype(np.int64), writers.astype(str))


def score_by_writer(predictions: np.ndarray, labels: np.ndarray, writers: np.ndarray) -> dict[str, tuple[int, int]]:
    """Right answers and drawings per writer, in the order writers first appear."""
    table: dict[str, tuple[int, int]] = {}
    for writer in dict.fromkeys(writers.tolist()):
        mine = writers == writer
        table[writer] = (int((predictions[mine] == labels[mine]).sum()), int(mine.sum()))
    return table


HELD_OUT_SHARE = 3  # one writer in three is held out of training, for an honest score


def held_out(nickname: str) -> bool:
    """Whether this writer's drawings are kept for scoring only: a stable hash of the nickname, the same in
    every process and every lesson (Python's hash() is salted per process)."""
    return hashlib.sha256(nickname.encode()).digest()[0] % HELD_OUT_SHARE == 0


def held_out_mask(handwriting: Handwriting) -> np.ndarray:
    """(n,) bool: which drawings are by held-out writers."""
    return np.array([held_out(str(w)) for w in handwriting.writers], dtype=bool)


def split_writers(handwriting: Handwriting) -> tuple[Handwriting, Handwriting]:
    """The drawings to train on and those of held-out writers (to score on), whole writers on either side."""
    held = held_out_mask(handwriting)
    return part(handwriting, ~held), part(handwriting, held)


def part(handwriting: Handwriting, keep: np.ndarray) -> Handwriting:
    """The drawings where `keep` is true."""
    created = handwriting.created[keep] if handwriting.created is not None else None
    return Handwriting(handwriting.images[keep], handwriting.labels[keep], handwriting.writers[keep], created)


def as_training_rows(handwriting: Handwriting) -> tuple[np.ndarray, np.ndarray]:
    """The drawings as training rows: (n, 784) float32 in [0, 1], and their labels (n,) int64."""
    images = handwriting.images.reshape(len(handwriting), 784).astype(np.float32) / np.float32(255)
    return images, handwriting.labels.astype(np.int64)


class NothingToLearn(ValueError):
    """Labelled drawings of which a run can train on none, with the reason in words."""


def drawing_rows(handwriting: Handwriting, classes) -> tuple[np.ndarray, np.ndarray]:
    """The rows a run learning `classes` adds to its training data: the drawings of writers not held out, of the
    digits it learns (the app's rule and the engine's). NothingToLearn, in words, when that leaves none."""
    n = len(handwriting)
    if n == 0:
        raise NothingToLearn("the handwriting holds no drawings")
    training = split_writers(handwriting)[0]
    if not len(training):
        writers = len(set(handwriting.writers.tolist()))
        raise NothingToLearn(f"all {n} drawings are by held-out writers ({writers} of them), kept to score the "
                             "network on writers it never saw: there is nothing to train on")
    learnt = part(training, np.isin(training.labels, list(classes)))
    if not len(learnt):
        drawn = ", ".join(map(str, sorted(set(training.labels.tolist()))))
        raise NothingToLearn(f"the training writers' drawings are of the digits {drawn}, none of which this run "
                             f"learns ({', '.join(map(str, classes))})")
    return as_training_rows(learnt)
