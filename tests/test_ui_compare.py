"""Runs side by side: the overlay figure, the table of settings and results, and the CSV files."""
import csv
import io
import math

from mlp.config import TrainConfig
from mlp.teaching.diagnosis import Finding
from mlp.trainer import EvalPoint, History, TrainPoint
from training.record import Run
from ui.compare.data import default_selection, difference_words, differing_settings, histories_csv, runs_csv, runs_table
from ui.shared.curves import RUN_COLOURS, compare_figure, loss_spread_is_wide
from ui.shared.figures import LEGEND_LINE


def run(name, lr=1e-3, losses=(2.3, 1.0, 0.5), accuracy=0.9, findings=()):
    train = [TrainPoint(10 * (i + 1), (i + 1) / len(losses), loss, 0.5, lr) for i, loss in enumerate(losses)]
    held = [EvalPoint(0, 0.0, 2.4, 0.1), EvalPoint(30, 1.0, losses[-1], accuracy)]
    return Run(name=name, config=TrainConfig(lr=lr), history=History(train, held), status="finished", reason="",
               model=None, test_accuracy=accuracy, test_loss=losses[-1], seconds=3.2, epochs=1.0,
               findings=list(findings))


def test_each_run_has_its_colour_in_both_panels():
    runs = [run("slow", 1e-6), run("good"), run("wild", 1.0)]
    fig = compare_figure(runs)
    assert len(fig.data) == 6  # loss and accuracy for each run
    names = [t.name for t in fig.data]
    assert names == ["slow", "slow", "good", "good", "wild", "wild"]
    assert [t.showlegend for t in fig.data] == [True, False] * 3  # one legend entry per run
    assert [fig.data[i].line.color for i in (0, 2, 4)] == list(RUN_COLOURS[:3])
    assert list(fig.data[1].y) == [0.1, 0.9]  # held-out accuracy by default
    assert fig.layout.yaxis2.tickformat == ".0%" and "epochs" in fig.layout.xaxis2.title.text


def look(trace) -> tuple:
    return trace.line.color, trace.line.dash, trace.line.width, trace.marker.symbol


def test_runs_with_identical_curves_are_still_told_apart():
    twins = [run("Run 1: lr 0.001"), run("Run 2: lr 0.001"), run("Run 3: lr 0.001")]
    fig = compare_figure(twins)
    loss = fig.data[0::2]
    assert [t.y for t in loss] == [loss[0].y] * 3  # exactly on top of each other
    assert len({look(t) for t in loss}) == 3  # colour, dash, width and marker all differ
    assert len({t.line.dash for t in loss}) == 3 and len({t.marker.symbol for t in loss}) == 3  # in grey too
    assert loss[0].line.width > loss[1].line.width > loss[2].line.width  # the lower one shows around the upper
    assert [t.name for t in loss] == [r.name for r in twins] and all(t.showlegend for t in loss)
    assert fig.layout.hovermode == "x unified"  # the hover lists every run at that epoch, not the top one only
    assert all("%{fullData.name}" in t.hovertemplate for t in fig.data)  # each line of it names its run
    fig.to_json()


def test_a_run_name_is_shown_as_typed_not_as_markup():
    fig = compare_figure([run('<a href="http://evil">x</a>')])
    assert fig.data[0].name == '&lt;a href="http://evil"&gt;x&lt;/a&gt;'


def test_the_legend_lists_one_run_per_line_in_a_band_that_grows_with_the_runs():
    one, ten = compare_figure([run("a")]), compare_figure([run(f"Run {i}: a long name, lr 1e-06") for i in range(10)])
    assert ten.layout.legend.orientation == "v" and ten.layout.legend.yref == "container"  # never wraps
    assert ten.layout.margin.t - one.layout.margin.t == 9 * LEGEND_LINE  # room above the panels' titles
    assert ten.layout.height - ten.layout.margin.t == one.layout.height - one.layout.margin.t  # panels keep their size


