"""The Train page's live insides: the network itself changing while it learns, redrawn with the curves.

The worker process takes the snapshots (mlp.teaching.insides, about once a second); this page only draws the
latest one, under the curves (on a phone too, so the curves stay near the top): the first layer's weights, each
layer's health, the probe digits' answers, and the network as a diagram lit by one of them.
"""
from __future__ import annotations

import streamlit as st

from training.run import TrainingRun
from ui.shared.diagram import diagram_figure_data
from ui.shared.figures import png_address, weight_grid
from ui.train.insides_figures import health_figure_data, probe_names, probes_figure_data
from ui.train.live_chart import live_chart

COLUMNS = 16  # weight pictures per row
DIAGRAM_HEIGHT = 520
SHOW = {"change": "what training changed", "weights": "the weights"}
CAPTIONS = {"change": "White at the start: strokes appear as training changes the weights (full colour: a change of "
                      "half the unit's largest starting weight). Blank all along: it is not learning.",
            "weights": "Each unit on its own scale: its random start shows through. Point at the pictures and "
                       "press the enlarge button to see them large."}


def insides_view(run: TrainingRun) -> None:
    """Draw the run's latest snapshot of its insides, if there is one yet."""
    shot = run.insides()
    if shot is None:
        return
    st.markdown("#### Inside the network, live")
    kind = "hidden unit" if len(shot.sizes) > 2 else "digit's output"
    show = st.segmented_control("First layer", ["change", "weights"], default="change", required=True,
                                key="insides_show", format_func=SHOW.get)
    st.caption(f"Each square: one {kind}'s 784 incoming weights as the 28 × 28 picture it looks at (blue: ink there "
               f"makes it fire more, red: less), units 1 to {len(shot.pictures)} of {shot.units:,} at step "
               f"{shot.step:,}. " + CAPTIONS[show or "change"])
    with st.container(key="weights"):  # the key's CSS keeps the pixels sharp (ui.frame.layout)
        pictures = shot.weights() if show == "weights" else shot.changed()
        st.image(png_address(weight_grid(pictures, COLUMNS)), width="stretch")
    live_chart(health_figure_data(shot, run.config.activation), key="insides_health")
    st.caption("Left: the share of each layer's units that have stopped learning (the output: digits it is sure of, "
               "and wrong). Right: how much each step changes a layer's weights, relative to their size.")
    live_chart(probes_figure_data(shot), key="insides_probes")
    names = probe_names(shot)
    chosen = st.segmented_control("The network lit by", range(len(names)), default=0, required=True,
                                  format_func=names.__getitem__, key=f"insides_probe_{len(names)}")
    live_chart(diagram_figure_data(shot.diagram, int(chosen or 0), DIAGRAM_HEIGHT), key="insides_diagram")
