"""The server log: one configuration for each process of the service (the app's web process, each training
worker, deploy/serve.py), so every line reads the same; modules log through logging.getLogger(__name__).

Lines go to stderr (the terminal, or the file deploy/serve.py sends each app process to). MLP_LOG_LEVEL sets the
level (DEBUG, INFO, WARNING, ERROR; default INFO) for the project's own loggers; other libraries stay at WARNING.
A fatal signal (SIGSEGV, SIGBUS, SIGFPE, SIGABRT, SIGILL) leaves its Python stacks there too (faulthandler): a web
process that dies in C code, every session with it, otherwise left no line at all.
"""
from __future__ import annotations

import faulthandler
import logging
import os
import sys

LEVEL_ENV = "MLP_LOG_LEVEL"
FORMAT = "%(asctime)s %(levelname)s %(name)s [pid %(process)d] %(message)s"
OURS = ("app", "deploy", "mlp", "store", "training", "ui", "__main__")  # the project's loggers
_MARK = "_mlp_playground_log"  # on our handler: a second call in the same process changes nothing


def configure() -> None:
    """A stderr handler with FORMAT on the root logger, the project's loggers at $MLP_LOG_LEVEL (an unknown name
    falls back to INFO, said in the log itself), and fatal signals written to stderr. Once per process: app.py calls
    it on every page run."""
    root = logging.getLogger()
    if any(getattr(handler, _MARK, False) for handler in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    setattr(handler, _MARK, True)
    root.addHandler(handler)
    _enable_faulthandler()  # the root stays at WARNING, Python's default: other libraries' chatter stays out
    named = (os.environ.get(LEVEL_ENV) or "INFO").strip().upper()
    level = logging.getLevelName(named)
    if not isinstance(level, int):
        level = logging.INFO
        logging.getLogger(__name__).warning("%s=%r is not a level (DEBUG, INFO, WARNING, ERROR): INFO", LEVEL_ENV,
                                            named)
    for name in OURS:
        logging.getLogger(name).setLevel(level)


def short(workspace: str | None) -> str:
    """A workspace id as the log shows it: enough to find it in the store, not enough to open it (the id is its
    key: whoever has it can open the workspace)."""
    return f"{workspace[:6]}…" if workspace else "-"


def _enable_faulthandler() -> None:
    """Fatal signals to stderr: the process's own file descriptor 2 when sys.stderr has none (captured, as under
    pytest), so the line lands where the server's output goes."""
    try:
        faulthandler.enable(file=sys.stderr, all_threads=True)
    except (AttributeError, ValueError, OSError):  # io.UnsupportedOperation is an OSError and a ValueError
        faulthandler.enable(file=sys.__stderr__ or 2, all_threads=True)
