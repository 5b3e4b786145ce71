"""In a real browser, text a link chose shows as typed: no link, image, colour or icon of its own, and no
request to a host the link names (Streamlit renders Markdown with GFM and its own additions)."""
from urllib.parse import urlencode, urlsplit

import pytest

from test_browser import new_page, server  # noqa: F401 (a fixture)

pytestmark = pytest.mark.server  # every test here starts the app (or nginx) as a process

TRAP = "127.0.0.1:9"  # a host the link names: the page must never ask it for anything
VALUE = f"[click](http://{TRAP}/) ![i](http://{TRAP}/i.png)"
OTHERS = {"lr": ":red[red] :material/home: www.evil.example", "<b>x</b>": "**1**"}
FORMATTED = "a, img, strong, em, code, span[style], [data-testid=stIconMaterial]"


def test_a_links_rejected_values_show_as_typed(browser, server):  # noqa: F811
    page = new_page(browser)
    asked = []
    page.on("request", lambda request: asked.append(urlsplit(request.url).netloc))
    page.goto(f"{server.url}/Train?{urlencode({'activation': VALUE, **OTHERS})}")
    notes = page.get_by_test_id("stAlert").filter(has_text="could not be used").locator("li")
    notes.first.wait_for()
    shown = [text.replace("\u2060", "") for text in notes.all_inner_texts()]  # the joiners are invisible
    assert any(f"[click](http://{TRAP}/) ![i](http:" in text for text in shown)  # cut at 40 characters
    assert any(":red[red] :material/home: www.evil" in text for text in shown)
    assert any("<b>x</b>" in text for text in shown)
    assert notes.locator(FORMATTED).count() == 0
    assert TRAP not in asked and not [host for host in asked if "evil" in host]
    page.close()
