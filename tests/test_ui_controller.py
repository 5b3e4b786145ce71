"""The training controller: states, pause and stop, the heartbeat, the line, and the worker process.

Every run trains in a real worker process of a one-worker pool (one spawn for the module) on a small
synthetic dataset shared the way MNIST is. No test sleeps to show that nothing happened: the run's
thread reads the test's clock (and asks the test's `connected` probe) at every message from the worker
and every poll without one, so a test waits for the thread to have looked, then asserts what it decided.
"""
import multiprocessing
import os
import re
import signal
import subprocess
import sys
import threading
import types
from pathlib import Path

import numpy as np
import pytest
from conftest import synthetic_split
from waiting import wait_until

from mlp.config import TrainConfig
from mlp.data.mnist import Dataset, make_split
from mlp.drawing.handwriting import Handwriting, as_training_rows, held_out, split_writers
from mlp.trainer import Trainer
from training.limits import time_limit_reason
from training.run import LEFT_REASON, TrainingRun, evals_per_epoch, status_text
from training.words import format_seconds, ordinal
from training.line import FairLine
from training.workers import SharedDataset, WorkerPool, select, workers_from_env

QUICK = dict(hidden=(16,), epochs=2, batch_size=32, lr=0.01, seed=1, styles=0.0)  # synthetic data: no pen digits
LONG = dict(hidden=(16,), epochs=500, batch_size=1, lr=0.01, seed=1, styles=0.0)  # minutes: only ever stopped early


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


def shared(x_test_width: int = 784, **kwargs) -> SharedDataset:
    """The synthetic split's training and test sets as a Dataset in shared files, as MNIST is served."""
    s = synthetic_split(**kwargs)
    return SharedDataset(Dataset(s.x_train, s.y_train, s.x_test[:, :x_test_width], s.y_test, source="folder",
                                 location="synthetic"))


@pytest.fixture(scope="module")
def pool():
    workers = WorkerPool(1)
    yield workers
    workers.close()


@pytest.fixture(scope="module")
def data():
    files = shared()
    yield files
    files.close()


def make_run(data, pool, **kwargs):
    settings = kwargs.pop("settings", QUICK)
    return TrainingRun(TrainConfig(**settings), data, pool=pool, **kwargs)


def test_a_run_goes_from_ready_to_finished_and_keeps_a_record(data, pool):
    run = make_run(data, pool, name="first")
    assert run.state == "ready" and not run.active and run.model() is None
    run.start()
    assert run.wait(60)
    assert run.state == "finished" and run.done and not run.active
    record = run.record
    assert record.name == "first" and record.status == "finished" and record.reason == ""
    assert 0 <= record.test_accuracy <= 1 and record.test_loss > 0 and record.epochs == 2
    assert record.history.train and record.history.heldout and isinstance(record.findings, list)
    assert run.model() is record.model
    probs = run.model().predict_proba(data.dataset.x_test[:3])
    assert probs.shape == (3, 10) and np.allclose(probs.sum(axis=1), 1, atol=1e-5)
    assert status_text(run).startswith("Finished:") and "test accuracy" in status_text(run)
    assert run.worker_report["pid"] != os.getpid() and run.worker_report["blas_threads"] == [1]
    assert run.worker_report["niceness"] == os.nice(0) + 10  # pages before training


def test_a_run_knows_its_steps_before_a_worker_is_free(data, pool):
    run = make_run(data, pool)
    trainer = Trainer(run.config, select(data.dataset, run.config))  # what the worker will run
    assert run.progress().total_steps == trainer.total_steps > 0  # "step 0 of N" from the click, never "of 0"


