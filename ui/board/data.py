"""The class board's data: a table of the posted runs, one setting against accuracy, the best run, and runs to
overlay. Pure (no Streamlit): tested in tests/test_ui_board.py."""
from __future__ import annotations

import json
import math
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Sequence

import plotly.graph_objects as go
from plotly.colors import qualitative

from mlp.config import ConfigError, TrainConfig, from_saved
from mlp.teaching.diagnosis import no_better_than_guessing
from training.record import RUN_NUMBER, Run
from ui.saving import records
from ui.saving.classes import GONE
from ui.shared.figures import FONT_SIZE, log_ticks, readable_axes
from ui.shared.settings import short_label
from ui.shared.text import escape_html

if TYPE_CHECKING:  # annotations only: posts are read through ui.saving.classes
    from store import Member, Post

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


def board_rows(posts: Sequence[Post], handwriting: dict[int, tuple[int, int, str]] | None = None,
               per_digit: Sequence[int] | None = None) -> list[dict[str, Any]]:
    """One row per posted run, newest first: who, which run, its settings in short, its results, each share with
    its count beside it: the test digits it was scored on (`per_digit`: the test set's count of each digit) and,
    when the class has labelled drawings, its score on them as '75% (3 of 4 drawings)' and which drawings those
    are, by run id (a run that trained on some is scored on the others only: ui.shared.handwriting_score.scored_on)."""
    rows = []
    for p, config in reversed(readable(posts)):
        row = {"student": p.nickname, "run": own_name(p.run.name, config), "settings": _label(config),
               **p.run.columns("test_accuracy")}
        if per_digit is not None:
            row["test digits"] = digits_tested(config, per_digit)
        if handwriting:
            right, total, words = handwriting.get(p.run.id, (0, 0, ALL_DRAWINGS))
            row["class handwriting"], row["scored on"] = share_text(right, total, "drawings") or None, words
        rows.append(row | p.run.columns("seconds", "status"))
    return rows


def best(posts: Sequence[Post]) -> Post | None:
    scored = [p for p in posts if p.run.test_accuracy is not None]
    return max(scored, key=lambda p: p.run.test_accuracy) if scored else None


def _value(config: TrainConfig, setting: str) -> Any:
    value = getattr(config, setting)
    return "-".join(map(str, value)) or "none" if isinstance(value, tuple) else value


def share_text(right: int, total: int, noun: str) -> str:
    """A share with what it rests on, so 100% on 2 drawings does not read as 100% on 2,000: '75% (3 of 4
    drawings)'; '' for none."""
    if not total:
        return ""
    return f"{right / total:.0%} ({right:,} of {total:,} {noun})"


def digits_tested(config: TrainConfig, per_digit: Sequence[int]) -> int:
    """How many test digits a run of `config` was scored on: those of its classes (`per_digit`: the test set's
    count of each digit, 0 to 9)."""
    return sum(int(per_digit[c]) for c in config.classes if c < len(per_digit))


ACCURACY_STEP = 0.1  # the axis starts on a multiple of 10%: it moves only when a run crosses one
ACCURACY_ROOM = 0.02  # below the lowest point, so it does not sit on the axis


def accuracy_range(accuracies: Sequence[float]) -> tuple[float, float]:
    """The accuracy axis for the points shown: up to 100%, from the 10% step below the lowest (0 with none). Hidden
    entries are not among them, so a run the teacher hid neither squashes nor stretches the axis; steps of 10% keep
    it still while runs come in (Plotly's own range follows every new point)."""
    finite = [a for a in accuracies if a is not None and math.isfinite(a)]
    if not finite:
        return 0.0, 1.0
    low = math.floor(round((min(finite) - ACCURACY_ROOM) / ACCURACY_STEP, 6)) * ACCURACY_STEP
    return max(0.0, round(low, 6)), 1.0


STEP = 0.08  # between neighbours at one setting, in units of the gap between settings: still read as that setting
WIDEST = 0.5  # a crowd at one setting spreads over at most half the gap, so it never reaches the next one


