"""Which network Draw and Inspect use, and networks in and out as .npz files (the Streamlit side)."""
from __future__ import annotations

import streamlit as st

from mlp.model import ModelFileError
from training.record import Run
from ui import state
from ui.saving.networks import chosen_run, network
from ui.saving.records import INTERRUPTED
from ui.saving.runs import add_uploaded
from ui.shared.network_files import (
    MAX_UPLOAD_MB,
    NAME_CHARS,
    UPLOADED,
    download_name,
    read_model_file,
    unique_name,
    uploaded_run,
)
from ui.shared.text import escape_markdown, shorten
from ui.shared.widgets import mirrored

UPLOAD_KEY = "model_upload"


def _kind(run: Run) -> str:
    """' (uploaded)', ' (interrupted)', or nothing for a run trained to its end here."""
    return {UPLOADED: " (uploaded)", INTERRUPTED: " (interrupted)"}.get(run.status, "")


def run_caption(run: Run) -> str:
    """'Run 3: lr 0.001 · 96.1%': a run as a menu shows it."""
    accuracy = f" · {run.test_accuracy:.1%}" if run.test_accuracy is not None else ""
    return f"{run.name}{_kind(run)}{accuracy}"


def model_picker(key: str, label: str = "Network") -> Run | None:
    """A menu of the session's usable networks, newest first; the choice holds on every page."""
    runs = state.model_runs()
    if not runs:
        return None
    names = {r.uid: run_caption(r) for r in runs}
    mirrored(st.selectbox, label, key=key, current=chosen_run().uid, store=state.choose_run,
             options=list(names), format_func=names.__getitem__,
             help="Every training of this session, and every network file uploaded, newest first.")
    return chosen_run()


def answering_words(run: Run | None, training: str = "") -> str:
    """The one line saying which network a page answers with: 'Answering with: **Run 3: SGD, lr 0.1** — 95.7% on
    test digits', or the run training now (`training`, its name), whose answer follows it as it learns."""
    if training:
        return f"Answering with: **{escape_markdown(training)}**, still training: the answer follows it as it learns."
    if run is None:
        return ""
    accuracy = (f"{run.test_accuracy:.1%} on test digits" if run.test_accuracy is not None
                else "its accuracy on test digits was not measured")
    return f"Answering with: **{escape_markdown(run.name)}**{_kind(run)} — {accuracy}"


def network_line(key: str, training: str = "") -> None:
    """Which network answers, in one line, and a **Change** button beside it that opens the menu of the session's
    networks (when there is more than one to choose from and none is training)."""
    run = None if training else chosen_run()
    words = answering_words(run, training)
    if not words:
        return
    with st.container(horizontal=True, vertical_alignment="center", key="network_line"):
        st.markdown(words)
        if run is not None and len(state.model_runs()) > 1:
            with st.popover("Change", icon=":material/swap_horiz:"):
                model_picker(key, "Network that reads your digit")


def model_download(run: Run, key: str) -> None:
    """The run's network as a .npz file, written only when the button is pressed; no button while the store cannot
    give back a network it holds (the page says so: ui.saving.networks.network_trouble)."""
    model = network(run)
    if model is None:
        return
    st.download_button("Download this network (.npz)", data=model.to_bytes, file_name=download_name(run.name),
                       mime="application/octet-stream", key=key, icon=":material/download:", on_click="ignore",
                       help="A NumPy archive of the weights and every setting: open it later with the upload "
                            "box on the Inspect page, or in Python with mlp.load_model.")


def _read_upload() -> None:
    """When a file arrives: check it, keep it as a run, and make it the network Draw and Inspect use."""
    uploaded = st.session_state.get(UPLOAD_KEY)
    if uploaded is None or state.upload_outcome(uploaded.file_id) is not None:
        return
    name = shorten(uploaded.name, NAME_CHARS)  # the uploader chose it: any length, any characters
    try:
        model = read_model_file(name, uploaded.getvalue())
    except ModelFileError as error:  # it names the file, whose name the uploader chose
        state.set_upload_outcome(uploaded.file_id, f"This file cannot be used: {escape_markdown(error)}.", "error")
        return
    except MemoryError:
        state.set_upload_outcome(uploaded.file_id, "This network is too large for the server's memory.", "error")
        return
    except Exception as error:  # whatever else a crafted file triggers: words, never a traceback
        state.set_upload_outcome(uploaded.file_id, f"This file cannot be read ({type(error).__name__}).", "error")
        return
    name = unique_name(name, (r.name for r in state.finished_runs()))
    add_uploaded(uploaded_run(name, model))
    state.set_upload_outcome(uploaded.file_id, f"**{escape_markdown(name)}** is loaded: the Draw and Inspect "
                             "pages now use it.", "success")


def model_upload() -> None:
    """The upload box, and what became of the file in it."""
    uploaded = st.file_uploader(f"Upload a network file (.npz, at most {MAX_UPLOAD_MB} MB)", type=["npz"],
                                max_upload_size=MAX_UPLOAD_MB, key=UPLOAD_KEY, on_change=_read_upload,
                                help="A file downloaded from this app (or saved by `python -m mlp train --save`). "
                                     "It is checked and never run as code.")
    if uploaded is None:
        return
    _read_upload()  # in case the callback did not run (the file came with the first render)
    outcome = state.upload_outcome(uploaded.file_id)
    if outcome is not None:
        text, kind = outcome
        (st.error if kind == "error" else st.success)(text)
