"""The join code as a class reads it off a projector: the code in large type and a QR code of the join link, on
the teacher's Class page and on the Board's projector view. Only the join link: never a secret."""
from __future__ import annotations

import streamlit as st

from ui.frame.address import page_address
from ui.frame.navigation import spec
from ui.saving.classes import ClassInfo
from ui.shared.links import CLASS_PARAM
from ui.shared.qr import qr_png
from ui.shared.text import escape_html

QR_PIXELS = 300  # on a 1920 x 1080 projector, about a sixth of the screen's height: a phone reads it from the back


def join_link(room: ClassInfo) -> str:
    """The students' link: the Class page with the join code."""
    return page_address(spec("Class").url_path, CLASS_PARAM, room.code)


def spaced(code: str) -> str:
    """'ABCDEFGH' -> 'ABCD-EFGH', as a class reads it aloud and types it (the dash is optional)."""
    return f"{code[:4]}-{code[4:]}"


def join_code(room: ClassInfo) -> None:
    """The code and its QR code side by side, the join link under the code (as text, to copy)."""
    link = join_link(room)
    text, picture = st.columns([3, 2], vertical_alignment="center")
    with text:
        st.markdown("**Join the class:** scan the code, or open the Class page and type")
        st.markdown(f'<div class="join-code">{escape_html(spaced(room.code))}</div>', unsafe_allow_html=True)
        with st.container(key="join_link"):
            st.code(link, language=None, wrap_lines=True)
    with picture, st.container(key="join_qr"):
        st.image(qr_png(link), width=QR_PIXELS, caption="The join link", output_format="PNG")
