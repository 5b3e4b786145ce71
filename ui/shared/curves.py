"""Several runs' curves on one chart, each run in a style of its own (Compare, the Board, the Notebook).

Pure: no Streamlit, so every figure can be checked in a unit test.
"""
from __future__ import annotations

from typing import Any, Literal, Sequence

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from training.record import Run
from ui.shared.figures import FONT_SIZE, finite_values, legend_above, loss_axis, needs_log_scale, readable_axes
from ui.shared.text import escape_html

# Ten colours told apart in print and by most colour-blind eyes (Plotly's "D3" set, green and red apart).
RUN_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
               "#bcbd22", "#17becf")
RUN_DASHES = ("solid", "dash", "dot", "dashdot", "longdash")
RUN_SYMBOLS = ("circle", "square", "diamond", "triangle-up", "x", "star", "cross")  # 7 and 10 colours: 70 looks
WIDEST, NARROWEST = 7.0, 2.0  # line widths of the first and the last run
PANELS_HEIGHT = 560  # both panels with their axes; the legend's band comes on top
Curve = Literal["held-out", "training"]


def _points(run: Run, curve: Curve) -> list:
    return run.history.heldout if curve == "held-out" else run.history.train


def loss_spread_is_wide(runs: Sequence[Run], curve: Curve = "held-out") -> bool:
    """True when the curves' losses differ by more than 100 times: only a log scale shows them all."""
    return needs_log_scale(p.loss for r in runs for p in _points(r, curve))


def run_style(index: int, count: int) -> dict[str, Any]:
    """The look of the `index`-th of `count` runs: its own colour, dash pattern and marker symbol, and a width
    that narrows from the first run to the last. Later runs are drawn on top, so where two curves coincide
    exactly the one beneath still shows along both edges of the one above (and through its dashes)."""
    share = index / (count - 1) if count > 1 else 0.5
    return dict(line=dict(color=RUN_COLOURS[index % len(RUN_COLOURS)], dash=RUN_DASHES[index % len(RUN_DASHES)],
                          width=WIDEST - (WIDEST - NARROWEST) * share),
                marker=dict(symbol=RUN_SYMBOLS[index % len(RUN_SYMBOLS)], size=14 - 6 * share, maxdisplayed=20))


def compare_figure(runs: Sequence[Run], curve: Curve = "held-out", *, log_loss: bool = False) -> go.Figure:
    """Loss above accuracy against epochs, every run's curves on the same axes, each run in its own style.

    Hovering lists every run at that epoch (with its name), so even curves lying exactly on top of each
    other are all told apart; the legend, one run per line, sits above the panels."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.1,
                        subplot_titles=("Loss: lower is better", "Accuracy: higher is better"))
    for i, run in enumerate(runs):
        points = _points(run, curve)
        x = [p.epoch for p in points]
        for row, attr in ((1, "loss"), (2, "accuracy")):
            fig.add_trace(go.Scatter(
                x=x, y=finite_values([getattr(p, attr) for p in points]), name=escape_html(run.name),
                legendgroup=str(run.uid), showlegend=row == 1, mode="lines+markers", **run_style(i, len(runs)),
                hovertemplate=f"%{{fullData.name}}: {attr} %{{y:.3g}}<extra></extra>"), row=row, col=1)
    which = "held-out digits (unseen in training)" if curve == "held-out" else "training digits"
    fig.update_xaxes(title_text=f"epochs · curves on the {which}", row=2, col=1)
    loss_axis(fig, [p.loss for r in runs for p in _points(r, curve)], log=log_loss)
    fig.update_yaxes(title_text="accuracy", range=[0, 1.02], tickformat=".0%", row=2, col=1)
    fig.update_annotations(font_size=FONT_SIZE + 2)
    fig.update_layout(font=dict(size=FONT_SIZE), margin=dict(l=80, r=20, b=60), hovermode="x unified",
                      xaxis=dict(hoverformat=".2f"), xaxis2=dict(hoverformat=".2f"))
    legend_above(fig, entries=len(runs), height=PANELS_HEIGHT)
    return readable_axes(fig)
