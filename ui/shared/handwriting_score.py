"""Scoring a network on labelled drawings (pure: no Streamlit, no database)."""
from __future__ import annotations

from typing import Protocol

import numpy as np

from mlp.drawing.handwriting import Handwriting, as_training_rows, held_out_mask, part
from mlp.model import Model


def score(model: Model, handwriting: Handwriting) -> tuple[int, int]:
    """How many drawings the network reads as their writers labelled them, and how many there are."""
    if not len(handwriting):
        return 0, 0
    x = as_training_rows(handwriting)[0]
    with np.errstate(all="ignore"):
        guesses = model.network.predict_proba(x).argmax(axis=1)
    return int((guesses == handwriting.labels).sum()), len(handwriting)


class TrainedOn(Protocol):
    """What a run (a record, a stored row, a run still training) says of the class's drawings it trained on."""
    drawings: int  # how many (0: none)
    drawings_until: float | None  # when the newest of them was labelled (None: not known)


HELD_OUT_WORDS = "held-out writers' drawings"


def scored_on(handwriting: Handwriting, run: TrainedOn | None,
              everything: str = "the class's handwriting") -> tuple[Handwriting, str]:
    """The drawings `run` is scored on, and what to call them on the page. A run that trained on none is scored on
    them all (named `everything`); one that did, only on drawings it cannot have seen: held-out writers' and
    those labelled after the newest it trained on (held-out writers' only when that time is not known)."""
    if run is None or not run.drawings:
        return handwriting, everything
    keep = held_out_mask(handwriting)
    later = np.zeros_like(keep)
    if run.drawings_until is not None and handwriting.created is not None:
        later = (handwriting.created > run.drawings_until) & ~keep
    keep |= later
    since = f" and {int(later.sum())} labelled since it trained" if later.any() else ""
    return part(handwriting, keep), HELD_OUT_WORDS + since


def newest(handwriting: Handwriting) -> float | None:
    """When the newest of these drawings was labelled (None for none, or times not known): a run's cut-off."""
    known = handwriting.created is not None and len(handwriting)
    return float(handwriting.created.max()) if known else None
