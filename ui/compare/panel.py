"""The Compare page's parts: pick runs, overlay their curves, tabulate them, download, rename, delete."""
from __future__ import annotations

import streamlit as st

from training.record import Run
from ui import state
from ui.compare.data import WRONG, default_selection, difference_words, histories_csv, runs_csv, runs_table
from ui.frame.navigation import link
from ui.panels.network_picker import run_caption
from ui.saving import runs
from ui.shared.curves import compare_figure, loss_spread_is_wide
from ui.shared.text import escape_markdown

PICKER_KEY = "compare_runs"


def run_picker(runs: list[Run]) -> list[Run]:
    """A multi-choice of the session's runs; the choice is kept when the user visits other pages."""
    by_uid = {r.uid: r for r in runs}
    kept = state.compared_runs()
    chosen = [uid for uid in kept if uid in by_uid] if kept is not None else default_selection(runs)
    st.session_state[PICKER_KEY] = chosen

    def changed() -> None:
        state.set_compared_runs(st.session_state[PICKER_KEY])

    st.multiselect("Runs to compare", list(by_uid), format_func=lambda uid: run_caption(by_uid[uid]),
                   key=PICKER_KEY, on_change=changed, placeholder="Choose runs",
                   help="Every training of this session (and every uploaded network), oldest first.")
    return [by_uid[uid] for uid in st.session_state[PICKER_KEY]]


def curves(chosen: list[Run]) -> None:
    with st.container(horizontal=True, vertical_alignment="bottom", gap="large"):
        which = st.segmented_control("Curves", ["held-out", "training"], default="held-out", key="compare_curve",
                                     required=True, format_func={"held-out": "on unseen digits",
                                                                 "training": "on training digits"}.get)
        log_loss = st.toggle("Loss on a log scale", value=loss_spread_is_wide(chosen, which or "held-out"),
                             key=f"compare_log_{which}",
                             help="When one run's loss is thousands of times another's, only a log scale shows both.")
    st.plotly_chart(compare_figure(chosen, which or "held-out", log_loss=log_loss), width="stretch",
                    key="compare_chart", config={"displaylogo": False})
    without = [r.name for r in chosen if not (r.history.train or r.history.heldout)]
    if without:
        st.caption(f"No curves for {escape_markdown(', '.join(without))}: an uploaded network comes without its training history.")


def table(chosen: list[Run], everything: list[Run]) -> None:
    st.markdown("#### Settings and results", help="The settings shown are those in which the chosen runs differ.")
    st.caption(difference_words(chosen))
    st.dataframe(runs_table(chosen), hide_index=True, width="stretch", key="compare_table",
                 column_config={"run": st.column_config.TextColumn(pinned=True),
                                "test accuracy": st.column_config.NumberColumn(format="percent"),
                                "test loss": st.column_config.NumberColumn(format="%.4g"),
                                WRONG: st.column_config.TextColumn(width="medium")})
    with st.container(horizontal=True):
        st.download_button("Table as CSV (every setting, all runs)", data=lambda: runs_csv(everything),
                           file_name="runs.csv", mime="text/csv", icon=":material/download:", on_click="ignore",
                           key="download_runs")
        st.download_button("Curves as CSV (all runs)", data=lambda: histories_csv(everything),
                           file_name="curves.csv", mime="text/csv", icon=":material/download:", on_click="ignore",
                           key="download_curves")


def _rename(uid: int) -> None:
    runs.rename(uid, st.session_state.get("rename_to", ""))
    st.session_state.pop("rename_to", None)


def _delete(uid: int) -> None:
    name = next((r.name for r in state.finished_runs() if r.uid == uid), "")
    runs.delete(uid)
    kept = state.compared_runs()
    if kept is not None:
        state.set_compared_runs([u for u in kept if u != uid])
    state.set_notice(f"Deleted {escape_markdown(name)}.", "success")


def manage(runs: list[Run]) -> None:
    """Rename or delete one run at a time."""
    with st.expander("Rename or delete a run"):
        by_uid = {r.uid: r for r in runs}
        uid = st.selectbox("Run", list(by_uid)[::-1], format_func=lambda u: by_uid[u].name, key="manage_run")
        with st.container(horizontal=True, vertical_alignment="bottom"):
            st.text_input("New name", key="rename_to", placeholder=by_uid[uid].name, max_chars=60)
            st.button("Rename", icon=":material/edit:", on_click=_rename, args=(uid,), key="rename")
            st.button(f"Delete {escape_markdown(by_uid[uid].name)}", icon=":material/delete:", on_click=_delete, args=(uid,),
                      key="delete", help="Removes the run and its network from this session; it cannot come back.")


def compare_view() -> None:
    runs = state.finished_runs()
    if not runs:
        st.info("No run has ended in this session yet. Train a few on the **Train** page, changing one setting "
                "each time (for instance a learning rate of 0.000001, then 0.001, then 1), and compare them here.")
        link("Train", "Train a network")
        return
    chosen = run_picker(runs)
    if chosen:
        curves(chosen)
        table(chosen, runs)
    else:
        st.info("Choose one or more runs above.")
    if len(runs) == 1:
        st.caption("Only one run so far: train another with one setting changed to see the difference.")
    manage(runs)
