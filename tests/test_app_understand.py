"""Inspect, Compare, diagnosis cards with their one-click rerun, links and network files, run by AppTest."""
from __future__ import annotations

import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest
from test_app_pages import ROOT, TRAIN, app, arrive, finish, open_page, texts  # noqa: F401  (app is a fixture)

import ui.inspect.panel
import ui.state
from mlp.config import TrainConfig
from mlp.model import Model
from ui.frame.navigation import spec
from ui.inspect.data import PERTURBATIONS
from ui.shared.links import WORKSPACE_PARAM, encode
from ui.shared.text import escape_markdown
from ui.state import DIGIT_KEY, DRAWING_KEY, RUN_KEY

HOME, DRAW, INSPECT, COMPARE = (spec(title).script for title in ("Home", "Draw", "Inspect", "Compare"))
TINY = {"hidden": "32", "per_class": "100", "epochs": "1"}  # about a second of training


def open_link(mnist_dir, monkeypatch, page: str, params: dict[str, str]) -> AppTest:
    """A fresh session that arrives through a link: `page` with these query parameters."""
    monkeypatch.setenv("MLP_DATA_DIR", str(mnist_dir))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params.update(params)
    return arrive(at, page)


def train(at: AppTest) -> None:
    at.button(key="start").click().run()
    assert not at.exception, at.exception
    finish(at)


def train_tiny(at: AppTest, lr: float | None = None) -> None:
    open_page(at, TRAIN)
    at.text_input(key="setting_hidden").set_value("32").run()
    at.number_input(key="setting_per_class").set_value(100).run()
    at.number_input(key="setting_epochs").set_value(1).run()
    if lr is not None:
        at.number_input(key="setting_lr").set_value(lr).run()
    train(at)


def live_chart(at: AppTest) -> tuple[str, dict]:
    """The Train page's live chart: its element id, and the figure it was last sent."""
    element = next(e for e in [*at.get("component_instance"), *at.get("plotly_chart")]
                   if e.proto.id.endswith("-training_chart"))
    spec = json.loads(element.proto.json_args)["figure"] if element.type == "component_instance" else element.proto.spec
    return element.proto.id, json.loads(spec)


def test_the_live_chart_is_updated_in_place_not_replaced(app):
    open_page(app, TRAIN)
    app.number_input(key="setting_per_class").set_value(1000).run()
    app.number_input(key="setting_epochs").set_value(3).run()
    app.button(key="start").click().run()
    app.button(key="pause").click().run()  # hold the run early on, so that the curves are still to grow
    early_id, early = live_chart(app)
    app.button(key="resume").click().run()
    finish(app)
    late_id, late = live_chart(app)
    assert len(late["data"][0]["x"]) > len(early["data"][0]["x"])  # new points were sent ...
    assert late_id == early_id  # ... to the same chart: the browser keeps it (and its zoom), redrawn in place
    assert late["layout"]["uirevision"] == early["layout"]["uirevision"] == app.session_state[RUN_KEY].name


def charts(at: AppTest) -> dict[str, dict]:
    """Every Plotly chart on the page, by its key, as the figure's JSON."""
    found = {}
    for element in at.get("plotly_chart"):
        key = next((k for k in ("confusion", "class_accuracy", "activations", "robustness", "compare_chart", "training_chart")
                    if k in element.proto.id), element.proto.id)
        found[key] = json.loads(element.proto.spec)
    return found


def image_captions(at: AppTest) -> list[str]:
    return [caption for element in at.get("image") for caption in element.captions]


def a_drawn_one() -> np.ndarray:
    image = np.zeros((28, 28), np.float32)
    image[4:24, 13:16] = 1.0
    return image


