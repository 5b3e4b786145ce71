"""The Train page's live chart: loss above accuracy, growing while the network learns.

Pure: no Streamlit here, so the figure is checked in a unit test (tests/test_ui_figures.py).
"""
from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from mlp.trainer import History
from ui.figures import (FONT_SIZE, HELDOUT_COLOUR, TRAIN_COLOUR, finite_values, legend_above, loss_axis,
                        needs_log_scale, readable_axes)

PANELS_HEIGHT = 500  # both panels with their axes; the legend's band comes on top
EPOCHS_TITLE = "epochs (passes over the training digits)"


def training_figure(history: History, total_epochs: float | None, revision: str) -> go.Figure:
    """Loss above accuracy against epochs: training as a line, held-out as dots on a line.

    Each poll of a run redraws this figure, so its make-up never changes with the data: four traces in a
    fixed order, the x axis fixed to the whole run (`total_epochs`, so the curves visibly grow from left
    to right), and Plotly's `uirevision` set to `revision` (one per run), which keeps a zoom or a hidden
    curve while the run grows and drops it when the next run starts.
    """
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.1,
                        subplot_titles=("Loss: lower is better", "Accuracy: higher is better"))
    heldout_label = f"{history.heldout_name} digits (unseen)"
    for row, attr in ((1, "loss"), (2, "accuracy")):
        first = row == 1
        fig.add_trace(go.Scatter(x=[p.epoch for p in history.train],
                                 y=finite_values([getattr(p, attr) for p in history.train]),
                                 mode="lines", name="training digits", legendgroup="training", showlegend=first,
                                 line=dict(color=TRAIN_COLOUR, width=3)), row=row, col=1)
        fig.add_trace(go.Scatter(x=[p.epoch for p in history.heldout],
                                 y=finite_values([getattr(p, attr) for p in history.heldout]),
                                 mode="lines+markers", name=heldout_label, legendgroup="heldout", showlegend=first,
                                 line=dict(color=HELDOUT_COLOUR, width=3), marker=dict(size=11)), row=row, col=1)
    last = max((p.epoch for p in (*history.train, *history.heldout)), default=0.0)
    x_range = [0, max(total_epochs, last) * 1.02] if total_epochs else None
    fig.update_xaxes(range=x_range)
    fig.update_xaxes(title_text=EPOCHS_TITLE, row=2, col=1)  # the panels share it: ticks and title once, below
    losses = [p.loss for p in (*history.train, *history.heldout)]
    loss_axis(fig, losses, log=needs_log_scale(losses))
    fig.update_yaxes(title_text="accuracy", range=[0, 1.02], tickformat=".0%", row=2, col=1)
    fig.update_annotations(font_size=FONT_SIZE + 2)
    fig.update_layout(font=dict(size=FONT_SIZE), margin=dict(l=80, r=20, b=60), hovermode="x unified",
                      uirevision=revision)
    legend_above(fig, entries=2, height=PANELS_HEIGHT)
    return readable_axes(fig)
