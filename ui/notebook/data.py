"""The Notebook page's pure parts: the student's code around each mistake, the ladder of fixes, the figures.

No Streamlit here: everything is checked in unit tests. The notebook's text is read from beside the project
(`../shared/notebook/student-notebook.txt`, or $MLP_NOTEBOOK_FILE), never copied into it; without the file
the page shows only the quoted lines each mistake carries.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from mlp.gradcheck import TOLERANCE
from mlp.presets import get_preset
from mlp.teaching import notebook as nb
from training.replay import ReplayRun
from training.run import waiting_words
from training.workers import ReplayJob
from ui.shared.curves import run_style
from ui.shared.figures import FONT_SIZE, finite_values, legend_above, loss_axis, needs_log_scale, readable_axes
from ui.shared.text import escape_html

NOTEBOOK_ENV = "MLP_NOTEBOOK_FILE"
DEFAULT_NOTEBOOK = Path(__file__).resolve().parents[2].parent / "shared" / "notebook" / "student-notebook.txt"
MAX_NOTEBOOK_BYTES = 1_000_000
CONTEXT = 3  # lines shown before and after a mistake's lines
EPOCH_CHOICES = (1, 2, 3, 5, 10, 30)
EXAMPLE_CHOICES = (1000, 3000, 6000, 12000)
PAGE_EPOCHS, PAGE_EXAMPLES = 5, nb.EXAMPLES
PANELS_HEIGHT = 520


def read_notebook(path: str | Path | None = None) -> list[str] | None:
    """The notebook's lines, or None when the file is not there (or is not a small text file)."""
    path = Path(path or os.environ.get(NOTEBOOK_ENV) or DEFAULT_NOTEBOOK)
    try:
        if path.stat().st_size > MAX_NOTEBOOK_BYTES:
            return None
        return path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None


def excerpts(lines: Sequence[str], marked: Sequence[int], context: int = CONTEXT) -> list[str]:
    """The text around the marked line numbers (1-based), one block per cluster of nearby lines, each line
    with its number in the file and an arrow at the marked ones."""
    spans: list[list[int]] = []
    for number in sorted(set(marked)):
        if spans and number - spans[-1][1] <= 2 * context + 1:
            spans[-1][1] = number
        else:
            spans.append([number, number])
    blocks = []
    for first, last in spans:
        shown = range(max(1, first - context), min(len(lines), last + context) + 1)
        blocks.append("\n".join(f"{'►' if n in marked else ' '} {n:4d}  {lines[n - 1]}" for n in shown))
    return blocks


# ----- the ladder -----
@dataclass(frozen=True)
class RunSpec:
    """One run a rung shows: a replay of the attempt with `fixes` (and `add`), or the main engine's preset."""
    label: str
    attempt: int
    fixes: tuple[str, ...] = ()
    add: tuple[str, ...] = ()
    engine: bool = False

    def key(self, epochs: int, examples: int, location: str) -> tuple:
        return (self.attempt, tuple(sorted(self.fixes)), self.add, self.engine, epochs, examples, location)

    def job(self, epochs: int, examples: int, test_examples: int) -> ReplayJob:
        """This run, for a worker of the training service: `epochs` on the first `examples` training and
        `test_examples` test images; the main engine with its modern preset's settings."""
        engine = get_preset("modern").config(epochs=epochs, validation_share=0.0) if self.engine else None
        return ReplayJob(self.attempt, epochs, examples, test_examples, self.fixes, self.add, engine, self.label)


@dataclass(frozen=True)
class Rung:
    index: int
    title: str
    mistake: nb.Mistake | None  # None for "as written" and for the main engine
    runs: tuple[RunSpec, ...]

    @property
    def check_fixes(self) -> tuple[str, ...]:
        """The fixes in place at this rung: what the gradient check runs on."""
        return max((r.fixes for r in self.runs if not r.engine), key=len)


def _so_far(names: Sequence[str]) -> str:
    return "fixes 1-" + str(len(names)) if len(names) > 1 else "fix 1"


def ladder(attempt: int) -> list[Rung]:
    """As written, then one rung per mistake (its fix alone and every fix so far), then the main engine."""
    written = RunSpec("as written", attempt)
    rungs, done = [Rung(0, "As written", None, (written,))], []
    for m in nb.mistakes(attempt):
        k = len(rungs)
        if not m.default:  # a what-if: the line as written, the rest as in the notebook
            rungs.append(Rung(k, m.title, m, (written, RunSpec(f"with {m.name} as written", attempt, add=(m.name,)))))
            continue
        done.append(m.name)
        alone = RunSpec(f"{m.name} fixed alone", attempt, (m.name,))
        together = RunSpec(f"{_so_far(done)} ({m.name})", attempt, tuple(done))
        rungs.append(Rung(k, m.title, m, (written, alone, together) if len(done) > 1 else (written, together)))
    every = RunSpec(f"every fix ({len(done)})", attempt, tuple(done))
    modern = RunSpec("main engine: modern preset", attempt, engine=True)
    rungs.append(Rung(len(rungs), "The main engine's modern preset", None, (written, every, modern)))
    return rungs


FULL_EPOCHS = 10  # the modern preset's epochs on all 60,000 training digits: above 98% (mlp/presets.py)


