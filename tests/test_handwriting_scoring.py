"""Which of the class's drawings a run is scored on (ui.shared.handwriting_score.scored_on, pure): all of them for a run
that trained on none; for one that trained on some, only those it cannot have seen. The run remembers what it
trained on (record, saved row), and its cost estimate counts the drawings it adds."""
from __future__ import annotations

import numpy as np
from test_ui_controller import QUICK, class_drawings, data, pool  # noqa: F401  (data, pool: fixtures)

from mlp.config import TrainConfig
from mlp.drawing.handwriting import Handwriting
from mlp.trainer import History, Trainer
from training.record import Run
from training.run import TrainingRun, added_rows, estimate_run, evals_per_epoch
from training.workers import select
from ui.saving import records
from mlp.drawing.handwriting import as_training_rows, held_out, split_writers
from ui.shared.handwriting_score import HELD_OUT_WORDS, newest, scored_on


class Trained:
    """A run as scored_on reads it."""

    def __init__(self, drawings: int, until: float | None):
        self.drawings, self.drawings_until = drawings, until


def labelled_at(count: int = 36) -> Handwriting:
    """class_drawings with drawing i labelled at second 1000 + i."""
    kept = class_drawings(count)
    return Handwriting(kept.images, kept.labels, kept.writers, 1000.0 + np.arange(count))


def test_a_run_that_trained_on_no_drawing_is_scored_on_all_of_them():
    kept = labelled_at()
    trained_on_none = Run(name="r", config=TrainConfig(), history=History(), status="finished", test_accuracy=0.9)
    for run in (None, Trained(0, None), trained_on_none):
        drawings, words = scored_on(kept, run, "the class's handwriting")
        assert drawings is kept and words == "the class's handwriting"


def test_without_a_cut_off_only_held_out_writers_drawings_count():
    kept = labelled_at()
    for run, handwriting in ((Trained(20, None), kept), (Trained(20, 2000.0), class_drawings(36))):  # times unknown
        drawings, words = scored_on(handwriting, run)
        assert words == HELD_OUT_WORDS and len(drawings) and all(held_out(w) for w in drawings.writers)
        assert len(drawings) == len(split_writers(handwriting)[1])


def test_drawings_labelled_after_the_run_trained_count_too_but_none_it_trained_on():
    kept = labelled_at()
    training, _ = split_writers(kept)
    cut = 1000.0 + 20  # it trained on the drawings labelled up to second 1020
    drawings, words = scored_on(kept, Trained(int((training.created <= cut).sum()), cut))
    trained_on = ~np.array([held_out(w) for w in kept.writers]) & (kept.created <= cut)
    later = ~np.array([held_out(w) for w in kept.writers]) & (kept.created > cut)
    assert set(drawings.created) == set(kept.created[~trained_on])  # every drawing it did not train on, only those
    assert words == f"{HELD_OUT_WORDS} and {later.sum()} labelled since it trained" and later.sum() > 0
    assert np.array_equal(drawings.images, kept.images[~trained_on])  # the images follow their times


def test_newest_is_the_last_drawings_time():
    assert newest(labelled_at(5)) == 1004.0
    assert newest(class_drawings(5)) is None and newest(labelled_at(0)) is None


def test_the_saved_run_keeps_what_it_trained_on():
    record = Run(name="r", config=TrainConfig(), history=History(), status="finished", test_accuracy=0.9, drawings=7,
                 drawings_until=1234.5)
    row = records.stored(record)
    assert (row.drawings, row.drawings_until) == (7, 1234.5)
    back = records.restored(row)
    assert (back.drawings, back.drawings_until) == (7, 1234.5)


def test_the_estimate_counts_the_drawings_a_run_adds(data):
    config = TrainConfig(**{**QUICK, "classes": (0, 1, 2, 3, 4)})
    training, _ = split_writers(labelled_at(60))
    extra = as_training_rows(training)
    assert added_rows(config, extra) == int(np.isin(training.labels, config.classes).sum()) > 0
    assert added_rows(config, None) == 0
    run = TrainingRun(config, data, extra=extra, drawings_until=newest(training))
    trainer = Trainer(config, select(data.dataset, config, extra), evals_per_epoch=evals_per_epoch(config.epochs))
    assert run.estimate.cost.steps == config.epochs * trainer.steps_per_epoch  # before any worker says so
    assert estimate_run(config, data).cost.steps < run.estimate.cost.steps


def test_a_runs_record_remembers_the_drawings_it_trained_on(data, pool):
    config = TrainConfig(**QUICK)
    training, _ = split_writers(labelled_at())
    run = TrainingRun(config, data, pool=pool, extra=as_training_rows(training), drawings_until=newest(training))
    run.start()
    assert run.wait(60) and run.state == "finished", run.record and run.record.reason
    assert (run.record.drawings, run.record.drawings_until) == (len(training), training.created.max())
    plain = TrainingRun(config, data, pool=pool)
    plain.start()
    assert plain.wait(60) and (plain.record.drawings, plain.record.drawings_until) == (0, None)
