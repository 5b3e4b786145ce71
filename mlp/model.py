"""A trained network together with the settings that made it, and its file format.

A model file is a NumPy `.npz` archive that any tool can read without this code:
  config            0-d string: the TrainConfig as JSON
  metrics           0-d string: JSON object of final metrics (may be "{}")
  format            0-d string: "mlp-playground/1"
  W0, b0, W1, b1 …  float32 weights (inputs x outputs) and biases, input layer first
Loading never unpickles (allow_pickle=False) and checks every shape against the config.
"""
from __future__ import annotations

import io
import json
import math
import zipfile
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from .data.atomic import write_atomically
from .config import ConfigError, TrainConfig, from_saved
from .network import Network
from .seeding import random_streams

FORMAT = "mlp-playground/1"
MAX_MODEL_BYTES = 256 * 2**20  # unpacked; 784-4096-4096-10 in float32 takes 80 MB
ZIP_MAGIC = b"PK\x03\x04"
NPY_MAGIC = b"\x93NUMPY"
OTHER_KINDS = {b"\x89PNG": "a PNG image", b"\xff\xd8\xff": "a JPEG image", b"GIF8": "a GIF image",
               b"BM": "a BMP image", NPY_MAGIC: ".npy array", b"\x1f\x8b": "a gzip file"}


class ModelFileError(ValueError):
    """A model file that cannot be used, with the reason in plain words."""


class ModelOutputError(ValueError):
    """The network computes NaN: a run that diverged, or weights too large for float32 arithmetic."""