def engine_words(epochs: int, examples: int) -> tuple[str, str]:
    """The heading and text of the ladder's last step. The modern preset's "98%+" holds for all 60,000 training
    digits and 10 epochs; this step trains it on the notebook runs' size (5 epochs of 6,000 images by default:
    90.8% on the first 2,000 test digits), so the words say what the chart shows, and why it is lower."""
    preset = get_preset("modern")
    title = preset.title.split(" (")[0]  # without its "(98%+)": that is the full-size figure
    epoch_words = f"{epochs} epoch{'s' if epochs != 1 else ''}"
    text = (f"The main engine with the settings of the Train page's *{title}* preset, trained here as the notebook's "
            f"runs are: on the first {examples:,} training images for {epoch_words}, scored on the same "
            f"{nb.TEST_EXAMPLES:,} test images. On all 60,000 training digits for {FULL_EPOCHS} epochs these settings "
            f"read above 98% of the test digits; on this smaller run it reads fewer (the curve below): raise the "
            "**Run size** to watch it climb. Same images, same epochs, float32.")
    return f"{title}, at the notebook's run size", text


def rung_label(rung: Rung) -> str:
    return f"{rung.index}. {rung.title}"


def run_words(label: str, run: ReplayRun, started_here: bool) -> str:
    """Where one of a step's runs stands, in one line: in line (its place and wait), or its epochs so far, and
    who asked for it first (the server trains each run once, for every page that asks)."""
    if run.state == "queued":
        who = f"**{label}**" if started_here else f"**{label}** (another student's page asked for it first)"
        return f"{who}: {waiting_words(run)}"
    if not run.active:
        return f"**{label}**: trained." if run.result is not None else f"**{label}**: ended without a result."
    so_far = f"{len(run.points())} of {run.job.epochs} epochs trained on {run.job.examples:,} images"
    if started_here:
        return f"Training **{label}**: {so_far}…"
    return f"Another student's page is training **{label}**, and this page shows it as it grows: {so_far}…"


# ----- figures -----
def curves_figure(curves: Sequence[tuple[str, Sequence[nb.EpochPoint]]], epochs: int) -> go.Figure:
    """Test accuracy above the true training loss, per epoch, one styled line per run."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.12,
                        subplot_titles=("Accuracy on test digits: higher is better",
                                        "Training loss (true labels): lower is better"))
    for i, (label, points) in enumerate(curves):
        x = [p.epoch for p in points]
        for row, values in ((1, [p.test_accuracy for p in points]), (2, [p.train_loss for p in points])):
            fig.add_trace(go.Scatter(x=x, y=finite_values(values), name=escape_html(label), legendgroup=str(i),
                                     showlegend=row == 1, mode="lines+markers", **run_style(i, len(curves)),
                                     hovertemplate="%{fullData.name}: %{y:.3g}<extra></extra>"), row=row, col=1)
    losses = [p.train_loss for _, points in curves for p in points]
    loss_axis(fig, losses, log=needs_log_scale(losses), row=2)
    fig.update_yaxes(title_text="accuracy", range=[0, 1.02], tickformat=".0%", row=1, col=1)
    fig.update_xaxes(range=[0.5, epochs + 0.5], tick0=1, dtick=max(1, epochs // 10))  # whole epochs
    fig.update_xaxes(title_text="epochs", row=2, col=1)
    fig.update_annotations(font_size=FONT_SIZE + 2)
    fig.update_layout(font=dict(size=FONT_SIZE), margin=dict(l=80, r=20, b=60), hovermode="x unified")
    legend_above(fig, entries=len(curves), height=PANELS_HEIGHT)
    return readable_axes(fig)


def reported_figure(results: Sequence[tuple[str, nb.ReplayResult]]) -> go.Figure:
    """The loss curve each run's notebook code would plot (its own formula and points), against epochs."""
    fig = go.Figure()
    for i, (label, result) in enumerate(results):
        curve = result.reported_loss
        step = len(result.points) / max(len(curve), 1)
        fig.add_trace(go.Scatter(x=[(k + 1) * step for k in range(len(curve))], y=finite_values(curve),
                                 name=escape_html(label), mode="lines", **run_style(i, len(results))))
    fig.update_xaxes(title_text="epochs")
    fig.update_yaxes(title_text="the loss the notebook plots", rangemode="tozero")
    fig.update_layout(font=dict(size=FONT_SIZE), margin=dict(l=80, r=20, b=60))
    legend_above(fig, entries=len(results), height=320)
    return readable_axes(fig)


def gradcheck_rows(check: nb.GradientCheck) -> list[dict]:
    """One row per parameter array: how far backprop is from the finite differences, and the verdict."""
    return [{"array": g.name, "entries checked": g.checked, "largest relative error": f"{g.max_error:.1e}",
             "backprop ÷ finite difference": f"{g.ratio:.3g}",
             "worst entry": f"{g.name}{list(g.worst)}: {g.analytic:.3g} vs {g.numeric:.3g}",
             "verdict": "agrees" if g.passed else "WRONG"} for g in check.groups]


def gradcheck_summary(check: nb.GradientCheck) -> str:
    if check.passed:
        return (f"Backpropagation agrees with the finite differences in every array (relative error below "
                f"{TOLERANCE:g}).")
    return (f"Backpropagation is wrong in {', '.join(check.failing())}: its numbers differ from what nudging "
            "those weights does to the loss.")
