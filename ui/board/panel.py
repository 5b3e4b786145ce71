"""The class board's parts: the posted runs, redrawn every few seconds; one setting against accuracy; the best
run; the curves of the runs picked."""
from __future__ import annotations

import logging
import io

import streamlit as st

from mlp.drawing.handwriting import Handwriting, handwriting_bytes
from mlp.model import ModelFileError, load_model
from ui import state
from ui.board.data import ALL_DRAWINGS, CHART_SETTINGS, best, board_rows, overlay_runs, setting_figure
from ui.frame.layout import show_notice
from ui.frame.navigation import link
from ui.saving import classes, records
from ui.saving.classes import ClassInfo, StoreError
from ui.saving.runs import add_uploaded
from ui.shared.curves import compare_figure
from ui.shared.handwriting_score import score, scored_on
from ui.shared.posts import post_label
from ui.shared.text import escape_markdown

log = logging.getLogger(__name__)

REFRESH_SECONDS = 10.0  # a projected board follows the class without anyone touching it
_scores: dict[tuple[int, int], tuple[float | None, str]] = {}  # (run id, drawings in the set) -> accuracy, on what


def board_class() -> ClassInfo | None:
    """The class this session teaches, else the one it joined."""
    teaching = state.teaching()
    if teaching is not None and teaching[0] is not None:
        return teaching[0]
    member = state.membership()
    return member.room if member is not None else None


def _open(room: ClassInfo, post) -> None:
    """The posted run's network becomes this session's, on Draw and Inspect (a copy in its own workspace)."""
    try:
        stored = classes.posted_run(room.id, post.run.id)
        record = records.restored(stored) if stored is not None else None
    except (StoreError, *records.UNREADABLE) as error:
        log.warning("posted run %s of class %s not opened: %s", post.run.id, room.id, error)
        state.set_notice(escape_markdown(error), "warning")
        return
    if record is None or not record.usable:
        state.set_notice("That run is no longer on the board, or has no network to open.", "warning")
        return
    record.name = f"{post.nickname}: {record.name}"
    add_uploaded(record)
    state.set_notice(f"**{escape_markdown(record.name)}** is now the network on Draw and Inspect.", "success")


def _best(room: ClassInfo, posts) -> None:
    top = best(posts)
    if top is not None:
        st.success(f"**Best so far:** {escape_markdown(top.nickname)}, {escape_markdown(top.run.name)}: "
                   f"{top.run.test_accuracy:.1%} test accuracy.", icon=":material/emoji_events:")
        with st.container(horizontal=True):
            st.button("Open it on Draw and Inspect", icon=":material/open_in_new:", key="open_best",
                      on_click=_open, args=(room, top))
            link("Draw", "Draw")
            link("Inspect", "Inspect")


_figures: dict[tuple, object] = {}  # (the posts shown, setting) -> figure: most refreshes find the board unchanged
MAX_FIGURES = 64


def _sweep_figure(posts, setting: str):
    key = (tuple(p.id for p in posts), setting)
    if key not in _figures:
        if len(_figures) >= MAX_FIGURES:
            _figures.clear()
        _figures[key] = setting_figure(posts, setting)
    return _figures[key]


def _sweep(posts) -> None:
    setting = st.selectbox("Setting against accuracy", list(CHART_SETTINGS), format_func=CHART_SETTINGS.get,
                           key="board_setting", help="Each dot is one posted run.")
    st.plotly_chart(_sweep_figure(posts, setting), width="stretch", key="board_sweep",
                    config={"displaylogo": False})


def _overlay(room: ClassInfo, posts) -> None:
    by_id = {p.run.id: p for p in posts}
    picked = st.multiselect("Overlay the curves of", list(by_id), format_func=lambda i: post_label(by_id[i]),
                            key="board_overlay", placeholder="Choose runs")
    if picked:
        curves = classes.curves(room.id, picked)
        st.plotly_chart(compare_figure(overlay_runs([by_id[i] for i in picked], curves)), width="stretch",
                        key="board_curves", config={"displaylogo": False})


def _score(room: ClassInfo, run_id: int, kept: Handwriting) -> tuple[float | None, str]:
    """One posted run's accuracy on the class's drawings it did not train on (scored_on), and what those are."""
    stored = classes.posted_run(room.id, run_id)
    try:
        model = load_model(io.BytesIO(stored.model)) if stored is not None and stored.model else None
    except ModelFileError:
        model = None
    drawings, words = scored_on(kept, stored, ALL_DRAWINGS)
    right, total = score(model, drawings) if model is not None else (0, 0)
    return (right / total if total else None), words


def _handwriting_scores(room: ClassInfo, posts) -> dict[int, tuple[float | None, str]]:
    """Each posted run's accuracy on the class's labelled drawings, and on which; a network is read once per size
    of the set."""
    kept = classes.drawings(room.id)
    if not len(kept):
        return {}
    for post in posts:
        key = (post.run.id, len(kept))
        if key not in _scores:
            _scores[key] = _score(room, post.run.id, kept)
    return {post.run.id: _scores[(post.run.id, len(kept))] for post in posts}


def board_view(room: ClassInfo) -> None:
    posts = classes.board(room.id)
    st.caption(f"{escape_markdown(room.name)} · {len(posts)} run{'s' if len(posts) != 1 else ''} posted · "
               f"refreshes every {REFRESH_SECONDS:.0f} s")
    if not posts:
        st.info("No run posted yet: every run a student finishes appears here.")
        return
    _best(room, posts)
    percent = st.column_config.NumberColumn(format="percent")
    st.dataframe(board_rows(posts, _handwriting_scores(room, posts)), hide_index=True, width="stretch",
                 key="board_table", column_config={"test accuracy": percent, "class handwriting": percent})
    _sweep(posts)
    _overlay(room, posts)


def handwriting_file(room: ClassInfo) -> bytes:
    """The class's labelled drawings as a handwriting .npz (mlp.drawing.handwriting's format)."""
    kept = classes.drawings(room.id)
    return handwriting_bytes(kept.images, kept.labels, kept.writers)


def _handwriting_download(room: ClassInfo) -> None:
    """The class's labelled drawings as one .npz file (images, labels, writers), written when asked for."""
    st.download_button("The class's handwriting (.npz)", data=lambda: handwriting_file(room),
                       file_name="class-handwriting.npz", mime="application/octet-stream", on_click="ignore",
                       icon=":material/download:", key="download_handwriting",
                       help="Every drawing the class labelled on the Draw page. Score a network on it with "
                            "`python -m mlp evaluate model.npz --drawings class-handwriting.npz`.")


def board() -> None:
    room = board_class()
    if room is None:
        st.info("Join a class (or create one) on the Class page to see its board.")
        link("Class", "Go to the Class page")
        return

    _handwriting_download(room)

    def live() -> None:
        show_notice()  # what the button above did (a click reruns this fragment only)
        try:
            board_view(room)
        except StoreError as error:
            log.warning("board of class %s not read: %s", room.id, error)
            st.warning(f"{escape_markdown(error)} The board comes back when the store does.")

    st.fragment(live, run_every=REFRESH_SECONDS)()
