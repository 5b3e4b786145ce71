"""The Notebook page under AppTest: walk the ladder of attempt 1 to the main engine, every fix runs and its curve
appears, the gradient check fails until backprop is fixed; attempt 2's what-if step shows the mislabelled test; a
class opening the same step has it trained once, by the training service's workers."""
import contextlib
import dataclasses
import json
import os
import threading
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest
from test_app_pages import request, texts
from threadpoolctl import threadpool_limits

from mlp import load_mnist
from mlp.data.mnist import load_sample
from mlp.model import Model
from mlp.teaching import notebook as nb
from training.workers import WorkerPool
from ui.notebook.data import ladder
from ui.notebook.panel import _replays
from ui.notebook.slow_panel import FRESH_CONFIG
from ui.notebook.slowmotion import number
from ui.state import NOTEBOOK_RUNS_KEY

ROOT = Path(__file__).resolve().parents[1]
BACKPROP_FIXED_AT = 5  # rungs 2, 3 and 5 fix inplace-relu, bias-sum and summed-gradients


def open_notebook(epochs: int = 1, examples: int = 1000) -> AppTest:
    """The Notebook page as a fresh session's first request, with this run size (MLP_DATA_DIR set)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["notebook_choices"] = {"epochs": epochs, "examples": examples}
    return request(at, "Notebook")


def settle(at: AppTest) -> AppTest:
    """Wait for the step's runs, trained by the service's workers (AppTest never fires the page's polling), then
    redraw: the page as it stands once they have trained."""
    while runs := at.session_state[NOTEBOOK_RUNS_KEY]:
        for run, _ in runs.values():
            assert run.wait(120), "a run of the step did not end in time"
        at.run()
        assert not at.exception, at.exception
    return at


@pytest.fixture
def page(mnist_dir, monkeypatch):
    """The Notebook page once its runs have trained, with the smallest run size (1 epoch, 1,000 images)."""
    monkeypatch.setenv("MLP_DATA_DIR", str(mnist_dir))
    return settle(open_notebook())


def chart_names(at: AppTest) -> set[str]:
    """The run names in the curves chart (AppTest shows Plotly charts as unknown elements holding their spec)."""
    chart = at.get("plotly_chart")[0]
    return {trace["name"] for trace in json.loads(chart.proto.spec)["data"]}


def step(at: AppTest) -> AppTest:
    at.button(key="notebook_next").click().run()
    assert not at.exception, at.exception
    return settle(at)


def test_walking_the_ladder_of_attempt_1(page):
    rungs = ladder(1)
    assert "The notebook, debugged" in page.title[0].value
    assert page.selectbox(key="notebook_rung").options[-1].startswith(f"{len(rungs) - 1}. The main engine")
    for rung in rungs:
        if rung.index:
            step(page)
        assert chart_names(page) == {spec.label for spec in rung.runs}
        assert [m.label for m in page.metric] == [spec.label for spec in rung.runs]
        verdict = (page.success if rung.index >= BACKPROP_FIXED_AT else page.error)[0].value
        assert ("agrees" if rung.index >= BACKPROP_FIXED_AT else "Backpropagation is wrong") in verdict
        hidden = any("the mistakes still left hide what this fix does" in i.value for i in page.info)
        assert hidden == (1 <= rung.index < 6)  # until the learning rate is fixed (rung 6), nothing moves
        if rung.mistake is not None:
            assert any(rung.mistake.fix == c.value for c in page.code)  # the one-line fix, as code
            assert any(f"► {rung.mistake.lines[0]:4d}" in c.value for c in page.code)  # the student's line, marked
    assert page.button(key="notebook_next").disabled
    as_written, modern = (float(m.value.rstrip("%")) for m in (page.metric[0], page.metric[-1]))
    assert modern > as_written + 20  # the modern preset learns even in 1 epoch of 1,000 images (8 steps)
    said = " ".join(m.value for m in page.markdown)
    assert "98%+" not in said and "first 1,000 training images for 1 epoch" in said  # the words match the chart


def test_attempt_2_ends_with_what_its_csv_loader_would_have_printed(page):
    page.segmented_control(key="notebook_attempt").set_value(2).run()
    last_mistake = len(nb.mistakes(2))
    page.selectbox(key="notebook_rung").set_value(last_mistake).run()
    settle(page)
    assert "What if: The CSV loader takes its labels from a pixel column" in [m.value for m in page.markdown][2]
    assert any("own test would print 100.0%" in c.value for c in page.caption)
    assert page.success  # attempt 2's backprop is right all along


@contextlib.contextmanager
def beating(runs: dict):
    """The first page still open while the test opens another: its polling beats for its runs."""
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(0.5):
            for run, _ in runs.values():
                run.beat()

    thread = threading.Thread(target=beat, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


class BusyRun:
    """A run holding a worker, 10 s from its end."""

    def seconds_left(self) -> tuple[float, float]:
        return 10.0, 10.0


def test_a_class_opening_the_same_step_has_it_trained_once_by_the_services_workers(mnist_dir, monkeypatch):
    """Two pages open the first step at once while the server's one worker is busy: both show the same run waiting
    in line (its place said, and who asked first), then its curve and result, trained in a worker process exactly
    as mlp.teaching.notebook trains it in this one."""
    monkeypatch.setenv("MLP_DATA_DIR", str(mnist_dir))
    _replays.clear()  # nothing kept by the tests before
    trained_here, steps = [], nb.Replay.steps

    def steps_here(replay):  # a replay trained in this process, the web process's (a worker imports its own)
        trained_here.append(replay.attempt)
        yield from steps(replay)

    monkeypatch.setattr(nb.Replay, "steps", steps_here)
    pool = WorkerPool(1)
    monkeypatch.setattr("training.run.POOL", pool)
    busy = BusyRun()  # another run holds the one worker
    assert pool.line.acquire(busy, give_up=lambda: False)
    try:
        first = open_notebook(epochs=2)
        runs = first.session_state[NOTEBOOK_RUNS_KEY]
        [(run, started_here)] = runs.values()
        assert started_here and run.state == "queued"
        assert "**as written**: Waiting for a free slot: 1st in line, about 10 s to wait" in texts(first)
        with beating(runs):
            second = open_notebook(epochs=2)
        [(same, started_here)] = second.session_state[NOTEBOOK_RUNS_KEY].values()
        assert same is run and not started_here
        assert "**as written** (another student's page asked for it first): Waiting for a free slot" in texts(second)
    finally:
        pool.line.release(busy)
    settle(first), settle(second)
    assert run.state == "finished" and run.worker_report["pid"] != os.getpid()  # out of the web process
    assert trained_here == []
    assert first.metric[0].value == second.metric[0].value
    with threadpool_limits(1):  # as the web process and the workers compute
        here = nb.run(1, nb.NotebookData.take(load_mnist(mnist_dir), 1000, nb.TEST_EXAMPLES), epochs=2)
    assert dataclasses.replace(run.result, seconds=0) == dataclasses.replace(here, seconds=0)
    assert first.metric[0].value == f"{here.test_accuracy:.1%}" and chart_names(first) == {"as written"}
    pool.close()


def by_hand(x, y, weights, biases):
    """784-256-128-10 ReLU, softmax, mean cross-entropy, written out in NumPy: z's, loss, dL/dW0."""
    hs, zs = [x], []
    for k, (w, b) in enumerate(zip(weights, biases)):
        zs.append(hs[-1] @ w + b)
        if k < 2:
            hs.append(np.maximum(zs[-1], 0))
    p = np.exp(zs[-1] - zs[-1].max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    loss = -np.log(p[np.arange(len(y)), y]).mean()
    delta = (p - np.eye(10)[y]) / len(y)
    for k in (2, 1):
        delta = (delta @ weights[k].T) * (zs[k - 1] > 0)
    return zs, loss, x.T @ delta


def test_slow_motion_shows_the_numbers_of_one_step_and_takes_it(page, mnist_dir):
    data = load_mnist(mnist_dir)
    net = Model.create(FRESH_CONFIG).network
    weights, biases = [w.astype(np.float64) for w in net.weights], [b.astype(np.float64) for b in net.biases]
    zs, loss, grad0 = by_hand(data.x_train[:4].astype(np.float64), data.y_train[:4], weights, biases)
    unit = int(np.abs(grad0[406]).argmax())  # the weight from the centre pixel that moves most
    page.number_input(key="slow_j_0").set_value(unit).run()
    assert not page.exception, page.exception
    shown = "\n".join(c.value for c in page.code)
    assert f"= {number(zs[0][0, unit])}\n" in shown  # z of the chosen unit, example 0
    assert any(f"= **{number(loss)}**" in m.value for m in page.markdown)
    assert f"= {number(grad0[406, unit])}\n" in shown
    after = weights[0][406, unit] - 0.1 * grad0[406, unit]
    assert f"update: {number(weights[0][406, unit])} → {number(after)}" in shown
    page.button(key="slow_take").click().run()
    assert "Steps taken: 1." in [c.value for c in page.caption]
    assert any("The network of the slow motion (1 step taken), lit by one digit" in m.value for m in page.markdown)
    diagram = json.loads(page.get("plotly_chart")[-1].proto.spec)
    assert any("hidden 1: 16 of 256" in a["text"] for a in diagram["layout"]["annotations"])
    assert f"update: {number(after)} → " in "\n".join(c.value for c in page.code)  # the next step starts there


def test_the_page_works_on_the_offline_sample(monkeypatch, tmp_path):
    """4,000 training and 1,000 test digits: fewer than the page's run size asks for."""
    monkeypatch.setattr("ui.frame.data.load_mnist", lambda *args, **kwargs: load_sample())
    monkeypatch.setenv("MLP_DATA_DIR", str(tmp_path))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["notebook_choices"] = {"epochs": 1, "examples": 12000}
    settle(request(at, "Notebook"))
    assert "Offline sample" in "\n".join(c.value for c in at.sidebar.caption)
    assert chart_names(at) == {"as written"}
    assert any("uses the first 12,000 (or as many as the data has)" in c.value for c in at.caption)
