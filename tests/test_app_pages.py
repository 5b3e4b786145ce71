"""Each page run by Streamlit's AppTest: settings apply, training runs and reports, nothing ends in a traceback."""
import re
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash
from waiting import wait_until

from ui.frame.navigation import PAGES, spec
from ui.saving import process_store
from ui.state import RUN_KEY

ROOT = Path(__file__).resolve().parents[1]
HOME, TRAIN, DRAW = (spec(title).script for title in ("Home", "Train", "Draw"))


@pytest.fixture
def app(mnist_dir, monkeypatch):
    """The app as a fresh session sees it: the home page first, MNIST from the shared folder."""
    monkeypatch.setenv("MLP_DATA_DIR", str(mnist_dir))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception
    return at


def open_page(at: AppTest, page: str) -> AppTest:
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def request(at: AppTest, url_path: str) -> AppTest:
    """A session's first request for an address (/Train, with `at.query_params`), as a browser makes it.
    AppTest names a page by its file only after a first run, when the first run would be the home page's."""
    at._page_hash = calc_hash(url_path)  # st.Page's hash for a page is that of its url_path
    at.run()
    assert not at.exception, at.exception
    return at


def arrive(at: AppTest, script: str) -> AppTest:
    """A session's first request for the page whose script is `script`."""
    return request(at, next(p.url_path for p in PAGES if p.script == script))


def texts(at: AppTest) -> str:
    parts = [e.value for kind in ("markdown", "caption", "info", "success", "warning", "error") for e in getattr(at, kind)]
    return "\n".join(str(p) for p in parts)


def finish(at: AppTest, timeout: float = 120) -> None:
    """Wait on the session's run (AppTest never fires run_every), then redraw."""
    run = at.session_state[RUN_KEY]
    assert run.wait(timeout), "training did not end in time"
    at.run()
    assert not at.exception, at.exception


def test_home_says_what_the_app_is_and_which_data_is_loaded(app):
    assert "MLP playground" in app.title[0].value
    assert any("Full MNIST" in s.value and "60,000" in s.value for s in app.success)
    assert "Where to start" in texts(app)
    links = [link.proto.page for link in app.get("page_link")]
    assert links == [spec(title).url_path for title in ("Train", "Draw", "Inspect", "Compare", "Notebook", "Class")]
    sidebar = "\n".join(c.value for c in app.sidebar.caption)
    assert "Full MNIST" in sidebar and "your runs and settings are kept at this page's address" in sidebar


@pytest.mark.parametrize("address, title", [("Train", "Train a network"), ("Draw", "Draw a digit"),
                                            ("Inspect", "Inspect a network"), ("Compare", "Compare runs")])
def test_the_addresses_of_the_first_layout_still_open_their_pages(mnist_dir, monkeypatch, address, title):
    monkeypatch.setenv("MLP_DATA_DIR", str(mnist_dir))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["lr"] = "0.02"  # an old shared link: /Train?lr=0.02
    request(at, address)
    assert title in at.title[0].value
    open_page(at, TRAIN)  # the link was read on whichever page it opened
    assert at.number_input(key="setting_lr").value == 0.02


def test_a_visitor_cannot_name_a_data_folder(app):
    """The folder is the server's setting: a field for it would let anyone probe the server's disk and load
    one more copy of MNIST per spelling."""
    for page in (HOME, TRAIN, DRAW):
        open_page(app, page)
        assert not [t for t in app.text_input if "folder" in t.label.lower()]


def test_a_server_data_folder_that_is_wrong_gets_a_message_not_a_traceback(monkeypatch, tmp_path):
    monkeypatch.setenv("MLP_DATA_DIR", str(tmp_path))  # a folder without the four files
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception
    assert any("could not be read" in e.value for e in at.error)


def test_a_preset_loads_in_one_click_with_its_story(app):
    open_page(app, TRAIN)
    app.button(key="preset_notebook-one-nine").click().run()
    assert not app.exception
    assert app.button_group(key="setting_classes").value == [1, 9]
    assert app.selectbox(key="setting_init").value == "normal"
    assert any("ones and nines" in i.value and "separates them" in i.value for i in app.info)


def test_settings_apply_and_survive_a_visit_to_another_page(app):
    open_page(app, TRAIN)
    app.text_input(key="setting_hidden").set_value("64, 32").run()
    app.selectbox(key="setting_optimizer").set_value("momentum").run()
    assert app.number_input(key="setting_momentum").value == 0.9  # the optimiser's own setting appears
    open_page(app, DRAW)
    open_page(app, TRAIN)
    assert app.text_input(key="setting_hidden").value == "64, 32"
    assert app.selectbox(key="setting_optimizer").value == "momentum"


@pytest.mark.parametrize("widget, key, value, words", [
    ("text_input", "setting_hidden", "²", "Hidden layers"),
    ("text_input", "setting_hidden", "wide", "not a whole number"),
    ("button_group", "setting_classes", [], "at least one digit"),
])
def test_bad_settings_show_a_message_and_cannot_start(app, widget, key, value, words):
    open_page(app, TRAIN)
    getattr(app, widget)(key=key).set_value(value).run()
    assert not app.exception
    assert any(words in e.value for e in app.error)
    assert app.button(key="start").disabled


