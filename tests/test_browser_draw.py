"""The Draw page in Chromium at a phone's and a projector's size: the canvas scales with the screen, a digit
drawn with the mouse (or a finger) is read, a scribble is called no digit, and the answer is large."""
from __future__ import annotations

import numpy as np
import pytest
from playwright.sync_api import Page, expect

from test_browser import BARS, Server, new_page, shoot, wait_until
from ui.draw.data import CHECKING_WORDS

pytestmark = pytest.mark.server  # every test here starts the app (or nginx) as a process

QUICK_TRAINING_MS = 240_000  # a few seconds alone; a loaded 2-core machine can take a minute or more
SIZES = {"phone": (390, 844), "projector": (1920, 1080)}
# White pixels on the drawing canvas now (the most on any, should a stale one still be on screen).
CANVAS_INK = """() => Math.max(0, ...[...document.querySelectorAll('[data-testid="stBidiComponentIsolated"]')]
    .flatMap(host => [...(host.shadowRoot || host).querySelectorAll('canvas.dc-canvas.lower-canvas')])
    .map(c => { const rgba = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let white = 0;
                for (let i = 0; i < rgba.length; i += 4) white += rgba[i] > 200;
                return white }))"""


def _arc(cx: float, cy: float, rx: float, ry: float, start: float, end: float, n: int) -> list[tuple[float, float]]:
    """Points along an ellipse's arc, as fractions of the canvas; angles in half-turns, 0 at the right, clockwise."""
    turns = np.linspace(start, end, n) * np.pi
    return [(cx + rx * np.cos(t), cy + ry * np.sin(t)) for t in turns]


# Each digit as one stroke, the way a person draws it: a 1 with a flag, a 4 with an open top (its stem drawn
# up and down again), an 8 crossing itself, a 9 whose stem leaves the loop.
TEN_DIGITS = {
    0: _arc(0.5, 0.5, 0.2, 0.32, -0.5, 1.56, 24),
    1: [(0.4, 0.27), (0.52, 0.15), (0.52, 0.85)],
    2: _arc(0.5, 0.33, 0.18, 0.15, -1, 0.25, 12) + [(0.3, 0.82), (0.72, 0.82)],
    3: _arc(0.48, 0.33, 0.17, 0.15, -0.9, 0.5, 12) + _arc(0.48, 0.65, 0.19, 0.17, -0.5, 0.9, 12),
    4: [(0.38, 0.15), (0.3, 0.6), (0.72, 0.6), (0.6, 0.6), (0.6, 0.3), (0.6, 0.88)],
    5: [(0.68, 0.18), (0.36, 0.18), (0.33, 0.45)] + _arc(0.48, 0.62, 0.19, 0.2, -0.75, 0.8, 14),
    6: [(0.62, 0.15), (0.42, 0.33)] + _arc(0.5, 0.65, 0.18, 0.19, -0.9, 1.1, 18),
    7: [(0.25, 0.2), (0.75, 0.2), (0.4, 0.85)],
    8: [(0.5 + 0.17 * np.sin(2 * t), 0.5 - 0.33 * np.sin(t)) for t in np.linspace(0, 2 * np.pi, 32)],
    9: _arc(0.5, 0.32, 0.16, 0.16, 0, 2, 20) + [(0.66, 0.32), (0.63, 0.85)],
}


@pytest.fixture(scope="module")
def server(mnist_dir, tmp_path_factory):
    running = Server(mnist_dir, tmp_path_factory.mktemp("server") / "streamlit.log")
    yield running
    running.close()


def canvas_box(page: Page) -> dict:
    """Where the canvas is on the screen, scrolled into view first as a student would (the brush slider below it
    can leave the page scrolled past its top on a phone)."""
    canvas = page.get_by_test_id("stBidiComponentIsolated").locator("canvas.upper-canvas")
    canvas.wait_for()
    canvas.scroll_into_view_if_needed()
    return canvas.bounding_box()


def stroke(page: Page, box: dict, points: list[tuple[float, float]]) -> None:
    """One stroke through points given as fractions of the canvas's width and height, as the screen shows it."""
    at = [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in points]
    page.mouse.move(*at[0])
    page.mouse.down()
    for x, y in at[1:]:
        page.mouse.move(x, y, steps=12)
    page.mouse.up()


