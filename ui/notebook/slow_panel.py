"""Backpropagation in slow motion on the Notebook page: one step on four training digits written out as
arithmetic, a button that takes it, and a slow mode that takes a few steps a second.

The step runs on a copy of the chosen network kept in the session (the run itself is never changed)."""
from __future__ import annotations

import streamlit as st

from mlp import TrainConfig
from mlp.data.mnist import Dataset
from mlp.model import Model
from mlp.network import Network
from mlp.teaching.slowmotion import SlowStep, slow_step
from ui import state
from ui.notebook.slowmotion import delta_rows, gradient_lines, loss_rows, number, steps_figure, unit_forward
from ui.panels.network_picker import run_caption
from ui.saving.networks import network

BATCH_SIZE = 4
FRESH = -1  # the choice "a fresh network"
FRESH_CONFIG = TrainConfig(hidden=(256, 128), optimizer="sgd", lr=0.1)
SLOW_SECONDS = 0.4  # between two steps in slow mode
CENTRE_PIXEL = 14 * 28 + 14  # the first weight shown starts at a pixel most digits cover


def _start(choice: int) -> dict:
    run = next((r for r in state.model_runs() if r.uid == choice), None)
    model = network(run) if run is not None else None  # None also while the store cannot give it back
    config, network = (FRESH_CONFIG, Model.create(FRESH_CONFIG).network) if model is None else \
        (run.config, model.network.copy())
    return {"choice": choice if model is not None else FRESH, "config": config, "network": network, "steps": 0,
            "losses": [], "weights": []}


def _slow() -> dict:
    return state.notebook_choice("slow", None)


def current_network() -> tuple[Network, str]:
    """The slow-motion network as it stands (after the steps taken), and a few words naming it."""
    slow = _slow()
    steps = slow["steps"]
    return slow["network"], f"The network of the slow motion ({steps} step{'' if steps == 1 else 's'} taken)"


def _restart(choice: int) -> None:
    state.set_notebook_choice("slow", _start(choice))


def choose_network() -> dict:
    runs = {r.uid: r for r in state.model_runs()}
    current = _slow()
    choice = current["choice"] if current is not None and current["choice"] in (FRESH, *runs) else FRESH
    if current is None or current["choice"] != choice:
        _restart(choice)
    key = "slow_network"
    st.session_state[key] = choice
    st.selectbox("Network", [FRESH, *runs], key=key, on_change=lambda: _restart(st.session_state[key]),
                 format_func=lambda u: "a fresh 784-256-128-10 network (He start, SGD 0.1)" if u == FRESH
                 else run_caption(runs[u]), help="Any network of this session; the steps are taken on a copy of it.")
    return _slow()


def choose_weight(slow: dict) -> tuple[int, int, int, int]:
    """(layer, input unit, output unit, example), each kept within the network's sizes."""
    sizes = slow["network"].sizes
    columns = st.columns(4)
    layer = columns[0].number_input("Layer", 0, len(sizes) - 2, 0, key="slow_layer",
                                    help="0 is the first layer of weights (pixels to the first hidden layer)")
    i = columns[1].number_input("From unit (input)", 0, sizes[layer] - 1, min(CENTRE_PIXEL, sizes[layer] - 1),
                                key=f"slow_i_{layer}")
    j = columns[2].number_input("To unit (output)", 0, sizes[layer + 1] - 1, 0, key=f"slow_j_{layer}")
    example = columns[3].number_input("Example of the batch", 0, BATCH_SIZE - 1, 0, key="slow_example")
    return int(layer), int(i), int(j), int(example)


def next_step(slow: dict, dataset: Dataset, weight: tuple[int, int, int]) -> SlowStep:
    """The step the network is about to take, on the next four training digits (computed on a copy)."""
    first = (slow["steps"] * BATCH_SIZE) % (len(dataset.x_train) - BATCH_SIZE)
    rows = slice(first, first + BATCH_SIZE)
    return slow_step(slow["network"], slow["config"], dataset.x_train[rows], dataset.y_train[rows], weight)


def take(slow: dict, dataset: Dataset, weight: tuple[int, int, int]) -> None:
    step = next_step(slow, dataset, weight)
    slow.update(network=step.network, steps=slow["steps"] + 1)
    slow["losses"].append(step.loss)
    slow["weights"].append(step.after)


def show_step(step: SlowStep, slow: dict, unit: tuple[int, int, int, int]) -> None:
    layer, _, j, example = unit
    config = slow["config"]
    st.markdown(f"**1. Forward pass**, unit {j} of layer {layer}'s output, example {example} "
                f"(a {step.labels[example]}):")
    st.code("\n".join(unit_forward(step, layer, j, example, config.activation)), language=None, wrap_lines=True)
    st.markdown(f"**2. The loss**: the mean of −log p(label) over the batch = **{number(step.loss)}**")
    st.dataframe(loss_rows(step), hide_index=True, key="slow_loss")
    st.markdown("**3. The deltas flowing back** (dL/dz, layer by layer from the output):")
    st.dataframe(delta_rows(step, {layer: j}, example), hide_index=True, key="slow_deltas")
    st.markdown(f"**4. The gradient of the chosen weight and the update** ({config.optimizer}):")
    st.code("\n".join(gradient_lines(step, config.optimizer)), language=None, wrap_lines=True)


def slow_motion_view(dataset: Dataset) -> None:
    st.markdown("### Backpropagation in slow motion")
    st.markdown("One training step on four digits, written out: the forward pass of one unit, the loss, the deltas "
                "flowing back, and the gradient and update of one weight. **Take this step** makes it and moves to "
                "the next four digits.")
    slow = choose_network()
    unit = choose_weight(slow)
    playing = st.toggle("Slow mode: a few steps a second", key="slow_play")
    with st.container(horizontal=True):  # outside the fragment: a click redraws the whole page, the diagram too
        st.button("Take this step", icon=":material/skip_next:", type="primary", key="slow_take",
                  on_click=take, args=(slow, dataset, unit[:3]), disabled=playing)
        st.button("Start again", icon=":material/restart_alt:", key="slow_restart", on_click=_restart,
                  args=(slow["choice"],))

    @st.fragment(run_every=SLOW_SECONDS if playing else None)
    def live() -> None:
        if playing:
            take(slow, dataset, unit[:3])
        st.caption(f"Steps taken: {slow['steps']}.")
        show_step(next_step(slow, dataset, unit[:3]), slow, unit)
        if slow["losses"]:
            layer, i, j = unit[:3]
            st.plotly_chart(steps_figure(slow["losses"], slow["weights"], f"W{layer}[{i}, {j}]"), key="slow_chart",
                            config={"displaylogo": False})

    live()