def test_every_inspect_panel_renders_for_a_trained_model_and_is_computed_once(app, monkeypatch):
    calls = []
    read = ui.inspect.panel.read_test_digits
    monkeypatch.setattr(ui.inspect.panel, "read_test_digits", lambda *a: calls.append(1) or read(*a))
    train_tiny(app)
    app.session_state[DIGIT_KEY] = a_drawn_one()  # as the Draw page leaves it
    open_page(app, INSPECT)
    page = texts(app)
    assert any(m.label == "Test accuracy" for m in app.metric) and any(m.label == "Mistakes" for m in app.metric)
    figures = charts(app)
    assert [t["type"] for t in figures["confusion"]["data"]] == ["heatmap", "scatter"]  # the cells, then their targets
    assert len(figures["class_accuracy"]["data"][0]["y"]) == 10
    assert len(figures["activations"]["data"]) == 2  # one hidden layer, then the answer
    assert [t["name"] for t in figures["robustness"]["data"]] == [p.title for p in PERTURBATIONS.values()]
    assert "moved, turned, made thinner or thicker" in page
    assert "Blue" in page and "Red" in page  # the first layer's colours explained
    assert "most like yours" in page and "Closest as the network sees them" in page
    captions = image_captions(app)
    assert sum(" read as " in c for c in captions) == 12  # the surest mistakes
    assert sum("distance" in c for c in captions) == 8  # the closest training digits
    assert sum(c.endswith(" sure") and " read as " not in c for c in captions) >= 1  # the digits in a cell
    assert len(captions) >= 12 + 8 + 1 + 1 + 1  # ... and the weight grid and the digit itself
    app.selectbox(key=next(s.key for s in app.selectbox if s.key.startswith("cell_true"))).set_value(1).run()
    app.selectbox(key=next(s.key for s in app.selectbox if s.key.startswith("cell_answer"))).set_value(1).run()
    assert any("test digits 1 were read correctly" in c.value for c in app.caption)
    app.button_group(key="confusion_show").set_value("rates").run()
    assert not app.exception
    assert len(calls) <= 1  # the test set is read once per network, not on every rerun


def test_inspect_without_a_network_says_how_to_get_one(app):
    open_page(app, INSPECT)
    assert "no trained network" in texts(app)
    assert app.file_uploader(key="model_upload")


def test_a_bad_upload_gets_a_message_and_a_good_one_serves_draw_and_inspect(app):
    open_page(app, INSPECT)
    app.file_uploader(key="model_upload").set_value(("broken.npz", b"not an archive", "application/octet-stream")).run()
    assert not app.exception
    assert any("cannot be used" in e.value and escape_markdown("broken.npz") in e.value for e in app.error)
    good = Model.create(TrainConfig(hidden=(16,), seed=5)).to_bytes()
    app.file_uploader(key="model_upload").set_value(("class-net.npz", good, "application/octet-stream")).run()
    assert not app.exception
    assert any(escape_markdown("class-net.npz") in s.value and "loaded" in s.value for s in app.success)
    assert any(m.label == "Test accuracy" for m in app.metric)  # inspected straight away
    assert app.selectbox(key="inspect_model").format_func(app.selectbox(key="inspect_model").value).startswith(
        "class-net.npz")
    open_page(app, DRAW)
    assert "no trained network" not in texts(app)


def click_chart(at: AppTest, key: str, points: list[dict]) -> None:
    """What the browser sends when a point of the chart `key` is clicked: its selection, as the chart's state.
    (AppTest cannot click a chart itself; this is the message the page receives.)"""
    chart = next(c for c in at.get("plotly_chart") if c.proto.id.endswith(f"-{key}"))
    states = at._tree.get_widget_states()
    selection = {"selection": {"points": points, "point_indices": [p["point_index"] for p in points], "box": [],
                               "lasso": []}}
    states.widgets.add(id=chart.proto.id, string_value=json.dumps(selection))
    at._run(states)
    assert not at.exception, at.exception


def open_cell(at: AppTest) -> tuple[int, int]:
    """The confusion matrix's open cell, as its two menus show it."""
    true = next(s for s in at.selectbox if s.key.startswith("cell_true"))
    answer = next(s for s in at.selectbox if s.key.startswith("cell_answer"))
    return true.value, answer.value


def test_a_click_on_a_confusion_cell_opens_it_and_the_menus_still_work(app):
    open_page(app, INSPECT)
    upload(app, "class-net.npz", 5)
    first = open_cell(app)  # the most frequent mistake, until a click
    target = (7, 2) if first != (7, 2) else (2, 7)
    cells = charts(app)["confusion"]["data"][-1]
    index = next(i for i, xy in enumerate(zip(cells["x"], cells["y"])) if xy == (str(target[1]), str(target[0])))
    click_chart(app, "confusion", [{"x": str(target[1]), "y": str(target[0]), "curve_number": 2,
                                    "point_number": index, "point_index": index}])
    assert open_cell(app) == target
    assert any(f"test digits {target[0]} were read as {target[1]}" in c.value for c in app.caption)
    assert charts(app)["confusion"]["layout"]["shapes"]  # the open cell is outlined
    app.selectbox(key=next(s.key for s in app.selectbox if s.key.startswith("cell_true"))).set_value(3).run()
    assert open_cell(app) == (3, target[1])  # a menu still chooses, and the earlier click does not undo it
    assert not app.exception


