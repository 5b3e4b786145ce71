"""What the Notebook's diagram shows about one unit once clicked: what it looks at, what it responds to.

Pure (no Streamlit). The diagram itself is mlp.teaching.diagram's numbers drawn by ui.shared.diagram, which the
Train page's live view shares.
"""
from __future__ import annotations

import numpy as np

from mlp.network import Network
from ui.shared.figures import weight_colours


def incoming_picture(network: Network, unit: int) -> np.ndarray:
    """A first-layer unit's 784 incoming weights as a 28 x 28 RGB picture (blue excites, red inhibits)."""
    w = network.weights[0][:, unit].astype(np.float32)
    return weight_colours(w.reshape(28, 28) / (float(np.abs(w).max()) or 1.0))


def strongest_digits(network: Network, images: np.ndarray, layer: int, unit: int, k: int = 8) -> np.ndarray:
    """Indices of the `k` images that make a unit of `layer` (1 = first hidden, last = output) most active."""
    fp = network.forward(np.asarray(images, network.params.dtype))
    values = fp.hidden[layer - 1][:, unit] if layer <= len(fp.hidden) else fp.logits[:, unit]
    return np.argsort(-values, kind="stable")[:k]
