"""Files that appear whole or not at all: written under a temporary name beside their target, then renamed.

The temporary name carries the writer's process id (`.model.npz.4242.1f2e3d4c.part`), so two processes never
share one, and a file left by a process that was killed mid-write (SIGKILL runs no clean-up) is recognised
as stale and removed by the next writer of the same target.
"""
from __future__ import annotations

import glob
import os
import secrets
from pathlib import Path
from typing import BinaryIO

PART_SUFFIX = ".part"


def part_file(target: Path) -> tuple[BinaryIO, Path]:
    """A new, empty file beside `target`, named for this process, opened for writing.

    It gets the permissions any new file gets (0666 less the umask), not tempfile's owner-only 0600,
    so the finished file is readable as a file written with open() would be.
    """
    path = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}{PART_SUFFIX}")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    return os.fdopen(fd, "wb"), path


def write_atomically(target: Path, content: bytes) -> Path:
    """Write `content` to `target`: a crash mid-write leaves the old file (or none), never half a file."""
    target = Path(target)
    remove_stale_parts(target)
    part, path = part_file(target)
    try:
        with part:
            part.write(content)
        os.replace(path, target)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return target


def check_writable(target: Path) -> None:
    """Raise OSError naming the folder unless `target` can be written (checked by creating a part file there)."""
    target = Path(target).expanduser().absolute()
    if target.is_dir():
        raise IsADirectoryError(f"{target} is a folder; give a file name such as {target / 'model.npz'}")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        part, path = part_file(target)
    except OSError as error:
        raise PermissionError(f"cannot write in the folder {target.parent} ({error.strerror or error})") from None
    part.close()
    path.unlink()


def remove_stale_parts(target: Path) -> list[Path]:
    """Delete the part files of `target` whose writing process no longer runs; return them."""
    stale = []
    pattern = f"{glob.escape(target.name)}.*{PART_SUFFIX}"
    for path in [*target.parent.glob(pattern), *target.parent.glob("." + pattern)]:
        writer = path.name.lstrip(".")[len(target.name) + 1:].split(".")[0]
        if not (writer.isdigit() and _running(int(writer))):
            path.unlink(missing_ok=True)
            stale.append(path)
    return stale


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True  # it exists but belongs to another user (or the number is not a pid: leave it be)
    return True
