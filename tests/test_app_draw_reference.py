"""The Draw page with the server's reference network (training.reference) under AppTest: a weak network's page flags
a drawing its own check lets through when the reference doubts it, and says that it is the reference."""
from __future__ import annotations

import pytest
from canvas_standin import canvas, upscaled  # noqa: F401  (canvas is a fixture)
from streamlit.testing.v1 import AppTest
from test_app_draw import answer, finished_run, warnings
from test_app_pages import DRAW, ROOT, app, open_page, texts  # noqa: F401  (app is a fixture)

import waiting
from mlp import load_mnist, train
from mlp.drawing.canvas_like import non_digits
from mlp.drawing.novelty import fit_novelty
from mlp.model import Model
from training import reference
from training.line import BACKGROUND
from ui.draw.data import DOUBTS, REFERENCE_DOUBT, doubt, read_drawing, reference_config, rows_of, weak_words
from ui.state import RUNS_KEY

REFERENCES = 5000  # as the page's check (ui.draw.panel.REFERENCES)


@pytest.fixture(scope="module")
def mnist(mnist_dir):
    return load_mnist(mnist_dir, download=False)


@pytest.fixture(scope="module")
def strong(mnist) -> Model:
    """The server's reference as its file holds it (its settings), trained here for seconds instead of its minute:
    the same layers, two epochs of plain digits."""
    trained = train(reference_config().replace(epochs=2, augment=False, lr=2e-3), data=mnist)
    assert trained.test_accuracy >= 0.97
    return Model(trained.model.network, reference_config())


def check_of(model: Model, mnist):
    """The network's "not a digit" check, made as the page makes it."""
    return fit_novelty(model.network, mnist.x_train[rows_of(mnist.y_train, tuple(range(10)), REFERENCES)],
                       mnist.x_test, references=REFERENCES)


def test_a_weak_networks_page_flags_a_non_digit_the_reference_doubts(app, canvas, mnist, mnist_dir, strong,
                                                                       monkeypatch, tmp_path):
    weak = Model.create(reference_config().replace(seed=8))  # never trained: about one digit in ten, as the 9% run
    weak_check, strong_check = check_of(weak, mnist), check_of(strong, mnist)
    drawn = next(drawing for drawing in non_digits(200, seed=3)  # a non-digit only the reference doubts
                 if (reading := read_drawing(drawing.image)).digit is not None
                 and doubt(reading, weak, weak_check) == "" and doubt(reading, strong, strong_check) != "")
    monkeypatch.setenv(reference.ENABLED_ENV, "1")
    monkeypatch.setenv("MLP_STATE_DIR", str(tmp_path))  # a server whose reference was trained before a restart
    saved = strong.save(tmp_path / reference.file_name(reference_config(), f"{mnist_dir}|{len(mnist.x_train)}"))
    app.session_state[RUNS_KEY] = [finished_run("Run 1: the 9% preset", weak, 0.093)]
    canvas.image = drawn.image
    open_page(app, DRAW)
    weak_answer = str(int(weak.predict_proba(read_drawing(drawn.image).digit.reshape(1, -1)).argmax()))

    def flagged() -> bool:
        app.run()
        assert not app.exception, app.exception
        return REFERENCE_DOUBT in warnings(app)

    waiting.wait_until(flagged, timeout=120, what="the reference's doubt", every=0.5)  # its check is made in a thread
    assert "does not look like a digit" in warnings(app) and not any(w in warnings(app) for w in DOUBTS.values())
    assert answer(app) == weak_answer and "a guess, " in texts(app)  # the answer is still the student's network's
    assert weak_words(0.093, backed=True) in texts(app)
    assert not saved.with_suffix(".lock").exists()  # read back, never about to be trained: no lock was taken

    monkeypatch.setenv(reference.ENABLED_ENV, "0")  # a server without it: the network's own doubt alone, as before
    app.run()
    assert "does not look like a digit" not in warnings(app) and weak_words(0.093) in texts(app)
    assert answer(app) == weak_answer



def test_a_class_opening_draw_starts_one_reference_training_at_the_back_of_the_line(app, canvas, mnist, mnist_dir,
                                                                                    monkeypatch, tmp_path):
    """No reference file yet: the first Draw page starts its training in the service, the next sessions find it under
    way, and meanwhile each page answers as without it."""
    started, service = [], reference.service_training

    def recorded(*args, **kwargs):
        start = service(*args, **kwargs)

        def go():
            started.append(start())
            return started[-1]
        return go
    monkeypatch.setattr(reference, "service_training", recorded)
    monkeypatch.setenv(reference.ENABLED_ENV, "1")
    monkeypatch.setenv("MLP_STATE_DIR", str(tmp_path))
    weak = Model.create(reference_config().replace(seed=8))
    canvas.image = upscaled(mnist.x_test[0])
    try:
        for session in [app] + [AppTest.from_file(str(ROOT / "app.py"), default_timeout=60) for _ in range(2)]:
            if session is not app:
                session.run()
            session.session_state[RUNS_KEY] = [finished_run("Run 1: the 9% preset", weak, 0.093)]
            open_page(session, DRAW)
            assert answer(session) is not None and REFERENCE_DOUBT not in warnings(session)
            assert weak_words(0.093) in texts(session)  # not backed yet: said as before
        assert len(started) == 1 and started[0].visitor == BACKGROUND and started[0].keep_going()
        assert started[0].config == reference_config() and not started[0].done
    finally:
        for run in started:
            run.stop()
            run.wait(60)
