"""Network files in and out of the app: read an upload safely, turn it into a run, name a download.

Pure (no Streamlit). An upload is untrusted: its size and unpacked size are checked before NumPy
reads it, and mlp.load_model never unpickles and checks every shape against the settings inside.
"""
from __future__ import annotations

import io
import math
import re
from collections.abc import Iterable

from mlp.model import Model, ModelFileError, load_model
from mlp.trainer import History
from training.record import Run

MAX_UPLOAD_MB = 25  # a 784-256-128-10 network is under 1 MB; this allows about six million weights
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 1024 * 1024
UPLOADED = "uploaded"
NAME_CHARS = 60  # an uploaded file's name, shortened to this, names its run


def read_model_file(name: str, content: bytes) -> Model:
    """The model in an uploaded file; ModelFileError saying what is wrong, in plain words."""
    if len(content) > MAX_UPLOAD_BYTES:
        raise ModelFileError(f"{name} is {len(content) / 2**20:.1f} MB; network files up to {MAX_UPLOAD_MB} MB "
                             "are accepted")
    buffer = io.BytesIO(content)
    buffer.name = name  # load_model names the file in its messages
    # its table of contents is read first, cheaply; np.savez does not compress: a model unpacks to its own size
    return load_model(buffer, max_bytes=MAX_UPLOAD_BYTES)


def _number(value: object) -> float | None:
    """A finite number from a file's metrics, or None: the metrics are whatever the file says."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def unique_name(name: str, taken: Iterable[str]) -> str:
    """`name`, or `name (2)`, `name (3)`... when a run already has it."""
    taken = set(taken)
    if name not in taken:
        return name
    n = 2
    while f"{name} ({n})" in taken:
        n += 1
    return f"{name} ({n})"


def uploaded_run(name: str, model: Model) -> Run:
    """An uploaded network as a run record, so every list of runs and models shows it."""
    metrics = model.metrics
    return Run(name=name, config=model.config, history=History(), status=UPLOADED, reason="", model=model,
               test_accuracy=_number(metrics.get("test_accuracy")), test_loss=_number(metrics.get("test_loss")),
               seconds=_number(metrics.get("seconds")) or 0.0, epochs=_number(metrics.get("epochs")) or 0.0)


def download_name(run_name: str) -> str:
    """'Run 3: lr 1e-06' -> 'run-3-lr-1e-06.npz': safe on every system."""
    stem = re.sub(r"[^a-z0-9._-]+", "-", run_name.lower()).strip("-.")
    stem = stem[:-4] if stem.endswith(".npz") else stem
    return f"{stem or 'network'}.npz"
