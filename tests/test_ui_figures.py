"""Figures built from plain data: what a student sees on the charts, checked without a browser."""
import json
import math

import numpy as np
import pytest

from mlp.trainer import EvalPoint, History, TrainPoint
from ui.shared.figures import (LEGEND_LINE, PREDICTED_COLOUR, TITLE_ROOM, log_ticks, needs_log_scale, pixelated,
                        power_label, probability_figure)
from ui.shared.text import escape_html
from ui.train.figures import training_figure


def history(n_train=20, n_held=3, diverged=False):
    train = [TrainPoint(i * 10, i / 10, 2.0 / (i + 1), min(1.0, i / 20), 1e-3) for i in range(1, n_train + 1)]
    if diverged:
        train.append(TrainPoint(999, 2.1, math.inf, 0.1, 1e-3))
    held = [EvalPoint(i * 100, float(i), 1.0 / (i + 1), 0.5 + i / 10) for i in range(n_held)]
    return History(train=train, heldout=held, heldout_name="validation")


def test_training_figure_has_labelled_loss_and_accuracy_panels():
    fig = training_figure(history(), 5, "Run 1")
    names = [t.name for t in fig.data]
    assert names.count("training digits") == 2 and sum("validation" in n for n in names) == 2
    assert [t.mode for t in fig.data] == ["lines", "lines+markers"] * 2
    titles = [a.text for a in fig.layout.annotations]
    assert any("Loss" in t for t in titles) and any("Accuracy" in t for t in titles)
    assert "epochs" in fig.layout.xaxis2.title.text  # the stacked panels share it, written once below
    assert fig.layout.yaxis.title.text == "loss" and fig.layout.yaxis2.title.text == "accuracy"
    assert fig.layout.yaxis2.tickformat == ".0%"
    assert fig.layout.font.size >= 16  # readable from the back of a room


def test_the_legend_has_a_band_of_its_own_above_the_panel_titles():
    legend = training_figure(history(), 5, "Run 1").layout.legend
    assert (legend.orientation, legend.yref, legend.y, legend.yanchor) == ("v", "container", 1, "top")
    assert training_figure(history(), 5, "Run 1").layout.margin.t >= 2 * LEGEND_LINE + TITLE_ROOM  # then the titles


def test_curves_follow_the_history_in_epochs_on_an_axis_fixed_to_the_whole_run():
    h = history(n_train=20, n_held=3)
    fig = training_figure(h, 5, "Run 1")
    train_loss, held_loss, train_acc, held_acc = fig.data
    assert list(train_loss.x) == [p.epoch for p in h.train] and list(train_loss.y) == [p.loss for p in h.train]
    assert list(held_acc.y) == [p.accuracy for p in h.heldout]
    assert fig.layout.xaxis.range[1] >= 5  # the run's end is on screen from the start


def test_an_empty_history_renders_before_the_first_step():
    fig = training_figure(History(), None, "Run 1")
    assert len(fig.data) == 4 and all(len(t.x) == 0 for t in fig.data)
    fig.to_json()


def skeleton(fig) -> dict:
    """The figure without its data points: what must stay the same from one poll to the next."""
    spec = json.loads(fig.to_json())
    for trace in spec["data"]:
        trace.pop("x", None), trace.pop("y", None)
    return spec


