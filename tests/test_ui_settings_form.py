"""The Train page's settings form under AppTest: every bad value is a message in words, never a crash,
and an emptied field means what its help says."""
import pytest
from streamlit.testing.v1 import AppTest

from test_app_pages import DRAW, TRAIN, app, open_page  # noqa: F401 (app is a fixture)
from ui.state import RUN_KEY


@pytest.fixture
def train(app):
    """A fresh session on the Train page."""
    return open_page(app, TRAIN)


def settings(at: AppTest) -> dict:
    return at.session_state["settings"]


@pytest.mark.parametrize("text", ["²", "٣", "1e400", "9" * 5000, "256, -1", "[x](http://e.x)"])
def test_a_bad_hidden_layer_is_a_message_and_the_page_survives_other_visits(train, text):
    train.text_input(key="setting_hidden").set_value(text).run()
    assert not train.exception
    (error,) = train.error
    assert error.value.startswith("Hidden layers\\: ") and len(error.value) < 250
    assert train.button(key="start").disabled
    train.switch_page(DRAW).run()
    train.switch_page(TRAIN).run()
    assert not train.exception and train.error  # still a message, still no traceback
    train.text_input(key="setting_hidden").set_value("64").run()
    assert not train.error and not train.button(key="start").disabled


@pytest.mark.parametrize("text", ["none", ""])
def test_none_or_nothing_is_a_network_without_hidden_layers(train, text):
    train.text_input(key="setting_hidden").set_value(text).run()
    assert not train.exception and not train.error
    assert not train.button(key="start").disabled
    assert train.query_params["hidden"] == "none"  # the address bar, ready to share


def test_emptying_examples_per_digit_brings_back_all(train):
    field = train.number_input(key="setting_per_class")
    assert field.value is None
    field.set_value(300).run()
    assert settings(train)["per_class"] == 300
    train.number_input(key="setting_per_class").set_value(None).run()
    assert settings(train)["per_class"] is None
    assert train.number_input(key="setting_per_class").value is None and not train.error


@pytest.mark.parametrize("key, value, words", [("setting_epochs", 0, "epochs"), ("setting_lr", -1.0, "learning rate"),
                                               ("setting_batch_size", 100_000, "batch size")])
def test_numbers_out_of_range_are_judged_by_the_config_in_words(train, key, value, words):
    train.number_input(key=key).set_value(value).run()
    assert not train.exception
    assert any(words in e.value for e in train.error) and train.button(key="start").disabled


def test_a_stored_value_its_widget_cannot_show_gives_way_to_the_default(train):
    settings(train)["epochs"] = "many"
    settings(train)["optimizer"] = "quantum"
    train.run()
    assert not train.exception
    assert train.number_input(key="setting_epochs").value == 5 and settings(train)["epochs"] == 5
    assert train.selectbox(key="setting_optimizer").value == "adam"


def test_a_rate_typed_and_start_clicked_in_one_rerun_trains_at_the_rate_typed(train):
    """A busy server can take a typed value and the Start click in one rerun: the run gets the value typed, not the
    one the page showed when Start was drawn (a lesson's student at 3e-2 once trained at the 0.1 of the run before)."""
    train.number_input(key="setting_lr").set_value(0.03)
    train.button(key="start").click().run()
    assert not train.exception
    run = train.session_state[RUN_KEY]
    assert run.config.lr == 0.03
    run.stop()
    assert run.wait(60)
