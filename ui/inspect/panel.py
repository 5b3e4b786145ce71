"""The Inspect page's parts: which network, its confusion matrix, its surest mistakes, what its first
layer learned, and how it reads the digit drawn on the Draw page.

Expensive work is done once per network and kept in `st.cache_resource`, keyed by a hash of the
weights (training.once.fingerprint), shared by every session and dropped two hours after they were made: the
test set read by the network (10,000 x 10 numbers, 32 networks kept) and the training set as the
network sees it (up to 64 MB each, 4 networks kept). Reruns only look the results up; MNIST itself is
never copied (data.dataset() is shared by every session).
"""
from __future__ import annotations

from functools import partial

import numpy as np
import streamlit as st

from mlp.data.mnist import Dataset
from mlp.model import Model, ModelOutputError
from mlp.teaching.inspection import first_layer_images
from training.once import fingerprint
from training.record import Run
from ui import state
from ui.frame import data
from ui.frame.navigation import link
from ui.inspect.data import (
    PERTURBATIONS,
    Reading,
    TrainingView,
    clicked_cell,
    closest_training_digits,
    layer_outputs,
    learned_change,
    mistake_caption,
    read_test_digits,
    robustness,
    training_view,
)
from ui.inspect.figures import (
    activations_figure,
    class_accuracy_figure,
    confusion_figure,
    robustness_figure,
)
from ui.panels.handwriting import handwriting_score
from ui.panels.network_picker import model_download, model_picker, model_upload
from ui.saving.networks import chosen_run, network_trouble
from ui.shared.figures import pixelated, sure, weight_grid
from ui.shared.settings import describe
from ui.shared.text import escape_markdown

CHART = {"displaylogo": False}
TILE_SCALE = 5  # 28 x 5 = 140 pixels per digit in the galleries
FIRST_UNITS_SHOWN = 64  # large enough to see strokes on a projector
MAX_UNITS_SHOWN = 256
CELL_LIMIT = 16
CONFUSION_KEY = "confusion"


def _cache_key(model: Model) -> str:
    return f"{fingerprint(model)}|{data.folder_in_use()}"


@st.cache_resource(max_entries=32, ttl="2h",
                   show_spinner="Reading every test digit with this network (once per network)…")
def _reading(key: str, _model: Model, _dataset: Dataset) -> Reading:
    return read_test_digits(_model, _dataset.x_test, _dataset.y_test)


@st.cache_resource(max_entries=4, ttl="2h", show_spinner="Placing the training digits where this network sees them "
                                               "(once per network)…")
def _training_view(key: str, _model: Model, _dataset: Dataset) -> TrainingView:
    return training_view(_model, _dataset.x_train, _dataset.y_train)


@st.cache_resource(max_entries=32, ttl="2h", show_spinner="Changing test digits more and more and reading them "
                                                          "(once per network)…")
def _robustness(key: str, _model: Model, _dataset: Dataset) -> dict[str, np.ndarray]:
    return robustness(_model, _dataset.x_test, _dataset.y_test)


def reading_for(model: Model, dataset: Dataset) -> Reading:
    """The test set as read by `model`, computed once per network for the whole server."""
    return _reading(_cache_key(model), model, dataset)


# ----- which network -----
def network_choice() -> Run | None:
    """Pick the network (trained in this session or uploaded), download it, or upload one."""
    run = state.active_run()
    if run is not None:
        st.info(f"**{escape_markdown(run.name)}** is still training: it can be inspected once it ends.")
    if chosen_run() is None:  # (a network in the saved work is read back: one unreadable leaves the menu)
        st.info("There is no trained network in this session yet. Train one on the **Train** page (or a quick "
                "one on the **Draw** page), or upload a network file here.")
        model_upload()
        return None
    with st.container(horizontal=True, vertical_alignment="bottom"):
        with st.container(width=560):
            chosen = model_picker("inspect_model", "Network to inspect")
        model_download(chosen, key="download_inspect")
    if chosen.model is None:  # in the saved work, which cannot be read just now
        st.warning(network_trouble(chosen), icon=":material/cloud_off:")
        return None
    where = "uploaded file" if chosen.status == "uploaded" else chosen.status
    st.caption(f"{describe(chosen.config)} · {where}")
    with st.expander("Upload a network file (.npz)"):
        model_upload()
    return chosen


def summary(reading: Reading) -> None:
    a, b, c = st.columns(3)
    a.metric("Test accuracy", f"{reading.accuracy:.1%}")
    b.metric("Test digits", f"{len(reading.labels):,}", help="Digits of MNIST's test set never used in training, "
             "of the classes this network learned.")
    c.metric("Mistakes", f"{int(reading.counts.sum() - np.trace(reading.counts)):,}")


