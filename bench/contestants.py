"""The contestants: one network, 784-256-128-10 (ReLU, He, Adam lr 1e-3, batches of 128), trained
by our engine and by others. Each has `steps()`, a generator that trains epoch after epoch and
yields after every update, and `accuracy(x, y)` on the test images.

  Ours            the real mlp.Trainer.steps(), with the live insides the Train page's worker takes
  BareEngine      only network.forward / cross_entropy / backward / Adam.step: the pure cost
  MatmulsOnly     only the np.matmul calls of a step, same shapes and layouts: the floor
  Notebook        a student's float64 version: the reference to beat by 2x
  Torch           torch.nn on the CPU, when PyTorch is installed (never a project requirement)
"""
from __future__ import annotations

import numpy as np

import mlp
from mlp.losses import cross_entropy
from mlp.metrics import CHUNK, evaluate
from mlp.model import Model
from mlp.optimizers import make_optimizer
from mlp.seeding import random_streams
from mlp.teaching.insides import Camera
from training.workers import INSIDES_GAP_SECONDS, INSIDES_SECONDS

HIDDEN = (256, 128)
BATCH = 128
LR = 1e-3
SEED = 0


def config(epochs: int) -> mlp.TrainConfig:
    return mlp.TrainConfig(hidden=HIDDEN, activation="relu", init="he", optimizer="adam", lr=LR,
                           batch_size=BATCH, epochs=epochs, validation_share=0, seed=SEED)


class Ours:
    """Our Trainer's own loop, unchanged: besides the steps it logs a training point and measures
    layer diagnostics every ~9 steps, and scores the 10,000 test images at each epoch end. With the
    insides on, as the Train page's worker (training.workers) has them: a snapshot after every
    INSIDES_SECONDS of training and at each epoch's end. The seconds are the Trainer's own loop
    clock, not the wall clock, which also runs while the other contestants take their turns."""

    def __init__(self, split, epochs: int, insides: bool = True):
        self.trainer = mlp.Trainer(config(epochs), split)
        self.camera = Camera.for_split(split, range(10)) if insides else None
        self.snapshots = 0

    def steps(self):
        trainer, looked = self.trainer, 0.0
        for step in trainer.steps():
            since, epoch_end = trainer.seconds - looked, step.step % trainer.steps_per_epoch == 0
            if self.camera is not None and (since >= INSIDES_SECONDS or (epoch_end and since >= INSIDES_GAP_SECONDS)):
                self.camera.look(trainer.model.network, step.step, step.epoch)
                looked, self.snapshots = trainer.seconds, self.snapshots + 1
            yield step

    def accuracy(self, x, y) -> float:
        return evaluate(self.trainer.model.network, x, y)[1]


class BareEngine:
    """Our engine's training step with nothing around it: forward, loss, backward, Adam."""

    def __init__(self, split):
        cfg = config(1)
        self.net = Model.create(cfg).network
        self.optimizer = make_optimizer(cfg, self.net.params.size)
        self.order = random_streams(SEED).order
        self.x, self.y = split.x_train, split.y_train

    def steps(self):
        """Training steps, epoch after epoch; yields after each one."""
        net, opt, x, y = self.net, self.optimizer, self.x, self.y
        while True:
            order = self.order.permutation(len(x))
            for first in range(0, len(x), BATCH):
                idx = order[first:first + BATCH]
                xb, yb = x[idx], y[idx]
                fp = net.forward(xb)
                _, _, dlogits = cross_entropy(fp.logits, yb)
                net.backward(fp, dlogits)
                opt.step(net.params, net.grads, LR)
                yield

    def accuracy(self, x, y) -> float:
        return evaluate(self.net, x, y)[1]


class MatmulsOnly:
    """The np.matmul calls of our training step and of the Trainer's per-epoch test scoring,
    with the same shapes, dtypes and memory layouts (transposed views included), and nothing else."""

    def __init__(self, n_train: int, n_test: int):
        rng = np.random.default_rng(1)
        net = Model.create(config(1)).network
        self.weights, self.weight_grads = net.weights, net.weight_grads  # views into flat vectors, as in training
        self.sizes = [min(BATCH, n_train - first) for first in range(0, n_train, BATCH)]
        self.eval_sizes = [min(CHUNK, n_test - first) for first in range(0, n_test, CHUNK)]
        self.x = {b: rng.random((b, 784), dtype=np.float32) for b in set(self.sizes) | set(self.eval_sizes)}
        self.dlogits = {b: rng.standard_normal((b, 10), dtype=np.float32) for b in set(self.sizes)}

    def steps(self):
        (w0, w1, w2), (g0, g1, g2) = self.weights, self.weight_grads
        while True:
            for b in self.sizes:
                x = self.x[b]
                h1 = x @ w0  # forward
                h2 = h1 @ w1
                _ = h2 @ w2
                d = self.dlogits[b]  # backward, as Network.backward does it
                np.matmul(h2.T, d, out=g2)
                d = d @ w2.T
                np.matmul(h1.T, d, out=g1)
                d = d @ w1.T
                np.matmul(x.T, d, out=g0)
                yield

    def eval_pass(self) -> None:
        w0, w1, w2 = self.weights
        for b in self.eval_sizes:
            _ = ((self.x[b] @ w0) @ w1) @ w2


