"""The attacks of issue 19 sent to a real `streamlit run app.py` over its websocket and upload address, as a hostile
visitor sends them (bench/abuse.py's cases): each refused in words, the web process's memory bounded."""
from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

sys.path.append(str(Path(__file__).resolve().parents[1] / "bench"))  # after the project: bench/store.py is no store

import abuse  # noqa: E402
from classroom_server import AppServer  # noqa: E402

pytestmark = pytest.mark.server  # every test here starts the app as a process


@pytest.fixture(scope="module")
def visit(mnist_dir, tmp_path_factory):
    folder = tmp_path_factory.mktemp("abuse")
    server = AppServer(folder / "streamlit.log", {"MLP_DATA_DIR": str(mnist_dir), "MLP_STATE_DIR": str(folder)})
    try:
        opened = abuse.Visit(server, f"sqlite:///{folder / 'store.sqlite3'}")
        asyncio.run(abuse.warm_up(opened))
        yield opened
    finally:
        server.stop()


@pytest.mark.parametrize("name", ["canvas PNG bomb 9000x9000", "canvas value of 24 MB of JSON lists",
                                  "canvas values no canvas sends",
                                  "upload: zip of 100,000 empty entries", "upload: weights of 3e38",
                                  "class name: script, NUL, bidi", "workspace rows from 20 visits",
                                  "secrets on the projector", "board hover after a rename"])
def test_the_server_holds(visit, name):
    """Held: refused (or harmless) in words the case names, and the web process under abuse.MAX_GROWTH_MB more memory
    at its highest and after (a 9,000 x 9,000 PNG cost 1.3 GB before its header was read first)."""
    row = asyncio.run(abuse.run_case(name, abuse.CASES[name], visit, timeout=300))
    assert row.held, "\n".join(abuse.table([row]))
