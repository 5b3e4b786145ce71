"""The one place that knows what a session keeps: settings, the current run, finished runs, choices.

Pages call these accessors instead of reading `st.session_state` by string, so the keys live here.
"""
from __future__ import annotations

from typing import Any, Callable, Literal

import numpy as np
import streamlit as st
from streamlit import runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from mlp.model import Model
from ui.controller import Run, TrainingRun
from ui.kept import KEPT
from ui.settings import Settings, default_settings
from ui.text import escape_markdown

_SETTINGS = "settings"
RUN_KEY = "training_run"  # public: tests wait on the run object
RUNS_KEY = "finished_runs"  # public: tests leave a finished run as training would
_NOTICE = "notice"
_CANVAS = "canvas_generation"
_BRUSH = "brush_width"
_COUNTER = "run_counter"
_COLLECTED = "collected_run"
_STOPPED = "stop_asked"
_CHOSEN = "chosen_run"
DIGIT_KEY = "drawn_digit"  # public: tests leave a digit as the Draw page would
DRAWING_KEY = "canvas_drawing"  # public: tests leave a drawing as the canvas would
_CANVAS_START = "canvas_start"
_COMPARED = "compared_runs"
_RELEASED_TOLD = "released_told"  # uids of runs whose network the memory cap let go, already said
_LINK_READ = "link_read"
_UPLOADS = "uploads_read"
_NOTEBOOK = "notebook_choices"

NoticeKind = Literal["info", "warning", "success", "error"]
MAX_RUNS = 30  # runs a session keeps, each with its network (about 1 MB for 784-256-128-10)


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


def active_run() -> TrainingRun | None:
    """The session's run while it is queued, running or paused (the one test of "is a run active")."""
    run = current_run()
    return run if run is not None and run.active else None


def stop_asked(run: TrainingRun) -> bool:
    """Whether the user pressed Stop on this run (it may still be measuring its test accuracy)."""
    return st.session_state.get(_STOPPED) is run


def mark_stop_asked(run: TrainingRun) -> None:
    st.session_state[_STOPPED] = run


def set_current_run(run: TrainingRun) -> None:
    """A new training: Draw and Inspect follow it again, whatever model was picked before."""
    st.session_state[RUN_KEY] = run
    st.session_state.pop(_CHOSEN, None)


def finished_runs() -> list[Run]:
    """Every run of this session that has ended, and every uploaded model, oldest first."""
    return st.session_state.setdefault(RUNS_KEY, [])


def _keep(record: Run) -> None:
    """Add a run to the session's; past MAX_RUNS the oldest run that Draw and Inspect are not using makes room,
    and the next page shown says so once."""
    in_use = chosen_run()
    runs = finished_runs()
    runs.append(record)
    KEPT.keep(record)  # the server's cap on kept networks, across sessions
    if len(runs) > MAX_RUNS:
        dropped = next(r for r in runs if r is not in_use and r is not record)
        delete_run(dropped.uid)
        set_notice(f"**{escape_markdown(dropped.name)}** was removed to make room: a session keeps at most {MAX_RUNS} runs; "
                   "download a network you want to keep.", "warning")


def collect_finished() -> None:
    """Move the current run's record into the finished list once, when it has ended (once only, so a
    run the user deleted stays deleted)."""
    run = current_run()
    if run is not None and run.done and run.record is not None and st.session_state.get(_COLLECTED) is not run:
        st.session_state[_COLLECTED] = run
        _keep(run.record)
    _say_released()


def _say_released() -> None:
    """Once per run: its network was let go to keep the server's memory under its cap (ui.kept)."""
    told = st.session_state.setdefault(_RELEASED_TOLD, set())
    fresh = [r for r in finished_runs() if r.released and r.uid not in told]
    if fresh:
        told.update(r.uid for r in fresh)
        names = ", ".join(f"**{escape_markdown(r.name)}**" for r in fresh)
        set_notice(f"The network of {names} was let go to free the server's memory (the networks used longest "
                   "ago go first); its curves and results stay. Download a network you want to keep.", "warning")


def add_run(record: Run) -> None:
    """Keep a run made outside training (an uploaded model) and make it the one Draw and Inspect use."""
    _keep(record)
    choose_run(record.uid)


def find_run(uid: int | None) -> Run | None:
    return next((r for r in finished_runs() if r.uid == uid), None)


def rename_run(uid: int, name: str) -> None:
    record = find_run(uid)
    if record is not None and name.strip():
        record.name = name.strip()
        run = current_run()
        if run is not None and run.record is record:
            run.name = record.name  # the sidebar names the current run too


def delete_run(uid: int) -> None:
    runs = finished_runs()
    runs[:] = [r for r in runs if r.uid != uid]


def model_runs() -> list[Run]:
    """The runs whose network can be used (none whose weights turned into NaN), newest first."""
    return [r for r in reversed(finished_runs()) if r.usable]


