"""Text from links, files and users is shown literally: every Markdown construct disarmed, long values cut."""
import re

import pytest

from ui.shared.text import escape_html, escape_markdown, shorten

HOSTILE = ["[click](http://evil.example/)", "![img](http://127.0.0.1:9/x.png)", ":red[coloured]", "<b>bold</b>",
           "https://evil.example/a", "WWW.evil.example", "mail@evil.example", "$x^2$", "**strong** _em_ `code`",
           "# head\n- item", "<img src=x onerror=alert(1)>", "[ref]: http://evil.example/", ":material/home:"]
ACTIVE = r"[!#$&()*+\-./:<=>@\[\\\]^_`{|}~]"  # ASCII marks with a meaning in Markdown, GFM or Streamlit


@pytest.mark.parametrize("text", HOSTILE)
def test_every_markdown_character_is_escaped(text):
    escaped = escape_markdown(text)
    without_escapes = re.sub(r"\\" + ACTIVE, "", escaped)
    assert not re.search(ACTIVE, without_escapes)  # every mark with a meaning comes with its backslash
    assert "\n" not in escaped


@pytest.mark.parametrize("text", ["see http://evil.example", "www.evil.example", "a@evil.example", "HTTPS://x.y"])
def test_bare_addresses_are_broken_so_gfm_cannot_link_them(text):
    shown = escape_markdown(text).replace("\\", "")  # what the text node holds once Markdown read the escapes
    assert not re.search(r"(?i)https?://|www\.|\w@", shown)
    assert shown.replace("\u2060", "") == text  # only an invisible word joiner was added


def test_plain_words_stay_as_they_are():
    assert escape_markdown("Run 3 lr 0") == "Run 3 lr 0"
    assert escape_markdown("mine.npz") == "mine\\.npz"
    assert escape_markdown("60,000 'x' \"y\" 5%?;") == "60,000 'x' \"y\" 5%?;"


def test_long_values_are_cut_and_kept_on_one_line():
    assert shorten("x" * 10_000) == "x" * 39 + "…"
    assert shorten("a\nb\tc") == "a b c" and shorten("short") == "short"
    assert escape_markdown(shorten("[" * 100)) == "\\[" * 39 + "…"


def test_plotly_text_keeps_its_tags_as_text():
    assert escape_html('<a href="http://e.x">x</a> & <b>') == '&lt;a href="http://e.x"&gt;x&lt;/a&gt; &amp; &lt;b&gt;'
