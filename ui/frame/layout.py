"""What every page shares: the set-up app.py runs before each page, the notice, and the polling fragment."""
from __future__ import annotations

from typing import Callable, Sequence

import streamlit as st
from threadpoolctl import threadpool_limits

from training.memory import give_back_memory
from training.run import PoolRun
from training.workers import POOL
from ui import state
from ui.frame import data
from ui.frame.address import apply_link_once, read_teacher_link
from ui.frame.navigation import APP_NAME
from ui.frame.training import run_status, start_asked_again
from ui.saving.runs import collect_finished
from ui.saving.workspace import projector_view
from ui.shared.text import escape_markdown

RUNS_AT_FULL_RATE = 10  # active runs in this process up to which live parts poll at their own pace
SLOWEST_POLL = 2.0  # seconds: a page still looks live, and a closed tab is still noticed (controller heartbeat)
SIDEBAR_POLL_SECONDS = 2.0
PAGES_SHOWING_THE_RUN = ("Train",)  # pages whose own live view polls (and beats) for the session's run

# Metric values, the space above the title and the toolbar are set in .streamlit/config.toml ([theme],
# [client]). What is left has no setting there that works here; each rule says why it is needed.
_CSS = """
<style>
/* theme.paddingTop holds on wide screens only: below Streamlit's phone breakpoint its own 6rem came back */
@media (max-width: 640px) { .stMainBlockContainer { padding-top: 2.5rem; } }
/* a phone stacks the Train page's columns: the one showing a run first, right under Start, not under every setting
   (columns have no order setting) */
@media (max-width: 640px) { [data-testid="stColumn"]:has(.st-key-live_run) { order: -1; } }
/* projector: larger body text and widget labels. Streamlit draws labels, buttons, page links and options at
   0.875rem; theme.baseFontSize would scale them all, but breaks the Draw page's canvas (.streamlit/config.toml).
   Metric values are left to theme.metricValueFontSize. */
.stMainBlockContainer [data-testid="stMarkdownContainer"] :is(p, li):not([data-testid="stMetricValue"] *) {
  font-size: 1.1rem; }
[data-testid="stWidgetLabel"] p { font-size: 1.05rem; }
/* preset titles are long: let their buttons wrap instead of cutting them off (buttons have no wrap setting) */
.st-key-presets button, .st-key-presets button * { white-space: normal !important; text-overflow: clip !important; }
.st-key-presets button, .st-key-presets button > div { height: auto; justify-content: flex-start; text-align: left; }
/* the Draw page's answer, readable from the back of a room: the app's own HTML, no theme key sizes it */
div.big-digit { font-size: 8.5rem; font-weight: 800; line-height: 1; text-align: center; color: #d62728; }
div.big-digit-caption { font-size: 2rem; font-weight: 600; text-align: center; margin-bottom: 0.5rem; }
/* the class's join code, read off a projector from the back of the room (the app's own HTML) */
div.join-code { font-size: 6rem; font-weight: 800; line-height: 1.1; letter-spacing: 0.02em;
  font-family: "Source Code Pro", monospace; white-space: nowrap; }
/* room above the canvas for its toolbar, which otherwise sits on the heading "1. Your drawing" (a component) */
.st-key-drawing [data-testid="stBidiComponentIsolated"] { padding-top: 2.25rem; }
/* small digit images blown up by the browser: sharp squares, not a blur (no image setting for this) */
[class*="st-key-digits_"] img, .st-key-weights img { image-rendering: pixelated; }
/* the digits' captions are what the page is about: near body size and colour, not the small grey caption */
[class*="st-key-digits_"] [data-testid="stImageCaption"] p { font-size: 1.05rem; color: inherit; line-height: 1.3; }
/* the share link: its copy button always shown, not only on hover (no setting for it) */
.st-key-share_link [data-testid="stCode"] div,
.st-key-share_link button { opacity: 1 !important; visibility: visible !important; }
/* the share link read aloud from a projector: theme.codeFontSize would do it, but breaks the Draw page's canvas */
.st-key-share_link code { font-size: 1rem; }
</style>
"""


@st.cache_resource(show_spinner=False)
def _limit_blas_threads() -> object:
    """Once per server process: one BLAS thread, so sessions training at once share the cores
    instead of fighting over them (threadpoolctl's limit is process-wide)."""
    return threadpool_limits(limits=1)


