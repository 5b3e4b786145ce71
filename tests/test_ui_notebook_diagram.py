"""The network diagram's pure parts: which units are drawn, the strongest connections, clicks, what a unit likes."""
import numpy as np

from mlp import TrainConfig
from mlp.model import Model
from ui.notebook.diagram import (EDGES_PER_UNIT, MOST_UNITS, NEGATIVE, POSITIVE, build, clicked_unit, column_title,
                                 diagram_figure, incoming_picture, strongest_digits)


def network():
    return Model.create(TrainConfig(hidden=(32, 12), seed=1)).network


def digit():
    image = np.zeros(784, np.float32)
    image[[100, 200, 300, 400, 500]] = [0.2, 1.0, 0.6, 0.9, 0.4]
    return image


def test_large_layers_are_sampled_by_activity_and_say_so():
    net, image = network(), digit()
    d = build(net, image)
    assert [len(u) for u in d.units] == [MOST_UNITS, MOST_UNITS, 12, 10]
    assert {100, 200, 300, 400, 500} <= set(d.units[0].tolist())  # the inked pixels are drawn
    hidden = net.forward(image[None]).hidden[0][0]
    assert set(d.units[1].tolist()) == set(np.argsort(-hidden, kind="stable")[:MOST_UNITS].tolist())
    assert column_title(d, 0) == "input: 16 of 784<br>brightest pixels"
    assert column_title(d, 1) == "hidden 1: 16 of 32<br>most active units"
    assert column_title(d, 2) == "hidden 2: all 12 units" and column_title(d, 3) == "output: the 10 digits"
    np.testing.assert_allclose(d.values[-1].sum(), 1.0, rtol=1e-5)  # the output column is the probabilities


def test_each_drawn_unit_gets_its_strongest_incoming_connections():
    net = network()
    d = build(net, digit())
    fig = diagram_figure(d, net)
    lines = [t for t in fig.data if t.mode == "lines"]
    assert {t.line.color for t in lines} <= {POSITIVE, NEGATIVE}
    segments = sum(len(t.x) // 3 for t in lines)  # x, x, None per segment
    assert segments == EDGES_PER_UNIT * sum(len(u) for u in d.units[1:])
    nodes = [t for t in fig.data if t.mode == "markers+text"]
    assert [len(t.x) for t in nodes] == [len(u) for u in d.units]
    assert list(nodes[3].customdata[2][:2]) == [3, 2]  # layer, unit: what a click returns


def test_a_click_on_a_unit_is_read_from_the_chart_selection():
    selection = {"selection": {"points": [{"customdata": [1, 7, 0.3]}, {"customdata": [2, 5, 0.1]}]}}
    assert clicked_unit(selection) == (2, 5)
    assert clicked_unit({"selection": {"points": [{"x": 1}]}}) is None and clicked_unit(None) is None


def test_what_a_unit_looks_at_and_responds_to():
    net = network()
    picture = incoming_picture(net, 3)
    assert picture.shape == (28, 28, 3) and picture.dtype == np.uint8
    images = np.random.default_rng(0).random((50, 784), dtype=np.float32)
    found = strongest_digits(net, images, 1, 4, k=5)
    values = net.forward(images).hidden[0][:, 4]
    assert values[found].tolist() == sorted(values, reverse=True)[:5]
    logits = net.forward(images).logits[:, 9]
    assert strongest_digits(net, images, 3, 9, k=1)[0] == logits.argmax()  # the output layer: its logit
