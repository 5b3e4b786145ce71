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
import os
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .config import ConfigError, TrainConfig
from .network import Network
from .seeding import random_streams

FORMAT = "mlp-playground/1"


class ModelFileError(ValueError):
    """A model file that cannot be used, with the reason in plain words."""


@dataclass
class Model:
    network: Network
    config: TrainConfig
    metrics: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def create(cls, config: TrainConfig) -> "Model":
        """An untrained model, with weights drawn as the config says from its seed."""
        network = Network(config.sizes, config.activation, config.leaky_slope)
        network.initialize(random_streams(config.seed).init, config.init, config.init_std, config.bias_init)
        return cls(network, config)

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """Probabilities (n, 10) for images x of shape (n, 784), float in [0, 1]."""
        return self.network.predict_proba(x)

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
        """Write the model atomically: a crash mid-write leaves the old file (or none), never half a file."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(self.to_bytes())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path


def load_model(source: str | Path | Any) -> Model:
    """Read a model file (a path or a binary file object), validating everything; never unpickles."""
    name = getattr(source, "name", str(source))
    try:
        loaded = np.load(source, allow_pickle=False)
        if not hasattr(loaded, "files"):
            raise ModelFileError(f"{name} holds a single array, not a .npz model file")
        with loaded as archive:
            arrays = {key: archive[key] for key in archive.files}
    except FileNotFoundError:
        raise ModelFileError(f"no model file at {name}") from None
    except ModelFileError:
        raise
    except ValueError as error:
        if "pickle" in str(error).lower():
            raise ModelFileError(f"{name} holds pickled Python objects; a model file holds only arrays and is never unpickled") from None
        raise ModelFileError(f"{name} is not a model file: {error}") from None
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise ModelFileError(f"{name} is not a readable .npz model file ({error})") from None
    odd = sorted(key for key, value in arrays.items() if not isinstance(value, np.ndarray))
    if odd:  # NumPy hands back raw bytes for an archive member that is not an .npy array
        raise ModelFileError(f"{name} holds entries that are not NumPy arrays ({', '.join(odd)}): "
                             "it was not written by this program")
    return _from_arrays(arrays, name)


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
        config = TrainConfig.from_dict(json.loads(text("config")))
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
    network = Network(config.sizes, config.activation, config.leaky_slope)
    for i, (w, b) in enumerate(zip(network.weights, network.biases)):
        w[...], b[...] = arrays[f"W{i}"], arrays[f"b{i}"]
    return Model(network, config, metrics)
