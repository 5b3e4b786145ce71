"""The container's health check: healthy only while nginx and every app process behind it answer.

    python deploy/health.py --listen 8080              # MLP_PROCESSES app processes (default 2)

Asks nginx's /_health/1 ... /_health/N (one location per process: deploy/nginx.conf); exit 0 when every one says
"ok", else 1, naming the processes that did not. Checking /_stcore/health alone passed while any one process was up:
nginx sends a visitor to another process when theirs is down, and their session is lost.
"""
from __future__ import annotations

import argparse
import os
import sys
import urllib.request

from serve import local_url

PROCESSES_ENV = "MLP_PROCESSES"


def answers(url: str, timeout: float) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            return answer.read().strip() == b"ok"
    except OSError:  # refused, timed out, or 502/504 from nginx for a process that is down
        return False


def down(listen: str, processes: int, timeout: float = 3.0) -> list[int]:
    """The numbers of the app processes that do not answer their health check through nginx."""
    base = local_url(listen)
    return [n for n in range(1, processes + 1) if not answers(f"{base}/_health/{n}", timeout)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", default="8080", help="where nginx answers: PORT or ADDRESS:PORT")
    parser.add_argument("--processes", type=int, default=int(os.environ.get(PROCESSES_ENV) or 2),
                        help=f"how many app processes (default ${PROCESSES_ENV}, else 2)")
    args = parser.parse_args(argv)
    missing = down(args.listen, args.processes)
    if missing:
        print(f"unhealthy: app process{'es' if len(missing) > 1 else ''} {', '.join(map(str, missing))} of "
              f"{args.processes} not answering", file=sys.stderr)
        return 1
    print(f"healthy: {args.processes} of {args.processes} app processes answer")
    return 0


if __name__ == "__main__":
    sys.exit(main())
