"""The network as a diagram on the Notebook page: the slow-motion network lit by a test digit or the drawn one;
a click on a unit shows its incoming weights (first layer) and the test digits it responds to most."""
from __future__ import annotations

import numpy as np
import streamlit as st

from mlp.data.mnist import Dataset
from mlp.network import Network
from mlp.teaching.diagram import build
from ui import state
from ui.notebook.diagram import incoming_picture, strongest_digits
from ui.shared.diagram import clicked_unit, diagram_figure
from ui.shared.figures import pixelated

SEARCHED = 2000  # test digits searched for what a unit responds to
TILE = 4  # screen pixels per image pixel in the galleries


def choose_digit(dataset: Dataset) -> tuple[np.ndarray, str]:
    drawn = state.drawn_digit()
    options = ["test", "drawn"] if drawn is not None else ["test"]
    source = st.segmented_control("Digit", options, default="test", required=True, key="diagram_source",
                                  format_func={"test": "a test digit", "drawn": "the digit drawn on Draw"}.get)
    if source == "drawn" and drawn is not None:
        return drawn.reshape(-1), "the drawn digit"
    index = st.number_input("Test digit", 0, len(dataset.x_test) - 1, 0, key="diagram_test_digit")
    return dataset.x_test[index], f"test digit {index} (a {dataset.y_test[index]})"


def unit_detail(network: Network, dataset: Dataset, layer: int, unit: int) -> None:
    if layer == 0:
        st.markdown(f"**Input pixel {unit}**: row {unit // 28}, column {unit % 28} of the picture.")
        return
    st.markdown(f"**Layer {layer}, unit {unit}**")
    if layer == 1:
        st.caption("Its 784 incoming weights as the picture they look at: blue ink excites it, red holds it back.")
        st.image(np.kron(incoming_picture(network, unit), np.ones((6, 6, 1), np.uint8)), output_format="PNG")
    found = strongest_digits(network, dataset.x_test[:SEARCHED], layer, unit)
    st.caption(f"The {len(found)} of the first {SEARCHED:,} test digits that make it most active:")
    st.image([pixelated(dataset.x_test[i].reshape(28, 28), TILE) for i in found], output_format="PNG",
             caption=[f"a {dataset.y_test[i]}" for i in found], width=28 * TILE)


def diagram_view(dataset: Dataset, network: Network, name: str) -> None:
    st.markdown("### The network as a diagram")
    st.markdown(f"{name}, lit by one digit: each column is a layer, each dot a unit, brighter when more active; the "
                "lines are the connections that carry the most into each unit (blue adds, red takes away). "
                "Click a unit to see what it looks at.")
    image, what = choose_digit(dataset)
    diagram = build(network, image)
    chart, digit = st.columns([4, 1])
    with digit:
        st.image(pixelated(np.asarray(image).reshape(28, 28), 6), caption=what, output_format="PNG")
    with chart:
        event = st.plotly_chart(diagram_figure(diagram), on_select="rerun", selection_mode="points",
                                key="diagram", config={"displaylogo": False})
    picked = clicked_unit(event)
    if picked is not None:
        unit_detail(network, dataset, *picked)