def test_a_worker_trains_bit_for_bit_as_the_engine_does_in_process(data, pool):
    config = TrainConfig(**{**QUICK, "epochs": 3})
    run = TrainingRun(config, data, pool=pool)
    run.start()
    assert run.wait(60) and run.state == "finished"
    split = make_split(data.dataset, classes=config.classes, per_class=config.per_class,
                       validation_share=config.validation_share, seed=config.seed)
    trainer = Trainer(config, split, evals_per_epoch=evals_per_epoch(config.epochs))
    for _ in trainer.steps():
        pass
    here = trainer.result()
    assert np.array_equal(run.record.model.network.params, here.model.network.params)
    assert run.record.history.train == here.history.train and run.record.history.heldout == here.history.heldout
    assert run.record.test_accuracy == here.test_accuracy and run.history() is run.record.history


def test_the_worker_maps_the_shared_data_instead_of_copying_it(data, pool):
    run = make_run(data, pool, settings={**QUICK, "classes": (1, 2, 5), "per_class": 30})
    run.start()
    assert run.wait(60) and run.state == "finished"
    report = run.worker_report
    assert report["data_file"] == str(Path(data.spec.folder) / "x_train.npy")
    assert report["data_is_mapped"]  # a read-only view of the shared file, in the worker ...
    assert report["images_are_shared"]  # ... whose chosen digits are read from it, with no copy of their own


@pytest.mark.parametrize("choice", [{}, {"validation_share": 0.0}, {"classes": (3, 8), "per_class": 7}])
def test_a_selection_of_shared_rows_holds_what_make_split_copies(data, choice):
    config = TrainConfig(**{**QUICK, **choice})
    rows = select(data.dataset, config)
    copied = make_split(data.dataset, classes=config.classes, per_class=config.per_class,
                        validation_share=config.validation_share, seed=config.seed)
    for name in ("x_train", "x_val", "x_test"):
        view, copy = getattr(rows, name), getattr(copied, name)
        assert len(view) == len(copy) and np.array_equal(view[np.arange(len(view))], copy)
        assert np.array_equal(view[2:5], copy[2:5])  # slices, as evaluation reads them
    for name in ("y_train", "y_val", "y_test"):
        assert np.array_equal(getattr(rows, name), getattr(copied, name))


def test_pause_resume_and_stop(data, pool):
    clock = Clock()
    run = make_run(data, pool, settings=LONG, clock=clock)
    run.start()
    wait_until(lambda: run.state == "running" and run.progress().step > 5)
    run.pause()
    assert run.state == "paused" and status_text(run).startswith("Paused at epoch")
    wait_until(lambda: run.held)  # the worker finished the step under way and said it waits
    held = run.progress().step
    clock.looks.wait(2)  # the run's thread is alive and looking while paused ...
    assert run.progress().step == held and run.state == "paused"  # ... and no step was taken
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


def epochs_in(history) -> list[float]:
    """The epochs at which the held-out digits were scored (one per epoch for a long run, and at 0)."""
    return [p.epoch for p in history.heldout]


def test_one_more_epoch_trains_to_the_epochs_end_then_exactly_one_more_and_pauses(data, pool):
    clock = Clock()
    run = make_run(data, pool, settings=LONG, clock=clock)
    per_epoch = run.progress().total_steps // LONG["epochs"]
    run.start()
    wait_until(lambda: run.state == "running" and run.progress().step > 5)
    run.one_more_epoch()  # from running: it pauses at the end of the epoch under way
    assert run.state == "running" and run.pausing
    assert "pausing at the end of epoch 1" in status_text(run)
    wait_until(lambda: run.held, timeout=60, what="the pause at the end of epoch 1")
    assert run.state == "paused" and not run.pausing and run.progress().step == per_epoch
    assert epochs_in(run.history()) == [0.0, 1.0] and run.history().train[-1].epoch == 1.0

    run.one_more_epoch()  # from paused: exactly one more epoch, then paused again
    assert run.state == "running" and not run.held
    wait_until(lambda: run.held, timeout=60, what="the pause at the end of epoch 2")
    assert run.state == "paused" and run.progress().step == 2 * per_epoch
    assert epochs_in(run.history()) == [0.0, 1.0, 2.0] and run.history().train[-1].epoch == 2.0
    clock.looks.wait(2)  # the run's thread is alive and reading the worker while paused ...
    assert run.progress().step == 2 * per_epoch and run.state == "paused"  # ... and no step was taken

    run.one_more_epoch()
    run.pause()  # a pause wins over the epoch asked just before: it holds where it is, mid-epoch
    wait_until(lambda: run.held, timeout=60, what="the pause")
    assert run.state == "paused" and run.progress().step < 3 * per_epoch
    run.stop()
    assert run.wait(30) and run.state == "stopped"


