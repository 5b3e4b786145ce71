"""Update rules: how a gradient becomes a change of the weights.

Each optimiser updates the network's flat parameter vector in place from its flat
gradient vector, with whole-vector NumPy operations writing into buffers it owns:
an update allocates nothing and touches each number a few times only.
"""
from __future__ import annotations

import numpy as np

NAMES = ("sgd", "momentum", "nesterov", "rmsprop", "adam")


class Optimizer:
    def __init__(self, size: int):
        self.t = 0  # steps taken
        self._scratch = np.empty(size, dtype=np.float32)

    def step(self, params: np.ndarray, grads: np.ndarray, lr: float) -> None:
        self.t += 1
        self._update(params, grads, np.float32(lr))

    def _update(self, params, grads, lr) -> None:
        raise NotImplementedError


class SGD(Optimizer):
    """w <- w - lr * g"""

    def _update(self, params, grads, lr):
        np.multiply(grads, lr, out=self._scratch)
        params -= self._scratch


class Momentum(Optimizer):
    """v <- mu v - lr g;  w <- w + v   (the notebook's form: a velocity that remembers past steps)"""

    def __init__(self, size: int, momentum: float = 0.9):
        super().__init__(size)
        self.mu = np.float32(momentum)
        self.velocity = np.zeros(size, dtype=np.float32)

    def _update(self, params, grads, lr):
        self.velocity *= self.mu
        np.multiply(grads, lr, out=self._scratch)
        self.velocity -= self._scratch
        params += self.velocity


class Nesterov(Momentum):
    """Momentum that looks ahead: v <- mu v - lr g;  w <- w + mu v - lr g."""

    def _update(self, params, grads, lr):
        super()._update(params, grads, lr)  # w += v
        params -= self._scratch  # the extra "- lr g" ...
        np.multiply(self.velocity, self.mu - np.float32(1.0), out=self._scratch)
        params += self._scratch  # ... and "+ (mu - 1) v": together w + mu v - lr g


class RMSprop(Optimizer):
    """s <- rho s + (1 - rho) g^2;  w <- w - lr g / (sqrt(s) + eps): each weight gets its own step size."""

    def __init__(self, size: int, rho: float = 0.9, eps: float = 1e-7):
        super().__init__(size)
        self.rho, self.eps = np.float32(rho), np.float32(eps)
        self.square_avg = np.zeros(size, dtype=np.float32)

    def _update(self, params, grads, lr):
        s = self._scratch
        np.multiply(grads, grads, out=s)
        s -= self.square_avg
        s *= np.float32(1.0) - self.rho
        self.square_avg += s  # s_avg + (1 - rho)(g^2 - s_avg) = rho s_avg + (1 - rho) g^2
        np.sqrt(self.square_avg, out=s)
        s += self.eps
        np.divide(grads, s, out=s)
        s *= lr
        params -= s


class Adam(Optimizer):
    """Momentum of the gradient (m) divided by the RMS of the gradient (sqrt v), both bias-corrected.

    Textbook:  m <- b1 m + (1-b1) g;  v <- b2 v + (1-b2) g^2;
               w <- w - lr * m_hat / (sqrt(v_hat) + eps),  m_hat = m/(1-b1^t), v_hat = v/(1-b2^t).
    Here m and v are kept without their (1-b) factors (m' = m/(1-b1), v' = v/(1-b2)); the
    constants then fold into one step size and one epsilon, which saves three passes over
    every parameter per step and gives the same update.
    """

    def __init__(self, size: int, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8):
        super().__init__(size)
        self.beta1, self.beta2, self.eps = float(beta1), float(beta2), float(eps)
        self.m = np.zeros(size, dtype=np.float32)
        self.v = np.zeros(size, dtype=np.float32)

    def _update(self, params, grads, lr):
        b1, b2, t = self.beta1, self.beta2, self.t
        c1 = (1 - b1) / (1 - b1 ** t)  # m_hat = c1 m'
        c2 = (1 - b2) / (1 - b2 ** t)  # v_hat = c2 v'
        step = np.float32(lr * c1 / np.sqrt(c2))
        eps = np.float32(self.eps / np.sqrt(c2))
        s = self._scratch
        self.m *= np.float32(b1)
        self.m += grads
        self.v *= np.float32(b2)
        np.multiply(grads, grads, out=s)
        self.v += s
        np.sqrt(self.v, out=s)
        s += eps
        np.divide(self.m, s, out=s)
        s *= step
        params -= s


def make_optimizer(name: str, size: int, *, momentum: float = 0.9, beta1: float = 0.9, beta2: float = 0.999,
                   rho: float = 0.9, eps: float = 1e-8) -> Optimizer:
    """The optimiser called `name` for `size` parameters."""
    if name == "sgd":
        return SGD(size)
    if name == "momentum":
        return Momentum(size, momentum)
    if name == "nesterov":
        return Nesterov(size, momentum)
    if name == "rmsprop":
        return RMSprop(size, rho, eps)
    if name == "adam":
        return Adam(size, beta1, beta2, eps)
    raise ValueError(f"unknown optimiser {name!r}: choose one of {', '.join(NAMES)}")
