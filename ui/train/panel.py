"""The Train page's parts: presets, start, the live curves, and the result with its diagnosis."""
from __future__ import annotations

import streamlit as st

from mlp.config import ConfigError, TrainConfig
from mlp.presets import PRESETS
from mlp.teaching.diagnosis import Finding
from training.limits import Estimate, refusal
from training.record import Run
from training.run import TrainingRun
from ui import state
from ui.frame.layout import poll_while_active
from ui.frame.navigation import link
from ui.frame.rule import current_rule
from ui.frame.training import run_estimate, run_status, start_training, stop_training
from ui.panels.handwriting import handwriting_metric
from ui.panels.network_picker import model_download
from ui.shared.rule import Rule
from ui.shared.settings import apply_changes, config_from_settings, describe, settings_from_config
from ui.shared.text import escape_markdown
from ui.train.figures import training_figure_data
from ui.train.insides import insides_view
from ui.train.live_chart import live_chart

POLL_SECONDS = 0.5


# ----- presets -----
def _preset_blocked(name: str, rule: Rule) -> list[str]:
    """The settings a preset would change that the teacher's rule fixes (none: the preset may load)."""
    return rule.blocked(settings_from_config(PRESETS[name].config()), state.settings())


def _load_preset(name: str) -> None:
    preset, rule = PRESETS[name], current_rule()
    if blocked := _preset_blocked(name, rule):  # the rule changed since the page was drawn
        state.set_notice(f"**“{preset.title}” was not loaded.** {rule.why(blocked)}", "warning")
        return
    state.replace_settings(settings_from_config(preset.config()))
    state.set_notice(f"**Loaded “{preset.title}”.** {preset.story} Press **Start training** to run it.")


def preset_picker() -> None:
    """One button per engine preset: its story as the tooltip, and shown again once loaded. A preset that would
    change a setting the teacher fixed is locked, with why."""
    st.markdown("#### Presets", help="One click sets every setting; hover a preset to read what it shows.")
    locked, rule = 0, current_rule()
    with st.container(key="presets"):  # the key gives a CSS class: these labels may wrap (ui.frame.layout)
        for name, preset in PRESETS.items():
            blocked = _preset_blocked(name, rule)
            locked += bool(blocked)
            st.button(preset.title, key=f"preset_{name}", on_click=_load_preset, args=(name,), width="stretch",
                      icon=":material/lock:" if blocked else None, disabled=bool(blocked),
                      help=f"{preset.story}\n\n🔒 {rule.why(blocked)}" if blocked else preset.story)
    if locked:
        st.caption(f"🔒 {locked} of {len(PRESETS)} presets change a setting your teacher fixed for this exercise, "
                   "so they are locked.")


# ----- starting a run -----
def start_button(config: TrainConfig | None) -> None:
    """Start, with what the run will cost on this server; disabled, with the reason, past the server's limits."""
    found = run_estimate(config)
    too_much = refusal(found) if isinstance(found, Estimate) else found
    with st.container(horizontal=True, vertical_alignment="center"):
        st.button("Start training", icon=":material/play_arrow:", type="primary", on_click=start_training, args=(config,),
                  disabled=state.active_run() is not None or config is None or bool(too_much), key="start",
                  help="Train a new network with the settings below.")
        if isinstance(found, Estimate) and not too_much:
            st.caption(f"Estimated: {found.words}.")
    if too_much:
        st.warning(too_much)  # numbers and our own words: nothing typed reaches it


# ----- the live view -----
def _controls(run: TrainingRun) -> None:
    with st.container(horizontal=True):
        if run.state == "paused":
            st.button("Resume", icon=":material/play_arrow:", on_click=run.resume, key="resume")
        else:
            st.button("Pause", icon=":material/pause:", on_click=run.pause, key="pause",
                      disabled=run.state != "running")
        st.button("Stop", icon=":material/stop:", on_click=stop_training, args=(run,), key="stop")


