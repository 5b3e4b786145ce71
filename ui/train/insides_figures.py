"""The Train page's live insides as figures: the probe digits' answers, and each layer's health.

Pure: no Streamlit here, so each figure is checked in a unit test (tests/test_ui_insides_figures.py). Built as
plain Plotly data for the live chart (ui.train.live_chart), cheap enough for every poll of every student: the
probe digits' picture, the same for a whole run, is made once.
"""
from __future__ import annotations

import functools
import math

import numpy as np

from mlp import activations
from mlp.teaching.insides import DRAWING, SURE, Snapshot
from ui.shared.figures import FONT_SIZE, PREDICTED_COLOUR, png_address, sure

ROW = 34  # pixels per probe digit
HEALTHY = (1e-4, 1e-2)  # a step that changes the weights by 0.01% to 1% of their size: around 1e-3 is healthy
CHANGE_RANGE = (-9, 1)  # the change axis, in powers of ten
STUCK_COLOUR, WATCH_COLOUR, FINE_COLOUR = "#d62728", "#ff7f0e", "#9db4cc"
GOOD_COLOUR = "#2ca02c"
PROBABILITY_SCALE = [[0.0, "#ffffff"], [1.0, "#1f77b4"]]


def probe_name(label: int) -> str:
    return "your drawing" if label == DRAWING else f"a {label}"


def probe_names(shot: Snapshot) -> list[str]:
    return [probe_name(int(label)) for label in shot.labels]


@functools.lru_cache(maxsize=64)
def _strip(pixels: bytes, count: int) -> str:
    """The probe digits one above the other, as a PNG data address (kilobytes, made once per run)."""
    image = np.frombuffer(pixels, np.uint8).reshape(count * 28, 28)
    return png_address(np.kron(image, np.ones((2, 2), np.uint8)))


def verdict(shot: Snapshot) -> str:
    known = int((shot.labels != DRAWING).sum())
    return f"{shot.right} of {known} probe digits read right"


def probes_figure_data(shot: Snapshot) -> dict:
    """Each probe digit (a row: its picture, then its ten probabilities), the network's answer outlined, and
    ✓ or ✗ beside it (? for the student's drawing, whose answer nobody knows)."""
    n, answers = len(shot.labels), shot.answers
    probs = np.asarray(shot.probabilities, np.float32)
    ticks = [ROW * i + ROW / 2 for i in range(n)]
    text = [[sure(float(p)) if p >= 0.005 else "" for p in row] for row in probs]
    heat = {"type": "heatmap", "x": list(range(10)), "y": ticks, "z": np.nan_to_num(probs).tolist(), "text": text,
            "texttemplate": "%{text}", "textfont": {"size": FONT_SIZE - 6}, "zmin": 0, "zmax": 1,
            "colorscale": PROBABILITY_SCALE, "showscale": False, "xgap": 1, "ygap": 1, "xaxis": "x2", "yaxis": "y",
            "hovertemplate": "%{customdata}: %{x} with %{z:.1%}<extra></extra>",
            "customdata": [[name] * 10 for name in probe_names(shot)]}
    shapes, marks = [], []
    for i, (label, answer) in enumerate(zip(shot.labels.tolist(), answers.tolist())):
        right = label == answer
        shapes.append({"type": "rect", "xref": "x2", "yref": "y", "x0": answer - 0.5, "x1": answer + 0.5,
                       "y0": ROW * i + 1, "y1": ROW * (i + 1) - 1,
                       "line": {"color": PREDICTED_COLOUR if not right else GOOD_COLOUR, "width": 3}})
        mark = "?" if label == DRAWING else "✓" if right else "✗"
        marks.append({"xref": "paper", "yref": "y", "x": 1.0, "xanchor": "left", "y": ticks[i], "text": mark,
                      "showarrow": False, "font": {"size": FONT_SIZE, "color": GOOD_COLOUR if right else
                                                    PREDICTED_COLOUR if label != DRAWING else "#555"}})
    layout = {"height": ROW * n + 70, "margin": {"l": 8, "r": 30, "t": 50, "b": 10}, "font": {"size": FONT_SIZE - 4},
              "title": {"text": f"Probe digits: {verdict(shot)}", "font": {"size": FONT_SIZE - 2}, "x": 0},
              "xaxis": {"domain": [0, 0.1], "range": [0, 28], "visible": False, "fixedrange": True},
              "xaxis2": {"domain": [0.12, 1], "side": "top", "tickmode": "array", "tickvals": list(range(10)),
                         "ticktext": [str(d) for d in range(10)], "fixedrange": True,
                         "tickfont": {"size": FONT_SIZE - 2}},
              "yaxis": {"range": [ROW * n, 0], "visible": False, "fixedrange": True},
              "images": [{"source": _strip(np.ascontiguousarray(shot.probes).tobytes(), n), "xref": "x", "yref": "y",
                          "x": 0, "y": 0, "sizex": 28, "sizey": ROW * n, "sizing": "stretch", "layer": "below"}],
              "shapes": shapes, "annotations": marks, "dragmode": False}
    return {"data": [heat], "layout": layout}


