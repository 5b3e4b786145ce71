"""The join link as a QR code (ui/shared/qr.py, pure): the image shown is the code segno makes of the link, module for
module, with its quiet zone; and the join link and code as the projector shows them."""
from __future__ import annotations

import io

import numpy as np
import segno
from PIL import Image

from store import ClassInfo
from ui.panels.join_code import join_link, spaced
from ui.shared.qr import MODULE_PIXELS, QUIET_ZONE, qr_png

LINK = "http://192.168.1.20:8501/Class?class=ABCDEFGH"


def modules(png: bytes, scale: int) -> np.ndarray:
    """The PNG read back as dark (True) and light modules: one pixel from the middle of each."""
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("L"))
    assert pixels.shape[0] == pixels.shape[1] and pixels.shape[0] % scale == 0
    return pixels[scale // 2::scale, scale // 2::scale] < 128


def test_the_qr_image_is_the_join_links_code_with_its_quiet_zone():
    found = modules(qr_png(LINK), MODULE_PIXELS)
    expected = np.array(segno.make(LINK, error="m", boost_error=False).matrix, dtype=bool)
    assert not found[:QUIET_ZONE].any() and not found[:, -QUIET_ZONE:].any()  # white all round
    assert np.array_equal(found[QUIET_ZONE:-QUIET_ZONE, QUIET_ZONE:-QUIET_ZONE], expected)
    assert not np.array_equal(modules(qr_png(LINK.replace("ABCDEFGH", "ABCDEFGJ")), MODULE_PIXELS), found)


def test_the_join_link_names_the_class_page_and_the_code_reads_in_two_halves():
    room = ClassInfo(1, "ABCDEFGH", "Year 11", False)
    assert join_link(room) == "Class?class=ABCDEFGH"  # the page's own address before it when a browser is there
    assert spaced(room.code) == "ABCD-EFGH"
