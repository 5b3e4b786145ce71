"""The server side of the classroom benchmark: start the app on loopback, and meter its CPU and memory.

CPU and memory come from psutil when it is installed, else from /proc (Linux). The machine's
other load (the benchmark's own client included) is measured too: on a shared machine it is
the first thing to read next to any timing.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

try:
    import psutil
except ImportError:
    psutil = None

ROOT = Path(__file__).resolve().parents[1]
TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def answers_ok(url: str) -> bool:
    """Whether the server's health check answers `ok` now."""
    try:
        with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as answer:
            return answer.read().decode().strip() == "ok"
    except (OSError, urllib.error.URLError):
        return False


class AppServer:
    """`streamlit run app.py` from this repository on loopback, on `port` (default: a free one); `stop()` ends it."""

    def __init__(self, log: Path, env: dict[str, str] | None = None, startup_timeout: float = 90,
                 port: int | None = None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(self.port),
                   "--server.address", "127.0.0.1", "--server.headless=true", "--server.fileWatcherType=none",
                   "--browser.gatherUsageStats=false"]
        full_env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", **(env or {})}
        with log.open("wb") as output:
            self.process = subprocess.Popen(command, cwd=ROOT, env=full_env, stdout=output,
                                            stderr=subprocess.STDOUT)
        self.pid = self.process.pid
        self._wait_until_healthy(startup_timeout)

    def _wait_until_healthy(self, timeout: float) -> None:
        end = time.monotonic() + timeout
        while not answers_ok(self.url):
            if self.process.poll() is not None or time.monotonic() > end:
                self.stop()
                raise RuntimeError(f"the app did not start on {self.url}; its log:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.2)  # polling the health check: there is no event to wait on from outside

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(15)


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process, all its threads (0 when unreadable)."""
    if psutil is not None:
        try:
            times = psutil.Process(pid).cpu_times()
            return times.user + times.system
        except psutil.Error:
            return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime (fields 14 and 15 of stat)


def process_rss_mb(pid: int) -> float:
    """Resident memory of a process in MB (0 when unreadable)."""
    if psutil is not None:
        try:
            return psutil.Process(pid).memory_info().rss / 1e6
        except psutil.Error:
            return 0.0
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE / 1e6
    except (OSError, ValueError, IndexError):
        return 0.0


def machine_busy_seconds() -> float:
    """CPU seconds all processes have used since boot, from /proc/stat (0 where unreadable)."""
    if psutil is not None:
        times = psutil.cpu_times()
        return sum(times) - times.idle - getattr(times, "iowait", 0.0)
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:8]]
    except (OSError, ValueError):
        return 0.0
    return (sum(fields) - fields[3] - fields[4]) / TICK  # minus idle and iowait


@dataclass
class CpuReading:
    wall: float
    server: float
    client: float
    machine: float


class CpuMeter:
    """CPU used between `start()` and `read()`: by the server, by this process, and by everything."""

    def __init__(self, server_pid: int | None):
        self.server_pid = server_pid
        self.start()

    def _now(self) -> CpuReading:
        server = process_cpu_seconds(self.server_pid) if self.server_pid else 0.0
        return CpuReading(time.monotonic(), server, time.process_time(), machine_busy_seconds())

    def start(self) -> None:
        self.first = self._now()

    def read(self) -> dict[str, float]:
        """Average cores used: 'server', 'client' (this benchmark), 'others' (the rest of the machine)."""
        now = self._now()
        wall = max(now.wall - self.first.wall, 1e-9)
        server = (now.server - self.first.server) / wall
        client = (now.client - self.first.client) / wall
        machine = (now.machine - self.first.machine) / wall
        return {"server": server, "client": client, "others": max(0.0, machine - server - client), "wall": wall}