def test_train_says_what_a_run_will_cost_and_refuses_one_past_the_servers_limits(app):
    open_page(app, TRAIN)
    assert re.search(r"Estimated: about \d+(-\d+)? s and \d+ MB on this server\.", texts(app))
    assert not app.button(key="start").disabled
    app.text_input(key="setting_hidden").set_value(",".join(["4096"] * 8)).run()
    assert "would need 2.0 GB of memory to train; this server allows 1.0 GB per run" in texts(app)
    assert app.button(key="start").disabled
    app.text_input(key="setting_hidden").set_value("2048,2048").run()
    app.number_input(key="setting_epochs").set_value(500).run()
    assert re.search(r"This run would take about \d+ hours on this server with a worker to itself; it allows about "
                     r"3 min per run, so that one visitor cannot hold a worker for long", texts(app))


def train_ones_and_nines(at: AppTest, per_class: int) -> None:
    """A run of one epoch on 1s and 9s, from the Train page, to its end."""
    open_page(at, TRAIN)
    at.button_group(key="setting_classes").set_value([1, 9]).run()
    at.number_input(key="setting_per_class").set_value(per_class).run()
    at.number_input(key="setting_epochs").set_value(1).run()
    at.button(key="start").click().run()
    assert not at.exception
    finish(at)


def test_a_short_training_runs_and_its_results_render(app):
    train_ones_and_nines(app, per_class=300)
    page = texts(app)
    assert "Finished:" in page and "Result on the test digits" in page
    assert "Inside the network, live" in page  # the insides as the run ended, under the curves
    assert app.session_state[RUN_KEY].insides().step == app.session_state[RUN_KEY].record.history.train[-1].step
    assert app.button_group(key="insides_probe_2").value == 0  # the diagram lit by the first probe, a 1
    accuracy = next(m for m in app.metric if m.label == "Test accuracy")
    assert float(accuracy.value.rstrip("%")) > 90
    assert any(m.label == "Test loss" for m in app.metric)
    assert not app.button(key="start").disabled  # ready for the next run
    assert "Run 1" in "\n".join(c.value for c in app.sidebar.caption)


def test_a_network_let_go_for_the_servers_memory_is_said_once_and_its_results_stay(app, monkeypatch):
    monkeypatch.setenv(process_store.MB_ENV, "0.5")  # the store keeps the run's results, not its network
    process_store.close_stores()
    try:
        train_ones_and_nines(app, per_class=100)
        record = app.session_state[RUN_KEY].record
        record.release_network()  # as training.memory does when another session's network needs the room
        open_page(app, DRAW)
        assert "was let go to free the server's memory" in texts(app) and not record.in_store
        assert app.button(key="quick_train")  # nothing left to draw with: Draw offers a quick model
        open_page(app, spec("Compare").script)
        assert "was let go" not in texts(app)  # said once
        assert record.test_accuracy is not None and record.history.train  # its results and curves stay
    finally:
        process_store.close_stores()


def test_a_network_let_go_that_the_store_holds_is_read_back_when_drawn_with(app):
    train_ones_and_nines(app, per_class=100)
    record = app.session_state[RUN_KEY].record
    weights = record.model.network.params.copy()
    record.release_network()
    open_page(app, DRAW)
    assert "was set aside to free the server's memory" in texts(app) and "Download a network" not in texts(app)
    assert record.in_store and np.array_equal(record.model.network.params, weights)  # read back to draw with
    assert "quick_train" not in [button.key for button in app.button]


def test_a_failing_run_is_explained_and_its_fix_applies_and_reruns_in_one_click(app):
    open_page(app, TRAIN)
    app.button(key="preset_notebook-one").click().run()
    app.number_input(key="setting_per_class").set_value(200).run()
    app.button(key="start").click().run()
    finish(app)
    failed = app.session_state[RUN_KEY]
    page = texts(app)
    assert "What went wrong" in page and "One class only" in page
    app.button(key="fix_0").click().run()
    assert not app.exception
    assert app.button_group(key="setting_classes").value == list(range(10))
    assert any("Use all ten digits" in s.value for s in app.success)
    rerun = app.session_state[RUN_KEY]
    assert rerun is not failed and rerun.config.classes == tuple(range(10))  # the same click started it
    finish(app)
    assert "One class only" not in texts(app)


