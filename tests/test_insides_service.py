"""The live insides through the training service: a real worker process takes the snapshots, the run in the web
process keeps the latest. No test waits for time: it waits for snapshots, then stops the run."""
import time

import numpy as np
import pytest
import test_ui_controller
from conftest import synthetic_split
from waiting import wait_until

from mlp.config import TrainConfig
from mlp.data.mnist import Dataset
from mlp.teaching.insides import DRAWING
from training.run import TrainingRun
from training.workers import INSIDES_SECONDS, SharedDataset

pool = test_ui_controller.pool  # its one-worker pool fixture, for this module too

# Batches of one on 14,400 digits: an epoch takes ~2 s here (~0.14 ms a step), longer than INSIDES_SECONDS, so a
# run of a few seconds has snapshots both at epoch ends and in between. On 1,080 digits an epoch took 0.15 s and
# snapshots came between epoch ends only when something slowed the worker down (it failed 1 run in 2).
SLOW = dict(hidden=(16,), epochs=5, batch_size=1, lr=0.001, seed=1)  # within the 3 min a run may take
LONG_EPOCHS = 16_000  # digits in the data of the test that needs epochs longer than a second


class Watched(TrainingRun):
    """A real run that also remembers every snapshot it was sent, and when (the page keeps the latest only)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.shots, self.sent_at = [], time.monotonic()

    def _note(self, step, delta, model, insides):
        super()._note(step, delta, model, insides)
        if insides is not None:
            self.shots.append(insides)

    def start(self):
        self.sent_at = time.monotonic()
        super().start()


@pytest.fixture(scope="module")
def data():
    s = synthetic_split(n=1200)
    files = SharedDataset(Dataset(s.x_train, s.y_train, s.x_test, s.y_test, source="folder", location="synthetic"))
    yield files
    files.close()


@pytest.fixture(scope="module")
def long_data():
    s = synthetic_split(n=LONG_EPOCHS)
    files = SharedDataset(Dataset(s.x_train, s.y_train, s.x_test, s.y_test, source="folder", location="synthetic"))
    yield files
    files.close()


def test_snapshots_come_about_once_a_second_at_each_epoch_end_and_at_the_end(long_data, pool):
    drawing = np.zeros(784, np.float32)
    drawing[300:320] = 1.0
    run = Watched(TrainConfig(**SLOW), long_data, pool=pool, drawing=drawing)
    assert run.insides() is None
    run.start()
    per_epoch = wait_until(lambda: run.shots and run._per_epoch, 60, "the first snapshot")

    def timed() -> list:
        return [s for s in run.shots if s.step % per_epoch and s.step]

    wait_until(lambda: len(timed()) >= 2 and run.shots[-1].step > per_epoch, 600,  # a worker (niceness 10) waits
               # for CPU time behind everything else on a loaded machine: 120 s was not enough beside a CPU hog
               "two snapshots between epoch ends, after an epoch")
    run.stop()
    assert run.wait(60) and run.state == "stopped"
    span = time.monotonic() - run.sent_at  # at least the worker's time from its first snapshot to its last
    steps = [s.step for s in run.shots]
    assert steps[0] == 0 and steps == sorted(set(steps))
    assert steps[-1] == run.progress().step  # the run's end
    ends = [k * per_epoch for k in range(1, steps[-1] // per_epoch + 1)]
    assert set(ends) <= set(steps)  # every epoch's end
    assert len(timed()) - 1 <= span / INSIDES_SECONDS + 1  # at most about one a second between them
    last = run.insides()
    assert last is run.shots[-1]  # the page reads the latest
    assert list(last.labels) == [*range(10), DRAWING]  # a probe per digit learned, then the drawing
    assert last.probes[-1].reshape(-1)[300:320].min() == 255  # the drawing, as sent
    assert last.epoch == pytest.approx(last.step / per_epoch)
    assert all(np.isfinite(layer.update_ratio) for layer in last.layers) and last.layers[-1].update_ratio > 0


def test_a_short_run_ends_on_a_snapshot_of_its_last_step(data, pool):
    run = Watched(TrainConfig(hidden=(16,), epochs=2, batch_size=64, lr=0.01, seed=1, classes=(3, 8)), data, pool=pool)
    run.start()
    assert run.wait(60) and run.state == "finished"
    assert run.shots[0].step == 0 and run.insides().step == run.record.history.train[-1].step == run.progress().step
    assert list(run.insides().labels) == [3, 8]  # no drawing given: the digits learned only
    assert run.insides().right <= 2


def test_insides_that_cannot_be_taken_leave_the_training_alone(data, pool):
    run = Watched(TrainConfig(hidden=(16,), epochs=1, batch_size=64, seed=1), data, pool=pool,
                  drawing=np.zeros(5, np.float32))  # not a 28 x 28 drawing: no probe can be made of it
    run.start()
    assert run.wait(60) and run.state == "finished" and run.record.test_accuracy is not None
    assert run.insides() is None and run.shots == []