def test_each_poll_changes_only_the_points_and_a_zoom_lasts_for_the_whole_run():
    early, late = (training_figure(history(n, n // 10 + 1), 5, "Run 2: lr 0.1") for n in (3, 40))
    assert len(early.data[0].x) < len(late.data[0].x)
    assert skeleton(early) == skeleton(late)  # same traces, axes, ranges: Plotly updates the chart in place
    assert early.layout.uirevision == "Run 2: lr 0.1"  # Plotly keeps the user's zoom while this stays the same
    assert training_figure(history(3, 1), 5, "Run 3").layout.uirevision != "Run 2: lr 0.1"  # a new run: unzoomed


def test_non_finite_losses_become_gaps_not_invalid_json():
    fig = training_figure(history(diverged=True), 3, "Run 1")
    assert fig.data[0].y[-1] is None
    assert "Infinity" not in fig.to_json() and "NaN" not in fig.to_json()


def test_probability_bars_highlight_the_predicted_digit():
    probs = np.full(10, 0.02)
    probs[7] = 0.82
    fig = probability_figure(probs)
    bar = fig.data[0]
    assert list(bar.x) == [str(d) for d in range(10)] and np.allclose(bar.y, probs)
    assert bar.marker.color[7] == PREDICTED_COLOUR and bar.marker.color.count(PREDICTED_COLOUR) == 1
    assert bar.text[7] == "82%"
    assert fig.layout.yaxis.title.text == "probability" and fig.layout.xaxis.title.text == "digit"


def test_probability_figure_rejects_a_wrong_number_of_values():
    with pytest.raises(ValueError, match="10 probabilities"):
        probability_figure([0.5, 0.5])


def test_pixelated_keeps_each_pixel_as_a_sharp_square():
    img = np.zeros((28, 28), dtype=np.float32)
    img[3, 5] = 1.0
    big = pixelated(img, scale=10)
    assert big.shape == (280, 280) and big.dtype == np.uint8
    assert big[35, 55] == 255 and big[36:40, 56:60].min() == 255  # inside the lit pixel
    assert big[45, 65] == 0  # inside a dark one


def losses_history(losses):
    return History(train=[TrainPoint(i, i / 10, loss, 0.1, 1e-3) for i, loss in enumerate(losses, 1)],
                   heldout=[EvalPoint(0, 0.0, losses[0], 0.1)])


def test_loss_axis_turns_logarithmic_when_losses_span_orders_of_magnitude():
    spiky = training_figure(losses_history([2.3, 21000.0, 2.4, 2.3]), 1, "Run 1")
    assert spiky.layout.yaxis.type == "log" and spiky.layout.yaxis.title.text == "loss (log scale)"
    calm = training_figure(losses_history([2.3, 1.0, 0.5, 0.2]), 1, "Run 1")
    assert calm.layout.yaxis.type != "log" and calm.layout.yaxis.title.text == "loss"
    assert not needs_log_scale([float("nan"), 0.0, 5.0]) and needs_log_scale([0.01, 2.0])


def test_a_log_loss_axis_is_labelled_in_plain_numbers_not_si_prefixes():
    axis = training_figure(losses_history([2.3, 21000.0, 0.4, 0.2]), 1, "Run 1").layout.yaxis
    assert axis.tickmode == "array"  # Plotly's own labels would say "10k", "100M", "1T"
    assert list(axis.ticktext) == ["0.1", "1", "10", "100", "1,000", "10,000", "100,000"]
    assert list(axis.tickvals) == [0.1, 1.0, 10.0, 100.0, 1000.0, 10000.0, 100000.0]


def test_powers_of_ten_read_as_plain_numbers_then_as_powers():
    assert [power_label(p) for p in (-3, -1, 0, 3, 6)] == ["0.001", "0.1", "1", "1,000", "1,000,000"]
    assert power_label(12) == "10<sup>12</sup>" and power_label(-4) == "10<sup>-4</sup>"
    values, labels = log_ticks([2.3, 7.6e24])  # an exploded run: 25 powers of ten, every fourth one labelled
    assert labels[0] == "1" and labels[-1] == "10<sup>24</sup>" and len(labels) <= 8
    assert values == [10.0 ** p for p in range(0, 25, 4)]
    assert log_ticks([math.nan, 0.0, -1.0]) == ([], [])
    values, labels = log_ticks([2.3, 250.0])  # a spike of 100 times: 1, 2 and 5 times each power of ten
    assert labels[:7] == ["1", "2", "5", "10", "20", "50", "100"] and values[:3] == [1.0, 2.0, 5.0]
    assert power_label(-5, 2) == "2×10<sup>-5</sup>" and power_label(3, 5) == "5,000"


def test_a_name_is_shown_as_typed_in_a_plotly_label():
    shown = escape_html('<a href="http://x">click</a> & <b>')
    assert shown == '&lt;a href="http://x"&gt;click&lt;/a&gt; &amp; &lt;b&gt;'
