"""The app in a real browser: Debian's Chromium, driven by Playwright, against `streamlit run app.py`.

Train a network and watch the curve grow (its legend clear of the chart titles), draw a digit with the mouse,
follow it through the layers and find it again back on the Draw page, open a shared link and find the Train
page set up as it says, download the network and see its confusion matrix, and open a deep link on a freshly
started server. Screenshots land in screenshots/ (git-ignored).
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from mlp.model import load_model

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# the first Plotly chart, on the page or in a frame of the page (the Train page's live chart is a component)
FIRST_CHART = """(() => document.querySelector('.js-plotly-plot') || [...document.querySelectorAll('iframe')]
                   .map(f => f.contentDocument && f.contentDocument.querySelector('.js-plotly-plot')).find(Boolean))"""
PLOT_POINTS = f"() => {{ const d = {FIRST_CHART}(); return d && d.data ? d.data[0].x.length : 0 }}"
INKED = """c => { const rgba = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                   let white = 0;
                   for (let i = 0; i < rgba.length; i += 4) white += rgba[i] > 200;
                   return white > 500 }"""  # a canvas with strokes on it: hundreds of white pixels
BARS = "() => { const d = document.querySelector('.js-plotly-plot'); return d && d.data ? d.data[0].y.length : 0 }"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`streamlit run app.py` on a free port, as the README starts it; stopped by `close()`."""

    def __init__(self, mnist_dir: Path, log: Path, **env_vars: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "MLP_DATA_DIR": str(mnist_dir), "OPENBLAS_NUM_THREADS": "1", **env_vars}
        self.log = log
        self.process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(self.port),
             "--server.address", "127.0.0.1", "--server.headless=true", "--server.fileWatcherType=none",
             "--browser.gatherUsageStats=false"],
            cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
        self._wait_healthy()

    def _wait_healthy(self, timeout: float = 60) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.process.poll() is not None:
                raise RuntimeError(f"streamlit exited early:\n{self.log.read_text()}")
            try:
                with urllib.request.urlopen(self.url + "/_stcore/health", timeout=2) as answer:
                    if answer.read().decode().strip() == "ok":
                        return
            except OSError:
                pass
            time.sleep(0.2)
        self.close()
        raise RuntimeError(f"streamlit did not answer on {self.url}:\n{self.log.read_text()}")

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def server(mnist_dir, tmp_path_factory):
    running = Server(mnist_dir, tmp_path_factory.mktemp("server") / "streamlit.log")
    yield running
    running.close()


def new_page(browser, width: int = 1600, height: int = 1300) -> Page:
    page = browser.new_page(viewport={"width": width, "height": height})
    page.set_default_timeout(60_000)
    return page


