"""Fetch the four MNIST files into a local cache, the way Keras and torchvision do.

Each file is checked against its published SHA-256, and it only takes its
final name once it is complete and verified: a half-downloaded file never
looks like a good one, whatever goes wrong (network, disk, Ctrl+C). No more
than the file's known size is ever read, and part files left by a process
that was killed are removed at the next start. Each failed attempt is logged
(logger "mlp.data.download"), so a server's log says why a mirror failed.
"""
from __future__ import annotations

import hashlib
import http.client
import logging
import os
import socket
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from .atomic import part_file, remove_stale_parts

FILES: dict[str, str] = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}

# Sizes in bytes, as the mirrors serve them: reading stops there, whatever a server sends.
SIZES: dict[str, int] = {
    "train-images-idx3-ubyte.gz": 9_912_422,
    "train-labels-idx1-ubyte.gz": 28_881,
    "t10k-images-idx3-ubyte.gz": 1_648_877,
    "t10k-labels-idx1-ubyte.gz": 4_542,
}
MAX_FILE_BYTES = 32 * 2**20  # the cap for a file of unknown size

MIRRORS: tuple[str, ...] = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "https://yann.lecun.com/exdb/mnist/",
)

CACHE_DIR_ENV = "MLP_CACHE_DIR"
CHUNK_SIZE = 64 * 1024
log = logging.getLogger(__name__)
# Some mirrors refuse urllib's default "Python-urllib/x.y" agent.
USER_AGENT = "mlp-playground (MNIST downloader)"

# progress(filename, bytes done, total bytes or None if the server does not say)
Progress = Callable[[str, int, int | None], None]


class DownloadError(RuntimeError):
    """Nothing could be downloaded; the message lists every mirror tried and why it failed."""

    def __init__(self, message: str, failures: Sequence[tuple[str, str]] = ()) -> None:
        self.message = message
        self.failures = list(failures)  # (url, reason) pairs, in the order tried
        lines = [message] + [f"  - {url}: {reason}" for url, reason in self.failures]
        super().__init__("\n".join(lines))

    def one_line(self) -> str:
        """The message and every mirror's reason on a single line, for a command line's error."""
        return " ".join([self.message] + [f"{url}: {reason};" for url, reason in self.failures]).rstrip(";")


class _BadDownload(Exception):
    """The server answered, but what arrived is not the file we want."""


def default_cache_dir() -> Path:
    """Where downloads go: $MLP_CACHE_DIR, else the XDG cache folder, else ~/.cache."""
    if os.environ.get(CACHE_DIR_ENV):
        return Path(os.environ[CACHE_DIR_ENV]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "mlp-playground" / "mnist"


def is_complete(folder: Path, files: Mapping[str, str] = FILES) -> bool:
    """True if every file is present (existence only: files get there verified and atomically)."""
    return all((Path(folder) / name).is_file() for name in files)


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file, read in blocks so big files do not fill memory."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def download_mnist(
    dest: Path | None = None,
    *,
    mirrors: Sequence[str] = MIRRORS,
    files: Mapping[str, str] = FILES,
    sizes: Mapping[str, int] = SIZES,
    progress: Progress | None = None,
    timeout: float = 10.0,
) -> Path:
    """Make sure `dest` holds every file in `files` with the right checksum; return `dest`.

    Files already there and intact are left alone (no network). Missing or
    damaged ones are fetched from the mirrors in order, falling through to the
    next mirror on any failure. `progress(filename, done, total)` is called as
    bytes arrive; `total` is None when the server does not say. A file is never
    read past `sizes[name]` (MAX_FILE_BYTES when its size is not known).
    """
    dest = Path(dest) if dest is not None else default_cache_dir()
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise DownloadError(f"Cannot create the download folder {dest}: {err}") from err

    for name, expected_sha in files.items():
        target = dest / name
        remove_stale_parts(target)
        if target.is_file() and sha256_of(target) == expected_sha:
            continue
        failures: list[tuple[str, str]] = []
        for mirror in mirrors:
            url = mirror.rstrip("/") + "/" + name
            try:
                _fetch(url, target, (expected_sha, sizes.get(name, MAX_FILE_BYTES)), progress, timeout)
                break
            except (OSError, ValueError, http.client.HTTPException, _BadDownload) as err:
                failures.append((url, _explain(err, timeout)))
                log.warning("MNIST download from %s failed: %s", url, failures[-1][1])
        else:
            raise DownloadError(f"Could not download {name} from any mirror:", failures)
    return dest


def _fetch(url: str, target: Path, expected: tuple[str, int], progress: Progress | None, timeout: float) -> None:
    """Stream `url` into a part file beside `target`, verify it, then rename it into place.

    `expected` is the file's SHA-256 and size; reading stops one chunk past that size.
    """
    expected_sha, size = expected
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    part, part_path = part_file(target)
    try:
        with part, urllib.request.urlopen(request, timeout=timeout) as response:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            if total is not None and total > size:
                raise _BadDownload(f"the server announces {total:,} bytes; the file has {size:,}")
            digest = hashlib.sha256()
            done = 0
            if progress:
                progress(target.name, 0, total)
            while chunk := response.read(CHUNK_SIZE):
                done += len(chunk)
                if done > size:
                    raise _BadDownload(f"the server sent more than the file's {size:,} bytes; stopped reading")
                part.write(chunk)
                digest.update(chunk)
                if progress:
                    progress(target.name, done, total)
        if total is not None and done != total:
            raise _BadDownload(f"connection dropped after {done:,} of {total:,} bytes")
        if digest.hexdigest() != expected_sha:
            raise _BadDownload(
                f"wrong SHA-256 checksum (expected {expected_sha[:12]}..., got {digest.hexdigest()[:12]}...)"
            )
        os.replace(part_path, target)
    finally:
        # After a successful os.replace the part file's name is already gone.
        part_path.unlink(missing_ok=True)


def _explain(err: BaseException, timeout: float) -> str:
    """A short plain-words reason for one failed attempt."""
    if isinstance(err, urllib.error.HTTPError):
        return f"HTTP error {err.code} {err.reason}"
    if isinstance(err, urllib.error.URLError):
        if not isinstance(err.reason, BaseException):
            return f"could not connect ({err.reason})"
        err = err.reason  # the underlying socket error
    if isinstance(err, socket.gaierror):
        return "could not find the server's address (no network, or no name service)"
    if isinstance(err, TimeoutError):
        return f"no answer within {timeout:g} s (timed out)"
    if isinstance(err, ConnectionRefusedError):
        return "connection refused (server down, or nothing listening on that port)"
    if isinstance(err, (http.client.IncompleteRead, ConnectionError)):
        return f"connection dropped mid-file ({type(err).__name__})"
    return str(err) or type(err).__name__
