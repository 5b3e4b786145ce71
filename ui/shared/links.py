"""A training set-up in a link: TrainConfig <-> URL query parameters.

Only settings that differ from the defaults go into the link, so links stay short
and keep working when a default changes. Reading is forgiving: each bad or unknown
parameter is dropped with a note, and the rest still apply. Text is parsed here (strictly: ASCII
digits); whether a value is allowed is TrainConfig's to say.
"""
from __future__ import annotations

from typing import Any, Mapping
from urllib.parse import urlencode

from mlp.config import ConfigError, TrainConfig
from ui.shared.settings import parse_hidden, parse_number, parse_whole
from ui.shared.text import SHORT, shorten

WORKSPACE_PARAM = "w"  # the saved-work workspace (ui.saving.workspace): in the address, never in a share link
CLASS_PARAM, TEACHER_PARAM = "class", "teacher"  # a class's join link and teacher link (ui.classroom)
# The Board for a projector: the class's join code, public (it is projected), and no secret in the address (ui.board)
PROJECTOR_PARAM = "projector"
SECRET_PARAMS = (WORKSPACE_PARAM, TEACHER_PARAM)  # whoever reads them off a projected address has the work
IGNORED = {"embed", "embed_options", WORKSPACE_PARAM, CLASS_PARAM, TEACHER_PARAM, PROJECTOR_PARAM}  # not settings
MAX_NOTES = 5  # a tampered link gets a few lines of notes, not one per parameter


def encode(config: TrainConfig) -> dict[str, str]:
    """Query parameters for every setting that differs from the default."""
    params, defaults = {}, TrainConfig()
    for name in TrainConfig.names():
        value = getattr(config, name)
        if value != getattr(defaults, name):
            params[name] = _to_text(value)
    return params


def query_string(config: TrainConfig) -> str:
    return urlencode(encode(config))


def decode(params: Mapping[str, str | list[str]]) -> tuple[TrainConfig, list[str]]:
    """The config a link describes, and a note per parameter that could not be used (at most MAX_NOTES,
    then one line counting the rest). Notes quote the link's text shortened, as plain text: escape them
    before showing them as Markdown."""
    values: dict[str, Any] = TrainConfig().to_dict()
    notes = []
    for name, raw in params.items():
        if name in IGNORED:
            continue
        text = (raw[-1] if raw else "") if isinstance(raw, list) else raw  # a name given without a value: ""
        if name not in values:
            notes.append(f"ignored the unknown setting '{shorten(name)}'")
            continue
        try:
            value = _from_text(name, text)
            TrainConfig.from_dict({**values, name: value})  # TrainConfig alone judges each value
        except ConfigError as error:
            notes.append(f"ignored {shorten(name)}='{shorten(text)}': {shorten(error, 2 * SHORT)}")
            continue
        values[name] = value
    if len(notes) > MAX_NOTES:
        notes[MAX_NOTES:] = [f"and {len(notes) - MAX_NOTES} more settings that could not be used"]
    return TrainConfig.from_dict(values), notes


def _to_text(value: Any) -> str:
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value) or "none"
    if isinstance(value, bool):
        return "1" if value else "0"
    if value is None:
        return "all"
    return repr(value) if isinstance(value, float) else str(value)


def _from_text(name: str, text: str) -> Any:
    """The value a parameter's text stands for, parsed strictly; ConfigError when it stands for none."""
    default = getattr(TrainConfig(), name)
    if name == "per_class":
        return None if text.strip() in ("", "all") else parse_whole(text, name)
    if name == "hidden":
        return parse_hidden(text)
    if isinstance(default, tuple):
        return tuple(parse_whole(part, name) for part in text.split(",") if part.strip())
    if isinstance(default, bool):
        if text.strip().lower() not in ("1", "0", "true", "false"):
            raise ConfigError(f"{name}: expected 1 or 0")
        return text.strip().lower() in ("1", "true")
    if isinstance(default, int):
        return parse_whole(text, name)
    if isinstance(default, float):
        return parse_number(text, name)
    return text
