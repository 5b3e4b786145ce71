"""The one place that knows what a session keeps: settings, the current run, finished runs, choices.

Pages call these accessors instead of reading `st.session_state` by string, so the keys live here. Reading and
setting them never touches the store: saving is ui.saving's, called where a page says so (its bookkeeping, which
run is which row, is kept here too, in `SavingBooks`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Hashable, Literal

import numpy as np
import streamlit as st
from streamlit import runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from mlp.model import Model
from training.memory import KEPT
from training.record import Run, last_run_number, run_name
from training.replay import ReplayRun
from training.run import TrainingRun
from ui.shared.network_files import UPLOADED
from ui.shared.settings import Settings, default_settings

if TYPE_CHECKING:  # annotations only: the classes are the store's records, read through ui.saving
    from store import ClassInfo, Membership

_SETTINGS = "settings"
RUN_KEY = "training_run"  # public: tests wait on the run object
RUNS_KEY = "finished_runs"  # public: tests leave a finished run as training would
_NOTICE = "notice"
_CANVAS = "canvas_generation"
_BRUSH = "brush_width"
_COUNTER = "run_counter"
_STOPPED = "stop_asked"
_AGAIN = "again_asked"
_FOCUS = "focus_run_controls"
_START = "start_asked"
_CHOSEN = "chosen_run"
DIGIT_KEY = "drawn_digit"  # public: tests leave a digit as the Draw page would
DRAWING_KEY = "canvas_drawing"  # public: tests leave a drawing as the canvas would
_CANVAS_START = "canvas_start"
_COMPARED = "compared_runs"
_LINK_READ = "link_read"
_UPLOADS = "uploads_read"
_WORKSPACE = "workspace"
_WORKSPACE_TRIED = "workspace_tried"
_WORKSPACE_UNWRITTEN = "workspace_unwritten"
_STORE_PROBLEM = "store_problem"
_SAVED_TEXT = "saved_state_text"
_WELCOME = "welcome_back"
_MEMBERSHIP = "class_membership"
_TEACHING = "class_teaching"
_POSTING = "class_posting"
_LABELLED = "drawing_labelled"
_WITH_DRAWINGS = "train_with_class_drawings"
_NOTEBOOK = "notebook_choices"
NOTEBOOK_RUNS_KEY = "notebook_runs"  # public: tests wait on the Notebook's runs the page shows
_BOOKS = "saving_books"

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


def again_asked() -> TrainingRun | None:
    """The run whose "Start again" waits for it to end (stopped first: one training per session at a time)."""
    return st.session_state.get(_AGAIN)


def set_again_asked(run: TrainingRun | None) -> None:
    st.session_state[_AGAIN] = run


def ask_start() -> None:
    """Start was clicked: the page starts the run once it has read the settings in the same rerun (a click's own
    arguments are those of the render it was clicked on, which a setting typed just before may not have reached)."""
    st.session_state[_START] = True


def pop_start_asked() -> bool:
    return bool(st.session_state.pop(_START, False))


def focus_control(key: str) -> None:
    """A click changed the run's controls (Start: Pause comes; Pause: Resume takes its place): the Train page puts the
    keyboard's focus on the control `key` once it can act, rather than leaving it on the page itself."""
    st.session_state[_FOCUS] = key


def pop_focus_control() -> str | None:
    return st.session_state.pop(_FOCUS, None)


def last_trained() -> Run | None:
    """The newest kept run that was trained here (not an uploaded network): what the Train page shows when the
    session has no run of its own, as after a reload or a server restart, which bring it back from the store."""
    return next((r for r in reversed(finished_runs()) if r.status != UPLOADED), None)


def set_current_run(run: TrainingRun) -> None:
    """A new training (or one still training for this workspace after a reload): Draw and Inspect follow it
    again, whatever model was picked before."""
    st.session_state[RUN_KEY] = run
    st.session_state.pop(_CHOSEN, None)


def finished_runs() -> list[Run]:
    """Every run of this session that has ended, and every uploaded model, oldest first."""
    return st.session_state.setdefault(RUNS_KEY, [])


def find_run(uid: int | None) -> Run | None:
    return next((r for r in finished_runs() if r.uid == uid), None)


