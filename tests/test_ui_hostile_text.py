"""Text a user, a file or a link chose reaches the pages as text: no link, image, colour or emphasis of its
own on any page, in any message, caption, button or sidebar line."""
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest
from test_app_pages import request

from mlp.config import TrainConfig
from mlp.model import Model
from ui import state
from ui.frame.navigation import spec
from ui.state import DIGIT_KEY, DRAWING_KEY, RUN_KEY

ROOT = Path(__file__).resolve().parents[1]
PAGES = tuple(spec(title).script for title in ("Home", "Train", "Draw", "Inspect", "Compare"))  # Compare last
HOSTILE = "[a](http://e.x) :red[b] **c**"  # a link, coloured text and bold, if read as Markdown
RAW = ("[a](", ":red[", "**c**")


def shown(at: AppTest) -> list[str]:
    """Every piece of Markdown on the page and in its sidebar, button labels included."""
    kinds = ("markdown", "caption", "info", "success", "warning", "error", "button")
    return [str(getattr(e, "value" if kind != "button" else "label")) for kind in kinds for e in getattr(at, kind)]


def assert_literal(at: AppTest, where: str) -> None:
    assert not at.exception, at.exception
    for text in shown(at):
        assert not any(raw in text for raw in RAW), f"{where}: {text!r}"


@pytest.fixture
def fresh(mnist_dir, monkeypatch):
    monkeypatch.setenv("MLP_DATA_DIR", str(mnist_dir))
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)


def upload(at: AppTest, name: str) -> None:
    at.switch_page(spec("Inspect").script).run()
    model = Model.create(TrainConfig(hidden=(8,)))
    at.file_uploader(key="model_upload").set_value((name, model.to_bytes(), "application/zip")).run()
    assert not at.exception


def test_an_uploaded_name_is_text_on_every_page(fresh):
    fresh.run()
    upload(fresh, HOSTILE + ".npz")
    digit = np.zeros((28, 28), np.float32)
    digit[4:24, 13:15] = 1.0  # a one, as the Draw page leaves it
    fresh.session_state[DIGIT_KEY], fresh.session_state[DRAWING_KEY] = digit, {"objects": [{}]}
    names = [run.name for run in fresh.session_state["finished_runs"]]
    assert names == [HOSTILE + ".npz"]
    for page in PAGES:
        fresh.switch_page(page).run()
        assert_literal(fresh, page)
    fresh.switch_page(spec("Draw").script).run()
    assert any(m.value.startswith("Answering with: **\\[a\\]") for m in fresh.markdown)  # the line naming the network
    fresh.switch_page(spec("Compare").script).run()
    fresh.text_input(key="rename_to").set_value("![img](http://e.x/i.png) " + HOSTILE).run()  # on Compare
    fresh.button(key="rename").click().run()
    assert_literal(fresh, "Compare after a rename")
    fresh.button(key="delete").click().run()
    assert_literal(fresh, "Compare after a delete")
    assert any("Deleted" in s.value for s in fresh.success)


def test_a_links_rejected_values_are_quoted_as_text(fresh):
    fresh.query_params.update({"activation": HOSTILE, HOSTILE: "1", "lr": "x" * 10_000})
    request(fresh, "Train")
    assert_literal(fresh, "Train from a link")
    (notice,) = fresh.warning
    assert "\\[a\\]\\(http\\:" in notice.value and len(notice.value) < 1000


def test_a_data_folder_that_is_wrong_is_named_as_text(fresh, monkeypatch):
    monkeypatch.setenv("MLP_DATA_DIR", f"/no/such/{HOSTILE}")
    fresh.run()
    assert_literal(fresh, "Home")
    assert any("could not be read" in e.value for e in fresh.error)


def test_a_run_dropped_to_make_room_is_named_as_text(fresh, monkeypatch):
    monkeypatch.setattr(state, "MAX_RUNS", 2)
    fresh.run()
    for name in (HOSTILE + ".npz", "second.npz", "third.npz"):  # the oldest, no longer in use, makes room
        upload(fresh, name)
    assert_literal(fresh, "Inspect")  # the page of the upload shows the notice at once
    assert any("was removed to make room" in w.value for w in fresh.warning)


def test_a_data_folder_named_with_markdown_is_named_as_text(fresh, mnist_dir, tmp_path, monkeypatch):
    folder = tmp_path / HOSTILE.replace("http://", "http:")  # no slash in a folder's own name
    folder.mkdir()
    for file in mnist_dir.glob("*-ubyte.gz"):
        (folder / file.name).symlink_to(file)
    monkeypatch.setenv("MLP_DATA_DIR", str(folder))
    fresh.run()
    assert_literal(fresh, "Home")
    assert any("from the folder" in s.value for s in fresh.success)
    assert any("from the folder" in c.value for c in fresh.sidebar.caption)


def test_a_renamed_run_and_a_typed_value_stay_text_on_the_train_page(fresh):
    fresh.run()
    fresh.switch_page(spec("Train").script).run()
    fresh.button(key="preset_notebook-one").click().run()
    fresh.number_input(key="setting_per_class").set_value(200).run()
    fresh.button(key="start").click().run()
    assert fresh.session_state[RUN_KEY].wait(120)
    fresh.switch_page(spec("Compare").script).run()
    fresh.text_input(key="rename_to").set_value(HOSTILE).run()
    fresh.button(key="rename").click().run()
    fresh.switch_page(spec("Train").script).run()
    assert_literal(fresh, "Train with a renamed run")
    assert any(c.value.startswith("**\\[a\\]") for c in fresh.caption)  # the live view names the run
    fresh.text_input(key="setting_hidden").set_value(HOSTILE).run()
    fresh.button(key="fix_0").click().run()  # the fix's restart meets the typed value: a notice quotes it
    assert_literal(fresh, "Train after a fix with a bad value")
    assert any("Hidden layers" in w.value for w in fresh.warning)


def test_a_run_name_in_a_compare_chart_is_text_not_html():
    from ui.shared.curves import compare_figure
    from ui.shared.network_files import uploaded_run

    run = uploaded_run('<a href="http://e.x">x</a>.npz', Model.create(TrainConfig(hidden=(8,))))
    figure = compare_figure([run], "held-out", log_loss=False)
    assert figure.data and all("<a" not in trace.name and "<a" not in trace.hovertemplate for trace in figure.data)
    assert figure.data[0].name == '&lt;a href="http://e.x"&gt;x&lt;/a&gt;.npz'  # Plotly shows it as typed
