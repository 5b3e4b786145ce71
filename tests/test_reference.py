"""The server's reference network (training.reference) and how the Draw page combines its doubt with the answering
network's (ui.draw.data): pure, no Streamlit, no worker (the training is a stand-in run)."""
from __future__ import annotations

import logging
import multiprocessing
import os
import threading

import pytest
import waiting

from mlp import TrainConfig
from mlp.model import Model
from training import reference
from training.line import BACKGROUND, FairLine, Visitor
from training.workers import SPARE_NICENESS, WorkerPool
from training.reference import RETRY_SECONDS, ReferenceNetwork, file_name
from ui.draw.data import CHECKING, DOUBTS, REFERENCE_DOUBT, Doubt, combined_doubt, doubt_words, weak_words

CONFIG = TrainConfig(hidden=(8,), seed=4)


# ----- the page's doubt: the answering network's, or the reference's -----
def test_the_answering_networks_own_doubt_comes_first_in_its_own_words():
    assert combined_doubt("tangled", "unlike") == Doubt("tangled") and doubt_words(Doubt("tangled")) == DOUBTS["tangled"]


def test_a_drawing_only_the_reference_doubts_is_flagged_and_says_it_is_the_reference():
    found = combined_doubt("", "unlike")
    assert found.flagged and found.by_reference and doubt_words(found) == REFERENCE_DOUBT
    assert combined_doubt(CHECKING, "strokes") == Doubt("strokes", True)  # its own check not made yet


def test_no_doubt_from_either_flags_nothing_and_a_check_under_way_stays_said():
    assert not combined_doubt("", "").flagged and doubt_words(combined_doubt("", "")) == ""
    assert combined_doubt(CHECKING, "") == Doubt(CHECKING) and not Doubt(CHECKING).flagged


def test_a_weak_network_backed_by_the_reference_says_so_instead_of_that_letters_pass():
    backed, alone = weak_words(0.082, backed=True), weak_words(0.082)
    assert backed.startswith("This network reads only 8% of the test digits right") and "reference" in backed
    assert "letter" in alone and "letter" not in backed
    assert weak_words(0.986, backed=True) == ""


# ----- the line: the server's own run takes none of the students' workers -----
def test_a_background_run_takes_no_student_worker_and_only_one_runs_at_a_time():
    line = FairLine(limit=1)
    assert line.acquire("student 1", give_up=lambda: False, visitor=Visitor(None, "10.0.0.1"))  # the only worker
    line.join("student 2", Visitor(None, "10.0.0.2"))
    assert line.acquire("reference", give_up=lambda: False, visitor=BACKGROUND)  # beside it: a spare worker
    assert line.running == 1 and line.place("student 2") == 1  # nobody waits behind it, nor counts it
    assert line.wait_for(Visitor(None, "10.0.0.9"), lambda ticket: 10.0) == 20.0  # student 1's run, then student 2's
    assert not line.acquire("another", give_up=lambda: True, visitor=BACKGROUND)  # one at a time
    line.release("student 1")
    assert line.acquire("student 2", give_up=lambda: False)
    line.release("reference")
    assert line.acquire("another", give_up=lambda: False, visitor=BACKGROUND)


def test_a_background_run_trains_at_the_lowest_priority_on_a_worker_of_its_own():
    pool = WorkerPool(1, per_workspace=2)
    try:
        student = pool.acquire("student", give_up=lambda: False, visitor=Visitor(None, "10.0.0.1"))
        spare = pool.acquire("reference", give_up=lambda: False, visitor=BACKGROUND)
        assert spare is not None and spare.pid != student.pid
        waiting.wait_until(lambda: os.getpriority(os.PRIO_PROCESS, spare.pid) == min(19, os.nice(0) + SPARE_NICENESS),
                           timeout=30, what="the spare worker at the lowest priority")
        pool.release(spare, "reference")
        assert not spare.alive  # ended with its run: never handed to a student at that priority
        pool.release(student, "student")
        assert pool.acquire("next", give_up=lambda: False).pid == student.pid  # the student's worker is kept
    finally:
        pool.close()


