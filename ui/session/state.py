"""The one place that knows what a session keeps: settings, the current run, finished runs, choices.

Pages call these accessors instead of reading `st.session_state` by string, so the keys live here.
"""
from __future__ import annotations

import logging
import json
import math
import time
from typing import Any, Callable, Literal

import numpy as np
import streamlit as st
from streamlit import runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from mlp.model import Model
from store import Classes, ClassInfo, Membership, StoreError, StoreUnavailable
from training.memory import KEPT
from training.logs import short
from training.run import Run, TrainingRun
from ui.saving import records
from ui.saving import process_store
from ui.shared.network_files import UPLOADED
from ui.shared.settings import Settings, default_settings
from ui.shared.text import escape_markdown

log = logging.getLogger(__name__)

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
_UNREAD = "network_unread"  # uid -> (why the store could not give its network back, when)
_LINK_READ = "link_read"
_UPLOADS = "uploads_read"
_WORKSPACE = "workspace"
_WORKSPACE_TRIED = "workspace_tried"
_ROWS = "stored_rows"  # a run's uid -> its row in the store
_SAVER = "run_saver"
_UNSAVED = "unsaved_runs"  # ended runs the store could not take yet, [(record, its row id or None)], and when
_STORE_PROBLEM = "store_problem"
_SAVED_TEXT = "saved_state_text"
_WELCOME = "welcome_back"
_DRAWING_TEXT = "saved_drawing_text"
_MEMBERSHIP = "class_membership"
_TEACHING = "class_teaching"
_POSTING = "class_posting"
_LABELLED = "drawing_labelled"
_WITH_DRAWINGS = "train_with_class_drawings"
_NOTEBOOK = "notebook_choices"

NoticeKind = Literal["info", "warning", "success", "error"]
RETRY_SAVE_SECONDS = 10.0  # an ended run the store could not take (busy, out of reach) is written again after this
MAX_RUNS = 30  # runs a session keeps, each with its network (about 1 MB for 784-256-128-10)
READ_AGAIN_SECONDS = 5.0  # a network the store could not give back is asked for again after this, not on every call


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
    """A new training: Draw and Inspect follow it again, whatever model was picked before. In a workspace,
    it is saved as it trains (see ui.saving.process_store)."""
    st.session_state[RUN_KEY] = run
    st.session_state.pop(_CHOSEN, None)
    workspace_id = workspace()
    if workspace_id is not None:
        st.session_state[_SAVER] = _saving(lambda store: process_store.RunSaver(store, workspace_id, run))


def resume_run(saver: process_store.RunSaver) -> None:
    """A run still training in this process for this workspace (the tab was reloaded) is the session's again."""
    st.session_state[RUN_KEY] = saver.run
    st.session_state[_SAVER] = saver


def finished_runs() -> list[Run]:
    """Every run of this session that has ended, and every uploaded model, oldest first."""
    return st.session_state.setdefault(RUNS_KEY, [])


def _keep(record: Run) -> None:
    """Add a run to the session's; past MAX_RUNS the oldest run that Draw and Inspect are not using makes room,
    and the next page shown says so once."""
    in_use = _picked()
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
        _store_finished(run)
    _retry_unsaved()
    _say_released()


def _say_released() -> None:
    """Once per run: its network was let go to keep the server's memory under its cap (training.memory)."""
    told = st.session_state.setdefault(_RELEASED_TOLD, set())
    fresh = [r for r in finished_runs() if r.released and r.uid not in told]
    if fresh:
        told.update(r.uid for r in fresh)
        set_notice(released_words(fresh), "warning" if any(not r.in_store for r in fresh) else "info")


def released_words(runs: list[Run]) -> str:
    """What the owner reads of networks the memory cap let go: those the store holds come back when used; the
    others are gone (only their curves and results stay)."""
    back, gone = ([r for r in runs if r.in_store is kept] for kept in (True, False))
    words = []
    if back:
        words.append(f"The network of {_names(back)} was set aside to free the server's memory (the networks used "
                     "longest ago go first): it is read back from your saved work when you use it.")
    if gone:
        words.append(f"The network of {_names(gone)} was let go to free the server's memory (the networks used "
                     "longest ago go first); its curves and results stay. Download a network you want to keep.")
    return " ".join(words)


def _names(runs: list[Run]) -> str:
    return ", ".join(f"**{escape_markdown(r.name)}**" for r in runs)


def _store_finished(run: TrainingRun) -> None:
    """Write the ended run through its saver (whole, if the store failed when it started), then post it. A store
    out of reach (busy, down) keeps the run for a later page: see _retry_unsaved."""
    saver = st.session_state.get(_SAVER)
    if saver is None or saver.run is not run:  # no saver: the store failed when the run started
        _write_ended(run.record, None)
        return
    problem = saver.finish()
    if isinstance(problem, StoreUnavailable):
        set_store_problem(problem)
        _later(run.record, saver.row_id)
        return
    if problem is not None:  # over the workspace's limit: the row is kept without its network
        set_store_problem(problem)
    run.record.in_store = saver.network_saved
    _rows()[run.record.uid] = saver.row_id
    _post(saver.row_id)


