"""Runs side by side: overlaid curves, a table of settings and results, and both as CSV.

Pure: no Streamlit here, so all of it is checked in a unit test (tests/test_ui_compare.py).
"""
from __future__ import annotations

import csv
import io
from typing import Any, Sequence

from mlp.config import TrainConfig
from training.record import Run

FIRST_CHOSEN = 3  # runs chosen when the page first opens
KEY_SETTINGS = ("hidden", "activation", "init", "optimizer", "lr", "epochs")  # shown when nothing differs


def default_selection(runs: Sequence[Run]) -> list[int]:
    """The newest runs that have curves to show (uids), oldest first: what a student just compared."""
    with_curves = [r.uid for r in runs if r.history.train or r.history.heldout]
    return with_curves[-FIRST_CHOSEN:]


def _setting_text(value: Any) -> Any:
    """Settings as a table shows them: tuples as '256, 128', None as 'all'."""
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value) if value else "none"
    return "all" if value is None else value


def differing_settings(runs: Sequence[Run]) -> list[str]:
    """The settings in which the runs differ, in the order of TrainConfig; a few key ones if none do."""
    names = [n for n in TrainConfig.names() if len({getattr(r.config, n) for r in runs}) > 1]
    return names or list(KEY_SETTINGS)


LEADING_FACTS = ("name", "test_accuracy")  # a run's name, then (after the settings) its result
WRONG = "what went wrong"


def runs_table(runs: Sequence[Run], settings: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """One row per run: its name, the settings (by default those that differ), its test accuracy, its other facts
    (training.record.RunFacts's columns), and what went wrong last. What differs comes first: on a phone, or after
    a long "what went wrong", the settings ran off the right of the table."""
    settings = differing_settings(runs) if settings is None else settings
    rows = []
    for run in runs:
        name, result = (run.columns(fact) for fact in LEADING_FACTS)
        rest = {k: v for k, v in run.columns().items() if k not in name and k not in result}
        row: dict[str, Any] = dict(name)
        for setting in settings:
            row[setting] = _setting_text(getattr(run.config, setting))
        row |= result | rest | {WRONG: "; ".join(f.title for f in run.findings)}
        rows.append(row)
    return rows


def difference_words(runs: Sequence[Run]) -> str:
    """One line above the table: the settings in which the chosen runs differ, or that they differ in none."""
    if len(runs) < 2:
        return ""
    differ = [n for n in TrainConfig.names() if len({getattr(r.config, n) for r in runs}) > 1]
    if not differ:
        return "These runs have the same settings."
    return f"These runs differ in {_listed(differ)}: the first columns of the table."


def _listed(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _csv(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return out.getvalue()


def runs_csv(runs: Sequence[Run]) -> str:
    """Every run with every setting and its results: the table, complete, for a spreadsheet."""
    rows = runs_table(runs, TrainConfig.names())
    return _csv(rows, rows[0].keys() if rows else ["run"])


HISTORY_COLUMNS = ("run", "curve", "step", "epoch", "loss", "accuracy", "learning rate")


def histories_csv(runs: Sequence[Run]) -> str:
    """Every logged point of every run, one per line: training points and held-out checks."""
    rows = []
    for run in runs:
        for p in run.history.train:
            rows.append({"run": run.name, "curve": "training", "step": p.step, "epoch": p.epoch, "loss": p.loss,
                         "accuracy": p.accuracy, "learning rate": p.lr})
        for p in run.history.heldout:
            rows.append({"run": run.name, "curve": run.history.heldout_name, "step": p.step, "epoch": p.epoch,
                         "loss": p.loss, "accuracy": p.accuracy, "learning rate": None})
    return _csv(rows, HISTORY_COLUMNS)
