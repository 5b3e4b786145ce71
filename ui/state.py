"""The one place that knows what a session keeps: settings, the current run, finished runs, choices.

Pages call these accessors instead of reading `st.session_state` by string, so the keys live here.
"""
from __future__ import annotations

from typing import Any, Callable

import streamlit as st
from streamlit import runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from mlp.model import Model
from ui.controller import Run, TrainingRun
from ui.settings import Settings, default_settings

_SETTINGS = "settings"
RUN_KEY = "training_run"  # public: tests wait on the run object
_RUNS = "finished_runs"
_DATA_FOLDER = "data_folder"
_NOTICE = "notice"
_CANVAS = "canvas_generation"
_COUNTER = "run_counter"


def settings() -> Settings:
    """The settings dict the widgets show (kept here because widget values vanish on a page switch)."""
    if _SETTINGS not in st.session_state:
        st.session_state[_SETTINGS] = default_settings()
    return st.session_state[_SETTINGS]


def replace_settings(values: Settings) -> None:
    st.session_state[_SETTINGS] = dict(values)


def update_setting(name: str, value: Any) -> None:
    settings()[name] = value


def current_run() -> TrainingRun | None:
    return st.session_state.get(RUN_KEY)


def set_current_run(run: TrainingRun) -> None:
    st.session_state[RUN_KEY] = run


def finished_runs() -> list[Run]:
    """Every run of this session that has ended, oldest first (with its model, for comparing)."""
    return st.session_state.setdefault(_RUNS, [])


def collect_finished() -> None:
    """Move the current run's record into the finished list once, when it has ended."""
    run = current_run()
    if run is not None and run.done and run.record is not None:
        runs = finished_runs()
        if not any(r is run.record for r in runs):
            runs.append(run.record)


def next_run_name(label: str) -> str:
    """'Run 3: Modern …': numbered within the session, so runs can be told apart when compared."""
    count = st.session_state.get(_COUNTER, 0) + 1
    st.session_state[_COUNTER] = count
    return f"Run {count}: {label}" if label else f"Run {count}"


def latest_model() -> tuple[Model | None, str]:
    """The model to draw with, and a few words on where it comes from."""
    run = current_run()
    if run is not None:
        model = run.model()
        if model is not None:
            where = "still training" if run.active else run.state
            return model, f"{run.name} ({where})"
    for record in reversed(finished_runs()):
        if record.model is not None:
            return record.model, record.name
    return None, ""


def data_folder() -> str:
    """A data folder named on the home page, or '' for the server's default."""
    return st.session_state.get(_DATA_FOLDER, "")


def set_data_folder(folder: str) -> None:
    st.session_state[_DATA_FOLDER] = folder.strip()


def set_notice(text: str) -> None:
    """A message for the next render (e.g. why Start did nothing), shown once."""
    st.session_state[_NOTICE] = text


def pop_notice() -> str:
    return st.session_state.pop(_NOTICE, "")


def canvas_generation() -> int:
    return st.session_state.get(_CANVAS, 0)


def clear_canvas() -> None:
    """A new key gives a fresh, empty canvas."""
    st.session_state[_CANVAS] = canvas_generation() + 1


def connection_probe() -> Callable[[], bool]:
    """A thread-safe check that this browser tab is still connected, for a run's heartbeat."""
    ctx = get_script_run_ctx()
    session_id = ctx.session_id if ctx is not None else None

    def connected() -> bool:
        return session_id is not None and runtime.exists() and runtime.get_instance().is_active_session(session_id)

    return connected