def test_a_late_answer_to_a_pause_is_not_taken_for_the_end_of_the_epoch_asked(data, pool):
    run = make_run(data, pool, settings=LONG)
    per_epoch = run.progress().total_steps // LONG["epochs"]
    run.start()
    wait_until(lambda: run.state == "running" and run.progress().step > 5)
    run.pause()
    run.one_more_epoch()  # at once: the worker's "held" for the pause may come after this
    wait_until(lambda: run.held, timeout=60, what="the pause at the end of epoch 1")
    assert run.progress().step == per_epoch and epochs_in(run.history()) == [0.0, 1.0]
    run.stop()
    assert run.wait(30)


def test_one_more_epoch_in_the_last_epoch_finishes_the_run(data, pool):
    run = make_run(data, pool, settings={**LONG, "epochs": 1})
    run.start()
    wait_until(lambda: run.state == "running" and run.progress().step > 5)
    run.pause()
    wait_until(lambda: run.held)
    run.one_more_epoch()
    assert run.wait(60) and run.state == "finished" and run.record.epochs == 1


def test_start_again_trains_a_fresh_network_of_the_same_settings_and_seed(data, pool):
    first = make_run(data, pool, name="first", settings={**QUICK, "epochs": 3})
    first.start()
    assert first.wait(60) and first.state == "finished"
    again = first.again(name="again")
    assert again.state == "ready" and again.config == first.config and again.name == "again"
    again.start()
    assert again.wait(60) and again.state == "finished"
    assert again.record is not first.record and again.record.model is not first.record.model
    per_epoch = again.progress().total_steps // 3
    epoch_one = lambda run: ([p for p in run.history().train if p.step <= per_epoch],  # noqa: E731
                             [p for p in run.history().heldout if p.step <= per_epoch])
    assert epoch_one(again) == epoch_one(first) and epoch_one(first)[1][-1].epoch == 1.0
    assert np.array_equal(again.record.model.network.params, first.record.model.network.params)  # the same seed


def test_readers_get_copies_published_as_the_worker_sends_them(data, pool):
    run = make_run(data, pool, settings=LONG)
    run.start()
    wait_until(lambda: len(run.history().train) > 2)
    run.pause()
    wait_until(lambda: run.held)
    model, history = run.model(), run.history()
    weights, points = model.network.params.copy(), len(history.train)
    run.resume()
    wait_until(lambda: len(run.history().train) > points + 2)
    run.pause()
    wait_until(lambda: run.held)  # a pause sends the weights it holds at
    assert np.array_equal(model.network.params, weights) and len(history.train) == points  # left untouched
    assert not np.array_equal(run.model().network.params, weights)  # newer copies replace them
    assert model.predict_proba(data.dataset.x_test[:3]).shape == (3, 10)
    run.stop()
    assert run.wait(30)


@pytest.mark.parametrize("paused", [False, True])
def test_a_run_stops_itself_when_the_page_stops_beating(data, pool, paused):
    clock = Clock()
    run = make_run(data, pool, settings=LONG, clock=clock)
    run.start()
    wait_until(lambda: run.progress().step > 5)
    if paused:
        run.pause()
        wait_until(lambda: run.held)
    clock.now += 5
    run.beat()  # still watched
    clock.now += 9
    clock.looks.wait(2)  # the thread checked the heartbeat 9 s after the last beat ...
    assert run.active and run.state == ("paused" if paused else "running")  # ... and carried on
    clock.now += 2  # 11 s since the last beat
    assert run.wait(20)
    assert run.state == "stopped" and run.record.reason == LEFT_REASON and run.record.model is not None


