"""The 25 MB upload limit holds on the server, not only in the browser: a real `streamlit run app.py` with
the project's .streamlit/config.toml, and uploads sent straight to it the way a browser sends them
(XSRF cookie from the page, token in the header, a live session)."""
from __future__ import annotations

import tomllib
import uuid
from contextlib import contextmanager
from typing import Iterator

import pytest
import requests
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.sync.client import ClientConnection, connect

from test_browser import ROOT, Server
from ui.shared.network_files import MAX_UPLOAD_MB

XSRF_COOKIE = "_streamlit_xsrf"
MB = 2**20


def test_the_server_config_holds_the_app_limit_and_keeps_xsrf_on():
    server = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["server"]
    assert server["maxUploadSize"] == MAX_UPLOAD_MB
    assert server.get("enableXsrfProtection", True) is True


class BrowserSession:
    """What a browser holds after opening the app: the XSRF cookie, and a websocket whose first run
    gives the session id that upload addresses name."""

    def __init__(self, url: str, http: requests.Session, socket: ClientConnection):
        self.url, self.http, self.socket = url, http, socket
        self.token = http.cookies[XSRF_COOKIE]
        rerun = BackMsg()
        rerun.rerun_script.query_string = ""
        self.socket.send(rerun.SerializeToString())
        self.session_id = self._session_id()

    def _session_id(self) -> str:
        while True:
            message = ForwardMsg()
            message.ParseFromString(self.socket.recv(timeout=60))
            if message.WhichOneof("type") == "new_session":
                return message.new_session.initialize.session_id

    def upload(self, body: bytes | Iterator[bytes], token: bool = True) -> int:
        """The status of one file upload, as the upload box sends it (a generator body goes chunked,
        with no Content-Length to trust)."""
        address = f"{self.url}/_stcore/upload_file/{self.session_id}/{uuid.uuid4()}"
        headers = {"X-Xsrftoken": self.token} if token else {}
        if isinstance(body, bytes):
            return self.http.put(address, files={"file": ("net.npz", body)}, headers=headers, timeout=60).status_code
        boundary = uuid.uuid4().hex

        def multipart() -> Iterator[bytes]:
            yield (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="net.npz"\r\n'
                   "Content-Type: application/octet-stream\r\n\r\n").encode()
            yield from body
            yield f"\r\n--{boundary}--\r\n".encode()

        headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
        return self.http.put(address, data=multipart(), headers=headers, timeout=60).status_code


@contextmanager
def browser_session(url: str) -> Iterator[BrowserSession]:
    http = requests.Session()
    http.get(url + "/_stcore/health", timeout=30).raise_for_status()  # the page's first request sets the cookie
    token = http.cookies[XSRF_COOKIE]
    with connect(url.replace("http", "ws", 1) + "/_stcore/stream", subprotocols=["streamlit", token],
                 additional_headers={"Cookie": f"{XSRF_COOKIE}={token}", "Origin": url}) as socket:
        yield BrowserSession(url, http, socket)


@pytest.fixture(scope="module")
def session(mnist_dir, tmp_path_factory):
    server = Server(mnist_dir, tmp_path_factory.mktemp("upload") / "streamlit.log")
    try:
        with browser_session(server.url) as opened:
            yield opened
    finally:
        server.close()


@pytest.mark.server
def test_an_upload_within_the_limit_is_accepted(session):
    assert session.upload(bytes((MAX_UPLOAD_MB - 1) * MB)) == 204


@pytest.mark.server
@pytest.mark.parametrize("size", [MAX_UPLOAD_MB * MB + 1, 60 * MB])
def test_a_larger_upload_is_refused_by_the_server(session, size):
    assert session.upload(bytes(size)) == 413


@pytest.mark.server
def test_a_chunked_upload_without_a_length_is_cut_off_too(session):
    assert session.upload(bytes(MB) for _ in range(MAX_UPLOAD_MB + 3)) == 413


@pytest.mark.server
def test_an_upload_without_the_xsrf_token_is_refused(session):
    assert session.upload(bytes(1000), token=False) == 403
