"""The Inspect page's pictures, built from plain arrays and sized for a projector.

Pure: no Streamlit here, so every figure is checked in a unit test (tests/test_ui_inspect_figures.py).
"""
from __future__ import annotations

from typing import Any, Literal, Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from mlp import activations
from mlp.config import TrainConfig
from ui.shared.figures import BAR_COLOUR, FONT_SIZE, PREDICTED_COLOUR, TRAIN_COLOUR, readable_axes, sure

# One colour scale for both kinds of cell: mistakes below the middle (pale to deep red, scaled to the worst
# mistake), correct readings above it (pale to deep green, by rate). One trace, so no cell is drawn over another's
# text, and Plotly sizes every cell's text alike to fit the cells (see confusion_figure).
MIDDLE = 0.5
CELL_SCALE = [[0.0, "#fff5f0"], [0.499, "#c0181f"],  # mistakes
              [MIDDLE, "#f7fcf5"], [1.0, "#1a7d36"]]  # read correctly
CELL_TARGETS = "cells"  # the name of the confusion matrix's clickable layer


def resting_output(config: TrainConfig) -> float:
    """What a unit of the config's activation, made with its settings, outputs for a weighted input of 0,
    f(0): a unit above it is switched on by the digit."""
    f = activations.REGISTRY.build(config.activation, **vars(config))
    return float(f.forward(np.zeros(1, np.float32))[0])


def row_rates(counts: np.ndarray) -> np.ndarray:
    """Each row of a confusion matrix as shares of that true digit's examples (0 for an empty row)."""
    counts = np.asarray(counts, dtype=float)
    totals = counts.sum(axis=1, keepdims=True)
    return np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)


def confusion_figure(counts: np.ndarray, rows: Sequence[int], cols: Sequence[int],
                     show: Literal["counts", "rates"] = "counts", chosen: tuple[int, int] | None = None) -> go.Figure:
    """True digit down, the network's answer across: correct readings in green, mistakes in red.

    Mistakes get their own part of the colour scale (darkest = the most frequent mistake), so a 1% confusion is
    still visible next to a 99% diagonal. Each cell says its count or its share of the true digit, in a size
    Plotly fits to the cells (no size given), so a phone's narrow cells show "1135" whole in small type. Every
    digit is labelled on both axes, however narrow (left to itself, Plotly labels every second one).
    A click on a cell selects it (an invisible marker at each cell's centre, see `cell_targets`);
    the cell `chosen` (true, answer) is outlined.
    """
    counts = np.asarray(counts)
    rows, cols = [int(r) for r in rows], [int(c) for c in cols]
    sub = counts[np.ix_(rows, cols)]
    rates = row_rates(counts)[np.ix_(rows, cols)]
    diagonal = np.array([[r == c for c in cols] for r in rows])
    worst = float(rates[~diagonal].max()) if (~diagonal).any() and rates[~diagonal].max() > 0 else 1.0
    labels_x, labels_y = [str(c) for c in cols], [str(r) for r in rows]
    z = np.where(diagonal, MIDDLE + (1 - MIDDLE) * rates, 0.499 * np.minimum(rates / worst, 1.0))
    numbers = sub.astype(str) if show == "counts" else np.vectorize(_rate_text)(rates)
    text = np.where((sub > 0) | diagonal, numbers, "")
    fig = go.Figure(go.Heatmap(
        z=z.tolist(), x=labels_x, y=labels_y, text=text.tolist(), texttemplate="%{text}", colorscale=CELL_SCALE,
        zmin=0, zmax=1, showscale=False, xgap=2, ygap=2, name="cells", hoverinfo="skip"))
    fig.add_trace(cell_targets(labels_x, labels_y, sub, rates))
    if chosen is not None and chosen[0] in rows and chosen[1] in cols:
        _outline(fig, rows.index(chosen[0]), cols.index(chosen[1]))
    # ranges fixed to the cells (left to themselves, the axes would make room for the markers' size); square
    # cells by shrinking the plot, not by stretching a range (that left a band between answers and cells)
    fig.update_xaxes(title_text="the network's answer", type="category", side="top", tickfont=dict(size=FONT_SIZE + 4),
                     range=[-0.5, len(cols) - 0.5], constrain="domain", tickmode="array", tickvals=labels_x)
    fig.update_yaxes(title_text="true digit", type="category", range=[len(rows) - 0.5, -0.5], scaleanchor="x",
                     constrain="domain", tickfont=dict(size=FONT_SIZE + 4), tickmode="array",
                     tickvals=labels_y)  # reversed: the first digit on top
    fig.update_layout(height=640, font=dict(size=FONT_SIZE), margin=dict(l=80, r=20, t=80, b=20),
                      plot_bgcolor="white", hovermode="closest", hoverdistance=-1, showlegend=False)
    return readable_axes(fig)


