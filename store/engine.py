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
    """An engine for `url`; SQLite gets WAL (readers never wait for the writer), foreign keys, and
    waits at most `busy_seconds` for a lock before saying the store is busy. Errors leave out the statement's
    values (hide_parameters): they go to the server log, and a workspace id there would open the workspace."""
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
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")  # in WAL: a killed process loses nothing committed
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return engine


def _config(connection: sa.Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def migrate(engine: sa.Engine, revision: str = "head") -> None:
    """Upgrade the schema to `revision` in one transaction (PostgreSQL: under a lock, as several
    server processes may start at once)."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK})
        command.upgrade(_config(connection), revision)


def current_revision(engine: sa.Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()
