"""The teacher's rule as one pure definition: what it blocks, what it holds at the default, and how it says so."""
from __future__ import annotations

from mlp.presets import PRESETS
from ui.shared.rule import DRAWINGS, Rule, choices
from ui.shared.settings import apply_changes, default_settings, settings_from_config

LR_ONLY = Rule.of(["lr"])


def test_an_open_rule_blocks_nothing():
    wanted = {**default_settings(), "activation": "tanh", "lr": 0.5, DRAWINGS: True}
    assert Rule().open and Rule().blocked(wanted, default_settings()) == []


def test_a_rule_blocks_only_the_fixed_settings_a_change_would_move():
    current = default_settings()
    wanted = apply_changes(current, {"activation": "leaky-relu", "lr": 0.01, "epochs": current["epochs"]})
    assert LR_ONLY.blocked(wanted, current) == ["activation"]  # lr is free; epochs does not move
    assert LR_ONLY.blocked({DRAWINGS: True}, {DRAWINGS: False}) == [DRAWINGS]
    assert Rule.of(["lr", DRAWINGS]).blocked({DRAWINGS: True}, {DRAWINGS: False}) == []


def test_held_settings_keep_what_is_free_and_put_the_rest_back_at_the_default():
    wanted = apply_changes(default_settings(), {"activation": "tanh", "lr": 0.5, "hidden": (32,)})
    held = LR_ONLY.held(wanted)
    assert held == {**default_settings(), "lr": 0.5}


def test_the_rule_says_what_is_fixed_and_what_is_free_in_the_form_s_words():
    labels = choices()
    words = Rule.of(["lr", "epochs"]).why(["activation", "optimizer"])
    assert words.startswith(f"{labels['activation']} and {labels['optimizer']} are fixed by your teacher")
    assert f"you may change only {labels['lr']} and {labels['epochs']}" in words
    assert Rule.of([]).open and Rule.of(None).open  # none chosen: every setting, as the teacher's form says
    assert Rule.of(["lr"]).why([DRAWINGS]).startswith("Add the class's drawings is fixed")


def test_under_a_learning_rate_rule_only_presets_that_vary_nothing_else_may_load():
    defaults = default_settings()
    for name, preset in PRESETS.items():
        wanted = settings_from_config(preset.config())
        moved = {k for k in defaults if wanted[k] != defaults[k]}
        assert bool(LR_ONLY.blocked(wanted, defaults)) == bool(moved - {"lr"}), name
    assert any(LR_ONLY.blocked(settings_from_config(p.config()), defaults) for p in PRESETS.values())