def shoot(page: Page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def set_epochs(page: Page, epochs: int) -> None:
    page.get_by_role("tab", name="Run").click()
    field = page.get_by_role("spinbutton", name="Epochs")
    field.fill(str(epochs))
    field.press("Enter")


def wait_for_points(page: Page, more_than: int, timeout: float = 60) -> int:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        points = page.evaluate(PLOT_POINTS)
        if points > more_than:
            return points
        page.wait_for_timeout(200)
    raise AssertionError(f"the training curve did not grow past {more_than} points")


def figure_titles(page: Page) -> list[str]:
    """The subplot titles and trace types of every Plotly chart on the page."""
    return page.evaluate("""() => [...document.querySelectorAll('.js-plotly-plot')].flatMap(d =>
        [...(d.layout && d.layout.annotations || []).map(a => a.text), ...(d.data || []).map(t => t.type)])""")


def legend_gap(page: Page) -> float:
    """Pixels between the first chart's legend and the subplot title under it (negative: they overlap)."""
    return page.evaluate("""() => {
        const chart = """ + FIRST_CHART + """();
        const legend = chart.querySelector('g.legend').getBoundingClientRect();
        const titles = [...chart.querySelectorAll('g.annotation')].map(a => a.getBoundingClientRect());
        return Math.min(...titles.map(t => t.top - legend.bottom)) }""")


def wait_for_figure(page: Page, text: str, timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if any(text in t for t in figure_titles(page)):
            return
        page.wait_for_timeout(200)
    raise AssertionError(f"no chart with {text!r}: {figure_titles(page)}")


def test_home_page_names_the_data_and_where_to_start(browser, server):
    page = new_page(browser)
    page.goto(server.url + "/")
    page.get_by_text("Where to start").wait_for()
    assert page.get_by_text("Full MNIST (60,000 training").first.is_visible()
    shoot(page, "home")
    page.close()


def test_train_watch_the_curve_grow_then_draw_a_digit(browser, server):
    page = new_page(browser)
    page.goto(server.url + "/Train")
    page.get_by_role("heading", name="Presets").wait_for()
    page.get_by_role("button", name="Modern: ReLU").click()
    page.get_by_text("Press Start training to run it").wait_for()
    set_epochs(page, 3)
    page.get_by_role("button", name="Start training").click()
    page.get_by_text("3 epochs, all digits").wait_for()

    first = wait_for_points(page, 3)  # two readings of the live chart while it trains
    second = wait_for_points(page, first)
    assert second > first
    page.get_by_text("Training: epoch").first.wait_for()
    assert page.get_by_text("steps/s").first.is_visible()
    shoot(page, "train_running")

    page.get_by_text("Result on the test digits").wait_for(timeout=120_000)
    page.get_by_test_id("stMetricLabel").filter(has_text="Test accuracy").wait_for()
    page.get_by_text("Nothing looks wrong with this run").wait_for()
    shoot(page, "train_finished")
    for width, height in ((1600, 1300), (1280, 800), (1600, 1300)):  # narrower and back: the legend stays clear
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(500)
        assert legend_gap(page) > 5, f"the legend covers a chart title at {width} px wide"

    page.get_by_test_id("stSidebarUserContent").get_by_role("link", name="Draw").click()
    page.get_by_text("Your drawing").wait_for()
    canvas = page.get_by_test_id("stBidiComponentIsolated").locator("canvas.upper-canvas")
    canvas.wait_for()
    box = canvas.bounding_box()
    x, y = box["x"], box["y"]
    page.mouse.move(x + 80, y + 60)  # a 7: a bar, then the long stroke down
    page.mouse.down()
    page.mouse.move(x + 200, y + 60, steps=15)
    page.mouse.move(x + 120, y + 240, steps=15)
    page.mouse.up()

    page.locator("#predicted-digit").wait_for()
    assert page.get_by_test_id("stImage").first.is_visible()  # the 28x28 the network receives
    assert page.get_by_text("28 × 28 pixels").is_visible()
    assert page.get_by_text("% sure").is_visible()
    assert page.evaluate(BARS) == 10
    assert page.locator("#predicted-digit").inner_text().strip() == "7"
    shoot(page, "draw")

    page.get_by_role("link", name="Follow it through every layer").click()  # the digit goes along
    page.get_by_role("tab", name="Your drawing, layer by layer").click()
    page.get_by_role("heading", name="Every layer's output for your digit").wait_for()
    wait_for_figure(page, "Output: the network answers 7")
    shoot(page, "inspect_drawing_browser")

    page.get_by_test_id("stSidebarUserContent").get_by_role("link", name="Draw").click()  # back: the 7 is still there
    drawing = page.get_by_test_id("stBidiComponentIsolated").locator("canvas.dc-canvas.lower-canvas")
    page.locator("#predicted-digit").wait_for()
    assert page.locator("#predicted-digit").inner_text().strip() == "7"
    assert page.get_by_text("28 × 28 pixels").is_visible()
    page.wait_for_function(INKED, arg=drawing.element_handle(), timeout=10_000)  # white strokes, not redrawn
    shoot(page, "draw_after_a_visit_to_inspect")
    page.get_by_role("button", name="Clear the drawing").click()
    page.get_by_text("Draw a digit in the black square").wait_for()
    assert page.locator("#predicted-digit").count() == 0
    page.close()


def test_a_shared_link_sets_up_the_train_page_and_its_network_can_be_inspected(browser, server, tmp_path):
    page = new_page(browser)
    page.goto(server.url + "/Train?hidden=32&lr=0.005&seed=11&epochs=1&per_class=100")
    page.get_by_text("Settings loaded from the link").wait_for()
    expect(page.get_by_role("textbox", name="Hidden layers")).to_have_value("32")
    for tab, field, value in (("Learning", "Learning rate", "0.005"), ("Run", "Random seed", "11"),
                              ("Run", "Epochs", "1"), ("Data", "Training examples per digit", "100")):
        page.get_by_role("tab", name=tab, exact=True).click()  # a tab's widgets fill in once it is shown
        expect(page.get_by_role("spinbutton", name=field, exact=True)).to_have_value(value)
    link = page.locator(".st-key-share_link").inner_text()
    assert link.startswith(server.url + "/Train?") and "hidden=32" in link and "seed=11" in link
    assert page.locator(".st-key-share_link").get_by_role("button", name="Copy to clipboard").is_visible()
    shoot(page, "share_link")

    page.get_by_role("button", name="Start training").click()
    page.get_by_text("Result on the test digits").wait_for(timeout=120_000)
    with page.expect_download() as download:  # the network as a file, written when asked for
        page.get_by_role("button", name="Download this network").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name.endswith(".npz") and load_model(saved).config.hidden == (32,)

    page.get_by_test_id("stSidebarUserContent").get_by_role("link", name="Inspect").click()
    page.get_by_role("heading", name="Inspect a network").wait_for()
    wait_for_figure(page, "heatmap")  # the confusion matrix
    assert page.get_by_test_id("stMetricLabel").filter(has_text="Test accuracy").is_visible()
    shoot(page, "inspect_confusion_browser")
    page.close()


def test_a_deep_link_on_a_fresh_server_shows_the_whole_app(browser, mnist_dir, tmp_path):
    fresh = Server(mnist_dir, tmp_path / "streamlit.log")
    try:
        page = new_page(browser)
        page.goto(fresh.url + "/Draw")
        page.get_by_role("heading", name="Draw a digit").wait_for()
        sidebar = page.get_by_test_id("stSidebarUserContent")
        for label in ("Home", "Train", "Draw", "Inspect", "Compare"):
            assert sidebar.get_by_role("link", name=label).is_visible()
        assert sidebar.get_by_text("Full MNIST").is_visible()
        assert page.title().startswith("Draw · MLP playground")
        assert not page.get_by_test_id("stSidebarNav").is_visible()  # Streamlit's own list, which says "app"
        assert page.get_by_role("button", name="Train a quick model").is_visible()
        page.get_by_test_id("stBidiComponentIsolated").locator("canvas.upper-canvas").wait_for()
        page.get_by_text("Lift the pen to see what the network thinks you drew").wait_for()
        shoot(page, "deep_link_draw")
        page.close()
    finally:
        fresh.close()


def test_a_closed_tab_stops_its_training_and_the_next_in_line_starts(browser, mnist_dir, tmp_path):
    one_slot = Server(mnist_dir, tmp_path / "streamlit.log", MLP_MAX_TRAININGS="1")
    try:
        first = new_page(browser)
        first.goto(one_slot.url + "/Train")
        first.get_by_role("heading", name="Presets").wait_for()
        set_epochs(first, 50)  # minutes of work, unless it stops when its tab closes
        first.get_by_role("button", name="Start training").click()
        first.get_by_text("Training: epoch").first.wait_for()

        second = new_page(browser)
        second.goto(one_slot.url + "/Draw")
        second.get_by_role("button", name="Train a quick model").click()
        second.get_by_text("Waiting for a free slot: 1st in line").first.wait_for()
        shoot(second, "draw_waiting_in_line")

        first.close()
        closed = time.monotonic()
        second.get_by_text("Training: epoch").first.wait_for(timeout=40_000)
        waited = time.monotonic() - closed
        assert waited < 30, f"the closed tab's training held its slot for {waited:.0f} s"  # heartbeat: 10 s
        second.close()
    finally:
        one_slot.close()
