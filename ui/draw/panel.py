"""The Draw page's parts: the canvas, the 28x28 image the network receives, and its answer.

Imports streamlit_drawable_canvas, which only works under `streamlit run` or AppTest: keep this
module out of unit tests.
"""
from __future__ import annotations

import logging
import threading
from pathlib import Path

import numpy as np
import streamlit as st
from streamlit_drawable_canvas import st_canvas

from mlp.data.mnist import Dataset
from mlp.drawing.novelty import NoveltyCheck, fit_novelty
from mlp.model import Model
from training import reference
from training.once import fingerprint
from ui import state
from ui.draw.data import (
    CHECKING,
    CHECKING_WORDS,
    EMPTY_HINT,
    SURE_IS_NOT_RIGHT,
    TOO_LITTLE_HINT,
    UNREADABLE,
    CanvasReading,
    Doubt,
    answer,
    combined_doubt,
    doubt,
    doubt_trusted,
    doubt_words,
    quick_config,
    reference_config,
    read_canvas,
    readable,
    rows_of,
    strokes_to_keep,
    style_lesson,
    weak_words,
)
from ui.frame import data
from ui.frame.layout import poll_while_active
from ui.frame.navigation import link
from ui.frame.training import run_status, start_training
from ui.panels.handwriting import handwriting_score, label_buttons
from ui.saving.drawings import save_drawing
from ui.saving.networks import chosen_run, following_training, latest_model
from ui.saving.process_store import state_folder
from ui.shared.figures import pixelated, probability_figure, sure
from ui.shared.text import escape_markdown

log = logging.getLogger(__name__)
CANVAS_SIDE = 280
PREVIEW_SCALE = 8  # 28 x 8 = 224 pixels: every input pixel a clear square
BRUSH = 20  # the starting brush width, canvas pixels
BRUSH_RANGE = (6, 40)
REFERENCES = 5000  # training digits the "not a digit" check compares a drawing with
QUICK_LABEL = "quick model"
POLL_SECONDS = 1.0
# The canvas component has one size in pixels; CSS zoom scales its whole column (the canvas, its toolbar
# and heading) with the screen, and the canvas maps the pointer through the zoom (checked in Chromium,
# tests/test_browser_draw.py). The zoom goes on the column's wrapper, which holds its width.
SCALING_CSS = """<style>
@media (max-width: 640px) { div:has(> .st-key-drawing) { zoom: 1.15; } }
@media (min-width: 1400px) and (min-height: 760px) { div:has(> .st-key-drawing) { zoom: 1.35; } }
@media (min-width: 1800px) and (min-height: 1000px) { div:has(> .st-key-drawing) { zoom: 1.6; } }
</style>"""


def no_model_yet() -> None:
    """With no network in the session and none training: say so, and offer a one-click quick training."""
    st.info("There is no trained network in this session yet. Train one on the **Train** page, "
            "or let a quick one learn here in a few seconds:")
    st.button("Train a quick model (a few seconds)", icon=":material/bolt:", type="primary", key="quick_train",
              on_click=start_training, args=(quick_config(), QUICK_LABEL))


class PendingCheck:
    """One network's "not a digit" check, fitted in a thread of its own (several seconds: every test digit read and
    measured): the page answers with a newly chosen network at once, says the check is being made, and redraws
    when it is ready, rather than leaving the last network's answer on screen until then. `active` and `beat` are
    what ui.frame.layout.poll_while_active polls."""

    def __init__(self, model: Model, dataset: Dataset, scored: bool = False):
        """`scored`: also measure the network's test accuracy (`accuracy`), before the check is ready."""
        self.check: NoveltyCheck | None = None
        self.accuracy: float | None = None
        self.failed = False
        threading.Thread(target=self._fit, args=(model, dataset, scored), daemon=True, name="novelty-check").start()

    def _fit(self, model: Model, dataset: Dataset, scored: bool) -> None:
        try:
            classes = model.config.classes
            if scored:
                self.accuracy = float((model.predict_proba(dataset.x_test).argmax(axis=1) == dataset.y_test).mean())
            train_rows = rows_of(dataset.y_train, classes, REFERENCES)
            real = dataset.x_test if len(classes) == 10 else dataset.x_test[rows_of(dataset.y_test, classes)]
            self.check = fit_novelty(model.network, dataset.x_train[train_rows], real, references=REFERENCES)
        except Exception:  # noqa: BLE001 (a network the check cannot measure answers without a doubt)
            log.exception("the 'not a digit' check could not be fitted")
            self.failed = True

    @property
    def active(self) -> bool:
        return self.check is None and not self.failed

    def beat(self) -> None:
        """Nothing to keep alive: the thread ends by itself."""


