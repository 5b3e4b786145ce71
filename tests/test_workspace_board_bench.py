"""The board benchmark's students against a real `streamlit run app.py` on loopback: a tab whose first request
carries the workspace cookie (as a browser that remembers its workspace sends it) lands in its class and sees the
board the benchmark filled; a tab without it gets a new workspace, in no class; a refresh the Board asks for by
itself is timed; the teacher's projector view, asked for by the address's query, shows the class it names and who is
training. If the cookie, the Board or Streamlit's protocol moves, bench/board.py would measure nothing."""
from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH))

from board import BOARD, BoardWatcher, fill  # noqa: E402
from classroom_server import AppServer  # noqa: E402
from streamlit_client import StreamlitClient  # noqa: E402

pytestmark = pytest.mark.server  # every test here starts the app (or nginx) as a process


@pytest.fixture(scope="module")
def class_server(mnist_dir, tmp_path_factory):
    """The app on a store holding a class of 2 students and 4 posted runs; the students' workspace ids, the code."""
    folder = tmp_path_factory.mktemp("board")
    url = f"sqlite:///{folder / 'store.sqlite3'}"
    workspaces, code = fill(url, students=2, runs=4)
    running = AppServer(folder / "streamlit.log", {"MLP_DATA_DIR": str(mnist_dir), "MLP_DATABASE_URL": url})
    yield running, workspaces, code
    running.stop()


async def watch_one_refresh(url: str, workspace: str, query: str = "") -> BoardWatcher:
    client = BoardWatcher(url, "student", workspace, query)
    await client.open(BOARD, timeout=120)
    await client.wait_for(lambda: client.watched.refreshes, 60, "a refresh of the Board")
    await client.close()
    return client


async def open_board(url: str) -> StreamlitClient:
    client = StreamlitClient(url, "no cookie")
    await client.open(BOARD, timeout=120)
    await client.close()
    return client


def test_a_remembered_student_lands_in_the_class_and_the_board_refresh_is_timed(class_server):
    server, workspaces, _ = class_server
    student = asyncio.run(watch_one_refresh(server.url, workspaces[1]))
    assert student.shows("Board benchmark · 4 runs posted")
    assert student.shows("Best so far")
    [seconds] = student.watched.refreshes[:1]
    assert 0 < seconds < 30 and student.watched.kilobytes[0] > 1
    assert student.log.errors == []


def test_a_tab_without_the_cookie_is_in_no_class(class_server):
    server, _, _ = class_server
    stranger = asyncio.run(open_board(server.url))
    assert stranger.shows("Join a class") and not stranger.shows("runs posted")
    assert stranger.log.errors == []


def test_the_projector_view_the_address_asks_for_shows_the_class_and_who_is_training(class_server):
    server, workspaces, code = class_server
    projector = asyncio.run(watch_one_refresh(server.url, workspaces[0], f"projector={code}"))
    assert projector.shows("Who is training") and projector.shows("2 students") and projector.shows(code[:4])
    assert projector.watched.refreshes and projector.log.errors == []
    student = asyncio.run(watch_one_refresh(server.url, workspaces[1]))
    assert not student.shows("Who is training")  # a student's own Board: no list of who is stuck
