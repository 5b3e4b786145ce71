"""Text from a link, a file or a user, made safe to show: escaped for Markdown and kept short.

Pure (no Streamlit). Streamlit renders Markdown in st.markdown, st.info/warning/error/success, st.caption,
widget labels and buttons: a value that reaches them unescaped can show a link, coloured text or an image
fetched from any host. Every such value goes through `escape_markdown` (and `shorten` when it may be long).
Plotly reads a subset of HTML in trace names and hover text (<a href>, <b>, <span style>): such text goes
through `escape_html`.
"""
from __future__ import annotations

import html
import re

SHORT = 40  # characters of an echoed value kept in a message
# Every ASCII punctuation mark with a meaning in Markdown, GFM or Streamlit's additions (:colour[...], $math$,
# :material/icon: even with its colons escaped, &entities;): CommonMark lets a backslash escape each. Left
# alone, as no syntax starts with them once [, (, < and : are escaped: , ; ? % " ' (so "60,000" stays as is).
_PUNCTUATION = re.compile(r"""([!#$&()*+\-./:<=>@\[\\\]^_`{|}~])""")
_BREAKS = re.compile(r"[\s\x00-\x1f\x7f]+")
# GFM links bare addresses after escapes are read (http://, www., name@host): an invisible word joiner breaks each
_BARE_LINK = re.compile(r"(?i)(?<=:)(?=//)|(?<=www)(?=\.)|(?=@)")
_JOINER = "\u2060"


def shorten(text: object, limit: int = SHORT) -> str:
    """`text` on one line, cut to `limit` characters with '…' when longer."""
    line = _BREAKS.sub(" ", str(text))
    return line if len(line) <= limit else line[: limit - 1] + "…"


def escape_markdown(text: object) -> str:
    """`text` as Markdown that shows exactly these characters: no link, image, colour, emphasis or HTML."""
    unlinked = _BARE_LINK.sub(_JOINER, _BREAKS.sub(" ", str(text)))
    return _PUNCTUATION.sub(r"\\\1", unlinked)


def escape_html(text: object) -> str:
    """`text` as Plotly shows it literally in a legend or hover label (its tags read as text, not as a link)."""
    return html.escape(str(text), quote=False)
