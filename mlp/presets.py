"""Named set-ups shared by the command line and the app: the notebook's story, then the fix."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .config import TrainConfig


@dataclass(frozen=True)
class Preset:
    name: str
    title: str
    story: str  # one or two sentences on what it shows
    settings: dict[str, Any]

    def config(self, **overrides: Any) -> TrainConfig:
        return TrainConfig(**{**self.settings, **overrides})


# The student's notebook: 784-256-128-10 with ReLU hidden units, weights drawn from N(0, 1).
NOTEBOOK = dict(hidden=(256, 128), activation="relu", init="normal", init_std=1.0, loss="cross-entropy",
                styles=0.0)  # MNIST's digits only, as the notebook had

PRESETS: dict[str, Preset] = {p.name: p for p in (
    Preset("notebook-one", "Notebook: only the digit 1",
           "Trained and tested on ones alone, the network reaches 100% within a few steps: with a single "
           "class there is nothing to tell apart, so the accuracy means nothing.",
           dict(NOTEBOOK, classes=(1,), optimizer="sgd", lr=0.01, batch_size=64, epochs=2)),
    Preset("notebook-one-nine", "Notebook: ones and nines",
           "Two classes that look quite different: even the notebook's badly started network separates them.",
           dict(NOTEBOOK, classes=(1, 9), optimizer="sgd", lr=0.01, batch_size=64, epochs=2)),
    Preset("notebook-all", "Notebook: all digits, N(0,1) start, lr 1e-6 (the 9% run)",
           "Weights drawn from N(0, 1) make the outputs thousands wide, so softmax is certain of wrong answers "
           "(the notebook's log(0)), and a learning rate of 1e-6 changes the weights by a millionth of their "
           "size per step: the network stays at chance level, about 9%.",
           dict(NOTEBOOK, optimizer="sgd", lr=1e-6, batch_size=64, epochs=2)),
    Preset("notebook-momentum", "Notebook: momentum 0.7, lr 1e-3 (the 90% run)",
           "A sensible learning rate with momentum gets the network moving, but from its N(0, 1) start it "
           "never recovers fully: about 90% after 10 epochs.",
           dict(NOTEBOOK, optimizer="momentum", momentum=0.7, lr=1e-3, batch_size=64, epochs=10)),
    Preset("modern", "Modern: ReLU, He start, Adam (98%+)",
           "ReLU units with He-scaled starting weights, the Adam optimiser, a cosine learning-rate schedule and "
           "randomly shifted, rotated and scaled training digits: above 98% test accuracy within 10 epochs, "
           "and robust to digits drawn by hand.",
           dict(hidden=(256, 128), activation="relu", init="he", loss="cross-entropy", optimizer="adam",
                lr=1e-3, batch_size=128, epochs=10, schedule="cosine", augment=True)),
    Preset("best", "Best: wider, longer, wiggled (99%)",
           "The modern set-up with twice the units, all 60,000 training digits and 20 epochs of randomly "
           "shifted, rotated and scaled digits: 99% of the test digits read right, in about a minute and a half "
           "of training on a free core.",
           dict(hidden=(512, 256), activation="relu", init="he", loss="cross-entropy", optimizer="adam",
                lr=1e-3, batch_size=128, epochs=20, schedule="cosine", augment=True, validation_share=0.0)),
)}


def get_preset(name: str) -> Preset:
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}: choose one of {', '.join(PRESETS)}")
    return PRESETS[name]