@st.cache_resource(max_entries=16, ttl="2h", show_spinner=False)
def _novelty(key: str, _model: Model, _dataset: Dataset, scored: bool = False) -> PendingCheck:
    return PendingCheck(_model, _dataset, scored)


def novelty_for(model: Model) -> PendingCheck | None:
    """The network's "not a digit" check, made once per network for the whole server (its `check` None until it is
    ready); None while it trains (its weights change every second) or without data."""
    dataset = data.dataset(report=False)
    if state.active_run() is not None or dataset is None:
        return None
    return _novelty(f"{fingerprint(model)}|{data.folder_in_use()}", model, dataset)


@st.cache_resource(show_spinner=False)
def _reference(folder: str, data_key: str) -> reference.ReferenceNetwork:
    return reference.ReferenceNetwork(Path(folder), reference_config(), data_key,
                                      reference.service_training(reference_config(), data.shared))


def reference_network() -> tuple[Model, PendingCheck] | None:
    """The server's reference network and its "not a digit" check (training.reference), asked for (its training
    started once for the server, never waited for); None while it is not there, without data, or when switched off."""
    dataset = data.dataset(report=False)
    if dataset is None or not reference.enabled():
        return None
    server = _reference(state_folder(), f"{data.folder_in_use()}|{len(dataset.x_train)}")
    model = server.model()  # once there, the one network of its file for this process: the file names its check
    return (model, _novelty(f"reference|{server.path}", model, dataset, True)) if model is not None else None


def reference_doubt(reading: CanvasReading) -> str | None:
    """Why the reference network doubts the drawing ("" when it does not); None when it cannot be asked: not there
    yet, its check being made, or reading too few test digits right for its doubt to mean much."""
    found = reference_network()
    if found is None or found[1].check is None or not doubt_trusted(found[1].accuracy):
        return None
    return doubt(reading, found[0], found[1].check)


def _brush() -> None:
    """The brush-width slider; its value is kept in ui.state, so it survives a visit to another page."""
    st.slider("Brush width (pixels)", *BRUSH_RANGE, value=state.brush_width(BRUSH), step=2, key="brush",
              on_change=lambda: state.set_brush_width(st.session_state["brush"]))


def _canvas() -> CanvasReading:
    """The drawing as the network's 28x28 input, or why there is none.

    The canvas comes back with the last drawing after a visit to another page (its widget state is
    gone then: Streamlit drops it when a page does not show the widget)."""
    key = f"canvas_{state.canvas_generation()}"
    start = state.canvas_start(fresh=key not in st.session_state)
    try:
        result = st_canvas(stroke_width=state.brush_width(BRUSH), stroke_color="#FFFFFF", background_color="#000000",
                           height=CANVAS_SIDE, width=CANVAS_SIDE, drawing_mode="freedraw", initial_drawing=start,
                           return_image_data=True, key=key)
        # the PNG file, not image_data: that unpacks whatever the visitor sent
        png, strokes = result.image_bytes, result.json_data
    except (AttributeError, TypeError, ValueError, KeyError):  # any JSON can arrive as the canvas's value
        png, strokes = b"", None  # refused below, in words, as no PNG image
    st.caption("Use a mouse, a pen or a finger.")
    with st.container(horizontal=True, vertical_alignment="bottom"):
        st.button("Clear the drawing", icon=":material/delete:", on_click=_clear, key="clear_canvas")
        _brush()
    if png is None:  # nothing sent since the canvas appeared: it shows the drawing it started from
        digit = state.drawn_digit() if start else None
        return CanvasReading(digit, "" if digit is not None else TOO_LITTLE_HINT if start else EMPTY_HINT)
    reading = read_canvas(png)
    state.set_drawing(strokes_to_keep(strokes) if reading.hint != EMPTY_HINT and not reading.refused else None)
    state.set_drawn_digit(reading.digit)  # the Inspect page follows this digit through the layers
    save_drawing()  # here, in the drawing's fragment: no full rerun follows to save it
    return reading


def _clear() -> None:
    state.clear_canvas()
    save_drawing()


