"""Plotly figures built from plain data, sized to be read from the back of a classroom.

Pure: no Streamlit here, so every figure can be checked in a unit test.
"""
from __future__ import annotations

import math
from typing import Iterable, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from mlp.trainer import History

FONT_SIZE = 18
TRAIN_COLOUR = "#1f77b4"  # blue
HELDOUT_COLOUR = "#ff7f0e"  # orange
BAR_COLOUR = "#9db4cc"
PREDICTED_COLOUR = "#d62728"
LEGEND_LINE = 30  # pixels per legend entry at FONT_SIZE (Chromium drew n entries in 26 n + 11 pixels)
TITLE_ROOM = 45  # between the legend and the top panel: its title (FONT_SIZE + 2) and a gap


def finite_values(values: Sequence[float]) -> list[float | None]:
    """NaN and infinity become gaps: JSON has no NaN, and a diverged point would squash the axis."""
    return [v if math.isfinite(v) else None for v in values]


def sure(p: float) -> str:
    """A probability as a student reads it: '97%', '>99%' rather than a rounded '100%', '<1%'."""
    if p > 0.99:
        return ">99%"
    return f"{p:.0%}" if p >= 0.01 else "<1%"


def needs_log_scale(losses: Iterable[float]) -> bool:
    """True when the positive losses differ by more than 100 times: on a linear axis everything but
    the largest would look flat (an N(0, 1) start, or a spike from a huge learning rate)."""
    positive = [v for v in losses if math.isfinite(v) and v > 0]
    return bool(positive) and max(positive) / min(positive) > 100


def readable_axes(fig: go.Figure) -> go.Figure:
    """Axis titles and tick labels at projector size. Streamlit's chart theme sets its own small sizes
    unless each axis names one, so every axis gets one here (sizes already chosen are kept)."""
    def enlarge(axis) -> None:
        if axis.title.font.size is None:
            axis.title.font.size = FONT_SIZE
        if axis.tickfont.size is None:
            axis.tickfont.size = FONT_SIZE - 2

    fig.for_each_xaxis(enlarge)
    fig.for_each_yaxis(enlarge)
    return fig


def legend_above(fig: go.Figure, entries: int, height: int) -> go.Figure:
    """The legend at the very top, one entry per line, in a band of its own above the panels' titles.

    A horizontal legend wraps onto more lines as the chart narrows (the sidebar, a smaller screen), and
    Plotly's automatic margin makes room for it but not for the titles under it, so the two collided.
    One entry per line, the legend's height is known whatever the width: `entries` lines always fit the
    band. `height` is the panels' part (with the axes below them); the band comes on top of it."""
    top = entries * LEGEND_LINE + TITLE_ROOM
    fig.update_layout(height=height + top, margin_t=top,
                      legend=dict(orientation="v", yref="container", y=1, yanchor="top", xanchor="left", x=0,
                                  tracegroupgap=0, font=dict(size=FONT_SIZE)))
    return fig