# ----- confusion matrix -----
def _cell_keys(run: Run) -> tuple[str, str]:
    """The session-state keys of the two menus that choose the open cell (true digit, answer)."""
    return f"cell_true_{run.uid}", f"cell_answer_{run.uid}"


def _open_clicked_cell(run: Run, reading: Reading) -> None:
    """A click on the matrix: open that cell, as if it had been chosen in the two menus below it."""
    cell = clicked_cell(st.session_state.get(CONFUSION_KEY), reading.classes, reading.answered())
    if cell is not None:
        for key, value in zip(_cell_keys(run), cell):
            st.session_state[key] = value


def confusion_panel(run: Run, reading: Reading, dataset: Dataset) -> None:
    st.markdown("Each row is a true digit, each column the network's answer: the green diagonal is read "
                "correctly, every red cell is a mistake (the darker, the more often). **Click a cell** to see "
                "its test digits below; hover it for its numbers.")
    show = st.segmented_control("Numbers in the cells", ["counts", "rates"], default="counts", key="confusion_show",
                                format_func={"counts": "how many digits", "rates": "share of the true digit"}.get,
                                required=True)
    true_key, answer_key = _cell_keys(run)
    for key, value in zip((true_key, answer_key), reading.worst_cell()):
        st.session_state.setdefault(key, value)  # first visit: the most frequent mistake is open
    answers = reading.answered()
    left, right = st.columns([3, 2], gap="large")
    with left:
        chosen = (st.session_state[true_key], st.session_state[answer_key])
        st.plotly_chart(confusion_figure(reading.counts, reading.classes, answers, show or "counts", chosen),
                        width="stretch", key=CONFUSION_KEY, config={**CHART, "displayModeBar": False},
                        selection_mode="points", on_select=partial(_open_clicked_cell, run, reading))
    with right:
        st.markdown("##### How often each digit is read correctly")
        st.plotly_chart(class_accuracy_figure(reading.counts, reading.classes), width="stretch",
                        key="class_accuracy", config={**CHART, "staticPlot": True})
    st.markdown("##### Open a cell: the test digits that landed there",
                help="Click a cell of the matrix, or choose it here with the two menus.")
    pick_true, pick_answer = st.columns(2)
    true = pick_true.selectbox("True digit", reading.classes, key=true_key)
    answer = pick_answer.selectbox("The network's answer", answers, key=answer_key)
    _cell_digits(reading, dataset, true, answer)


def _cell_digits(reading: Reading, dataset: Dataset, true: int, answer: int) -> None:
    """The test digits `true` read as `answer`, the surest first."""
    found = reading.cell(true, answer, CELL_LIMIT)
    total = int(reading.counts[true, answer])
    if not total:
        st.info(f"No test digit {true} was read as {answer}.")
        return
    what = "read correctly" if true == answer else f"read as {answer}"
    st.caption(f"{total:,} test digits {true} were {what}" + (f"; the {len(found)} it was surest about:"
                                                                if total > len(found) else ":"))
    _gallery("cell", dataset.x_test[reading.rows[found]],
             [f"{sure(float(reading.probs[i, answer]))} sure" for i in found])


def _gallery(name: str, images: np.ndarray, captions: list[str]) -> None:
    """Digits as sharp 28 x 28 squares, side by side, each with its caption."""
    with st.container(key=f"digits_{name}"):  # the key's CSS class styles the captions (ui.frame.layout)
        st.image([pixelated(img.reshape(28, 28), TILE_SCALE) for img in images], caption=captions,
                 width=28 * TILE_SCALE, output_format="PNG")  # JPEG would smear the pixels


# ----- mistakes -----
def mistakes_panel(reading: Reading, dataset: Dataset) -> None:
    surest = reading.surest_mistakes(12)
    if not len(surest):
        st.success("This network reads every test digit correctly: there is no mistake to show.")
        return
    st.markdown("The test digits the network got wrong **while being surest of itself**. Would you have read them "
                "right? Some are badly written; a few MNIST labels are even debatable.")
    _gallery("mistakes", dataset.x_test[reading.rows[surest]],
             [mistake_caption(int(reading.labels[i]), reading.probs[i]) for i in surest])