def _outline(fig: go.Figure, row: int, col: int) -> None:
    """A black frame around the cell at this position (rows and columns counted among those shown)."""
    fig.add_shape(type="rect", x0=col - 0.5, x1=col + 0.5, y0=row - 0.5, y1=row + 0.5,
                  line=dict(color="black", width=4))


def cell_targets(labels_x: list[str], labels_y: list[str], sub: np.ndarray, rates: np.ndarray) -> go.Scatter:
    """One invisible marker at the centre of every cell, carrying its hover text: Plotly selects points of
    a scatter on a click but not cells of a heatmap, and with every cell's centre marked the one nearest
    the pointer is always the cell under it (hoverdistance -1: no distance limit)."""
    cells = [(x, y) for y in labels_y for x in labels_x]
    what = [f"a {y} read correctly" if x == y else f"a {y} read as {x}" for x, y in cells]
    custom = [[w, int(n), float(r)] for w, n, r in zip(what, sub.ravel(), rates.ravel())]
    return go.Scatter(
        x=[x for x, _ in cells], y=[y for _, y in cells], mode="markers", name=CELL_TARGETS, customdata=custom,
        marker=dict(symbol="square", size=30, opacity=0), selected=dict(marker=dict(opacity=0)),
        unselected=dict(marker=dict(opacity=0)),
        hovertemplate="%{customdata[0]}: %{customdata[1]:,} test digits<br>"
                      "(%{customdata[2]:.1%} of the %{y}s)<extra></extra>")


def _rate_text(rate: float) -> str:
    if rate == 0:
        return "0"
    return "<1%" if rate < 0.005 else f"{rate:.0%}"


def class_accuracy_figure(counts: np.ndarray, classes: Sequence[int]) -> go.Figure:
    """How often each digit is read correctly: one bar per digit, in the confusion matrix's row order,
    the weakest in red."""
    rates = row_rates(counts)
    classes = [int(c) for c in classes]
    accuracy = [float(rates[c, c]) for c in classes]
    weakest = int(np.argmin(accuracy)) if len(classes) > 1 else -1
    fig = go.Figure(go.Bar(
        y=[str(c) for c in classes], x=accuracy, orientation="h", text=[f"{a:.1%}" for a in accuracy],
        textposition="outside", textfont=dict(size=FONT_SIZE), constraintext="none", cliponaxis=False,
        name="accuracy", marker_color=[PREDICTED_COLOUR if i == weakest else BAR_COLOUR for i in range(len(classes))],
        hovertemplate="digit %{y}: %{x:.1%} read correctly<extra></extra>"))
    fig.update_yaxes(title_text="true digit", type="category", autorange="reversed", tickfont=dict(size=FONT_SIZE + 4))
    fig.update_xaxes(title_text="read correctly", range=[0, 1.2], tickformat=".0%", tickvals=[0, 0.25, 0.5, 0.75, 1])
    fig.update_layout(height=460, font=dict(size=FONT_SIZE), margin=dict(l=80, r=10, t=20, b=60),
                      showlegend=False, bargap=0.25)
    return readable_axes(fig)