def training_figure(history: History, total_epochs: float | None = None, *, stacked: bool = True,
                    height: int | None = None) -> go.Figure:
    """Loss and accuracy against epochs: training as a line, held-out as dots on a line.

    `stacked` puts accuracy under loss (each panel as wide as the column, for a projector);
    `total_epochs` fixes the x axis to the whole run, so the curves visibly grow from left to right;
    `height` is the panels' part, the legend's band above them comes on top.
    """
    heldout_label = f"{history.heldout_name} digits (unseen)"
    rows, cols = (2, 1) if stacked else (1, 2)
    fig = make_subplots(rows=rows, cols=cols, vertical_spacing=0.14, horizontal_spacing=0.09,
                        subplot_titles=("Loss: lower is better", "Accuracy: higher is better"))
    cells = ((1, 1), (2, 1)) if stacked else ((1, 1), (1, 2))
    train_x = [p.epoch for p in history.train]
    held_x = [p.epoch for p in history.heldout]
    for (row, col), attr in zip(cells, ("loss", "accuracy")):
        first = attr == "loss"
        fig.add_trace(go.Scatter(x=train_x, y=finite_values([getattr(p, attr) for p in history.train]),
                                 mode="lines", name="training digits", legendgroup="training", showlegend=first,
                                 line=dict(color=TRAIN_COLOUR, width=3)), row=row, col=col)
        fig.add_trace(go.Scatter(x=held_x, y=finite_values([getattr(p, attr) for p in history.heldout]),
                                 mode="lines+markers", name=heldout_label, legendgroup="heldout",
                                 showlegend=first, line=dict(color=HELDOUT_COLOUR, width=3),
                                 marker=dict(size=11)), row=row, col=col)
    last = max(train_x[-1] if train_x else 0.0, held_x[-1] if held_x else 0.0)
    x_range = [0, max(total_epochs, last) * 1.02] if total_epochs else None
    (loss_row, loss_col), (acc_row, acc_col) = cells
    for row, col in cells:  # stacked panels share the x axis: its title once, under the lower one
        title = "" if stacked and row == 1 else "epochs (passes over the training digits)"
        fig.update_xaxes(title_text=title, range=x_range, row=row, col=col)
    if needs_log_scale(p.loss for p in (*history.train, *history.heldout)):
        fig.update_yaxes(title_text="loss (log scale)", type="log", row=loss_row, col=loss_col)
    else:
        fig.update_yaxes(title_text="loss", rangemode="tozero", row=loss_row, col=loss_col)
    fig.update_yaxes(title_text="accuracy", range=[0, 1.02], tickformat=".0%", row=acc_row, col=acc_col)
    fig.update_annotations(font_size=FONT_SIZE + 2)
    fig.update_layout(font=dict(size=FONT_SIZE), margin=dict(l=80, r=20, b=60),
                      hovermode="x unified", uirevision="training")  # keep a zoom while the curves grow
    legend_above(fig, entries=2, height=height or (500 if stacked else 350))
    return readable_axes(fig)


def probability_figure(probabilities: Sequence[float], *, height: int = 360) -> go.Figure:
    """The ten softmax probabilities as bars, the chosen digit in a strong colour, percentages on top."""
    probs = np.asarray(probabilities, dtype=float).reshape(-1)
    if probs.shape != (10,):
        raise ValueError(f"expected 10 probabilities, got {probs.shape[0]}")
    best = int(probs.argmax())
    colours = [PREDICTED_COLOUR if d == best else BAR_COLOUR for d in range(10)]
    fig = go.Figure(go.Bar(
        x=[str(d) for d in range(10)], y=probs.tolist(), marker_color=colours,
        text=[f"{p:.0%}" if p >= 0.005 else "" for p in probs], textposition="outside",
        textfont=dict(size=FONT_SIZE + 2), constraintext="none", cliponaxis=False,
        hovertemplate="digit %{x}: %{y:.1%}<extra></extra>", name="probability",
    ))
    fig.update_xaxes(title_text="digit", type="category", tickfont=dict(size=FONT_SIZE + 8))
    fig.update_yaxes(title_text="probability", range=[0, 1.15], tickformat=".0%")
    fig.update_layout(height=height, font=dict(size=FONT_SIZE), margin=dict(l=70, r=10, t=20, b=60),
                      showlegend=False, bargap=0.25)
    return readable_axes(fig)


def pixelated(image: np.ndarray, scale: int = 10) -> np.ndarray:
    """A small grey image in [0, 1] blown up into sharp uint8 squares, with a faint grid between pixels."""
    img = np.clip(np.asarray(image, dtype=np.float32), 0.0, 1.0)
    big = np.kron((img * 255).round().astype(np.uint8), np.ones((scale, scale), dtype=np.uint8))
    if scale >= 6:
        grid = np.asarray(big, dtype=np.int16)
        grid[::scale, :] += 40
        grid[:, ::scale] += 40
        big = np.clip(grid, 0, 255).astype(np.uint8)
    return big
