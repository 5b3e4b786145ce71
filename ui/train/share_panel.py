"""Share by link, the Streamlit side: read the address once on arrival, keep it in step with the
settings on the Train page, and show the link with a copy button.

The translation itself (TrainConfig <-> query parameters) is ui.share, pure and tested alone.
"""
from __future__ import annotations

import streamlit as st

from mlp.config import TrainConfig
from ui import state
from ui.navigation import PAGES, spec
from ui.train import share
from ui.settings import settings_from_config
from ui.text import escape_markdown

TRAIN_PATH = spec("Train").url_path
PAGE_PATHS = tuple(p.url_path for p in PAGES if p.url_path)


def _link_params() -> dict[str, list[str]]:
    """The page address's query parameters, except Streamlit's own."""
    return {name: st.query_params.get_all(name) for name in st.query_params if name not in share.IGNORED}


def apply_link_once() -> None:
    """On a session's first page, take every setting from the address; bad parts keep their defaults,
    with a note. Later pages of the session leave the settings alone (the address then follows them)."""
    if state.link_read():
        return
    state.mark_link_read()
    params = _link_params()
    if not params:
        return
    config, notes = share.decode(params)
    state.replace_settings(settings_from_config(config))
    loaded = "**Settings loaded from the link**, seed included. Press **Start training** to run them."
    if notes:
        listed = "\n".join(f"- {escape_markdown(note)}" for note in notes)  # the link's text, shown as text
        state.set_notice(f"{loaded}\n\nSome of the link could not be used; those settings keep their default "
                         f"values:\n{listed}", "warning")
    else:
        state.set_notice(loaded, "success")


def sync_address(config: TrainConfig | None) -> None:
    """Write the settings into the address bar, so copying the address shares them (only when valid)."""
    if config is None:
        return
    wanted = share.encode(config)
    current = {name: values[-1] for name, values in _link_params().items()}
    if current != wanted:
        kept = {name: st.query_params.get_all(name) for name in st.query_params if name in share.IGNORED}
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


def share_link(config: TrainConfig) -> str:
    """The full link to the Train page set up as `config`."""
    query = share.query_string(config)
    base = train_page_url() or TRAIN_PATH
    return f"{base}?{query}" if query else base


def share_box(config: TrainConfig | None) -> None:
    """The link to these settings, in a box with a copy button, and what it does."""
    st.markdown("#### Share these settings", help="The link holds every setting that differs from the defaults, "
                "the random seed included, so everyone who opens it trains exactly the same network.")
    if config is None:
        st.caption("Fix the settings above to get a link.")
        return
    with st.container(key="share_link"):  # the key gives a CSS class: its copy button stays visible (ui.layout)
        st.code(share_link(config), language=None, wrap_lines=True)
    st.caption("Press :material/content_copy: at the right of the link, then send it to the class: whoever opens "
               "it gets these settings and this seed. The address bar always holds them too.")