def _big_answer(probabilities: np.ndarray, doubtful: Doubt, weak: str) -> None:
    """The answer, large; greyed, with the reason in words, when the drawing does not look like a digit (to the
    network or to the server's reference); under it, while the network's check is being made, that it is, and for a
    network too weak for the check, that it is."""
    digit = int(probabilities.argmax())
    if doubtful.flagged:
        st.warning(f"**That does not look like a digit.** {doubt_words(doubtful)}", icon=":material/help:")
    grey = ' style="color:#8a8a8a"' if doubtful.flagged else ""
    caption = f"{'a guess, ' if grey else ''}{sure(float(probabilities[digit]))} sure"
    st.markdown(f'<div class="big-digit" id="predicted-digit"{grey}>{digit}</div>'
                f'<div class="big-digit-caption">{caption}</div>', unsafe_allow_html=True)
    if doubtful.reason == CHECKING:
        st.caption(CHECKING_WORDS)
    if weak:
        st.caption(weak)


def _answer(reading: CanvasReading, probabilities: np.ndarray | None, doubtful: Doubt, weak: str = "") -> None:
    """What the network receives and its answer, or a word on what is missing."""
    st.markdown("#### 2. What it sees")
    if reading.digit is None:
        (st.warning if reading.refused else st.info)(reading.hint)
    else:
        st.image(pixelated(reading.digit, PREVIEW_SCALE), width=28 * PREVIEW_SCALE,
                 caption="28 × 28 pixels, cropped and centred like MNIST")
    st.markdown("#### 3. Its answer")
    if probabilities is not None and not readable(probabilities):
        st.error(UNREADABLE)
    elif probabilities is not None:
        _big_answer(probabilities, doubtful, weak)
        label_buttons(reading.digit)
        _lesson(reading.digit, probabilities)
    elif reading.digit is not None:
        st.info("The answer appears once there is a network.")
    else:
        st.info("Lift the pen to see what the network thinks you drew.")


def _lesson(digit: np.ndarray, probabilities: np.ndarray) -> None:
    """Once the student labelled a drawing the network misread in a way of writing MNIST lacks: why, in a sentence."""
    done = state.labelled()
    if done is None or done[0] != np.asarray(digit, dtype=np.float32).tobytes():
        return
    lesson = style_lesson(done[1], int(probabilities.argmax()))
    if lesson:
        st.info(lesson, icon=":material/school:")


def _bars(probabilities: np.ndarray | None, model) -> None:
    st.markdown("#### How sure, digit by digit")
    if probabilities is not None and readable(probabilities):
        st.plotly_chart(probability_figure(probabilities), width="stretch",
                        key="probabilities", config={"displaylogo": False, "staticPlot": True})
        st.markdown(f"*{SURE_IS_NOT_RIGHT}*")
        handwriting_score(model)
        link("Inspect", "Follow it through every layer")
    else:
        st.caption("The ten probabilities appear here, the highest in red.")


def draw_area() -> None:
    """Canvas, what the network sees, and its answer, side by side (wrapping on a narrow screen).

    While the session's network trains, the whole area redraws every second so the answer follows
    the network as it learns. Every element keeps its place from one run to the next: if the
    canvas moved in the page, the browser would mount a new one and the drawing would vanish.
    """

    st.html(SCALING_CSS)

    def body() -> None:
        status = st.container()  # a fixed slot above the row, whatever it holds
        model, _ = latest_model()
        probabilities, doubtful, weak = None, Doubt(), ""
        with st.container(horizontal=True, gap="medium"):
            with st.container(width=CANVAS_SIDE + 10, key="drawing"):
                st.markdown("#### 1. Your drawing")
                reading = _canvas()
            if reading.digit is not None and model is not None:
                probabilities = answer(model, reading.digit)  # NaN for overflowed weights: said in words below
                pending = novelty_for(model)
                own, backup = "", None
                if pending is not None and pending.active:
                    own = CHECKING  # never wait for it here: the last network's answer would stay on screen
                elif readable(probabilities):
                    own = doubt(reading, model, pending.check if pending is not None else None)
                if readable(probabilities):
                    backup = reference_doubt(reading)
                doubtful = combined_doubt(own, backup or "")
                record = chosen_run() if not following_training() else None
                weak = weak_words(record.test_accuracy, backed=backup is not None) if record is not None else ""
            with st.container(width=28 * PREVIEW_SCALE + 10):
                _answer(reading, probabilities, doubtful, weak)
            with st.container(width=420):
                _bars(probabilities, model)
        run = state.active_run()
        if run is not None:
            with status:
                st.info(f"**{escape_markdown(run.name)}** — {run_status(run)} The answer follows the network as it learns.")

    run = state.active_run()
    model, _ = latest_model()
    pending = novelty_for(model) if model is not None else None  # started now, before the first stroke
    backup = reference_network()  # asked now: its training starts once for the server, its check once per process
    checks = [c for c in (pending, backup[1] if backup else None) if c is not None and c.active]
    poll_while_active(POLL_SECONDS, body, runs=([run] if run is not None else []) + checks)