@st.cache_resource(show_spinner=False)
def _give_back_memory() -> bool:
    """Once per server process: freed networks and messages go back to the system (training.memory)."""
    return give_back_memory()


@st.cache_resource(show_spinner=False)
def _import_table_libraries() -> object:
    """Once per server process, before any page runs: the libraries Streamlit imports on a table's first use.
    Two sessions importing pandas for the first time at once raced (one saw it partly initialised and failed
    with "partially initialized module 'pandas' has no attribute 'Series'"); cache_resource runs this in one
    session while the others wait."""
    import pandas
    import pyarrow
    return pandas, pyarrow


def setup(title: str) -> None:
    """Page config, shared styles, a link's settings, the data and the sidebar; app.py runs it before each page.
    The sidebar starts closed on a phone ("auto"), where it would cover the page, and in the projector view, whose
    screen is the class's."""
    st.set_page_config(page_title=f"{title} · {APP_NAME}", page_icon="🧠", layout="wide",
                       initial_sidebar_state="collapsed" if projector_view() else "auto")
    _limit_blas_threads()
    _give_back_memory()
    _import_table_libraries()
    st.markdown(_CSS, unsafe_allow_html=True)
    apply_link_once()
    read_teacher_link()
    collect_finished()  # the session's ended run kept and saved, before any page reads it
    start_asked_again()  # then "Start again" of a run that had to stop first
    dataset = data.dataset()
    with st.sidebar:
        if dataset is not None:
            st.caption(f"**Data:** {escape_markdown(dataset.description)}")
        _training_status(poll=title not in PAGES_SHOWING_THE_RUN)


def poll_seconds(base: float, active: int | None = None) -> float:
    """How often a live part of a page redraws: every `base` seconds while few runs are active in this
    server process, less often as more are, so that a class's polling costs the server about the same
    whatever its size (each redraw is a script run in the one web process). In half seconds, and never
    slower than SLOWEST_POLL (or `base`, if slower). `active`: the runs training or waiting (default: now)."""
    if active is None:
        active = POOL.line.running + POOL.line.waiting
    seconds = max(base, base * active / RUNS_AT_FULL_RATE)
    return min(round(seconds * 2) / 2, max(base, SLOWEST_POLL))


def poll_while_active(base: float, body: Callable[[], None], runs: Sequence[PoolRun] | None = None) -> None:
    """Draw `body` in a fragment that redraws itself while `runs` are active (default: the session's run), every
    `base` seconds, slower on a server busy when the page was drawn (`poll_seconds`). Each redraw is the
    heartbeat that keeps them alive (a closed tab stops beating); when the last one ends, the whole page redraws
    once, so every part of it shows the results, and the polling stops."""
    if runs is None:
        run = state.active_run()
        runs = [run] if run is not None else []

    def live() -> None:
        for run in runs:
            run.beat()
        body()
        if runs and not any(run.active for run in runs):
            st.rerun(scope="app")

    st.fragment(live, run_every=poll_seconds(base) if runs else None)()


def _training_status(poll: bool) -> None:
    """The session's training on every page; its polling keeps the run alive whichever page is open.
    A page that shows the run live itself (Train) beats for it: there the sidebar does not poll too."""
    run = state.current_run()
    if run is None:
        kept = len(state.finished_runs())
        st.caption(f"**Training:** none now; {kept} earlier run{'s' if kept != 1 else ''} kept (Compare lists them)."
                   if kept else "**Training:** none yet. Start one on the Train page.")
        return
    if not poll and run.active:
        st.caption(f"**{escape_markdown(run.name)}** — on this page, live.")
        return

    def body() -> None:
        st.caption(f"**{escape_markdown(run.name)}** — {run_status(run)}")
        if run.state in ("running", "paused"):
            st.progress(run.progress().fraction)

    poll_while_active(SIDEBAR_POLL_SECONDS, body)


def show_notice() -> None:
    """The message left for this render (a loaded preset, a link's settings, why Start did nothing), once."""
    text, kind = state.pop_notice()
    if text:
        {"info": st.info, "warning": st.warning, "success": st.success, "error": st.error}[kind](text)
