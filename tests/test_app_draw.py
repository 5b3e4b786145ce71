"""The Draw page's real canvas path under AppTest, through a stand-in canvas: a dot, an emptied canvas, a digit."""
from __future__ import annotations

import numpy as np
import pytest
from canvas_standin import canvas, dot, emptied, rgba, upscaled  # noqa: F401  (canvas is a fixture)
from test_app_pages import DRAW, app, open_page, texts  # noqa: F401  (app is a fixture)

from mlp import TrainConfig, load_mnist, train
from mlp.model import Model
import waiting
from mlp.trainer import History
from training.record import Run
from ui.draw.data import (CHECKING_WORDS, DOUBTS, EMPTY_HINT, SURE_IS_NOT_RIGHT, TOO_LITTLE_HINT, UNREADABLE, has_ink,
                          read_drawing, weak_words)
from ui.shared.network_files import uploaded_run
from ui.shared.text import escape_markdown
from ui.state import DIGIT_KEY, RUNS_KEY


@pytest.fixture(scope="module")
def mnist(mnist_dir):
    return load_mnist(mnist_dir, download=False)


@pytest.fixture(scope="module")
def model(mnist) -> Model:
    """A small network that reads MNIST test digits well (a second or two of training)."""
    result = train(TrainConfig(hidden=(64,), epochs=2, per_class=2000, seed=3), data=mnist)
    assert result.test_accuracy > 0.9
    return result.model


def with_network(at, model: Model):
    at.session_state[RUNS_KEY] = [uploaded_run("test network", model)]
    return open_page(at, DRAW)


def answer(at) -> str | None:
    """The big digit the page shows, or None."""
    shown = [m.value for m in at.markdown if 'id="predicted-digit"' in m.value]
    return shown[0].split(">", 1)[1].split("<", 1)[0] if shown else None


def infos(at) -> str:
    return "\n".join(i.value for i in at.info)


def test_emptiness_is_read_from_the_colours_not_the_alpha_channel():
    assert not has_ink(emptied()) and emptied()[..., 3].all()
    assert read_drawing(emptied())[:2] == (None, EMPTY_HINT)
    assert read_drawing(dot()).digit is None and read_drawing(dot()).hint == TOO_LITTLE_HINT


def test_a_real_digit_drawn_on_the_canvas_gets_the_networks_answer(app, canvas, model, mnist):
    label = int(mnist.y_test[0])
    canvas.image = upscaled(mnist.x_test[0])
    with_network(app, model)
    assert answer(app) == str(label)
    assert "% sure" in texts(app)
    assert app.session_state[DIGIT_KEY].shape == (28, 28)  # Inspect follows it


def test_a_single_click_asks_for_more_ink_instead_of_crashing(app, canvas, model):
    canvas.image = dot()
    with_network(app, model)
    assert TOO_LITTLE_HINT in infos(app) and answer(app) is None
    assert DIGIT_KEY not in app.session_state


def test_the_trash_button_after_a_digit_empties_the_page_instead_of_crashing(app, canvas, model, mnist):
    canvas.image = upscaled(mnist.x_test[0])
    with_network(app, model)
    assert answer(app) is not None
    canvas.image = emptied()  # the toolbar's trash button, or undoing the only stroke
    app.run()
    assert not app.exception, app.exception
    assert EMPTY_HINT in infos(app) and answer(app) is None
    assert DIGIT_KEY not in app.session_state  # Inspect no longer shows the old digit


def test_a_network_whose_answer_is_not_numbers_says_so_in_words(app, canvas, model, mnist):
    broken = model.copy()
    broken.network.params[:] *= np.float32(1e30)  # finite weights whose products overflow: NaN answers
    canvas.image = upscaled(mnist.x_test[0])
    with_network(app, broken)
    assert answer(app) is None and "<1% sure" not in texts(app)
    assert any(UNREADABLE in e.value for e in app.error)


