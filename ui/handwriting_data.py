"""Scoring a network on labelled drawings (pure: no Streamlit, no database)."""
from __future__ import annotations

import numpy as np

from mlp.model import Model
from store import Handwriting


def score(model: Model, handwriting: Handwriting) -> tuple[int, int]:
    """How many drawings the network reads as their writers labelled them, and how many there are."""
    if not len(handwriting):
        return 0, 0
    x = handwriting.images.reshape(len(handwriting), 784).astype(np.float32) / 255.0
    with np.errstate(all="ignore"):
        guesses = model.network.predict_proba(x).argmax(axis=1)
    return int((guesses == handwriting.labels).sum()), len(handwriting)
