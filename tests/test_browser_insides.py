"""The Train page's live insides in Chromium: while a run trains, the first layer's pictures load and move on,
the layer bars, the probe digits and the diagram are drawn under the curves; at its end the probes read right."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from test_browser import ALL_CHARTS, TRAINING_MS, Server, new_page, set_epochs, shoot, wait_for_points, wait_until

pytestmark = pytest.mark.server  # every test here starts the app (or nginx) as a process

# The insides' caption names the step of the snapshot drawn.
STEP = """() => { const p = [...document.querySelectorAll('p')].find(p => p.innerText.includes('at step '));
                  return p ? Number(p.innerText.split('at step ')[1].split('.')[0].replace(/,/g, '')) : -1 }"""
PICTURE_LOADED = """() => { const img = document.querySelector('.st-key-weights img');
                           return !!img && img.complete && img.naturalWidth > 0 }"""
PROBE_TITLE = f"""() => {{ const d = {ALL_CHARTS}().find(d => d.layout && d.layout.title &&
    String(d.layout.title.text).startsWith('Probe digits'));
    return d ? d.layout.title.text : '' }}"""


@pytest.fixture(scope="module")
def server(mnist_dir, tmp_path_factory):
    running = Server(mnist_dir, tmp_path_factory.mktemp("server") / "streamlit.log")
    yield running
    running.close()


def top(locator) -> float:
    return locator.bounding_box()["y"]


def test_the_insides_are_drawn_live_under_the_curves(browser, server):
    page = new_page(browser)
    page.goto(server.url + "/Train")
    page.get_by_role("heading", name="Presets").wait_for()
    set_epochs(page, 2)
    page.get_by_role("button", name="Start training").click()
    page.get_by_text("Inside the network, live").wait_for()
    wait_until(page, PICTURE_LOADED, "the first layer's pictures did not load")
    first = page.evaluate(STEP)
    wait_until(page, f"() => ({STEP})() > {first}", "the insides did not move on while it trained",
               timeout=TRAINING_MS / 1000)
    wait_until(page, PICTURE_LOADED, "the first layer's pictures did not load again")  # a redraw, not a broken one
    wait_until(page, f"() => ({PROBE_TITLE})().includes('of 10 probe digits read right')",
               "the probe digits were not drawn")
    wait_for_points(page, 0)
    curves, insides = page.locator("iframe").first, page.get_by_text("Inside the network, live")
    assert top(curves) < top(insides)  # under the curves
    shoot(page, "train_insides")

    page.get_by_text("Result on the test digits").wait_for(timeout=TRAINING_MS)
    wait_until(page, f"() => /^Probe digits: ([89]|10) of 10/.test(({PROBE_TITLE})())",
               "after a run of the defaults, fewer than 8 of the 10 probe digits read right")
    expect(page.get_by_text(re.compile(r"units 1 to 32 of 256 at step"))).to_be_visible()
    page.close()


def test_on_a_phone_the_insides_come_after_the_curves(browser, server):
    page = new_page(browser, 390, 844)
    page.goto(server.url + "/Train")
    page.get_by_role("heading", name="Presets").wait_for()
    set_epochs(page, 1)
    page.get_by_role("button", name="Start training").click()
    page.get_by_text("Inside the network, live").wait_for()
    wait_until(page, PICTURE_LOADED, "the first layer's pictures did not load")
    wait_for_points(page, 0)  # the curves' chart drawn, so it has its height
    assert top(page.locator("iframe").first) < top(page.get_by_text("Inside the network, live"))
    page.get_by_text("Result on the test digits").wait_for(timeout=TRAINING_MS)
    page.close()
