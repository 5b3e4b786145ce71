"""The page address, the Streamlit side: a link's settings applied once on arrival, the address kept in step with
the settings, and the Train page's address for links. The translation itself (TrainConfig <-> query parameters) is
ui.shared.links, pure and tested alone.
"""
from __future__ import annotations

import streamlit as st

from mlp.config import ConfigError, TrainConfig
from ui import state
from ui.frame.navigation import PAGES, spec
from ui.frame.rule import current_rule
from ui.saving import classes
from ui.shared import links
from ui.shared.settings import config_from_settings, settings_from_config
from ui.shared.text import escape_markdown

TRAIN_PATH = spec("Train").url_path
PAGE_PATHS = tuple(p.url_path for p in PAGES if p.url_path)


def _link_params() -> dict[str, list[str]]:
    """The page address's query parameters, except Streamlit's own."""
    return {name: st.query_params.get_all(name) for name in st.query_params if name not in links.IGNORED}


def apply_link_once() -> None:
    """On a session's first page, take every setting from the address; bad parts keep their defaults,
    with a note. Later pages of the session leave the settings alone (the address then follows them).
    A reload of one's own workspace, whose address holds the settings it brought back, is no link: nothing said."""
    if state.link_read():
        return
    state.mark_link_read()
    params = _link_params()
    if not params:
        return
    config, notes = links.decode(params)
    if not notes and _own_workspace_address() and links.encode(config) == _restored_settings():
        return
    wanted, rule = settings_from_config(config), current_rule()
    if blocked := rule.blocked(wanted, rule.held(state.settings())):  # a link cannot move what the teacher fixed
        wanted = rule.held(wanted)
        notes = [*notes, rule.why(blocked) + " The link's values for them were not used."]
    state.replace_settings(wanted)
    seed = "" if "seed" in blocked else ", seed included"
    loaded = f"**Settings loaded from the link**{seed}. Press **Start training** to run them."
    if notes:
        listed = "\n".join(f"- {escape_markdown(note)}" for note in notes)  # the link's text, shown as text
        state.set_notice(f"{loaded}\n\nSome of the link could not be used; those settings keep their default "
                         f"values:\n{listed}", "warning")
    else:
        state.set_notice(loaded, "success")


def _own_workspace_address() -> bool:
    """The address names the workspace this session opened (ui.saving.workspace ran first)."""
    workspace = state.workspace()
    return workspace is not None and st.query_params.get(links.WORKSPACE_PARAM) == workspace


def _restored_settings() -> dict[str, str] | None:
    """The session's settings (the workspace's, just brought back) as the address would hold them; None when
    they are not valid (the address then holds the last valid ones, which the link restores, and says so)."""
    try:
        return links.encode(config_from_settings(state.settings()))
    except ConfigError:
        return None


def sync_address(config: TrainConfig | None) -> None:
    """Write the settings into the address bar, so copying the address shares them (only when valid)."""
    if config is None:
        return
    wanted = links.encode(config)
    current = {name: values[-1] for name, values in _link_params().items()}
    if current != wanted:
        kept = {name: st.query_params.get_all(name) for name in st.query_params if name in links.IGNORED}
        st.query_params.from_dict({**kept, **wanted})


def train_page_url() -> str:
    """The Train page's address as the browser shows it, without parameters ('' when unknown, as in tests)."""
    try:
        url = st.context.url or ""
    except Exception:  # no browser behind this run
        url = ""
    if not url:
        return ""
    base = url.split("?", 1)[0].split("#", 1)[0].rstrip("/")
    for page in PAGE_PATHS:  # from any page's address to the app's own, then to the Train page
        if base.endswith("/" + page):
            base = base[: -len(page) - 1]
            break
    return f"{base}/{TRAIN_PATH}"


def page_address(path: str, param: str, value: str) -> str:
    """The full address of the page at `path` with one parameter (the page's own path when unknown, as in tests)."""
    base = train_page_url().removesuffix(TRAIN_PATH)
    return f"{base}{path}?{param}={value}"


def share_link(config: TrainConfig) -> str:
    """The full link to the Train page set up as `config`."""
    query = links.query_string(config)
    base = train_page_url() or TRAIN_PATH
    return f"{base}?{query}" if query else base


def read_teacher_link() -> None:
    """A teacher's link in the address makes this session the class's teacher (once it is checked), on whichever
    page it opens: a teacher who reloads the Board is still its teacher."""
    secret = st.query_params.get(links.TEACHER_PARAM)
    if not secret or (state.teaching() and state.teaching()[1] == secret):
        return
    try:
        room = classes.by_teacher(secret)
    except classes.StoreError:  # out of reach: the Class page says so; the session stays as it was
        return
    if room is None:
        st.warning("This teacher link does not open any class: it may be mistyped, or the class was deleted.")
    state.set_teaching(room, secret)
