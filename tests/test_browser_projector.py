"""The teacher's projector in a real browser (Chromium at 1920 x 1080): from the teacher link, the Class page shows
the join code and its QR code and keeps the teacher link hidden until asked for; its "Project the board" link opens the
Board's projector view, whose address and page hold neither the workspace nor the teacher's secret, with the join
code in large type, the QR code, who is stuck, and every student named on the chart; hiding a run from the Board
itself takes it off the chart and the accuracy axis follows the runs still shown. The class is seeded in the store:
no training needed."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout, expect

from mlp.config import TrainConfig
from store import Classes, Store, StoredRun
from test_browser import Server, new_page, shoot, wait_until

pytestmark = pytest.mark.server  # the app runs as a process

WIDTH, HEIGHT = 1920, 1080  # a classroom projector
RUNS = {"Ana": [("finished", 0.975, 0.01)], "Ben": [("finished", 0.968, 0.01)],  # one learning rate, two students
        "Cy": [("finished", 0.93, 0.1), ("failed", None, 10.0)], "Di": [("finished", 0.098, 1.0)], "Ed": []}
SWEEP = "() => { const d = document.querySelector('.js-plotly-plot'); return d && d.data ? d : null }"


def seed(state_dir: Path) -> tuple[str, str]:
    """A class with five students' runs (posted when finished); its join code and the teacher's secret."""
    state_dir.mkdir()
    store = Store(f"sqlite:///{state_dir / 'store.sqlite3'}")
    rooms = Classes(store)
    room, secret = rooms.create("Year 11, Tuesday")
    for nickname, runs in RUNS.items():
        workspace = store.create_workspace()
        member = rooms.join(room.code, workspace, nickname)
        for n, (status, accuracy, lr) in enumerate(runs, 1):
            run_id = store.add_run(workspace, StoredRun(name=f"Run {n}", config=TrainConfig(lr=lr).to_dict(),
                                                        status=status, test_accuracy=accuracy, seconds=12.0))
            if status == "finished":
                rooms.post(member, run_id)
    store.close()
    return room.code, secret


def sweep(page, script: str):
    """Something of the Board's chart, once Plotly has drawn it."""
    wait_until(page, SWEEP, "the Board's chart was not drawn")
    return page.evaluate(f"() => {{ const d = ({SWEEP})(); return ({script}); }}")


def choose(page, key: str, text: str, tries: int = 3) -> None:
    """Pick the option holding `text` in the multiselect `key`, opening its list again if it closed before the click
    (a loaded machine has seen the list shut while a part of the page refreshed)."""
    for _ in range(tries):
        page.locator(f".st-key-{key} input").click()
        try:
            page.get_by_role("option").filter(has_text=text).click(timeout=20_000)
            return
        except PlaywrightTimeout:
            continue
    raise AssertionError(f"no option {text!r} in {key} after {tries} tries")


def test_the_projector_board_shows_the_join_code_large_its_qr_code_and_no_secret(browser, mnist_dir, tmp_path):
    code, secret = seed(tmp_path / "state")
    server = Server(mnist_dir, tmp_path / "server.log", MLP_STATE_DIR=str(tmp_path / "state"))
    try:
        page = new_page(browser, WIDTH, HEIGHT)
        page.goto(f"{server.url}/Train?epochs=2")  # the teacher's own saved work: a link's settings are saved
        page.get_by_text("Settings loaded from the link").wait_for()
        page.wait_for_function("() => /[?&]w=[A-Za-z0-9_-]{24}/.test(location.search)")  # written with them
        page.goto(f"{server.url}/Class?teacher={secret}")
        page.locator(".join-code").wait_for()
        page.wait_for_url(re.compile(r"[?&]w=[A-Za-z0-9_-]{24}"))
        workspace = re.search(r"[?&]w=([A-Za-z0-9_-]{24})", page.url).group(1)
        expect(page.locator(".st-key-join_qr img")).to_be_visible()
        assert secret not in page.inner_text("body")  # not beside the code meant for projecting
        shoot(page, "class_page_teacher")
        page.locator(".st-key-show_teacher_link").get_by_text("Show my teacher link").click()
        expect(page.locator(".st-key-teacher_link")).to_contain_text(f"/Class?teacher={secret}")  # when asked

        page.get_by_role("link", name=re.compile("Project the board")).click()
        page.wait_for_url(re.compile(r"/Board\?projector="))
        page.get_by_text("Who is training").wait_for()
        page.get_by_text("4 runs posted").wait_for()
        for secret_part in ("w=", "teacher=", secret, workspace):
            assert secret_part not in page.url, page.url
        joined = page.locator(".join-code")
        expect(joined).to_have_text(f"{code[:4]}-{code[4:]}")
        assert joined.evaluate("e => parseFloat(getComputedStyle(e).fontSize)") >= 80  # px: read from the back
        qr = page.locator(".st-key-join_qr img")
        wait_until(page, "() => { const i = document.querySelector('.st-key-join_qr img');"
                         " return i && i.complete && i.naturalWidth > 0 }", "the QR code image did not load")
        for box in (joined.bounding_box(), qr.bounding_box()):  # both on screen as the page opens, no scrolling
            assert box["y"] >= 0 and box["y"] + box["height"] <= HEIGHT and box["x"] + box["width"] <= WIDTH
        assert qr.bounding_box()["width"] >= 250
        page.get_by_text(re.compile(r"5 students: 2 stuck \(Cy, Di\)")).wait_for()
        names = sweep(page, "d.data.map(t => t.name)")
        assert names == list(RUNS)[:4]  # one trace per student with a posted run: the legend names them
        ana, ben = sweep(page, "d.data.slice(0, 2).map(t => t.x[0])")
        assert ana < 0.01 < ben  # the same learning rate, side by side: both readable
        body, html = page.inner_text("body"), page.content()
        for secret_part in (secret, workspace):
            assert secret_part not in body and secret_part not in html
        assert "w=" not in body and "teacher=" not in body
        shoot(page, "projector_board")

        assert sweep(page, "d.layout.yaxis.range") == [0, 1]  # Di's 9.8% is shown
        page.get_by_text("Hide an entry (teacher)").click()
        choose(page, "hidden_posts", "Di: Run 1")
        page.keyboard.press("Escape")
        page.get_by_text("3 runs posted").wait_for(timeout=60_000)
        wait_until(page, f"() => {{ const d = ({SWEEP})(); return d && d.data.length === 3 }}",
                   "the hidden run stayed on the chart")
        assert sweep(page, "d.layout.yaxis.range") == pytest.approx([0.9, 1.0])  # from the runs still shown
        assert "w=" not in page.url and secret not in page.url
        page.locator(".js-plotly-plot").first.scroll_into_view_if_needed()
        shoot(page, "projector_board_chart")
        page.close()
    finally:
        server.close()
