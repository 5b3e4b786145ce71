"""Drawings in the saved work: the Draw page's canvas kept in step with the workspace, a drawing kept with the digit
its writer says it is, and the labelled drawings read back (the class's, or this workspace's)."""
from __future__ import annotations

import json
import logging

import numpy as np

from store import Drawings, Handwriting, StoreError
from training.logs import short
from ui import state

log = logging.getLogger(__name__)
from ui.saving import process_store, records
from ui.saving.runs import saving
from mlp.drawing.handwriting import split_writers


def save_drawing() -> None:
    """Keep the workspace's copy of the drawing in step, when it changed: the Draw page changes it in a fragment,
    without the full rerun that saves the settings."""
    workspace_id = state.workspace()
    payload = records.drawing_payload(state.drawing(), state.drawn_digit())
    text = json.dumps(payload)
    books = state.books()
    if workspace_id is None or text == books.drawing_text:
        return
    books.drawing_text = text
    saving(lambda store: store.save_workspace_state(workspace_id, drawing=payload))


def keep_labelled(digit: np.ndarray, label: int) -> str:
    """Keep the drawn digit with its label and the writer's nickname (and class, and strokes); '' once kept, else
    why not, in words."""
    workspace, member = state.workspace(), state.membership()
    try:
        Drawings(process_store.open_store()).add(workspace, digit, label, nickname=member.nickname if member else "",
                                                 class_id=member.room.id if member else None, strokes=state.drawing())
    except (StoreError, ValueError) as error:
        log.warning("drawing not kept for workspace %s: %s", short(workspace), error)
        return str(error)
    return ""


def class_handwriting() -> Handwriting | None:
    """The labelled drawings of the student's class (None outside a class, with none kept, or when the store fails)."""
    member = state.membership()
    if member is None:
        return None
    try:
        handwriting = Drawings(process_store.open_store()).of_class(member.room.id)
    except StoreError as error:
        log.warning("class %s's drawings not read: %s", member.room.id, error)
        return None
    return handwriting if len(handwriting) else None


def kept_handwriting() -> Handwriting | None:
    """The handwriting kept so far: the class's, else this workspace's (None without a workspace, or when the store
    fails)."""
    workspace, member = state.workspace(), state.membership()
    if workspace is None:
        return None
    try:
        kept = Drawings(process_store.open_store())
        return kept.of_class(member.room.id) if member else kept.of_workspace(workspace)
    except StoreError as error:
        log.warning("handwriting of workspace %s not read: %s", short(workspace), error)
        return None


def training_drawings() -> Handwriting | None:
    """The class's drawings a run adds to its training data (held-out writers' left out), if the student asked."""
    handwriting = class_handwriting() if state.with_drawings() else None
    training = split_writers(handwriting)[0] if handwriting is not None else None
    return training if training is not None and len(training) else None
