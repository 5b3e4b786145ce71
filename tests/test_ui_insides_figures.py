"""The Train page's live insides as figures, checked without a browser: from real snapshots of real networks."""
import base64
import io
import json

import numpy as np
import plotly.graph_objects as go
import pytest
from conftest import synthetic_split
from PIL import Image

from mlp import TrainConfig
from mlp.model import Model
from mlp.teaching.insides import Camera
from ui.shared.figures import png_address
from ui.train.insides_figures import (
    GOOD_COLOUR,
    HEALTHY,
    ROW,
    STUCK_COLOUR,
    health_figure_data,
    layer_names,
    probe_names,
    probes_figure_data,
    stuck_words,
    verdict,
)


@pytest.fixture(scope="module")
def split():
    return synthetic_split(n=300)


def shots(split, drawing=None, **settings):
    """Two snapshots of a network: at the start, and after its first layer moved by 1% in 10 steps."""
    net = Model.create(TrainConfig(**{"hidden": (32, 16), "seed": 2, **settings})).network
    camera = Camera.for_split(split, range(10), drawing)
    first = camera.look(net, 0, 0.0)
    net.weights[0] *= 1.01
    return first, camera.look(net, 10, 0.1)


def test_a_picture_travels_as_a_png_data_address():
    image = np.arange(12, dtype=np.uint8).reshape(3, 4)
    address = png_address(image)
    assert address.startswith("data:image/png;base64,")
    decoded = np.asarray(Image.open(io.BytesIO(base64.b64decode(address.split(",", 1)[1]))))
    assert (decoded == image).all()


def test_each_probe_is_a_row_with_its_answer_outlined(split):
    drawing = np.zeros(784, np.float32)
    _, shot = shots(split, drawing)
    data = probes_figure_data(shot)
    go.Figure(data)  # valid Plotly
    heat = data["data"][0]
    assert len(heat["z"]) == 11 and all(len(row) == 10 for row in heat["z"])
    assert heat["y"] == [ROW * i + ROW / 2 for i in range(11)]  # rows line up with the digits' picture
    outlines = data["layout"]["shapes"]
    assert [int(s["x0"] + 0.5) for s in outlines] == shot.answers.tolist()
    marks = [a["text"] for a in data["layout"]["annotations"]]
    assert marks[-1] == "?" and marks[:10] == ["✓" if a == d else "✗" for d, a in enumerate(shot.answers[:10])]
    assert probe_names(shot)[-1] == "your drawing" and probe_names(shot)[3] == "a 3"
    assert verdict(shot) in data["layout"]["title"]["text"] and verdict(shot).endswith("of 10 probe digits read right")
    picture = data["layout"]["images"][0]
    assert picture["source"].startswith("data:image/png") and picture["sizey"] == ROW * 11


def test_the_health_bars_say_what_cannot_learn_and_how_far_each_step_moves(split):
    first, later = shots(split)
    data = health_figure_data(later, "relu")
    go.Figure(data)
    stuck, change = data["data"]
    assert stuck["y"] == layer_names(later) == ["hidden 1", "hidden 2", "output"]
    assert stuck["x"] == [layer.dead + layer.saturated for layer in later.layers]
    assert change["x"][0] == pytest.approx(1e-3, rel=1e-2) and change["x"][1:] == [None, None]  # the others: still
    assert change["marker"]["color"][0] == GOOD_COLOUR  # 1e-3 is healthy
    assert data["layout"]["shapes"][0]["x0"] == HEALTHY[0]
    assert all(x is None for x in health_figure_data(first, "relu")["data"][1]["x"])  # nothing to compare yet


def test_a_saturated_start_is_red(split):
    _, shot = shots(split, activation="sigmoid", init="normal", init_std=1.0)
    stuck = health_figure_data(shot, "sigmoid")["data"][0]
    assert stuck["marker"]["color"][0] == STUCK_COLOUR and "saturated" in stuck["customdata"][0]


def test_a_diverged_network_still_draws(split):
    _, shot = shots(split)
    net = Model.create(TrainConfig(hidden=(32, 16))).network
    net.params[:] = np.inf
    broken = Camera.for_split(split, range(10)).look(net, 5, 0.1)
    for data in (probes_figure_data(broken), health_figure_data(broken, "relu")):
        go.Figure(data)
        json.dumps(data, allow_nan=False)  # the browser's JSON.parse takes no NaN or Infinity


def test_stuck_is_named_after_the_activation():
    assert stuck_words("relu").startswith("dead") and stuck_words("tanh").startswith("saturated")
    assert "neither" in stuck_words("leaky-relu")
