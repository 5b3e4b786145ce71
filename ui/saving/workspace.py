"""Saved work on the page: the workspace id in the address and in a cookie (the browser remembers its last
workspace), runs and settings brought back on arrival, "Start fresh", and a plain message when the store fails (the
session then goes on in memory).

The store itself is ui.saving.process_store (the process's) and store/ (the database); the session's share of
it lives in ui.state.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Callable, Literal

import streamlit as st

from store import INTERRUPTED_STATUS, Classes, Store, StoreError, new_workspace_id, valid_workspace_id
from store.classes import normal_code
from ui import state
from ui.saving import process_store, records
from ui.saving.runs import problem, resume, written_workspace
from ui.shared.links import PROJECTOR_PARAM, SECRET_PARAMS, WORKSPACE_PARAM
from ui.shared.text import escape_markdown

IN_MEMORY = ("Your work goes on in this tab, in memory only: a reload will lose it (download a network "
             "you want to keep).")
KEPT_NOTE = ("**Saved work:** your runs and settings are kept at this page's address, and this browser opens them "
             "again by itself. Bookmark the address to reach them from elsewhere: whoever has it can open them.")
PROJECTOR_NOTE = ("**Projector view:** this address holds no secret (neither your workspace nor your teacher link), "
                  "so it can be shown to the class. Any other page brings your saved work back.")
COOKIE = "mlp_workspace"  # the browser's last workspace: sent with the first request of every new tab
COOKIE_SECONDS = 400 * 24 * 3600  # the longest a browser keeps a cookie (Chromium caps Max-Age at 400 days)
Source = Literal["address", "browser", ""]


@dataclass(frozen=True)
class Arrival:
    """The workspace a new session opens (None: a new one) and where its id came from."""
    workspace: str | None
    source: Source
    missing: bool  # the address named a workspace that is not in the store


def choose(asked: object, remembered: object, exists: Callable[[str], bool]) -> Arrival:
    """The address's workspace, else the one this browser remembers, else a new one. An id is checked for its
    form before the store is asked (a hostile cookie or address asks nothing); a remembered id that is malformed,
    unknown or deleted is passed over in silence, while a missing one the address named is said."""
    for source, candidate in (("address", asked), ("browser", remembered)):
        if valid_workspace_id(candidate) and exists(candidate):
            return Arrival(candidate, source, missing=bool(asked) and source != "address")
    return Arrival(None, "", missing=bool(asked))


def projector_view() -> bool:
    """Whether the address asks for the view a teacher projects (ui.shared.links.PROJECTOR_PARAM): then it must
    hold no secret, whatever its value."""
    return PROJECTOR_PARAM in st.query_params


def projected_code() -> str | None:
    """The join code of the class the projector view shows (None: not a projector view, or no code's form)."""
    return normal_code(st.query_params.get(PROJECTOR_PARAM)) if projector_view() else None


def arrive() -> None:
    """Before the shared set-up, so the sidebar and the page see what comes back: on a session's first
    page, find or make its workspace; on every page, keep the workspace's id in the address, except in the
    projector view, whose address loses every secret (the session keeps them)."""
    if not state.workspace_tried():
        _arrive()
    if projector_view():
        for name in SECRET_PARAMS:
            st.query_params.pop(name, None)
        return
    workspace_id = state.workspace()
    if state.workspace_written() and st.query_params.get(WORKSPACE_PARAM) != workspace_id:
        st.query_params[WORKSPACE_PARAM] = workspace_id  # a page switch clears the address's parameters
    elif not state.workspace_written() and WORKSPACE_PARAM in st.query_params:
        del st.query_params[WORKSPACE_PARAM]  # one not found: a reload would say so again


def attach() -> None:
    """After the shared set-up: save changed settings, greet a returning session, say so when
    the store fails, and say in the sidebar where the work is kept (and have the browser remember it)."""
    workspace_id = state.workspace()
    if workspace_id is not None:
        _save_changes(workspace_id)
    welcome, kind = state.pop_welcome()
    if welcome:
        (st.warning if kind == "warning" else st.success)(welcome, icon=":material/history:")
    problem, unreachable = state.store_problem()
    if problem:
        st.warning(escape_markdown(problem) + (f"\n\n{IN_MEMORY}" if unreachable else ""), icon=":material/cloud_off:")
    with st.sidebar:
        _sidebar(workspace_id)


def _arrive() -> None:
    """The session's first page: the address's workspace, else the browser's, if the store has it; else a new one."""
    state.set_workspace(None)  # tried: a store that fails now leaves this session in memory
    try:
        store = process_store.open_store()
        arrival = choose(st.query_params.get(WORKSPACE_PARAM), remembered(), store.workspace_exists)
        if arrival.workspace is not None:
            _bring_back(store, arrival)
        else:  # its row waits for the first thing worth saving (ui.saving.runs.written_workspace)
            state.set_workspace(new_workspace_id(), written=False)
            state.set_saved_text(_state_text())  # the default settings are not worth a row
    except StoreError as error:
        problem(error)
        return
    state.books().store_lost = store.lost
    if arrival.missing:
        instead = ("here is the work this browser saved last." if arrival.workspace is not None
                   else "this is a new, empty workspace.")
        why = ("the server lost its saved work while it ran (its file was deleted or replaced), and no open tab "
               "held this work to save it again" if store.lost else "the address may be mistyped or the work deleted")
        state.set_notice(f"The saved work this address points to was not found ({why}): {instead}", "warning")


def remembered() -> str | None:
    """The workspace id the browser's cookie holds, as sent when this tab connected (unchecked: hostile input)."""
    return st.context.cookies.get(COOKIE)


def _remember(workspace_id: str) -> None:
    """Have the browser keep this workspace as its last (a same-origin script sets the cookie), when the cookie it
    sent holds another or none. The id is a secret: it goes to this tab only, never to a log."""
    if remembered() == workspace_id or not valid_workspace_id(workspace_id):  # the form check keeps the script ours
        return
    cookie = f"{COOKIE}={workspace_id}; Path=/; Max-Age={COOKIE_SECONDS}; SameSite=Lax"
    st.html(f"<script>document.cookie = '{cookie}' + (location.protocol === 'https:' ? '; Secure' : '');</script>",
            unsafe_allow_javascript=True)


def _bring_back(store: Store, arrival: Arrival) -> None:
    workspace_id = arrival.workspace
    restored = process_store.restore(store, workspace_id, state.MAX_RUNS)
    canvas, digit = records.drawing_from(restored.drawing)
    if canvas is not None:  # before the workspace is set: nothing to write back
        state.set_drawing(canvas)
        state.set_drawn_digit(digit)
    state.set_workspace(workspace_id)
    state.set_membership(Classes(store).membership(workspace_id))
    state.restore_runs(restored.runs)
    state.books().pending.extend(restored.pending)  # ended in a tab since closed: the server still writes them
    if restored.settings is not None:  # a link in the address wins after this (ui.frame.address.apply_link_once)
        state.replace_settings(records.restored_settings(restored.settings))
    _follow_training(restored.training)
    state.set_saved_text(_state_text())
    state.set_welcome(_welcome(restored, arrival.source), "warning" if restored.unreadable else "success")


def _follow_training(row_ids: list[int]) -> None:
    """A run still training in this process for this workspace (the tab was reloaded) is followed again."""
    saver = next(filter(None, map(process_store.live_saver, row_ids)), None)
    if saver is not None and saver.run.active:
        resume(saver)


def _welcome(restored: process_store.Restored, source: Source) -> str:
    count = len(restored.runs)
    runs = f"{count} run{'s' if count != 1 else ''} and your" if count else "Your"  # a sentence starts with a capital
    where = "this address" if source == "address" else "what this browser remembers"
    words = [f"**Welcome back.** {runs} settings are restored from {where}."]
    if source == "browser":
        words.append("Not your work (a shared computer)? **Start fresh** on the Compare page.")
    elsewhere = len(restored.training) - (state.active_run() is not None)
    if elsewhere > 0:
        words.append(f"{elsewhere} run{'s are' if elsewhere > 1 else ' is'} still training in another tab: "
                     "reload this page when it has ended to see it here.")
    if restored.pending:
        names = escape_markdown(", ".join(saver.run.record.name for saver in restored.pending))
        words.append(f"Ended while saved work could not take it, back from the server's memory: {names}. The server "
                     "saves it as soon as it can.")
    cut = [record.name for _, record in restored.runs if record.status == INTERRUPTED_STATUS]
    if cut:
        words.append(f"Interrupted when the server stopped, with their curves up to then: {escape_markdown(', '.join(cut))}.")
    if restored.unreadable:
        words.append(f"{restored.unreadable} saved run(s) could not be read by this version of the app.")
    return " ".join(words)


def _state_text() -> str:
    return json.dumps(state.settings(), sort_keys=True)


def _save_changes(workspace_id: str) -> None:
    """Write the settings when they changed since the last write (a cheap comparison; the drawing is
    ui.state's to save)."""
    text = _state_text()
    if text == state.saved_text():
        return
    state.set_saved_text(text)
    try:
        store = process_store.open_store()
        store.save_workspace_state(written_workspace(store), settings=state.settings())
    except StoreError as error:
        problem(error)


def _start_fresh() -> None:
    try:
        workspace_id = process_store.open_store().create_workspace()
    except StoreError as error:
        problem(error)
        workspace_id = None
    state.start_fresh(workspace_id)
    if workspace_id is None:
        st.query_params.pop(WORKSPACE_PARAM, None)
    remembered_now = "; this browser now opens this workspace" if workspace_id is not None else ""
    state.set_notice(f"**A fresh start:** no runs, default settings, an empty canvas{remembered_now}. Your earlier work "
                     "stays at its old address, if you kept it.", "info")


def _sidebar(workspace_id: str | None) -> None:
    if projector_view():  # nothing of the workspace on a projected page, not even in the cookie's script
        st.caption(PROJECTOR_NOTE)
        return
    st.caption(KEPT_NOTE if workspace_id is not None else "**Saved work is off:** " + IN_MEMORY)
    if state.workspace_written():
        _remember(workspace_id)  # last in the sidebar: its empty element moves nothing on the page


def start_fresh_button() -> None:
    """"Start fresh", where the runs are managed (the Compare page): not in the sidebar, where every control is
    one more Tab press before a page's own."""
    if state.workspace() is None:
        return
    st.button("Start fresh", icon=":material/restart_alt:", key="start_fresh", on_click=_start_fresh,
              disabled=state.active_run() is not None,
              help="A new, empty workspace at a new address: no runs, default settings, an empty canvas. The work "
                   "here stays at this page's present address.")