# ----- once per server, kept across restarts -----
class StandInRun:
    """A started run of the training service, as ReferenceNetwork sees one: under way until the test ends it."""

    def __init__(self):
        self.done, self.state, self._model, self._ended = False, "running", None, threading.Event()

    def finish(self, model: Model | None, state: str = "finished") -> None:
        self._model, self.state, self.done = model, state, True
        self._ended.set()

    def model(self) -> Model | None:
        return self._model

    def wait(self, timeout: float | None = None) -> bool:
        return self._ended.wait(timeout)


class Trainings:
    """The `train` a ReferenceNetwork is given: counts the runs it starts."""

    def __init__(self):
        self.runs: list[StandInRun] = []
        self._lock = threading.Lock()

    def __call__(self) -> StandInRun:
        with self._lock:
            self.runs.append(StandInRun())
            return self.runs[-1]


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def network(folder, trainings, clock=None, config=CONFIG) -> ReferenceNetwork:
    return ReferenceNetwork(folder, config, "mnist|60000", trainings, clock=clock or Clock())


def test_a_class_asking_at_once_starts_one_training_and_nobody_waits_for_it(tmp_path):
    trainings = Trainings()
    shared = network(tmp_path, trainings)
    answers = [object()] * 30
    threads = [threading.Thread(target=lambda i=i: answers.__setitem__(i, shared.model())) for i in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(trainings.runs) == 1 and answers == [None] * 30 and shared.training
    trained = Model.create(CONFIG)
    trainings.runs[0].finish(trained)
    assert shared.model() is trained and not shared.training
    assert shared.model() is trained and len(trainings.runs) == 1


def test_a_second_process_sharing_the_folder_does_not_train_it_again_and_reads_the_first_ones_file(tmp_path):
    """Two app processes behind one proxy: the lock file says one of them trains it."""
    clock, first_trains, second_trains = Clock(), Trainings(), Trainings()
    first, second = network(tmp_path, first_trains, clock), network(tmp_path, second_trains, clock)
    assert first.model() is None and second.model() is None
    assert len(first_trains.runs) == 1 and second_trains.runs == []
    trained = Model.create(CONFIG)
    first_trains.runs[0].finish(trained)
    assert first.model() is trained and first.path.exists()
    assert second.model() is None  # it looks at the folder again a few seconds later, not on every ask
    clock.now += reference.LOOK_SECONDS
    found = second.model()
    assert found is not None and found.config == CONFIG and (found.network.params == trained.network.params).all()
    assert second_trains.runs == []


def test_the_file_is_written_when_the_training_ends_though_no_page_asks_again(tmp_path):
    """A server stopped before anyone opened Draw again still has it after its restart."""
    trainings = Trainings()
    shared = network(tmp_path, trainings)
    shared.model()
    trainings.runs[0].finish(Model.create(CONFIG))
    waiting.wait_until(shared.path.exists, timeout=30, what="the reference's file")
    assert not shared.training


def _train_in_another_process(folder, started, finish) -> None:
    """A second app process: it starts the reference's training, and ends it when told."""
    trainings = Trainings()
    shared = network(folder, trainings)
    shared.model()
    started.set()
    finish.wait(60)
    trainings.runs[0].finish(Model.create(CONFIG))
    waiting.wait_until(shared.path.exists, timeout=30, what="the file")


def test_two_real_processes_train_it_once_the_lock_file_says_which(tmp_path):
    context = multiprocessing.get_context("spawn")
    started, finish = context.Event(), context.Event()
    other = context.Process(target=_train_in_another_process, args=(tmp_path, started, finish))
    other.start()
    try:
        assert started.wait(60)
        clock, trainings = Clock(), Trainings()
        here = network(tmp_path, trainings, clock)
        assert here.model() is None and trainings.runs == []  # the other process trains it
        finish.set()
        other.join(60)
        assert other.exitcode == 0
        clock.now += reference.LOOK_SECONDS
        assert here.model() is not None and trainings.runs == []
    finally:
        finish.set()
        other.join(10)


def test_after_a_restart_the_saved_reference_is_read_back_not_trained_again(tmp_path):
    before = Trainings()
    old = network(tmp_path, before)
    old.model()
    trained = Model.create(CONFIG)
    before.runs[0].finish(trained)
    assert old.model() is trained
    after = Trainings()
    restarted = network(tmp_path, after)  # a new process: nothing in memory
    found = restarted.model()
    assert after.runs == [] and (found.network.params == trained.network.params).all()


@pytest.mark.parametrize("damage", ["truncated", "bytes", "settings"])
def test_a_damaged_reference_file_is_refused_in_the_log_and_trained_again(tmp_path, caplog, damage):
    path = tmp_path / file_name(CONFIG, "mnist|60000")
    if damage == "settings":  # a network of other settings under its name
        Model.create(TrainConfig(hidden=(9,), seed=4)).save(path)
    else:
        content = Model.create(CONFIG).to_bytes()
        path.write_bytes(content[:len(content) // 2] if damage == "truncated" else
                         content[:600] + bytes(b ^ 0xFF for b in content[600:700]) + content[700:])
    trainings = Trainings()
    shared = network(tmp_path, trainings)
    with caplog.at_level(logging.WARNING, logger="training.reference"):
        assert shared.model() is None
    assert len(trainings.runs) == 1
    assert [r for r in caplog.records if "reference network refused" in r.getMessage() and str(path) in r.getMessage()]
    trained = Model.create(CONFIG)
    trainings.runs[0].finish(trained)
    assert shared.model() is trained
    assert (network(tmp_path, Trainings()).model().network.params == trained.network.params).all()  # replaced


def test_a_failed_training_leaves_the_page_without_it_and_is_tried_again_later_not_at_once(tmp_path, caplog):
    clock, trainings = Clock(), Trainings()
    shared = network(tmp_path, trainings, clock)
    shared.model()
    with caplog.at_level(logging.WARNING, logger="training.reference"):
        trainings.runs[0].finish(None, "failed")
        assert shared.model() is None
    assert any("ended without a network" in r.getMessage() for r in caplog.records)
    clock.now += reference.LOOK_SECONDS
    assert shared.model() is None and len(trainings.runs) == 1
    clock.now += RETRY_SECONDS
    assert shared.model() is None and len(trainings.runs) == 2


def test_a_training_the_server_refuses_is_said_in_the_log_not_raised(tmp_path, caplog):
    def refused():
        raise ValueError("This run would take about 9 min; this server allows 3 min.")
    shared = network(tmp_path, refused)
    with caplog.at_level(logging.WARNING, logger="training.reference"):
        assert shared.model() is None
    assert any("could not start" in r.getMessage() for r in caplog.records)
    other = Trainings()
    assert network(tmp_path, other).model() is None and len(other.runs) == 1  # the lock was given back


def test_other_settings_or_other_data_get_a_file_of_their_own():
    names = {file_name(CONFIG, "mnist|60000"), file_name(CONFIG, "|5000"),
             file_name(TrainConfig(hidden=(9,), seed=4), "mnist|60000")}
    assert len(names) == 3 and all(n.startswith("reference-network-") and n.endswith(".npz") for n in names)


def test_the_server_setting_switches_it_off(monkeypatch):
    monkeypatch.setenv(reference.ENABLED_ENV, "0")
    assert not reference.enabled()
    monkeypatch.delenv(reference.ENABLED_ENV)
    assert reference.enabled()


def test_the_training_service_trains_it_in_a_worker_at_the_back_of_the_line_and_it_is_saved(tmp_path):
    """The real path, a small network on synthetic digits: a worker of the pool trains it, the file is written."""
    from conftest import synthetic_split
    from mlp.data.mnist import Dataset
    from training.workers import SharedDataset, WorkerPool

    split = synthetic_split()
    data = SharedDataset(Dataset(split.x_train, split.y_train, split.x_test, split.y_test, source="folder",
                                 location="synthetic"))
    pool = WorkerPool(1)
    try:
        config = TrainConfig(hidden=(16,), epochs=1, seed=2)
        trainings = []

        def train():
            trainings.append(reference.service_training(config, lambda: data, pool)())
            return trainings[-1]
        shared = ReferenceNetwork(tmp_path, config, "synthetic", train)
        assert shared.model() is None and len(trainings) == 1
        run = trainings[0]
        assert run.visitor == BACKGROUND and run.keep_going()  # no page needs to beat for it
        assert run.wait(120) and run.state == "finished"
        trained = shared.model()
        assert trained is not None and trained.config == config and shared.path.exists()
        assert run.worker_report["pid"] != os.getpid()
    finally:
        pool.close()
        data.close()
