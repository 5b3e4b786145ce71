"""The network as a diagram: layers as columns of units lit by one digit, the connections that carry the most.

Pure (no Streamlit). A layer wider than MOST_UNITS is sampled: the units that are most active for the digit
(the input: its brightest pixels), and the figure's column titles say so. Between two drawn columns, each unit
shows the EDGES_PER_UNIT incoming connections that contribute most (|input × weight|): blue adds, red takes away.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np
import plotly.graph_objects as go

from mlp.losses import softmax
from mlp.network import Network
from ui.shared.figures import FONT_SIZE
from ui.shared.figures import weight_colours

MOST_UNITS = 16
EDGES_PER_UNIT = 3
POSITIVE, NEGATIVE = "rgba(31,119,180,0.55)", "rgba(214,39,40,0.55)"
LIT = [[0.0, "#3a3a3a"], [1.0, "#ffd400"]]  # a unit off is dark grey, fully active bright yellow


@dataclass(frozen=True)
class Diagram:
    sizes: tuple[int, ...]
    units: tuple[np.ndarray, ...]  # per layer, input first: the indices of the units drawn, in order
    values: tuple[np.ndarray, ...]  # per layer: every unit's value for the digit (pixel, activation, probability)

    def position(self, layer: int, rank: int) -> tuple[float, float]:
        count = len(self.units[layer])
        return float(layer), 1.0 - (rank + 0.5) / count


def build(network: Network, image: np.ndarray) -> Diagram:
    """The digit's values at every layer, and which units to draw."""
    x = np.asarray(image, network.params.dtype).reshape(1, -1)
    fp = network.forward(x)
    values = (x[0], *(h[0] for h in fp.hidden), softmax(fp.logits)[0])
    units = tuple(np.sort(np.argsort(-v, kind="stable")[:MOST_UNITS]) if len(v) > MOST_UNITS else np.arange(len(v))
                  for v in values)
    return Diagram(network.sizes, units, values)


def column_title(diagram: Diagram, layer: int) -> str:
    size, last = diagram.sizes[layer], len(diagram.sizes) - 1
    name = "input" if layer == 0 else "output" if layer == last else f"hidden {layer}"
    if size <= MOST_UNITS:
        return f"{name}: {'the 10 digits' if layer == last else f'all {size} units'}"
    return f"{name}: {MOST_UNITS} of {size:,}<br>{'brightest pixels' if layer == 0 else 'most active units'}"


def _edges(diagram: Diagram, network: Network, layer: int) -> dict[str, tuple[list, list, list]]:
    """Line segments (x, y with None gaps, and widths) from layer to layer + 1, by sign."""
    sources, targets = diagram.units[layer], diagram.units[layer + 1]
    contribution = diagram.values[layer][sources, None] * network.weights[layer][np.ix_(sources, targets)]
    biggest = float(np.abs(contribution).max()) or 1.0
    out: dict[str, tuple[list, list, list]] = {POSITIVE: ([], [], []), NEGATIVE: ([], [], [])}
    for t in range(len(targets)):
        for s in np.argsort(-np.abs(contribution[:, t]), kind="stable")[:EDGES_PER_UNIT]:
            xs, ys, widths = out[POSITIVE if contribution[s, t] >= 0 else NEGATIVE]
            (x0, y0), (x1, y1) = diagram.position(layer, s), diagram.position(layer + 1, t)
            xs += [x0, x1, None]
            ys += [y0, y1, None]
            widths.append(abs(contribution[s, t]) / biggest)
    return out


def diagram_figure(diagram: Diagram, network: Network) -> go.Figure:
    """Columns of units, brighter when more active (each layer on its own scale), and the strongest connections."""
    fig = go.Figure()
    for layer in range(len(diagram.sizes) - 1):
        for colour, (xs, ys, widths) in _edges(diagram, network, layer).items():
            if xs:  # one trace per sign and layer: Plotly gives a trace one width, the mean here
                fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", hoverinfo="skip", showlegend=False,
                                         line=dict(color=colour, width=1 + 4 * float(np.mean(widths)))))
    for layer, units in enumerate(diagram.units):
        values = diagram.values[layer][units]
        top = float(diagram.values[layer].max()) or 1.0
        xs, ys = zip(*(diagram.position(layer, r) for r in range(len(units))))
        fig.add_trace(go.Scatter(
            x=xs, y=ys, mode="markers+text", text=[str(u) for u in units], textposition="middle right",
            customdata=[[layer, int(u), float(v)] for u, v in zip(units, values)], showlegend=False,
            marker=dict(size=22, color=np.clip(values / top, 0, 1), colorscale=LIT, cmin=0, cmax=1,
                        line=dict(color="#555", width=1)),
            selected=dict(marker=dict(size=30)), unselected=dict(marker=dict(opacity=1)),
            hovertemplate=f"layer {layer}, unit %{{text}}: %{{customdata[2]:.3g}}<extra></extra>"))
        fig.add_annotation(x=layer, y=1.02, text=column_title(diagram, layer), showarrow=False, yanchor="bottom",
                           font=dict(size=FONT_SIZE - 4))
    fig.update_xaxes(visible=False, range=[-0.3, len(diagram.sizes) - 0.5])
    fig.update_yaxes(visible=False, range=[-0.02, 1.16])
    fig.update_layout(height=620, margin=dict(l=10, r=10, t=10, b=10), font=dict(size=FONT_SIZE - 4),
                      clickmode="event+select", dragmode=False)
    return fig


def clicked_unit(selection: Mapping[str, Any] | None) -> tuple[int, int] | None:
    """(layer, unit) of the last unit clicked, from what st.plotly_chart returns; None if no unit was."""
    points = ((selection or {}).get("selection") or {}).get("points") or []
    for point in reversed(points):
        data = point.get("customdata") if isinstance(point, Mapping) else None
        if isinstance(data, (list, tuple)) and len(data) >= 2:
            return int(data[0]), int(data[1])
    return None


def incoming_picture(network: Network, unit: int) -> np.ndarray:
    """A first-layer unit's 784 incoming weights as a 28 x 28 RGB picture (blue excites, red inhibits)."""
    w = network.weights[0][:, unit].astype(np.float32)
    return weight_colours(w.reshape(28, 28) / (float(np.abs(w).max()) or 1.0))


def strongest_digits(network: Network, images: np.ndarray, layer: int, unit: int, k: int = 8) -> np.ndarray:
    """Indices of the `k` images that make a unit of `layer` (1 = first hidden, last = output) most active."""
    fp = network.forward(np.asarray(images, network.params.dtype))
    values = fp.hidden[layer - 1][:, unit] if layer <= len(fp.hidden) else fp.logits[:, unit]
    return np.argsort(-values, kind="stable")[:k]