def warnings(at) -> str:
    return "\n".join(w.value for w in at.warning)


def checked(at):
    """The page once the network's "not a digit" check is made (in a thread, once per network for the server):
    AppTest never fires the page's polling, so it is run again until the page no longer says it is checking."""
    def ready() -> bool:
        at.run()
        assert not at.exception, at.exception
        return CHECKING_WORDS not in texts(at)

    waiting.wait_until(ready, timeout=120, what="the 'not a digit' check", every=0.5)
    return at


def finished_run(name: str, model: Model, accuracy: float) -> Run:
    return Run(name=name, config=model.config, history=History(), status="finished", model=model,
               test_accuracy=accuracy, test_loss=0.3, seconds=1.0, epochs=1.0)


def test_draw_names_its_network_and_a_switch_answers_with_the_new_one_at_once(app, canvas, mnist):
    """After the 9% preset and its fixes Draw answered with the newest run unannounced; switching showed the last
    network's answer for seconds, while the new network's check was fitted."""
    good = train(TrainConfig(hidden=(32,), epochs=1, per_class=500, seed=7), data=mnist).model
    weak = Model.create(TrainConfig(hidden=(32,), seed=8))  # never trained: about one digit in ten
    drawn = next(image for image in map(upscaled, mnist.x_test[:50])  # one the two networks answer differently
                 if len({int(m.predict_proba(read_drawing(image).digit.reshape(1, -1)).argmax())
                         for m in (good, weak)}) == 2)

    def reads(model: Model) -> str:
        return str(int(model.predict_proba(read_drawing(drawn).digit.reshape(1, -1)).argmax()))
    runs = [finished_run("Run 1: lr 0.001", good, 0.981), finished_run("Run 2: lr 1e-06", weak, 0.093)]
    app.session_state[RUNS_KEY] = runs
    canvas.image = drawn
    open_page(app, DRAW)
    assert f"Answering with: **{escape_markdown(runs[1].name)}** — 9.3% on test digits" in texts(app)  # the newest
    checked(app)
    assert answer(app) == reads(weak)
    assert weak_words(0.093) in texts(app)  # too weak for the doubt to mean much, said under the answer

    app.selectbox(key="draw_model").set_value(runs[0].uid).run()
    assert not app.exception, app.exception
    assert f"Answering with: **{escape_markdown(runs[0].name)}** — 98.1% on test digits" in texts(app)
    assert answer(app) == reads(good)  # the new network's answer, at once
    assert CHECKING_WORDS in texts(app)  # its check not waited for: it comes when ready
    checked(app)
    assert answer(app) == reads(good)
    assert weak_words(0.981) == "" and "too few for its" not in texts(app)


def test_a_filled_blob_or_a_tiny_mark_is_called_no_digit_with_the_reason_and_still_answered(app, canvas, model):
    rows, cols = np.mgrid[:280, :280]
    canvas.image = rgba(((rows - 140) ** 2 + (cols - 140) ** 2 <= 100 ** 2).astype(np.float32))
    checked(with_network(app, model))
    assert "does not look like a digit" in warnings(app) and DOUBTS["filled"] in warnings(app)
    assert answer(app) is not None and "a guess, " in texts(app)  # the probabilities stay on show
    assert SURE_IS_NOT_RIGHT in texts(app)
    canvas.image = dot(radius=16)  # enough ink for a digit, but 33 pixels of a 280-pixel square
    app.run()
    assert DOUBTS["small"] in warnings(app)


def test_a_real_digit_is_not_doubted(app, canvas, model, mnist):
    canvas.image = upscaled(mnist.x_test[0])
    checked(with_network(app, model))
    assert answer(app) is not None and "does not look like a digit" not in warnings(app)
    assert "a guess, " not in texts(app)


def test_the_brush_width_is_kept_when_chosen(app, canvas, model):
    with_network(app, model)
    app.slider(key="brush").set_value(30).run()
    assert app.session_state["brush_width"] == 30
