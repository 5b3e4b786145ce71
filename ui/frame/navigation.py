"""The app's pages: this table is the only list of them (the sidebar menu, links and tests read it).

Each page is one short script in `pages/`, named as its address (pages/Train.py is /Train); its parts live in
ui/<page>/. The URL paths are those of the first layout, so links shared before still open the page.
"""
from __future__ import annotations

import runpy
from pathlib import Path
from typing import NamedTuple

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager


APP_NAME = "MLP playground"
APP_SCRIPT = Path(__file__).resolve().parents[2] / "app.py"


class PageSpec(NamedTuple):
    script: str  # relative to app.py
    title: str
    icon: str  # Material icons come with Streamlit's own font: they show even without an emoji font
    url_path: str  # "" for the home page, the app's own address


PAGES = (
    PageSpec("pages/Home.py", "Home", ":material/home:", ""),
    PageSpec("pages/Train.py", "Train", ":material/show_chart:", "Train"),
    PageSpec("pages/Draw.py", "Draw", ":material/draw:", "Draw"),
    PageSpec("pages/Inspect.py", "Inspect", ":material/biotech:", "Inspect"),
    PageSpec("pages/Compare.py", "Compare", ":material/compare_arrows:", "Compare"),
    PageSpec("pages/Notebook.py", "Notebook", ":material/bug_report:", "Notebook"),
    PageSpec("pages/Class.py", "Class", ":material/groups:", "Class"),
    PageSpec("pages/Board.py", "Board", ":material/leaderboard:", "Board"),
)


def spec(title: str) -> PageSpec:
    """The page called `title`; KeyError names the titles there are."""
    found = next((p for p in PAGES if p.title == title), None)
    if found is None:
        raise KeyError(f"no page {title!r}; the pages are {[p.title for p in PAGES]}")
    return found


def page(title: str) -> st.Page:
    """The page as Streamlit knows it (for st.navigation and st.page_link); needs a script run."""
    found = spec(title)
    return st.Page(found.script, title=found.title, icon=found.icon, url_path=found.url_path or None,
                   default=not found.url_path)


def navigation() -> st.Page:
    """Register every page (the sidebar menu lists them under the app's name) and return the one the
    address asks for."""
    return st.navigation({APP_NAME: [page(p.title) for p in PAGES]}, position="sidebar", expanded=True)


def link(title: str, label: str, icon: str | None = None) -> None:
    """A link to another page of the app, by its title."""
    st.page_link(page(title), label=label, icon=icon or spec(title).icon)


def run_the_app_if_opened_alone() -> None:
    """The first line of every page script: when Streamlit ran the page on its own, run app.py in its place.

    A `pages/` folder beside app.py starts Streamlit in its old multipage mode until the first st.navigation call
    (streamlit.runtime.pages_manager, script_runner._mpa_v1): on a fresh server whose first request is a deep link
    (/Draw), Streamlit runs pages/Draw.py alone, without the app's set-up and with a menu of file names. Here that
    lone run hands over to app.py, whose st.navigation turns the old mode off for good, lists the pages and runs this
    one again, set up; the lone run then stops. Every later run goes through app.py first, and this returns at once.
    (tests/test_browser.py opens deep links as a fresh server's first request.)
    """
    if not PagesManager.uses_pages_directory:
        return
    runpy.run_path(str(APP_SCRIPT), run_name="__main__")
    st.stop()