def _write_ended(record: Run, row_id: int | None) -> bool:
    """An ended run's whole row (a new one, or its "running" row finished) and its post to the class board (an
    uploaded network is not posted);
    False when the store is out of reach (kept for later), True once written or refused for good (said)."""
    workspace_id = workspace()
    if workspace_id is None:
        return True
    row = records.stored(record)
    try:
        store = process_store.open_store()
        if row_id is None:
            row_id = store.add_run(workspace_id, row)
        else:
            store.finish_run(workspace_id, row_id, row)
    except StoreUnavailable as error:
        set_store_problem(error)
        _later(record, row_id)
        return False
    except StoreError as error:  # a limit: add_run kept nothing, finish_run the row without its network
        set_store_problem(error)
        if row_id is None:
            return True
    else:
        record.in_store = row.model is not None
    _rows()[record.uid] = row_id
    if record.status != UPLOADED:  # the board shows what the class trained
        _post(row_id)
    return True


def _later(record: Run, row_id: int | None) -> None:
    unsaved = st.session_state.setdefault(_UNSAVED, ([], 0.0))[0]
    if all(r is not record for r, _ in unsaved):
        unsaved.append((record, row_id))
    st.session_state[_UNSAVED] = (unsaved, time.monotonic())


def _retry_unsaved() -> None:
    """Every RETRY_SAVE_SECONDS, write the ended runs the store could not take (still in the session: a run
    deleted meanwhile is not written), and say so once they are saved."""
    unsaved, tried = st.session_state.get(_UNSAVED, ([], 0.0))
    if not unsaved or time.monotonic() - tried < RETRY_SAVE_SECONDS:
        return
    st.session_state[_UNSAVED] = ([], time.monotonic())
    kept = [(record, row_id) for record, row_id in unsaved if find_run(record.uid) is record]
    saved_now = [record for record, row_id in kept if _write_ended(record, row_id)]
    if saved_now:
        names = ", ".join(f"**{escape_markdown(r.name)}**" for r in saved_now)
        set_notice(f"Saved now: {names} (the store could not take it when it ended).", "success")


def add_run(record: Run) -> None:
    """Keep a run made outside training (an uploaded model) and make it the one Draw and Inspect use."""
    _keep(record)
    choose_run(record.uid)
    _write_ended(record, None)


def find_run(uid: int | None) -> Run | None:
    return next((r for r in finished_runs() if r.uid == uid), None)


def run_of(model: Model) -> Run | TrainingRun | None:
    """The run whose network `model` is: a kept run's, else the session's training run (latest_model's other
    source, whose copies change as it learns). What says which drawings it trained on."""
    return next((r for r in finished_runs() if r.model is model), None) or current_run()


def rename_run(uid: int, name: str) -> None:
    record = find_run(uid)
    if record is not None and name.strip():
        record.name = name.strip()
        run = current_run()
        if run is not None and run.record is record:
            run.name = record.name  # the sidebar names the current run too
        row_id = _rows().get(uid)
        if row_id is not None:
            _saving(lambda store: store.rename_run(workspace(), row_id, record.name))


def delete_run(uid: int) -> None:
    runs = finished_runs()
    runs[:] = [r for r in runs if r.uid != uid]
    row_id = _rows().pop(uid, None)
    if row_id is not None:
        _saving(lambda store: store.delete_run(workspace(), row_id))


def model_runs() -> list[Run]:
    """The runs whose network can be used (in memory or in the store; none whose weights turned into NaN), newest
    first."""
    return [r for r in reversed(finished_runs()) if r.usable]


def _picked() -> Run | None:
    runs = model_runs()
    picked = st.session_state.get(_CHOSEN)
    return next((r for r in runs if r.uid == picked), runs[0] if runs else None)


def chosen_run() -> Run | None:
    """The run whose network Inspect shows and Draw uses when nothing trains: the one picked, else the newest, its
    network in memory (read back from the store if need be; missing only while the store cannot give it: see
    network_trouble). One whose network turns out unusable leaves the menus for the next."""
    chosen = _picked()
    while chosen is not None and network(chosen) is None and not chosen.usable:
        chosen = _picked()
    return chosen


def network(record: Run) -> Model | None:
    """The run's network, for a page to use (the one way pages read it): in memory, else read back from the
    workspace's store (validated as an upload is, then counted again by the server's cap, which may let go of
    networks used longer ago). None when it has no usable one, or while the store cannot give it (see
    network_trouble; asked again after READ_AGAIN_SECONDS)."""
    model = record.model
    if model is None and record.in_store:
        model = _read_back(record)
    if model is not None:
        record.touch()  # in use: the last network the server's memory cap lets go
    return model if record.usable else None


