"""The Notebook page's parts: pick an attempt, walk its ladder of mistakes, see each fix's runs and the gradient check.

Every run is computed once per server for its (attempt, fixes, run size) and kept (`_replays`), so a class
opening the same step does not train it again: a run not yet kept trains in the first script run that asks
for it, its curves drawn epoch by epoch, while the others asking at the same time wait for that one.
"""
from __future__ import annotations

from typing import Callable, Sequence

import streamlit as st

from mlp.data.mnist import Dataset
from mlp.presets import get_preset
from mlp.teaching import notebook as nb
from training.once import OncePerKey
from ui import state
from ui.notebook.data import (
    EPOCH_CHOICES,
    EXAMPLE_CHOICES,
    PAGE_EPOCHS,
    PAGE_EXAMPLES,
    Rung,
    RunSpec,
    curves_figure,
    excerpts,
    gradcheck_rows,
    gradcheck_summary,
    ladder,
    read_notebook,
    reported_figure,
    rung_label,
)

ATTEMPT_LABELS = {1: "Attempt 1: 9.12%", 2: "Attempt 2: 90.34% (momentum)"}
NOTEBOOK_SAID = {1: "After 30 epochs on all 60,000 images the notebook printed **Accuracy: 9.12%**: chance level.",
                 2: "After 10 epochs with momentum 0.7 the notebook printed **Accuracy: 90.34%**."}
STILL = 0.03  # a change of test accuracy smaller than this is "not much"
KEPT_RUNS = 300  # replays kept for the whole server (each a few kilobytes)
HOW_TO_USE_IT = (
    "**How the student could have used it.** Before training anything, take one batch, nudge a handful of weights "
    "in each array up and down by 0.000001 and compare (loss up − loss down) / 0.000002 with what `backprop` "
    "computes for them: a ratio of exactly 64 everywhere says \"summed, not averaged\", wrong numbers in W2 and "
    "W3 alone point at the code that touches `layer1` and `layer2`, and equal numbers in every bias point at "
    "`np.sum`. Rerun after every change to `backprop`: it takes a second and needs no training, where the "
    "curves took minutes and only said \"something is wrong\".")


@st.cache_resource(show_spinner=False)
def _replays() -> OncePerKey[nb.ReplayResult]:
    """The server's finished runs, by RunSpec.key: shared by every session, so a class trains each once."""
    return OncePerKey(KEPT_RUNS)


@st.cache_resource(show_spinner="Preparing the notebook's images (float64, once for the server)…", max_entries=4)
def _data(location: str, examples: int, _dataset: Dataset) -> nb.NotebookData:
    """The float64 copy the replays read, made once per run size (6,000 images: 38 MB)."""
    return nb.NotebookData.take(_dataset, examples, min(nb.TEST_EXAMPLES, len(_dataset.x_test)))


@st.cache_resource(show_spinner=False, max_entries=64)
def _check(attempt: int, fixes: tuple[str, ...], location: str, _data: nb.NotebookData) -> nb.GradientCheck:
    return nb.gradient_check(attempt, _data, fixes)


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


def show_start(attempt: int, rung: Rung, lines: list[str] | None) -> None:
    if rung.mistake is not None:
        show_code(rung, lines)
    elif rung.index == 0:
        st.markdown(f"#### As written\n\n{NOTEBOOK_SAID[attempt]} Below, the same code replayed. Press **Next "
                    "mistake** to fix its mistakes one at a time.")
        if lines is not None:
            with st.expander("The whole notebook, as the student wrote it"):
                st.code("\n".join(lines), language=None, line_numbers=True)
    else:
        preset = get_preset("modern")
        st.markdown(f"#### {preset.title}\n\n{preset.story} Same images, same epochs, float32.")


def _train(spec: RunSpec, data: nb.NotebookData, epochs: int, show: Callable[[list], None]) -> nb.ReplayResult:
    if spec.engine:
        return nb.engine_run(get_preset("modern").config(epochs=epochs, validation_share=0.0), data, spec.label)
    points: list[nb.EpochPoint] = []
    result = None
    for item in nb.replay(spec.attempt, data, spec.fixes, add=spec.add, epochs=epochs):
        if isinstance(item, nb.EpochPoint):
            points.append(item)
            show(points)  # the curve grows epoch by epoch
        else:
            result = item
    return result


def run_all(rung: Rung, data: nb.NotebookData, epochs: int, examples: int, location: str) -> list[nb.ReplayResult]:
    """The rung's runs, from the server's store or trained now with their curves growing in the chart."""
    store, slot, drawn = _replays(), st.empty(), [0]

    def draw(curves: list) -> None:
        drawn[0] += 1
        slot.plotly_chart(curves_figure(curves, epochs), key=f"notebook_chart_{drawn[0]}",
                          config={"displaylogo": False})

    results: list[nb.ReplayResult] = []
    for spec in rung.runs:
        key, before = spec.key(epochs, examples, location), [(s.label, r.points) for s, r in zip(rung.runs, results)]
        result = store.get(key)
        if result is None:
            who = "Another student's page is training" if store.busy(key) else "Training"
            with st.spinner(f"{who} {spec.label}: {epochs} epochs on {examples:,} images…"):
                result = store.get_or_make(key, lambda: _train(
                    spec, data, epochs, lambda points: draw([*before, (spec.label, points)])))
        results.append(result)
    draw([(s.label, r.points) for s, r in zip(rung.runs, results)])
    return results


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
    data = _data(dataset.location, examples, dataset)
    show_start(attempt, rung, read_notebook())
    results = run_all(rung, data, epochs, examples, dataset.location)
    show_results(rung, results)
    show_gradient_check(attempt, rung, data, dataset.location)
