"""The Train page's share box: the link to its settings, with a copy button (the address itself is ui.frame.address)."""
from __future__ import annotations

import streamlit as st

from mlp.config import TrainConfig
from ui.frame.address import share_link


def share_box(config: TrainConfig | None) -> None:
    """The link to these settings, in a box with a copy button, and what it does."""
    st.markdown("#### Share these settings", help="The link holds every setting that differs from the defaults, "
                "the random seed included, so everyone who opens it trains exactly the same network.")
    if config is None:
        st.caption("Fix the settings above to get a link.")
        return
    with st.container(key="share_link"):  # the key gives a CSS class: its copy button stays visible (ui.frame.layout)
        st.code(share_link(config), language=None, wrap_lines=True)
    st.caption("Press :material/content_copy: at the right of the link, then send it to the class: whoever opens "
               "it gets these settings and this seed. The address bar always holds them too.")