def test_an_open_connection_keeps_a_run_alive_when_beats_are_late(data, pool):
    clock, connected = Clock(), Probe()
    run = make_run(data, pool, settings=LONG, clock=clock, connected=connected)
    run.start()
    wait_until(lambda: run.progress().step > 5)
    clock.now += 60  # a background tab: timers slowed down, but the page is open
    connected.looks.wait(2)  # the late beats made the thread ask the connection, which said open ...
    step = run.progress().step
    wait_until(lambda: run.progress().step > step)  # ... so it goes on training
    assert run.state == "running"
    connected.open = False  # the tab is closed
    assert run.wait(20)
    assert run.record.reason == LEFT_REASON


def test_a_broken_connection_probe_does_not_keep_an_orphan_alive(data, pool):
    clock = Clock()

    def broken():
        raise RuntimeError("no runtime")

    run = make_run(data, pool, clock=clock, connected=broken)
    assert run.keep_going() is True  # beats are fresh: the probe is not even asked
    clock.now += 11
    assert run.keep_going() is False


def test_later_runs_wait_in_line_and_are_told_their_place(data, pool):
    first, second, third = (make_run(data, pool, settings=LONG) for _ in range(3))
    first.start()
    wait_until(lambda: first.state == "running")
    second.start()
    wait_until(lambda: second.place_in_line() == 1)
    third.start()
    wait_until(lambda: third.place_in_line() == 2)
    assert second.state == third.state == "queued" and pool.line.running == 1
    range_words = r"about \d+( s| min)?-\d+ (s|min)"  # "about 2-3 min", "about 46 s-2 min"
    assert re.fullmatch(rf"Waiting for a free slot: 2nd in line, {range_words} to wait; then {range_words} to train "
                        r"\(the server trains 1 at a time\)\.", status_text(third))
    assert third.expected_wait()[0] > second.expected_wait()[0] > 0
    assert second.model() is None  # nothing to draw with before it starts

    first.stop()
    wait_until(lambda: second.state == "running")
    assert third.place_in_line() == 1
    third.stop()  # leaving the line before starting
    assert third.wait(10)
    assert third.state == "stopped" and third.record.reason == "Stopped before it started."
    assert third.record.model is None
    second.stop()
    assert second.wait(30) and first.wait(30)
    assert pool.line.running == 0


def test_a_run_holds_a_worker_no_longer_than_the_servers_limit(data, pool):
    clock = Clock()
    run = make_run(data, pool, settings=LONG, clock=clock, connected=Probe(), max_seconds=60)
    run.start()
    wait_until(lambda: run.progress().step > 5)
    run.pause()  # paused time counts: a paused run still holds its worker
    wait_until(lambda: run.held)
    clock.now += 59
    clock.looks.wait(2)
    assert run.state == "paused"
    clock.now += 2
    assert run.wait(20)
    assert run.state == "stopped" and run.record.reason == time_limit_reason()


def test_a_run_past_the_servers_limits_is_refused_in_words_before_it_starts(data, pool):
    with pytest.raises(ValueError, match=r"would need 2\.\d GB of memory to train; this server allows 1\.0 GB"):
        make_run(data, pool, settings=dict(hidden=(4096,) * 8))


def test_the_wait_in_line_counts_the_runs_ahead_as_slots_free_up():
    line, leave = FairLine(2), threading.Event()
    assert line.acquire("a", give_up=leave.is_set) and line.acquire("b", give_up=leave.is_set)
    waiting = [threading.Thread(target=line.acquire, args=(t, leave.is_set)) for t in ("c", "d")]
    for thread in waiting:
        thread.start()
        wait_until(lambda: line.waiting == waiting.index(thread) + 1)
    left = {"a": 10.0, "b": 30.0, "c": 25.0, "d": 5.0}.get
    assert line.wait("c", left) == 10.0  # the first slot to free up
    assert line.wait("d", left) == 30.0  # c takes a's slot (free at 35), b's frees at 30
    assert line.wait("a", left) == 0.0  # not waiting
    leave.set()
    for thread in waiting:
        thread.join(5)
    assert line.waiting == 0


