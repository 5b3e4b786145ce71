"""Update rules: how a gradient becomes a change of the weights.

Each optimiser updates the network's flat parameter vector in place from its flat
gradient vector, with whole-vector NumPy operations writing into buffers it owns:
an update allocates nothing and touches each number a few times only. After each
step its `change` holds what the step added to every parameter, which is what the
diagnostics measure (an update's size) without keeping a copy of the weights.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from .registry import Registry

if TYPE_CHECKING:
    from .config import TrainConfig

EPS = 1e-8  # added to a root-mean-square before dividing by it: a gradient that was always 0 stays finite
# A running average that only decays (the weights of a pixel that is blank batch after batch: MNIST's borders)
# shrinks by a constant factor each step until it is subnormal: below float32's smallest normal number, where an
# x86 CPU takes a microcode assist of ~100 cycles per operation instead of one. Such values are set to 0, which
# they approach anyway (float32's rounding can even hold them a few units above it for good). Decaying by d a
# step, a value takes 23 ln 2 / -ln d steps to cross the subnormal range (2^-126 down to 2^-149): 151 at d = 0.9,
# 15,934 at 0.999. Each average is flushed FLUSHES times in that span: often enough that few values linger there,
# rarely enough that the flushes (three passes over the average, in a cold cache) cost less than the assists they
# save. Adam's m (0.9) is flushed every 37 steps, its v (0.999) every 3,983.
SUBNORMAL = np.finfo(np.float32).tiny
FLUSHES = 4


def flush_every(decay: float) -> int | None:
    """Steps between two flushes of an average that decays by `decay` a step; None: it never decays slowly (0)."""
    if decay <= 0:
        return None  # the average is the latest value alone: nothing lingers
    return max(1, int(23 * math.log(2) / -math.log(decay) / FLUSHES))


class Optimizer:
    settings: tuple[str, ...] = ()  # its hyper-parameters: the TrainConfig fields it reads
    suggested_lr = 1e-3  # a learning rate that trains the default network well: where a fix starts
    parameter_work = 1.0  # a step's work per parameter against Adam's (mlp.cost), measured on one core's CPU clock at
    # 784-256-128-10 and 784-1024-1024-10, batch 64: its passes over every weight besides the gradient's

    def __init__(self, size: int):
        self.t = 0  # steps taken
        self._scratch = np.empty(size, dtype=np.float32)
        self.change = np.zeros(size, dtype=np.float32)  # params after the last step - params before it

    def step(self, params: np.ndarray, grads: np.ndarray, lr: float) -> None:
        self.t += 1
        self._update(params, grads, np.float32(lr))
        for average, decay in self._averages():
            every = flush_every(decay)
            if every and self.t % every == 0:
                flush_subnormals(average, self._scratch)

    def _update(self, params, grads, lr) -> None:
        raise NotImplementedError

    def _averages(self) -> tuple[tuple[np.ndarray, float], ...]:
        """The running averages it keeps, each with the factor by which it decays between the gradients that feed it."""
        return ()


def flush_subnormals(values: np.ndarray, scratch: np.ndarray) -> None:
    """Set the subnormal numbers of `values` to 0, in place (`scratch`: a buffer of the same size)."""
    np.abs(values, out=scratch)
    np.copyto(values, 0, where=scratch < SUBNORMAL)


class SGD(Optimizer):
    """w <- w - lr * g"""
    suggested_lr = 0.1
    parameter_work = 0.5

    def _update(self, params, grads, lr):
        np.multiply(grads, -lr, out=self.change)
        params += self.change


class Momentum(Optimizer):
    """v <- mu v - lr g;  w <- w + v   (the notebook's form: a velocity that remembers past steps)"""

    settings = ("momentum",)
    suggested_lr = 0.01
    parameter_work = 0.65

    def __init__(self, size: int, momentum: float):
        super().__init__(size)
        self.mu = np.float32(momentum)
        self.velocity = np.zeros(size, dtype=np.float32)
        self.change = self.velocity  # w <- w + v: the velocity is the change

    def _averages(self):
        return ((self.velocity, float(self.mu)),)

    def _update(self, params, grads, lr):
        self.velocity *= self.mu
        np.multiply(grads, lr, out=self._scratch)
        self.velocity -= self._scratch
        params += self.velocity


class Nesterov(Momentum):
    """Momentum that looks ahead: v <- mu v - lr g;  w <- w + mu v - lr g."""

    parameter_work = 0.8

    def __init__(self, size: int, momentum: float):
        super().__init__(size, momentum)
        self.change = np.zeros(size, dtype=np.float32)  # mu v - lr g: not the velocity here

    def _update(self, params, grads, lr):
        self.velocity *= self.mu
        np.multiply(grads, lr, out=self._scratch)
        self.velocity -= self._scratch
        np.multiply(self.velocity, self.mu, out=self.change)
        self.change -= self._scratch
        params += self.change


class RMSprop(Optimizer):
    """s <- rho s + (1 - rho) g^2;  w <- w - lr g / (sqrt(s) + eps): each weight gets its own step size."""

    settings = ("rho",)
    parameter_work = 0.9

    def __init__(self, size: int, rho: float):
        super().__init__(size)
        self.rho = np.float32(rho)
        self.square_avg = np.zeros(size, dtype=np.float32)

    def _averages(self):
        return ((self.square_avg, float(self.rho)),)

    def _update(self, params, grads, lr):
        s = self.change
        np.square(grads, out=s)  # np.square, not multiply(g, g): ~1.5x faster here
        s -= self.square_avg
        s *= np.float32(1.0) - self.rho
        self.square_avg += s  # s_avg + (1 - rho)(g^2 - s_avg) = rho s_avg + (1 - rho) g^2
        np.sqrt(self.square_avg, out=s)
        s += np.float32(EPS)
        np.divide(grads, s, out=s)
        s *= -lr
        params += s


class Adam(Optimizer):
    """Momentum of the gradient (m) divided by the RMS of the gradient (sqrt v), both bias-corrected.

    Textbook:  m <- b1 m + (1-b1) g;  v <- b2 v + (1-b2) g^2;
               w <- w - lr * m_hat / (sqrt(v_hat) + eps),  m_hat = m/(1-b1^t), v_hat = v/(1-b2^t).
    Here m and v are kept without their (1-b) factors (m' = m/(1-b1), v' = v/(1-b2)); the
    constants then fold into one step size and one epsilon:
               w <- w - step * m' / (sqrt(v') + eps'),  step = lr c1 / sqrt(c2),  eps' = eps / sqrt(c2),
               c1 = (1-b1)/(1-b1^t),  c2 = (1-b2)/(1-b2^t),
    the same update up to float rounding (tests/test_optimizers.py compares it with the textbook
    form in float64), in ten whole-vector passes instead of the textbook's fourteen. Ten is the least NumPy
    allows: without a fused multiply-add, m takes two (scale, add), v three (scale, square, add),
    the step five (sqrt, + eps, divide, scale, add to w).
    """

    settings = ("beta1", "beta2")

    def __init__(self, size: int, beta1: float, beta2: float):
        super().__init__(size)
        self.beta1, self.beta2 = float(beta1), float(beta2)
        self.m = np.zeros(size, dtype=np.float32)
        self.v = np.zeros(size, dtype=np.float32)

    def _averages(self):
        return (self.m, self.beta1), (self.v, self.beta2)

    def _update(self, params, grads, lr):
        b1, b2, t = self.beta1, self.beta2, self.t
        c1 = (1 - b1) / (1 - b1 ** t)  # m_hat = c1 m'
        c2 = (1 - b2) / (1 - b2 ** t)  # v_hat = c2 v'
        step = np.float32(lr * c1 / math.sqrt(c2))
        eps = np.float32(EPS / math.sqrt(c2))
        s = self.change
        self.m *= np.float32(b1)
        self.m += grads
        self.v *= np.float32(b2)
        np.square(grads, out=s)  # np.square, not multiply(g, g): ~1.5x faster here
        self.v += s
        np.sqrt(self.v, out=s)
        s += eps
        np.divide(self.m, s, out=s)
        s *= -step
        params += s


REGISTRY = Registry("optimiser", {
    "sgd": SGD,
    "momentum": Momentum,
    "nesterov": Nesterov,
    "rmsprop": RMSprop,
    "adam": Adam,
})
NAMES = tuple(REGISTRY)


def make_optimizer(config: TrainConfig, size: int) -> Optimizer:
    """The optimiser `config.optimizer` for `size` parameters, with the hyper-parameters it reads from `config`."""
    return REGISTRY.build(config.optimizer, size, **vars(config))
