"""Digits in the ways of writing MNIST lacks (mlp.drawing.styles): the benchmark's templates and the training
templates are separate sets, writers are consistent, the training pool is even and made once, a run mixes it into
its batches only for the digits it learns; and the Draw page's sentence on a misread style (ui.draw.data)."""
from __future__ import annotations

import numpy as np
import pytest

from mlp.config import ConfigError, TrainConfig
from mlp.drawing import styles
from mlp.drawing.preprocess import to_mnist
from mlp.trainer import Trainer, styled_rows
from ui.draw.data import STYLE_LESSONS, style_lesson


def test_the_benchmark_and_training_templates_share_no_stroke():
    """The benchmark must not measure memory of the training templates: no stroke of one set is in the other."""
    for digit in range(10):
        training = [s for template in styles.TRAINING[digit].values() for s in template]
        for style, template in styles.EVALUATION[digit].items():
            for stroke in template:
                assert not any(s.shape == stroke.shape and np.allclose(s, stroke, atol=0.02) for s in training), \
                    (digit, style)


def test_every_rare_style_is_in_both_sets_and_has_a_share():
    for digit, style in styles.RARE_IN_MNIST:
        assert style in styles.EVALUATION[digit] and style in styles.TRAINING[digit]
        assert styles.STYLE_SHARES[digit][style] > 0


def test_a_writer_keeps_one_style_per_digit_and_drawings_are_canvas_images():
    drawings = list(styles.styled_digits(writers=6, per_digit=2, seed=3))
    assert len(drawings) == 6 * 2 * 10
    for writer in range(6):
        mine = [d for d in drawings if d.writer == writer]
        for digit in range(10):
            assert len({d.style for d in mine if d.label == digit}) == 1
    first = drawings[0].image
    assert first.shape == (280, 280, 4) and first.dtype == np.uint8 and (first[..., 3] == 255).all()
    assert all(to_mnist(d.image) is not None for d in drawings)
    again = list(styles.styled_digits(writers=6, per_digit=2, seed=3))
    assert all(np.array_equal(a.image, b.image) for a, b in zip(drawings, again))
    assert len({d.style for d in drawings if d.label == 1}) > 1  # writers differ


def test_the_training_pool_doubles_zeros_and_ones_is_deterministic_and_made_once():
    images, labels = styles.training_pool(300, seed=5)
    assert images.shape == (300, 784) and images.dtype == np.float32 and not images.flags.writeable
    assert np.bincount(labels, minlength=10).tolist() == [50, 50] + [25] * 8
    assert images.max(axis=1).min() == pytest.approx(1.0)  # every one drawn, as the preprocessing leaves it
    assert styles.training_pool(300, seed=5)[0] is images
    styles.training_pool.cache_clear()
    assert np.array_equal(styles.training_pool(300, seed=5)[0], images)


def test_training_flags_fall_diagonally_and_training_sevens_bars_are_level():
    """What tells a one with a long flag from a seven: the flag falls from the top of the stem, the bar does not."""
    rng = np.random.default_rng(0)
    flags, bars = [], []
    for _ in range(300):
        (stem,) = styles.one_with_flag(rng, foot=False)
        corner = stem[stem[:, 0].argmin()]  # the top of the stem, where the flag starts
        drop, run = stem[0] - corner
        flags.append((drop, -run))
        seven = styles.seven(rng, crossed=bool(rng.integers(2)))[0]
        end = seven[seven[:, 1].argmax()]  # the bar's right end, where the stem starts
        bars.append((abs(end[0] - seven[0, 0]), end[1] - seven[0, 1]))
    flags, bars = np.array(flags), np.array(bars)
    assert flags[:, 0].min() >= 0.15 and flags[:, 1].max() > 0.45  # every flag a diagonal, some nearly half as wide
    assert bars[:, 1].min() >= 0.5 and bars[:, 0].max() <= 0.08
    assert (flags[:, 0] / flags[:, 1]).min() > (bars[:, 0] / bars[:, 1]).max()


def test_a_run_mixes_styled_digits_only_of_the_digits_it_learns(tiny_split):
    assert styled_rows(TrainConfig(styles=0.0)) is None
    images, labels = styled_rows(TrainConfig(styles=0.1, classes=(1, 4, 7)))
    assert set(labels.tolist()) == {1, 4, 7} and len(images) == len(labels)
    keep = np.isin(tiny_split.y_train, (1, 4, 7))
    split = type(tiny_split)(**{**vars(tiny_split), "x_train": tiny_split.x_train[keep],
                                "y_train": tiny_split.y_train[keep]})
    config = TrainConfig(hidden=(8,), classes=(1, 4, 7), styles=0.5, epochs=1, batch_size=64, augment=True)
    trainer = Trainer(config, split)
    xb, yb = trainer._with_styled(split.x_train[:64], split.y_train[:64])  # augment (all rows) comes after
    pool_rows = {row.tobytes() for row in images}
    from_pool = np.array([row.tobytes() in pool_rows for row in xb])
    assert from_pool.sum() == 32 and from_pool[-32:].all()  # the last half replaced, the steps unchanged
    assert set(yb[from_pool].tolist()) <= {1, 4, 7}
    assert np.array_equal(yb[~from_pool], split.y_train[:32]) and np.array_equal(xb[:32], split.x_train[:32])
    plain = Trainer(config.replace(augment=False), split)  # without augment, only the pen digits are moved
    xb, yb = plain._with_styled(split.x_train[:64], split.y_train[:64])
    assert np.array_equal(xb[:32], split.x_train[:32]) and not any(row.tobytes() in pool_rows for row in xb[32:])
    assert set(yb[32:].tolist()) <= {1, 4, 7}



def test_each_batch_gets_the_share_of_styled_digits_rounded_at_random_with_fresh_draws_each_epoch(tiny_split):
    """A share of 0.3 of 16 rows is 4.8: 4 or 5 rows a batch, 4.8 on average; the draws are made at each epoch's start."""
    config = TrainConfig(hidden=(8,), styles=0.3, epochs=2, batch_size=16)
    trainer = Trainer(config, tiny_split)
    counts, epochs = [], []
    for step in range(2 * trainer.steps_per_epoch):
        trainer.steps_taken = step
        xb, yb = trainer._with_styled(tiny_split.x_train[:16].copy(), tiny_split.y_train[:16].copy())
        moved = {row.tobytes() for row in trainer._moved}
        counts.append(sum(row.tobytes() in moved for row in xb))
        if step % trainer.steps_per_epoch == 0:
            epochs.append(trainer._moved.copy())
    assert set(counts) == {4, 5} and abs(np.mean(counts) - 4.8) < 4 * np.sqrt(0.8 * 0.2 / len(counts))  # 4 sigma
    assert not np.array_equal(epochs[0], epochs[1])  # the pool moved afresh for the second epoch


@pytest.mark.parametrize("share", [-0.1, 0.6, float("nan")])
def test_the_share_of_styled_digits_is_checked(share):
    with pytest.raises(ConfigError):
        TrainConfig(styles=share)


def test_the_draw_page_explains_a_misread_style_and_only_that():
    assert "slash" in style_lesson(0, 8) and "flag" in style_lesson(1, 7) and "closed top" in style_lesson(4, 9)
    assert "class's labelled drawings" in style_lesson(7, 1)
    assert style_lesson(1, 1) == "" and style_lesson(4, 1) == "" and style_lesson(5, 3) == ""
    assert all(words.count(". ") == 0 for _, words in STYLE_LESSONS.values())  # one sentence each
