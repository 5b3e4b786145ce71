"""A training set-up in a link: TrainConfig <-> URL query parameters.

Only settings that differ from the defaults go into the link, so links stay short
and keep working when a default changes. Reading is forgiving: each bad or unknown
parameter is dropped with a note, and the rest still apply.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Any, Mapping
from urllib.parse import urlencode

from mlp.config import ConfigError, TrainConfig

FIELDS = {f.name: f for f in dataclasses.fields(TrainConfig)}
DEFAULTS = TrainConfig()
IGNORED = {"embed", "embed_options"}  # Streamlit's own parameters


def encode(config: TrainConfig) -> dict[str, str]:
    """Query parameters for every setting that differs from the default."""
    params = {}
    for name in FIELDS:
        value = getattr(config, name)
        if value != getattr(DEFAULTS, name):
            params[name] = _to_text(value)
    return params


def query_string(config: TrainConfig) -> str:
    return urlencode(encode(config))


def decode(params: Mapping[str, str | list[str]]) -> tuple[TrainConfig, list[str]]:
    """The config a link describes, and one note per parameter that could not be used."""
    values: dict[str, Any] = DEFAULTS.to_dict()
    notes = []
    for name, raw in params.items():
        if name in IGNORED:
            continue
        text = raw[-1] if isinstance(raw, list) else raw
        if name not in FIELDS:
            notes.append(f"ignored the unknown setting '{name}'")
            continue
        try:
            value = _from_text(name, text)
            TrainConfig(**{**values, name: value})
        except (ValueError, ConfigError) as error:
            notes.append(f"ignored {name}={text!r}: {error}")
            continue
        values[name] = value
    return TrainConfig(**values), notes


def _to_text(value: Any) -> str:
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    if isinstance(value, bool):
        return "1" if value else "0"
    if value is None:
        return "all"
    return repr(value) if isinstance(value, float) else str(value)


def _from_text(name: str, text: str) -> Any:
    default = getattr(DEFAULTS, name)
    text = text.strip()
    if name == "per_class":
        return None if text in ("", "all") else _integer(text)
    if isinstance(default, tuple):
        return tuple(_integer(part) for part in text.split(",") if part.strip()) if text else ()
    if isinstance(default, bool):
        if text.lower() not in ("1", "0", "true", "false"):
            raise ValueError("expected 1 or 0")
        return text.lower() in ("1", "true")
    if isinstance(default, int):
        return _integer(text)
    if isinstance(default, float):
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a number") from None
        if not math.isfinite(number):
            raise ValueError("not a finite number")
        return number
    return text


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a whole number") from None