# ----- first layer -----
def first_layer_panel(run: Run) -> None:
    unit = "hidden unit of the first layer" if run.config.hidden else "output digit (this network has no hidden layer)"
    st.markdown(f"Each square is one {unit}: its 784 incoming weights, laid out as the 28 × 28 picture they look at. "
                "**Blue**: ink there makes the unit fire more. **Red**: ink there holds it back. **White**: ignored.")
    show = st.segmented_control("Show", ["weights", "change"], default="weights", required=True, key="weights_show",
                                format_func={"weights": "the weights",
                                             "change": "what training changed (weights minus their random start)"}.get)
    network = learned_change(run.model) if show == "change" else run.model.network
    images = first_layer_images(network)
    n = len(images)
    limit = FIRST_UNITS_SHOWN
    if n > FIRST_UNITS_SHOWN:
        all_units = st.toggle(f"Show {'all ' if n <= MAX_UNITS_SHOWN else 'the first '}"
                              f"{min(n, MAX_UNITS_SHOWN)} units (smaller)", key="all_units",
                              help=f"This layer has {n:,} units; the first {FIRST_UNITS_SHOWN} are shown large.")
        limit = MAX_UNITS_SHOWN if all_units else FIRST_UNITS_SHOWN
    shown = images[:limit]
    columns = len(shown) if len(shown) <= 12 else 16 if len(shown) <= 64 else 32
    st.caption(f"Units 1 to {len(shown)} of {n:,}, left to right, top to bottom." if run.config.hidden
               else "Digits 0 to 9, left to right: the picture of ink each digit's output looks for.")
    with st.container(key="weights"):
        st.image(weight_grid(shown, columns), width="stretch" if columns >= 16 else columns * 90, output_format="PNG")
    st.caption("Every unit starts as random noise; training adds strokes and blobs, the pieces of digits it responds "
               "to (see them alone with *what training changed*). Units that still look like noise learned little "
               "(a learning rate too small, or weights started far too large). Units red all over are switched off "
               "by any ink: with ReLU, such a unit never fires again (a learning rate too large).")


# ----- the drawn digit -----
def drawing_panel(run: Run, dataset: Dataset) -> None:
    image = state.drawn_digit()
    if image is None:
        st.info("Draw a digit on the **Draw** page, then come back: its path through the network appears here.")
        link("Draw", "Draw a digit")
        return
    hidden, probabilities = layer_outputs(run.model, image)
    left, right = st.columns([1, 3], gap="large")
    with left:
        st.markdown("##### Your digit")
        st.image(pixelated(image, 8), width=28 * 8, caption="28 × 28 pixels, as the network receives it",
                 output_format="PNG")
        link("Draw", "Draw another one")
    with right:
        st.markdown("##### Every layer's output for your digit")
        st.plotly_chart(activations_figure(hidden, probabilities, run.config), width="stretch",
                        key="activations", config=CHART)
    st.markdown("##### The training digits the network finds most like yours")
    view = _training_view(_cache_key(run.model), run.model, dataset)
    rows, distances = closest_training_digits(run.model, view, image, k=8)
    where = "its last hidden layer" if run.config.hidden else "its input"
    st.caption(f"Closest as the network sees them (in {where}, just before it decides), not pixel by pixel; "
               f"searched among {len(view.rows):,} training digits"
               + (f" (an even share of {view.available:,})." if view.available > len(view.rows) else "."))
    _gallery("closest", dataset.x_train[rows],
             [f"a {int(dataset.y_train[r])} · distance {d:.2g}" for r, d in zip(rows, distances)])


# ----- robustness -----
def robustness_panel(run: Run, dataset: Dataset) -> None:
    st.markdown("How well the network reads test digits as they are **moved, turned, made thinner or thicker, or "
                "covered in noise**: the same 2,000 digits, changed more and more. MNIST's digits are all centred, "
                "upright and of one thickness, so a network that only saw them falls quickly once digits move; one "
                "trained with *Wiggle the training digits* on (augmentation) holds up far longer. Train both and "
                "compare them here.")
    curves = _robustness(_cache_key(run.model), run.model, dataset)
    st.plotly_chart(robustness_figure(curves, PERTURBATIONS), width="stretch", key="robustness", config=CHART)


def inspect_view(run: Run, dataset: Dataset) -> None:
    """Everything the page shows about one network, in tabs; only a sentence for one whose outputs are not numbers."""
    try:
        reading = reading_for(run.model, dataset)
    except ModelOutputError as error:
        st.error(f"This network cannot read digits: {error}", icon=":material/error:")
        return
    summary(reading)
    handwriting_score(run.model)  # beside MNIST's test digits: the class's own, once some are labelled
    confusion, mistakes, weights, drawing, robust = st.tabs(["Confusion matrix", "Surest mistakes", "First layer",
                                                             "Your drawing, layer by layer", "Robustness"])
    with confusion:
        confusion_panel(run, reading, dataset)
    with mistakes:
        mistakes_panel(reading, dataset)
    with weights:
        first_layer_panel(run)
    with drawing:
        drawing_panel(run, dataset)
    with robust:
        robustness_panel(run, dataset)