def live_view() -> None:
    """Status, progress and curves of the session's run; polls while the run is active."""
    run = state.current_run()
    if run is None:
        st.info("Choose a preset or change the settings, press **Start training**, and the loss and accuracy "
                "curves will grow here while the network learns.")
        return

    def body() -> None:
        st.caption(f"**{escape_markdown(run.name)}** — {describe(run.config)}")
        if run.active and not state.stop_asked(run):
            _controls(run)
        st.markdown(f"### {run_status(run)}")
        progress = run.progress()
        if run.state != "queued":
            st.progress(progress.fraction, text=f"step {progress.step:,} of {progress.total_steps:,}")
        live_chart(training_figure_data(run.history(), run.config.epochs, revision=run.name), key="training_chart")
        insides_view(run)  # after the curves: on a phone, under them

    poll_while_active(POLL_SECONDS, body)


# ----- after the run -----
def _fix_blocked(finding: Finding, rule: Rule) -> list[str]:
    """The settings a diagnosis fix would change that the teacher's rule fixes (none: the fix may run)."""
    settings = state.settings()
    return rule.blocked(apply_changes(settings, finding.fix), settings)


def _fix_and_rerun(finding: Finding) -> None:
    """One click: the fix goes into the settings and a new run starts with them (kept beside the old one)."""
    rule = current_rule()
    if blocked := _fix_blocked(finding, rule):  # the rule changed since the page was drawn
        state.set_notice(f"**Nothing changed.** {rule.why(blocked)}", "warning")
        return
    state.replace_settings(apply_changes(state.settings(), finding.fix))
    try:
        config = config_from_settings(state.settings())
    except ConfigError as error:  # a fix never makes settings invalid; if one did, say so rather than start
        state.set_notice(escape_markdown(error), "warning")
        return
    if start_training(config) is not None:
        state.set_notice(f"**Settings changed: {finding.fix_label}.** Training again with the fix; "
                         "compare the two runs on the Compare page afterwards.", "success")


def _fix_button(i: int, finding: Finding, rule: Rule) -> None:
    """'Fix and train again', or the same fix shown locked with why when the teacher's rule fixes what it changes."""
    blocked = _fix_blocked(finding, rule)
    st.button(f"Fix and train again: {finding.fix_label}", key=f"fix_{i}",
              icon=":material/lock:" if blocked else ":material/build:", disabled=bool(blocked),
              on_click=_fix_and_rerun, args=(finding,), type="primary" if i == 0 and not blocked else "secondary")
    if blocked:
        st.caption(f"🔒 {rule.why(blocked)} Ask your teacher, or try a change you may make.")


def result_view() -> None:
    """Test accuracy and loss of the ended run, and the engine's diagnosis in plain words."""
    run = state.current_run()
    record: Run | None = run.record if run is not None and run.done else None
    if record is None:
        return
    st.markdown("#### Result on the test digits (never seen in training)")
    if record.test_accuracy is not None:
        with st.container(horizontal=True, gap="medium", key="result_numbers"):  # wraps rather than cuts a number
            st.metric("Test accuracy", f"{record.test_accuracy:.1%}", width="content")
            handwriting_metric(record)
            st.metric("Test loss", f"{record.test_loss:,.0f}" if record.test_loss >= 100 else f"{record.test_loss:.3g}",
                      width="content")
            st.metric("Training time", f"{record.seconds:.1f} s", help=f"{record.epochs:.2f} epochs", width="content")
    if record.status != "finished" and record.reason:
        (st.error if record.status == "failed" else st.warning)(record.reason)
    if record.findings:
        st.markdown("#### What went wrong, and what to change")
        rule = current_rule()
        for i, finding in enumerate(record.findings):
            with st.container(border=True):
                st.markdown(f"**{finding.title}**")
                st.markdown(finding.message)
                if finding.seen:
                    st.caption(finding.seen)
                if finding.fix:
                    _fix_button(i, finding, rule)
    elif record.status == "finished":
        st.success("Nothing looks wrong with this run. Try the Draw page to test it on your own handwriting.")
    if record.usable:
        with st.container(horizontal=True):
            link("Inspect", "Look inside this network")
            link("Compare", "Compare it with other runs")
            model_download(record, key="download_result")
