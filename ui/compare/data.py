"""Runs side by side: overlaid curves, a table of settings and results, and both as CSV.

Pure: no Streamlit here, so all of it is checked in a unit test (tests/test_ui_compare.py).
"""
from __future__ import annotations

import csv
import dataclasses
import io
from typing import Any, Literal, Sequence

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from mlp.config import TrainConfig
from ui.controller import Run
from ui.figures import FONT_SIZE, finite_values, legend_above, loss_axis, needs_log_scale, readable_axes
from ui.text import escape_html

# Ten colours told apart in print and by most colour-blind eyes (Plotly's "D3" set, green and red apart).
RUN_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
               "#bcbd22", "#17becf")
RUN_DASHES = ("solid", "dash", "dot", "dashdot", "longdash")
RUN_SYMBOLS = ("circle", "square", "diamond", "triangle-up", "x", "star", "cross")  # 7 and 10 colours: 70 looks
WIDEST, NARROWEST = 7.0, 2.0  # line widths of the first and the last run
FIRST_CHOSEN = 3  # runs chosen when the page first opens
PANELS_HEIGHT = 560  # both panels with their axes; the legend's band comes on top
SETTING_NAMES = tuple(f.name for f in dataclasses.fields(TrainConfig))
KEY_SETTINGS = ("hidden", "activation", "init", "optimizer", "lr", "epochs")  # shown when nothing differs
Curve = Literal["held-out", "training"]


def default_selection(runs: Sequence[Run]) -> list[int]:
    """The newest runs that have curves to show (uids), oldest first: what a student just compared."""
    with_curves = [r.uid for r in runs if r.history.train or r.history.heldout]
    return with_curves[-FIRST_CHOSEN:]


def _points(run: Run, curve: Curve) -> list:
    return run.history.heldout if curve == "held-out" else run.history.train


def loss_spread_is_wide(runs: Sequence[Run], curve: Curve = "held-out") -> bool:
    """True when the curves' losses differ by more than 100 times: only a log scale shows them all."""
    return needs_log_scale(p.loss for r in runs for p in _points(r, curve))


def run_style(index: int, count: int) -> dict[str, Any]:
    """The look of the `index`-th of `count` runs: its own colour, dash pattern and marker symbol, and a width
    that narrows from the first run to the last. Later runs are drawn on top, so where two curves coincide
    exactly the one beneath still shows along both edges of the one above (and through its dashes)."""
    share = index / (count - 1) if count > 1 else 0.5
    return dict(line=dict(color=RUN_COLOURS[index % len(RUN_COLOURS)], dash=RUN_DASHES[index % len(RUN_DASHES)],
                          width=WIDEST - (WIDEST - NARROWEST) * share),
                marker=dict(symbol=RUN_SYMBOLS[index % len(RUN_SYMBOLS)], size=14 - 6 * share, maxdisplayed=20))


def compare_figure(runs: Sequence[Run], curve: Curve = "held-out", *, log_loss: bool = False) -> go.Figure:
    """Loss above accuracy against epochs, every run's curves on the same axes, each run in its own style.

    Hovering lists every run at that epoch (with its name), so even curves lying exactly on top of each
    other are all told apart; the legend, one run per line, sits above the panels."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.1,
                        subplot_titles=("Loss: lower is better", "Accuracy: higher is better"))
    for i, run in enumerate(runs):
        points = _points(run, curve)
        x = [p.epoch for p in points]
        for row, attr in ((1, "loss"), (2, "accuracy")):
            fig.add_trace(go.Scatter(
                x=x, y=finite_values([getattr(p, attr) for p in points]), name=escape_html(run.name),
                legendgroup=str(run.uid), showlegend=row == 1, mode="lines+markers", **run_style(i, len(runs)),
                hovertemplate=f"%{{fullData.name}}: {attr} %{{y:.3g}}<extra></extra>"), row=row, col=1)
    which = "held-out digits (unseen in training)" if curve == "held-out" else "training digits"
    fig.update_xaxes(title_text=f"epochs · curves on the {which}", row=2, col=1)
    loss_axis(fig, [p.loss for r in runs for p in _points(r, curve)], log=log_loss)
    fig.update_yaxes(title_text="accuracy", range=[0, 1.02], tickformat=".0%", row=2, col=1)
    fig.update_annotations(font_size=FONT_SIZE + 2)
    fig.update_layout(font=dict(size=FONT_SIZE), margin=dict(l=80, r=20, b=60), hovermode="x unified",
                      xaxis=dict(hoverformat=".2f"), xaxis2=dict(hoverformat=".2f"))
    legend_above(fig, entries=len(runs), height=PANELS_HEIGHT)
    return readable_axes(fig)


def _setting_text(value: Any) -> Any:
    """Settings as a table shows them: tuples as '256, 128', None as 'all'."""
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value) if value else "none"
    return "all" if value is None else value


def differing_settings(runs: Sequence[Run]) -> list[str]:
    """The settings in which the runs differ, in the order of TrainConfig; a few key ones if none do."""
    names = [n for n in SETTING_NAMES if len({getattr(r.config, n) for r in runs}) > 1]
    return names or list(KEY_SETTINGS)


def runs_table(runs: Sequence[Run], settings: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """One row per run: its name, results, what went wrong, then the settings (by default those that differ)."""
    settings = differing_settings(runs) if settings is None else settings
    rows = []
    for run in runs:
        row: dict[str, Any] = {
            "run": run.name, "status": run.status, "test accuracy": run.test_accuracy, "test loss": run.test_loss,
            "epochs done": round(run.epochs, 2), "seconds": round(run.seconds, 1),
            "what went wrong": "; ".join(f.title for f in run.findings),
        }
        for name in settings:
            row[name] = _setting_text(getattr(run.config, name))
        rows.append(row)
    return rows


def _csv(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return out.getvalue()


def runs_csv(runs: Sequence[Run]) -> str:
    """Every run with every setting and its results: the table, complete, for a spreadsheet."""
    rows = runs_table(runs, SETTING_NAMES)
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
