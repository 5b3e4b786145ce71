"""The settings widgets, drawn from ui.shared.settings.fields() and kept in the session's settings dict.

Each widget mirrors its setting (ui.shared.widgets.mirrored), because Streamlit forgets widget values when
the user visits another page.
"""
from __future__ import annotations

from functools import partial
from typing import Any, Callable

import streamlit as st

from mlp.config import ConfigError, TrainConfig
from ui import state
from ui.frame.rule import current_rule
from ui.panels.handwriting import drawings_toggle
from ui.shared.rule import Rule
from ui.shared.settings import GROUPS, Field, config_from_settings, default_settings, fields
from ui.shared.text import escape_markdown
from ui.shared.widgets import mirrored

_PREFIX = "setting_"


def widget_key(name: str) -> str:
    return _PREFIX + name


_TO_WIDGET: dict[str, Callable[[Field, Any], Any]] = {  # a stored value as its widget takes it, or an error
    "int": lambda spec, v: int(v), "float": lambda spec, v: float(v), "bool": lambda spec, v: bool(v),
    "text": lambda spec, v: str(v), "classes": lambda spec, v: [int(c) for c in v],
    "optional-int": lambda spec, v: None if v is None else int(v),
    "select": lambda spec, v: spec.options[spec.options.index(v)],
}


def _widget_value(spec: Field) -> Any:
    """The setting as its widget can show it. A stored value the widget cannot take gives way to the
    default, stored back too, so it can never break the page on every visit."""
    try:
        return _TO_WIDGET[spec.kind](spec, state.settings().get(spec.name))
    except (TypeError, ValueError, OverflowError):
        default = default_settings()[spec.name]
        state.update_setting(spec.name, default)
        return _TO_WIDGET[spec.kind](spec, default)


def _widget_kind(spec: Field) -> tuple[Callable[..., Any], dict[str, Any]]:
    """The Streamlit widget for a kind of setting, and its options. Number inputs have no bounds:
    TrainConfig alone says which values are allowed, in words."""
    if spec.kind == "select":
        return st.selectbox, {"options": spec.options}
    if spec.kind == "bool":
        return st.toggle, {}
    if spec.kind == "text":
        return st.text_input, {"placeholder": "e.g. 256, 128"}
    if spec.kind == "classes":
        return st.pills, {"options": spec.options, "selection_mode": "multi"}
    if spec.kind == "int":
        return st.number_input, {"step": int(spec.step or 1)}
    if spec.kind == "optional-int":  # value=None lets the field be emptied: empty means "all"
        return st.number_input, {"step": int(spec.step or 1), "value": None, "placeholder": "all"}
    return st.number_input, {"step": float(spec.step or 0.01), "format": spec.fmt}


def _widget(spec: Field, disabled: bool, rule: Rule) -> None:
    """One setting's widget; locked, with the reason in its help, when the teacher's rule fixes it."""
    widget, options = _widget_kind(spec)
    locked = not rule.permits(spec.name)
    help_text = f"{spec.help}\n\n🔒 {rule.why([spec.name])}" if locked else spec.help
    mirrored(widget, spec.label, key=widget_key(spec.name), current=_widget_value(spec),
             store=partial(state.update_setting, spec.name), help=help_text, disabled=disabled or locked, **options)


def _hold_fixed(rule: Rule) -> None:
    """Keep every setting the class fixed at its default, so the whole class shares it, and say so once."""
    settings = state.settings()
    held = rule.held(settings)
    if held != settings:
        state.replace_settings(held)
    st.info(f"Your teacher fixed this exercise: you change only {escape_markdown(rule.free_labels())}; every other "
            "setting stays at its default, the same for the whole class.", icon=":material/lock:")


def settings_form(disabled: bool = False) -> TrainConfig | None:
    """Every setting, grouped; returns the config they make, or None after showing why it is not valid."""
    rule = current_rule()
    if not rule.open:
        _hold_fixed(rule)
    current = state.settings()
    for group, tab in zip(GROUPS, st.tabs(list(GROUPS), key="settings_tabs")):  # a key: the open tab stays open
        # when a change shows or hides something above it (a class's first change did, and jumped back to Network)
        with tab:
            specs = [f for f in fields() if f.group == group and f.applies(current)]
            wide = [f for f in specs if f.kind in ("classes", "text", "bool")]
            narrow = [f for f in specs if f not in wide]
            for spec in wide:
                _widget(spec, disabled, rule)
            columns = st.columns(2)
            for i, spec in enumerate(narrow):
                with columns[i % 2]:
                    _widget(spec, disabled, rule)
    drawings_toggle(rule)
    try:
        return config_from_settings(state.settings())
    except ConfigError as error:  # parsing and TrainConfig raise nothing else for a bad value
        st.error(escape_markdown(error))  # it may quote what the student typed
        return None