def test_pause_resume_and_stop_from_the_page(app):
    open_page(app, TRAIN)
    app.number_input(key="setting_epochs").set_value(50).run()
    app.button(key="start").click().run()
    run = app.session_state[RUN_KEY]
    wait_until(lambda: run.state == "running", what="the run's first step")
    app.run()
    assert not app.button(key="pause").disabled and not app.button(key="one_more_epoch").disabled
    app.button(key="pause").click().run()
    assert run.state == "paused" and "Paused at epoch" in texts(app)
    assert "pause" not in [b.key for b in app.button]  # Resume in its place
    assert any("Paused: the network is not learning now" in i.value for i in app.info)  # said beside the chart
    app.button(key="resume").click().run()
    assert run.state == "running" and "resume" not in [b.key for b in app.button]
    assert not any("Paused:" in i.value for i in app.info)
    app.button(key="stop").click().run()
    page = texts(app)  # at once, while the run still measures its test accuracy
    assert "Stopped at epoch" in page and "Training: epoch" not in page
    assert all(app.button(key=key).disabled for key in ("pause", "one_more_epoch", "stop"))  # shown, cannot act
    assert not app.button(key="start_again").disabled
    finish(app, timeout=60)
    assert run.state == "stopped"
    assert any("Stopped by the user" in w.value for w in app.warning)


def heldout_epochs(run) -> list[float]:
    return [p.epoch for p in run.history().heldout]


def test_one_more_epoch_from_the_page_pauses_at_the_epochs_end(app):
    open_page(app, TRAIN)
    app.number_input(key="setting_epochs").set_value(50).run()  # an epoch: 422 steps, seconds
    app.button(key="start").click().run()
    run = app.session_state[RUN_KEY]
    wait_until(lambda: run.state == "running" and run.progress().step > 0, what="the run's first steps")
    app.run()
    app.button(key="one_more_epoch").click().run()  # from running: to the end of the epoch under way
    assert "pausing at the end of epoch 1" in texts(app) or run.held  # (a busy page may draw after the pause)
    wait_until(lambda: run.held, timeout=120, what="the pause at an epoch's end")
    app.run()
    assert run.state == "paused" and app.button(key="resume")
    assert any("Paused: the network is not learning now" in i.value for i in app.info)
    done = heldout_epochs(run)
    assert done[-1] == int(done[-1]) >= 1  # at an epoch's end
    app.button(key="one_more_epoch").click().run()  # from paused: exactly one more epoch
    wait_until(lambda: run.held, timeout=120, what="the pause one epoch later")
    app.run()
    assert heldout_epochs(run) == done + [done[-1] + 1] and run.state == "paused"
    app.button(key="stop").click().run()
    finish(app, timeout=60)


def test_start_again_stops_the_run_keeps_it_and_trains_the_same_settings_afresh(app):
    open_page(app, TRAIN)
    app.number_input(key="setting_per_class").set_value(100).run()
    app.number_input(key="setting_epochs").set_value(50).run()
    app.button(key="start").click().run()
    first = app.session_state[RUN_KEY]
    wait_until(lambda: first.state == "running" and first.progress().step > 0, what="the run's first step")
    app.run()
    app.text_input(key="setting_hidden").set_value("32").run()  # the settings shown change: the run's stay
    app.button(key="start_again").click().run()
    assert first.stopping or first.done  # stopped first: one training at a time
    assert first.wait(60)
    app.run()  # the page's next run keeps the stopped one, then starts its successor
    again = app.session_state[RUN_KEY]
    assert again is not first and again.active and again.config == first.config
    assert again.name.startswith("Run 2") and [r.name for r in app.session_state["finished_runs"]] == [first.name]
    wait_until(lambda: again.progress().step > 0)
    app.button(key="stop").click().run()
    finish(app, timeout=60)
    assert [r.name for r in app.session_state["finished_runs"]] == [first.name, again.name]
    app.button(key="start_again").click().run()  # from an ended run: a new run at once
    third = app.session_state[RUN_KEY]
    assert third is not again and third.active and third.config == first.config
    third.stop()
    finish(app, timeout=60)


def test_changing_a_setting_or_the_page_does_not_stop_training(app):
    open_page(app, TRAIN)
    app.number_input(key="setting_epochs").set_value(50).run()
    app.button(key="start").click().run()
    run = app.session_state[RUN_KEY]
    app.text_input(key="setting_hidden").set_value("32").run()
    open_page(app, DRAW)
    assert "The answer follows the network as it learns" in texts(app)
    open_page(app, HOME)
    assert run.active and run.config.hidden == (256, 128)  # the run keeps the settings it started with
    open_page(app, TRAIN)
    assert app.button(key="start").disabled  # one training per session at a time
    app.button(key="stop").click().run()
    finish(app, timeout=60)
    assert run.state == "stopped"


def test_draw_page_without_a_network_offers_a_quick_one_then_waits_for_a_drawing(app):
    open_page(app, DRAW)
    assert "no trained network" in texts(app)
    assert any("Draw a digit in the black square" in i.value for i in app.info)
    app.button(key="quick_train").click().run()
    assert not app.exception
    finish(app)
    page = texts(app)
    assert "no trained network" not in page
    assert "Lift the pen" in page  # an empty canvas gets a hint, not a prediction
    assert not [b for b in app.button if b.key == "quick_train"]
    assert "quick model" in "\n".join(c.value for c in app.sidebar.caption)
