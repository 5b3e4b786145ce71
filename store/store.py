"""The store: workspaces and their runs (and drawings), every query parameterised, every write one transaction.

A run is written as "running" when it starts, its curves are updated while it trains, and its
final row (the model file whole, with its results) replaces that in one transaction. A run left
"running" by a process that is gone comes back "interrupted", with the curves it had.

An SQLite store checks before and after each transaction that its file is still the one it opened (one os.stat): a
file deleted or replaced while the server runs is opened again (made anew when gone), said in the log, and counted in
`Store.lost`, so the app can say so and write again what its sessions hold (ui.saving.workspace).
"""
from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import secrets
import socket
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Iterator, Mapping

import sqlalchemy as sa

from training.record import RunFacts, clean_name

from .engine import create, database_url, migrate, writing
from .errors import StoreError, StoreLimitReached, StoreLost, StoreUnavailable
from .schema import runs, workspaces

WORKSPACE_BYTES = 18  # secrets.token_urlsafe(18): 144 random bits in 24 characters
WORKSPACE_ID = re.compile(r"[A-Za-z0-9_-]{24}")
STALE_SECONDS = 60.0  # a running row not updated for this long belongs to a process that is gone
INTERRUPTED_STATUS = "interrupted"
LOST = ("Saved work was lost on the server: its file was deleted or replaced while the server ran. What this tab "
        "still holds is being saved again.")
INTERRUPTED = ("Interrupted: the server stopped while this run was training. Its curves are kept "
               "up to that moment; its network was not saved.")
# A run's columns but its network, curves and the columns after the network: SQLite keeps a row's columns in
# order, so reading a column placed after the 1 MB network walks through the network's pages (a board of 300
# runs took 300 ms instead of 10). The drawings a run trained on come with the whole row, when it is scored.
SUMMARY = [c for c in runs.c if c.name not in ("model", "curves", "bytes", "owner", "created", "updated", "drawings",
                                               "drawings_until")]
# Every column but the network, for a workspace coming back: its networks are read one by one when used. Whether a
# row has one is asked with length(model), which neither SQLite (3.40: `model IS NOT NULL` copies the blob) nor
# PostgreSQL (the TOAST pointer knows the length) answers by reading the network.
WITHOUT_NETWORK = [c for c in runs.c if c.name != "model"]
HOST = socket.gethostname()
log = logging.getLogger(__name__)
OWNER = f"{HOST}:{os.getpid()}:{secrets.token_hex(4)}"  # this process, as rows it trains name it


@dataclass(frozen=True)
class Limits:
    """What one workspace may keep: a class's worth of runs, and room for its networks."""
    runs: int = 100
    bytes: int = 200 * 2**20


@dataclass(kw_only=True)
class StoredRun(RunFacts):
    """A run as the store keeps it: its facts (training.record.RunFacts, each a column of its own name), its
    settings and curves as JSON-able data, its network as a model file (the app turns it into its own record)."""
    config: dict[str, Any]
    curves: dict[str, Any] = field(default_factory=dict)
    model: bytes | None = None
    id: int | None = None
    created: float = 0.0
    has_network: bool = False  # the store holds its network (also when it was read without it: see Store.run_model)

    def texts(self) -> tuple[str, str]:
        """The config and curves as stored (JSON; NaN kept, as a diverged run's loss is)."""
        return json.dumps(self.config), json.dumps(self.curves)


def new_workspace_id() -> str:
    return secrets.token_urlsafe(WORKSPACE_BYTES)


def valid_workspace_id(text: object) -> bool:
    """Whether `text` has a workspace id's form (checked before any query: a malformed one asks nothing)."""
    return isinstance(text, str) and WORKSPACE_ID.fullmatch(text) is not None


