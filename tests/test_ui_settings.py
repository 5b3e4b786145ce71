"""Settings as the widgets hold them, and their translation to the engine's TrainConfig."""
import pytest

from mlp.config import ConfigError, TrainConfig
from mlp.presets import PRESETS
from ui.shared.settings import (GROUPS, apply_changes, config_from_settings, default_settings, describe, fields,
                         parse_hidden, settings_from_config)


def test_every_engine_setting_has_a_widget_with_a_one_line_help():
    names = [f.name for f in fields()]
    assert sorted(names) == sorted(TrainConfig.names())
    for spec in fields():
        assert spec.group in GROUPS and spec.label and spec.help and "\n" not in spec.help


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_presets_round_trip_through_the_widgets(name):
    config = PRESETS[name].config()
    assert config_from_settings(settings_from_config(config)) == config


@pytest.mark.parametrize("text, widths", [("256, 128", (256, 128)), ("64", (64,)), (" 32 16 ", (32, 16)),
                                          ("none", ()), ("100,", (100,)), ("", ()), (" None ", ())])
def test_hidden_layers_are_typed_as_text(text, widths):
    assert parse_hidden(text) == widths


@pytest.mark.parametrize("change, words", [
    ({"hidden": "256, lots"}, "not a whole number"), ({"hidden": "²"}, "'²' is not a whole number"),
    ({"hidden": "٣"}, "not a whole number"), ({"hidden": "1e400"}, "not a whole number"),
    ({"hidden": "9" * 5000}, "far too large"), ({"hidden": "0, 5"}, "hidden layer needs"),
    ({"classes": []}, "at least one digit"), ({"lr": 0.0}, "learning rate"), ({"epochs": None}, "epochs"),
    ({"lr": None}, "lr"), ({"validation_share": 0.9}, "validation share"),
])
def test_bad_settings_raise_a_config_error_in_words(change, words):
    with pytest.raises(ConfigError, match=words):
        config_from_settings({**default_settings(), **change})


def test_a_diagnosis_fix_lands_in_widget_form():
    settings = apply_changes(default_settings(), {"classes": (3, 1), "lr": 0.1, "hidden": (64,)})
    assert settings["classes"] == [1, 3] and settings["hidden"] == "64" and settings["lr"] == 0.1
    assert config_from_settings(settings).classes == (1, 3)


def test_describe_names_the_run_in_one_line():
    line = describe(TrainConfig(classes=(1, 9), per_class=300, epochs=1))
    assert line.startswith("784-256-128-10 network") and "digits 1, 9" in line and "300 per digit" in line
    assert "1 epoch," in line


def test_short_labels_tell_runs_apart_in_a_legend():
    from ui.shared.settings import short_label

    assert short_label(TrainConfig()) == "default settings"
    assert short_label(TrainConfig(lr=1e-6)) == "lr 1e-06"
    assert short_label(TrainConfig(hidden=(50,), lr=1.0)) == "hidden 50, lr 1"
    assert short_label(PRESETS["notebook-all"].config()) == "notebook-all"
    assert short_label(PRESETS["notebook-all"].config(seed=4)) == "notebook-all, seed 4"
    long = short_label(TrainConfig(hidden=(32,), epochs=1, classes=(1, 9), per_class=100))
    assert long == "hidden 32, epochs 1, classes 1,9, +1 more"


@pytest.mark.parametrize("text", ["²", "٣", "1_0", "+5", "5.0", "0x10", "9" * 5000])
def test_numbers_are_parsed_from_ascii_digits_only(text):
    from ui.shared.settings import parse_whole

    with pytest.raises(ConfigError, match="^Seed: '"):
        parse_whole(text, "Seed")


@pytest.mark.parametrize("text, number", [("1e-3", 0.001), (" .5", 0.5), ("-2", -2.0), ("3.", 3.0)])
def test_decimal_numbers_parse_and_odd_ones_do_not(text, number):
    from ui.shared.settings import parse_number

    assert parse_number(text, "lr") == number
    for odd in ("1_0", "١", "nan", "inf", "0x1p-3", ""):
        with pytest.raises(ConfigError, match="^lr: '.*' is not a number"):
            parse_number(odd, "lr")


def test_an_echoed_value_is_shortened():
    with pytest.raises(ConfigError) as caught:
        parse_hidden("x" * 10_000)
    assert len(str(caught.value)) < 150
