"""read_idx: small IDX files written here, plus every way a real file can be broken."""
from __future__ import annotations

import gzip
import tracemalloc
import zlib
import struct
from pathlib import Path

import numpy as np
import pytest

from mlp.data.idx import IdxError, read_idx


def idx_bytes(array: np.ndarray, type_code: int = 0x08) -> bytes:
    header = struct.pack(f">BBBB{array.ndim}I", 0, 0, type_code, array.ndim, *array.shape)
    return header + array.astype(np.uint8).tobytes()


@pytest.fixture
def images() -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, size=(5, 28, 28), dtype=np.uint8)


@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gzip"])
def test_round_trip(tmp_path: Path, images: np.ndarray, compress: bool) -> None:
    data = idx_bytes(images)
    path = tmp_path / "images-idx3-ubyte"
    path.write_bytes(gzip.compress(data) if compress else data)
    result = read_idx(path)
    assert result.dtype == np.uint8
    assert result.shape == (5, 28, 28)
    np.testing.assert_array_equal(result, images)


def test_gzip_detected_by_content_not_name(tmp_path: Path, images: np.ndarray) -> None:
    path = tmp_path / "no-gz-suffix-here"
    path.write_bytes(gzip.compress(idx_bytes(images)))
    np.testing.assert_array_equal(read_idx(str(path)), images)
    plain = tmp_path / "not-really.gz"
    plain.write_bytes(idx_bytes(images))
    np.testing.assert_array_equal(read_idx(plain), images)


def test_labels_one_dimension(tmp_path: Path) -> None:
    labels = np.array([5, 0, 4, 1, 9], dtype=np.uint8)
    path = tmp_path / "labels-idx1-ubyte"
    path.write_bytes(idx_bytes(labels))
    np.testing.assert_array_equal(read_idx(path), labels)


def test_wrong_magic(tmp_path: Path, images: np.ndarray) -> None:
    path = tmp_path / "bad-magic"
    path.write_bytes(b"\x01\x02" + idx_bytes(images)[2:])
    with pytest.raises(IdxError, match=r"bad-magic is not an IDX file.*0x01 0x02"):
        read_idx(path)


def test_wrong_type_code(tmp_path: Path, images: np.ndarray) -> None:
    path = tmp_path / "floats"
    path.write_bytes(idx_bytes(images, type_code=0x0D))
    with pytest.raises(IdxError, match=r"floats stores data of type code 0x0d"):
        read_idx(path)


def test_truncated_data(tmp_path: Path) -> None:
    header_says = np.zeros((60_000, 28, 28), dtype=np.uint8)
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(idx_bytes(header_says)[: 16 + 1234])
    with pytest.raises(IdxError, match=r"train-images-idx3-ubyte is truncated: expected 47,040,000 pixel bytes.*found 1,234"):
        read_idx(path)


def test_truncated_header(tmp_path: Path, images: np.ndarray) -> None:
    path = tmp_path / "short-header"
    path.write_bytes(idx_bytes(images)[:10])
    with pytest.raises(IdxError, match=r"short-header is truncated: its header"):
        read_idx(path)


def test_trailing_bytes(tmp_path: Path) -> None:
    path = tmp_path / "labels-idx1-ubyte"
    path.write_bytes(idx_bytes(np.arange(10, dtype=np.uint8)) + b"\x00\x00\x00")
    with pytest.raises(IdxError, match=r"labels-idx1-ubyte has 3 unexpected trailing bytes after the 10 label bytes"):
        read_idx(path)


def test_truncated_gzip(tmp_path: Path, mnist_dir: Path) -> None:
    real = (mnist_dir / "t10k-labels-idx1-ubyte.gz").read_bytes()
    path = tmp_path / "t10k-labels-idx1-ubyte.gz"
    path.write_bytes(real[: len(real) // 2])
    with pytest.raises(IdxError, match=r"t10k-labels-idx1-ubyte.gz is a damaged gzip file"):
        read_idx(path)


def test_gzip_magic_then_garbage(tmp_path: Path) -> None:
    path = tmp_path / "garbage.gz"
    path.write_bytes(b"\x1f\x8b" + bytes(range(256)) * 4)
    with pytest.raises(IdxError, match=r"garbage.gz is a damaged gzip file"):
        read_idx(path)


def test_not_gzip_garbage(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_bytes(b"<html><body>404 Not Found</body></html>")
    with pytest.raises(IdxError, match=r"page.html is not an IDX file"):
        read_idx(path)


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty"
    path.write_bytes(b"")
    with pytest.raises(IdxError, match=r"empty is too short"):
        read_idx(path)


def gzip_of_zeros(header: bytes, megabytes: int) -> bytes:
    """A gzip file a few hundred kB long that unpacks to `header` plus `megabytes` MB of zero bytes."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: gzip container
    block = bytes(1024 * 1024)
    parts = [packer.compress(header)] + [packer.compress(block) for _ in range(megabytes)]
    return b"".join(parts) + packer.flush()


def peak_mb_while(read) -> float:
    tracemalloc.start()
    try:
        with pytest.raises(IdxError) as error:
            read()
        return tracemalloc.get_traced_memory()[1] / 2**20, str(error.value)
    finally:
        tracemalloc.stop()


def test_gzip_bomb_announcing_a_huge_size_is_refused_from_its_header(tmp_path: Path) -> None:
    path = tmp_path / "bomb-idx3-ubyte.gz"
    path.write_bytes(gzip_of_zeros(struct.pack(">BBBB3I", 0, 0, 8, 3, 2**32 - 1, 28, 28), 8))
    peak, message = peak_mb_while(lambda: read_idx(path))
    assert "bomb-idx3-ubyte.gz announces 3,367,254,359,280 pixel bytes" in message and "more than" in message
    assert peak < 5


def test_gzip_bomb_hiding_behind_a_small_header_is_read_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "labels-idx1-ubyte.gz"
    path.write_bytes(gzip_of_zeros(struct.pack(">BBBBI", 0, 0, 8, 1, 10), 150))  # 10 labels, then 150 MB
    assert path.stat().st_size < 1_000_000
    peak, message = peak_mb_while(lambda: read_idx(path))
    assert "unexpected trailing bytes after the 10 label bytes" in message
    assert peak < 20  # it used to unpack all 150 MB into memory at once
