"""The app's pages: this table is the only list of them (the sidebar menu, links and tests read it).

The scripts live beside each page's parts (ui/train/page.py, ...), never in a folder named `pages/`:
Streamlit would run such a file alone on a fresh server's deep link, without app.py's set-up. The URL
paths are those of the first, `pages/1_Train.py` layout, so links shared before still open the page.
"""
from __future__ import annotations

from typing import NamedTuple

import streamlit as st


APP_NAME = "MLP playground"


class PageSpec(NamedTuple):
    script: str  # relative to app.py
    title: str
    icon: str  # Material icons come with Streamlit's own font: they show even without an emoji font
    url_path: str  # "" for the home page, the app's own address


PAGES = (
    PageSpec("ui/home/page.py", "Home", ":material/home:", ""),
    PageSpec("ui/train/page.py", "Train", ":material/show_chart:", "Train"),
    PageSpec("ui/draw/page.py", "Draw", ":material/draw:", "Draw"),
    PageSpec("ui/inspect/page.py", "Inspect", ":material/biotech:", "Inspect"),
    PageSpec("ui/compare/page.py", "Compare", ":material/compare_arrows:", "Compare"),
    PageSpec("ui/notebook/page.py", "Notebook", ":material/bug_report:", "Notebook"),
    PageSpec("ui/classroom/page.py", "Class", ":material/groups:", "Class"),
    PageSpec("ui/board/page.py", "Board", ":material/leaderboard:", "Board"),
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