class Store:
    """One database, opened and migrated once; safe to share between threads and sessions."""

    def __init__(self, url: str | None = None, *, limits: Limits = Limits(), busy_seconds: float = 5.0):
        self.limits = limits
        try:
            self.url = url or database_url()
            self.where = sa.make_url(self.url).render_as_string(hide_password=True)
        except (sa.exc.ArgumentError, OSError, ValueError) as error:  # ValueError: a port that is not a number
            log.error("store cannot be opened: %s (its address is not logged: it may hold a password)",
                      type(error).__name__)
            raise StoreUnavailable("Saved work cannot be opened: the server's setting for it is not a database "
                                   "address.") from None
        self.file = _sqlite_file(self.url)
        self.lost = 0  # how often the file was found deleted or replaced, and opened again
        self.lost_at: float | None = None  # when it last was (time.time())
        self._identity: tuple[int, int] | None = None
        self._reopening = threading.Lock()
        with self._guard(check=False):
            self.engine = create(self.url, busy_seconds)
            self._writer = writing(self.engine)
            migrate(self.engine)
            self._identity = _identity(self.file)

    def close(self) -> None:
        self.engine.dispose()

    def check(self) -> bool:
        """Whether the store is still the file it opened (always, for a server database). A file deleted or replaced
        is opened again, made anew if gone (StoreUnavailable if it cannot be): False then, and `lost` counts it."""
        if self.file is None or _identity(self.file) == self._identity:
            return True
        with self._reopening, self._guard(check=False):
            if _identity(self.file) == self._identity:  # another thread has just done it
                return False
            self._reopen()
        return False

    def _reopen(self) -> None:
        gone = _identity(self.file) is None
        log.error("store file %s was %s while the server ran: everything it held is lost to this server; %s",
                  self.file, "deleted" if gone else "replaced", "making it anew" if gone else "opening the new file")
        self.lost, self.lost_at = self.lost + 1, time.time()
        self.engine.dispose()  # connections still open hold the old file
        self.file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        folder = os.open(self.file.parent, os.O_RDONLY)
        try:
            fcntl.flock(folder, fcntl.LOCK_EX)  # one process of a server makes the file anew; the others open it
            if _identity(self.file) is None:
                for side in ("-journal", "-wal", "-shm"):  # a journal left beside a new file would be played into it
                    self.file.with_name(self.file.name + side).unlink(missing_ok=True)
            migrate(self.engine)
            self._identity = _identity(self.file)
        finally:
            os.close(folder)

    # ----- workspaces -----
    def create_workspace(self) -> str:
        workspace, now = new_workspace_id(), time.time()
        with self._write() as conn:
            conn.execute(workspaces.insert().values(id=workspace, created=now, updated=now))
        return workspace

    def keep_workspace(self, workspace: str) -> None:
        """The workspace exists afterwards, under this id (made again after the store's file was lost)."""
        with self._write() as conn:
            self._ensure_workspace(conn, workspace)

    def workspace_exists(self, workspace: str) -> bool:
        if not valid_workspace_id(workspace):
            return False
        with self._read() as conn:
            return conn.execute(sa.select(workspaces.c.id).where(workspaces.c.id == workspace)).first() is not None

    def workspace_state(self, workspace: str) -> tuple[dict | None, dict | None]:
        """The workspace's saved settings and drawing (None for either not saved)."""
        with self._read() as conn:
            row = conn.execute(sa.select(workspaces.c.settings, workspaces.c.drawing)
                               .where(workspaces.c.id == workspace)).first()
        return (None, None) if row is None else tuple(json.loads(text) if text else None for text in row)

    def save_workspace_state(self, workspace: str, **values: dict | None) -> None:
        """Save `settings=` and/or `drawing=` (JSON-able dicts; None forgets one)."""
        texts = {name: json.dumps(value) if value is not None else None for name, value in values.items()}
        with self._write() as conn:
            conn.execute(workspaces.update().where(workspaces.c.id == workspace).values(updated=time.time(), **texts))

    # ----- runs -----
    def begin_run(self, workspace: str, name: str, config: dict[str, Any]) -> int:
        """A run that starts: saved as "running" (with no curves yet); its id."""
        row = StoredRun(name=name, config=config, status="running")
        with self._write() as conn:
            self._check_room(conn, workspace, row, count=True)
            return self._insert(conn, workspace, row)

    def checkpoint_run(self, workspace: str, run_id: int, curves: dict[str, Any]) -> None:
        """The curves so far of a run still training (also the sign that its process lives)."""
        with self._write() as conn:
            conn.execute(runs.update().where(runs.c.id == run_id, runs.c.workspace_id == workspace,
                                             runs.c.status == "running")
                         .values(curves=json.dumps(curves), updated=time.time()))

    def finish_run(self, workspace: str, run_id: int, row: StoredRun) -> int:
        """The run's final row, its model whole, in one transaction; its id, a new one if its "running" row is gone
        (the store's file was lost meanwhile: the workspace is made again too). Over the limit, the model is not
        kept and StoreLimitReached says so (the results and curves are)."""
        refused = None
        with self._write() as conn:
            try:
                self._check_room(conn, workspace, row, replacing=run_id)
            except StoreLimitReached as error:
                refused, row = error, StoredRun(**{**row.__dict__, "model": None})
            if not self._update(conn, workspace, run_id, row):
                self._ensure_workspace(conn, workspace)
                run_id = self._insert(conn, workspace, row)
        if refused is not None:
            refused.row_id = run_id  # written, without its network
            raise refused
        return run_id

    def add_run(self, workspace: str, row: StoredRun) -> int:
        """A run saved in one go (an uploaded network); its id."""
        with self._write() as conn:
            self._check_room(conn, workspace, row, count=True)
            return self._insert(conn, workspace, row)

    def runs(self, workspace: str, newest: int | None = None, *, networks: bool = True) -> list[StoredRun]:
        """The workspace's runs, oldest first (only the `newest` ones if given); runs left "running" by a
        process that is gone are marked interrupted first. Runs still training elsewhere come as "running".
        `networks=False` leaves the model column unread (has_network says which runs have one: see run_model)."""
        columns = [runs] if networks else [*WITHOUT_NETWORK, sa.func.length(runs.c.model).label("network_bytes")]
        with self._write() as conn:
            self._mark_interrupted(conn, workspace)
            query = sa.select(*columns).where(runs.c.workspace_id == workspace).order_by(runs.c.id.desc())
            rows = conn.execute(query.limit(newest) if newest else query).mappings().all()
        return [_stored(row) for row in reversed(rows)]

    def summaries(self, workspace_ids: list[str]) -> list[StoredRun]:
        """Every ended run of these workspaces, its settings and results without its network or curves (a board
        overlays the curves of the few runs picked: see `curves`), oldest first. What a board reads on each refresh."""
        query = (sa.select(*SUMMARY).where(runs.c.workspace_id.in_(workspace_ids), runs.c.status != "running")
                 .order_by(runs.c.id))
        with self._read() as conn:
            rows = conn.execute(query).mappings().all()
        return [_stored({**row, "model": None, "curves": "{}", "created": 0.0}) for row in rows]

    def run_model(self, workspace: str, run_id: int) -> bytes | None:
        """One run's network (its model file), from this workspace only: None for a run of another workspace, a run
        gone, or one saved without its network."""
        query = sa.select(runs.c.model).where(runs.c.id == run_id, runs.c.workspace_id == workspace)
        with self._read() as conn:
            content = conn.execute(query).scalar_one_or_none()
        return None if content is None else bytes(content)

    def curves(self, workspace_ids: list[str], run_ids: list[int]) -> dict[int, dict[str, Any]]:
        """The curves of these runs, by run id (only runs of these workspaces)."""
        query = sa.select(runs.c.id, runs.c.curves).where(runs.c.id.in_(run_ids), runs.c.workspace_id.in_(workspace_ids))
        with self._read() as conn:
            return {run_id: json.loads(text) for run_id, text in conn.execute(query)}

    def rename_run(self, workspace: str, run_id: int, name: str) -> None:
        with self._write() as conn:
            conn.execute(runs.update().where(runs.c.id == run_id, runs.c.workspace_id == workspace)
                         .values(name=clean_name(name), updated=time.time()))

    def delete_run(self, workspace: str, run_id: int) -> None:
        with self._write() as conn:
            conn.execute(runs.delete().where(runs.c.id == run_id, runs.c.workspace_id == workspace))

    def run_ids(self, workspace: str) -> set[int]:
        """The ids of the workspace's runs (which of a session's runs a lost file took with it)."""
        with self._read() as conn:
            return set(conn.execute(sa.select(runs.c.id).where(runs.c.workspace_id == workspace)).scalars())

    def usage(self, workspace: str) -> tuple[int, int]:
        """How many runs the workspace keeps, and their bytes."""
        with self._read() as conn:
            return self._usage(conn, workspace)

    # ----- inside -----
    def _insert(self, conn: sa.Connection, workspace: str, row: StoredRun) -> int:
        now = time.time()
        values = _values(row) | {"workspace_id": workspace, "created": now, "owner": OWNER}
        return conn.execute(runs.insert().values(values).returning(runs.c.id)).scalar_one()

    def _update(self, conn: sa.Connection, workspace: str, run_id: int, row: StoredRun) -> bool:
        """Whether the row was there to update."""
        done = conn.execute(runs.update().where(runs.c.id == run_id, runs.c.workspace_id == workspace)
                            .values(_values(row)))
        return done.rowcount > 0

    @staticmethod
    def _ensure_workspace(conn: sa.Connection, workspace: str) -> None:
        if conn.execute(sa.select(workspaces.c.id).where(workspaces.c.id == workspace)).first() is None:
            now = time.time()
            conn.execute(workspaces.insert().values(id=workspace, created=now, updated=now))

    @staticmethod
    def _usage(conn: sa.Connection, workspace: str, but: int | None = None) -> tuple[int, int]:
        query = sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(runs.c.bytes), 0)).where(
            runs.c.workspace_id == workspace)
        if but is not None:
            query = query.where(runs.c.id != but)
        count, size = conn.execute(query).one()
        return int(count), int(size)

    def _check_room(self, conn: sa.Connection, workspace: str, row: StoredRun, *, count: bool = False,
                    replacing: int | None = None) -> None:
        kept, size = self._usage(conn, workspace, but=replacing)
        if count and kept >= self.limits.runs:
            log.warning("store refused a run: workspace %s… keeps %d runs, limit %d", workspace[:6], kept,
                        self.limits.runs)
            raise StoreLimitReached(
                f"This workspace already keeps {kept} runs, the most it may: this run is not saved (it stays in "
                "this tab). Delete runs you no longer need to save new ones.")
        wanted = size + _size(row)
        if wanted > self.limits.bytes:
            log.warning("store refused a network: workspace %s… would hold %d bytes, limit %d", workspace[:6], wanted,
                        self.limits.bytes)
            raise StoreLimitReached(
                f"Saving this network would bring this workspace to {_mb(wanted)}, over its "
                f"{_mb(self.limits.bytes)}: the network stays in this tab only (download it to keep it). "
                "Delete runs you no longer need to make room.")

    def _mark_interrupted(self, conn: sa.Connection, workspace: str) -> None:
        left = conn.execute(sa.select(runs.c.id, runs.c.owner, runs.c.updated).where(
            runs.c.workspace_id == workspace, runs.c.status == "running")).all()
        now = time.time()
        dead = [run_id for run_id, owner, updated in left if _gone(owner, updated, now)]
        if dead:
            conn.execute(runs.update().where(runs.c.id.in_(dead), runs.c.status == "running")
                         .values(status=INTERRUPTED_STATUS, reason=INTERRUPTED, updated=now))

    @contextmanager
    def _write(self) -> Iterator[sa.Connection]:
        """One transaction that writes; StoreLost when the file was deleted or replaced while it wrote (it went to the
        lost file: the caller writes it again, to the file now opened)."""
        with self._guard():
            before = self.lost  # another thread may open the file again while this transaction writes to the old one
            with self._writer.begin() as conn:
                yield conn
        if not self.check() or self.lost != before:
            raise StoreLost(LOST)

    @contextmanager
    def _read(self) -> Iterator[sa.Connection]:
        with self._guard(), self.engine.connect() as conn:
            yield conn

    @contextmanager
    def _guard(self, check: bool = True) -> Iterator[None]:
        """Any database failure becomes StoreUnavailable, in words (never with a password in them); a file deleted
        or replaced is opened again first (see check)."""
        try:
            if check:
                self.check()
            yield
        except StoreError:
            raise
        except (sa.exc.SQLAlchemyError, OSError) as error:
            log.error("store at %s failed: %s", self.where, error, exc_info=True)
            raise StoreUnavailable(self._words(error)) from None

    @staticmethod
    def _words(error: Exception) -> str:
        """What the page says: plain words, without the store's address or path (those go to the log)."""
        detail = str(getattr(error, "orig", None) or error).strip().splitlines()[0][:200]
        low = detail.lower()
        if "locked" in low or "busy" in low:
            return "Saved work is busy: another program holds a lock on it. Try again in a moment."
        if "full" in low or "no space" in low:
            return "Saved work is full: the server's disk has no room left for it."
        if "not a database" in low or "malformed" in low or "disk image" in low:
            return "Saved work cannot be read: its file on the server is damaged."
        if "readonly" in low or "read-only" in low or "unable to open" in low or "i/o error" in low:
            return "Saved work cannot be written: the server's disk or database refuses writes."
        return "Saved work cannot be reached: the server's database does not answer."


