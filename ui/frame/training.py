"""Starting and stopping the session's training, and its status line, for every page that offers them."""
from __future__ import annotations

import streamlit as st

from mlp.config import TrainConfig
from mlp.drawing.handwriting import Handwriting
from training.limits import LIMITS, Estimate
from training.line import Visitor, address_key
from training.record import Run
from training.run import TrainingRun, added_rows, ended_words, estimate_run, status_text, wait_for
from training.workers import Extra
from ui import state
from ui.frame import data
from ui.saving import classes
from ui.saving.drawings import training_drawings
from ui.saving.runs import begin
from mlp.drawing.handwriting import as_training_rows
from ui.shared.handwriting_score import newest
from ui.shared.settings import short_label
from ui.shared.text import escape_markdown


def start_training(config: TrainConfig, label: str = "", like: TrainingRun | None = None) -> TrainingRun | None:
    """Start a run of `config`, the one the page built and showed (never parsed again here), or a run `like` this
    session's earlier one (its settings, seed and added drawings: TrainingRun.again); on a problem, leave a notice
    instead."""
    if state.active_run() is not None:
        state.set_notice("A training is already going on: stop it first.", "warning")
        return None
    closed = class_refusal()
    if closed:
        state.set_notice(closed, "warning")
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
                              drawing=state.drawn_digit(), visitor=visitor())
        run.start()  # into the line: refused when this workspace has its share of runs already
    except (ValueError, MemoryError) as error:
        state.set_notice(f"Training could not start: {escape_markdown(error)}", "warning")
        return None
    begin(run)  # saved as it trains, in a workspace
    return run


def run_estimate(config: TrainConfig | None) -> Estimate | str | None:
    """What training `config` would cost on this server, the class's drawings it would add counted, and the wait
    for a worker if it started now; words instead when it cannot start (no digits chosen, or the server trains
    only a class's members); None without settings or data."""
    if config is None or data.dataset() is None:
        return None
    closed = class_refusal()
    if closed:
        return closed
    try:
        found = estimate_run(config, data.split_for(config), added_rows(config, _rows(training_drawings())))
    except ValueError as error:
        return str(error)
    return found.waiting(wait_for(visitor())) if state.active_run() is None else found  # its own run says its wait


def visitor() -> Visitor:
    """Who this session is for the training line: its workspace, and the address it connects from (the client's,
    where a trusted proxy gives it: see docs/classroom.md)."""
    return Visitor(state.workspace(), address_key(st.context.ip_address))


CLASS_ONLY_WORDS = ("On this server only the members of an open class may train, for this lesson. Join your class "
                    "with the code or link your teacher gives you (on the Class page), then train.")


def class_refusal() -> str | None:
    """Why this session may not train on a server that trains only an open class's members (MLP_TRAIN_IN_CLASS_ONLY),
    in words; None when it may: it joined an open class, or teaches one."""
    if not LIMITS.class_only:
        return None
    taught, member, workspace = state.teaching(), state.membership(), state.workspace()
    try:  # as the store says now: the class may have been closed since
        room = classes.by_teacher(taught[1]) if taught is not None else None
        member = classes.membership(workspace) if member is not None and workspace is not None else member
    except classes.StoreError:
        room = taught[0] if taught is not None else None
    if room is not None and not room.closed:
        return None
    return None if member is not None and not member.room.closed else CLASS_ONLY_WORDS


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
