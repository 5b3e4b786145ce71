"""nginx as deploy/ renders it, in front of stand-in app processes: the affinity cookie over HTTPS (render.py
--tls-certificate) is Secure, with HSTS; over plain HTTP it is not, unless a TLS proxy in front says the browser came
over HTTPS (X-Forwarded-Proto); and the container's health check (deploy/health.py) fails while any one process is
down. Real nginx (Debian's package) and a real self-signed certificate (openssl)."""
from __future__ import annotations

import http.server
import ssl
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest

from browsing import free_port
from waiting import wait_until

pytestmark = pytest.mark.server  # every test here runs nginx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "deploy"))
from health import down  # noqa: E402
from render import render  # noqa: E402
from serve import NGINX  # noqa: E402


class Ok(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *_):
        pass


def stand_in() -> http.server.ThreadingHTTPServer:
    """A stand-in app process that answers "ok": what is tested is nginx's answer, not the app's."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Ok)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def backend():
    server = stand_in()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tls")
    crt, key = folder / "mlp.crt", folder / "mlp.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(crt)],
                   check=True, capture_output=True)
    return crt, key


def nginx(folder: Path, config: str):
    """nginx in the foreground with `config`, in its own prefix folder; stopped by the caller."""
    (folder / "logs").mkdir(parents=True)
    (folder / "nginx.conf").write_text(config)
    return subprocess.Popen([NGINX, "-p", str(folder), "-c", "nginx.conf", "-e", str(folder / "logs" / "error.log"),
                             "-g", "daemon off;"], stderr=subprocess.PIPE)


def headers(url: str, context: ssl.SSLContext | None = None, **extra: str):
    request = urllib.request.Request(url, headers=extra)
    with urllib.request.urlopen(request, timeout=5, context=context) as answer:
        return answer.headers


def answering(url: str, context: ssl.SSLContext | None = None):
    try:
        return headers(url, context)
    except OSError:
        return None


def test_over_tls_the_affinity_cookie_is_secure(tmp_path, backend, certificate):
    crt, key = certificate
    port = free_port()
    process = nginx(tmp_path, render(f"127.0.0.1:{port}", [backend], tls=(str(crt), str(key))))
    trusted = ssl.create_default_context(cafile=str(crt))
    try:
        got = wait_until(lambda: answering(f"https://127.0.0.1:{port}/_stcore/health", trusted), 30, "nginx over TLS")
    finally:
        process.terminate()
        process.wait(10)
    cookie = got["Set-Cookie"]
    assert cookie.startswith("mlp_backend=") and cookie.endswith("; HttpOnly; SameSite=Lax; Secure")
    assert got["Strict-Transport-Security"] == "max-age=31536000"


def test_plain_http_has_no_secure_cookie_unless_a_tls_proxy_in_front_says_https(tmp_path, backend):
    port = free_port()
    process = nginx(tmp_path, render(f"127.0.0.1:{port}", [backend]))
    url = f"http://127.0.0.1:{port}/_stcore/health"
    try:
        plain = wait_until(lambda: answering(url), 30, "nginx over HTTP")
        proxied = headers(url, **{"X-Forwarded-Proto": "https"})
    finally:
        process.terminate()
        process.wait(10)
    assert plain["Set-Cookie"].endswith("SameSite=Lax") and "Strict-Transport-Security" not in plain
    assert proxied["Set-Cookie"].endswith("SameSite=Lax; Secure")


def test_a_certificate_that_is_not_a_file_is_refused_in_words(tmp_path):
    with pytest.raises(ValueError, match="not a file nginx can read"):
        render("443", ["127.0.0.1:8501"], tls=(str(tmp_path / "missing.crt"), str(tmp_path / "missing.key")))


def test_the_health_check_fails_while_any_one_app_process_is_down(tmp_path):
    first, second = stand_in(), stand_in()
    port = free_port()
    process = nginx(tmp_path, render(f"127.0.0.1:{port}", [f"127.0.0.1:{s.server_address[1]}" for s in (first, second)]))
    try:
        wait_until(lambda: answering(f"http://127.0.0.1:{port}/_stcore/health"), 30, "nginx over HTTP")
        assert down(f"127.0.0.1:{port}", 2) == []
        second.shutdown()
        second.server_close()  # the second app process is gone
        assert answering(f"http://127.0.0.1:{port}/_stcore/health")  # what the old check asked: still "ok"
        assert down(f"127.0.0.1:{port}", 2) == [2]
        done = subprocess.run([sys.executable, "deploy/health.py", "--listen", str(port), "--processes", "2"],
                              cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert done.returncode == 1 and "app process 2 of 2 not answering" in done.stderr
    finally:
        process.terminate()
        process.wait(10)
        first.shutdown()
