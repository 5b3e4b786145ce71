"""Saved work in a real browser (Chromium): train, reload, everything is back; a server killed with SIGKILL
mid-training and started again: the finished run intact, the interrupted one marked, with its curves. A class:
two students in their own browser contexts post runs, the board shows both and its chart; the teacher link
hides an entry, the join link cannot; a labelled drawing and the network's score on the class's handwriting."""
from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import sqlalchemy as sa
import pytest
from playwright.sync_api import expect

from test_browser import TRAINING_MS, Server, draw_seven, nav, new_page, shoot, wait_for_figure

pytestmark = pytest.mark.server  # every test here starts the app (or nginx) as a process

SMALL = "/Train?hidden=32&epochs=1&per_class=100&seed=5"  # a run of a second or two


def checkpointed(state_dir: Path) -> bool:
    """Whether the store holds curves for a run still training (its saver's first checkpoint)."""
    engine = sa.create_engine(f"sqlite:///{state_dir / 'store.sqlite3'}")
    with engine.connect() as conn:
        found = conn.execute(sa.text("SELECT count(*) FROM runs WHERE status = 'running' AND curves LIKE :some"),
                             {"some": '%"train": [[%'}).scalar()
    engine.dispose()
    return bool(found)


def poll_until(condition, failure: str, timeout: float = 60) -> None:
    """Check `condition` (a database read: no page event tells of it) until it holds; fail after `timeout`."""
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, failure
        threading.Event().wait(0.1)


def kill_mid_training(page, server: Server, workspace: str, state_dir: Path) -> None:
    """Start a long run in the workspace, wait until the store holds its curves, then SIGKILL the server."""
    # the same workspace, a link's settings: a minute of work (50 epochs were estimated over the server's 10-minute
    # limit on a loaded machine, and Start stayed disabled)
    page.goto(f"{server.url}/Train?w={workspace}&epochs=20")
    page.get_by_text("Settings loaded from the link").wait_for()
    page.get_by_role("button", name="Start training").click()
    page.get_by_text("Training: epoch").first.wait_for()
    poll_until(lambda: checkpointed(state_dir), "no checkpoint of the running run reached the store")
    server.process.kill()  # SIGKILL mid-training: no chance to write anything more
    server.process.wait()
    page.close()


def test_train_reload_everything_is_back_then_a_killed_server_marks_its_run(browser, mnist_dir, tmp_path):
    state_dir = tmp_path / "state"
    server = Server(mnist_dir, tmp_path / "first.log", MLP_STATE_DIR=str(state_dir))
    try:
        page = new_page(browser)
        page.goto(server.url + SMALL)
        page.get_by_role("button", name="Start training").click()
        page.get_by_text("Result on the test digits").wait_for(timeout=TRAINING_MS)
        accuracy = page.get_by_test_id("stMetricValue").first.inner_text()
        workspace = re.search(r"[?&]w=([A-Za-z0-9_-]{24})", page.url).group(1)

        page.reload()
        page.get_by_text("Welcome back. 1 run and your settings are restored").wait_for()
        expect(page.get_by_role("textbox", name="Hidden layers")).to_have_value("32")
        nav(page, "Inspect").click()
        page.get_by_role("heading", name="Inspect a network").wait_for()
        wait_for_figure(page, "heatmap")  # the confusion matrix of the network brought back
        expect(page.get_by_test_id("stMetricValue").first).to_have_text(accuracy)
        assert f"w={workspace}" in page.url  # kept when navigating
        shoot(page, "saved_work_after_reload")

        kill_mid_training(page, server, workspace, state_dir)

        server = Server(mnist_dir, tmp_path / "second.log", MLP_STATE_DIR=str(state_dir))
        page = new_page(browser)
        page.goto(f"{server.url}/Compare?w={workspace}")
        page.get_by_text("Interrupted when the server stopped, with their curves up to then: Run 2").wait_for()
        page.get_by_text("Welcome back. 2 runs and your settings are restored").wait_for()
        wait_for_figure(page, "scatter")  # both runs' curves, the interrupted one's so far
        shoot(page, "saved_work_interrupted")
        assert page.get_by_test_id("stException").count() == 0
        page.close()
    finally:
        server.close()