def run_of(model: Model) -> Run | TrainingRun | None:
    """The run whose network `model` is: a kept run's, else the session's training run (latest_model's other
    source, whose copies change as it learns). What says which drawings it trained on."""
    return next((r for r in finished_runs() if r.model is model), None) or current_run()


def model_runs() -> list[Run]:
    """The runs whose network can be used (in memory or in the store; none whose weights turned into NaN), newest
    first."""
    return [r for r in reversed(finished_runs()) if r.usable]


def picked_run() -> Run | None:
    """The run picked for Draw and Inspect, else the newest usable one (its network may still be in the store:
    ui.saving.networks.chosen_run reads it back)."""
    runs = model_runs()
    picked = st.session_state.get(_CHOSEN)
    return next((r for r in runs if r.uid == picked), runs[0] if runs else None)


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
    return run_name(count, label)


def keep_run(record: Run) -> Run | None:
    """Add an ended run to the session's. Past MAX_RUNS, the run that must make room: the oldest one that Draw and
    Inspect are not using (ui.saving deletes it, its row with it, and says so)."""
    in_use = picked_run()
    runs = finished_runs()
    runs.append(record)
    KEPT.keep(record)  # the server's cap on kept networks, across sessions
    if len(runs) <= MAX_RUNS:
        return None
    return next(r for r in runs if r is not in_use and r is not record)


def forget_run(uid: int) -> int | None:
    """Take a run out of the session; its row in the store, if it has one (for ui.saving to delete)."""
    runs = finished_runs()
    runs[:] = [r for r in runs if r.uid != uid]
    return books().rows.pop(uid, None)


def ended_run() -> TrainingRun | None:
    """The session's run once it has ended with a record, the first time it is asked (then None: a run the user
    deleted afterwards is not kept again)."""
    run = current_run()
    books_ = books()
    if run is None or not run.done or run.record is None or books_.collected is run:
        return None
    books_.collected = run
    return run


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


def notebook_runs() -> dict[Hashable, tuple[ReplayRun, bool]]:
    """The Notebook's runs under way when the page was last drawn, by key, each with whether this session started
    it (True) or found it started by another page (the server trains each once)."""
    return st.session_state.get(NOTEBOOK_RUNS_KEY, {})


def set_notebook_runs(runs: dict[Hashable, tuple[ReplayRun, bool]]) -> None:
    st.session_state[NOTEBOOK_RUNS_KEY] = runs


# ----- saved work: the session's workspace in the store -----
def workspace() -> str | None:
    """The id of the workspace this session saves into (it rides in the page address), or None: in memory only."""
    return st.session_state.get(_WORKSPACE)


def workspace_tried() -> bool:
    """Whether this session has looked for its workspace yet (once, on arrival)."""
    return st.session_state.get(_WORKSPACE_TRIED, False)


def set_workspace(workspace_id: str | None, *, written: bool = True) -> None:
    """The session's workspace; `written=False`: a new one whose row the store does not hold yet (ui.saving writes
    it with the first thing worth saving)."""
    st.session_state[_WORKSPACE_TRIED] = True
    st.session_state[_WORKSPACE] = workspace_id
    st.session_state[_WORKSPACE_UNWRITTEN] = not written


def workspace_written() -> bool:
    """Whether the store holds the session's workspace (its id then rides in the address and the cookie)."""
    return st.session_state.get(_WORKSPACE) is not None and not st.session_state.get(_WORKSPACE_UNWRITTEN, False)


def mark_workspace_written() -> None:
    st.session_state[_WORKSPACE_UNWRITTEN] = False


@dataclass
class SavingBooks:
    """What ui.saving notes in a session to keep the store in step with it (nothing here writes)."""
    rows: dict[int, int] = field(default_factory=dict)  # a run's uid -> its row in the store
    saver: Any = None  # the current run's ui.saving.process_store.RunSaver, while there is one
    collected: TrainingRun | None = None  # the ended run already kept (kept once only)
    unsaved: list[tuple[Run, int | None]] = field(default_factory=list)  # ended runs the store could not take yet
    unsaved_tried: float = 0.0  # when they were last tried (time.monotonic)
    pending: list[Any] = field(default_factory=list)  # savers of ended runs whose final row the server still tries
    store_lost: int | None = None  # the store's `lost` count this session's workspace was last written at
    unread: dict[int, tuple[str, float]] = field(default_factory=dict)  # uid -> why its network was not read, when
    drawing_text: str = ""  # the drawing as last written (JSON), to write only when it changed
    released_told: set[int] = field(default_factory=set)  # uids of runs whose letting go was already said


