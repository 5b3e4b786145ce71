"""The set-up every page runs first: page config, BLAS threads, styles, sidebar, heartbeat.

Pages live in the classic `pages/` folder without st.navigation, so a deep link on a fresh
server runs a page file directly: each page therefore calls `setup_page` itself.
"""
from __future__ import annotations

import streamlit as st
from threadpoolctl import threadpool_limits

from mlp.mnist import Dataset
from ui import data, state
from ui.controller import status_text
from ui.text import escape_markdown
from ui.train.share_panel import apply_link_once

APP_NAME = "MLP playground"
# Material icons come with Streamlit's own font: they show even where no emoji font is installed.
PAGES = (("app.py", "Home", ":material/home:"), ("pages/1_Train.py", "Train", ":material/show_chart:"),
         ("pages/2_Draw.py", "Draw", ":material/draw:"), ("pages/3_Inspect.py", "Inspect", ":material/biotech:"),
         ("pages/4_Compare.py", "Compare", ":material/compare_arrows:"))

_CSS = """
<style>
/* less empty space above the title: on a 1280x800 projector every line counts */
.stMainBlockContainer { padding-top: 2.5rem; }
/* projector: larger body text and widget labels */
.stMainBlockContainer [data-testid="stMarkdownContainer"] p,
.stMainBlockContainer [data-testid="stMarkdownContainer"] li { font-size: 1.1rem; }
.stMainBlockContainer [data-testid="stMetricValue"],
.stMainBlockContainer [data-testid="stMetricValue"] p { font-size: 2.2rem; }
[data-testid="stWidgetLabel"] p { font-size: 1.05rem; }
/* preset titles are long: let their buttons wrap instead of cutting them off */
.st-key-presets button, .st-key-presets button * { white-space: normal !important; text-overflow: clip !important; }
.st-key-presets button, .st-key-presets button > div { height: auto; justify-content: flex-start; text-align: left; }
/* nothing for students to deploy */
[data-testid="stAppDeployButton"] { display: none; }
/* the Draw page's answer, readable from the back of a room */
div.big-digit { font-size: 8.5rem; font-weight: 800; line-height: 1; text-align: center; color: #d62728; }
div.big-digit-caption { font-size: 2rem; font-weight: 600; text-align: center; margin-bottom: 0.5rem; }
/* small digit images blown up by the browser: sharp squares, not a blur */
[class*="st-key-digits_"] img, .st-key-weights img { image-rendering: pixelated; }
[class*="st-key-digits_"] [data-testid="stImageCaption"] p { font-size: 1.05rem; color: inherit; line-height: 1.3; }
/* the share link: its copy button always shown, not only on hover */
.st-key-share_link [data-testid="stCode"] div,
.st-key-share_link button { opacity: 1 !important; visibility: visible !important; }
.st-key-share_link code { font-size: 1rem; }
</style>
"""


@st.cache_resource(show_spinner=False)
def _limit_blas_threads() -> object:
    """Once per server process: one BLAS thread, so sessions training at once share the cores
    instead of fighting over them (threadpoolctl's limit is process-wide)."""
    return threadpool_limits(limits=1)


def setup_page(title: str, icon: str = "🧠") -> Dataset | None:
    """Page config, shared styles and the sidebar; returns the session's dataset (or None after an error)."""
    st.set_page_config(page_title=f"{title} · {APP_NAME}", page_icon=icon, layout="wide",
                       initial_sidebar_state="expanded")
    _limit_blas_threads()
    st.markdown(_CSS, unsafe_allow_html=True)
    apply_link_once()
    state.collect_finished()
    with st.sidebar:
        st.markdown(f"## :material/neurology: {APP_NAME}")
        for path, label, page_icon in PAGES:
            st.page_link(path, label=label, icon=page_icon)
        st.divider()
    dataset = data.dataset()
    with st.sidebar:
        if dataset is not None:
            st.caption(f"**Data:** {escape_markdown(dataset.description)}")
        _training_status()
    return dataset


def _training_status() -> None:
    """The session's training in the sidebar, on every page. While a run is active this fragment
    polls, and each poll is the heartbeat that keeps the run alive (a closed tab stops beating)."""
    run = state.current_run()
    if run is None:
        st.caption("**Training:** none yet. Start one on the Train page.")
        return
    polling = run.active

    def body() -> None:
        run.beat()
        st.caption(f"**{escape_markdown(run.name)}** — {status_text(run)}")
        if run.state in ("running", "paused"):
            st.progress(run.progress().fraction)
        if polling and not run.active:
            st.rerun(scope="app")  # the run ended: redraw every page part once, and stop polling

    st.fragment(body, run_every=1.0 if polling else None)()


def show_notice() -> None:
    """The message left for this render (a loaded preset, a link's settings, why Start did nothing), once."""
    text, kind = state.pop_notice()
    if text:
        {"info": st.info, "warning": st.warning, "success": st.success, "error": st.error}[kind](text)
