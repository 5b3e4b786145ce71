"""The class board's parts: the posted runs, redrawn every few seconds; one setting against accuracy; the best
run; the curves of the runs picked."""
from __future__ import annotations

import logging
import io

import numpy as np
import streamlit as st

from mlp.drawing.handwriting import Handwriting, handwriting_bytes
from mlp.model import ModelFileError, load_model
from ui import state
from ui.board.data import (ALL_DRAWINGS, CHART_SETTINGS, best, board_rows, config_of, figure_key, member_rows,
                           member_summary, overlay_runs, setting_figure, digits_tested)
from ui.frame import data
from ui.frame.layout import show_notice
from ui.frame.navigation import link, page
from ui.panels.join_code import join_code
from ui.panels.moderation import hidden_entries
from ui.saving import classes, records
from ui.saving.classes import ClassInfo, StoreError
from ui.saving.runs import add_uploaded
from ui.saving.workspace import projected_code, projector_view
from ui.shared.links import PROJECTOR_PARAM
from ui.shared.curves import compare_figure
from ui.shared.handwriting_score import score, scored_on
from ui.shared.posts import post_label
from ui.shared.text import escape_markdown

log = logging.getLogger(__name__)

REFRESH_SECONDS = 10.0  # a projected board follows the class without anyone touching it
_scores: dict[tuple[int, int], tuple[int, int, str]] = {}  # (run id, drawings in the set) -> right, of, on what


def board_class() -> ClassInfo | None:
    """The class the projector view's address names by its join code, else the class this session teaches, else
    the one it joined."""
    if projector_view():
        return classes.by_code(projected_code())
    teaching = state.teaching()
    if teaching is not None and teaching[0] is not None:
        return teaching[0]
    member = state.membership()
    return member.room if member is not None else None


def teaches(room: ClassInfo) -> bool:
    """Whether this session holds the class's teacher link (in the projector view too: the session keeps it)."""
    teaching = state.teaching()
    return teaching is not None and teaching[0] is not None and teaching[0].id == room.id


def per_digit() -> np.ndarray | None:
    """The test set's count of each digit (None without data): what a run's test accuracy rests on."""
    dataset = data.dataset(report=False)
    return None if dataset is None else np.bincount(np.asarray(dataset.y_test), minlength=10)


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


def _best(room: ClassInfo, posts, counts: np.ndarray | None, projecting: bool = False) -> None:
    top = best(posts)
    if top is not None:
        config = config_of(top)
        tested = digits_tested(config, counts) if counts is not None and config is not None else 0
        rests = f" ({round(top.run.test_accuracy * tested):,} of {tested:,} test digits)" if tested else ""
        st.success(f"**Best so far:** {escape_markdown(top.nickname)}, {escape_markdown(top.run.name)}: "
                   f"{top.run.test_accuracy:.1%} test accuracy{rests}.", icon=":material/emoji_events:")
        if projecting:  # the class watches: nothing to click on the projected board but what the teacher needs
            return
        with st.container(horizontal=True):
            st.button("Open it on Draw and Inspect", icon=":material/open_in_new:", key="open_best",
                      on_click=_open, args=(room, top))
            link("Draw", "Draw")
            link("Inspect", "Inspect")


_figures: dict[tuple, object] = {}  # figure_key -> figure: most refreshes find the board unchanged (server-wide)
MAX_FIGURES = 64


def _sweep_figure(posts, setting: str):
    key = figure_key(posts, setting)
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


def _score(room: ClassInfo, run_id: int, kept: Handwriting) -> tuple[int, int, str]:
    """How many of the class's drawings it did not train on (scored_on) one posted run reads right, of how many,
    and what those are."""
    stored = classes.posted_run(room.id, run_id)
    try:
        model = load_model(io.BytesIO(stored.model)) if stored is not None and stored.model else None
    except ModelFileError:
        model = None
    drawings, words = scored_on(kept, stored, ALL_DRAWINGS)
    right, total = score(model, drawings) if model is not None else (0, 0)
    return right, total, words