def spread(positions: Sequence[float], unit: float) -> list[float]:
    """Each point's offset across, so runs at the same setting (two students at one learning rate) stand side by
    side instead of on one dot: a group of n points centred on its setting, STEP * `unit` apart (closer for a crowd
    that would be wider than WIDEST * `unit`), in the order given."""
    groups: dict[float, list[int]] = {}
    for i, x in enumerate(positions):
        groups.setdefault(x, []).append(i)
    offsets = [0.0] * len(positions)
    for members in groups.values():
        step = min(STEP, WIDEST / max(1, len(members) - 1)) * unit
        for k, i in enumerate(members):
            offsets[i] = (k - (len(members) - 1) / 2) * step
    return offsets


def _label_places(positions: Sequence[float]) -> list[str]:
    """Where each point's name goes: above, and below for every second point at one setting, so the names of
    neighbours side by side do not overlap."""
    seen: dict[float, int] = {}
    places = []
    for x in positions:
        places.append("bottom center" if seen.get(x, 0) % 2 else "top center")
        seen[x] = seen.get(x, 0) + 1
    return places


def _unit(positions: Sequence[float]) -> float:
    """The smallest gap between distinct settings on the axis (1 when there is one setting only)."""
    distinct = sorted(set(positions))
    gaps = [b - a for a, b in zip(distinct, distinct[1:])]
    return min(gaps) if gaps else 1.0


MOST_TICKED = 8  # settings tried up to which each has its own tick (beyond, the axis's own ticks)
MOST_LABELS = 30  # points beyond this many are named by the legend and hover only: their labels would overlap
COLOURS = qualitative.D3  # ten colours far apart (the chart theme's own puts two blues side by side)
SYMBOLS = ("circle", "diamond", "square", "triangle-up", "cross", "star")  # the 11th student on: another shape