def test_a_queued_run_whose_page_closed_leaves_the_line(data, pool):
    clock = Clock()
    holder = make_run(data, pool, settings=LONG)
    holder.start()
    wait_until(lambda: holder.state == "running")
    waiting = make_run(data, pool, settings=LONG, clock=clock)
    waiting.start()
    wait_until(lambda: waiting.place_in_line() == 1)
    clock.now += 11
    assert waiting.wait(10)
    assert waiting.state == "stopped" and waiting.record.reason == LEFT_REASON and waiting.place_in_line() == 0
    holder.stop()
    assert holder.wait(30)


def test_a_killed_worker_fails_its_run_in_words_and_the_pool_replaces_it(data, pool):
    run = make_run(data, pool, settings=LONG)
    run.start()
    wait_until(lambda: run.progress().step > 5)
    killed = run.worker_report["pid"]
    os.kill(killed, signal.SIGKILL)
    assert run.wait(30)
    assert run.state == "failed" and "SIGKILL" in run.record.reason and "out of memory" in run.record.reason
    assert status_text(run).startswith("Failed: The process training this network ended unexpectedly")
    assert pool.line.running == 0
    after = make_run(data, pool)
    after.start()
    assert after.wait(60) and after.state == "finished"
    assert after.worker_report["pid"] != killed


def test_a_worker_does_not_run_the_main_script_of_the_web_process(data, tmp_path, monkeypatch):
    """Streamlit installs the page script as __main__, and spawn would run it again in every worker."""
    marker = tmp_path / "page ran"
    page = tmp_path / "page.py"
    page.write_text(f"open({str(marker)!r}, 'w').close()\n")
    main = types.ModuleType("__main__")
    main.__file__ = str(page)
    monkeypatch.setitem(sys.modules, "__main__", main)
    fresh = WorkerPool(1)
    try:
        run = make_run(data, fresh)
        run.start()
        assert run.wait(60) and run.state == "finished"
    finally:
        fresh.close()
    assert not marker.exists() and sys.modules["__main__"] is main