@dataclass
class Model:
    network: Network
    config: TrainConfig
    metrics: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def create(cls, config: TrainConfig) -> "Model":
        """An untrained model, with weights drawn as the config says from its seed."""
        network = Network(config.sizes, config.activation, vars(config))
        network.initialize(random_streams(config.seed).init, config.init, config.init_std, config.bias_init)
        return cls(network, config)

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """Probabilities (n, 10) for images x of shape (n, 784), float in [0, 1].

        Raises ModelOutputError when they are not numbers, rather than let NaN read as "0, <1% sure".
        """
        with np.errstate(over="ignore", invalid="ignore"):  # reported below, in words
            probs = self.network.predict_proba(x)
        broken = int((~np.isfinite(probs).all(axis=1)).sum())
        if broken:
            cause = ("its weights hold NaN or infinite values" if not np.isfinite(self.network.params).all()
                     else "its weights are so large that the arithmetic overflowed")
            raise ModelOutputError(f"the network's outputs are not numbers (NaN) for {broken} of {len(probs)} "
                                   f"images: {cause}. Train it again with a smaller learning rate.")
        return probs

    def copy(self) -> "Model":
        return Model(self.network.copy(), self.config, dict(self.metrics))

    def to_bytes(self) -> bytes:
        """The model file's content (see the module docstring for its layout)."""
        arrays = {"format": np.array(FORMAT), "config": np.array(json.dumps(self.config.to_dict())),
                  "metrics": np.array(json.dumps(self.metrics))}
        for i, (w, b) in enumerate(zip(self.network.weights, self.network.biases)):
            arrays[f"W{i}"], arrays[f"b{i}"] = w, b
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        return buffer.getvalue()

    def save(self, path: str | Path) -> Path:
        """Write the model atomically (a crash mid-write leaves the old file, or none), as a file
        readable like any other (0666 less the umask)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        return write_atomically(path, self.to_bytes())


def load_model(source: str | Path | Any, *, max_bytes: int = MAX_MODEL_BYTES) -> Model:
    """Read a model file (a path or a binary file object), validating everything; never unpickles.

    The archive's table of contents and each array's header are checked before any array is read, so a
    small file that would unpack to gigabytes (`max_bytes` at most) is refused without unpacking it.
    """
    # the path as given, whole (a Path's .name is only its last part); a file object's own name
    name = str(source) if isinstance(source, (str, PathLike)) else getattr(source, "name", str(source))
    try:
        check_archive(source, name, max_bytes)
        with np.load(source, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
    except FileNotFoundError:
        raise ModelFileError(f"no model file at {Path(name).absolute()}") from None
    except IsADirectoryError:
        raise ModelFileError(f"{Path(name).absolute()} is a folder, not a model file") from None
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as error:
        if isinstance(error, ModelFileError):
            raise
        raise ModelFileError(f"{name} is not a readable .npz model file ({error})") from None
    return _from_arrays(arrays, name)


def check_archive(source: str | Path | Any, name: str, max_bytes: int = MAX_MODEL_BYTES) -> None:
    """Refuse, with ModelFileError, a file that is not a .npz archive, unpacks to more than `max_bytes`,
    or holds an array whose header is damaged, claims more data than it holds, or holds Python objects."""
    _check_kind(source, name)
    with zipfile.ZipFile(source) as archive:
        members = archive.infolist()
        unpacked = sum(info.file_size for info in members)
        if unpacked > max_bytes:
            raise ModelFileError(f"{name} unpacks to {unpacked / 2**20:,.0f} MB; model files up to "
                                 f"{max_bytes / 2**20:,.0f} MB are read")
        odd = []
        for info in members:
            with archive.open(info) as member:
                if not info.filename.endswith(".npy") or member.read(6) != NPY_MAGIC:
                    odd.append(info.filename)  # NumPy would hand such a member back as raw bytes
                    continue
                npy_header(member, info.file_size, f"{name}: '{info.filename[:-4]}'", magic_read=True)
    if odd:
        raise ModelFileError(f"{name} holds entries that are not NumPy arrays ({', '.join(odd)}): "
                             "it was not written by this program")
    if hasattr(source, "seek"):
        source.seek(0)


def npy_header(stream: BinaryIO, size: int, what: str, *, magic_read: bool = False) -> tuple[tuple[int, ...], np.dtype]:
    """The shape and dtype an .npy stream of `size` bytes declares, checked against its size before any
    data is read: a crafted header cannot make NumPy reserve memory for data that is not there.
    `magic_read`: the caller has already read the six bytes of NPY_MAGIC."""
    try:
        if not magic_read and stream.read(6) != NPY_MAGIC:
            raise ValueError("it does not start as an .npy file does")
        version = tuple(stream.read(2))
        read = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}
        if version not in read:
            raise ValueError(f"unknown .npy version {version}")
        shape, _, dtype = read[version](stream)
    except (ValueError, SyntaxError, TypeError, EOFError) as error:
        raise ModelFileError(f"{what} has a damaged array header ({error})") from None
    if dtype.hasobject:
        raise ModelFileError(f"{what} holds pickled Python objects; only arrays of numbers are read, "
                             "never unpickled")
    if math.prod(shape) * dtype.itemsize > size:
        raise ModelFileError(f"{what} claims shape {shape} of {dtype} ({math.prod(shape) * dtype.itemsize:,} "
                             f"bytes) but holds only {size:,} bytes")
    return shape, dtype


def _check_kind(source: str | Path | Any, name: str) -> None:
    """A clear word when the file is something else than a .npz archive (a picture given first, say)."""
    if hasattr(source, "read"):
        start = source.read(8)
        source.seek(0)
    else:
        with open(source, "rb") as f:
            start = f.read(8)
    if start.startswith(ZIP_MAGIC):
        return
    kind = next((kind for magic, kind in OTHER_KINDS.items() if start.startswith(magic)), None)
    if kind == ".npy array":
        raise ModelFileError(f"{name} holds a single array, not a .npz model file")
    raise ModelFileError(f"{name} is not a model file ({kind or 'not a .npz archive'}); model files are .npz "
                         "archives saved by this program")


def _from_arrays(arrays: dict[str, np.ndarray], name: str) -> Model:
    def text(key: str) -> str:
        if key not in arrays:
            raise ModelFileError(f"{name} has no '{key}' entry: it was not written by this program")
        value = arrays[key]
        if value.shape != () or value.dtype.kind != "U":
            raise ModelFileError(f"{name}: '{key}' should be a single string")
        return str(value)

    if text("format") != FORMAT:
        raise ModelFileError(f"{name} is in format {text('format')!r}; this program reads {FORMAT!r}")
    try:
        config = from_saved(json.loads(text("config")))
        metrics = json.loads(text("metrics"))
    except json.JSONDecodeError as error:
        raise ModelFileError(f"{name}: its settings are not valid JSON ({error})") from None
    except ConfigError as error:
        raise ModelFileError(f"{name}: its settings are invalid: {error}") from None
    if not isinstance(metrics, dict):
        raise ModelFileError(f"{name}: 'metrics' should be a JSON object")

    # Shapes come from the settings, checked before the network is allocated: a small file whose settings
    # claim eight layers of 4,096 units must be refused without reserving half a gigabyte first.
    layers = list(zip(config.sizes[:-1], config.sizes[1:]))
    expected = {f"W{i}": (n_in, n_out) for i, (n_in, n_out) in enumerate(layers)}
    expected.update({f"b{i}": (n_out,) for i, (_, n_out) in enumerate(layers)})
    extra = sorted(set(arrays) - set(expected) - {"format", "config", "metrics"})
    if extra:
        raise ModelFileError(f"{name} has unexpected entries {extra} for a network of sizes {list(config.sizes)}")
    for key, shape in expected.items():
        if key not in arrays:
            raise ModelFileError(f"{name} is missing '{key}' for a network of sizes {list(config.sizes)}")
        value = arrays[key]
        if value.shape != shape:
            raise ModelFileError(f"{name}: '{key}' has shape {value.shape}, expected {shape}")
        if value.dtype.kind != "f":
            raise ModelFileError(f"{name}: '{key}' holds {value.dtype}, expected floating-point numbers")
        if not np.isfinite(value).all():
            raise ModelFileError(f"{name}: '{key}' holds NaN or infinite values")
    network = Network(config.sizes, config.activation, vars(config))
    for i, (w, b) in enumerate(zip(network.weights, network.biases)):
        w[...], b[...] = arrays[f"W{i}"], arrays[f"b{i}"]
    return Model(network, config, metrics)