def stuck_words(activation: str) -> str:
    """What 'cannot learn' means for a hidden unit of `activation`."""
    f = activations.REGISTRY[activation]
    if issubclass(f, activations.ReLU):
        return "dead: 0 for every digit, so no gradient, ever"
    if f.saturated is not activations.Activation.saturated:
        return "saturated: in a flat tail, where the slope is almost 0"
    return "dead or saturated (this activation is neither)"


def layer_names(shot: Snapshot) -> list[str]:
    hidden = len(shot.layers) - 1
    return [f"hidden {i}" for i in range(1, hidden + 1)] + ["output"]


def _colour(share: float) -> str:
    return STUCK_COLOUR if share > 0.5 else WATCH_COLOUR if share > 0.1 else FINE_COLOUR


def health_figure_data(shot: Snapshot, activation: str) -> dict:
    """Per layer, two bars: the share of its units that cannot learn (a hidden layer's dead or saturated units;
    the output's digits answered wrong beyond SURE), and the weights' change per step relative to their size,
    on a log scale with the healthy band shaded."""
    names = layer_names(shot)
    stuck = [layer.dead + layer.saturated for layer in shot.layers]  # an activation has one kind or none
    change = [layer.update_ratio if math.isfinite(layer.update_ratio) and layer.update_ratio > 0 else None
              for layer in shot.layers]
    low, high = CHANGE_RANGE
    shown = [None if c is None else min(max(c, 10.0 ** low), 10.0 ** high) for c in change]
    hover = [f"{stuck_words(activation)}" for _ in names[:-1]] + [f"answered wrong, yet over {SURE:.0%} sure"]
    data = [
        {"type": "bar", "orientation": "h", "y": names, "x": stuck, "xaxis": "x", "yaxis": "y",
         "marker": {"color": [_colour(s) for s in stuck]}, "text": [f"{s:.0%}" for s in stuck],
         "textposition": "outside", "cliponaxis": False, "customdata": hover,
         "hovertemplate": "%{y}: %{x:.0%} %{customdata}<extra></extra>"},
        {"type": "bar", "orientation": "h", "y": names, "x": shown, "xaxis": "x2", "yaxis": "y2",
         "base": [10.0 ** low] * len(names),
         "marker": {"color": [FINE_COLOUR if c is None else GOOD_COLOUR if HEALTHY[0] <= c <= HEALTHY[1]
                              else STUCK_COLOUR for c in change]},
         "text": ["" if c is None else f"{c:.0e}" for c in change], "textposition": "outside", "cliponaxis": False,
         "hovertemplate": "%{y}: each step changed the weights by %{text} of their size<extra></extra>"},
    ]
    rows = len(names)
    layout = {"height": 110 + 30 * rows, "margin": {"l": 70, "r": 40, "t": 60, "b": 40}, "showlegend": False,
              "font": {"size": FONT_SIZE - 4}, "bargap": 0.3, "dragmode": False,
              "xaxis": {"domain": [0, 0.42], "range": [0, 1.2], "tickformat": ".0%", "tickvals": [0, 0.5, 1],
                        "fixedrange": True},
              "xaxis2": {"domain": [0.55, 1], "type": "log", "range": [low, high + 0.8], "fixedrange": True,
                         "tickvals": [1e-8, 1e-4, 1], "ticktext": ["10⁻⁸", "10⁻⁴", "1"], "tickangle": 0},
              "yaxis": {"autorange": "reversed", "fixedrange": True},
              "yaxis2": {"autorange": "reversed", "fixedrange": True, "anchor": "x2", "showticklabels": False},
              "shapes": [{"type": "rect", "xref": "x2", "yref": "paper", "x0": HEALTHY[0], "x1": HEALTHY[1], "y0": 0,
                          "y1": 1, "fillcolor": "rgba(44,160,44,0.12)", "line": {"width": 0}, "layer": "below"}],
              "annotations": [
                  {"xref": "x domain", "yref": "paper", "x": 0, "y": 1.02, "yanchor": "bottom", "xanchor": "left",
                   "showarrow": False, "text": "<b>cannot learn</b>", "font": {"size": FONT_SIZE - 3}},
                  {"xref": "x2 domain", "yref": "paper", "x": 0, "y": 1.02, "yanchor": "bottom", "xanchor": "left",
                   "showarrow": False, "text": "<b>change per step</b> (green: healthy)",
                   "font": {"size": FONT_SIZE - 3}}]}
    return {"data": data, "layout": layout}
