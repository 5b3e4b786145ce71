"""Set-ups in links: round trips, short links, and tampered parameters dropped with a note."""
import pytest

from mlp.config import TrainConfig
from mlp.presets import PRESETS
from ui.shared.links import MAX_NOTES, decode, encode, query_string


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_survives_a_round_trip(name):
    config = PRESETS[name].config(seed=123)
    decoded, notes = decode(encode(config))
    assert decoded == config and notes == []


def test_odd_values_round_trip():
    config = TrainConfig(hidden=(), per_class=37, lr=3.3e-5, augment=True, classes=(0, 9), validation_share=0.0)
    assert decode(encode(config)) == (config, [])


def test_a_part_s_own_setting_travels_in_a_link_as_it_always_did():
    """leaky_slope is declared by leaky ReLU, no longer a field of the config; its links are unchanged."""
    config = TrainConfig(activation="leaky-relu", leaky_slope=0.05, lr=0.01)
    assert query_string(config) == "activation=leaky-relu&lr=0.01&leaky_slope=0.05"
    assert decode({"activation": "leaky-relu", "leaky_slope": "0.05", "lr": "0.01"}) == (config, [])  # an old link
    assert "Leaky ReLU slope must be above 0" in decode({"leaky_slope": "1.5"})[1][0]


def test_defaults_make_an_empty_link_and_changes_only_what_differs():
    assert encode(TrainConfig()) == {}
    assert query_string(TrainConfig(lr=0.01, classes=(1, 9))) == "lr=0.01&classes=1%2C9"


def test_streamlit_gives_lists_and_the_last_value_wins():
    config, notes = decode({"lr": ["0.5", "0.01"], "embed": "true"})
    assert config.lr == 0.01 and notes == []


@pytest.mark.parametrize("params, bad", [
    ({"lr": "fast"}, "lr"), ({"lr": "-1"}, "lr"), ({"lr": "nan"}, "lr"), ({"hidden": "256,x"}, "hidden"),
    ({"classes": "1,12"}, "classes"), ({"activation": "swish"}, "activation"), ({"augment": "maybe"}, "augment"),
    ({"bogus": "1"}, "bogus"), ({"epochs": "2.5"}, "epochs"), ({"classes": ""}, "classes"),
    ({"hidden": "²"}, "hidden"), ({"epochs": "٣"}, "epochs"), ({"lr": "1_0"}, "lr"),
    ({"epochs": "9" * 5000}, "epochs"),
    ({"hidden": "1e400"}, "hidden"), ({"lr": "1e400"}, "lr"), ({"batch_size": "-1"}, "batch_size"),
])
def test_tampered_parameters_fall_back_with_a_note(params, bad):
    config, notes = decode({**params, "seed": "7"})
    assert len(notes) == 1 and bad in notes[0]
    assert config == TrainConfig(seed=7)  # the good parameter still applies


@pytest.mark.parametrize("text", ["none", "", "NONE", " none "])
def test_a_link_can_ask_for_no_hidden_layer(text):
    config, notes = decode({"hidden": text})
    assert config.hidden == () and notes == []
    assert encode(config) == {"hidden": "none"}


def test_notes_quote_a_link_shortened_and_few():
    long = "[click](http://evil.example/)" + "x" * 10_000
    config, notes = decode({"activation": long, **{f"bad{i}": "1" for i in range(50)}})
    assert config == TrainConfig()
    assert len(notes) == MAX_NOTES + 1 and notes[-1] == "and 46 more settings that could not be used"
    assert max(len(note) for note in notes) < 200 and "…" in notes[0]
    name, text = "n" * 5000, "[a](http://e.x)"
    (note,) = decode({name: text})[1]
    assert len(note) < 100
