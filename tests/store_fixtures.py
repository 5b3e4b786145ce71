"""Fixtures for tests of the store: each such test runs on SQLite and on a real PostgreSQL server.

PostgreSQL comes from $MLP_TEST_POSTGRES_URL (a server where the URL's user may create databases), else
from a throw-away cluster started here with Debian's initdb/pg_ctl (as the `postgres` user when the tests
run as root). A test fails, never skips, when no PostgreSQL can be had. Each test gets a database of its own.
"""
from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from browsing import free_port

POSTGRES_ENV = "MLP_TEST_POSTGRES_URL"
BACKENDS = ("sqlite", "postgresql")


def _as_owner(user: str | None) -> list[str]:
    return ["runuser", "-u", user, "--"] if user else []


def _start_cluster(folder: Path) -> tuple[str, list[str]]:
    """initdb and pg_ctl start in `folder`, listening on 127.0.0.1 only; the admin URL and the stop command."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if not found:
        pytest.fail(f"no PostgreSQL server here: set {POSTGRES_ENV} or install Debian's `postgresql` package")
    bin_dir = Path(found[-1]).parent
    user = "postgres" if os.geteuid() == 0 else None  # initdb refuses to run as root
    if user:
        shutil.chown(folder, user)
    port, data = free_port(), folder / "data"
    run = _as_owner(user)
    subprocess.run([*run, str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "mlp", "-E", "UTF8",
                    "--no-sync"], check=True, capture_output=True)
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
    subprocess.run([*run, str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w",
                    "start"], check=True, capture_output=True)
    return f"postgresql+psycopg://mlp@127.0.0.1:{port}/postgres", [*run, str(bin_dir / "pg_ctl"), "-D", str(data),
                                                                     "-m", "fast", "-w", "stop"]


@pytest.fixture(scope="session")
def postgres_admin_url():
    """A PostgreSQL server for this test session, as a URL where databases may be created."""
    named = os.environ.get(POSTGRES_ENV)
    if named:
        yield named
        return
    folder = Path(tempfile.mkdtemp(prefix="mlp-pg-"))
    try:
        url, stop = _start_cluster(folder)
    except subprocess.CalledProcessError as error:
        pytest.fail(f"could not start a PostgreSQL cluster: {error.stderr.decode(errors='replace')}")
    try:
        yield url
    finally:
        subprocess.run(stop, capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def _admin(url: str) -> sa.Engine:
    return sa.create_engine(sa.make_url(url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")


@pytest.fixture
def postgres_url(postgres_admin_url):
    """A fresh, empty database on the session's server; dropped afterwards."""
    name = f"mlp_test_{uuid.uuid4().hex[:12]}"
    admin = _admin(postgres_admin_url)
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))  # a name made here, not input: DDL takes no parameters
    yield sa.make_url(postgres_admin_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=BACKENDS)
def store_url(request, tmp_path):
    """The URL of an empty store: an SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite3'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture(scope="session", autouse=True)
def private_state_dir(tmp_path_factory):
    """No test writes saved work into the user's data folder: the app's SQLite store goes to a temp folder."""
    saved = {name: os.environ.get(name) for name in ("MLP_STATE_DIR", "MLP_DATABASE_URL")}
    os.environ["MLP_STATE_DIR"] = str(tmp_path_factory.mktemp("state"))
    os.environ.pop("MLP_DATABASE_URL", None)
    yield
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
