"""Every parser of outside input, fed whatever Hypothesis makes: a clear refusal (the project's own exception) or a
valid value, never another exception, and never more memory than the parser's stated limits allow.

Outside input here: share-link values (ui.shared.links), settings as a dict (TrainConfig.from_dict), names
(training.record.clean_name), model files (mlp.model.load_model and the upload path), handwriting files, IDX files,
and the canvas's PNG. Inputs are either any bytes, or a valid file with some of its bytes overwritten (most random
bytes fail on the first check; mutations reach the later ones). Kept small and few, so the whole file runs in
seconds (CI runs the suite in under 20 minutes)."""
from __future__ import annotations

import io
import json
import math
import tracemalloc
import unicodedata
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from mlp.config import ConfigError, TrainConfig
from mlp.data.idx import IdxError, read_idx
from mlp.drawing.canvas_image import MAX_PNG_BYTES, MAX_SIDE, CanvasImageError, decode_png
from mlp.drawing.handwriting import HandwritingFileError, handwriting_bytes, load_handwriting
from mlp.model import Model, ModelFileError, load_model
from training.record import HIDDEN, clean_name
from ui.draw.data import read_canvas
from ui.shared.links import MAX_NOTES, decode, encode
from ui.shared.network_files import MAX_UPLOAD_BYTES, read_model_file

FAST = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
MB = 2**20
MEMORY = 32 * MB  # what reading a file of a few kilobytes may allocate at most (Python and NumPy, as traced)


def mutated(valid: bytes):
    """`valid` with up to 8 bytes overwritten and maybe cut short: files that pass the first checks."""
    edits = st.lists(st.tuples(st.integers(0, len(valid) - 1), st.integers(0, 255)), max_size=8)
    return st.builds(_edit, st.just(valid), edits, st.integers(len(valid) // 2, len(valid)))


def _edit(valid: bytes, edits: list[tuple[int, int]], keep: int) -> bytes:
    data = bytearray(valid)
    for at, value in edits:
        data[at] = value
    return bytes(data[:keep])


def within_memory(read, *args):
    """read(*args), and how much it allocated at its highest (tracemalloc sees Python's and NumPy's memory)."""
    tracemalloc.start()
    try:
        result = read(*args)
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# ----- share links and settings -----
link_text = st.text(st.characters(codec="utf-8"), max_size=30) | st.sampled_from(
    ["1e308", "-0", "nan", "inf", "1" * 400, "0x10", "256,128", "none", "all", "", " 3 ", "1,,2", "١٢"])
link_names = st.sampled_from(TrainConfig.names()) | st.text(max_size=12)


@FAST
@given(st.dictionaries(link_names, link_text | st.lists(link_text, max_size=3), max_size=8))
def test_any_link_gives_a_valid_config_and_a_few_notes(params):
    config, notes = decode(params)
    assert isinstance(config, TrainConfig) and len(notes) <= MAX_NOTES + 1
    assert decode(encode(config))[0] == config  # what it became is a link of its own


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                                      max_size=3), max_leaves=8)


@FAST
@given(st.dictionaries(link_names, json_values, max_size=6) | json_values)
def test_any_settings_dict_is_a_config_or_a_config_error(values):
    try:
        config = TrainConfig.from_dict(values)
    except ConfigError:
        return
    assert TrainConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config


# ----- names -----
@FAST
@given(st.text(max_size=300), st.integers(1, 200))
def test_a_cleaned_name_is_one_short_line_of_visible_characters(text, limit):
    name = clean_name(text, limit)
    assert len(name) <= limit and name == name.strip() and "  " not in name
    assert not any(unicodedata.category(c) in HIDDEN for c in name) and not any(c.isspace() and c != " " for c in name)
    assert clean_name(name, limit) == name
    name.encode("utf-8")  # no lone surrogate: the store can write it


# ----- model files -----
@pytest.fixture(scope="module")
def model_file() -> bytes:
    return Model.create(TrainConfig(hidden=(3,), seed=1)).to_bytes()


def read_or_refuse(content: bytes):
    try:
        return read_model_file("upload.npz", content)
    except ModelFileError:
        return None


@FAST
@given(data=st.data())
def test_any_upload_is_a_model_or_a_refusal_in_words(model_file, data):
    content = data.draw(st.binary(max_size=2000) | mutated(model_file))
    model, peak = within_memory(read_or_refuse, content)
    assert model is None or isinstance(model, Model) and np.isfinite(model.network.params).all()
    assert peak < MEMORY