def books() -> SavingBooks:
    return st.session_state.setdefault(_BOOKS, SavingBooks())


def restore_runs(runs: list[tuple[int, Run]]) -> None:
    """Runs brought back from the store (oldest first) become the session's; new runs number on after them. Their
    networks stay in the store until used (see network), when the server's cap on kept networks counts them."""
    finished_runs()[:] = [record for _, record in runs]
    books().rows.update({record.uid: row_id for row_id, record in runs})
    st.session_state[_COUNTER] = max(st.session_state.get(_COUNTER, 0),
                                     last_run_number([record.name for _, record in runs]))


def start_fresh(workspace_id: str | None) -> None:
    """An empty workspace: no runs, default settings, an empty canvas (the old workspace stays at its address)."""
    for key in (RUN_KEY, RUNS_KEY, _CHOSEN, _COMPARED, _COUNTER, _BOOKS, DIGIT_KEY, _SAVED_TEXT, _MEMBERSHIP, _AGAIN):
        st.session_state.pop(key, None)
    replace_settings(default_settings())
    clear_canvas()
    set_workspace(workspace_id)


def drawing() -> dict | None:
    """The canvas's last drawing (fabric.js objects), as set_drawing kept it."""
    return st.session_state.get(DRAWING_KEY)


def saved_text() -> str:
    """The settings as last written to the store (JSON), to write only when they changed."""
    return st.session_state.get(_SAVED_TEXT, "")


def set_saved_text(text: str) -> None:
    st.session_state[_SAVED_TEXT] = text


def set_welcome(text: str, kind: NoticeKind) -> None:
    """What came back from the workspace on arrival, said once (apart from the notice a link may leave)."""
    st.session_state[_WELCOME] = (text, kind)


def pop_welcome() -> tuple[str, NoticeKind]:
    return st.session_state.pop(_WELCOME, ("", "success"))


def store_problem() -> tuple[str, bool]:
    """Why the last write to the store failed ('' when none since it was shown), and whether the store
    is out of reach (else a limit was reached); shown once."""
    return st.session_state.pop(_STORE_PROBLEM, ("", False))


def set_store_problem(words: str, unreachable: bool) -> None:
    st.session_state[_STORE_PROBLEM] = (words, unreachable)


# ----- a class: the workspace's membership, or the class this session teaches -----
def membership() -> Membership | None:
    """The class this session's workspace joined (its nickname, the class), if any."""
    return st.session_state.get(_MEMBERSHIP)


def set_membership(member: Membership | None) -> None:
    st.session_state[_MEMBERSHIP] = member


def teaching() -> tuple[ClassInfo, str] | None:
    """The class this session moderates and the teacher's secret (it came with the teacher's link), if any."""
    return st.session_state.get(_TEACHING)


def set_teaching(room: ClassInfo | None, secret: str = "") -> None:
    st.session_state[_TEACHING] = (room, secret) if room is not None else None


def posting() -> bool:
    """Whether the student's ended runs go to the class board (on unless turned off)."""
    return st.session_state.get(_POSTING, True)


def set_posting(on: bool) -> None:
    st.session_state[_POSTING] = bool(on)


def with_drawings() -> bool:
    """Whether the student's next runs add the class's drawings (of writers not held out) to their training data."""
    return st.session_state.get(_WITH_DRAWINGS, False)


def set_with_drawings(on: bool) -> None:
    st.session_state[_WITH_DRAWINGS] = bool(on)


def labelled() -> tuple[bytes, int] | None:
    """The drawing last kept with its label (its digit's bytes, the label), so the page can say so."""
    return st.session_state.get(_LABELLED)


def set_labelled(digit: np.ndarray, label: int) -> None:
    st.session_state[_LABELLED] = (np.asarray(digit, dtype=np.float32).tobytes(), int(label))