def _values(row: StoredRun) -> dict[str, Any]:
    """A row's columns: every fact under its own name, then the settings and curves as JSON, the network whole."""
    config, curves = row.texts()
    return row.facts() | {"name": clean_name(row.name), "config": config, "curves": curves, "model": row.model,
                          "bytes": _size(row), "updated": time.time()}


def _mb(size: int) -> str:
    return f"{size / 2**20:.1f} MB" if size < 10 * 2**20 else f"{size / 2**20:,.0f} MB"


def _size(row: StoredRun) -> int:
    config, curves = row.texts()
    return len(row.model or b"") + len(config) + len(curves) + len(row.name.encode()) + len(row.reason.encode())


def _stored(row: Mapping[str, Any]) -> StoredRun:
    """A row read back; a summary (SUMMARY's columns) says nothing of the drawings it trained on, nor of its
    network; a row read without its network (WITHOUT_NETWORK) says whether it has one."""
    model = row.get("model")
    facts = {f.name: row[f.name] for f in fields(RunFacts) if f.name in row}
    return StoredRun(**facts, config=json.loads(row["config"]), curves=json.loads(row["curves"]),
                     model=None if model is None else bytes(model), id=row["id"], created=row["created"],
                     has_network=model is not None or row.get("network_bytes") is not None)


def _sqlite_file(url: str) -> Path | None:
    """The file of an SQLite store (None for a server database, or SQLite in memory)."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database).absolute()


def _identity(path: Path | None) -> tuple[int, int] | None:
    """The file's device and inode: another pair means another file at the same path; None, no file."""
    try:
        found = os.stat(path)
    except (OSError, TypeError):
        return None
    return found.st_dev, found.st_ino


def _gone(owner: str, updated: float, now: float) -> bool:
    """Whether the process that was training a run is gone: not heard of for STALE_SECONDS, or, on this
    machine, no longer running (an earlier server with this very pid included)."""
    if owner == OWNER:
        return False
    if now - updated > STALE_SECONDS:
        return True
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    if host != HOST or not pid.isdigit():
        return False
    if int(pid) == os.getpid():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass
    return False
