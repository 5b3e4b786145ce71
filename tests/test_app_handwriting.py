"""The class's handwriting through the app (AppTest, stand-in canvas), on SQLite and PostgreSQL: label a
drawing in one click, and the network's score on the class's drawings appears beside MNIST's."""
from __future__ import annotations

import numpy as np
import pytest
from canvas_standin import canvas, upscaled  # noqa: F401  (canvas is a fixture)
from streamlit.testing.v1 import AppTest
from test_app_class import BOARD_TABLE, open_page, student, table, teacher
from test_app_saved_work import database, shown, train_one, visit  # noqa: F401  (database is a fixture)

from mlp import TrainConfig, load_mnist, train
from mlp.cli import main
from store import Classes, Drawings, Store
from ui.board.panel import handwriting_file
from ui.frame.navigation import spec
from ui.shared.network_files import uploaded_run
from ui.state import RUN_KEY, RUNS_KEY

DRAW, BOARD, TRAIN, INSPECT = (spec(title).script for title in ("Draw", "Board", "Train", "Inspect"))


@pytest.fixture(scope="module")
def mnist(mnist_dir):
    return load_mnist(mnist_dir, download=False)


@pytest.fixture(scope="module")
def model(mnist):
    result = train(TrainConfig(hidden=(64,), epochs=2, per_class=2000, seed=3), data=mnist)
    result.model.metrics = result.metrics()
    return result.model


def test_a_labelled_drawing_joins_the_class_set_and_the_score_appears(database, canvas, model, mnist):
    _, code, _ = teacher()
    ana = student(code, "Ana")
    ana.session_state[RUNS_KEY] = [uploaded_run("test network", model)]
    canvas.image = upscaled(mnist.x_test[0])
    open_page(ana, DRAW)
    assert "On the class's handwriting" not in shown(ana)  # nothing labelled yet
    label = int(mnist.y_test[0])
    ana.button(key=f"label_{label}").click().run()
    assert f"Kept as a {label}" in shown(ana)
    assert "On the class's handwriting: 1 of 1 right, 100% (MNIST's test digits:" in shown(ana).replace("**", "")
    open_page(ana, spec("Inspect").script)
    assert "On the class's handwriting: 1 of 1 right" in shown(ana).replace("**", "")
    store = Store(database)
    kept = Drawings(store).of_class(Classes(store).by_code(code).id)
    assert list(kept.labels) == [label] and list(kept.writers) == ["Ana"]
    assert np.abs(kept.images[0] / 255 - ana.session_state["drawn_digit"]).max() < 0.01
    store.close()


def test_without_a_class_the_drawing_joins_the_students_own_set(database, canvas, model, mnist):
    at = visit()
    at.session_state[RUNS_KEY] = [uploaded_run("test network", model)]
    canvas.image = upscaled(mnist.x_test[1])
    open_page(at, DRAW)
    wrong = (int(mnist.y_test[1]) + 1) % 10
    at.button(key=f"label_{wrong}").click().run()
    assert "On your labelled drawings: 0 of 1 right, 0%" in shown(at).replace("**", "")


def test_the_board_offers_the_class_handwriting_as_a_file_the_cli_reads(database, canvas, model, mnist, tmp_path,
                                                                       capsys):
    teach, code, _ = teacher()
    ana = student(code, "Ana")
    ana.session_state[RUNS_KEY] = [uploaded_run("test network", model)]
    canvas.image = upscaled(mnist.x_test[0])
    open_page(ana, DRAW)
    ana.button(key=f"label_{int(mnist.y_test[0])}").click().run()
    train_one(ana)  # a posted run: the board scores it on the class's one drawing
    open_page(teach, BOARD)
    assert [b.label for b in teach.get("download_button")] == ["The class's handwriting (.npz)"]
    assert list(table(teach, BOARD_TABLE)["class handwriting"]) in (["0% (0 of 1 drawings)"], ["100% (1 of 1 drawings)"])
    store = Store(database)
    room = Classes(store).by_code(code)
    store.close()
    drawings, saved_model = tmp_path / "class.npz", model.save(tmp_path / "model.npz")
    drawings.write_bytes(handwriting_file(room))  # what the button hands out
    assert main(["evaluate", str(saved_model), "--drawings", str(drawings)]) == 0
    assert "1 of 1 drawings by 1 writers right" in capsys.readouterr().out


def metric_labels(at: AppTest) -> list[str]:
    return [m.label for m in at.metric]