def activations_figure(hidden: Sequence[np.ndarray], probabilities: Sequence[float], config: TrainConfig) -> go.Figure:
    """One panel per layer, input side first: each hidden unit's output as a bar, then the ten probabilities."""
    probs = np.asarray(probabilities, dtype=float)
    activation, threshold = config.activation, resting_output(config)
    titles = []
    for i, h in enumerate(hidden, start=1):
        active = int((np.asarray(h) > threshold).sum())
        titles.append(f"Hidden layer {i}, units 1 to {len(h)}: {active} active "
                      f"({activation} output above {threshold:g})")
    best = int(probs.argmax())
    titles.append(f"Output: the network answers {best}, {sure(float(probs[best]))} sure")
    fig = make_subplots(rows=len(titles), cols=1, subplot_titles=titles, vertical_spacing=min(0.6 / len(titles), 0.1))
    for i, h in enumerate(hidden, start=1):
        values = np.asarray(h, dtype=float)
        fig.add_trace(go.Bar(x=np.arange(1, len(values) + 1), y=values, marker_color=TRAIN_COLOUR, marker_line_width=0,
                             name=f"layer {i}", hovertemplate="unit %{x}: %{y:.3g}<extra></extra>"), row=i, col=1)
        fig.update_yaxes(title_text="output", row=i, col=1)
    last = len(titles)
    fig.add_trace(go.Bar(x=[str(d) for d in range(len(probs))], y=probs.tolist(), name="probability",
                         marker_color=[PREDICTED_COLOUR if d == best else BAR_COLOUR for d in range(len(probs))],
                         text=[f"{p:.0%}" if p >= 0.005 else "" for p in probs], textposition="outside",
                         textfont=dict(size=FONT_SIZE), constraintext="none", cliponaxis=False,
                         hovertemplate="digit %{x}: %{y:.1%}<extra></extra>"), row=last, col=1)
    fig.update_xaxes(title_text="digit", type="category", row=last, col=1)
    fig.update_yaxes(title_text="probability", range=[0, 1.2], tickformat=".0%", row=last, col=1)
    fig.update_annotations(font_size=FONT_SIZE)
    fig.update_layout(height=230 * len(titles) + 60, font=dict(size=FONT_SIZE - 2), showlegend=False,
                      margin=dict(l=80, r=20, t=50, b=40), bargap=0.1)
    return readable_axes(fig)


ROBUSTNESS_SPACING = 0.05  # between the panels, a share of the plot's width
NARROWEST_PLOT = 900  # pixels: the robustness chart's plot area on a 1440-pixel screen with the sidebar open
CHAR_WIDTH = 0.6  # of the font size: a wide average for the axis titles' letters


def fitting_chars(panels: int, plot_width: float = NARROWEST_PLOT, font: float = FONT_SIZE) -> int:
    """How many characters of an axis title fit under one of `panels` side-by-side panels."""
    panel = (1 - ROBUSTNESS_SPACING * (panels - 1)) / panels * plot_width
    return int(panel // (CHAR_WIDTH * font))


def wrapped(text: str, chars: int) -> list[str]:
    """`text` broken at spaces into lines of at most `chars` characters (a longer word keeps a line to itself)."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= chars:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def robustness_figure(curves: Mapping[str, Sequence[float]], perturbations: Mapping[str, Any]) -> go.Figure:
    """One small panel per change: accuracy (up) as the test digits are changed more (right).
    `perturbations` maps each change to its title, unit and levels (ui.inspect.data.PERTURBATIONS).
    The units under the panels are broken into lines that fit their panel ("pixels grown per side" ran
    into "noise (standard deviation)" on a desktop screen)."""
    kinds = [k for k in perturbations if k in curves]
    fig = make_subplots(rows=1, cols=len(kinds), subplot_titles=[perturbations[k].title for k in kinds],
                        shared_yaxes=True, horizontal_spacing=ROBUSTNESS_SPACING)
    chars, lines = fitting_chars(len(kinds)), 1
    for col, kind in enumerate(kinds, start=1):
        change, accuracy = perturbations[kind], np.asarray(curves[kind], dtype=float)
        fig.add_trace(go.Scatter(x=list(change.levels), y=accuracy.tolist(), mode="lines+markers", name=change.title,
                                 line=dict(color=TRAIN_COLOUR, width=4), marker=dict(size=10),
                                 hovertemplate=f"%{{x}} {change.unit}: %{{y:.1%}} read right<extra></extra>"),
                      row=1, col=col)
        title = wrapped(change.unit, chars)
        lines = max(lines, len(title))
        fig.update_xaxes(title_text="<br>".join(title), row=1, col=col)
    fig.update_yaxes(range=[0, 1.05], tickformat=".0%", tickvals=[0, 0.25, 0.5, 0.75, 1])
    fig.update_yaxes(title_text="test digits read right", row=1, col=1)
    fig.update_annotations(font_size=FONT_SIZE)
    fig.update_layout(height=400 + 24 * lines, font=dict(size=FONT_SIZE - 2), showlegend=False,
                      margin=dict(l=80, r=20, t=60, b=40 + 24 * lines))
    return readable_axes(fig)