def canvas_start(at: AppTest) -> list:
    """The strokes the Draw page's canvas was told to start from."""
    return json.loads(at.get("bidi_component")[0].proto.json)["initialDrawing"]["objects"]


def test_the_last_drawing_and_its_answer_come_back_to_the_draw_page_until_cleared(app):
    open_page(app, INSPECT)
    good = Model.create(TrainConfig(hidden=(16,), seed=5)).to_bytes()
    app.file_uploader(key="model_upload").set_value(("class-net.npz", good, "application/octet-stream")).run()
    stroke = {"type": "Path", "path": [["M", 140, 40], ["L", 140, 240]], "stroke": "#FFFFFF"}
    app.session_state[DIGIT_KEY] = a_drawn_one()  # as the Draw page leaves them, before a visit elsewhere
    app.session_state[DRAWING_KEY] = {"objects": [stroke]}
    open_page(app, DRAW)
    assert canvas_start(app) == [stroke]
    assert any("28 × 28 pixels" in c for c in image_captions(app))  # what it sees, and its answer, at once
    assert any('id="predicted-digit"' in m.value for m in app.markdown)
    app.session_state[DRAWING_KEY] = {"objects": [stroke, stroke]}  # a second stroke, sent by the canvas
    app.run()
    assert canvas_start(app) == [stroke]  # unchanged while the canvas stays on screen: no reload, no rerun loop
    app.button(key="clear_canvas").click().run()
    assert not app.exception
    assert canvas_start(app) == [] and DRAWING_KEY not in app.session_state
    assert any("Draw a digit in the black square" in i.value for i in app.info)
    assert not any('id="predicted-digit"' in m.value for m in app.markdown)


def upload(at: AppTest, name: str, seed: int) -> None:
    network = Model.create(TrainConfig(hidden=(16,), seed=seed)).to_bytes()
    at.file_uploader(key="model_upload").set_value((name, network, "application/octet-stream")).run()
    assert not at.exception, at.exception


def kept_runs(at: AppTest) -> list[str]:
    """The session's runs, oldest first, as the Compare page's rename-or-delete menu lists them."""
    open_page(at, COMPARE)
    return at.selectbox(key="manage_run").options[::-1]


def test_past_the_cap_the_oldest_run_not_in_use_makes_room_with_a_notice_once(app, monkeypatch):
    monkeypatch.setattr(ui.state, "MAX_RUNS", 3)
    open_page(app, INSPECT)
    for seed, name in enumerate(("one.npz", "two.npz", "three.npz")):
        upload(app, name, seed)
    app.selectbox(key="inspect_model").select_index(2).run()  # newest first: Inspect and Draw now use one.npz
    upload(app, "four.npz", 3)
    notice = "\n".join(w.value for w in app.warning)
    assert f"**{escape_markdown('two.npz')}** was removed to make room: a session keeps at most 3 runs" in notice  # one.npz is in use
    assert "download a network you want to keep" in notice
    assert kept_runs(app) == ["one.npz", "three.npz", "four.npz"]
    assert not any("removed to make room" in w.value for w in app.warning)  # said once
    open_page(app, INSPECT)
    upload(app, "five.npz", 4)  # four.npz is in use now (the newest upload): one.npz is the oldest to go
    assert any(f"**{escape_markdown('one.npz')}** was removed" in w.value for w in app.warning)
    assert kept_runs(app) == ["three.npz", "four.npz", "five.npz"]


def test_compare_two_then_three_runs_then_rename_and_delete(app):
    train_tiny(app, lr=1e-6)
    train_tiny(app, lr=1e-3)
    open_page(app, COMPARE)
    assert len(app.multiselect(key="compare_runs").value) == 2
    assert len(charts(app)["compare_chart"]["data"]) == 4  # loss and accuracy of each run
    table = app.dataframe[0].value
    assert list(table["lr"]) == [1e-6, 1e-3] and "test accuracy" in table.columns
    train_tiny(app, lr=1.0)
    open_page(app, COMPARE)
    assert len(app.multiselect(key="compare_runs").value) == 3
    assert len(charts(app)["compare_chart"]["data"]) == 6
    assert list(app.dataframe[0].value["lr"]) == [1e-6, 1e-3, 1.0]
    assert len(app.get("download_button")) == 2  # the table and the curves, as CSV

    first = app.multiselect(key="compare_runs").value[0]
    app.selectbox(key="manage_run").set_value(first).run()
    app.text_input(key="rename_to").set_value("too slow").run()
    app.button(key="rename").click().run()
    assert app.dataframe[0].value["run"][0] == "too slow"

    app.selectbox(key="manage_run").set_value(app.multiselect(key="compare_runs").value[2]).run()
    app.button(key="delete").click().run()
    assert not app.exception
    assert len(app.dataframe[0].value) == 2 and any("Deleted" in s.value for s in app.success)
    open_page(app, COMPARE)  # the deleted run (the session's latest) does not come back
    assert len(app.dataframe[0].value) == 2


