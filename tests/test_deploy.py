"""Two app processes behind nginx, started by deploy/serve.py as a teacher would, driven through the proxy.

nginx (Debian's package) runs in the foreground with its own folder in tmp_path, on free loopback ports, and stops
with the launcher. Which process served each request is read from nginx's access log (upstream= and affinity=).
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import urllib.request
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import pytest
from playwright.sync_api import Page

from browsing import free_port
from waiting import wait_until

pytestmark = pytest.mark.server  # every test here starts the app (or nginx) as a process

ROOT = Path(__file__).resolve().parents[1]
SHORT_RUN = "/Train?hidden=32&epochs=1&per_class=100"  # a one-epoch run on 1,000 digits: seconds, not minutes
LOG_LINE = re.compile(r'"\S+ (?P<path>\S+) [^"]*" (?P<status>\d+) .* upstream=(?P<upstream>.*) affinity=(?P<key>\S+)$')
COOKIE = re.compile(r"mlp_backend=([0-9a-f]{32}); Path=/; HttpOnly; SameSite=Lax")


@pytest.fixture(scope="module")
def deployment(mnist_dir, tmp_path_factory):
    """`python deploy/serve.py` with two app processes; yields once it says "ready", and checks it stops cleanly."""
    run_dir = tmp_path_factory.mktemp("deploy")
    ports = set()
    while len(ports) < 3:  # two app processes and nginx, all different
        ports.add(free_port())
    listen, *apps = sorted(ports)
    errors = run_dir / "serve.err"
    launcher = subprocess.Popen(
        [sys.executable, "deploy/serve.py", "--app-ports", *map(str, apps), "--listen", f"127.0.0.1:{listen}",
         "--run-dir", str(run_dir)],
        cwd=ROOT, env={**os.environ, "MLP_DATA_DIR": str(mnist_dir)}, stdout=subprocess.PIPE,
        stderr=errors.open("wb"), text=True)
    ready = launcher.stdout.readline()  # serve.py prints it once both processes and nginx answer, or exits
    if not ready.startswith("ready: "):
        launcher.terminate()  # serve.py stops what it started
        launcher.wait(30)
        pytest.fail(f"deploy/serve.py did not start:\n{errors.read_text()}")
    yield SimpleNamespace(url=f"http://127.0.0.1:{listen}", apps=[f"127.0.0.1:{p}" for p in apps],
                          access_log=run_dir / "logs" / "access.log")
    launcher.terminate()
    assert launcher.wait(30) == 0, errors.read_text()
    assert not (run_dir / "nginx.pid").exists(), "nginx still running after the launcher stopped"


def log_entries(deployment) -> list[dict[str, str]]:
    lines = deployment.access_log.read_text().splitlines()
    return [match.groupdict() for match in map(LOG_LINE.search, lines) if match]


def processes_of(deployment, key: str) -> Counter:
    """How many requests each app process (upstream address) served for one affinity key, once nginx has logged
    one: it writes a request's line after sending the answer, so a test reading the log at once could find none
    (seen beside a CPU hog)."""
    def served() -> Counter:
        return Counter(entry["upstream"] for entry in log_entries(deployment) if entry["key"] == key)
    return wait_until(served, 10, f"nginx logging a request of the visitor {key}")


def get(url: str, cookie: str | None = None) -> tuple[str, str | None]:
    """The body of a GET and the affinity cookie nginx set, if it set one."""
    request = urllib.request.Request(url, headers={"Cookie": f"mlp_backend={cookie}"} if cookie else {})
    with urllib.request.urlopen(request, timeout=10) as answer:
        set_cookies = " ".join(answer.headers.get_all("Set-Cookie") or [])
        found = COOKIE.search(set_cookies)
        return answer.read().decode().strip(), found and found[1]


def test_health_checks_answer_through_nginx_and_a_cookie_pins_a_visitor(deployment):
    body, first_key = get(deployment.url + "/_stcore/health")
    assert body == "ok" and first_key, "a first visit gets ok and an affinity cookie"
    for number, app in enumerate(deployment.apps, start=1):  # one location per process, for a monitor
        body, key = get(f"{deployment.url}/_health/{number}")
        assert body == "ok" and processes_of(deployment, key) == {app: 1}

    answers = [get(deployment.url + "/_stcore/health", first_key) for _ in range(10)]
    assert answers == [("ok", None)] * 10, "a visitor with a cookie keeps it: no new one"
    assert len(processes_of(deployment, first_key)) == 1, "one visitor, one process"
    fresh = {key for _, key in (get(deployment.url + "/_stcore/health") for _ in range(20))}
    served = {process for key in fresh for process in processes_of(deployment, key)}
    assert served == set(deployment.apps), "new visitors are spread over both processes"
    _, replaced = get(deployment.url + "/_stcore/health", "not-a-key")
    assert replaced, "a malformed cookie is replaced, not trusted"


def open_short_run(browser, deployment) -> Page:
    """A new visitor (its own browser context: its own cookies) on the Train page, set up for a short run."""
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    page.set_default_timeout(60_000)
    page.goto(deployment.url + SHORT_RUN)
    page.get_by_role("button", name="Start training").wait_for()
    return page


def affinity_key(page: Page) -> str:
    return next(c["value"] for c in page.context.cookies() if c["name"] == "mlp_backend")


def visitor_on_the_other_process(browser, deployment, taken: str) -> Page:
    """New visitors until one lands on a process other than `taken` (each has an even chance)."""
    for _ in range(12):
        page = open_short_run(browser, deployment)
        if set(processes_of(deployment, affinity_key(page))) != {taken}:
            return page
        page.context.close()
    raise AssertionError(f"12 new visitors all went to {taken}")


def wait_for_streams(deployment, keys: list[str], count: int, timeout: float = 30) -> None:
    """nginx logs a websocket when it closes: wait until `count` stream lines for `keys` are in the log."""
    def streams() -> int:
        return sum(e["path"] == "/_stcore/stream" and e["key"] in keys for e in log_entries(deployment))

    wait_until(lambda: streams() >= count, timeout, f"{count} websocket sessions logged for {keys}", every=0.2)


def test_two_visitors_train_to_the_end_each_on_its_own_process(browser, deployment):
    first = open_short_run(browser, deployment)
    first_key = affinity_key(first)
    (first_process,) = processes_of(deployment, first_key)
    second = visitor_on_the_other_process(browser, deployment, first_process)
    second_key = affinity_key(second)
    for page in (first, second):
        page.get_by_role("button", name="Start training").click()
    for page in (first, second):
        page.get_by_text("Finished").first.wait_for(timeout=120_000)

    second.reload()  # the same visitor comes back: same cookie, same process
    second.get_by_role("button", name="Start training").wait_for()
    for page in (first, second):
        page.context.close()
    wait_for_streams(deployment, [first_key, second_key], 3)  # first's, second's, second's after the reload

    first_served, second_served = processes_of(deployment, first_key), processes_of(deployment, second_key)
    assert list(first_served) == [first_process], f"the first visitor moved: {first_served}"
    assert len(second_served) == 1 and first_process not in second_served, f"second visitor: {second_served}"
    assert set(first_served) | set(second_served) == set(deployment.apps)
