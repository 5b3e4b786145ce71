"""The class board's data (ui/board/data.py, pure): rows with the counts behind each share, the best run, the
setting-vs-accuracy chart (a colour and a label per student, runs at one setting side by side, the accuracy axis
from the points shown), the figure cache's key, overlays, and the teacher's live list of who is doing what."""
from __future__ import annotations

import math

import pytest

from mlp.config import TrainConfig
from store import Member, Post, StoredRun
from ui.board import panel
from ui.board.data import (FINISHED, NOT_STARTED, STUCK, TRAINING, WAITING, accuracy_range, best, board_rows,
                           figure_key, member_rows, member_state, member_summary, overlay_runs, setting_figure,
                           share_text, spread, digits_tested)
from ui.saving.classes import GONE


def post(n: int, nickname: str, accuracy: float | None, **settings) -> Post:
    config = TrainConfig(**settings).to_dict()
    return Post(n, nickname, False, StoredRun(name=f"Run {n}", config=config, status="finished",
                                              test_accuracy=accuracy, seconds=3.21, id=100 + n))


POSTS = [post(1, "Ana", 0.90, lr=1e-4), post(2, "<b>Ben</b>", 0.97, lr=1e-2), post(3, "Cy", None, lr=1.0),
         Post(4, "Old", False, StoredRun(name="Run 4", config={"no_such_setting": 1}, status="finished",
                                         test_accuracy=0.99))]


def test_rows_are_newest_first_and_skip_what_cannot_be_read():
    rows = board_rows(POSTS)
    assert [r["student"] for r in rows] == ["Cy", "<b>Ben</b>", "Ana"]
    assert rows[1]["settings"].startswith("lr") and rows[1]["seconds"] == 3.2


def test_the_run_column_leaves_out_the_settings_the_app_named_it_after():
    named = [Post(n, "Ana", False, StoredRun(name=name, config=TrainConfig(lr=1e-2).to_dict(), status="finished",
                                             test_accuracy=0.9))
             for n, name in enumerate(["Run 3: lr 0.01", "Run 4: quick model", "My best: lr 0.01", "Run 5"])]
    assert [r["run"] for r in board_rows(named)] == ["Run 5", "My best: lr 0.01", "Run 4: quick model", "Run 3"]
    assert board_rows(named)[-1]["settings"] == "lr 0.01"


def test_the_class_handwriting_column_appears_once_there_are_drawings_with_the_count_beside_each_share():
    rows = board_rows(POSTS[:3], {101: (2, 2, "all"), 102: (0, 0, "held-out writers' drawings")})
    assert [(r["student"], r["class handwriting"], r["scored on"]) for r in rows] == [
        ("Cy", None, "all"), ("<b>Ben</b>", None, "held-out writers' drawings"),
        ("Ana", "100% (2 of 2 drawings)", "all")]
    assert list(rows[0]) == ["student", "run", "settings", "test accuracy", "class handwriting", "scored on",
                             "seconds", "status"]
    assert "class handwriting" not in board_rows(POSTS[:2], {})[0]


def test_a_share_says_what_it_rests_on():
    assert share_text(3, 4, "drawings") == "75% (3 of 4 drawings)"
    assert share_text(1234, 2000, "digits") == "62% (1,234 of 2,000 digits)"
    assert share_text(0, 0, "drawings") == ""


def test_the_test_digits_beside_the_test_accuracy_are_those_of_the_runs_classes():
    per_digit = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]  # MNIST's test set
    two = post(5, "Di", 0.99, classes=(0, 1))
    rows = board_rows([POSTS[0], two], per_digit=per_digit)
    assert [(r["student"], r["test digits"]) for r in rows] == [("Di", 980 + 1135), ("Ana", sum(per_digit))]
    assert list(rows[0])[3:5] == ["test accuracy", "test digits"]
    assert digits_tested(TrainConfig(classes=(3,)), per_digit) == 1010


def test_the_best_run_has_the_highest_test_accuracy():
    assert best(POSTS).nickname == "Old" and best(POSTS[:3]).nickname == "<b>Ben</b>" and best([]) is None