def settings_in_address(at) -> dict[str, str]:
    """The address's parameters but the workspace's (saved work keeps `w` there too)."""
    return {name: value for name, value in at.query_params.items() if name != WORKSPACE_PARAM}


def test_a_link_sets_up_the_train_page(mnist_dir, monkeypatch):
    at = open_link(mnist_dir, monkeypatch, TRAIN, {"hidden": "64,32", "lr": "0.05", "seed": "7", "classes": "1,9"})
    assert at.text_input(key="setting_hidden").value == "64, 32"
    assert at.number_input(key="setting_lr").value == 0.05
    assert at.number_input(key="setting_seed").value == 7
    assert at.button_group(key="setting_classes").value == [1, 9]
    assert any("Settings loaded from the link" in s.value for s in at.success)
    config = TrainConfig(hidden=(64, 32), lr=0.05, seed=7, classes=(1, 9))
    assert settings_in_address(at) == encode(config)  # the address keeps following the settings
    assert "hidden=64%2C32" in at.code[0].value and "seed=7" in at.code[0].value  # the link to copy
    at.number_input(key="setting_epochs").set_value(2).run()
    assert at.query_params["epochs"] == "2"


def test_bad_link_parameters_fall_back_to_defaults_with_a_note(mnist_dir, monkeypatch):
    at = open_link(mnist_dir, monkeypatch, TRAIN, {"lr": "fast", "hidden": "64", "bogus": "1", "classes": "1,12"})
    note = "\n".join(w.value for w in at.warning)
    assert "could not be used" in note and "lr" in note and "bogus" in note and "classes" in note
    assert at.number_input(key="setting_lr").value == 0.001  # the default
    assert at.button_group(key="setting_classes").value == list(range(10))
    assert at.text_input(key="setting_hidden").value == "64"  # the good part still applies
    assert settings_in_address(at) == {"hidden": "64"}


def test_the_link_applies_once_per_session(mnist_dir, monkeypatch):
    at = open_link(mnist_dir, monkeypatch, HOME, {"lr": "0.02"})
    open_page(at, TRAIN)
    assert at.number_input(key="setting_lr").value == 0.02
    at.number_input(key="setting_lr").set_value(0.005).run()
    open_page(at, HOME)
    open_page(at, TRAIN)
    assert at.number_input(key="setting_lr").value == 0.005


@pytest.mark.parametrize("params, titles, fix, setting, fixed", [
    ({"hidden": "256,128", "init": "normal", "optimizer": "sgd", "lr": "1e-06", "batch_size": "64"},
     ["starting weights are far too large", "learning rate is too small"], 0, "setting_init", "he"),
    ({"optimizer": "sgd", "lr": "5.0"}, ["loss exploded", "ReLUs are dead"], 0, "setting_lr", 0.1),
    ({"activation": "sigmoid", "init": "normal"}, ["sigmoid units are saturated"], 1, "setting_init", "xavier"),
], ids=["notebook-all", "sgd-lr-5", "sigmoid-normal-start"])
def test_a_failing_set_up_gets_its_diagnosis_card_and_the_fix_reruns(mnist_dir, monkeypatch, params, titles, fix,
                                                                     setting, fixed):
    at = open_link(mnist_dir, monkeypatch, TRAIN, {"per_class": "200", "epochs": "1", **params})
    train(at)
    cards = "\n".join(m.value for m in at.markdown)
    for title in titles:
        assert title in cards
    failed = at.session_state[RUN_KEY]
    at.button(key=f"fix_{fix}").click().run()
    assert not at.exception
    widget = at.selectbox(key=setting) if isinstance(fixed, str) else at.number_input(key=setting)
    assert widget.value == fixed
    rerun = at.session_state[RUN_KEY]
    assert rerun is not failed  # the same click started the rerun
    finish(at)