def test_the_app_script_run_as_a_spawned_workers_main_draws_no_page():
    """If a page run wins the race and a worker is spawned with app.py as its main script, spawn runs it as
    __mp_main__ in the worker: it must not draw a page there (it crashed the worker, exit code 1)."""
    app = Path(__file__).resolve().parents[1] / "app.py"
    done = subprocess.run([sys.executable, "-c", f"import runpy, sys; runpy.run_path({str(app)!r}, "
                           "run_name='__mp_main__'); print(sorted(m for m in sys.modules if m.startswith('ui.')))"],
                          cwd=app.parent, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "ui.frame.layout" in done.stdout and "ui.home" not in done.stdout  # imported, and no page ran


def test_a_run_whose_reading_breaks_never_hands_its_busy_worker_to_the_next(data, pool, monkeypatch):
    run = make_run(data, pool, settings=LONG)

    def broken(*args):
        raise RuntimeError("cannot read")

    monkeypatch.setattr(run, "_note", broken)
    run.start()
    assert run.wait(30)
    assert run.state == "failed" and "RuntimeError: cannot read" in run.record.reason
    busy = run.worker_report["pid"]  # "started" comes before any progress
    monkeypatch.undo()
    after = make_run(data, pool)
    after.start()
    assert after.wait(60) and after.state == "finished"
    assert after.worker_report["pid"] != busy  # a fresh worker: the old one, still training, was ended
    with pytest.raises(ProcessLookupError):
        os.kill(busy, 0)


def test_an_error_inside_the_worker_becomes_a_failed_state_in_words(pool):
    narrow = shared(x_test_width=5)  # wrong width: scoring the test set raises
    try:
        run = make_run(narrow, pool, settings={**QUICK, "validation_share": 0.0})
        run.start()
        assert run.wait(60)
        assert run.state == "failed" and "unexpected error" in run.record.reason
        assert "Traceback" not in status_text(run) and status_text(run).startswith("Failed:")
    finally:
        narrow.close()


def test_digits_missing_from_the_data_are_refused_in_words_before_anything_starts(pool):
    three = shared(classes=3)  # only the digits 0, 1 and 2
    try:
        with pytest.raises(ValueError, match="holds no images of the digits 7, 8"):
            make_run(three, pool, settings={**QUICK, "classes": (7, 8)})
    finally:
        three.close()


def test_data_the_worker_cannot_read_fails_the_run_in_words(pool):
    gone = shared()
    gone.close()  # its files removed: this process keeps its mapping, a worker finds nothing to map
    run = make_run(gone, pool)
    run.start()
    assert run.wait(60)
    assert run.state == "failed" and run.record.reason.startswith("Training could not start:")
    assert "No such file" in run.record.reason and "Traceback" not in status_text(run)


def test_shared_files_go_when_closed_and_a_pool_starts_no_process_before_its_first_run():
    files = shared(n=50)
    folder = Path(files.spec.folder)
    assert folder.name.startswith(f"mlp-mnist-{os.getpid()}-")
    assert sorted(p.name for p in folder.iterdir()) == ["x_test.npy", "x_train.npy", "y_test.npy", "y_train.npy"]
    assert not files.dataset.x_train.flags.writeable
    files.close()
    assert not folder.exists()
    before = len(multiprocessing.active_children())
    WorkerPool(4)
    assert len(multiprocessing.active_children()) == before


def test_the_files_of_a_server_that_was_killed_are_removed_by_the_next(data):
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    left = Path(data.spec.folder).parent / f"mlp-mnist-{ended.pid}-left"  # it could not clean up
    left.mkdir()
    ours = Path(data.spec.folder)
    shared(n=50).close()
    assert not left.exists() and ours.exists()  # a live server's files stay


@pytest.mark.parametrize("value, workers", [("", os.cpu_count()), ("3", 3), ("0", os.cpu_count()),
                                             ("many", os.cpu_count())])
def test_the_pool_size_is_a_setting_with_the_cores_as_default(monkeypatch, value, workers):
    monkeypatch.setenv("MLP_TRAINING_WORKERS", value)
    if value in ("", "3"):
        assert workers_from_env() == workers
    else:
        with pytest.warns(UserWarning, match="MLP_TRAINING_WORKERS='.*' is not a whole number of at least 1"):
            assert workers_from_env() == workers


def test_the_line_serves_first_come_first_served():
    line = FairLine(1)
    assert line.acquire("a", give_up=lambda: False) and line.running == 1
    assert line.acquire("b", give_up=lambda: True) is False and line.place("b") == 0
    line.release("a")
    assert line.running == 0


def test_small_words():
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101)] == \
        ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st"]
    assert format_seconds(12.4) == "about 12 s" and format_seconds(600) == "about 10 min"
    assert format_seconds(float("nan")) == "" and format_seconds(0) == ""


