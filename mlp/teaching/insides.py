"""A network's insides while it learns: small snapshots to watch it change, not only its curves.

Each snapshot holds the first layer's weights as pictures, the network's answers for a few fixed probe digits,
the diagram of every probe (mlp.teaching.diagram), and per layer the share of units that cannot learn and the
size of the weights' change. The Train page's worker takes one about once a second and at each epoch's end
(training.workers) and sends it beside the curves; the page only draws it. A notebook takes them itself:

    camera = Camera.for_split(split, config.classes)
    for step in trainer.steps():
        if step.step % 100 == 0:
            shot = camera.look(trainer.model.network, step.step, step.epoch)

Kilobytes, whatever the network's size: at most PICTURED units as uint8 pictures, probabilities as float16,
MOST_UNITS per layer in the diagram (MAX_BYTES bounds a pickled snapshot).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Sequence

import numpy as np

from ..diagnostics import LayerStats, measure
from ..losses import softmax
from ..network import Network
from .diagram import Diagram, from_pass

PICTURED = 32  # first-layer units shown as pictures: the first ones, the same in every snapshot
SAMPLE = 100  # held-out digits on which units are counted as saturated or dead
SURE = 0.99  # an answer this sure is the softmax's flat tail: wrong there, it hardly learns
DRAWING = -1  # the probe label of the student's own drawing: no known answer
CHANGE_FULL = 0.5  # a change picture's full colour: a change of half the unit's largest starting weight
MAX_BYTES = 96 * 1024  # a pickled snapshot of any network the settings allow stays below this


@dataclass(frozen=True)
class Snapshot:
    """The insides at one step. `pictures` (units, 28, 28) uint8: 128 + 127 × each weight divided by its unit's
    largest |weight|; `changes` the same for what training changed since the start, on a scale fixed for the run
    (full at CHANGE_FULL of the unit's largest starting weight: a run that learns nothing stays blank).
    `probes` (probes, 28, 28) uint8 and `labels` (DRAWING for the student's drawing), `probabilities` (probes, 10)
    float16. `layers`: each weight layer's health, the output layer last (its `saturated` is the share of sample
    digits answered wrong and more than SURE; `update_ratio` is the weights' change per step since the previous
    snapshot, relative to their size: nan for the first)."""
    step: int
    epoch: float
    sizes: tuple[int, ...]
    units: int  # first-layer units in all; `pictures` holds the first PICTURED
    pictures: np.ndarray
    changes: np.ndarray
    probes: np.ndarray
    labels: np.ndarray
    probabilities: np.ndarray
    diagram: Diagram
    layers: tuple[LayerStats, ...]

    @property
    def answers(self) -> np.ndarray:
        return np.asarray(self.probabilities, np.float32).argmax(axis=1)

    @property
    def right(self) -> int:
        """Probe digits of known label read right."""
        known = self.labels != DRAWING
        return int((self.answers[known] == self.labels[known]).sum())

    def weights(self) -> np.ndarray:
        """The pictured units' weights, each scaled to [-1, 1] (float32)."""
        return _unpack(self.pictures)

    def changed(self) -> np.ndarray:
        """What training changed in the pictured units' weights, in [-1, 1] (float32)."""
        return _unpack(self.changes)

    @property
    def nbytes(self) -> int:
        arrays = (self.pictures, self.changes, self.probes, self.labels, self.probabilities)
        return sum(a.nbytes for a in arrays) + self.diagram.nbytes + 32 * len(self.layers)


def probe_rows(labels: np.ndarray, classes: Sequence[int]) -> np.ndarray:
    """The row of the first digit of each class in `labels` (classes absent from them are left out)."""
    labels = np.asarray(labels)
    return np.array([int(np.argmax(labels == c)) for c in classes if (labels == c).any()], dtype=np.int64)


def look(network: Network, probes: np.ndarray, labels: np.ndarray, sample: np.ndarray, sample_labels: np.ndarray,
         *, before: Sequence[np.ndarray] | None = None, steps: int = 0, start: np.ndarray | None = None,
         step: int = 0, epoch: float = 0.0) -> Snapshot:
    """A snapshot of `network`: its answers and diagram for `probes` (n, 784) of `labels`, its units' health on
    `sample` (m, 784) of `sample_labels` (one forward pass for both), given the weights `before` the last `steps`
    steps, how much they changed per step, and given the pictured units' weights at the `start` (784, PICTURED),
    what training changed in them."""
    dtype = network.params.dtype
    probes = np.asarray(probes, dtype).reshape(-1, network.sizes[0])
    sample = np.asarray(sample, dtype).reshape(-1, network.sizes[0])
    n = len(probes)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # a diverged network shows as nan/inf
        fp = network.forward(np.concatenate([probes, sample]))
        diagram = from_pass(network, fp, n)
        probabilities = diagram.values[-1]
        changes = [w - b for w, b in zip(network.weights, before)] if before is not None else None
        stats = measure(network, fp, changes)
        layers = tuple(replace(s, update_ratio=s.update_ratio / steps if before is not None and steps > 0 else math.nan)
                       for s in stats)
        layers = (*layers[:-1], replace(layers[-1], saturated=_sure_and_wrong(fp.logits[n:], sample_labels)))
        first = network.weights[0][:, :PICTURED]  # (784, units)
        pictures = _pack(first / _largest(first))
        changes = _pack((first - start) / (CHANGE_FULL * _largest(start)) if start is not None else first * 0)
    return Snapshot(step=int(step), epoch=float(epoch), sizes=network.sizes, units=network.sizes[1],
                    pictures=pictures, changes=changes,
                    probes=np.round(np.clip(probes, 0, 1) * 255).astype(np.uint8).reshape(n, 28, 28),
                    labels=np.asarray(labels, np.int8), probabilities=probabilities.astype(np.float16),
                    diagram=_compact(diagram), layers=layers)


def _largest(weights: np.ndarray) -> np.ndarray:
    """Each unit's (column's) largest |weight|, 1 where there is none."""
    scale = np.abs(weights).max(axis=0, keepdims=True)
    scale[~(scale > 0)] = 1.0
    return scale


def _pack(columns: np.ndarray) -> np.ndarray:
    """Values in [-1, 1], one unit per column of 784, as (units, 28, 28) uint8: 128 + 127 × value."""
    packed = np.clip(np.nan_to_num(columns), -1, 1).T * 127 + 128
    return np.round(packed).astype(np.uint8).reshape(-1, 28, 28)


def _unpack(pictures: np.ndarray) -> np.ndarray:
    return (pictures.astype(np.float32) - 128) / 127


def _sure_and_wrong(logits: np.ndarray, labels: np.ndarray) -> float:
    """Share of the digits answered wrong with a probability above SURE: a softmax stuck in its flat tail."""
    if len(logits) == 0:
        return 0.0
    p = softmax(logits)
    answers = p.argmax(axis=1)
    return float(np.mean((p.max(axis=1) > SURE) & (answers != np.asarray(labels))))


def _compact(diagram: Diagram) -> Diagram:
    """Values as float32 (huge ones stay readable; a start from N(0, 1) gives activations of millions)."""
    return replace(diagram, values=tuple(np.asarray(v, np.float32) for v in diagram.values))


class Camera:
    """Takes snapshots of one run: fixed probes and sample, and the weights at the previous snapshot, so that
    each snapshot measures the change since the last."""

    def __init__(self, probes: np.ndarray, labels: np.ndarray, sample: np.ndarray, sample_labels: np.ndarray):
        self.probes, self.labels = probes, labels
        self.sample, self.sample_labels = sample, sample_labels
        self._before: list[np.ndarray] | None = None
        self._start: np.ndarray | None = None  # the pictured units' weights at the first snapshot
        self._step = 0
        self.taken = 0  # the step of the last snapshot; 0 before the first

    @classmethod
    def for_split(cls, split, classes: Sequence[int], drawing: np.ndarray | None = None) -> "Camera":
        """Probes: the first test digit of each of `classes`, then `drawing` (784 values in [0, 1]) if given;
        sample: the first SAMPLE test digits."""
        rows = probe_rows(split.y_test, classes)
        probes, labels = np.asarray(split.x_test[rows], np.float32), np.asarray(split.y_test)[rows]
        if drawing is not None:
            probes = np.concatenate([probes, np.asarray(drawing, np.float32).reshape(1, -1)])
            labels = np.append(labels, DRAWING)
        count = min(SAMPLE, len(split.y_test))
        return cls(probes, labels, np.asarray(split.x_test[:count], np.float32), np.asarray(split.y_test[:count]))

    def look(self, network: Network, step: int, epoch: float) -> Snapshot:
        if self._start is None:
            self._start = network.weights[0][:, :PICTURED].copy()
        shot = look(network, self.probes, self.labels, self.sample, self.sample_labels, before=self._before,
                    steps=step - self._step, start=self._start, step=step, epoch=epoch)
        self._before, self._step, self.taken = [w.copy() for w in network.weights], step, step
        return shot
