"""Where the store lives and how to open it: an SQLite file in the data folder, or the PostgreSQL
server `MLP_DATABASE_URL` names; the schema is brought to the newest migration on opening."""
from __future__ import annotations

import os
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

DATABASE_ENV = "MLP_DATABASE_URL"
STATE_DIR_ENV = "MLP_STATE_DIR"
FILE_NAME = "store.sqlite3"
MIGRATIONS = Path(__file__).with_name("alembic")
JOURNAL_MODE = "DELETE"
WRITING = "mlp_writing"  # an execution option: this transaction will write
_PG_LOCK = 7_305_519  # any constant: one process at a time migrates a shared PostgreSQL database


def state_dir() -> Path:
    """$MLP_STATE_DIR, else $XDG_DATA_HOME/mlp-playground, else ~/.local/share/mlp-playground."""
    named = os.environ.get(STATE_DIR_ENV)
    if named:
        return Path(named).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "mlp-playground"


def database_url() -> str:
    """$MLP_DATABASE_URL, else the SQLite file in the data folder (the folder is made on first use)."""
    named = os.environ.get(DATABASE_ENV, "").strip()
    if named:
        return named
    folder = state_dir()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return f"sqlite:///{folder / FILE_NAME}"


def create(url: str, busy_seconds: float = 5.0) -> sa.Engine:
    """An engine for `url`. Errors leave out the statement's values (hide_parameters): they go to the server log, and
    a workspace id there would open the workspace.

    SQLite: a rollback journal, not WAL. WAL's index is a memory-mapped side file (-shm): when that file cannot grow
    (a full disk, an immutable or truncated file) the next access kills the whole web process by SIGBUS, every
    session's work with it; a rollback journal fails the one write with an error instead. No memory-mapped reads
    either (mmap_size=0), for the same reason. A write transaction takes the write lock when it begins (BEGIN
    IMMEDIATE): two that both read first and then write would otherwise fail at once, without waiting
    `busy_seconds` for the lock (measured: 164 of 400 writes from 4 threads, in WAL too). Foreign keys on."""
    url_object = sa.make_url(url)
    if url_object.get_backend_name() != "sqlite":
        if url_object.drivername == "postgresql":
            url_object = url_object.set(drivername="postgresql+psycopg")
        return sa.create_engine(url_object, pool_pre_ping=True, hide_parameters=True,
                                connect_args={"connect_timeout": 5})
    engine = sa.create_engine(url_object, hide_parameters=True,
                              connect_args={"check_same_thread": False, "timeout": busy_seconds})

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # the driver begins nothing itself: _begin below does
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA journal_mode={JOURNAL_MODE}")  # an older store in WAL is turned back on first open
        cursor.execute("PRAGMA mmap_size=0")
        cursor.execute("PRAGMA synchronous=FULL")  # a rollback journal: committed means on disk
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(connection: sa.Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if connection.get_execution_options().get(WRITING) else "BEGIN")

    return engine


def writing(engine: sa.Engine) -> sa.Engine:
    """The engine whose transactions take the write lock as they begin (SQLite; the same engine elsewhere)."""
    return engine.execution_options(**{WRITING: True})


def _config(connection: sa.Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def migrate(engine: sa.Engine, revision: str = "head") -> None:
    """Upgrade the schema to `revision` in one transaction (PostgreSQL: under a lock, as several
    server processes may start at once)."""
    with writing(engine).begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK})
        command.upgrade(_config(connection), revision)


def current_revision(engine: sa.Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()
