"""A set of labelled handwritten digits as a file: the class's own handwriting, to score a network on.

A handwriting file is a NumPy `.npz` archive:
  images   (n, 28, 28) uint8, white ink on black as MNIST (255 = full ink)
  labels   (n,) integers 0-9: the digit each writer says it is
  writers  (n,) strings: each drawing's writer (a nickname; may be empty)
Reading never unpickles and checks every array's header and shape first.
"""
from __future__ import annotations

import io
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
    except (ModelFileError, OSError, EOFError) as error:
        raise HandwritingFileError(f"{name} is not a readable handwriting file ({error})") from None
    return _checked(images, labels, writers, name)


def _checked(images: np.ndarray, labels: np.ndarray, writers: np.ndarray, name: str):
    n = len(labels)
    if images.dtype != np.uint8 or images.shape != (n, 28, 28) or labels.shape != (n,) or writers.shape != (n,):
        raise HandwritingFileError(f"{name}: expected images (n, 28, 28) uint8, labels (n,) and writers (n,); got "
                                   f"{images.shape} {images.dtype}, {labels.shape} and {writers.shape}")
    if labels.dtype.kind not in "iu" or (n and (labels.min() < 0 or labels.max() > 9)):
        raise HandwritingFileError(f"{name}: labels must be whole numbers from 0 to 9")
    return images.reshape(n, 784).astype(np.float32) / 255.0, labels.astype(np.int64), writers.astype(str)


def score_by_writer(predictions: np.ndarray, labels: np.ndarray, writers: np.ndarray) -> dict[str, tuple[int, int]]:
    """Right answers and drawings per writer, in the order writers first appear."""
    table: dict[str, tuple[int, int]] = {}
    for writer in dict.fromkeys(writers.tolist()):
        mine = writers == writer
        table[writer] = (int((predictions[mine] == labels[mine]).sum()), int(mine.sum()))
    return table
