"""The Notebook page in Chromium: choose the smallest run size, walk the first mistakes, jump to the main engine;
each step's runs appear as curves in the chart, a slow-motion step moves the chosen weight, and a click on a unit
of the diagram shows what it looks at."""
import pytest
from playwright.sync_api import expect
from test_browser import new_page, server, wait_until  # noqa: F401  (server is a fixture)

from ui.notebook.data import ladder

pytestmark = pytest.mark.server  # every test here starts the app (or nginx) as a process

CURVES = """() => [...document.querySelectorAll('.js-plotly-plot')].flatMap(d => (d.data || []).map(t => t.name))"""


def wait_for_curves(page, names: list[str]) -> None:
    wait_until(page, f"n => n.every(x => ({CURVES})().includes(x))", f"the curves {names} did not all appear",
               arg=names, timeout=120)


def test_walk_the_notebook_ladder_in_a_browser(browser, server):  # noqa: F811
    page = new_page(browser)
    page.goto(server.url + "/Notebook")
    page.get_by_text("Run size").click()
    for k, smallest in enumerate(("1", "1,000")):  # 1 epoch, 1,000 images
        slider = page.get_by_role("slider").nth(k)
        slider.focus()
        slider.press("Home")
        expect(page.get_by_role("slider").nth(k)).to_have_attribute("aria-valuetext", smallest)
    rungs = ladder(1)
    wait_for_curves(page, [s.label for s in rungs[0].runs])
    for rung in rungs[1:4]:
        page.get_by_role("button", name="Next mistake").click()
        page.get_by_text(f"Mistake {rung.index}: {rung.mistake.title}").wait_for()
        wait_for_curves(page, [s.label for s in rung.runs])
    page.get_by_role("combobox", name="Step").click()
    page.get_by_role("option", name=f"{rungs[-1].index}. The main engine's modern preset").click()
    wait_for_curves(page, [s.label for s in rungs[-1].runs])
    page.get_by_text("Backpropagation agrees with the finite differences").wait_for()
    page.get_by_role("button", name="Take this step").click()
    page.get_by_text("Steps taken: 1.").wait_for()
    wait_for_curves(page, ["loss"])
    page.get_by_text("The network of the slow motion (1 step taken)").wait_for()  # the diagram redrawn
    unit = page.locator(".st-key-diagram .scatterlayer .trace .points path").nth(20)  # a unit of hidden layer 1
    unit.scroll_into_view_if_needed()
    unit.click(force=True)
    page.get_by_text("Its 784 incoming weights as the picture they look at").wait_for()
    page.close()