def _read_back(record: Run) -> Model | None:
    """Its network from the workspace's row; a row gone or unreadable takes the run out of the menus for good."""
    unread = st.session_state.setdefault(_UNREAD, {})
    if time.monotonic() - unread.get(record.uid, ("", -math.inf))[1] < READ_AGAIN_SECONDS:
        return None
    row_id, workspace_id = _rows().get(record.uid), workspace()
    try:
        content = (process_store.open_store().run_model(workspace_id, row_id)
                   if row_id is not None and workspace_id is not None else None)
        model = records.network(content, record.name) if content is not None else None
    except StoreError as error:
        log.warning("run %r's network not read from workspace %s: %s", record.name, short(workspace_id), error)
        unread[record.uid] = (str(error), time.monotonic())
        return None
    except records.UNREADABLE:
        model = None
    unread.pop(record.uid, None)
    if model is None:  # deleted meanwhile (in another tab), or unreadable: its curves and results stay
        record.in_store = False
        return None
    record.take_network(model)
    KEPT.keep(record)
    _say_released()  # on the page now, when this let go of this session's others
    return model


def network_trouble(record: Run | None) -> str:
    """Why a usable run's network is not here now: the store could not give it back ('' when nothing is wrong)."""
    problem = st.session_state.get(_UNREAD, {}).get(record.uid) if record is not None else None
    if problem is None or record.model is not None:
        return ""
    return (f"The network of **{escape_markdown(record.name)}** is kept in your saved work, which cannot be read just "
            f"now: {escape_markdown(problem[0])} Its curves and results are here; its network is read back when you "
            "use it again once the store answers.")


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
    return (network(record), record.name) if record is not None else (None, "")


def drawn_digit() -> np.ndarray | None:
    """The last digit drawn on the Draw page, as the 28x28 image the network receives."""
    return st.session_state.get(DIGIT_KEY)


def set_drawn_digit(image: np.ndarray | None) -> None:
    """Keep the digit for the Inspect page; None (an emptied canvas, a stray dot) forgets the last one."""
    if image is None:
        st.session_state.pop(DIGIT_KEY, None)
    else:
        st.session_state[DIGIT_KEY] = np.asarray(image, dtype=np.float32).reshape(28, 28)
    _save_drawing()


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
    _save_drawing()


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


# ----- saved work: the session's workspace in the store -----
def workspace() -> str | None:
    """The id of the workspace this session saves into (it rides in the page address), or None: in memory only."""
    return st.session_state.get(_WORKSPACE)


def workspace_tried() -> bool:
    """Whether this session has looked for its workspace yet (once, on arrival)."""
    return st.session_state.get(_WORKSPACE_TRIED, False)


def set_workspace(workspace_id: str | None) -> None:
    st.session_state[_WORKSPACE_TRIED] = True
    st.session_state[_WORKSPACE] = workspace_id


def _rows() -> dict[int, int]:
    return st.session_state.setdefault(_ROWS, {})


def restore_runs(runs: list[tuple[int, Run]]) -> None:
    """Runs brought back from the store (oldest first) become the session's; new runs number on after them. Their
    networks stay in the store until used (see network), when the server's cap on kept networks counts them."""
    finished_runs()[:] = [record for _, record in runs]
    _rows().update({record.uid: row_id for row_id, record in runs})
    st.session_state[_COUNTER] = max(st.session_state.get(_COUNTER, 0),
                                     records.last_run_number([record.name for _, record in runs]))


def start_fresh(workspace_id: str | None) -> None:
    """An empty workspace: no runs, default settings, an empty canvas (the old workspace stays at its address)."""
    for key in (RUN_KEY, RUNS_KEY, _CHOSEN, _COMPARED, _COUNTER, _COLLECTED, _ROWS, _SAVER, _UNSAVED, _UNREAD,
                DIGIT_KEY, _SAVED_TEXT, _DRAWING_TEXT, _MEMBERSHIP):
        st.session_state.pop(key, None)
    replace_settings(default_settings())
    clear_canvas()
    set_workspace(workspace_id)


def drawing() -> dict | None:
    """The canvas's last drawing (fabric.js objects), as set_drawing kept it."""
    return st.session_state.get(DRAWING_KEY)


def _save_drawing() -> None:
    """Keep the workspace's copy of the drawing in step, when it changed: the Draw page changes it in a
    fragment, without the full rerun that saves the settings."""
    workspace_id = workspace()
    payload = records.drawing_payload(drawing(), drawn_digit())
    text = json.dumps(payload)
    if workspace_id is None or text == st.session_state.get(_DRAWING_TEXT):
        return
    st.session_state[_DRAWING_TEXT] = text
    _saving(lambda store: store.save_workspace_state(workspace_id, drawing=payload))


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


def set_store_problem(error: StoreError) -> None:
    log.warning("saved work of workspace %s: %s", short(workspace()), error)
    st.session_state[_STORE_PROBLEM] = (str(error), isinstance(error, StoreUnavailable))


def _saving(action: Callable[[Any], Any]) -> Any:
    """`action(store)`, or None when the store fails: the session goes on in memory and says why once."""
    try:
        return action(process_store.open_store())
    except StoreError as error:
        set_store_problem(error)
        return None


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


def _post(row_id: int) -> None:
    """Put a saved run on the class board, when the student is in a class and posts."""
    member = membership()
    if member is not None and posting():
        _saving(lambda store: Classes(store).post(member, row_id))


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
