"""What one hostile visitor sends, refused in words at a bounded cost: a drawing that states 9,000 x 9,000 pixels, a
zip of thousands of entries, names with NUL and bidi overrides, a network whose huge weights overflow, and visits
that save nothing (issue 19). Each test fails without its fix; the payloads are bench/abuse.py's."""
from __future__ import annotations

import io
import sqlite3
import sys
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest
from canvas_standin import canvas, upscaled  # noqa: F401  (canvas is a fixture)
from test_app_pages import app, open_page, texts  # noqa: F401  (app is a fixture)
from test_app_saved_work import DRAW, INSPECT, TRAIN, database, visit  # noqa: F401  (database is a fixture)
from test_store import finished

sys.path.append(str(Path(__file__).resolve().parents[1] / "bench"))  # after the project: bench/store.py is no store
from abuse import deflate_bomb, huge_weights_model, many_members_zip, png_bomb  # noqa: E402

from mlp.config import TrainConfig  # noqa: E402
from mlp.drawing.canvas_image import CanvasImageError, decode_png  # noqa: E402
from mlp.drawing.handwriting import HandwritingFileError, handwriting_bytes, load_handwriting  # noqa: E402
from mlp.model import ModelFileError, ModelOutputError, load_model  # noqa: E402
from store import Classes, Store  # noqa: E402
from training.record import clean_name  # noqa: E402
from ui.draw.data import MAX_STROKES_CHARS, read_canvas, strokes_to_keep  # noqa: E402
from ui.inspect.data import read_test_digits  # noqa: E402
from ui.shared.network_files import read_model_file, uploaded_run  # noqa: E402
from ui.state import DIGIT_KEY, DRAWING_KEY, RUNS_KEY  # noqa: E402

MB = 2**20


# ----- the canvas's PNG -----
def test_a_png_stating_a_huge_size_is_refused_from_its_header_before_any_pixel_is_unpacked():
    bomb = png_bomb(5000)  # 100 KB that unpack to 100 MB of pixels
    assert len(bomb) < MB
    tracemalloc.start()
    try:
        with pytest.raises(CanvasImageError, match="states 5,000 x 5,000 pixels; drawings of at most 1,024"):
            decode_png(bomb)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2 * MB


@pytest.mark.parametrize("data, words", [
    (b"GIF89a" + bytes(100), "not a PNG image"),
    (b"\x89PNG\r\n\x1a\n" + bytes(4), "header is damaged"),
    (png_bomb(16)[:50], "damaged PNG image"),
    (b"\x89PNG\r\n\x1a\n" + bytes(3 * MB), "file of 3.0 MB"),
], ids=["gif", "no-header", "truncated", "too-many-bytes"])
def test_what_no_canvas_sends_is_refused_in_words(data, words):
    with pytest.raises(CanvasImageError, match=words):
        decode_png(data)
    reading = read_canvas(data)
    assert reading.digit is None and reading.refused and reading.hint.startswith("This drawing was not read")


def test_the_draw_page_refuses_a_png_bomb_in_words_and_keeps_nothing_of_it(app, canvas, mnist_dir):
    from mlp import load_mnist, train

    mnist = load_mnist(mnist_dir, download=False)
    model = train(TrainConfig(hidden=(32,), epochs=1, per_class=300, seed=1), data=mnist).model
    canvas.image = upscaled(mnist.x_test[0])
    app.session_state[RUNS_KEY] = [uploaded_run("test network", model)]
    open_page(app, DRAW)
    assert app.session_state[DRAWING_KEY] is not None and DIGIT_KEY in app.session_state
    canvas.png = png_bomb(9000)  # what the component's value can hold, sent over the websocket
    app.run()
    assert not app.exception, app.exception
    assert any("This drawing was not read: the drawing states 9,000 x 9,000 pixels" in w.value for w in app.warning)
    assert app.session_state[DRAWING_KEY] is None and DIGIT_KEY not in app.session_state  # Inspect follows nothing
    assert 'id="predicted-digit"' not in texts(app)


def test_strokes_too_large_to_keep_are_not_kept():
    small = {"version": "6.0.0", "objects": [{"type": "path", "path": [["M", 1, 2]]}]}
    assert strokes_to_keep(small) == small
    assert strokes_to_keep({"objects": ["x" * MAX_STROKES_CHARS]}) is None
    assert strokes_to_keep(["not", "a", "drawing"]) is None


# ----- zip archives: models, uploads, handwriting -----
@pytest.fixture
def no_zip_parsing(monkeypatch):
    """Python's zipfile must not read the table of contents at all: its cost is what the check saves."""
    def refuse(*_args, **_kwargs):
        raise AssertionError("zipfile read the whole table of contents of an archive refused by its size")

    monkeypatch.setattr("mlp.model.zipfile.ZipFile", refuse)


