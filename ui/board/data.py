"""The class board's data: a table of the posted runs, one setting against accuracy, the best run, and runs to
overlay. Pure (no Streamlit): tested in tests/test_ui_board.py."""
from __future__ import annotations

import json
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Sequence

import plotly.graph_objects as go

from mlp.config import ConfigError, TrainConfig, from_saved
from training.record import RUN_NUMBER, Run
from ui.saving import records
from ui.shared.figures import FONT_SIZE, log_ticks, readable_axes
from ui.shared.settings import short_label
from ui.shared.text import escape_html

if TYPE_CHECKING:  # annotations only: posts are read through ui.saving.classes
    from store import Post

CHART_SETTINGS = {"lr": "learning rate", "batch_size": "batch size", "epochs": "epochs", "hidden": "hidden layers",
                  "weight_decay": "weight decay", "dropout": "dropout", "optimizer": "optimizer",
                  "activation": "activation", "init": "initialisation", "seed": "random seed"}


@lru_cache(maxsize=4096)
def _config(text: str) -> TrainConfig | None:
    try:
        return from_saved(json.loads(text))
    except (ConfigError, TypeError, ValueError):
        return None


@lru_cache(maxsize=4096)
def _label(config: TrainConfig, most: int = 4) -> str:
    return short_label(config, most=most) or "the defaults"


def own_name(name: str, config: TrainConfig) -> str:
    """A run's name without the settings the app wrote into it ('Run 3: lr 0.01' -> 'Run 3'): the settings have
    their own column. A name the student or a page gave ('Run 2: quick model', a renamed run) is kept whole."""
    automatic = f": {_label(config, 3)}"  # as ui.state.next_run_name wrote it
    return name.removesuffix(automatic) if RUN_NUMBER.fullmatch(name.removesuffix(automatic)) else name


def config_of(post: Post) -> TrainConfig | None:
    """The run's settings, or None for a row this version cannot read (it is left off the board). Cached: a
    board of 300 runs redrawn every few seconds would otherwise spend most of its time checking settings."""
    return _config(json.dumps(post.run.config, sort_keys=True))


def readable(posts: Sequence[Post]) -> list[tuple[Post, TrainConfig]]:
    return [(p, c) for p in posts if (c := config_of(p)) is not None]


ALL_DRAWINGS = "all"  # the class handwriting a run that trained on no drawing is scored on


def board_rows(posts: Sequence[Post], handwriting: dict[int, tuple[float | None, str]] | None = None
               ) -> list[dict[str, Any]]:
    """One row per posted run, newest first: who, which run, its settings in short, its results. When the class
    has labelled drawings: each run's accuracy on them and which it was scored on, by run id (a run that trained
    on some is scored on the others only: ui.shared.handwriting_score.scored_on)."""
    rows = []
    for p, config in reversed(readable(posts)):
        row = {"student": p.nickname, "run": own_name(p.run.name, config), "settings": _label(config),
               **p.run.columns("test_accuracy")}
        if handwriting:
            row["class handwriting"], row["scored on"] = handwriting.get(p.run.id, (None, ALL_DRAWINGS))
        rows.append(row | p.run.columns("seconds", "status"))
    return rows


def best(posts: Sequence[Post]) -> Post | None:
    scored = [p for p in posts if p.run.test_accuracy is not None]
    return max(scored, key=lambda p: p.run.test_accuracy) if scored else None


def _value(config: TrainConfig, setting: str) -> Any:
    value = getattr(config, setting)
    return "-".join(map(str, value)) or "none" if isinstance(value, tuple) else value


def setting_figure(posts: Sequence[Post], setting: str) -> go.Figure:
    """Each posted run as a point: the setting across, test accuracy up; a log axis for a setting such as the
    learning rate that spans powers of ten; hover names the student and the run."""
    points = [(_value(c, setting), p.run.test_accuracy, p) for p, c in readable(posts)
              if p.run.test_accuracy is not None]
    xs = [x for x, _, _ in points]
    hover = [f"{escape_html(p.nickname)}: {escape_html(p.run.name)}" for _, _, p in points]
    figure = go.Figure(go.Scatter(x=xs, y=[y for _, y, _ in points], mode="markers", hovertext=hover,
                                  hoverinfo="text+x+y", marker={"size": 14, "opacity": 0.8}))
    label = CHART_SETTINGS.get(setting, setting)
    figure.update_layout(height=420, margin={"l": 10, "r": 10, "t": 40, "b": 10}, font={"size": FONT_SIZE},
                         title={"text": f"Test accuracy against {label}"}, showlegend=False)
    figure.update_yaxes(title="test accuracy", tickformat=".0%")
    numbers = [x for x in xs if isinstance(x, (int, float)) and not isinstance(x, bool)]
    if numbers and len(numbers) == len(xs) and min(numbers) > 0 and max(numbers) / min(numbers) >= 100:
        ticks, texts = log_ticks(numbers)
        figure.update_xaxes(type="log", title=f"{label} (log scale)", tickvals=ticks, ticktext=texts)
    else:
        figure.update_xaxes(title=label, type="category" if len(numbers) < len(xs) else "linear")
    readable_axes(figure)
    return figure


def overlay_runs(posts: Sequence[Post], curves: dict[int, dict]) -> list[Run]:
    """The picked posts as run records with their curves, named with their student, for the Compare figure."""
    runs = []
    for post in posts:
        row = post.run
        try:
            record = records.restored(type(row)(**{**row.__dict__, "curves": curves.get(row.id, {}), "model": None}))
        except records.UNREADABLE:
            continue
        record.name = f"{post.nickname}: {row.name}"
        runs.append(record)
    return runs


