"""The network diagram's pure parts: which units are drawn, the strongest connections, clicks, what a unit likes."""
import json

import numpy as np

from mlp import TrainConfig
from mlp.model import Model
from mlp.teaching.diagram import EDGES_PER_UNIT, MOST_UNITS, build
from ui.notebook.diagram import incoming_picture, strongest_digits
from ui.shared.diagram import NEGATIVE, POSITIVE, clicked_unit, column_title, diagram_figure, diagram_figure_data


def network():
    return Model.create(TrainConfig(hidden=(32, 12), seed=1)).network


def digit():
    image = np.zeros(784, np.float32)
    image[[100, 200, 300, 400, 500]] = [0.2, 1.0, 0.6, 0.9, 0.4]
    return image


def test_large_layers_are_sampled_by_activity_and_say_so():
    net, image = network(), digit()
    d = build(net, image)
    assert d.digits == 1 and [u.shape[1] for u in d.units] == [MOST_UNITS, MOST_UNITS, 12, 10]
    assert {100, 200, 300, 400, 500} <= set(d.units[0][0].tolist())  # the inked pixels are drawn
    hidden = net.forward(image[None]).hidden[0][0]
    assert set(d.units[1][0].tolist()) == set(np.argsort(-hidden, kind="stable")[:MOST_UNITS].tolist())
    np.testing.assert_allclose(d.values[1][0], hidden[d.units[1][0]])  # each drawn unit's own value
    assert column_title(d, 0) == "input: 16 of 784<br>brightest pixels"
    assert column_title(d, 1) == "hidden 1: 16 of 32<br>most active units"
    assert column_title(d, 2) == "hidden 2: all 12 units" and column_title(d, 3) == "output: the 10 digits"
    np.testing.assert_allclose(d.values[-1].sum(), 1.0, rtol=1e-5)  # the output column is the probabilities


def test_each_drawn_unit_keeps_its_strongest_incoming_connections():
    net, image = network(), digit()
    d = build(net, image)
    below, above = d.units[1][0], d.units[2][0]
    contribution = d.values[1][0][:, None] * net.weights[1][np.ix_(below, above)]
    for target in range(len(above)):
        expected = np.argsort(-np.abs(contribution[:, target]), kind="stable")[:EDGES_PER_UNIT]
        assert d.sources[1][0, target].tolist() == expected.tolist()
        kept = contribution[expected, target] / np.abs(contribution).max() * 127
        np.testing.assert_allclose(d.strengths[1][0, target], kept, atol=0.51)  # signed, as a share of the largest
    assert np.abs(d.strengths[1]).max() == 127


def test_several_digits_at_once_are_each_their_own_diagram():
    net, images = network(), np.random.default_rng(2).random((3, 784), dtype=np.float32)
    together = build(net, images)
    for i in range(3):
        alone = build(net, images[i])
        for a, b in zip((*together.units, *together.sources, *together.strengths),
                        (*alone.units, *alone.sources, *alone.strengths)):
            assert (a[i] == b[0]).all()


def test_the_figure_draws_every_unit_and_connection():
    net = network()
    d = build(net, digit())
    fig = diagram_figure(d)
    lines = [t for t in fig.data if t.mode == "lines"]
    assert {t.line.color for t in lines} <= {POSITIVE, NEGATIVE}
    segments = sum(len(t.x) // 3 for t in lines)  # x, x, None per segment
    assert segments == EDGES_PER_UNIT * sum(u.shape[1] for u in d.units[1:])
    nodes = [t for t in fig.data if t.mode == "markers+text"]
    assert [len(t.x) for t in nodes] == [u.shape[1] for u in d.units]
    assert list(nodes[3].customdata[2][:2]) == [3, 2]  # layer, unit: what a click returns


def test_a_diverged_network_still_draws():
    net = network()
    net.params[:] = np.nan
    d = build(net, digit())
    json.dumps(diagram_figure_data(d), allow_nan=False)  # the live chart's JSON.parse takes no NaN
    fig = diagram_figure(d)
    assert all(0 <= c <= 1 for t in fig.data if t.mode == "markers+text" for c in t.marker.color)


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