def test_the_learning_rate_goes_on_a_log_axis_and_names_are_escaped():
    figure = setting_figure(POSTS, "lr")
    assert figure.layout.xaxis.type == "log" and [list(t.x) for t in figure.data] == [[1e-4], [1e-2]]
    ben = figure.data[1]
    assert ben.name == "&lt;b&gt;Ben&lt;/b&gt;" and list(ben.text) == [ben.name]
    assert ben.customdata[0][0] == "&lt;b&gt;Ben&lt;/b&gt;: Run 2" and "<b>" not in ben.hovertemplate


def test_a_named_setting_is_one_tick_per_value():
    posts = [post(1, "Ana", 0.9, optimizer="sgd"), post(2, "Ben", 0.95, optimizer="adam")]
    figure = setting_figure(posts, "optimizer")
    assert list(figure.layout.xaxis.ticktext) == ["sgd", "adam"] and list(figure.layout.xaxis.tickvals) == [0, 1]
    assert [list(t.x) for t in figure.data] == [[0], [1]]
    hidden = setting_figure(posts, "hidden")
    assert list(hidden.layout.xaxis.ticktext) == ["256-128"]


def test_two_students_at_the_same_learning_rate_are_two_named_points_side_by_side():
    posts = [post(1, "Ana", 0.95, lr=1e-2), post(2, "Ben", 0.95, lr=1e-2), post(3, "Cy", 0.90, lr=1e-3)]
    figure = setting_figure(posts, "lr")
    assert [t.name for t in figure.data] == ["Ana", "Ben", "Cy"] and figure.layout.showlegend
    assert [list(t.text) for t in figure.data] == [["Ana"], ["Ben"], ["Cy"]]  # each point named beside it
    (ana,), (ben,), (cy,) = (t.x for t in figure.data)
    assert ana < 1e-2 < ben and cy == 1e-3  # apart, around the true value; a lone run stays on it
    assert math.log10(ben) - math.log10(ana) <= 0.1  # read as their own setting: the next one is a decade away
    assert [tuple(t.textposition) for t in figure.data[:2]] == [("top center",), ("bottom center",)]
    assert figure.data[0].marker.color != figure.data[1].marker.color
    assert [t.customdata[0][1] for t in figure.data] == ["0.01", "0.01", "0.001"]  # hover says the true value
    assert list(figure.layout.xaxis.tickvals) == [1e-3, 1e-2]  # a tick under each setting tried, the pair around it
    assert list(figure.layout.xaxis.ticktext) == ["0.001", "0.01"]


def test_points_at_one_setting_are_spread_evenly_around_it_in_units_of_the_gap_between_settings():
    assert spread([0, 0, 1], unit=1) == pytest.approx([-0.04, 0.04, 0.0])
    assert spread([5, 5, 5], unit=2) == pytest.approx([-0.16, 0.0, 0.16])
    crowd = spread([0] * 30, unit=1)  # a whole class at one learning rate: within half the gap to the next
    assert max(crowd) - min(crowd) == pytest.approx(0.5) and len(set(crowd)) == 30
    assert spread([], unit=1) == []


@pytest.mark.parametrize("accuracies, axis", [([0.97, 0.98], (0.9, 1.0)), ([0.955, 0.97, 0.98], (0.9, 1.0)),
                                              ([0.91], (0.8, 1.0)), ([0.65, 0.98], (0.6, 1.0)),
                                              ([0.11, 0.98], (0.0, 1.0)), ([], (0.0, 1.0)), ([1.0], (0.9, 1.0))])
def test_the_accuracy_axis_starts_on_the_10_percent_step_below_the_lowest_point_shown(accuracies, axis):
    assert accuracy_range(accuracies) == pytest.approx(axis)


def test_a_hidden_run_does_not_set_the_accuracy_axis():
    shown = [post(1, "Ana", 0.97, lr=1e-2), post(2, "Ben", 0.98, lr=1e-3)]
    diverged = post(3, "Cy", 0.098, lr=10.0)
    assert list(setting_figure([*shown, diverged], "lr").layout.yaxis.range) == [0.0, 1.0]
    figure = setting_figure(shown, "lr")  # the teacher hid Cy's run: the board reads without it
    assert list(figure.layout.yaxis.range) == pytest.approx([0.9, 1.0])
    assert figure.layout.yaxis.title.text == "test accuracy (axis from 90%)"  # said, since it does not start at 0


