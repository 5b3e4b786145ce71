"""The Train page's live chart: loss above accuracy, growing while the network learns.

Pure: no Streamlit here, so the figure is checked in a unit test (tests/test_ui_figures.py).
"""
from __future__ import annotations

import functools
import math

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from mlp.trainer import History
from ui.shared.figures import (FONT_SIZE, HELDOUT_COLOUR, TRAIN_COLOUR, finite_values, legend_above, loss_axis,
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
    return go.Figure(training_figure_data(history, total_epochs, revision))


def training_figure_data(history: History, total_epochs: float | None, revision: str) -> dict:
    """The same figure as plain data, as the live chart sends it. Its frame (everything but the points) is
    built once per run and look and then reused: building and checking a Plotly figure costs the server
    tens of milliseconds, which every poll of every student would otherwise pay."""
    losses = [p.loss for p in (*history.train, *history.heldout)]
    last = max((p.epoch for p in (*history.train, *history.heldout)), default=0.0)
    frame = _frame(history.heldout_name, max(total_epochs, last) if total_epochs else None, revision,
                   _decades(losses) if needs_log_scale(losses) else None)
    points = [(history.train, "loss"), (history.heldout, "loss"),
              (history.train, "accuracy"), (history.heldout, "accuracy")]
    data = [{**trace, "x": [p.epoch for p in curve], "y": finite_values([getattr(p, attr) for p in curve])}
            for trace, (curve, attr) in zip(frame["data"], points)]
    return {"data": data, "layout": frame["layout"]}


def _decades(losses: list[float]) -> tuple[int, int]:
    """The powers of ten around the positive losses: all that the log axis's ticks depend on."""
    positive = [v for v in losses if math.isfinite(v) and v > 0]
    return math.floor(math.log10(min(positive))), math.ceil(math.log10(max(positive)))


@functools.lru_cache(maxsize=256)
def _frame(heldout_name: str, x_max: float | None, revision: str, decades: tuple[int, int] | None) -> dict:
    """Four empty traces (training and held-out loss, then accuracy) and the layout; read-only once built."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.1,
                        subplot_titles=("Loss: lower is better", "Accuracy: higher is better"))
    heldout_label = f"{heldout_name} digits (unseen)"
    for row in (1, 2):
        first = row == 1
        fig.add_trace(go.Scatter(x=[], y=[], mode="lines", name="training digits", legendgroup="training",
                                 showlegend=first, line=dict(color=TRAIN_COLOUR, width=3)), row=row, col=1)
        fig.add_trace(go.Scatter(x=[], y=[], mode="lines+markers", name=heldout_label, legendgroup="heldout",
                                 showlegend=first, line=dict(color=HELDOUT_COLOUR, width=3), marker=dict(size=11)),
                      row=row, col=1)
    fig.update_xaxes(range=[0, x_max * 1.02] if x_max else None)
    fig.update_xaxes(title_text=EPOCHS_TITLE, row=2, col=1)  # the panels share it: ticks and title once, below
    loss_axis(fig, [10.0 ** d for d in decades] if decades else [], log=decades is not None)
    fig.update_yaxes(title_text="accuracy", range=[0, 1.02], tickformat=".0%", row=2, col=1)
    fig.update_annotations(font_size=FONT_SIZE + 2)
    fig.update_layout(font=dict(size=FONT_SIZE), margin=dict(l=80, r=20, b=60), hovermode="x unified",
                      uirevision=revision)
    legend_above(fig, entries=2, height=PANELS_HEIGHT)
    return readable_axes(fig).to_plotly_json()
