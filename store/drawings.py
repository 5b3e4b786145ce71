"""Drawings labelled by their writers: 28x28 images kept with the digit they really are, the writer's nickname
and, in a class, the class. What the class's own handwriting is made of."""
from __future__ import annotations

import json
import logging
import time

import numpy as np
import sqlalchemy as sa

from mlp.drawing.handwriting import Handwriting

from .errors import StoreLimitReached
from .schema import drawings
from .store import Store

log = logging.getLogger(__name__)

MAX_DRAWINGS = 500  # per workspace: a lesson's worth many times over
MAX_STROKES_BYTES = 200_000  # the canvas's objects for one drawing; larger ones are kept without them


def _pixels(image: np.ndarray) -> bytes:
    image = np.asarray(image, dtype=np.float32).reshape(28, 28)
    return np.clip(np.rint(image * 255), 0, 255).astype(np.uint8).tobytes()


class Drawings:
    def __init__(self, store: Store):
        self.store = store

    def add(self, workspace: str, image: np.ndarray, label: int, *, nickname: str = "",
            class_id: int | None = None, strokes: dict | None = None) -> int:
        """Keep one drawing (`image`: 28x28 in [0, 1]) with the digit it really is; StoreLimitReached past
        MAX_DRAWINGS for the workspace."""
        if not 0 <= int(label) <= 9:
            raise ValueError(f"a drawing's label is a digit from 0 to 9, not {label}")
        text = json.dumps(strokes) if strokes is not None else None
        with self.store._write() as conn:
            kept = conn.execute(sa.select(sa.func.count()).where(drawings.c.workspace_id == workspace)).scalar()
            if kept >= MAX_DRAWINGS:
                log.warning("store refused a drawing: workspace %s… keeps %d, limit %d", workspace[:6], kept,
                            MAX_DRAWINGS)
                raise StoreLimitReached(f"This workspace already keeps {kept} drawings, the most it may: this one "
                                        "is not saved.")
            return conn.execute(drawings.insert().values(
                workspace_id=workspace, nickname=nickname[:40], label=int(label), image=_pixels(image),
                strokes=text if text is None or len(text) <= MAX_STROKES_BYTES else None, created=time.time(),
                class_id=class_id).returning(drawings.c.id)).scalar_one()

    def of_class(self, class_id: int) -> Handwriting:
        return self._read(drawings.c.class_id == class_id)

    def of_workspace(self, workspace: str) -> Handwriting:
        return self._read(drawings.c.workspace_id == workspace)

    def _read(self, condition) -> Handwriting:
        query = sa.select(drawings.c.image, drawings.c.label, drawings.c.nickname, drawings.c.created).where(
            condition).order_by(drawings.c.id)
        with self.store._read() as conn:
            rows = conn.execute(query).all()
        images = np.frombuffer(b"".join(bytes(r[0]) for r in rows), dtype=np.uint8).reshape(-1, 28, 28)
        return Handwriting(images.copy(), np.array([r[1] for r in rows], dtype=np.int64),
                           np.array([r[2] for r in rows], dtype=str), np.array([r[3] for r in rows], dtype=np.float64))
