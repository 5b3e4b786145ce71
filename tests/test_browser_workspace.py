"""The browser remembers its workspace (Chromium): a student trains, closes the tab and comes back through the
plain address or a share link, and finds the run and the settings again; another browser, at the same time, gets
a workspace of its own. The cookie is the page's own, as the brief for saved work asks: Path=/, SameSite=Lax, long."""
from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from test_browser import TRAINING_MS, Server, nav, shoot
from test_browser_saved_work import SMALL
from ui.saving.workspace import COOKIE

pytestmark = pytest.mark.server  # every test here starts the app (or nginx) as a process

WORKSPACE = re.compile(r"[?&]w=([A-Za-z0-9_-]{24})")


def tab(context, url: str):
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(url)
    return page


def workspace_of(page) -> str:
    """The workspace id the page's address holds, once the app has put it there."""
    page.wait_for_url(WORKSPACE)
    return WORKSPACE.search(page.url).group(1)


def remembered(page) -> dict:
    """The workspace cookie the browser holds, once the page's script has set it."""
    page.wait_for_function("name => document.cookie.split('; ').some(c => c.startsWith(name + '='))", arg=COOKIE)
    [cookie] = [c for c in page.context.cookies() if c["name"] == COOKIE]
    return cookie


def test_a_closed_tab_comes_back_through_the_plain_address_and_another_browser_gets_its_own(browser, mnist_dir,
                                                                                              tmp_path):
    server = Server(mnist_dir, tmp_path / "server.log", MLP_STATE_DIR=str(tmp_path / "state"))
    student = browser.new_context(viewport={"width": 1400, "height": 1000})
    neighbour = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        first = tab(student, server.url + SMALL)
        first.get_by_role("button", name="Start training").click()
        first.get_by_text("Result on the test digits").wait_for(timeout=TRAINING_MS)
        workspace = workspace_of(first)
        cookie = remembered(first)
        assert (cookie["value"], cookie["path"], cookie["sameSite"]) == (workspace, "/", "Lax")
        assert cookie["expires"] > time.time() + 300 * 24 * 3600
        shoot(first, "workspace_cookie_written")  # the script that set it takes no room in the sidebar
        first.close()  # the student closes the tab

        back = tab(student, server.url)  # and comes back through the plain address
        back.get_by_text("Welcome back. 1 run and your settings are restored from what this browser").wait_for()
        assert workspace_of(back) == workspace
        shoot(back, "workspace_welcome_back")
        nav(back, "Train").click()
        expect(back.get_by_role("textbox", name="Hidden layers")).to_have_value("32")
        shoot(back, "workspace_remembered")

        other = tab(neighbour, server.url)  # another browser at the same time: none of the student's work
        other.get_by_text("Where to start").wait_for()
        assert not WORKSPACE.search(other.url)  # its own workspace waits for the first thing worth saving
        assert other.get_by_text("Welcome back").count() == 0

        shared = tab(student, server.url + "/Train?epochs=2")  # a share link: its settings, the same workspace
        shared.get_by_text("Settings loaded from the link").wait_for()
        assert workspace_of(shared) == workspace
        shared.get_by_text("Welcome back. 1 run").wait_for()
        for page in (back, other, shared):
            assert page.get_by_test_id("stException").count() == 0
    finally:
        student.close()
        neighbour.close()
        server.close()
