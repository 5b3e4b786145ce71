"""The Notebook page's parts: pick an attempt, walk its ladder of mistakes, see each fix's runs and the gradient check.

Every run is trained by the training service, in a worker process of its pool, in line with every other run
(training.replay), and once per server for its (attempt, fixes, run size): the first page to ask starts it, the
others asking meanwhile show that same run (told so), and its result is kept for the whole server (`_replays`).
While a step's runs train, the page polls them as the Train page polls its run: their curves grow epoch by epoch.
"""
from __future__ import annotations

from typing import Hashable, Sequence

import plotly.graph_objects as go
import streamlit as st

from mlp.data.mnist import Dataset
from mlp.teaching import notebook as nb
from training.once import SharedRuns
from training.replay import ReplayRun
from ui import state
from ui.frame import data as served
from ui.frame.layout import poll_while_active
from ui.frame.training import class_refusal
from ui.notebook.data import (
    EPOCH_CHOICES,
    EXAMPLE_CHOICES,
    PAGE_EPOCHS,
    PAGE_EXAMPLES,
    Rung,
    RunSpec,
    curves_figure,
    engine_words,
    excerpts,
    gradcheck_rows,
    gradcheck_summary,
    ladder,
    read_notebook,
    reported_figure,
    run_words,
    rung_label,
)
from ui.shared.text import escape_markdown

ATTEMPT_LABELS = {1: "Attempt 1: 9.12%", 2: "Attempt 2: 90.34% (momentum)"}
NOTEBOOK_SAID = {1: "After 30 epochs on all 60,000 images the notebook printed **Accuracy: 9.12%**: chance level.",
                 2: "After 10 epochs with momentum 0.7 the notebook printed **Accuracy: 90.34%**."}
STILL = 0.03  # a change of test accuracy smaller than this is "not much"
KEPT_RUNS = 300  # replays kept for the whole server (each a few kilobytes)
POLL_SECONDS = 1.0  # an epoch of the page's run sizes takes about a second or more: the curves grow at that pace
HOW_TO_USE_IT = (
    "**How the student could have used it.** Before training anything, take one batch, nudge a handful of weights "
    "in each array up and down by 0.000001 and compare (loss up − loss down) / 0.000002 with what `backprop` "
    "computes for them: a ratio of exactly 64 everywhere says \"summed, not averaged\", wrong numbers in W2 and "
    "W3 alone point at the code that touches `layer1` and `layer2`, and equal numbers in every bias point at "
    "`np.sum`. Rerun after every change to `backprop`: it takes a second and needs no training, where the "
    "curves took minutes and only said \"something is wrong\".")


@st.cache_resource(show_spinner=False)
def _replays() -> SharedRuns[nb.ReplayResult]:
    """The server's runs by RunSpec.key, under way or finished: shared by every session, so a class trains each once."""
    return SharedRuns(KEPT_RUNS)


@st.cache_resource(show_spinner=False)
def _check_data(location: str, _dataset: Dataset) -> nb.NotebookData:
    """The images the gradient check reads (its one batch: the first 64), in float64; the runs' images are the
    training workers' (training.workers.ReplayJob), not the web process's."""
    return nb.NotebookData.take(_dataset, 2 * nb.BATCH, 1)


@st.cache_resource(show_spinner=False, max_entries=64)
def _check(attempt: int, fixes: tuple[str, ...], location: str, _data: nb.NotebookData) -> nb.GradientCheck:
    return nb.gradient_check(attempt, _data, fixes)


@st.cache_resource(show_spinner=False, max_entries=256)
def _curves_figure(drawn: tuple, epochs: int, _curves: list) -> go.Figure:
    """The curves as `drawn` says they stand ((label, key, epochs trained) per run), built once for the server: a
    class watching the same step polls it every second, and building it takes about 50 ms (sending it, 1-2 ms)."""
    return curves_figure(_curves, epochs)


def choose_attempt() -> int:
    key = "notebook_attempt"
    st.session_state[key] = state.notebook_choice("attempt", 1)
    st.segmented_control("Attempt", nb.ATTEMPTS, format_func=ATTEMPT_LABELS.get, key=key, required=True,
                         on_change=lambda: state.set_notebook_choice("attempt", st.session_state[key]))
    return st.session_state[key]