def test_the_controller_imports_no_streamlit():
    """It runs in plain threads and processes and is tested without a browser: Streamlit stays out of it, and out of
    every module of the training service (the Notebook's runs included)."""
    root = Path(__file__).resolve().parents[1]
    modules = ", ".join(f"training.{p.stem}" for p in sorted((root / "training").glob("*.py")) if p.stem != "__init__")
    assert "training.run" in modules and "training.replay" in modules
    done = subprocess.run([sys.executable, "-c", f"import sys, {modules}; print(sorted(m for m in sys.modules "
                           "if m.split('.')[0] in ('streamlit', 'plotly')))"],
                          cwd=root, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def class_drawings(count: int = 64) -> Handwriting:
    """Labelled drawings by nine writers, each image filled with its own row number (to find it again)."""
    images = (np.arange(count, dtype=np.uint8)[:, None, None] + np.zeros((1, 28, 28), np.uint8))
    writers = np.array([["Ana", "Ben", "Cleo", "Dan", "Eve", "Finn", "Gus", "Hana", "Ivo"][i % 9] for i in range(count)])
    return Handwriting(images, np.arange(count, dtype=np.int64) % 10, writers)


def test_held_out_writers_drawings_are_never_in_the_training_rows(data):
    training, scoring = split_writers(class_drawings())
    assert len(training) and len(scoring) and not set(training.writers) & set(scoring.writers)
    assert all(held_out(w) for w in scoring.writers) and not any(held_out(w) for w in training.writers)
    config = TrainConfig(**QUICK)
    rows = select(data.dataset, config, as_training_rows(training))
    plain = select(data.dataset, config)
    appended = rows.x_train[np.arange(len(plain.x_train), len(rows.x_train))]
    assert np.array_equal(appended, training.images.reshape(-1, 784) / np.float32(255))
    assert not np.isin(scoring.images[:, 0, 0] / np.float32(255), appended[:, 0]).any()
    assert np.array_equal(rows.y_train[len(plain.y_train):], training.labels)
    assert np.array_equal(rows.x_train[:len(plain.x_train)], plain.x_train[np.arange(len(plain.x_train))])
    assert np.array_equal(rows.x_val[np.arange(len(rows.x_val))], plain.x_val[np.arange(len(plain.x_val))])


def test_drawings_of_digits_the_run_does_not_learn_are_left_out(data):
    config = TrainConfig(**{**QUICK, "classes": (3, 8)})
    rows = select(data.dataset, config, as_training_rows(class_drawings(20)))
    assert len(rows.y_train) == len(select(data.dataset, config).y_train) + 4  # 3, 8, 13 and 18 % 10
    assert set(rows.y_train) == {3, 8}
    drawn = rows.x_train[np.arange(len(rows.x_train) - 4, len(rows.x_train))][:, 0] * 255
    assert np.allclose(drawn, [3, 8, 13, 18])  # each kept drawing read back, not its neighbour


def test_a_worker_trains_on_the_class_drawings_sent_with_its_job(data, pool):
    training, _ = split_writers(class_drawings())
    extra = as_training_rows(training)
    config = TrainConfig(**QUICK)
    run = TrainingRun(config, data, pool=pool, extra=extra)
    run.start()
    assert run.wait(60) and run.state == "finished"
    plain_steps = Trainer(config, select(data.dataset, config)).steps_per_epoch
    with_drawings = Trainer(config, select(data.dataset, config, extra), evals_per_epoch=evals_per_epoch(2))
    assert run.progress().total_steps == 2 * with_drawings.steps_per_epoch > 2 * plain_steps
    for _ in with_drawings.steps():
        pass
    assert np.array_equal(run.record.model.network.params, with_drawings.result().model.network.params)


def test_a_training_run_tells_its_pool_how_fast_its_worker_goes_and_later_estimates_use_it(data):
    pool = WorkerPool(1)
    try:
        run = make_run(data, pool, settings=LONG, connected=lambda: True)  # watched, without beats
        size = run.estimate.cost.step_flops
        assert not pool.pace.paces(size).measured  # nothing measured: the machine's model alone
        run.start()
        wait_until(lambda: pool.pace.paces(size).measured, timeout=120, what="the run's first measure of its pace")
        run.stop()
        assert run.wait(60)
        measured = pool.pace.paces(size)
        again = make_run(data, pool, settings=LONG).estimate
        assert again.seconds - pool.pace.startup() == pytest.approx(again.modelled / measured.likely)
        assert again.low < again.seconds < again.high
    finally:
        pool.close()
