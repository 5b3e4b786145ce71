"""The network as a diagram, in numbers: for each of some digits, the units worth drawing and what they carry.

A layer wider than MOST_UNITS is sampled: the units most active for the digit (the input: its brightest
pixels). Between two drawn columns, each drawn unit keeps the EDGES_PER_UNIT incoming connections that
contribute most to it (|input × weight|). Small by design: the Train page's live view receives it from a worker
process about once a second (mlp.teaching.insides), the Notebook page draws it from its slow-motion network;
the figure is ui.shared.diagram's.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..losses import softmax
from ..network import ForwardPass, Network

MOST_UNITS = 16
EDGES_PER_UNIT = 3


@dataclass(frozen=True)
class Diagram:
    """Per layer, input first: `units` (digits, drawn) the unit numbers drawn, in increasing order, and `values`
    (digits, drawn) their values for each digit (pixel, activation, probability). Per pair of layers:
    `sources` (digits, drawn above, EDGES) the strongest incoming connections of each unit drawn above, as
    positions in the column below, and `strengths` their contributions as a share of the pair's strongest
    (int8, -127 to 127: the sign says whether it adds or takes away)."""
    sizes: tuple[int, ...]
    units: tuple[np.ndarray, ...]
    values: tuple[np.ndarray, ...]
    sources: tuple[np.ndarray, ...]
    strengths: tuple[np.ndarray, ...]

    @property
    def digits(self) -> int:
        return len(self.units[0])

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for part in (self.units, self.values, self.sources, self.strengths) for a in part)


def build(network: Network, images: np.ndarray) -> Diagram:
    """The diagram of `network` for each of `images` ((n, 784), or one image)."""
    x = np.asarray(images, network.params.dtype).reshape(-1, network.sizes[0])
    return from_pass(network, network.forward(x))


def from_pass(network: Network, fp: ForwardPass, digits: int | None = None) -> Diagram:
    """The diagram of the first `digits` rows (default: all) of a forward pass already made."""
    n = len(fp.logits) if digits is None else digits
    layers = (fp.inputs[0][:n], *(h[:n] for h in fp.hidden), softmax(fp.logits[:n]))
    units = tuple(_drawn(np.asarray(v)) for v in layers)
    values = tuple(np.take_along_axis(v, u, axis=1).astype(np.float32) for v, u in zip(layers, units))
    sources, strengths = [], []
    for layer, w in enumerate(network.weights):
        below, above = units[layer], units[layer + 1]
        picked = w[below[:, :, None], above[:, None, :]]  # (digits, drawn below, drawn above)
        contribution = values[layer][:, :, None] * picked
        k = min(EDGES_PER_UNIT, below.shape[1])
        strongest = np.argsort(-np.abs(contribution), axis=1, kind="stable")[:, :k, :]  # (digits, k, drawn above)
        chosen = np.take_along_axis(contribution, strongest, axis=1)
        biggest = np.abs(chosen).max(axis=(1, 2), keepdims=True)
        biggest[~(biggest > 0)] = 1.0  # no contribution at all (or not finite): widths of 0
        share = np.nan_to_num(chosen / biggest, nan=0.0, posinf=1.0, neginf=-1.0)
        sources.append(strongest.transpose(0, 2, 1).astype(np.uint8))
        strengths.append(np.round(share * 127).transpose(0, 2, 1).astype(np.int8))
    return Diagram(network.sizes, units, values, tuple(sources), tuple(strengths))


def _drawn(values: np.ndarray) -> np.ndarray:
    """(digits, drawn) unit numbers: all of a narrow layer, else the MOST_UNITS largest values, in order."""
    n, width = values.shape
    if width <= MOST_UNITS:
        return np.broadcast_to(np.arange(width, dtype=np.uint16), (n, width)).copy()
    top = np.argsort(-np.nan_to_num(values, nan=-np.inf), axis=1, kind="stable")[:, :MOST_UNITS]
    return np.sort(top, axis=1).astype(np.uint16)