def test_the_figure_cache_key_changes_with_a_renamed_run_or_student():
    key = figure_key(POSTS, "lr")
    renamed = [Post(1, "Ana", False, StoredRun(**{**POSTS[0].run.__dict__, "name": "My best"}))] + POSTS[1:]
    rejoined = [Post(1, "Anna", False, POSTS[0].run)] + POSTS[1:]
    assert figure_key(renamed, "lr") != key and figure_key(rejoined, "lr") != key
    assert figure_key(list(POSTS), "lr") == key and figure_key(POSTS, "epochs") != key


def test_the_boards_cached_figure_hovers_the_current_name_after_a_rename():
    before = panel._sweep_figure(POSTS, "lr")
    assert before.data[0].customdata[0][0] == "Ana: Run 1"
    renamed = [Post(1, "Ana", False, StoredRun(**{**POSTS[0].run.__dict__, "name": "My best"}))] + POSTS[1:]
    assert panel._sweep_figure(renamed, "lr").data[0].customdata[0][0] == "Ana: My best"


def test_overlaid_runs_carry_their_curves_and_their_student():
    curves = {101: {"train": [[1, 0.1, 2.0, 0.5, 0.001]], "heldout": [[1, 0.1, 1.9, 0.6]]}}
    [ana, ben] = overlay_runs(POSTS[:2], curves)
    assert ana.name == "Ana: Run 1" and len(ana.history.heldout) == 1 and ben.history.train == []


def member(nickname: str, status: str | None, accuracy: float | None = None, runs: int = 1, **settings) -> Member:
    last = None if status is None else StoredRun(name="Run 2", config=TrainConfig(**settings).to_dict(),
                                                  status=status, test_accuracy=accuracy, id=7)
    return Member(nickname, runs if last else 0, accuracy, last, 0.0 if last else None)


@pytest.mark.parametrize("one, phase, state, words", [
    (member("Ana", None), None, NOT_STARTED, "joined, no run yet"),
    (member("Ana", "running"), None, TRAINING, "Run 2: training"),  # in another process: the store says running
    (member("Ana", "running"), "running", TRAINING, "Run 2: training"),
    (member("Ana", "running"), "queued", WAITING, "Run 2: waiting in line for the server"),
    (member("Ana", "running"), GONE, STUCK, "Run 2: lost (the server stopped)"),
    (member("Ana", "finished", 0.97), None, FINISHED, "Run 2: 97.0%"),
    (member("Ana", "finished", 0.098), None, STUCK, "Run 2: 9.8%, no better than guessing"),
    (member("Ana", "finished", 0.52, classes=(3, 8)), None, STUCK, "Run 2: 52.0%, no better than guessing"),
    (member("Ana", "finished", 0.9, classes=(3, 8)), None, FINISHED, "Run 2: 90.0%"),
    (member("Ana", "failed"), None, STUCK, "Run 2: failed"),
    (member("Ana", "interrupted"), None, STUCK, "Run 2: interrupted"),
])
def test_what_a_member_is_doing_comes_from_their_newest_run_and_the_training_service(one, phase, state, words):
    assert member_state(one, phase) == (state, words)


def test_the_live_list_counts_each_state_and_names_who_is_stuck():
    found = [(member("Ana", "failed"), None), (member("Ben", "running"), "queued"),
             (member("<b>Cy</b>", "finished", 0.1), None), (member("Di", "finished", 0.97, runs=3), None),
             (member("Ed", "running"), None)]
    rows = member_rows(found)
    assert [(r["student"], r["now"], r["runs"]) for r in rows] == [
        ("Ana", STUCK, 1), ("Ben", WAITING, 1), ("<b>Cy</b>", STUCK, 1), ("Di", FINISHED, 3), ("Ed", TRAINING, 1)]
    assert [r["best"] for r in rows][2:4] == ["10.0%", "97.0%"]
    assert member_rows([(member("Fay", None), None)])[0]["best"] == "–"  # no "None" on the projector
    assert member_summary(rows) == "5 students: 2 stuck (Ana, <b>Cy</b>), 1 waiting, 1 training, 1 finished"
    assert member_summary([]) == "No student has joined yet."