def chosen_run() -> Run | None:
    """The run whose network Inspect shows and Draw uses when nothing trains: the one picked, else the newest."""
    runs = model_runs()
    picked = st.session_state.get(_CHOSEN)
    chosen = next((r for r in runs if r.uid == picked), runs[0] if runs else None)
    if chosen is not None:
        chosen.touch()  # in use: the last network the server's memory cap lets go
    return chosen


def choose_run(uid: int | None) -> None:
    st.session_state[_CHOSEN] = uid


def compared_runs() -> list[int] | None:
    """The runs picked on the Compare page (their uids), or None before any choice."""
    return st.session_state.get(_COMPARED)


def set_compared_runs(uids: list[int]) -> None:
    st.session_state[_COMPARED] = list(uids)


def next_run_name(label: str) -> str:
    """'Run 3: Modern …': numbered within the session, so runs can be told apart when compared."""
    count = st.session_state.get(_COUNTER, 0) + 1
    st.session_state[_COUNTER] = count
    return f"Run {count}: {label}" if label else f"Run {count}"


def latest_model() -> tuple[Model | None, str]:
    """The model to draw with, and a few words on where it comes from: the network training now
    (so the answer follows it as it learns), else the chosen run's."""
    collect_finished()
    run = active_run()
    if run is not None:
        model = run.model()
        if model is not None:
            return model, f"{run.name} (still training)"
    record = chosen_run()
    return (record.model, record.name) if record is not None else (None, "")


def drawn_digit() -> np.ndarray | None:
    """The last digit drawn on the Draw page, as the 28x28 image the network receives."""
    return st.session_state.get(DIGIT_KEY)


def set_drawn_digit(image: np.ndarray | None) -> None:
    """Keep the digit for the Inspect page; None (an emptied canvas, a stray dot) forgets the last one."""
    if image is None:
        st.session_state.pop(DIGIT_KEY, None)
    else:
        st.session_state[DIGIT_KEY] = np.asarray(image, dtype=np.float32).reshape(28, 28)


def set_notice(text: str, kind: NoticeKind = "info") -> None:
    """A message for the next render (e.g. why Start did nothing), shown once."""
    st.session_state[_NOTICE] = (text, kind)


def pop_notice() -> tuple[str, NoticeKind]:
    return st.session_state.pop(_NOTICE, ("", "info"))


def link_read() -> bool:
    """Whether this session has already taken its settings from the page address (done once, on arrival)."""
    return st.session_state.get(_LINK_READ, False)


def mark_link_read() -> None:
    st.session_state[_LINK_READ] = True


def upload_outcome(file_id: str) -> tuple[str, NoticeKind] | None:
    """What became of an uploaded file already read (the uploader keeps offering it on every rerun)."""
    return st.session_state.setdefault(_UPLOADS, {}).get(file_id)


def set_upload_outcome(file_id: str, message: str, kind: NoticeKind) -> None:
    st.session_state.setdefault(_UPLOADS, {})[file_id] = (message, kind)


def set_drawing(json_data: dict | None) -> None:
    """Keep the canvas's last drawing (its fabric.js objects), to show it again after a visit to another page."""
    st.session_state[DRAWING_KEY] = json_data


def canvas_start(fresh: bool) -> dict | None:
    """The drawing the canvas starts from: the last one when the canvas appears anew (`fresh`: the student
    comes back from another page), then that same one for as long as it stays on screen. A different
    starting drawing would make the canvas reload it, forget its undo history and send it back again."""
    if fresh:
        st.session_state[_CANVAS_START] = st.session_state.get(DRAWING_KEY)
    return st.session_state.get(_CANVAS_START)


def brush_width(default: int) -> int:
    """The Draw page's brush width in canvas pixels, kept across pages (a widget's own value is not)."""
    return st.session_state.get(_BRUSH, default)


def set_brush_width(width: int) -> None:
    """A new brush width. The canvas receives new settings with it and may reload its starting drawing:
    that becomes the drawing on it now, so a wider brush never wipes what is drawn (only its undo history)."""
    st.session_state[_BRUSH] = int(width)
    st.session_state[_CANVAS_START] = st.session_state.get(DRAWING_KEY)


def canvas_generation() -> int:
    return st.session_state.get(_CANVAS, 0)


def clear_canvas() -> None:
    """A new key gives a fresh, empty canvas, and the drawing is no longer kept."""
    st.session_state[_CANVAS] = canvas_generation() + 1
    st.session_state.pop(DRAWING_KEY, None)
    st.session_state.pop(_CANVAS_START, None)


def connection_probe() -> Callable[[], bool]:
    """A thread-safe check that this browser tab is still connected, for a run's heartbeat."""
    ctx = get_script_run_ctx()
    session_id = ctx.session_id if ctx is not None else None

    def connected() -> bool:
        return session_id is not None and runtime.exists() and runtime.get_instance().is_active_session(session_id)

    return connected


def notebook_choice(name: str, default: Any) -> Any:
    """One of the Notebook page's choices (attempt, step of the ladder, run size), kept across page visits."""
    return st.session_state.setdefault(_NOTEBOOK, {}).get(name, default)


def set_notebook_choice(name: str, value: Any) -> None:
    st.session_state.setdefault(_NOTEBOOK, {})[name] = value