def clear(page: Page) -> None:
    """A fresh canvas: the page says so in the same run that shows the new canvas."""
    page.get_by_role("button", name="Clear the drawing").click()
    page.locator("#predicted-digit").wait_for(state="detached")
    page.get_by_text("Draw a digit in the black square.").wait_for()
    # the old canvas stays on screen, stale, until the run that replaced it ends
    expect(page.get_by_test_id("stBidiComponentIsolated").locator("canvas.upper-canvas")).to_have_count(1)


def wider_brush_keeps_the_drawing(page: Page) -> None:
    page.get_by_role("slider", name="Brush width (pixels)").focus()
    page.keyboard.press("Home")  # 6 pixels, then 12 steps of 2 to 30
    for _ in range(12):
        page.keyboard.press("ArrowRight")
    page.get_by_test_id("stSliderThumbValue").filter(has_text="30").wait_for()
    drawing = page.get_by_test_id("stBidiComponentIsolated").locator("canvas.dc-canvas.lower-canvas")
    expect(drawing).to_have_count(1)  # the canvas of the last run only: a stale one goes when that run ends
    # Looked up again at every poll: a handle taken now can name a canvas a later run of the page replaces.
    wait_until(page, f"() => ({CANVAS_INK})() > 500", "the 7 left the canvas when the brush was widened")
    assert page.locator("#predicted-digit").inner_text().strip() == "7"


def read_ten_digits(page: Page) -> list[int]:
    """Draw 0 to 9 with the mouse, one after the other, and note what the page answers for each."""
    answers = []
    for digit, points in TEN_DIGITS.items():
        clear(page)
        stroke(page, canvas_box(page), points)
        page.locator("#predicted-digit").wait_for(timeout=QUICK_TRAINING_MS)
        answers.append(int(page.locator("#predicted-digit").inner_text()))
        if digit in (1, 4, 8):
            shoot(page, f"draw_digit_{digit}")
    return answers


def test_the_canvas_scales_with_the_screen_and_reads_what_is_drawn(browser, server):
    widths = {}
    page = new_page(browser, *SIZES["phone"])
    page.goto(server.url + "/Draw")
    page.get_by_role("button", name="Train a quick model").click()  # no network yet: a quick one, to its end
    following = page.get_by_text("The answer follows the network as it learns")
    following.wait_for()
    following.wait_for(state="detached", timeout=QUICK_TRAINING_MS)
    for name, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        clear(page)
        box = canvas_box(page)
        widths[name] = box["width"]
        stroke(page, box, [(0.25, 0.2), (0.75, 0.2), (0.4, 0.85)])  # a 7
        page.locator("#predicted-digit").wait_for(timeout=QUICK_TRAINING_MS)
        # the network's "not a digit" check is fitted once, in a thread, while the page answers: wait for it
        expect(page.get_by_text(CHECKING_WORDS)).to_have_count(0, timeout=QUICK_TRAINING_MS)
        wait_until(page, f"() => ({BARS})() === 10", "the probability chart was not drawn")
        assert page.locator("#predicted-digit").inner_text().strip() == "7"
        digit_box = page.locator("#predicted-digit").bounding_box()
        assert digit_box["height"] >= 100  # readable from the back of a room
        shoot(page, f"draw_{name}")
        wider_brush_keeps_the_drawing(page)
        clear(page)
        stroke(page, canvas_box(page), [(0.2, 0.5), (0.8, 0.55)])  # a dash
        page.get_by_text("does not look like a digit").wait_for()
        expect(page.get_by_text("being sure is not being right")).to_be_visible()
        shoot(page, f"draw_{name}_dash")
    answers = read_ten_digits(page)
    page.close()
    assert answers == list(TEN_DIGITS), f"the ten digits drawn with the mouse were read as {answers}"
    assert widths["phone"] <= SIZES["phone"][0] - 20  # the whole canvas on a phone's screen, with a margin
    assert widths["phone"] >= 300  # large enough for a finger
    assert widths["projector"] >= 1.5 * 280  # large on a projector
