"""A canvas drawing as it arrives over the network: a PNG file, checked before a single pixel is unpacked.

Whatever a drawing widget sends is outside input: a visitor can send any bytes in its place. A PNG file states its
width and height in its first chunk (IHDR, bytes 16-24); unpacking costs four bytes per pixel and more, so a
337 KB file that states 9,000 x 9,000 pixels would cost gigabytes. Here the bytes and the stated size are read
and limited first; only then does Pillow unpack the pixels.
"""
from __future__ import annotations

import io
import struct
import warnings
import zlib

import numpy as np

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_PNG_BYTES = 2 * 2**20  # a 280 x 280 canvas is 20-100 KB; even random noise at twice its size is under 1.3 MB
MAX_SIDE = 1024  # pixels on either side: a canvas of 280 drawn at a screen's pixel ratio up to 3.5


class CanvasImageError(ValueError):
    """A drawing refused before it was unpacked, with the reason in plain words."""


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) as a PNG file states them in its header; CanvasImageError when it is no PNG file."""
    if not data.startswith(PNG_SIGNATURE):
        raise CanvasImageError("the drawing is not a PNG image")
    if len(data) < 24 or data[12:16] != b"IHDR":
        raise CanvasImageError("the drawing's PNG header is damaged")
    return struct.unpack(">II", data[16:24])


def decode_png(data: bytes, *, max_side: int = MAX_SIDE, max_bytes: int = MAX_PNG_BYTES) -> np.ndarray:
    """The RGBA pixels (H, W, 4) uint8 of a PNG file of at most `max_bytes` stating at most `max_side` pixels a
    side; CanvasImageError, in words, for anything else (checked before any pixel is unpacked)."""
    if not isinstance(data, (bytes, bytearray)):
        raise CanvasImageError("the drawing did not arrive as an image")
    if len(data) > max_bytes:
        raise CanvasImageError(f"the drawing is a file of {len(data) / 2**20:,.1f} MB; drawings of at most "
                               f"{max_bytes / 2**20:,.0f} MB are read")
    width, height = png_size(bytes(data[:24]))
    if not (0 < width <= max_side and 0 < height <= max_side):
        raise CanvasImageError(f"the drawing states {width:,} x {height:,} pixels; drawings of at most {max_side:,} "
                               f"x {max_side:,} pixels are read")
    from PIL import Image  # Pillow only where pictures are read

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow's warnings about odd chunks: the pixels are what counts
            with Image.open(io.BytesIO(data), formats=["PNG"]) as image:
                if image.size != (width, height):
                    raise CanvasImageError("the drawing's PNG header is damaged")
                pixels = np.asarray(image.convert("RGBA"))
    except CanvasImageError:
        raise
    except (OSError, SyntaxError, ValueError, EOFError, struct.error, zlib.error, Image.DecompressionBombError,
            MemoryError, IndexError, TypeError, KeyError) as error:
        raise CanvasImageError(f"the drawing is a damaged PNG image ({type(error).__name__})") from None
    if pixels.shape != (height, width, 4) or pixels.dtype != np.uint8:
        raise CanvasImageError("the drawing's PNG image is of a kind a canvas never sends")
    return pixels