@pytest.fixture(scope="module")
def crowded() -> bytes:
    return many_members_zip(5000)


def test_a_zip_of_thousands_of_empty_entries_is_refused_from_its_last_record(crowded, no_zip_parsing):
    with pytest.raises(ModelFileError, match="crowded.npz holds 5,000 entries .* at most 64"):
        read_model_file("crowded.npz", crowded)
    with pytest.raises(ModelFileError, match="holds 5,000 entries"):
        load_model(io.BytesIO(crowded))
    with pytest.raises(HandwritingFileError, match="holds 5,000 entries"):
        load_handwriting(io.BytesIO(crowded))


def test_a_zip_whose_last_record_understates_its_entries_is_refused_after_a_bounded_read(crowded):
    lying = bytearray(crowded)
    end = lying.rfind(b"PK\x05\x06")
    lying[end + 8:end + 12] = (3).to_bytes(2, "little") * 2  # 3 entries, it says; its table is still 300 KB
    with pytest.raises(ModelFileError, match="holds 3 entries .*bytes of table of contents"):
        load_model(io.BytesIO(bytes(lying)))


def test_entries_with_odd_names_or_packed_over_a_hundredfold_are_refused(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../../etc/passwd.npy", b"x")
        archive.writestr("W0\u202e.npy", b"x")
    with pytest.raises(ModelFileError, match="not NumPy arrays"):
        load_model(io.BytesIO(buffer.getvalue()))
    with pytest.raises(ModelFileError, match="packed more than 100-fold"):
        load_model(io.BytesIO(deflate_bomb(4)), max_bytes=256 * MB)
    images = np.zeros((3, 28, 28), np.uint8)
    assert len(load_handwriting(io.BytesIO(handwriting_bytes(images, [1, 2, 3], ["a", "b", "c"])))[0]) == 3


# ----- names -----
@pytest.mark.parametrize("given, kept", [
    ("Ana\x00", "Ana"), ("evil\u202egnp.exe", "evilgnp.exe"), ("A\u200bn\u200da", "Ana"), ("a\tb\nc", "a b c"),
    ("\ud800x", "x"), ("  ", ""), ("x" * 500, "x" * 199 + "…"),
], ids=["nul", "bidi-override", "zero-width", "breaks", "lone-surrogate", "blank", "long"])
def test_one_name_rule_strips_hidden_characters_and_keeps_names_short(given, kept):
    assert clean_name(given) == kept


def test_names_with_nul_and_bidi_overrides_are_kept_clean_by_the_store(store_url):
    """On PostgreSQL a NUL in a name made the store say it could not be reached; now no such name gets there."""
    store = Store(store_url)
    workspace = store.create_workspace()
    row_id = store.add_run(workspace, finished(name="Run\x00 1\u202e"))
    store.rename_run(workspace, row_id, "mine\x00\u200b")
    room, _ = Classes(store).create("Year\x00 11\u202e")
    assert [r.name for r in store.runs(workspace)] == ["mine"] and room.name == "Year 11"


# ----- a network whose outputs are not numbers -----
def test_huge_finite_weights_are_said_to_give_no_numbers_rather_than_read_every_digit_as_0():
    model = load_model(io.BytesIO(huge_weights_model(3e38)))
    x, y = np.random.default_rng(0).random((50, 784), dtype=np.float32), np.arange(50) % 10
    with pytest.raises(ModelOutputError, match="not numbers"):
        read_test_digits(model, x, y)


def test_the_inspect_page_says_an_overflowing_network_cannot_read_digits(app):
    app.session_state[RUNS_KEY] = [uploaded_run("huge.npz", read_model_file("huge.npz", huge_weights_model(3e38)))]
    open_page(app, INSPECT)
    assert any("This network cannot read digits: the network's outputs are not numbers" in e.value
               for e in app.error)
    assert not [m for m in app.metric if m.label == "Test accuracy"]  # no 9.8% read from NaN


# ----- workspaces: a row for the first thing worth saving, not for every visit -----
def workspace_rows(url: str) -> int:
    with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
        return db.execute("SELECT count(*) FROM workspaces").fetchone()[0]


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_visits_that_save_nothing_write_no_workspace_row(database):
    Store(database)  # made and migrated: its tables exist
    for _ in range(3):
        at = visit()
        for page in (TRAIN, DRAW, INSPECT):
            open_page(at, page)
    assert workspace_rows(database) == 0
    at.switch_page(TRAIN).run()
    at.number_input(key="setting_epochs").set_value(2).run()  # the first thing worth saving
    assert workspace_rows(database) == 1 and Store(database).workspace_exists(at.query_params["w"])
    again = visit(at.query_params["w"])
    assert again.session_state["settings"]["epochs"] == 2 and workspace_rows(database) == 1
