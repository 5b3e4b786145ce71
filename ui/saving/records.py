"""Runs and settings as the store keeps them, and back: plain JSON-able data on one side, the app's
records on the other. Pure (no Streamlit, no database): the store holds what this module makes."""
from __future__ import annotations

import io
from typing import Any, Mapping

import numpy as np

from mlp.config import ConfigError, from_saved
from mlp.diagnostics import LayerStats
from mlp.model import Model, ModelFileError, load_model
from mlp.teaching.diagnosis import diagnose
from mlp.trainer import DiagnosticPoint, EvalPoint, History, TrainPoint
from store import INTERRUPTED_STATUS as INTERRUPTED  # noqa: F401 (for the pages: a run its server died under)
from store import StoredRun
from training.record import Run
from ui.shared.settings import Settings, default_settings

DIAGNOSED = ("finished", "stopped", "failed")  # the statuses the engine's diagnosis reads (not uploaded, interrupted)


def curves(history: History) -> dict[str, Any]:
    """A History as lists of numbers (one list per logged point, fields in their dataclass order)."""
    return {"heldout_name": history.heldout_name,
            "train": [[p.step, p.epoch, p.loss, p.accuracy, p.lr] for p in history.train],
            "heldout": [[p.step, p.epoch, p.loss, p.accuracy] for p in history.heldout],
            "diagnostics": [[p.step, p.epoch, [[s.dead, s.saturated, s.weight_norm, s.update_ratio] for s in p.layers]]
                            for p in history.diagnostics]}


def history(saved: Mapping[str, Any]) -> History:
    """The History `curves` made (an empty one for a run saved before it logged anything)."""
    return History([TrainPoint(*p) for p in saved.get("train", [])],
                   [EvalPoint(*p) for p in saved.get("heldout", [])],
                   [DiagnosticPoint(step, epoch, tuple(LayerStats(*s) for s in layers))
                    for step, epoch, layers in saved.get("diagnostics", [])],
                   saved.get("heldout_name", "validation"))


def stored(record: Run) -> StoredRun:
    """A finished (stopped, failed, uploaded) run as the store keeps it: the network as its model file."""
    return StoredRun(**record.facts(), config=record.config.to_dict(), curves=curves(record.history),
                     model=record.model.to_bytes() if record.model is not None else None)


def restored(saved: StoredRun) -> Run:
    """A stored run as a record again: its network, when the row was read with it, read back (validated as an upload
    is) and its diagnosis recomputed. ValueError (ConfigError, ModelFileError) for a row this version cannot read."""
    config = from_saved(saved.config)
    logged = history(saved.curves)
    model = network(saved.model, saved.name) if saved.model is not None else None
    findings = (diagnose(config, logged, status=saved.status, reason=saved.reason)
                if saved.status in DIAGNOSED else [])
    return Run(**saved.facts(), config=config, history=logged, model=model, findings=findings)


def network(content: bytes, name: str) -> Model:
    """A stored network (its model file) read back and validated as an upload is; ModelFileError in words."""
    buffer = io.BytesIO(content)
    buffer.name = f"the saved network of {name}"
    return load_model(buffer)


def restored_settings(saved: Mapping[str, Any] | None) -> Settings:
    """Saved settings over the defaults, each kept only when its type is the default's (a setting this
    version no longer has, or a value of another kind, keeps its default)."""
    settings = default_settings()
    for name, value in (saved or {}).items():
        default = settings.get(name, ...)
        numbers = (int, float)
        if default is ... or value is None and default is not None:
            continue
        if default is None or type(value) is type(default) or (type(value) in numbers and type(default) in numbers):
            settings[name] = value
    return settings


def drawing_payload(canvas: dict | None, digit: np.ndarray | None) -> dict | None:
    """The Draw page's state as saved: the canvas's objects and the 28x28 digit read from them."""
    if canvas is None:
        return None
    return {"canvas": canvas, "digit": None if digit is None else np.round(digit, 4).ravel().tolist()}


def drawing_from(payload: Mapping[str, Any] | None) -> tuple[dict | None, np.ndarray | None]:
    """The canvas and digit a payload holds; a digit that is not 784 finite numbers in [0, 1] is dropped."""
    if not isinstance(payload, Mapping) or not isinstance(payload.get("canvas"), dict):
        return None, None
    try:
        digit = np.asarray(payload.get("digit"), dtype=np.float32)
    except (TypeError, ValueError):
        return payload["canvas"], None
    good = digit.size == 784 and bool(np.isfinite(digit).all()) and digit.min() >= 0 and digit.max() <= 1
    return payload["canvas"], digit.reshape(28, 28) if good else None


UNREADABLE = (ValueError, ConfigError, ModelFileError, TypeError, KeyError)  # a row this version cannot read
