"""The Draw page's parts: the canvas, the 28x28 image the network receives, and its answer.

Imports streamlit_drawable_canvas, which only works under `streamlit run` or AppTest: keep this
module out of unit tests.
"""
from __future__ import annotations

import numpy as np
import streamlit as st
from streamlit_drawable_canvas import st_canvas

from mlp.config import TrainConfig
from mlp.presets import get_preset
from ui import state
from ui.handwriting import handwriting_score, label_buttons
from ui.draw.data import (EMPTY_HINT, TOO_LITTLE_HINT, UNREADABLE, CanvasReading, answer, read_drawing,
                          readable)
from ui.figures import pixelated, probability_figure, sure
from ui.layout import poll_while_active
from ui.navigation import link
from ui.runs import run_status, start_training
from ui.text import escape_markdown

CANVAS_SIDE = 280
PREVIEW_SCALE = 8  # 28 x 8 = 224 pixels: every input pixel a clear square
BRUSH = 20
QUICK_LABEL = "quick model"
POLL_SECONDS = 1.0


def quick_config() -> TrainConfig:
    """A few seconds of training that already reads hand-drawn digits well (wiggled training digits)."""
    return get_preset("modern").config(epochs=2, augment=True)


def no_model_yet() -> None:
    """With no network in the session and none training: say so, and offer a one-click quick training."""
    st.info("There is no trained network in this session yet. Train one on the **Train** page, "
            "or let a quick one learn here in a few seconds:")
    st.button("Train a quick model (a few seconds)", icon=":material/bolt:", type="primary", key="quick_train",
              on_click=start_training, args=(quick_config(), QUICK_LABEL))


def _canvas() -> CanvasReading:
    """The drawing as the network's 28x28 input, or why there is none.

    The canvas comes back with the last drawing after a visit to another page (its widget state is
    gone then: Streamlit drops it when a page does not show the widget)."""
    key = f"canvas_{state.canvas_generation()}"
    start = state.canvas_start(fresh=key not in st.session_state)
    result = st_canvas(stroke_width=BRUSH, stroke_color="#FFFFFF", background_color="#000000",
                       height=CANVAS_SIDE, width=CANVAS_SIDE, drawing_mode="freedraw", initial_drawing=start,
                       return_image_data=True, key=key)
    st.caption("Use a mouse, a pen or a finger.")
    st.button("Clear the drawing", icon=":material/delete:", on_click=state.clear_canvas, key="clear_canvas")
    if result.image_data is None:  # nothing sent since the canvas appeared: it shows the drawing it started from
        digit = state.drawn_digit() if start else None
        return CanvasReading(digit, "" if digit is not None else TOO_LITTLE_HINT if start else EMPTY_HINT)
    reading = read_drawing(result.image_data)
    state.set_drawing(result.json_data if reading.hint != EMPTY_HINT else None)
    state.set_drawn_digit(reading.digit)  # the Inspect page follows this digit through the layers
    return reading


def _big_answer(probabilities: np.ndarray) -> None:
    digit = int(probabilities.argmax())
    st.markdown(f'<div class="big-digit" id="predicted-digit">{digit}</div>'
                f'<div class="big-digit-caption">{sure(float(probabilities[digit]))} sure</div>', unsafe_allow_html=True)


def _answer(reading: CanvasReading, probabilities: np.ndarray | None) -> None:
    """What the network receives and its answer, or a word on what is missing."""
    st.markdown("#### 2. What it sees")
    if reading.digit is None:
        st.info(reading.hint)
    else:
        st.image(pixelated(reading.digit, PREVIEW_SCALE), width=28 * PREVIEW_SCALE,
                 caption="28 × 28 pixels, cropped and centred like MNIST")
    st.markdown("#### 3. Its answer")
    if probabilities is not None and not readable(probabilities):
        st.error(UNREADABLE)
    elif probabilities is not None:
        _big_answer(probabilities)
        label_buttons(reading.digit)
    elif reading.digit is not None:
        st.info("The answer appears once there is a network.")
    else:
        st.info("Lift the pen to see what the network thinks you drew.")


def _bars(probabilities: np.ndarray | None, source: str, model) -> None:
    st.markdown("#### How sure, digit by digit")
    if probabilities is not None and readable(probabilities):
        st.plotly_chart(probability_figure(probabilities), width="stretch",
                        key="probabilities", config={"displaylogo": False, "staticPlot": True})
        st.caption(f"Network: {escape_markdown(source)}")
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

    def body() -> None:
        status = st.container()  # a fixed slot above the row, whatever it holds
        model, source = state.latest_model()
        probabilities = None
        with st.container(horizontal=True, gap="medium"):
            with st.container(width=CANVAS_SIDE + 10, key="drawing"):
                st.markdown("#### 1. Your drawing")
                reading = _canvas()
            if reading.digit is not None and model is not None:
                probabilities = answer(model, reading.digit)  # NaN for overflowed weights: said in words below
            with st.container(width=28 * PREVIEW_SCALE + 10):
                _answer(reading, probabilities)
            with st.container(width=420):
                _bars(probabilities, source, model)
        run = state.active_run()
        if run is not None:
            with status:
                st.info(f"**{escape_markdown(run.name)}** — {run_status(run)} The answer follows the network as it learns.")

    poll_while_active(POLL_SECONDS, body)