arrays = hnp.arrays(st.sampled_from([np.float32, np.float64, np.int64, np.uint8, np.bool_, "U3", "S2", np.complex64]),
                    hnp.array_shapes(min_dims=0, max_dims=3, max_side=4))


@FAST
@given(st.dictionaries(st.sampled_from(["format", "config", "metrics", "W0", "b0", "W1", "b1", "x", "images",
                                        "labels", "writers"]), arrays, max_size=6), st.booleans())
def test_any_archive_of_arrays_is_a_model_or_a_refusal_in_words(members, compressed):
    buffer = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buffer, **members)
    model, peak = within_memory(read_or_refuse, buffer.getvalue())
    assert model is None and peak < MEMORY
    try:
        load_handwriting(io.BytesIO(buffer.getvalue()))
    except HandwritingFileError:
        pass


@FAST  # names zipfile can write (neither NUL nor lone surrogates); what it reads of others is its own affair
@given(st.dictionaries(st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=20),
                       st.binary(max_size=64), max_size=6))
def test_any_zip_is_a_model_or_a_refusal_in_words(members):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    assert read_or_refuse(buffer.getvalue()) is None
    with pytest.raises(ModelFileError):
        load_model(io.BytesIO(buffer.getvalue()), max_bytes=MAX_UPLOAD_BYTES)


# ----- handwriting files -----
@pytest.fixture(scope="module")
def handwriting_file() -> bytes:
    return handwriting_bytes(np.zeros((2, 28, 28), np.uint8), [1, 7], ["ana", "ben"])


@FAST
@given(data=st.data())
def test_any_handwriting_file_is_drawings_or_a_refusal_in_words(handwriting_file, data):
    content = data.draw(st.binary(max_size=2000) | mutated(handwriting_file))
    try:
        (images, labels, writers), peak = within_memory(load_handwriting, io.BytesIO(content))
    except HandwritingFileError:
        return
    assert images.shape == (len(labels), 784) and len(writers) == len(labels) and peak < MEMORY
    assert ((labels >= 0) & (labels <= 9)).all() and images.min(initial=0) >= 0 and images.max(initial=1) <= 1


# ----- IDX files -----
def idx_file(dims: tuple[int, ...]) -> bytes:
    header = bytes([0, 0, 8, len(dims)]) + b"".join(d.to_bytes(4, "big") for d in dims)
    return header + bytes(math.prod(dims))


@FAST
@given(data=st.data())
def test_any_idx_file_is_an_array_or_a_refusal_in_words(tmp_path_factory, data):
    content = data.draw(st.binary(max_size=200) | mutated(idx_file((3, 4, 4))) | mutated(idx_file((7,))))
    path = tmp_path_factory.mktemp("idx") / "file.idx"
    path.write_bytes(content)
    try:
        array, peak = within_memory(read_idx, path)
    except IdxError:
        return
    assert array.dtype == np.uint8 and array.size <= len(content) and peak < MEMORY


# ----- the canvas's PNG -----
@pytest.fixture(scope="module")
def canvas_png() -> bytes:
    from PIL import Image

    image = np.zeros((40, 30, 4), np.uint8)
    image[10:30, 12:18] = 255
    buffer = io.BytesIO()
    Image.fromarray(image, "RGBA").save(buffer, format="PNG")
    return buffer.getvalue()


@FAST
@given(data=st.data())
def test_any_canvas_payload_is_pixels_within_the_limits_or_a_refusal_in_words(canvas_png, data):
    content = data.draw(st.binary(max_size=500) | mutated(canvas_png)
                        | st.builds(_stated, st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1)))
    try:
        pixels = decode_png(content)
    except CanvasImageError:
        reading = read_canvas(content)
        assert reading.refused and reading.digit is None
        return
    height, width, channels = pixels.shape
    assert 0 < height <= MAX_SIDE and 0 < width <= MAX_SIDE and channels == 4 and len(content) <= MAX_PNG_BYTES
    read_canvas(content)  # whatever the pixels, the page reads them without an exception


def _stated(width: int, height: int) -> bytes:
    """The start of a PNG file stating width x height pixels, and nothing after."""
    import struct
    import zlib

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + header
            + struct.pack(">I", zlib.crc32(b"IHDR" + header)))
