"""The Inspect page's pictures, built from plain arrays and checked without a browser."""
import json

import numpy as np
import pytest

from mlp import activations
from mlp.config import TrainConfig
from ui.inspect.data import clicked_cell
from ui.inspect.figures import (CELL_TARGETS, MIDDLE, activations_figure, class_accuracy_figure, confusion_figure,
                                resting_output, row_rates)
from ui.shared.figures import FONT_SIZE, GAP_RGB, PREDICTED_COLOUR, weight_colours, weight_grid


def counts():
    c = np.zeros((10, 10), dtype=np.int64)
    np.fill_diagonal(c, 90)
    c[3, 5] = 10  # the most frequent mistake: 3 read as 5
    c[4, 9] = 2
    return c


def colour_at(fig, row: int, col: int) -> str:
    """The colour scale's stop a cell's value falls on or just below (the scale's colour for that part)."""
    cells = fig.data[0]
    value = cells.z[row][col]
    return next(colour for stop, colour in cells.colorscale if stop >= value - 1e-9)


def test_confusion_matrix_has_correct_cells_in_green_and_mistakes_in_red_on_their_own_scale():
    fig = confusion_figure(counts(), range(10), range(10))
    cells, _ = fig.data
    assert cells.type == "heatmap" and (cells.zmin, cells.zmax) == (0, 1)
    greens = [c for s, c in cells.colorscale if s >= MIDDLE]
    reds = [c for s, c in cells.colorscale if s < MIDDLE]
    assert colour_at(fig, 3, 3) in greens and colour_at(fig, 3, 5) in reds and colour_at(fig, 0, 1) in reds
    assert colour_at(fig, 3, 5) == reds[-1]  # the worst mistake is the darkest red, however rare (10%)
    assert cells.z[4][9] < cells.z[3][5] < MIDDLE < cells.z[3][3] < cells.z[0][0]  # darker for more
    assert cells.text[3][3] == "90" and cells.text[3][5] == "10" and cells.text[0][1] == ""
    assert list(cells.x) == [str(d) for d in range(10)]
    assert fig.layout.yaxis.range == (9.5, -0.5) and fig.layout.yaxis.title.text == "true digit"  # 0 on top
    assert fig.layout.xaxis.range == (-0.5, 9.5)  # exactly the cells, however large the clickable markers
    assert fig.layout.xaxis.constrain == fig.layout.yaxis.constrain == "domain"  # square cells, axes beside them
    assert fig.layout.xaxis.title.text == "the network's answer"
    assert fig.layout.yaxis.tickfont.size > FONT_SIZE  # digits readable from the back of the room
    assert "NaN" not in fig.to_json()


def test_every_digit_is_labelled_on_both_axes_and_the_cells_text_is_sized_to_fit_them():
    """A phone's chart is about 260 pixels wide: left to itself Plotly labelled every second digit, and the cells'
    text at a fixed 17 pixels ran over the next cell, which was drawn over it ("1122" read ".122")."""
    fig = confusion_figure(counts(), range(10), range(10))
    digits = [str(d) for d in range(10)]
    assert list(fig.layout.xaxis.tickvals) == digits and list(fig.layout.yaxis.tickvals) == digits
    assert fig.layout.xaxis.tickmode == fig.layout.yaxis.tickmode == "array"
    assert fig.data[0].textfont.size is None  # Plotly fits the size to the cells: never above the layout's font
    assert [t.type for t in fig.data].count("heatmap") == 1  # no cell drawn over another cell's text
    few = confusion_figure(counts(), rows=(3, 4), cols=(3, 4, 5, 9))
    assert list(few.layout.xaxis.tickvals) == ["3", "4", "5", "9"] and list(few.layout.yaxis.tickvals) == ["3", "4"]


def test_confusion_matrix_in_rates_says_the_share_of_each_true_digit():
    fig = confusion_figure(counts(), range(10), range(10), show="rates")
    cells, _ = fig.data
    assert cells.text[3][3] == "90%" and cells.text[3][5] == "10%" and cells.text[4][9] == "2%"


def test_every_cell_has_a_clickable_point_at_its_centre_saying_its_numbers():
    fig = confusion_figure(counts(), range(10), range(10))
    cells = fig.data[-1]
    assert cells.type == "scatter" and cells.name == CELL_TARGETS and cells.marker.opacity == 0
    assert fig.data[0].hoverinfo == "skip"  # the heatmaps cannot be clicked: the points answer
    spec = json.loads(fig.to_json())["data"][-1]
    i = spec["y"].index("3") + 5  # row 3, column 5
    assert (spec["x"][i], spec["y"][i]) == ("5", "3") and len(spec["x"]) == 100
    assert spec["customdata"][i] == ["a 3 read as 5", 10, 0.1]
    assert spec["customdata"][spec["x"].index("7") + 70] == ["a 7 read correctly", 90, 1.0]
    assert fig.layout.hovermode == "closest" and fig.layout.hoverdistance == -1  # the nearest centre: the cell