def test_training_curves_and_a_log_loss_axis_on_request():
    fig = compare_figure([run("a", losses=(2.3, math.nan, 0.4))], curve="training", log_loss=True)
    assert list(fig.data[0].y) == [2.3, None, 0.4]  # a diverged point is a gap, not invalid JSON
    assert fig.layout.yaxis.type == "log" and fig.layout.yaxis.title.text == "loss (log scale)"
    assert list(fig.layout.yaxis.ticktext)[:4] == ["0.1", "0.2", "0.5", "1"]  # plain numbers, not Plotly's "100m"
    assert "NaN" not in fig.to_json()


def test_a_log_scale_is_suggested_when_losses_are_far_apart():
    assert not loss_spread_is_wide([run("a"), run("b")])
    assert loss_spread_is_wide([run("a"), run("b", losses=(2.3, 5000.0, 3000.0))], curve="training")


def test_the_newest_three_runs_with_curves_are_chosen_first():
    runs = [run(str(i)) for i in range(5)]
    runs[4].history = History()  # an uploaded network: nothing to draw
    assert default_selection(runs) == [runs[1].uid, runs[2].uid, runs[3].uid]


def test_the_table_shows_results_and_only_the_settings_that_differ():
    runs = [run("slow", 1e-6, findings=[Finding("lr-too-small", "Too small", "...")]), run("good")]
    assert differing_settings(runs) == ["lr"]
    rows = runs_table(runs)
    assert [r["run"] for r in rows] == ["slow", "good"] and rows[0]["lr"] == 1e-6
    assert rows[0]["what went wrong"] == "Too small" and rows[1]["what went wrong"] == ""
    assert rows[1]["test accuracy"] == 0.9 and "hidden" not in rows[0]
    assert "hidden" in runs_table([run("alone")])[0]  # nothing differs: the key settings


def test_what_differs_comes_first_and_what_went_wrong_last():
    """A long "what went wrong" before the settings pushed them off the right of the table, on a phone at once."""
    slow = run("slow", 1e-6, findings=[Finding("lr-too-small", "The learning rate is too small: the loss barely "
                                                                "moved", "...")])
    columns = list(runs_table([slow, run("good")])[0])
    assert columns[:3] == ["run", "lr", "test accuracy"]
    assert columns[-1] == "what went wrong" and "status" in columns
    assert list(runs_table([run("alone")])[0])[1:7] == ["hidden", "activation", "init", "optimizer", "lr", "epochs"]


def test_a_line_above_the_table_names_the_settings_that_differ():
    fast = run("fast", 0.1)
    fast.config = TrainConfig(lr=0.1, optimizer="sgd")
    assert difference_words([run("slow", 1e-6), run("good")]) == "These runs differ in lr: the first columns of the table."
    assert difference_words([run("slow", 1e-6), fast]) == ("These runs differ in optimizer and lr: the first columns "
                                                           "of the table.")
    assert difference_words([run("a"), run("b")]) == "These runs have the same settings."
    assert difference_words([run("alone")]) == ""


def test_the_csv_table_has_every_setting_of_every_run():
    text = runs_csv([run("slow", 1e-6), run("good")])
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["run"] for r in rows] == ["slow", "good"]
    assert rows[0]["lr"] == "1e-06" and rows[0]["hidden"] == "256, 128" and rows[0]["classes"].startswith("0, 1")
    assert rows[0]["per_class"] == "all" and rows[1]["test accuracy"] == "0.9"


def test_the_curves_csv_has_every_logged_point():
    rows = list(csv.DictReader(io.StringIO(histories_csv([run("a"), run("b", losses=(2.0, 1.0))]))))
    assert len(rows) == (3 + 2) + (2 + 2)
    assert {r["curve"] for r in rows} == {"training", "validation"}
    first = rows[0]
    assert first["run"] == "a" and first["step"] == "10" and float(first["loss"]) == 2.3
    assert next(r for r in rows if r["curve"] == "validation")["learning rate"] == ""
