"""The Class page's parts: make a class (a teacher), join one (a student, by nickname), and moderate it
(the teacher's link): its two links, the board's entries to hide, closing and deleting."""
from __future__ import annotations

import logging

import streamlit as st

from training.logs import short
from ui import state
from ui.frame.address import page_address
from ui.frame.navigation import link, page
from ui.panels.join_code import join_code
from ui.panels.moderation import hidden_entries
from ui.saving import classes
from ui.saving.classes import (
    CLASS_NAME_CHARS,
    NICKNAME_CHARS,
    ClassError,
    ClassInfo,
    Membership,
    StoreError,
    normal_code,
)
from ui.shared.links import CLASS_PARAM, PROJECTOR_PARAM, TEACHER_PARAM
from ui.shared.rule import choices
from ui.shared.text import escape_markdown
from ui.shared.widgets import mirrored

log = logging.getLogger(__name__)

CLASS_PATH = "Class"


def _create() -> None:
    try:
        room, secret = classes.create(st.session_state.get("class_name", ""))
    except StoreError as error:
        log.warning("class not created: %s", error)
        state.set_notice(escape_markdown(error), "warning")
        return
    state.set_teaching(room, secret)
    st.query_params[TEACHER_PARAM] = secret
    state.set_notice(f"**Class “{escape_markdown(room.name)}” created.** Give the students the join code, or "
                     "project the board's projector view, which shows it with a QR code. Keep your teacher link for "
                     "yourself (**Show my teacher link**; bookmark it): it is the only way back to moderating.",
                     "success")


def _join() -> None:
    workspace = state.workspace()
    if workspace is None:
        state.set_notice("Joining a class needs saved work, which is off on this server just now.", "warning")
        return
    try:
        member = classes.join(st.session_state.get("join_code", ""), workspace,
                                st.session_state.get("join_nickname", ""))
    except (ClassError, StoreError) as error:
        if isinstance(error, StoreError):  # a ClassError is the student's typing, not the server's fault
            log.warning("workspace %s did not join a class: %s", short(workspace), error)
        state.set_notice(escape_markdown(error), "warning")
        return
    state.set_membership(member)
    state.set_notice(f"**Welcome to “{escape_markdown(member.room.name)}”, {escape_markdown(member.nickname)}.** "
                     "Every run you finish now goes to the class board (unless you turn that off below).", "success")


def invited_elsewhere(member: Membership | None) -> bool:
    """Whether the address holds the join link of a class other than the one the student is in (a browser that
    remembers its workspace comes back in its class; another class's link offers to join that one)."""
    code = normal_code(st.query_params.get(CLASS_PARAM))
    return member is not None and code is not None and code != member.room.code


def join_form(member: Membership | None = None) -> None:
    st.markdown("#### Join a class")
    if member is not None:
        st.caption(f"You are in **{escape_markdown(member.room.name)}** as **{escape_markdown(member.nickname)}**. "
                   "Joining another class makes it yours: your next runs go to its board.")
    st.text_input("Class code", key="join_code", value=st.query_params.get(CLASS_PARAM, ""), max_chars=40,
                  placeholder="ABCD-EFGH", help="The code on your teacher's screen, or the one in the join link.")
    st.text_input("Your nickname", key="join_nickname", max_chars=NICKNAME_CHARS,
                  help="The class sees it beside your runs. No need for your real name.")
    st.button("Join", icon=":material/login:", on_click=_join, key="join", type="primary")


def create_form() -> None:
    st.markdown("#### Teach a class")
    st.text_input("Class name", key="class_name", max_chars=CLASS_NAME_CHARS, placeholder="Year 11, Tuesday")
    st.button("Create a class", icon=":material/add:", on_click=_create, key="create_class")


def member_view() -> None:
    member = state.membership()
    st.markdown(f"You are in **{escape_markdown(member.room.name)}** as **{escape_markdown(member.nickname)}**.")
    st.toggle("Post my finished runs to the class board", value=state.posting(), key="posting",
              on_change=lambda: state.set_posting(st.session_state["posting"]))
    link("Board", "Open the class board")


def _delete(room: ClassInfo) -> None:
    classes.delete(room.id)
    state.set_teaching(None)
    st.query_params.pop(TEACHER_PARAM, None)
    state.set_notice(f"The class “{escape_markdown(room.name)}” is deleted, with its members and its board.", "success")


def settings_rule(room: ClassInfo) -> None:
    """The exercise's rule: which Train settings students may change (none chosen: every one)."""
    labels = choices()
    mirrored(st.multiselect, "Settings students may change", key="class_allowed", current=list(room.allowed or []),
             store=lambda names: classes.set_allowed(room.id, names), options=list(labels),
             format_func=labels.__getitem__, placeholder="Every setting",
             help="For an exercise such as “everyone varies only the learning rate”: the other settings stay at "
                  "their defaults on every student's Train page.")


def projector_link(room: ClassInfo) -> None:
    """The Board as the class sees it on a projector: its address holds the join code and no secret."""
    st.page_link(page("Board"), label="Project the board (join code, QR code, who is training)",
                 icon=":material/co_present:", query_params={PROJECTOR_PARAM: room.code})


def teacher_link(secret: str) -> None:
    """The teacher's link, only when asked for: the page may be on a projector."""
    if st.toggle("Show my teacher link", key="show_teacher_link",
                 help="The link that moderates this class. Keep it to yourself: not on the projector."):
        st.markdown("**Your teacher link** (whoever has it moderates the class; bookmark it):")
        with st.container(key="teacher_link"):
            st.code(page_address(CLASS_PATH, TEACHER_PARAM, secret), language=None, wrap_lines=True)


def teacher_view(room: ClassInfo, secret: str) -> None:
    room = classes.by_teacher(secret) or room  # closed or not, as the store says now
    st.markdown(f"### {escape_markdown(room.name)}" + (" (closed)" if room.closed else ""))
    join_code(room)
    projector_link(room)
    teacher_link(secret)
    hidden_entries(room)
    settings_rule(room)
    with st.container(horizontal=True):
        st.button("Reopen the class" if room.closed else "Close the class", key="close_class",
                  on_click=lambda: classes.set_closed(room.id, not room.closed),
                  help="A closed class takes no new members and no new runs; its board stays.")
        confirm = st.checkbox("Yes, delete everything", key="confirm_delete")
        st.button("Delete the class", icon=":material/delete:", key="delete_class", disabled=not confirm,
                  on_click=_delete, args=(room,))
    link("Board", "Open the class board")