class Notebook:
    """A student's float64 MLP, written the straightforward way: it is a fair reference, not a
    strawman (correct, He-initialised, the textbook Adam), just without any care for speed."""

    def __init__(self, split, seed: int = SEED):
        rng = np.random.default_rng(seed)
        self.p = {
            "W1": rng.standard_normal((784, 256)) * np.sqrt(2 / 784), "b1": np.zeros(256),
            "W2": rng.standard_normal((256, 128)) * np.sqrt(2 / 256), "b2": np.zeros(128),
            "W3": rng.standard_normal((128, 10)) * np.sqrt(2 / 128), "b3": np.zeros(10),
        }
        self.m = {name: np.zeros_like(value) for name, value in self.p.items()}
        self.v = {name: np.zeros_like(value) for name, value in self.p.items()}
        self.t = 0
        self.rng = rng
        # X_train / 255.0 in a notebook gives float64: done once, at load time, not timed.
        self.X = split.x_train.astype(np.float64)
        self.y = split.y_train

    def forward(self, X):
        p = self.p
        z1 = X @ p["W1"] + p["b1"]
        a1 = np.maximum(0, z1)
        z2 = a1 @ p["W2"] + p["b2"]
        a2 = np.maximum(0, z2)
        z3 = a2 @ p["W3"] + p["b3"]
        e = np.exp(z3 - z3.max(axis=1, keepdims=True))
        probs = e / e.sum(axis=1, keepdims=True)
        return z1, a1, z2, a2, probs

    def train_step(self, X, y, lr=LR, beta1=0.9, beta2=0.999, eps=1e-8):
        n = X.shape[0]
        Y = np.zeros((n, 10))
        Y[np.arange(n), y] = 1
        z1, a1, z2, a2, probs = self.forward(X)
        loss = -np.sum(Y * np.log(probs + 1e-12)) / n

        dz3 = (probs - Y) / n
        grads = {"W3": a2.T @ dz3, "b3": dz3.sum(axis=0)}
        dz2 = (dz3 @ self.p["W3"].T) * (z2 > 0)
        grads["W2"], grads["b2"] = a1.T @ dz2, dz2.sum(axis=0)
        dz1 = (dz2 @ self.p["W2"].T) * (z1 > 0)
        grads["W1"], grads["b1"] = X.T @ dz1, dz1.sum(axis=0)

        self.t += 1
        for name, g in grads.items():
            self.m[name] = beta1 * self.m[name] + (1 - beta1) * g
            self.v[name] = beta2 * self.v[name] + (1 - beta2) * g ** 2
            m_hat = self.m[name] / (1 - beta1 ** self.t)
            v_hat = self.v[name] / (1 - beta2 ** self.t)
            self.p[name] = self.p[name] - lr * m_hat / (np.sqrt(v_hat) + eps)
        return loss

    def steps(self):
        while True:
            order = self.rng.permutation(len(self.X))
            for first in range(0, len(self.X), BATCH):
                idx = order[first:first + BATCH]
                self.train_step(self.X[idx], self.y[idx])
                yield

    def accuracy(self, x, y) -> float:
        probs = self.forward(x.astype(np.float64))[-1]
        return float((probs.argmax(axis=1) == y).mean())


class Torch:
    """The same network in PyTorch on the CPU, float32, default Adam."""

    def __init__(self, torch, split):
        self.torch = torch
        nn = torch.nn
        torch.manual_seed(SEED)
        self.model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                                   nn.Linear(128, 10))
        for layer in self.model:
            if isinstance(layer, nn.Linear):
                nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")  # N(0, 2/fan_in): He
                nn.init.zeros_(layer.bias)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=LR)
        self.loss = nn.CrossEntropyLoss()
        self.x = torch.tensor(split.x_train)  # a copy: the dataset's arrays are read-only
        self.y = torch.tensor(split.y_train)
        self.rng = np.random.default_rng(SEED)

    def steps(self):
        torch, model, opt = self.torch, self.model, self.optimizer
        while True:
            order = torch.from_numpy(self.rng.permutation(len(self.x)))
            for first in range(0, len(self.x), BATCH):
                idx = order[first:first + BATCH]
                opt.zero_grad(set_to_none=True)
                loss = self.loss(model(self.x[idx]), self.y[idx])
                loss.backward()
                opt.step()
                yield

    def accuracy(self, x, y) -> float:
        with self.torch.no_grad():
            logits = self.model(self.torch.tensor(x))
        return float((logits.argmax(dim=1).numpy() == y).mean())
