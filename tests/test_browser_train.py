"""The Train page in a lesson, in a real browser (Chromium): the last run's result, diagnosis and fix stay after a
reload and after a server restart, at the same address; on a phone the live view is in sight right after Start;
the keyboard lands on Pause after Start and drives Pause, Resume, One more epoch, Stop and Start again."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from test_browser import TRAINING_MS, Server, new_page, open_tab, shoot, wait_for_points, wait_until

pytestmark = pytest.mark.server  # every test here starts the app as a process

ONE_DIGIT = "/Train?classes=7&per_class=100&epochs=1&seed=3"  # a second of work, and a finding with a fix
LONG = "/Train?epochs=50&per_class=500"  # 2,000 steps: still training when the test acts
FOCUSED = "() => document.activeElement && document.activeElement.closest('.st-key-{key}') !== null"
IN_VIEW = """() => { const e = document.querySelector('.st-key-live_run [data-testid="stProgress"]');
    const chart = document.querySelector('.st-key-live_run iframe');
    if (!e || !chart) return false;
    const bar = e.getBoundingClientRect(), top = chart.getBoundingClientRect().top;
    return bar.top >= 0 && bar.bottom <= innerHeight && top < innerHeight }"""
TABS_PLACE = """() => { const t = document.querySelector('[data-testid=stTabs]');
    return [...t.parentElement.children].indexOf(t) }"""  # the settings tabs' place among what the column shows
SCROLLED = """() => [document.scrollingElement, ...document.querySelectorAll('[data-testid="stMain"], section')]
    .reduce((most, e) => Math.max(most, e ? e.scrollTop : 0), 0)"""


def result_with_its_fix(page: Page, accuracy: str) -> None:
    """The Train page shows the one-digit run as it ended: its curves, result, diagnosis and fix."""
    page.get_by_text("Result on the test digits").wait_for()
    expect(page.get_by_test_id("stMetricValue").first).to_have_text(accuracy)
    page.get_by_text("One class only").wait_for()
    expect(page.get_by_role("button", name=re.compile("Fix and train again"))).to_be_enabled()
    expect(page.get_by_role("button", name="Start again")).to_be_enabled()
    wait_for_points(page, 0)  # the run's curves, drawn again


def test_the_last_result_stays_after_a_reload_and_a_server_restart(browser, mnist_dir, tmp_path):
    state_dir = str(tmp_path / "state")
    server = Server(mnist_dir, tmp_path / "first.log", MLP_STATE_DIR=state_dir)
    try:
        page = new_page(browser, 1440, 900)
        page.goto(server.url + ONE_DIGIT)
        page.get_by_role("button", name="Start training").click()
        page.get_by_text("Result on the test digits").wait_for(timeout=TRAINING_MS)
        accuracy = page.get_by_test_id("stMetricValue").first.inner_text()
        address = page.url
        workspace = re.search(r"[?&]w=([A-Za-z0-9_-]{24})", address).group(1)

        page.reload()  # F5
        page.get_by_text("Welcome back").wait_for()
        result_with_its_fix(page, accuracy)
        assert f"w={workspace}" in page.url
        shoot(page, "train_after_reload")
        page.close()

        server.close()  # the server restarts: nothing of the run is left in memory
        server = Server(mnist_dir, tmp_path / "second.log", MLP_STATE_DIR=state_dir)
        page = new_page(browser, 1440, 900)
        page.goto(address.replace(address.split("/Train")[0], server.url))  # the same address, on the new port
        result_with_its_fix(page, accuracy)
        assert f"w={workspace}" in page.url
        page.get_by_role("button", name=re.compile("Fix and train again")).click()  # the fix of the run brought back
        page.get_by_text("Settings changed").wait_for()
        page.get_by_text(re.compile("Run 2")).first.wait_for()
        page.get_by_text("Result on the test digits").wait_for(timeout=TRAINING_MS)
        assert page.get_by_test_id("stException").count() == 0
        page.close()
    finally:
        server.close()


@pytest.fixture(scope="module")
def server(mnist_dir, tmp_path_factory):
    running = Server(mnist_dir, tmp_path_factory.mktemp("server") / "streamlit.log")
    yield running
    running.close()


def test_on_a_phone_the_live_view_is_in_sight_right_after_start(browser, server):
    phone = new_page(browser, 390, 844)
    phone.goto(server.url + LONG)
    phone.get_by_role("button", name="Start training").click()
    phone.get_by_text("Training: epoch").first.wait_for()
    wait_until(phone, IN_VIEW, "the progress bar and the chart are not in sight after Start")
    assert phone.evaluate(SCROLLED) == 0  # without scrolling
    shoot(phone, "train_phone_running")
    phone.locator(".st-key-stop button").click()
    phone.get_by_text("Result on the test digits").wait_for(timeout=TRAINING_MS)
    phone.close()


def press_until_focused(page: Page, key: str, presses: int = 3) -> None:
    """Tab until the control `key` has the focus, at most `presses` times."""
    for _ in range(presses):
        if page.evaluate(FOCUSED.format(key=key)):
            return
        page.keyboard.press("Tab")
    assert page.evaluate(FOCUSED.format(key=key)), f"{key} is not within {presses} Tabs"


def test_the_keyboard_lands_on_pause_after_start_and_drives_every_control(browser, server):
    page = new_page(browser, 1440, 900)
    page.goto(server.url + LONG)
    start = page.get_by_role("button", name="Start training")
    start.wait_for()
    press_until_focused(page, "start", 12)  # a few Tabs away: the page menu, then Start (test_browser)
    page.keyboard.press("Enter")
    wait_until(page, FOCUSED.format(key="pause"), "the focus did not land on Pause after Start")
    page.keyboard.press("Space")
    page.get_by_text("Paused: the network is not learning now").wait_for()
    wait_until(page, FOCUSED.format(key="resume"), "the focus did not move to Resume, in the place of Pause")
    wait_for_points(page, 0)  # the curves so far, beside the words
    shoot(page, "train_paused")

    page.keyboard.press("Space")  # Resume
    page.get_by_text("Training: epoch").first.wait_for()
    wait_until(page, FOCUSED.format(key="pause"), "the focus did not move back to Pause")
    press_until_focused(page, "one_more_epoch", 1)
    page.keyboard.press("Enter")  # from running: pauses at the end of the epoch under way
    page.get_by_text(re.compile(r"Paused at epoch \d+\.0 of 50")).wait_for()
    epoch = int(re.search(r"Paused at epoch (\d+)\.0", page.locator("h3").first.inner_text()).group(1))
    page.keyboard.press("Enter")  # from paused: exactly one more epoch, then paused again
    page.get_by_text(f"Paused at epoch {epoch + 1}.0 of 50").wait_for()

    press_until_focused(page, "stop", 2)  # One more epoch, then Stop (Resume stands before them)
    page.keyboard.press("Enter")
    page.get_by_text("Result on the test digits").wait_for(timeout=TRAINING_MS)
    press_until_focused(page, "start_again", 1)  # the one control left that can act
    page.keyboard.press("Enter")  # the same settings and seed, a new run
    page.get_by_text(re.compile("Run 2: epochs 50")).first.wait_for()
    page.get_by_text("Training: epoch").first.wait_for()
    page.locator(".st-key-stop button").click()
    page.get_by_text("Result on the test digits").wait_for(timeout=TRAINING_MS)
    assert page.get_by_test_id("stException").count() == 0
    page.close()


def test_a_change_after_a_preset_keeps_the_settings_tabs_where_they_are(browser, server):
    """Loading a preset says so above the settings; the next change clears that notice. The tabs below must stay the
    same element, on the same tab: drawn anew, they went back to Network (hiding the field just typed in) or were
    shown twice for a moment, and a loaded lesson's students typed into the wrong one."""
    teacher = new_page(browser, 1920, 1080)
    teacher.goto(server.url + "/Class")
    teacher.get_by_role("textbox", name="Class name").fill("Tabs")
    teacher.get_by_role("button", name="Create a class").click()
    code = re.search(r"class=(\w+)", teacher.locator(".st-key-join_link code").inner_text())[1]
    page = new_page(browser, 1440, 900)  # a student of the class, as in a lesson
    page.goto(f"{server.url}/Class?class={code}")
    page.get_by_role("textbox", name="Your nickname").fill("Ana")
    page.get_by_role("button", name="Join").click()
    page.get_by_text("You are in Tabs as Ana.").wait_for()
    page.goto(f"{server.url}/Train?{page.url.split('?', 1)[1]}")
    page.get_by_role("button", name="Notebook: all digits").click()
    page.get_by_text("Press Start training to run it").wait_for()
    open_tab(page, "Data")
    before = page.evaluate(TABS_PLACE)
    field = page.get_by_role("spinbutton", name="Training examples per digit")
    field.fill("100")
    field.press("Enter")
    expect(page.get_by_text("Press Start training to run it")).to_be_hidden()  # the notice went: the rerun ended
    expect(page.get_by_test_id("stStatusWidget")).to_be_hidden()
    expect(page.get_by_test_id("stTabs")).to_have_count(1)
    assert page.evaluate(TABS_PLACE) == before  # nothing above them came or went: they were not drawn anew
    expect(page.get_by_role("tab", name="Data")).to_have_attribute("aria-selected", "true")
    expect(field).to_have_value("100")
    for each in (teacher, page):
        each.close()
