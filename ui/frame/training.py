"""Starting and stopping the session's training, and its status line, for every page that offers them."""
from __future__ import annotations

from mlp.config import TrainConfig
from mlp.drawing.handwriting import Handwriting
from training.limits import Estimate
from training.record import Run
from training.run import TrainingRun, added_rows, ended_words, estimate_run, status_text
from training.workers import Extra
from ui import state
from ui.frame import data
from ui.saving.drawings import training_drawings
from ui.saving.runs import begin
from ui.shared.handwriting_score import as_training_rows, newest
from ui.shared.settings import short_label
from ui.shared.text import escape_markdown


def start_training(config: TrainConfig, label: str = "", like: TrainingRun | None = None) -> TrainingRun | None:
    """Start a run of `config`, the one the page built and showed (never parsed again here), or a run `like` this
    session's earlier one (its settings, seed and added drawings: TrainingRun.again); on a problem, leave a notice
    instead."""
    if state.active_run() is not None:
        state.set_notice("A training is already going on: stop it first.", "warning")
        return None
    if data.dataset() is None:
        state.set_notice("There is no data to train on: see the message at the top of the page.", "warning")
        return None
    name = state.next_run_name(label or short_label(config))
    try:
        if like is not None:
            run = like.again(name=name, connected=state.connection_probe())
        else:
            split = data.split_for(config)
            drawings = training_drawings()
            run = TrainingRun(config, split, name=name, connected=state.connection_probe(), extra=_rows(drawings),
                              drawings_until=newest(drawings) if drawings is not None else None,
                              drawing=state.drawn_digit())
    except (ValueError, MemoryError) as error:
        state.set_notice(f"Training could not start: {escape_markdown(error)}", "warning")
        return None
    run.start()
    begin(run)  # saved as it trains, in a workspace
    return run


def run_estimate(config: TrainConfig | None) -> Estimate | str | None:
    """What training `config` would cost on this server, the class's drawings it would add counted; words
    instead when it cannot start (no digits chosen); None without settings or data."""
    if config is None or data.dataset() is None:
        return None
    try:
        return estimate_run(config, data.split_for(config), added_rows(config, _rows(training_drawings())))
    except ValueError as error:
        return str(error)


def _rows(drawings: Handwriting | None) -> Extra | None:
    return as_training_rows(drawings) if drawings is not None else None


def stop_training(run: TrainingRun) -> None:
    """Stop `run`; the page says so at once, while its thread still measures the test accuracy."""
    run.stop()
    state.mark_stop_asked(run)


def start_again(run: TrainingRun | Run) -> None:
    """A fresh network with the settings and seed of `run` (this session's, or one kept), as a new run. A run still
    active is stopped first and kept: the new one starts once it has ended (start_asked_again). A second call for the
    same click (ui.train.panel._controls says why) finds the new run started and does nothing."""
    if state.active_run() not in (None, run):
        return
    if isinstance(run, Run):
        start_training(run.config)
    elif run.active:
        stop_training(run)
        state.set_again_asked(run)
    else:
        start_training(run.config, like=run)


def start_asked_again() -> None:
    """The page set-up, once the session's ended run is kept: start the run that "Start again" asked for."""
    run = state.again_asked()
    if run is not None and state.books().collected is run:  # ended, and kept and saved by collect_finished
        state.set_again_asked(None)
        if state.current_run() is run:  # not after "Start fresh" or another start meanwhile
            start_training(run.config, like=run)


def run_status(run: TrainingRun | Run) -> str:
    """One plain line on where the run stands: the controller's, 'Stopped' from the click on, or how a kept run
    ended."""
    if isinstance(run, Run):
        return ended_words(run)
    if run.active and state.stop_asked(run):
        return f"Stopped at epoch {run.progress().epoch:.1f} of {run.config.epochs}: measuring its test accuracy…"
    return status_text(run)
