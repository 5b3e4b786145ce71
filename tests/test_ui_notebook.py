"""The Notebook page's pure parts: the excerpts around a mistake, the ladder, the figures and the check's table."""
import json

import numpy as np
import pytest

from mlp.presets import get_preset
from mlp.teaching import notebook as nb
from ui.notebook.data import (curves_figure, engine_words, excerpts, gradcheck_rows, gradcheck_summary, ladder, read_notebook,
                              reported_figure)


def test_excerpts_mark_the_lines_and_split_distant_ones():
    lines = [f"line {n}" for n in range(1, 41)]
    near, far = excerpts(lines, (10, 12, 30), context=2)
    assert near.splitlines() == ["     8  line 8", "     9  line 9", "►   10  line 10", "    11  line 11",
                                 "►   12  line 12", "    13  line 13", "    14  line 14"]
    assert far.splitlines()[2] == "►   30  line 30"


def test_every_mistake_points_at_its_quoted_line_in_the_notebook():
    lines = read_notebook()
    assert lines is not None and len(lines) > 700
    for attempt in nb.ATTEMPTS:
        for m in nb.mistakes(attempt):
            first = m.quote.splitlines()[0].replace(" ", "")[:40]  # the file wraps long lines
            assert any(first in lines[n - 1].replace(" ", "") for n in m.lines), m.name


def test_a_missing_or_huge_notebook_file_reads_as_none(tmp_path):
    assert read_notebook(tmp_path / "absent.txt") is None
    big = tmp_path / "big.txt"
    big.write_bytes(b"x" * 1_000_001)
    assert read_notebook(big) is None


@pytest.mark.parametrize("attempt", nb.ATTEMPTS)
def test_the_ladder_fixes_one_more_mistake_per_step_and_ends_at_the_engine(attempt):
    rungs = ladder(attempt)
    assert rungs[0].runs[0].fixes == () and rungs[-1].runs[-1].engine
    defaults = [m.name for m in nb.mistakes(attempt) if m.default]
    fixing = [r for r in rungs if r.mistake is not None and r.mistake.default]
    for k, rung in enumerate(fixing, start=1):
        assert rung.runs[-1].fixes == tuple(defaults[:k]) and rung.check_fixes == tuple(defaults[:k])
        assert k == 1 or rung.runs[1].fixes == (rung.mistake.name,)  # the fix alone
    assert rungs[-1].runs[1].fixes == tuple(defaults)


def test_csv_labels_is_a_what_if_step_adding_the_mistake():
    what_if = next(r for r in ladder(2) if r.mistake is not None and r.mistake.name == "csv-labels")
    assert [s.add for s in what_if.runs] == [(), ("csv-labels",)]


def point(epoch, accuracy, loss):
    return nb.EpochPoint(epoch, loss, accuracy, loss, loss, accuracy)


def test_curves_figure_overlays_runs_and_goes_log_when_losses_differ_widely():
    fig = curves_figure([("as written", [point(1, 0.1, 3000.0), point(2, 0.1, 2900.0)]),
                         ("<b>fixed</b>", [point(1, 0.9, 0.3)])], epochs=2)
    names = [t.name for t in fig.data if t.showlegend]
    assert names == ["as written", "&lt;b&gt;fixed&lt;/b&gt;"]  # a label is text, never HTML
    assert fig.layout.yaxis2.type == "log" and list(fig.data[0].y) == [0.1, 0.1]
    assert json.loads(fig.to_json())  # serialisable, NaN-free


def test_reported_figure_spreads_per_batch_points_over_the_epochs(mnist_dir):
    per_batch = nb.ReplayResult("a", 2, (), (), (point(1, 0.5, 1.0), point(2, 0.6, 0.9)), 0.6, 0.6,
                                (1.0, 2.0, 3.0, 4.0), (0.1,) * 4, 640, 200, 0, 0.1)
    fig = reported_figure([("running", per_batch)])
    assert list(fig.data[0].x) == [0.5, 1.0, 1.5, 2.0]


def test_gradcheck_rows_say_which_arrays_are_wrong():
    rng = np.random.default_rng(0)
    data = nb.NotebookData(rng.random((128, 784)), rng.integers(0, 10, 128), rng.random((10, 784)),
                           rng.integers(0, 10, 10))
    check = nb.gradient_check(1, data, ("inplace-relu", "summed-gradients"))
    verdicts = {row["array"]: row["verdict"] for row in gradcheck_rows(check)}
    assert verdicts == {"W1": "agrees", "b1": "WRONG", "W2": "agrees", "b2": "WRONG", "W3": "agrees", "b3": "WRONG"}
    assert gradcheck_summary(check).startswith("Backpropagation is wrong in b1, b2, b3")


def test_the_last_step_says_the_run_size_its_chart_shows_not_the_full_size_figure():
    """Headed "Modern ... (98%+)" and saying "above 98%", the step's chart showed 90.8%: 5 epochs of 6,000 images."""
    heading, text = engine_words(5, 6000)
    assert "98%" not in heading and heading.startswith(get_preset("modern").title.split(" (")[0])
    assert "first 6,000 training images for 5 epochs" in text and f"same {nb.TEST_EXAMPLES:,} test images" in text
    assert "On all 60,000 training digits for 10 epochs" in text  # where the 98% comes from
    assert "for 1 epoch," in engine_words(1, 1000)[1]
