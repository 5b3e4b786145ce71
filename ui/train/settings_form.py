"""The settings widgets, drawn from ui.settings.FIELDS and kept in the session's settings dict.

Each widget is seeded from the dict on every render and writes back through on_change, because
Streamlit forgets widget values when the user visits another page.
"""
from __future__ import annotations

from typing import Any

import streamlit as st

from mlp.config import ConfigError, TrainConfig
from ui import state
from ui.settings import FIELDS, GROUPS, Field, config_from_settings

_PREFIX = "setting_"


def widget_key(name: str) -> str:
    return _PREFIX + name


def _seed_value(spec: Field, value: Any) -> Any:
    """The stored value in the type and range the widget accepts (a wrong one would raise)."""
    if spec.kind == "int":
        value = int(value) if value is not None else int(spec.minimum or 0)
    elif spec.kind == "float":
        value = float(value) if value is not None else float(spec.minimum or 0.0)
    elif spec.kind == "optional-int":
        value = int(value) if value is not None else None
    elif spec.kind == "classes":
        return [int(c) for c in value or []]
    elif spec.kind == "bool":
        return bool(value)
    elif spec.kind == "select":
        return value if value in spec.options else spec.options[0]
    else:
        return "" if value is None else str(value)
    if value is not None:
        if spec.minimum is not None:
            value = max(value, type(value)(spec.minimum))
        if spec.maximum is not None:
            value = min(value, type(value)(spec.maximum))
    return value


def _widget(spec: Field, disabled: bool) -> None:
    key = widget_key(spec.name)
    st.session_state[key] = _seed_value(spec, state.settings().get(spec.name))

    def changed() -> None:
        state.update_setting(spec.name, st.session_state[key])

    common = dict(key=key, help=spec.help, on_change=changed, disabled=disabled)
    if spec.kind == "select":
        st.selectbox(spec.label, spec.options, **common)
    elif spec.kind == "bool":
        st.toggle(spec.label, **common)
    elif spec.kind == "text":
        st.text_input(spec.label, placeholder="e.g. 256, 128", **common)
    elif spec.kind == "classes":
        st.pills(spec.label, spec.options, selection_mode="multi", **common)
    elif spec.kind == "int":
        st.number_input(spec.label, min_value=int(spec.minimum), max_value=int(spec.maximum),
                        step=int(spec.step or 1), **common)
    elif spec.kind == "optional-int":
        st.number_input(spec.label, min_value=int(spec.minimum), max_value=int(spec.maximum),
                        step=int(spec.step or 1), placeholder="all", **common)
    else:
        st.number_input(spec.label, min_value=float(spec.minimum), max_value=float(spec.maximum),
                        step=float(spec.step) if spec.step else None, format=spec.fmt, **common)


def settings_form(disabled: bool = False) -> TrainConfig | None:
    """Every setting, grouped; returns the config they make, or None after showing why it is not valid."""
    current = state.settings()
    for group, tab in zip(GROUPS, st.tabs(list(GROUPS))):
        with tab:
            specs = [f for f in FIELDS if f.group == group and f.applies(current)]
            wide = [f for f in specs if f.kind in ("classes", "text", "bool")]
            narrow = [f for f in specs if f not in wide]
            for spec in wide:
                _widget(spec, disabled)
            columns = st.columns(2)
            for i, spec in enumerate(narrow):
                with columns[i % 2]:
                    _widget(spec, disabled)
    try:
        return config_from_settings(state.settings())
    except ConfigError as error:
        st.error(str(error))
        return None