def setting_figure(posts: Sequence[Post], setting: str) -> go.Figure:
    """Each posted run as a point: the setting across, test accuracy up; one colour (and legend entry) per
    student, named beside the point; runs at the same setting side by side (spread); a log axis for a setting
    such as the learning rate that spans powers of ten; the accuracy axis from the points shown (accuracy_range).
    Hover names the student, the run, the setting's value and the accuracy."""
    points = [(_value(c, setting), p.run.test_accuracy, p) for p, c in readable(posts)
              if p.run.test_accuracy is not None]
    xs = [x for x, _, _ in points]
    label = CHART_SETTINGS.get(setting, setting)
    numbers = [x for x in xs if isinstance(x, (int, float)) and not isinstance(x, bool)]
    kind = ("category" if len(numbers) < len(xs) else
            "log" if numbers and min(numbers) > 0 and max(numbers) / min(numbers) >= 100 else "linear")
    order = {x: i for i, x in enumerate(dict.fromkeys(map(str, xs)))}
    positions = [order[str(x)] if kind == "category" else math.log10(x) if kind == "log" else float(x) for x in xs]
    offsets, places = spread(positions, _unit(positions)), _label_places(positions)
    across = [10 ** (p + o) if kind == "log" else p + o for p, o in zip(positions, offsets)]
    figure = go.Figure()
    students = list(dict.fromkeys(p.nickname for _, _, p in points))
    for n, student in enumerate(students):
        mine = [i for i, (_, _, p) in enumerate(points) if p.nickname == student]
        name = escape_html(student)
        figure.add_trace(go.Scatter(
            x=[across[i] for i in mine], y=[points[i][1] for i in mine], name=name,
            mode="markers+text" if len(points) <= MOST_LABELS else "markers",
            text=[name] * len(mine), textposition=[places[i] for i in mine], cliponaxis=False,
            customdata=[[f"{name}: {escape_html(points[i][2].run.name)}", escape_html(xs[i])] for i in mine],
            hovertemplate=f"%{{customdata[0]}}<br>{escape_html(label)} %{{customdata[1]}}<br>"
                          "test accuracy %{y:.1%}<extra></extra>",
            marker={"size": 14, "opacity": 0.85, "color": COLOURS[n % len(COLOURS)],
                    "symbol": SYMBOLS[n // len(COLOURS) % len(SYMBOLS)]}))
    low, high = accuracy_range([y for _, y, _ in points])
    figure.update_layout(height=480, margin={"l": 10, "r": 10, "t": 40, "b": 10}, font={"size": FONT_SIZE},
                         title={"text": f"Test accuracy against {label}"}, showlegend=bool(points),
                         legend={"title": {"text": "student"}})
    figure.update_yaxes(title="test accuracy" + (f" (axis from {low:.0%})" if low > 0 else ""), tickformat=".0%",
                        range=[low, high])
    tried = sorted(set(numbers))
    if kind == "category":
        figure.update_xaxes(type="linear", title=label, tickvals=list(order.values()),
                            ticktext=[escape_html(x) for x in order], range=[-0.5, len(order) - 0.5])
    elif len(tried) <= MOST_TICKED:  # a tick under each setting tried: the runs spread around it read as its own
        figure.update_xaxes(type=kind, title=f"{label} (log scale)" if kind == "log" else label, tickvals=tried,
                            ticktext=[f"{x:g}" for x in tried])
    elif kind == "log":
        ticks, texts = log_ticks(numbers)
        figure.update_xaxes(type="log", title=f"{label} (log scale)", tickvals=ticks, ticktext=texts)
    else:
        figure.update_xaxes(title=label, type="linear")
    readable_axes(figure)
    return figure


def figure_key(posts: Sequence[Post], setting: str) -> tuple:
    """What the sweep figure shows, as a cache key: every post's student, run name and result besides its id, so
    a renamed run or student is drawn anew (a key of ids alone kept the old name in the hover server-wide)."""
    return setting, tuple((p.id, p.nickname, p.run.name, p.run.test_accuracy) for p in posts)


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




# What a member is doing, as the teacher's live list says it, most in need of the teacher first.
STUCK, WAITING, TRAINING, PAUSED, STOPPED, FINISHED, NOT_STARTED = (
    "stuck", "waiting", "training", "paused", "stopped", "finished", "not started")
STATES = (STUCK, WAITING, TRAINING, PAUSED, STOPPED, FINISHED, NOT_STARTED)


def member_state(member: Member, phase: str | None) -> tuple[str, str]:
    """One of STATES and what it is in words, from the member's newest run as the store has it and, for a run
    still "running" there, its phase in the training service: waiting in line, paused, or gone (a running row
    whose process stopped writing it). A failed run, an interrupted one, and one that ended no better than
    guessing (the notebook's 9%) are "stuck": that student needs the teacher."""
    run = member.last
    if run is None:
        return NOT_STARTED, "joined, no run yet"
    name = run.name
    if run.status == "running":
        return {"queued": (WAITING, f"{name}: waiting in line for the server"),
                "paused": (PAUSED, f"{name}: paused"),
                GONE: (STUCK, f"{name}: lost (the server stopped)")}.get(phase, (TRAINING, f"{name}: training"))
    if run.status in ("failed", "interrupted"):
        return STUCK, f"{name}: {run.status}"
    config = _config(json.dumps(run.config, sort_keys=True))
    accuracy = run.test_accuracy
    if run.status == "finished" and accuracy is not None and config is not None and (
            no_better_than_guessing(accuracy, len(config.classes)) or not math.isfinite(accuracy)):
        return STUCK, f"{name}: {accuracy:.1%}, no better than guessing"
    if run.status == "stopped":
        return STOPPED, f"{name}: stopped"
    return FINISHED, f"{name}: {accuracy:.1%}" if accuracy is not None else f"{name}: {run.status}"


def member_rows(found: Sequence[tuple[Member, str | None]]) -> list[dict[str, Any]]:
    """The live list: one row per member in the order they joined, what they are doing now, their runs and best
    test accuracy ("–" before any, not a projected "None")."""
    rows = []
    for member, phase in found:
        state, words = member_state(member, phase)
        best = "–" if member.best is None else f"{member.best:.1%}"
        rows.append({"student": member.nickname, "now": state, "newest run": words, "runs": member.runs,
                     "best": best})
    return rows


def member_summary(rows: Sequence[dict[str, Any]]) -> str:
    """The live list in one line: '4 students: 2 training, 1 waiting, 1 stuck (Ana)' (the stuck named)."""
    if not rows:
        return "No student has joined yet."
    counts = {state: sum(r["now"] == state for r in rows) for state in STATES}
    parts = [f"{n} {state}" for state, n in counts.items() if n]
    stuck = [r["student"] for r in rows if r["now"] == STUCK]
    if stuck:
        parts[0] += f" ({', '.join(stuck)})"
    return f"{len(rows)} student{'s' if len(rows) != 1 else ''}: " + ", ".join(parts)