def test_the_result_card_shows_the_class_handwriting_beside_the_test_accuracy(database, mnist):
    _, code, _ = teacher()
    ana = student(code, "Ana")
    train_one(ana)
    assert "Test accuracy" in metric_labels(ana) and "Class handwriting" not in metric_labels(ana)  # none labelled
    store = Store(database)
    room = Classes(store).by_code(code)
    for i in range(4):
        Drawings(store).add(ana.query_params["w"], mnist.x_test[i].reshape(28, 28), int(mnist.y_test[i]),
                            nickname="Ana", class_id=room.id)
    store.close()
    ana.run()
    [metric] = [m for m in ana.metric if m.label == "Class handwriting"]
    right = round(float(metric.value.rstrip("%")) / 25)  # of 4 drawings
    assert metric.value == f"{right / 4:.1%}" and f"{right} of 4 read right, on the class's handwriting" in metric.help


def test_training_with_the_class_drawings_holds_some_writers_out_and_says_which(database, mnist):
    _, code, _ = teacher()
    ana = student(code, "Ana")
    open_page(ana, TRAIN)
    assert ana.toggle(key="with_drawings").disabled  # no drawings in the class yet: shown, locked, with why
    assert "No drawing of the class is labelled yet" in shown(ana)
    store = Store(database)
    room = Classes(store).by_code(code)
    writers = ["Ana", "Eve", "Finn", "Dan"]  # Dan and Ana held out (a stable hash), Eve and Finn trained on
    for i in range(8):
        Drawings(store).add(ana.query_params["w"], mnist.x_test[i].reshape(28, 28), int(mnist.y_test[i]),
                            nickname=writers[i % 4], class_id=room.id)
    store.close()
    ana.run()
    assert "4 drawings to train on; held out for the score: Ana, Dan." in shown(ana)
    ana.toggle(key="with_drawings").set_value(True).run()
    train_one(ana)
    run = ana.session_state[RUN_KEY]
    assert len(run.extra[1]) == 4 and np.array_equal(run.extra[1], mnist.y_test[[1, 2, 5, 6]])
    assert run.record.status == "finished", run.record.reason
    [metric] = [m for m in ana.metric if m.label == "Class handwriting (held-out writers)"]
    assert "of 4 read right, on held-out writers' drawings" in metric.help


def scored(at: AppTest, page: str) -> str:
    """The class-handwriting line a page shows (Draw, Inspect)."""
    open_page(at, page)
    return next(line for line in shown(at).replace("**", "").splitlines() if line.startswith("On "))


def test_a_run_trained_on_the_class_drawings_is_scored_only_on_those_it_did_not_see(database, mnist, canvas):
    teach, code, _ = teacher()
    ana = student(code, "Ana")
    store = Store(database)
    room = Classes(store).by_code(code)
    writers = ["Ana", "Eve", "Finn", "Dan"]  # Ana and Dan held out: 4 drawings to score on, 4 to train on
    for i in range(8):
        Drawings(store).add(ana.query_params["w"], mnist.x_test[i].reshape(28, 28), int(mnist.y_test[i]),
                            nickname=writers[i % 4], class_id=room.id)
    open_page(ana, TRAIN).toggle(key="with_drawings").set_value(True).run()
    train_one(ana)
    assert ana.session_state[RUN_KEY].record.drawings == 2  # Eve's and Finn's 1 and 9: the digits it learns
    canvas.image = upscaled(mnist.x_test[0])
    assert " of 4 right" in scored(ana, DRAW) and scored(ana, DRAW).startswith("On held-out writers' drawings: ")
    assert scored(ana, INSPECT).startswith("On held-out writers' drawings: ") and " of 4 right" in scored(ana, INSPECT)
    open_page(teach, BOARD)
    assert list(table(teach, BOARD_TABLE)["scored on"]) == ["held-out writers' drawings"]
    Drawings(store).add(ana.query_params["w"], mnist.x_test[8].reshape(28, 28), int(mnist.y_test[8]),
                        nickname="Eve", class_id=room.id)  # labelled after the run trained: new to it
    store.close()
    again = visit(ana.query_params["w"])  # a reload: the run comes back from the store, remembering
    assert scored(again, INSPECT).startswith("On held-out writers' drawings and 1 labelled since it trained: ")
    assert " of 5 right" in scored(again, INSPECT)
    teach.run()
    assert list(table(teach, BOARD_TABLE)["scored on"]) == ["held-out writers' drawings and 1 labelled since it trained"]
