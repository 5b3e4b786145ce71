"""The Notebook's runs in the training service: trained by a worker process of the pool, in line with every run,
each epoch's point sent as it is trained, and the same numbers as mlp.teaching.notebook computes in this process.

The runs use a one-worker pool of their own and the first 2,000 training and 500 test images of MNIST, shared the
way the server shares MNIST. No test sleeps to show that nothing happened: a run's thread reads the test's clock
at every message and every poll, so a test waits for the thread to have looked, then asserts what it decided.
"""
import dataclasses
import os
import re

import pytest
from threadpoolctl import threadpool_limits

from mlp import load_mnist
from mlp.config import TrainConfig
from mlp.data.mnist import Dataset
from mlp.presets import get_preset
from mlp.teaching import notebook as nb
from test_ui_controller import Clock, pool  # noqa: F401  (pool is a fixture: a one-worker pool)
from training.limits import time_limit_reason
from training.pace import Pace
from training.replay import ReplayRun
from training.run import LEFT_REASON, TrainingRun
from training.workers import ReplayJob, SharedDataset
from ui.notebook.data import ladder, run_words
from waiting import wait_until

TRAIN, TEST = 2000, 500


@pytest.fixture(scope="module")
def data(mnist_dir):
    mnist = load_mnist(mnist_dir)
    files = SharedDataset(Dataset(mnist.x_train[:TRAIN], mnist.y_train[:TRAIN], mnist.x_test[:TEST],
                                  mnist.y_test[:TEST], source=mnist.source, location=mnist.location))
    yield files
    files.close()


def in_process(job: ReplayJob, data: SharedDataset) -> nb.ReplayResult:
    """The same run, computed here by mlp.teaching.notebook directly, with one BLAS thread as the workers have."""
    with threadpool_limits(1):
        if job.engine is not None:
            return nb.engine_run(job.engine, nb.NotebookData.take(data.dataset, job.examples, job.test_examples),
                                 job.label)
        return nb.run(job.attempt, nb.NotebookData.take(data.dataset, job.examples, job.test_examples), job.fixes,
                      add=job.add, epochs=job.epochs)


def same(a: nb.ReplayResult, b: nb.ReplayResult) -> bool:
    """Equal in every number but the time each took."""
    return dataclasses.replace(a, seconds=0.0) == dataclasses.replace(b, seconds=0.0)


@pytest.mark.parametrize("job", [
    ReplayJob(1, 2, 1000, TEST),  # attempt 1 as written
    ReplayJob(1, 3, 1000, TEST, ("label-typo", "inplace-relu", "bias-sum", "normal-init", "summed-gradients",
                                 "tiny-lr")),
    ReplayJob(2, 2, 1000, TEST, ("normal-init",), ("csv-labels",)),  # attempt 2 with a fix and the what-if mistake
    ReplayJob(1, 2, 1000, TEST, engine=get_preset("modern").config(epochs=2, validation_share=0.0), label="engine"),
], ids=["as-written", "six-fixes", "attempt-2", "engine"])
def test_a_run_trains_in_a_worker_process_to_the_numbers_it_has_in_this_one(data, pool, job):
    run = ReplayRun(job, data, pool=pool)
    run.start()
    assert run.wait(120) and run.state == "finished", run.reason
    assert run.worker_report["pid"] != os.getpid() and run.worker_report["blas_threads"] == [1]
    assert run.worker_report["niceness"] == os.nice(0) + 10 and run.worker_report["data_is_mapped"]
    here = in_process(job, data)
    assert same(run.result, here)
    assert run.points() == here.points and len(here.points) == job.epochs


def test_its_curve_grows_while_it_trains_and_a_stop_ends_it_without_a_result(data, pool):
    run = ReplayRun(ReplayJob(1, 200, TRAIN, TEST), data, pool=pool)  # minutes: only ever stopped early
    run.start()
    wait_until(lambda: len(run.points()) >= 2, timeout=120, what="two epochs' points")
    assert run.active and run.result is None
    assert run.points()[:2] == in_process(ReplayJob(1, 2, TRAIN, TEST), data).points  # the first epochs, as sent
    progress = run.progress()
    assert progress.total_steps == 200 and progress.step >= 2 and progress.steps_per_second > 0
    words = run_words("mine", run, True)
    assert re.fullmatch(r"Training \*\*mine\*\*: \d+ of 200 epochs trained on 2,000 images…", words), words
    assert run_words("theirs", run, False).startswith("Another student's page is training **theirs**, and this page")
    run.stop("Stopped by the test.")
    assert run.wait(60) and run.state == "stopped" and run.reason == "Stopped by the test."
    assert run.result is None and not run.abandoned