def choose_rung(attempt: int, rungs: Sequence[Rung]) -> Rung:
    """Previous / next buttons and a list of every step; the step is kept per attempt."""
    name, key = f"rung_{attempt}", "notebook_rung"
    k = min(state.notebook_choice(name, 0), len(rungs) - 1)
    st.session_state[key] = k
    with st.container(horizontal=True, vertical_alignment="bottom"):
        st.button("Previous", icon=":material/arrow_back:", disabled=k == 0, key="notebook_previous",
                  on_click=state.set_notebook_choice, args=(name, k - 1))
        st.button("Next mistake" if k < len(rungs) - 2 else "Next", icon=":material/arrow_forward:", type="primary",
                  disabled=k == len(rungs) - 1, key="notebook_next", on_click=state.set_notebook_choice,
                  args=(name, k + 1))
        st.selectbox("Step", range(len(rungs)), format_func=lambda i: rung_label(rungs[i]), key=key,
                     on_change=lambda: state.set_notebook_choice(name, st.session_state[key]))
    return rungs[k]


def choose_size() -> tuple[int, int]:
    """Epochs and training images for every run of the page (the notebook's full size takes minutes)."""
    with st.expander("Run size"):
        epochs = st.select_slider("Epochs", EPOCH_CHOICES, value=state.notebook_choice("epochs", PAGE_EPOCHS),
                                  key="notebook_epochs")
        examples = st.select_slider("Training images (the first ones of MNIST)", EXAMPLE_CHOICES,
                                    value=state.notebook_choice("examples", PAGE_EXAMPLES), key="notebook_examples",
                                    format_func="{:,}".format)
        st.caption(f"The notebook trained on all 60,000 images; here every run uses the first {examples:,} (or as "
                   f"many as the data has) and is scored on the first {nb.TEST_EXAMPLES:,} test images, so that it "
                   "takes seconds. The project's docs/notebook.md has the full-size numbers.")
    state.set_notebook_choice("epochs", epochs)
    state.set_notebook_choice("examples", examples)
    return epochs, examples


def show_code(rung: Rung, lines: list[str] | None) -> None:
    m = rung.mistake
    st.markdown(f"#### Mistake {rung.index}: {m.title}" if m.default else f"#### What if: {m.title}")
    blocks = excerpts(lines, m.lines) if lines is not None else [m.quote]
    for block in blocks:
        st.code(block, language=None)
    if lines is None:
        st.caption("The notebook's file is not beside the project, so only its line is quoted.")
    does, should, fix = st.columns(3)
    does.markdown("**What the line does**\n\n" + m.does)
    should.markdown("**What it should do**\n\n" + m.should)
    with fix:
        st.markdown("**The one-line fix**")
        st.code(m.fix, language="python", wrap_lines=True)


def show_start(attempt: int, rung: Rung, lines: list[str] | None, epochs: int, examples: int) -> None:
    if rung.mistake is not None:
        show_code(rung, lines)
    elif rung.index == 0:
        st.markdown(f"#### As written\n\n{NOTEBOOK_SAID[attempt]} Below, the same code replayed. Press **Next "
                    "mistake** to fix its mistakes one at a time.")
        if lines is not None:
            with st.expander("The whole notebook, as the student wrote it"):
                st.code("\n".join(lines), language=None, line_numbers=True)
    else:
        heading, text = engine_words(epochs, examples)
        st.markdown(f"#### {heading}\n\n{text}")


def _start(spec: RunSpec, epochs: int, examples: int, test_examples: int) -> ReplayRun:
    closed = class_refusal()
    if closed:  # shown as any refusal, in words
        raise ValueError(closed)
    run = ReplayRun(spec.job(epochs, examples, test_examples), served.shared())
    run.start()
    return run


def run_all(rung: Rung, epochs: int, examples: int, dataset: Dataset) -> list[nb.ReplayResult] | None:
    """The rung's runs: kept by the server, or trained now by the training service with their curves growing in
    the chart. Their results once every run has one; None while some are training, or when one could not."""
    store, before = _replays(), state.notebook_runs()
    test_examples = min(nb.TEST_EXAMPLES, len(dataset.x_test))
    shown = []  # per run: its spec, its key, its result, run or refusal, and whether this session started it
    for spec in rung.runs:
        key = spec.key(epochs, examples, dataset.location)
        try:
            item, new = store.get_or_start(key, lambda spec=spec: _start(spec, epochs, examples, test_examples))
        except ValueError as error:  # past the server's limits, in words
            item, new = str(error), False
        if isinstance(item, ReplayRun) and item.result is not None:
            item = item.result  # it finished since the store looked
        shown.append((spec, key, item, new or before.get(key) == (item, True)))
    under_way = {key: (item, mine) for _, key, item, mine in shown if isinstance(item, ReplayRun) and not _failed(item)}
    state.set_notebook_runs(under_way)

    def body() -> None:
        for spec, key, item, mine in shown:
            if key in under_way:
                st.caption(run_words(spec.label, item, mine))
        curves = [(spec.label, _points(item)) for spec, _, item, _ in shown]
        drawn = tuple((label, key, len(points)) for (_, key, _, _), (label, points) in zip(shown, curves))
        st.plotly_chart(_curves_figure(drawn, epochs, curves), key="notebook_chart", config={"displaylogo": False})

    poll_while_active(POLL_SECONDS, body, runs=[run for run, _ in under_way.values()])
    for k, (spec, key, item, _) in enumerate(shown):
        if isinstance(item, str) or (isinstance(item, ReplayRun) and _failed(item)):
            _show_failure(k, spec, key, item)
    results = [item for _, _, item, _ in shown if isinstance(item, nb.ReplayResult)]
    return results if len(results) == len(shown) else None


