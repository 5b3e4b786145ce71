"""Runs, settings and drawings as the store keeps them, and back (ui/saving/records.py, pure)."""
from __future__ import annotations

import math

import numpy as np

from mlp.config import TrainConfig
from mlp.diagnostics import LayerStats
from mlp.model import Model
from mlp.teaching.diagnosis import diagnose
from mlp.trainer import DiagnosticPoint, EvalPoint, History, TrainPoint
from training.record import Run, last_run_number
from ui.saving import records
from ui.shared.settings import default_settings


def a_run() -> Run:
    config = TrainConfig(hidden=(8,), epochs=2, lr=5.0)
    history = History([TrainPoint(1, 0.5, math.nan, 0.1, 5.0), TrainPoint(2, 1.0, math.inf, 0.1, 5.0)],
                      [EvalPoint(2, 1.0, math.nan, 0.1)],
                      [DiagnosticPoint(2, 1.0, (LayerStats(0.5, 0.0, 3.0, 0.01), LayerStats(0.0, 0.0, 1.0, 0.1)))])
    return Run(name="Run 7: lr 5", config=config, history=history, status="failed", reason="The loss became NaN.",
               model=Model.create(config), seconds=1.5, epochs=1.0,
               findings=diagnose(config, history, status="failed", reason="The loss became NaN."))


def test_a_run_survives_the_trip_with_its_network_curves_and_diagnosis():
    record = a_run()
    back = records.restored(records.stored(record))
    assert (back.name, back.config, back.status, back.reason, back.seconds) == (
        record.name, record.config, record.status, record.reason, record.seconds)
    assert np.array_equal(back.model.network.params, record.model.network.params)
    assert back.history.diagnostics == record.history.diagnostics and back.findings == record.findings
    assert math.isnan(back.history.train[0].loss) and math.isinf(back.history.train[1].loss)


def test_saved_settings_keep_only_known_names_of_the_right_kind():
    settings = records.restored_settings({"lr": 0.5, "epochs": 3.0, "hidden": "64", "seed": "not a number",
                                        "gone_setting": 1, "classes": [1, 2], "per_class": 50})
    defaults = default_settings()
    assert (settings["lr"], settings["hidden"], settings["classes"], settings["per_class"]) == (0.5, "64", [1, 2], 50)
    assert settings["seed"] == defaults["seed"] and "gone_setting" not in settings
    assert records.restored_settings(None) == defaults


def test_a_drawing_comes_back_only_with_a_sane_digit():
    digit = np.linspace(0, 1, 784, dtype=np.float32).reshape(28, 28)
    canvas, back = records.drawing_from(records.drawing_payload({"objects": []}, digit))
    assert canvas == {"objects": []} and np.allclose(back, digit, atol=1e-4)
    for bad in ([5.0] * 784, [0.1] * 10, "text", [[0.1, "x"]]):
        assert records.drawing_from({"canvas": {"objects": []}, "digit": bad})[1] is None
    assert records.drawing_from({"canvas": "<script>", "digit": None}) == (None, None)
    assert records.drawing_payload(None, digit) is None


def test_new_runs_number_on_after_the_restored_ones():
    assert last_run_number(["Run 3: lr 0.1", "my own name", "Run 12", "Run x"]) == 12
    assert last_run_number([]) == 0