def test_a_run_no_page_shows_any_more_stops_itself_and_is_abandoned(data, pool):
    clock = Clock()
    run = ReplayRun(ReplayJob(1, 200, TRAIN, TEST), data, pool=pool, clock=clock)
    run.start()
    wait_until(lambda: run.points(), timeout=120, what="the first epoch's point")
    clock.looks.wait()
    assert run.active  # beaten at its start, and the clock has not moved
    clock.now += 11  # no page has beaten for it since
    assert run.wait(60) and run.state == "stopped" and run.reason == LEFT_REASON and run.abandoned


def test_a_run_waits_in_line_behind_a_training_and_the_page_says_its_place(data, pool):
    training = TrainingRun(TrainConfig(hidden=(16,), epochs=200, batch_size=1, lr=0.01, seed=1), data, pool=pool)  # stopped
    training.start()
    wait_until(lambda: training.state == "running", timeout=60, what="the training's start")
    run = ReplayRun(ReplayJob(1, 1, 1000, TEST), data, pool=pool)
    run.start()
    wait_until(lambda: run.place_in_line() == 1, what="the run joining the line")
    assert run.state == "queued" and pool.line.waiting == 1
    words = run_words("as written", run, started_here=True)
    assert words.startswith("**as written**: Waiting for a free slot: 1st in line")
    assert "(the server trains 1 at a time)" in words
    assert "another student's page asked for it first" in run_words("as written", run, False)
    training.stop()
    assert training.wait(60)
    assert run.wait(120) and run.state == "finished" and run.result is not None
    assert run_words("as written", run, True) == "**as written**: trained."


def test_a_run_the_worker_cannot_make_fails_in_words(data, pool):
    run = ReplayRun(ReplayJob(1, 1, TRAIN + 1, TEST), data, pool=pool)  # more images than the data holds
    run.start()
    assert run.wait(60) and run.state == "failed" and run.result is None and not run.abandoned
    assert run.reason.startswith("The run stopped because of an unexpected error (ValueError: choose 128 to 2,000")


def test_a_run_holds_a_worker_no_longer_than_the_servers_limit(data, pool):
    clock = Clock()
    run = ReplayRun(ReplayJob(1, 200, TRAIN, TEST), data, pool=pool, clock=clock, max_seconds=5)
    run.start()
    wait_until(lambda: run.points(), timeout=120, what="the first epoch's point")
    clock.now += 6  # past the limit, within the heartbeat
    assert run.wait(60) and run.state == "stopped" and run.reason == time_limit_reason()
    assert not run.abandoned  # a page says why, rather than starting it again


def test_a_run_past_the_servers_limits_is_refused_in_words_before_it_starts(data, pool, monkeypatch):
    monkeypatch.setattr(pool, "pace", Pace(lambda: 1e6))  # a very slow server, nothing measured yet
    with pytest.raises(ValueError, match="This run would take about .* on this server with a worker to itself; it "
                                         "allows about 3 min"):
        ReplayRun(ReplayJob(1, 30, TRAIN, TEST), data, pool=pool)
    assert pool.line.waiting == 0


def test_every_run_of_the_ladder_becomes_a_job_of_its_run_size():
    for attempt in nb.ATTEMPTS:
        for rung in ladder(attempt):
            for spec in rung.runs:
                job = spec.job(5, 6000, 2000)
                assert (job.attempt, job.fixes, job.add, job.epochs, job.examples) == (attempt, spec.fixes,
                                                                                      spec.add, 5, 6000)
                assert (job.engine is not None) == spec.engine
                assert job.engine is None or job.engine == get_preset("modern").config(epochs=5,
                                                                                       validation_share=0.0)