def _failed(run: ReplayRun) -> bool:
    """Ended without a result (it failed, or passed the server's time limit): the page says why, and polls no more."""
    return run.done and run.result is None


def _points(item: nb.ReplayResult | ReplayRun | str) -> Sequence[nb.EpochPoint]:
    if isinstance(item, nb.ReplayResult):
        return item.points
    return item.points() if isinstance(item, ReplayRun) else ()


def _show_failure(k: int, spec: RunSpec, key: Hashable, item: ReplayRun | str) -> None:
    """Why a run has no result (past the server's limits, or it failed), and for a run that failed, a new try."""
    words = f"**{spec.label}** could not be trained: {escape_markdown(item if isinstance(item, str) else item.reason)}"
    st.warning(words)
    if isinstance(item, ReplayRun):
        st.button("Train it again", key=f"notebook_again_{k}", icon=":material/refresh:", on_click=_replays().forget,
                  args=(key,))


def show_results(rung: Rung, results: list[nb.ReplayResult]) -> None:
    base = results[0].test_accuracy
    for column, spec, result in zip(st.columns(len(results)), rung.runs, results):
        delta = None if result is results[0] else f"{(result.test_accuracy - base) * 100:+.1f} points"
        column.metric(spec.label, f"{result.test_accuracy:.1%}", delta, help="test accuracy after the last epoch")
        if result.diverged:
            column.caption(result.reason)
        if result.notebook_test_accuracy != result.test_accuracy:
            column.caption(f"The notebook's own test would print {result.notebook_test_accuracy:.1%}: it reads the "
                           "test labels with the same loader.")
    hidden = rung.mistake is not None and rung.mistake.default and not rung.mistake.reporting
    if hidden and abs(results[-1].test_accuracy - base) < STILL:
        st.info("Not much changes yet: the mistakes still left hide what this fix does. Each one matters once the "
                "others are fixed (docs/notebook.md, *Which mistakes mattered*: *all fixed but one*).")
    if rung.mistake is not None and rung.mistake.reporting:
        st.markdown("**What the notebook plotted** (the training is the same; only its report changes)")
        st.plotly_chart(reported_figure([(s.label, r) for s, r in zip(rung.runs, results)]),
                        key="notebook_reported", config={"displaylogo": False})


def show_gradient_check(attempt: int, rung: Rung, data: nb.NotebookData, location: str) -> None:
    st.markdown("#### The check that would have caught it")
    fixes = rung.check_fixes
    with st.spinner("Checking backpropagation against finite differences…"):
        check = _check(attempt, fixes, location, data)
    where = "as written" if not fixes else f"with {len(fixes)} fix{'es' if len(fixes) > 1 else ''}"
    st.caption(f"Backpropagation of attempt {attempt} {where}, on one batch of 64 training digits: for 12 entries "
               "of each array, the gradient backprop computes against the change of the loss when that entry is "
               "nudged by ±0.000001. The network starts small (He) here whatever its start: a saturated softmax "
               "has gradients of exactly 0 that would hide the comparison.")
    (st.success if check.passed else st.error)(gradcheck_summary(check))
    st.dataframe(gradcheck_rows(check), hide_index=True, key="notebook_gradcheck")
    st.markdown(HOW_TO_USE_IT)


def notebook_view(dataset: Dataset) -> None:
    attempt = choose_attempt()
    rungs = ladder(attempt)
    rung = choose_rung(attempt, rungs)
    epochs, examples = choose_size()
    examples = min(examples, len(dataset.x_train))  # the offline sample has 4,000
    show_start(attempt, rung, read_notebook(), epochs, examples)
    results = run_all(rung, epochs, examples, dataset)
    if results is not None:
        show_results(rung, results)
    show_gradient_check(attempt, rung, _check_data(dataset.location, dataset), dataset.location)
