"""A stand-in for `streamlit_drawable_canvas` under AppTest, which cannot draw: `st_canvas` returns what
the test last put in `image` (as the PNG file the browser sends), or in `png` (any bytes, as a visitor may send
in the canvas's place), as the real component returns the browser's last drawing on every rerun."""
from __future__ import annotations

import io
import sys
import types
from types import SimpleNamespace
from typing import Iterator

import numpy as np
import pytest

SIDE = 280  # the Draw page's canvas


class CanvasStandIn(types.ModuleType):
    def __init__(self) -> None:
        super().__init__("streamlit_drawable_canvas")
        self.image: np.ndarray | None = None  # RGBA uint8 (SIDE, SIDE, 4); None: nothing sent yet
        self.png: bytes | None = None  # sent as it is, in place of `image`
        self.strokes: dict | None = None  # sent in place of the usual one-path drawing

    def st_canvas(self, **_options) -> SimpleNamespace:
        png = self.png if self.png is not None else None if self.image is None else png_bytes(self.image)
        drawing = None if png is None else self.strokes or {"version": "4.4.0", "objects": [{"type": "path"}]}
        return SimpleNamespace(image_bytes=png, json_data=drawing)


def png_bytes(image: np.ndarray) -> bytes:
    """The PNG file the canvas sends for this RGBA image."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.asarray(image, dtype=np.uint8), "RGBA").save(buffer, format="PNG")
    return buffer.getvalue()


def rgba(grey: np.ndarray, alpha: int = 255) -> np.ndarray:
    """White ink on black from grey levels in [0, 1], the way the canvas sends it."""
    ink = np.round(np.asarray(grey, dtype=np.float32) * 255).astype(np.uint8)
    return np.dstack([ink, ink, ink, np.full_like(ink, alpha)])


def dot(radius: int = 10) -> np.ndarray:
    """A single click of the 20-pixel brush."""
    rows, cols = np.mgrid[:SIDE, :SIDE]
    return rgba(((rows - 140) ** 2 + (cols - 140) ** 2 <= radius ** 2).astype(np.float32))


def emptied() -> np.ndarray:
    """The canvas after its toolbar's trash button, or undoing the only stroke: black, but opaque."""
    return rgba(np.zeros((SIDE, SIDE), dtype=np.float32))


def upscaled(digit28: np.ndarray) -> np.ndarray:
    """An MNIST digit blown up to the canvas's size, as if drawn on it."""
    return rgba(np.kron(np.asarray(digit28, dtype=np.float32).reshape(28, 28), np.ones((SIDE // 28, SIDE // 28))))


@pytest.fixture
def canvas(monkeypatch) -> Iterator[CanvasStandIn]:
    """The stand-in in sys.modules; the Draw panel is imported afresh so that it takes it (it keeps the
    `st_canvas` it imported)."""
    standin = CanvasStandIn()
    monkeypatch.setitem(sys.modules, "streamlit_drawable_canvas", standin)
    sys.modules.pop("ui.draw.panel", None)
    yield standin
    sys.modules.pop("ui.draw.panel", None)  # the next test's Draw panel imports the real canvas again
