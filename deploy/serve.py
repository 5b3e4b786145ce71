"""Serve a class from one machine: N app processes on 127.0.0.1 and nginx in front, with session affinity.

    python deploy/serve.py --processes 2 --listen 8080      # then open http://THIS-MACHINE:8080

Each process is started as the README starts the app; nginx runs in the foreground with its own folder (--run-dir,
else a new temporary one) holding nginx.conf and the logs. An app process that ends is started again; Ctrl-C or
SIGTERM stops everything. Prints "ready: URL" once every process and nginx answer their health check.
"""
from __future__ import annotations

import argparse
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from render import check_address, render

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(1, str(ROOT))  # run as a script: its folder is on the path, the project's packages are not
from training.logs import configure as configure_logs  # noqa: E402

log = logging.getLogger("deploy.serve")  # run as __main__: named as the module it is
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"  # Debian's package; /usr/sbin is not on every user's PATH
START_TIMEOUT = 90.0


def app_command(port: int) -> list[str]:
    """`streamlit run app.py` as the README runs it, on one loopback port, without a file watcher (a server)."""
    return [sys.executable, "-m", "streamlit", "run", "app.py", "--server.address", "127.0.0.1",
            "--server.port", str(port), "--server.headless", "true", "--server.fileWatcherType", "none"]


def start(command: list[str], log: Path) -> subprocess.Popen:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}  # one BLAS thread per process: see docs/classroom.md
    with log.open("ab") as out:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT)


def wait_healthy(url: str, process: subprocess.Popen, log: Path, timeout: float = START_TIMEOUT) -> None:
    """Return once `url` answers "ok"; raise if the process ends first or the time runs out (with its log)."""
    deadline = time.monotonic() + timeout
    while process.poll() is None and time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.read().strip() == b"ok":
                    return
        except OSError:
            pass  # not listening yet, or not ready (503)
        time.sleep(0.2)
    ended = "ended" if process.poll() is not None else f"did not answer within {timeout:.0f} s"
    raise RuntimeError(f"{url} {ended}; its log, {log}:\n{log.read_text()[-3000:]}")


def local_url(listen: str) -> str:
    """The address this machine reaches nginx at: its listen address, or loopback where it listens on all."""
    host, _, port = listen.rpartition(":")
    return f"http://{host if host not in ('', '0.0.0.0', '[::]') else '127.0.0.1'}:{port}"


class Deployment:
    """The app processes and nginx, started in that order and stopped together."""

    def __init__(self, ports: list[int], listen: str, run_dir: Path):
        self.ports, self.run_dir, self.logs = ports, run_dir, run_dir / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.apps: dict[int, subprocess.Popen] = {}
        self.nginx: subprocess.Popen | None = None
        self.url = local_url(listen)
        (run_dir / "nginx.conf").write_text(render(listen, [f"127.0.0.1:{p}" for p in ports]))

    def start_app(self, port: int) -> None:
        self.apps[port] = start(app_command(port), self.logs / f"app-{port}.log")

    def wait_app(self, port: int) -> None:
        wait_healthy(f"http://127.0.0.1:{port}/_stcore/health", self.apps[port], self.logs / f"app-{port}.log")

    def start(self) -> None:
        """All app processes at once (each takes seconds to import), then nginx once they all answer."""
        for port in self.ports:
            self.start_app(port)
        for port in self.ports:
            self.wait_app(port)
        log = self.logs / "error.log"
        self.nginx = start([NGINX, "-p", str(self.run_dir), "-c", "nginx.conf", "-e", str(log),
                            "-g", "daemon off;"], log)
        wait_healthy(self.url + "/_stcore/health", self.nginx, log)

    def supervise(self) -> None:
        """Block until nginx ends, starting again any app process that ends meanwhile."""
        while True:
            pid, status = os.wait()  # the next child to end (signals interrupt it through their handlers)
            if self.nginx and pid == self.nginx.pid:
                raise RuntimeError(f"nginx stopped; see {self.logs / 'error.log'}")
            port = next((p for p, app in self.apps.items() if app.pid == pid), None)
            if port is not None:
                log.warning("app process on port %d (pid %d) ended with status %d; starting it again", port, pid,
                            status)
                self.start_app(port)
                self.wait_app(port)

    def stop(self) -> None:
        for process in [self.nginx, *self.apps.values()]:
            if process is not None and process.poll() is None:
                process.terminate()
        for process in [self.nginx, *self.apps.values()]:
            if process is not None:
                try:
                    process.wait(15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(5)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=2, help="how many app processes (default 2)")
    parser.add_argument("--first-port", type=int, default=8501, help="the first app process's port (default 8501)")
    parser.add_argument("--app-ports", type=int, nargs="+", help="the app processes' ports, instead of the two above")
    parser.add_argument("--listen", default="8080", help="where nginx answers browsers: PORT or ADDRESS:PORT")
    parser.add_argument("--run-dir", type=Path, help="nginx's folder: its nginx.conf and the logs (default: a new one)")
    args = parser.parse_args(argv)
    if args.processes < 1:
        parser.error("--processes must be at least 1")
    if args.app_ports and len(set(args.app_ports)) < len(args.app_ports):
        parser.error(f"--app-ports names a port twice: {args.app_ports}")
    if not Path(NGINX).exists():
        parser.error(f"nginx not found at {NGINX}: install it (apt-get install -y nginx)")
    args.app_ports = args.app_ports or [args.first_port + i for i in range(args.processes)]
    try:
        for address in [args.listen, *map(str, args.app_ports)]:
            check_address(address, need_host=False)
    except ValueError as error:
        parser.error(str(error))
    args.run_dir = (args.run_dir or Path(tempfile.mkdtemp(prefix="mlp-serve-"))).resolve()
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    configure_logs()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # SystemExit: the finally below stops everything
    deployment = Deployment(args.app_ports, args.listen, args.run_dir)
    try:
        deployment.start()
        print(f"ready: {deployment.url} ({len(args.app_ports)} app processes; logs in {deployment.logs})", flush=True)
        deployment.supervise()
    except RuntimeError as error:
        log.error("serve.py: %s", error)
        return 1
    except KeyboardInterrupt:  # Ctrl-C: the app processes got it too; stop them all
        return 0
    finally:
        deployment.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
