"""Seams between pages, in Chromium where the browser is the point: the Inspect page's confusion matrix on a phone
(390 x 844) labels all ten digits and shows every count whole, inside its cell; its robustness panels' axis titles
stay apart on a desktop. The workspace holds two runs trained here, as a student's saved work would."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from mlp import TrainConfig, load_mnist, train
from store import Store
from test_browser import Server, new_page, open_tab, shoot, wait_until
from training.record import Run
from ui.saving import records

pytestmark = pytest.mark.server  # the app runs as a process

HEATMAP_TEXTS = """() => { const chart = document.querySelector('.st-key-confusion .js-plotly-plot')
                                   || [...document.querySelectorAll('.js-plotly-plot')][0];
    if (!chart) return null;
    const ticks = axis => [...chart.querySelectorAll(`g.${axis}tick text`)].map(t => {
        const r = t.getBoundingClientRect(); return {text: t.textContent, x: r.x + r.width / 2, y: r.y + r.height / 2} });
    const texts = [...chart.querySelectorAll('g.hm text, .heatmaplayer text')].map(t => {
        const r = t.getBoundingClientRect();
        return {text: t.textContent, left: r.left, right: r.right, top: r.top, bottom: r.bottom} });
    return {x: ticks('x'), y: ticks('y'), cells: texts} }"""
AXIS_TITLES = """() => [...document.querySelectorAll('.js-plotly-plot g.g-xtitle, .js-plotly-plot g[class^="g-x"][class$="title"]')]
    .map(g => { const r = g.getBoundingClientRect(); return {text: g.textContent, left: r.left, right: r.right} })
    .filter(t => t.text)"""


@pytest.fixture(scope="module")
def workspace_server(mnist_dir, tmp_path_factory):
    """The app with a workspace holding two runs of different learning rates, trained here (a few seconds)."""
    state = tmp_path_factory.mktemp("state")
    data = load_mnist(mnist_dir, download=False)
    store = Store(f"sqlite:///{state / 'store.sqlite3'}")
    workspace = store.create_workspace()
    for n, lr in enumerate((1e-3, 3e-3), 1):
        result = train(TrainConfig(hidden=(64,), epochs=1, per_class=1000, lr=lr, seed=n), data)
        record = Run(name=f"Run {n}: lr {lr:g}", config=result.model.config, history=result.history,
                     status="finished", model=result.model, test_accuracy=result.test_accuracy,
                     test_loss=result.test_loss, seconds=result.seconds, epochs=1.0)
        store.add_run(workspace, records.stored(record))
    store.close()
    server = Server(mnist_dir, state / "streamlit.log", MLP_STATE_DIR=str(state))
    yield server, workspace
    server.close()


def test_a_phone_reads_every_digit_and_every_count_of_the_confusion_matrix(browser, workspace_server):
    server, workspace = workspace_server
    phone = new_page(browser, 390, 844)
    phone.goto(f"{server.url}/Inspect?w={workspace}")
    phone.get_by_role("heading", name="Inspect a network").wait_for()
    wait_until(phone, f"() => {{ const s = ({HEATMAP_TEXTS})(); return s && s.cells.length >= 10 && s.x.length }}",
               "the confusion matrix was not drawn", timeout=120)
    seen = phone.evaluate(HEATMAP_TEXTS)
    digits = [str(d) for d in range(10)]
    assert [t["text"] for t in seen["x"]] == digits and [t["text"] for t in seen["y"]] == digits  # all ten, each axis
    cell = min(b["x"] - a["x"] for a, b in zip(seen["x"], seen["x"][1:]))  # one cell's width, in screen pixels
    counts = [c for c in seen["cells"] if c["text"]]
    assert max(len(c["text"]) for c in counts) >= 3 and all(c["text"].isdigit() for c in counts)  # whole numbers
    for c in counts:
        assert c["right"] - c["left"] <= cell, f"{c['text']!r} is wider than its {cell:.0f}-pixel cell"
    for a, b in zip(counts, counts[1:]):  # no count runs into another
        assert a["right"] <= b["left"] or b["right"] <= a["left"] or a["bottom"] <= b["top"] or b["bottom"] <= a["top"]
    phone.locator(".js-plotly-plot").first.scroll_into_view_if_needed()
    shoot(phone, "inspect_confusion_phone")

    phone.set_viewport_size({"width": 1440, "height": 900})
    open_tab(phone, "Robustness")
    wait_until(phone, f"() => ({AXIS_TITLES})().length >= 5", "the robustness panels were not drawn", timeout=120)
    titles = sorted(phone.evaluate(AXIS_TITLES), key=lambda t: t["left"])
    for a, b in zip(titles, titles[1:]):
        assert a["right"] <= b["left"], f"{a['text']!r} runs into {b['text']!r}"
    phone.locator(".js-plotly-plot").last.scroll_into_view_if_needed()
    shoot(phone, "inspect_robustness_desktop")
    phone.close()


def test_draw_names_the_network_it_answers_with(browser, workspace_server):
    server, workspace = workspace_server
    for width, height in ((1440, 900), (390, 844)):
        page = new_page(browser, width, height)
        page.goto(f"{server.url}/Draw?w={workspace}")
        line = page.locator(".st-key-network_line")
        expect(line).to_contain_text("Answering with: Run 2: lr 0.003")
        expect(line).to_contain_text("on test digits")
        expect(line.get_by_role("button", name="Change")).to_be_visible()
        shoot(page, f"draw_network_line_{width}")
        page.close()