def join(browser, link: str, nickname: str):
    """A student's own browser context (its own cookies and tabs) following the join link."""
    context = browser.new_context(viewport={"width": 1400, "height": 1100})
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(link)
    page.get_by_role("textbox", name="Your nickname").fill(nickname)
    page.get_by_role("button", name="Join").click()
    page.get_by_text("You are in Lesson 1 as").wait_for()
    return context, page


def create_class(teacher, url: str) -> tuple[str, str]:
    """The teacher makes "Lesson 1" on the Class page; its join link and teacher link, as the page shows them."""
    teacher.goto(url + "/Class")
    teacher.get_by_role("textbox", name="Class name").fill("Lesson 1")
    teacher.get_by_role("button", name="Create a class").click()
    teacher.locator(".join-code").wait_for()
    expect(teacher.locator(".st-key-join_link")).to_contain_text("/Class?class=")
    teacher.locator(".st-key-show_teacher_link").get_by_text("Show my teacher link").click()  # only when asked for
    expect(teacher.locator(".st-key-teacher_link")).to_contain_text("/Class?teacher=")
    return tuple(teacher.locator(f".st-key-{key} code").inner_text().strip() for key in ("join_link", "teacher_link"))


def label_a_seven(page) -> None:
    """Draw a 7, say it is a 7, and see the network's score on the class's handwriting appear."""
    nav(page, "Draw").click()
    draw_seven(page)
    page.get_by_text("What did you really draw?").wait_for()
    page.locator(".st-key-labels").get_by_role("button", name="7", exact=True).click()
    page.get_by_text("Kept as a 7").wait_for()
    page.get_by_text(re.compile(r"On the class's handwriting: [01] of 1 right")).wait_for()
    shoot(page, "class_handwriting_score")


def test_two_students_post_to_the_board_and_only_the_teacher_link_hides(browser, mnist_dir, tmp_path):
    server = Server(mnist_dir, tmp_path / "server.log", MLP_STATE_DIR=str(tmp_path / "state"))
    try:
        teacher = new_page(browser)
        join_link, teacher_link = create_class(teacher, server.url)

        students = [join(browser, join_link, name) for name in ("Ana", "<b>Ben</b>")]
        for lr, (_, page) in zip(("0.01", "0.0001"), students):
            page.wait_for_url(re.compile(r"[?&]w=[A-Za-z0-9_-]{24}"))  # written when the student joined
            workspace = re.search(r"[?&]w=([A-Za-z0-9_-]{24})", page.url).group(1)
            page.goto(f"{server.url}{SMALL}&lr={lr}&w={workspace}")  # the address keeps the workspace, and the class
            page.get_by_role("button", name="Start training").click()
            page.get_by_text("Result on the test digits").wait_for(timeout=TRAINING_MS)

        board = students[0][1]
        nav(board, "Board").click()
        board.get_by_text("2 runs posted").wait_for(timeout=30_000)  # the board refreshes by itself
        wait_for_figure(board, "scatter")  # the learning rate against test accuracy
        board.get_by_text("Best so far").wait_for()
        assert board.get_by_test_id("stException").count() == 0
        shoot(board, "class_board")

        nav(board, "Class").click()
        board.get_by_text("You are in Lesson 1 as Ana").wait_for()
        assert board.get_by_text("Entries hidden from the board").count() == 0  # the join link moderates nothing

        teacher.goto(teacher_link)
        teacher.locator(".st-key-hidden_posts input").click()
        teacher.get_by_role("option").filter(has_text="Ben").click()
        teacher.keyboard.press("Escape")
        nav(board, "Board").click()
        board.get_by_text("1 run posted").wait_for(timeout=30_000)

        label_a_seven(board)  # Ana's drawing joins the class's handwriting, and her network is scored on it
        for context, _ in students:
            context.close()
        teacher.close()
    finally:
        server.close()
