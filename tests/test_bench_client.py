"""The classroom benchmark's browser stand-in against a real `streamlit run app.py` on loopback.

If Streamlit's protocol moves (message names, how a page is named, how elements arrive), the
benchmark would measure nothing: this catches it with one page load per page, no training.
"""
from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH))

from classroom_server import AppServer  # noqa: E402
from streamlit_client import StreamlitClient  # noqa: E402

pytestmark = pytest.mark.server  # every test here starts the app (or nginx) as a process


@pytest.fixture(scope="module")
def server(mnist_dir, tmp_path_factory):
    running = AppServer(tmp_path_factory.mktemp("server") / "streamlit.log", {"MLP_DATA_DIR": str(mnist_dir)})
    yield running
    running.stop()


async def open_page(url: str, page: str) -> StreamlitClient:
    client = StreamlitClient(url, f"test on {page or 'Home'}")
    await client.open(page, timeout=120)
    await client.close()
    return client


def test_client_renders_home_and_reads_its_title(server):
    client = asyncio.run(open_page(server.url, ""))
    assert "MLP playground: teach a network to read handwritten digits" in client.texts()
    assert client.page_hash, "the navigation message names the page's script"
    assert client.log.errors == []


def test_client_opens_a_page_by_its_path_and_finds_its_button_by_label(server):
    client = asyncio.run(open_page(server.url, "Train"))
    assert any("Train a network" in text for text in client.texts())
    assert not any("teach a network to read handwritten digits" in text for text in client.texts())
    start = client.widgets["Start training"]
    assert start.id and not start.disabled
    assert client.log.errors == []
