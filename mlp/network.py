"""A fully-connected network: forward pass and backpropagation.

All weights and biases live in one flat float32 vector (`params`); each layer's
W and b are views into it. Gradients live in a second vector of the same layout.
That costs nothing to read, and lets an optimiser update every parameter with a
few whole-vector NumPy operations instead of a loop over layers.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from . import activations, initializers
from .config import TrainConfig
from .losses import softmax

CLASSES = 10


@dataclass
class ForwardPass:
    """What backpropagation needs from a forward pass."""
    inputs: list[np.ndarray]  # each layer's input: the batch, then each hidden output after dropout
    hidden: list[np.ndarray]  # each hidden layer's activation f(z), before dropout
    masks: list[np.ndarray | None]  # dropout masks, already scaled by 1/keep
    logits: np.ndarray


class Network:
    def __init__(self, sizes: Sequence[int], activation: str = TrainConfig.activation,
                 settings: Mapping[str, Any] | None = None, dtype: type = np.float32):
        """`settings` (a config's, say) holds the values the activation reads, by name; one not given takes
        its default. `dtype` is float32 for training; float64 serves gradient checks. `sizes` may be just
        (784, 10): no hidden layer, a softmax regression."""
        sizes = tuple(int(s) for s in sizes)
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(f"a network needs at least an input and an output size, all positive; got {sizes}")
        self.sizes = sizes
        self.activation: activations.Activation = activations.REGISTRY.build(activation, **(settings or {}))
        shapes = [(n_in, n_out) for n_in, n_out in zip(sizes[:-1], sizes[1:])]
        self.params = np.zeros(sum(i * o + o for i, o in shapes), dtype=dtype)
        self.grads = np.zeros_like(self.params)
        self.weights, self.biases = self.views(self.params)
        self.weight_grads, self.bias_grads = self.views(self.grads)

    def __getstate__(self) -> dict:
        """What a copy sent to another process (a worker's weights, pickled) carries: sizes, activation, parameters.
        The per-layer views and the gradients are made again on arrival: pickled as they were, every view travelled
        as a copy of its own, with the gradients beside them, and a network arrived at four times its size (the web
        process held 92 MB for each 784-2048-2048-10 network a run sent it)."""
        return {"sizes": self.sizes, "activation": self.activation, "params": self.params}

    def __setstate__(self, state: dict) -> None:
        self.sizes, self.activation, self.params = state["sizes"], state["activation"], state["params"]
        self.grads = np.zeros(self.params.shape, self.params.dtype)  # untouched zeros: no memory until used
        self.weights, self.biases = self.views(self.params)
        self.weight_grads, self.bias_grads = self.views(self.grads)

    def views(self, flat: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Each layer's W and b in `flat`, a vector laid out like `params` (the gradients, an optimiser's step)."""
        weights, biases, at = [], [], 0
        for n_in, n_out in zip(self.sizes[:-1], self.sizes[1:]):
            weights.append(flat[at:at + n_in * n_out].reshape(n_in, n_out))
            at += n_in * n_out
            biases.append(flat[at:at + n_out])
            at += n_out
        return weights, biases

    @property
    def layers(self) -> int:
        return len(self.weights)

    def initialize(self, rng: np.random.Generator, init: str = TrainConfig.init, std: float = TrainConfig.init_std,
                   bias: float = TrainConfig.bias_init) -> "Network":
        """Draw every weight from N(0, s^2), s chosen per layer by `init` (`std` is the normal one's s);
        every bias starts at `bias`."""
        spread = initializers.REGISTRY.build(init, init_std=std)
        for w, b in zip(self.weights, self.biases):
            w[...] = rng.standard_normal(w.shape, dtype=np.float32) * np.float32(spread.std(*w.shape))
            b[...] = bias
        return self

    def forward(self, x: np.ndarray, *, dropout: float = 0.0, rng: np.random.Generator | None = None) -> ForwardPass:
        """Compute every layer's output for a batch x of shape (n, 784).

        Dropout (training only) zeroes each hidden unit with probability `dropout`
        and scales the survivors by 1/(1-dropout), so nothing changes at test time.
        """
        fp = ForwardPass(inputs=[x], hidden=[], masks=[], logits=x)
        h, last = x, self.layers - 1
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            z = h @ w
            z += b
            if i == last:
                fp.logits = z
                break
            h = self.activation.forward(z)
            fp.hidden.append(h)
            mask = None
            if dropout > 0:
                mask = (rng.random(h.shape, dtype=np.float32) < 1.0 - dropout).astype(h.dtype) / h.dtype.type(1.0 - dropout)
                h = h * mask
            fp.masks.append(mask)
            fp.inputs.append(h)
        return fp

    def backward(self, fp: ForwardPass, dlogits: np.ndarray) -> np.ndarray:
        """Backpropagate dL/dlogits through every layer, filling `self.grads`; returns it.

        For layer i with input a and output gradient delta: dW = a^T delta, db = 1^T delta (the sum
        of delta's rows, written as a product: one BLAS call, ~2x faster than .sum(axis=0) here),
        and the gradient passed down is delta W^T times the activation's derivative.
        """
        delta, ones = dlogits, np.ones(len(dlogits), dtype=dlogits.dtype)
        for i in range(self.layers - 1, -1, -1):
            np.matmul(fp.inputs[i].T, delta, out=self.weight_grads[i])
            np.matmul(ones, delta, out=self.bias_grads[i])
            if i == 0:
                break
            delta = delta @ self.weights[i].T
            if fp.masks[i - 1] is not None:
                delta *= fp.masks[i - 1]
            self.activation.backward(delta, fp.hidden[i - 1])
        return self.grads

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """Softmax probabilities (n, 10) for images x of shape (n, 784) with values in [0, 1]."""
        x = np.asarray(x, dtype=self.params.dtype)
        if x.ndim == 1:
            x = x[None, :]
        if x.ndim != 2 or x.shape[1] != self.sizes[0]:
            raise ValueError(f"expected images of shape (n, {self.sizes[0]}), got {x.shape}")
        return softmax(self.forward(x).logits)

    def copy(self) -> "Network":
        twin = Network(self.sizes, dtype=self.params.dtype)
        twin.activation = self.activation  # it holds no state, so the twin may share it
        twin.params[...] = self.params
        return twin
