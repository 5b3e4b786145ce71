"""The teacher's hand on the board, on the Class page and on the Board itself: which entries are hidden. Shown only
to the session holding the class's teacher link; a hidden entry leaves everyone's board at once."""
from __future__ import annotations

import streamlit as st

from ui.saving import classes
from ui.saving.classes import ClassInfo
from ui.shared.posts import post_label

HIDDEN_KEY = "hidden_posts"


def _set_hidden(room: ClassInfo, shown_ids: list[int]) -> None:
    chosen = set(st.session_state.get(HIDDEN_KEY, []))
    classes.set_hidden(room.id, hidden=sorted(chosen), shown=sorted(set(shown_ids) - chosen))


def hidden_entries(room: ClassInfo) -> set[int]:
    """Every entry of the board, hidden or not, to pick those to hide (read from the store on each run, so two
    pages of the teacher's agree); the ids of the entries listed."""
    posts = classes.board(room.id, with_hidden=True)
    by_id = {p.id: p for p in posts}
    st.session_state[HIDDEN_KEY] = [p.id for p in posts if p.hidden]
    st.multiselect("Entries hidden from the board", list(by_id), format_func=lambda i: post_label(by_id[i]),
                   key=HIDDEN_KEY, on_change=_set_hidden, args=(room, list(by_id)), placeholder="None hidden",
                   help="A hidden entry disappears from everyone's board at once; pick it again here to bring it back.")
    return set(by_id)
