"""Read the IDX files MNIST is published in.

An IDX file is a tiny header followed by raw bytes:

    0x00 0x00 <type code> <number of dimensions>
    one big-endian uint32 per dimension
    the data, row-major

MNIST only uses type code 0x08 (unsigned bytes), so that is all we accept.
Files are usually gzip-compressed; we look at the first two bytes rather
than the file name, because renamed files are common in the wild.
"""
from __future__ import annotations

import contextlib
import gzip
import math
import struct
import zlib
from pathlib import Path
from typing import BinaryIO

import numpy as np

GZIP_MAGIC = b"\x1f\x8b"
UINT8_CODE = 0x08
# Largest data part accepted: four times MNIST's training images (47,040,000 bytes). A header may
# announce anything; this bound is what a decompressed file is allowed to grow to.
MAX_DATA_BYTES = 200_000_000
# Only used to make error messages read naturally.
_WHAT = {1: "label bytes", 3: "pixel bytes"}


class IdxError(ValueError):
    """The file is not a well-formed IDX file of unsigned bytes."""


def read_idx(path: str | Path) -> np.ndarray:
    """Return the contents of an IDX file (gzip or not) as a uint8 array shaped by its header.

    Every check fails loudly with the file named, so a student who downloaded a
    broken file is told which one and what is wrong, instead of getting a
    confusing reshape error later. The header is read first and the data is
    decompressed as a stream, never past the size the header declares (at most
    MAX_DATA_BYTES): a small gzip "bomb" cannot fill the memory. The array is
    read-only.
    """
    path = Path(path)
    try:
        with open(path, "rb") as raw:
            compressed = raw.read(2) == GZIP_MAGIC
            raw.seek(0)
            with (gzip.GzipFile(fileobj=raw) if compressed else contextlib.nullcontext(raw)) as stream:
                data = _read_checked(stream, path)
    except (EOFError, gzip.BadGzipFile, zlib.error) as err:
        raise IdxError(
            f"{path} is a damaged gzip file ({err}); it was probably cut short while "
            "downloading - delete it and download it again"
        ) from err
    data.setflags(write=False)
    return data


def _read_checked(stream: BinaryIO, path: Path) -> np.ndarray:
    """The header, then exactly the bytes it announces, then a bounded look for trailing bytes."""
    shape = _read_header(stream, path)
    expected = math.prod(shape)
    what = _WHAT.get(len(shape), "data bytes")
    dims = " x ".join(f"{d:,}" for d in shape)
    if expected > MAX_DATA_BYTES:
        raise IdxError(f"{path} announces {expected:,} {what} ({dims}), more than the {MAX_DATA_BYTES:,} "
                       "this reader accepts (the full MNIST training set is 47,040,000)")
    body = stream.read(expected)
    if len(body) < expected:
        raise IdxError(f"{path} is truncated: expected {expected:,} {what} ({dims}), found {len(body):,}")
    trailing = _count_trailing(stream)
    if trailing:
        raise IdxError(f"{path} has {trailing:,} unexpected trailing bytes after the "
                       f"{expected:,} {what} ({dims}) its header announces")
    return np.frombuffer(body, dtype=np.uint8).reshape(shape)


def _read_header(stream: BinaryIO, path: Path) -> tuple[int, ...]:
    head = stream.read(4)
    if len(head) < 4:
        raise IdxError(f"{path} is too short to be an IDX file: only {len(head)} bytes")
    if head[0] != 0 or head[1] != 0:
        raise IdxError(
            f"{path} is not an IDX file (nor gzip): it should start with two zero bytes, "
            f"but starts with 0x{head[0]:02x} 0x{head[1]:02x}"
        )
    if head[2] != UINT8_CODE:
        raise IdxError(
            f"{path} stores data of type code 0x{head[2]:02x}; only unsigned bytes "
            f"(type code 0x{UINT8_CODE:02x}), as used by MNIST, are supported"
        )
    ndim = head[3]
    if ndim == 0:
        raise IdxError(f"{path} says its data has 0 dimensions")
    dims = stream.read(4 * ndim)
    if len(dims) < 4 * ndim:
        raise IdxError(
            f"{path} is truncated: its header needs {4 + 4 * ndim} bytes for {ndim} "
            f"dimensions, but the file has only {4 + len(dims)}"
        )
    return struct.unpack(f">{ndim}I", dims)


def _count_trailing(stream: BinaryIO) -> int:
    """How many bytes follow the data, counted in bounded blocks and up to MAX_DATA_BYTES at most."""
    count = 0
    while count <= MAX_DATA_BYTES and (block := stream.read(1024 * 1024)):
        count += len(block)
    return count