def test_a_click_on_a_cell_opens_that_cell():
    def clicked(*points):
        return {"selection": {"points": list(points), "point_indices": [], "box": [], "lasso": []}}

    classes, answers = (1, 9), (1, 4, 9)
    assert clicked_cell(clicked({"x": "4", "y": "9", "curve_number": 2, "point_index": 4}), classes, answers) == (9, 4)
    assert clicked_cell(clicked({"x": "4", "y": "9"}, {"x": "1", "y": "1"}), classes, answers) == (1, 1)  # latest
    assert clicked_cell(clicked({"x": "4", "y": "4"}), classes, answers) is None  # not a row of this matrix
    assert clicked_cell(clicked({"x": 0.4, "y": "n"}), classes, answers) is None
    assert clicked_cell(clicked(), classes, answers) is None  # a click on a chosen cell takes the choice back
    assert clicked_cell(None, classes, answers) is None


def test_the_open_cell_is_outlined():
    assert not confusion_figure(counts(), range(10), range(10)).layout.shapes
    outline, = confusion_figure(counts(), range(10), range(10), chosen=(3, 5)).layout.shapes
    assert (outline.x0, outline.x1, outline.y0, outline.y1) == (4.5, 5.5, 2.5, 3.5)
    few = confusion_figure(counts(), rows=(3, 4), cols=(3, 4, 5, 9), chosen=(4, 9)).layout.shapes[0]
    assert (few.x0, few.y0) == (2.5, 0.5)  # positions among the cells shown, not digits


def test_confusion_matrix_of_a_few_classes_shows_only_those_rows():
    c = np.zeros((10, 10), dtype=np.int64)
    c[1, 1], c[9, 9], c[9, 4] = 50, 40, 10
    fig = confusion_figure(c, rows=(1, 9), cols=(1, 4, 9))
    assert list(fig.data[0].y) == ["1", "9"] and list(fig.data[0].x) == ["1", "4", "9"]
    assert fig.data[0].text[1][1] == "10" and colour_at(fig, 1, 1) == "#c0181f"  # a 9 read as 4: the worst mistake


def test_row_rates_leave_an_empty_row_at_zero():
    c = counts()
    c[7] = 0
    rates = row_rates(c)
    assert rates[7].sum() == 0 and np.isclose(rates[3].sum(), 1.0)


def test_class_accuracy_bars_mark_the_weakest_digit():
    fig = class_accuracy_figure(counts(), range(10))
    bar = fig.data[0]
    assert list(bar.y) == [str(d) for d in range(10)] and bar.orientation == "h"
    assert np.isclose(bar.x[3], 0.9) and bar.x[0] == 1.0
    assert bar.marker.color[3] == PREDICTED_COLOUR and bar.marker.color.count(PREDICTED_COLOUR) == 1
    assert bar.text[3] == "90.0%" and fig.layout.xaxis.tickformat == ".0%"


def test_weight_colours_run_from_red_through_white_to_blue():
    rgb = weight_colours(np.array([-1.0, 0.0, 1.0, 5.0]))
    red, white, blue, clipped = rgb
    assert red[0] > 150 and red[2] < 60
    assert white.min() > 240
    assert blue[2] > 150 and blue[0] < 60
    assert (clipped == blue).all() and rgb.dtype == np.uint8


def test_weight_grid_lays_units_out_in_rows_with_lines_between():
    images = np.zeros((5, 28, 28), np.float32)
    images[4] = 1.0  # the fifth unit: all blue
    grid = weight_grid(images, columns=3)
    assert grid.shape == (2 * 29 - 1, 3 * 29 - 1, 3)
    assert tuple(grid[28, 0]) == GAP_RGB and tuple(grid[0, 28]) == GAP_RGB  # the lines
    assert (grid[29:57, 29:57] == weight_colours(np.float32(1.0))).all()  # unit 5: row 2, column 2
    assert tuple(grid[40, 70]) == GAP_RGB  # no sixth unit: the empty place stays dark
    assert weight_grid(images[:2], columns=16).shape[1] == 2 * 29 - 1  # never wider than the units


def test_activations_have_one_panel_per_layer_then_the_answer():
    hidden = [np.array([0.0, 2.0, 0.0, 1.5]), np.array([0.3, 0.0])]
    probs = np.full(10, 0.01)
    probs[7] = 0.91
    fig = activations_figure(hidden, probs, TrainConfig(activation="relu"))
    titles = [a.text for a in fig.layout.annotations]
    assert len(fig.data) == 3 and len(titles) == 3
    assert "Hidden layer 1" in titles[0] and "2 active" in titles[0] and "units 1 to 4" in titles[0]
    assert "1 active" in titles[1]
    assert "answers 7" in titles[2] and "91%" in titles[2]
    assert list(fig.data[0].y) == [0.0, 2.0, 0.0, 1.5]
    assert fig.data[2].marker.color[7] == PREDICTED_COLOUR
    sigmoid = activations_figure([np.array([0.2, 0.7, 0.9])], probs, TrainConfig(activation="sigmoid"))
    assert "2 active" in sigmoid.layout.annotations[0].text  # above 0.5 for a sigmoid


@pytest.mark.parametrize("name", activations.NAMES)
def test_a_unit_counts_as_active_above_its_output_for_no_input(name):
    expected = {"sigmoid": 0.5}.get(name, 0.0)  # sigmoid(0) = 1/2; relu, leaky relu and tanh give 0
    assert resting_output(TrainConfig(activation=name)) == pytest.approx(expected)
