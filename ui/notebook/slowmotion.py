"""Backpropagation in slow motion, as text: one step's numbers written out the way a teacher writes them.

Pure (no Streamlit): each function turns part of an `mlp.teaching.slowmotion.SlowStep` into lines or table rows.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from mlp.teaching.slowmotion import SlowStep
from ui.shared.figures import FONT_SIZE, readable_axes

TERMS = 3  # products written out in a sum; the rest are counted


def number(value: float) -> str:
    return f"{value:.4g}" if value == 0 or 1e-4 <= abs(value) < 1e5 else f"{value:.3e}"


def written_sum(left: np.ndarray, right: np.ndarray, names: str, total: float, plus: str = "") -> str:
    """'a × b + c × d + … + plus = total', the TERMS largest products written out, the others counted."""
    products = left * right
    largest = np.argsort(-np.abs(products), kind="stable")[:TERMS]
    shown = " + ".join(f"{number(left[k])} × {number(right[k])}" for k in largest)
    rest = len(products) - len(largest)
    more = f" + … ({rest} more {names})" if rest else ""
    return f"{shown}{more}{plus} = {number(total)}"


def unit_forward(step: SlowStep, layer: int, unit: int, example: int, activation: str) -> list[str]:
    """z = input · W[:, unit] + b[unit] for one example, then the unit's output."""
    numbers = step.layers[layer]
    z = float(numbers.z[example, unit])
    line = written_sum(numbers.inputs[example], numbers.weights[:, unit], "input × weight products", z,
                       f" + {number(float(numbers.biases[unit]))} (bias)")
    last = layer == len(step.layers) - 1
    out = float(numbers.out[example, unit])
    told = f"softmax gives p = {number(out)}, the probability of digit {unit}" if last else \
        f"{activation}(z) = {number(out)}"
    return [f"z = {line}", told]


def loss_rows(step: SlowStep) -> list[dict]:
    """Each example's label, the probability given to it and -log of that; their mean is the loss."""
    probs = step.layers[-1].out
    rows = []
    for n, label in enumerate(step.labels):
        p = float(probs[n, label])
        rows.append({"example": n, "label": int(label), "guess": int(probs[n].argmax()), "p(label)": number(p),
                     "−log p(label)": number(-np.log(max(p, 1e-45)))})
    return rows


def delta_rows(step: SlowStep, unit_of: dict[int, int], example: int) -> list[dict]:
    """Layer by layer from the output back: the delta (dL/dz) of one unit for one example (the chosen unit where
    `unit_of` names one, else the layer's largest), and the layer's mean size."""
    rows = []
    for layer in range(len(step.layers) - 1, -1, -1):
        delta = step.layers[layer].delta
        unit = unit_of.get(layer, int(np.abs(delta[example]).argmax()))  # else the unit most to blame
        rows.append({"layer": layer, "unit": unit, "delta of that unit": number(float(delta[example, unit])),
                     "mean |delta| of the layer": number(float(np.abs(delta).mean())),
                     "how": "p − one-hot, over the batch size" if layer == len(step.layers) - 1 else
                            f"(delta of layer {layer + 1}) · W{layer + 1}ᵀ × f′(z)"})
    return rows


def gradient_lines(step: SlowStep, optimizer: str) -> list[str]:
    """dL/dw = Σ over the batch of input × delta, then the update the optimiser made."""
    layer, i, j = step.weight
    numbers = step.layers[layer]
    grad = written_sum(numbers.inputs[:, i], numbers.delta[:, j], "input × delta products", step.gradient)
    change = step.after - step.before
    how = f"− {number(step.lr)} × {number(step.gradient)}" if optimizer == "sgd" else \
        f"as {optimizer} scales it, with learning rate {number(step.lr)}"
    return [f"dL/dW{layer}[{i}, {j}] = Σ over the batch of (input {i}) × (delta of unit {j}) = {grad}",
            f"update: {number(step.before)} → {number(step.after)}  (change {number(change)}, {how})"]


def steps_figure(losses: list[float], weights: list[float], weight_name: str) -> go.Figure:
    """The batch loss and the chosen weight after each step taken so far."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("Loss of each step's batch", f"{weight_name} after each step"))
    x = list(range(1, len(losses) + 1))
    fig.add_trace(go.Scatter(x=x, y=losses, mode="lines+markers", name="loss"), row=1, col=1)
    fig.add_trace(go.Scatter(x=x, y=weights, mode="lines+markers", name=weight_name), row=1, col=2)
    fig.update_xaxes(title_text="steps", tick0=1, dtick=max(1, len(losses) // 8))
    fig.update_annotations(font_size=FONT_SIZE)
    fig.update_layout(font=dict(size=FONT_SIZE - 2), height=320, showlegend=False, margin=dict(l=60, r=20, t=50, b=50))
    return readable_axes(fig)
