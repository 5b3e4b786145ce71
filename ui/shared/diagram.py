"""The network as a diagram: layers as columns of units lit by one digit, the connections that carry the most.

Pure (no Streamlit): drawn from mlp.teaching.diagram's numbers alone, so the Train page draws it from a worker's
snapshot (no weights in the web process) as the Notebook page does from its own network. Built as plain data,
cheap enough for a live view's every poll; `diagram_figure` wraps it for st.plotly_chart.
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import plotly.graph_objects as go

from mlp.teaching.diagram import MOST_UNITS, Diagram
from ui.shared.figures import FONT_SIZE

POSITIVE, NEGATIVE = "rgba(31,119,180,0.55)", "rgba(214,39,40,0.55)"  # a connection that adds, that takes away
LIT = [[0.0, "#3a3a3a"], [1.0, "#ffd400"]]  # a unit off is dark grey, fully active bright yellow
HEIGHT = 620


def position(diagram: Diagram, layer: int, rank: int) -> tuple[float, float]:
    count = diagram.units[layer].shape[1]
    return float(layer), 1.0 - (rank + 0.5) / count


def column_title(diagram: Diagram, layer: int) -> str:
    size, last = diagram.sizes[layer], len(diagram.sizes) - 1
    name = "input" if layer == 0 else "output" if layer == last else f"hidden {layer}"
    if size <= MOST_UNITS:
        return f"{name}: {'the 10 digits' if layer == last else f'all {size} units'}"
    return f"{name}: {MOST_UNITS} of {size:,}<br>{'brightest pixels' if layer == 0 else 'most active units'}"


def _edges(diagram: Diagram, digit: int, layer: int) -> list[dict]:
    """The connections from layer to layer + 1 as two line traces (adding, taking away), x and y with None gaps."""
    sources, strengths = diagram.sources[layer][digit], diagram.strengths[layer][digit]  # (drawn above, k)
    lines: dict[str, tuple[list, list, list]] = {POSITIVE: ([], [], []), NEGATIVE: ([], [], [])}
    for target in range(sources.shape[0]):
        for source, strength in zip(sources[target].tolist(), strengths[target].tolist()):
            xs, ys, widths = lines[POSITIVE if strength >= 0 else NEGATIVE]
            (x0, y0), (x1, y1) = position(diagram, layer, source), position(diagram, layer + 1, target)
            xs += [x0, x1, None]
            ys += [y0, y1, None]
            widths.append(abs(strength) / 127)
    # Plotly gives a trace one width: the mean of its connections'
    return [{"type": "scatter", "x": xs, "y": ys, "mode": "lines", "hoverinfo": "skip", "showlegend": False,
             "line": {"color": colour, "width": 1 + 4 * float(np.mean(widths))}}
            for colour, (xs, ys, widths) in lines.items() if xs]


def _units(diagram: Diagram, digit: int, layer: int) -> dict:
    units, values = diagram.units[layer][digit].tolist(), diagram.values[layer][digit].astype(float)
    finite = values[np.isfinite(values)]
    top = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
    xs, ys = zip(*(position(diagram, layer, r) for r in range(len(units))))
    return {"type": "scatter", "x": list(xs), "y": list(ys), "mode": "markers+text", "text": [str(u) for u in units],
            "textposition": "middle right", "showlegend": False,
            "customdata": [[layer, u, v if np.isfinite(v) else None] for u, v in zip(units, values.tolist())],
            "marker": {"size": 22, "color": np.nan_to_num(np.clip(values / top, 0, 1)).tolist(), "colorscale": LIT,
                       "cmin": 0, "cmax": 1, "line": {"color": "#555", "width": 1}},
            "selected": {"marker": {"size": 30}}, "unselected": {"marker": {"opacity": 1}},
            "hovertemplate": f"layer {layer}, unit %{{text}}: %{{customdata[2]:.3g}}<extra></extra>"}


def diagram_figure_data(diagram: Diagram, digit: int = 0, height: int = HEIGHT) -> dict:
    """Columns of units for `digit` (a row of the diagram), brighter when more active (each layer on its own
    scale), and each drawn unit's strongest incoming connections; as plain Plotly data."""
    data = [trace for layer in range(len(diagram.sizes) - 1) for trace in _edges(diagram, digit, layer)]
    data += [_units(diagram, digit, layer) for layer in range(len(diagram.sizes))]
    titles = [{"x": layer, "y": 1.02, "text": column_title(diagram, layer), "showarrow": False, "yanchor": "bottom",
               "font": {"size": FONT_SIZE - 4}} for layer in range(len(diagram.sizes))]
    layout = {"xaxis": {"visible": False, "range": [-0.3, len(diagram.sizes) - 0.5]},
              "yaxis": {"visible": False, "range": [-0.02, 1.16]}, "annotations": titles, "height": height,
              "margin": {"l": 10, "r": 10, "t": 10, "b": 10}, "font": {"size": FONT_SIZE - 4},
              "clickmode": "event+select", "dragmode": False}
    return {"data": data, "layout": layout}


def diagram_figure(diagram: Diagram, digit: int = 0) -> go.Figure:
    return go.Figure(diagram_figure_data(diagram, digit))


def clicked_unit(selection: Mapping[str, Any] | None) -> tuple[int, int] | None:
    """(layer, unit) of the last unit clicked, from what st.plotly_chart returns; None if no unit was."""
    points = ((selection or {}).get("selection") or {}).get("points") or []
    for point in reversed(points):
        data = point.get("customdata") if isinstance(point, Mapping) else None
        if isinstance(data, (list, tuple)) and len(data) >= 2:
            return int(data[0]), int(data[1])
    return None
