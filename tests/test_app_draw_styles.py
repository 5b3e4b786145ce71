"""The Draw page's teaching moment (AppTest, stand-in canvas): a one with a flag and a foot, misread by a network that
learnt MNIST's digits only and labelled by the student, gets one sentence on why and on how the class's drawings fix
it; a drawing read right gets none."""
from __future__ import annotations

import pytest
from canvas_standin import canvas  # noqa: F401  (a fixture)
from test_app_class import open_page
from test_app_saved_work import database, shown, visit  # noqa: F401  (database is a fixture)

from mlp import TrainConfig, load_mnist, train
from mlp.drawing import styles
from ui.draw.data import read_drawing, style_lesson
from ui.frame.navigation import spec
from ui.shared.network_files import uploaded_run
from ui.state import RUNS_KEY

DRAW = spec("Draw").script


@pytest.fixture(scope="module")
def mnist_only(mnist_dir):
    """A small network that never saw a digit in another hand."""
    result = train(TrainConfig(hidden=(64,), epochs=2, per_class=2000, seed=3, styles=0.0),
                   data=load_mnist(mnist_dir, download=False))
    result.model.metrics = result.metrics()
    return result.model


def read_as(model, drawing) -> int:
    return int(model.predict_proba(read_drawing(drawing.image).digit.reshape(1, -1)).argmax())


def test_a_misread_flagged_one_gets_the_lesson_once_labelled_and_a_plain_one_does_not(database, canvas, mnist_only):
    drawings = list(styles.styled_digits(writers=40, seed=11))
    flagged = next(d for d in drawings if d.label == 1 and d.style == "flag and foot"
                   and style_lesson(1, read_as(mnist_only, d)))
    plain = next(d for d in drawings if d.label == 1 and d.style == "single stroke" and read_as(mnist_only, d) == 1)
    at = visit()
    at.session_state[RUNS_KEY] = [uploaded_run("MNIST only", mnist_only)]
    canvas.image = flagged.image
    open_page(at, DRAW)
    lesson = style_lesson(1, read_as(mnist_only, flagged))
    assert lesson not in shown(at)  # not before the student says what it is
    at.button(key="label_1").click().run()
    assert "Kept as a 1" in shown(at) and lesson in [info.value for info in at.info]
    canvas.image = plain.image
    at.run()
    at.button(key="label_1").click().run()
    assert "Kept as a 1" in shown(at) and not any("MNIST's writers" in str(info.value) for info in at.info)
