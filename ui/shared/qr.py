"""A link as a QR code image, for a projector: students point a phone at the screen instead of typing the address.
Pure (segno, no Streamlit): tested in tests/test_ui_join_code.py."""
from __future__ import annotations

import io

import segno

MODULE_PIXELS = 10  # one QR module as 10 x 10 pixels: sharp at any size the page scales it to
QUIET_ZONE = 4  # modules of white around the code, as the standard asks: phones read it off a busy screen


def qr_png(text: str, scale: int = MODULE_PIXELS) -> bytes:
    """`text` as a black-on-white QR code, PNG bytes made in memory (error correction M, about 15% of the code
    may be unreadable: a projector's glare, a head in the way)."""
    buffer = io.BytesIO()
    segno.make(text, error="m", boost_error=False).save(buffer, kind="png", scale=scale, border=QUIET_ZONE)
    return buffer.getvalue()
