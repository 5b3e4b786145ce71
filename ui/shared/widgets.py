"""Widgets whose value lives in the session's own state, written once for every page."""
from __future__ import annotations

from typing import Any, Callable

import streamlit as st


def mirrored(widget: Callable[..., Any], label: str, *, key: str, current: Any, store: Callable[[Any], None],
             **options: Any) -> Any:
    """`widget(label, key=key, **options)` showing `current`; each value the user picks goes to `store`.

    Streamlit forgets a widget's value when the user opens another page, so the value lives in the session's
    own state (a settings dict, a chosen run) and seeds the widget on every render. `current` must be one the
    widget accepts (an option of a select box, a number for a number input). Returns what the widget returns.
    """
    st.session_state[key] = current

    def changed() -> None:
        store(st.session_state[key])

    return widget(label, key=key, on_change=changed, **options)
