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

import gzip
import math
import struct
import zlib
from pathlib import Path

import numpy as np

GZIP_MAGIC = b"\x1f\x8b"
UINT8_CODE = 0x08
# Only used to make error messages read naturally.
_WHAT = {1: "label bytes", 3: "pixel bytes"}


class IdxError(ValueError):
    """The file is not a well-formed IDX file of unsigned bytes."""


def read_idx(path: str | Path) -> np.ndarray:
    """Return the contents of an IDX file (gzip or not) as a uint8 array shaped by its header.

    Every check fails loudly with the file named, so a student who downloaded a
    broken file is told which one and what is wrong, instead of getting a
    confusing reshape error later. The array is a read-only view of the file's
    bytes (no copy).
    """
    path = Path(path)
    raw = path.read_bytes()

    if raw[:2] == GZIP_MAGIC:
        try:
            raw = gzip.decompress(raw)
        except (EOFError, gzip.BadGzipFile, zlib.error) as err:
            raise IdxError(
                f"{path} is a damaged gzip file ({err}); it was probably cut short while "
                "downloading - delete it and download it again"
            ) from err

    if len(raw) < 4:
        raise IdxError(f"{path} is too short to be an IDX file: only {len(raw)} bytes")
    if raw[0] != 0 or raw[1] != 0:
        raise IdxError(
            f"{path} is not an IDX file (nor gzip): it should start with two zero bytes, "
            f"but starts with 0x{raw[0]:02x} 0x{raw[1]:02x}"
        )
    if raw[2] != UINT8_CODE:
        raise IdxError(
            f"{path} stores data of type code 0x{raw[2]:02x}; only unsigned bytes "
            f"(type code 0x{UINT8_CODE:02x}), as used by MNIST, are supported"
        )
    ndim = raw[3]
    if ndim == 0:
        raise IdxError(f"{path} says its data has 0 dimensions")

    header_size = 4 + 4 * ndim
    if len(raw) < header_size:
        raise IdxError(
            f"{path} is truncated: its header needs {header_size} bytes for {ndim} "
            f"dimensions, but the file has only {len(raw)}"
        )
    shape = struct.unpack(f">{ndim}I", raw[4:header_size])
    expected = math.prod(shape)
    found = len(raw) - header_size
    what = _WHAT.get(ndim, "data bytes")
    dims = " x ".join(f"{d:,}" for d in shape)
    if found < expected:
        raise IdxError(
            f"{path} is truncated: expected {expected:,} {what} ({dims}), found {found:,}"
        )
    if found > expected:
        raise IdxError(
            f"{path} has {found - expected:,} unexpected trailing bytes after the "
            f"{expected:,} {what} ({dims}) its header announces"
        )
    return np.frombuffer(raw, dtype=np.uint8, count=expected, offset=header_size).reshape(shape)
