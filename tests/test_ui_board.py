"""The class board's data (ui/board/data.py, pure): rows, the best run, the setting-vs-accuracy chart, overlays."""
from __future__ import annotations

from mlp.config import TrainConfig
from store import Post, StoredRun
from ui.board.data import best, board_rows, overlay_runs, setting_figure


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


def test_the_class_handwriting_column_appears_once_there_are_drawings_with_what_each_run_is_scored_on():
    rows = board_rows(POSTS[:3], {101: (0.5, "all"), 102: (None, "held-out writers' drawings")})
    assert [(r["student"], r["class handwriting"], r["scored on"]) for r in rows] == [
        ("Cy", None, "all"), ("<b>Ben</b>", None, "held-out writers' drawings"), ("Ana", 0.5, "all")]
    assert list(rows[0]) == ["student", "run", "settings", "test accuracy", "class handwriting", "scored on",
                             "seconds", "status"]
    assert "class handwriting" not in board_rows(POSTS[:2], {})[0]


def test_the_best_run_has_the_highest_test_accuracy():
    assert best(POSTS).nickname == "Old" and best(POSTS[:3]).nickname == "<b>Ben</b>" and best([]) is None


def test_the_learning_rate_goes_on_a_log_axis_and_hover_text_is_escaped():
    figure = setting_figure(POSTS, "lr")
    assert figure.layout.xaxis.type == "log" and list(figure.data[0].x) == [1e-4, 1e-2]
    assert figure.data[0].hovertext[1] == "&lt;b&gt;Ben&lt;/b&gt;: Run 2"


def test_a_named_setting_goes_on_a_category_axis():
    posts = [post(1, "Ana", 0.9, optimizer="sgd"), post(2, "Ben", 0.95, optimizer="adam")]
    figure = setting_figure(posts, "optimizer")
    assert figure.layout.xaxis.type == "category" and list(figure.data[0].x) == ["sgd", "adam"]
    assert setting_figure(posts, "hidden").data[0].x == ("256-128", "256-128")


def test_overlaid_runs_carry_their_curves_and_their_student():
    curves = {101: {"train": [[1, 0.1, 2.0, 0.5, 0.001]], "heldout": [[1, 0.1, 1.9, 0.6]]}}
    [ana, ben] = overlay_runs(POSTS[:2], curves)
    assert ana.name == "Ana: Run 1" and len(ana.history.heldout) == 1 and ben.history.train == []
