"""The training controller: states, pause and stop, the heartbeat, the line for a free slot.

No test sleeps to show that nothing happened: the run's thread reads the test's clock (and asks the
test's `connected` probe) at every check between two steps and at every poll while paused or queued,
so a test waits for the thread to have looked, and then asserts what it decided.
"""
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import synthetic_split
from mlp.config import TrainConfig
from ui.controller import LEFT_REASON, SlotLimiter, TrainingRun, format_seconds, ordinal, status_text

QUICK = dict(hidden=(16,), epochs=2, batch_size=32, lr=0.01, seed=1)
LONG = dict(hidden=(16,), epochs=500, batch_size=1, lr=0.01, seed=1)  # minutes: only ever stopped early


class Looks:
    """Set each time the run's thread (not the test's) calls its owner, so a test can wait for fresh looks."""

    def __init__(self):
        self.event = threading.Event()

    def mark(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            self.event.set()

    def wait(self, times: int = 2, timeout: float = 10.0) -> None:
        """Return after the run's thread has looked `times` more times: it acted on all but the last."""
        for _ in range(times):
            self.event.clear()
            assert self.event.wait(timeout), "the run's thread did not look again"


class Clock:
    """A clock the test moves by hand, for the heartbeat."""

    def __init__(self):
        self.now = 1000.0
        self.looks = Looks()

    def __call__(self):
        self.looks.mark()
        return self.now


class Probe:
    """The page's connection as the test sets it (`open`), for runs whose beats are late."""

    def __init__(self):
        self.open = True
        self.looks = Looks()

    def __call__(self):
        self.looks.mark()
        return self.open


def wait_until(condition, timeout=20.0):
    """Poll a condition the run reaches by itself (a step count, a state) until it holds."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.01)
    raise AssertionError("condition not reached in time")


@pytest.fixture
def split():
    return synthetic_split()


def make_run(split, limiter=None, **kwargs):
    settings = kwargs.pop("settings", QUICK)
    return TrainingRun(TrainConfig(**settings), split, limiter=limiter or SlotLimiter(2), **kwargs)


def test_a_run_goes_from_ready_to_finished_and_keeps_a_record(split):
    run = make_run(split, name="first")
    assert run.state == "ready" and not run.active and run.model() is None
    run.start()
    assert run.wait(30)
    assert run.state == "finished" and run.done and not run.active
    record = run.record
    assert record.name == "first" and record.status == "finished" and record.reason == ""
    assert 0 <= record.test_accuracy <= 1 and record.test_loss > 0 and record.epochs == 2
    assert record.history.train and record.history.heldout and isinstance(record.findings, list)
    assert run.model() is record.model
    probs = run.model().predict_proba(split.x_test[:3])
    assert probs.shape == (3, 10) and np.allclose(probs.sum(axis=1), 1, atol=1e-5)
    assert status_text(run).startswith("Finished:") and "test accuracy" in status_text(run)


def test_pause_resume_and_stop(split):
    clock = Clock()
    run = make_run(split, settings=LONG, clock=clock)
    run.start()
    wait_until(lambda: run.state == "running" and run.progress().step > 5)
    run.pause()
    assert run.state == "paused" and status_text(run).startswith("Paused at epoch")
    clock.looks.wait(1)  # the step under way when pause was pressed is done: the thread checks between steps
    held = run.progress().step
    clock.looks.wait(2)  # two more checks while paused, the thread alive ...
    assert run.progress().step == held and run.state == "paused"  # ... and not one step between them
    assert run.model() is not None  # drawing works while paused
    run.resume()
    wait_until(lambda: run.progress().step > held)
    assert run.state == "running" and status_text(run).startswith("Training: epoch")
    run.stop()
    assert status_text(run).startswith(("Stopping at epoch", "Stopped at epoch"))  # never "Training" again
    assert run.wait(30)
    assert run.state == "stopped" and run.record.reason == "Stopped by the user."
    assert run.record.model is not None and run.record.test_accuracy is not None
    assert run.record.epochs == pytest.approx(run.progress().epoch) and 0 < run.record.seconds
    assert status_text(run).startswith("Stopped at epoch")


def test_readers_get_copies_published_at_logged_points(split):
    clock = Clock()
    run = make_run(split, settings=LONG, clock=clock)
    run.start()
    wait_until(lambda: len(run.history().train) > 2)
    run.pause()
    clock.looks.wait(1)
    model, history = run.model(), run.history()
    weights, points = model.network.params.copy(), len(history.train)
    run.resume()
    wait_until(lambda: len(run.history().train) > points + 2)
    assert np.array_equal(model.network.params, weights) and len(history.train) == points  # left untouched
    assert not np.array_equal(run.model().network.params, weights)  # newer copies replace them
    assert model.predict_proba(split.x_test[:3]).shape == (3, 10)
    run.stop()
    assert run.wait(30)


@pytest.mark.parametrize("paused", [False, True])
def test_a_run_stops_itself_when_the_page_stops_beating(split, paused):
    clock = Clock()
    run = make_run(split, settings=LONG, clock=clock)
    run.start()
    wait_until(lambda: run.progress().step > 5)
    if paused:
        run.pause()
    clock.now += 5
    run.beat()  # still watched
    clock.now += 9
    clock.looks.wait(2)  # the thread checked the heartbeat 9 s after the last beat ...
    assert run.active and run.state == ("paused" if paused else "running")  # ... and carried on
    clock.now += 2  # 11 s since the last beat
    assert run.wait(10)
    assert run.state == "stopped" and run.record.reason == LEFT_REASON


def test_an_open_connection_keeps_a_run_alive_when_beats_are_late(split):
    clock, connected = Clock(), Probe()
    run = make_run(split, settings=LONG, clock=clock, connected=connected)
    run.start()
    wait_until(lambda: run.progress().step > 5)
    clock.now += 60  # a background tab: timers slowed down, but the page is open
    connected.looks.wait(2)  # the late beats made the thread ask the connection, which said open ...
    step = run.progress().step
    wait_until(lambda: run.progress().step > step)  # ... so it goes on training
    assert run.state == "running"
    connected.open = False  # the tab is closed
    assert run.wait(10)
    assert run.record.reason == LEFT_REASON


def test_a_broken_connection_probe_does_not_keep_an_orphan_alive(split):
    clock = Clock()

    def broken():
        raise RuntimeError("no runtime")

    run = make_run(split, clock=clock, connected=broken)
    assert run.keep_going() is True  # beats are fresh: the probe is not even asked
    clock.now += 11
    assert run.keep_going() is False


def test_later_runs_wait_in_line_and_are_told_their_place(split):
    slots = SlotLimiter(1)
    first, second, third = (make_run(split, slots, settings=LONG) for _ in range(3))
    first.start()
    wait_until(lambda: first.state == "running")
    second.start()
    wait_until(lambda: second.place_in_line() == 1)
    third.start()
    wait_until(lambda: third.place_in_line() == 2)
    assert second.state == third.state == "queued" and slots.running == 1
    assert status_text(third).startswith("Waiting for a free slot: 2nd in line")
    assert second.model() is None  # nothing to draw with before it starts

    first.stop()
    wait_until(lambda: second.state == "running")
    assert third.place_in_line() == 1
    third.stop()  # leaving the line before starting
    assert third.wait(10)
    assert third.state == "stopped" and third.record.reason == "Stopped before it started."
    assert third.record.model is None
    second.stop()
    assert second.wait(10) and first.wait(10)
    assert slots.running == 0


def test_a_queued_run_whose_page_closed_leaves_the_line(split):
    slots, clock = SlotLimiter(1), Clock()
    holder = make_run(split, slots, settings=LONG)
    holder.start()
    wait_until(lambda: holder.state == "running")
    waiting = make_run(split, slots, settings=LONG, clock=clock)
    waiting.start()
    wait_until(lambda: waiting.place_in_line() == 1)
    clock.now += 11
    assert waiting.wait(10)
    assert waiting.state == "stopped" and waiting.record.reason == LEFT_REASON and waiting.place_in_line() == 0
    holder.stop()
    holder.wait(10)


def test_an_error_inside_the_thread_becomes_a_failed_state_in_words(split):
    split.x_val = np.zeros((10, 5), dtype=np.float32)  # wrong width: the first evaluation raises
    run = make_run(split)
    run.start()
    assert run.wait(30)
    assert run.state == "failed" and "unexpected error" in run.record.reason
    assert "Traceback" not in status_text(run) and status_text(run).startswith("Failed:")


def test_an_empty_split_is_refused_in_words_before_any_thread(split):
    split.x_train, split.y_train = split.x_train[:0], split.y_train[:0]
    with pytest.raises(ValueError, match="no training examples"):
        make_run(split)


def test_small_words():
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101)] == \
        ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st"]
    assert format_seconds(12.4) == "about 12 s" and format_seconds(600) == "about 10 min"
    assert format_seconds(float("nan")) == "" and format_seconds(0) == ""


def test_the_controller_imports_no_streamlit():
    """It runs in a plain thread and is tested without a browser: Streamlit stays out of it."""
    done = subprocess.run([sys.executable, "-c", "import sys, ui.controller; print(sorted(m for m in sys.modules "
                           "if m.split('.')[0] in ('streamlit', 'plotly')))"],
                          cwd=Path(__file__).resolve().parents[1], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