def _handwriting_scores(room: ClassInfo, posts) -> dict[int, tuple[int, int, str]]:
    """Each posted run's score on the class's labelled drawings (right, of how many), and on which; a network is
    read once per size of the set."""
    kept = classes.drawings(room.id)
    if not len(kept):
        return {}
    for post in posts:
        key = (post.run.id, len(kept))
        if key not in _scores:
            _scores[key] = _score(room, post.run.id, kept)
    return {post.run.id: _scores[(post.run.id, len(kept))] for post in posts}


def board_view(room: ClassInfo, projecting: bool = False) -> set[int]:
    """The board: the best run, the table, the sweep, the overlay; the ids of the entries shown."""
    posts = classes.board(room.id)
    st.caption(f"{escape_markdown(room.name)} · {len(posts)} run{'s' if len(posts) != 1 else ''} posted · "
               f"refreshes every {REFRESH_SECONDS:.0f} s")
    if not posts:
        st.info("No run posted yet: every run a student finishes appears here.")
        return set()
    counts = per_digit()
    _best(room, posts, counts, projecting)
    percent = st.column_config.NumberColumn(format="percent")
    st.dataframe(board_rows(posts, _handwriting_scores(room, posts), counts), hide_index=True, width="stretch",
                 key="board_table", column_config={"test accuracy": percent,
                                                   "test digits": st.column_config.NumberColumn(format="localized")})
    _sweep(posts)
    _overlay(room, posts)
    return {p.id for p in posts}


def hiding(room: ClassInfo) -> set[int] | None:
    """The teacher's control to hide entries, outside the refreshing part (a refresh under an open list of entries
    would close it); the ids it lists (None when the store could not say)."""
    with st.expander("Hide an entry (teacher)", icon=":material/visibility_off:"):
        try:
            return hidden_entries(room)
        except StoreError as error:
            log.warning("entries of class %s not read: %s", room.id, error)
            st.warning(escape_markdown(error))
            return None


def members_view(room: ClassInfo) -> None:
    """The live list of the class's members: who is training, waiting, finished, stuck (teacher and projector)."""
    try:
        rows = member_rows(classes.members(room.id))
    except StoreError as error:
        log.warning("members of class %s not read: %s", room.id, error)
        st.warning(f"{escape_markdown(error)} The list comes back when the store does.")
        return
    st.markdown(f"**Who is training** · {escape_markdown(member_summary(rows))}")
    if rows:
        st.dataframe(rows, hide_index=True, width="stretch", key="board_members")


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


def _no_class() -> None:
    if projector_view():
        st.warning("This projector address names no class: open the projector view again from the Class page.")
    else:
        st.info("Join a class (or create one) on the Class page to see its board.")
    link("Class", "Go to the Class page")


def projector_head(room: ClassInfo) -> None:
    """The projector view's top: the class, its join code and QR code, and beside them who is doing what."""
    st.markdown(f"### {escape_markdown(room.name)}" + (" (closed)" if room.closed else ""))
    code, members = st.columns([11, 9])
    with code:
        join_code(room)
    with members:
        st.fragment(lambda: members_view(room), run_every=REFRESH_SECONDS)()


def board() -> None:
    room = board_class()
    if room is None:
        _no_class()
        return
    projecting, teacher = projector_view(), teaches(room)
    if projecting:
        projector_head(room)
    else:
        _handwriting_download(room)
        if teacher:
            st.page_link(page("Board"), label="Projector view: the join code and QR code, no secret in the address",
                         icon=":material/co_present:", query_params={PROJECTOR_PARAM: room.code})
            st.fragment(lambda: members_view(room), run_every=REFRESH_SECONDS)()

    listed = hiding(room) if teacher else None

    def live() -> None:
        show_notice()  # what the button above did (a click reruns this fragment only)
        try:
            shown = board_view(room, projecting)
        except StoreError as error:
            log.warning("board of class %s not read: %s", room.id, error)
            st.warning(f"{escape_markdown(error)} The board comes back when the store does.")
            return
        if listed is not None and not shown <= listed:  # a run posted since: the teacher's list is drawn again
            st.rerun(scope="app")

    st.fragment(live, run_every=REFRESH_SECONDS)()
    if projecting:
        link("Board", "Leave the projector view")
