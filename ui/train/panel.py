"""The Train page's parts: presets, start, the run's controls and live curves, and the result with its diagnosis."""
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
from ui.frame.training import run_estimate, run_status, start_again, start_training, stop_training
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
    """Start, with what the run will cost on this server; disabled, with the reason, past the server's limits. A
    click starts `config`, the settings as this rerun read them: a learning rate typed and Start clicked at once, on a
    busy server, once started the run with the rate before (the click carried the config of the render it was on)."""
    found = run_estimate(config)
    too_much = refusal(found) if isinstance(found, Estimate) else found
    if state.pop_start_asked() and config is not None and not too_much and state.active_run() is None:
        _start(config)
        st.rerun()  # the page drawn again from the top: its notice (a refusal in words) and the run's controls
    with st.container(horizontal=True, vertical_alignment="center"):
        st.button("Start training", icon=":material/play_arrow:", type="primary", on_click=state.ask_start,
                  disabled=state.active_run() is not None or config is None or bool(too_much), key="start",
                  help="Train a new network with the settings below.")
        if isinstance(found, Estimate) and not too_much:
            st.caption(f"Estimated: {found.words}.")
    if too_much:
        st.warning(too_much)  # numbers and our own words: nothing typed reaches it


def _start(config: TrainConfig) -> None:
    if start_training(config) is not None:
        state.focus_control("pause")  # a keyboard's focus goes to Pause, not back to the top of the page


# ----- the live view -----
PAUSED_NOTE = ("**Paused: the network is not learning now.** Press **Resume** to go on, or **One more epoch** to "
               "train one epoch and pause again.")
# Puts the keyboard's focus on the control KEY once it can act (Pause: once the run has its worker), unless the user
# has moved it: Start, once pressed, is disabled and Pause gives way to Resume, which leaves the focus on the page
# itself (Pause was 30 Tabs away). Focus still on the control just pressed is not the user's move: on a busy server
# the old Pause can stay enabled on the page for a moment before Resume replaces it.
_FOCUS = """<script>(() => {
  const until = Date.now() + 120000;
  const look = () => {
    const here = document.activeElement;
    if (here && here !== document.body && !here.disabled && !here.closest('.st-key-start, .st-key-pause, .st-key-resume')) return;
    const control = document.querySelector('.st-key-KEY button:not([disabled])');
    if (control) control.focus(); else if (Date.now() < until) setTimeout(look, 100);
  };
  look();
})();</script>"""


def _pause(run: TrainingRun) -> None:
    run.pause()
    state.focus_control("resume")


def _resume(run: TrainingRun) -> None:
    run.resume()
    state.focus_control("pause")


def _one_more_epoch(run: TrainingRun, drawn_at: int) -> None:
    """One more epoch from the step the button was drawn at; a second call for the same click (see _controls) that
    finds the run paused further on has already been served."""
    if not (run.state == "paused" and run.progress().step > drawn_at):
        run.one_more_epoch()


def _stop(run: TrainingRun) -> None:
    stop_training(run)
    state.focus_control("start_again")  # the one control left that can act


def _again(run: TrainingRun | Run) -> None:
    start_again(run)
    state.focus_control("pause")  # if the focus left Start again (the new run's controls are drawn anew)


def _controls(run: TrainingRun | Run) -> None:
    """Pause (Resume in its place when paused), one more epoch, stop and start again, always in the same places; a
    button that cannot act now is disabled, not hidden. A kept run (a record: the page was reloaded) can only start
    again. Each click must mean the same if it acts twice: Streamlit 1.67 may run a button's callback a second time
    for one click in a fragment that polls, with the callbacks of the page that first run drew (measured: Pause,
    then Resume, 0.15-0.7 s apart, in 4 of 10 clicks), so Pause and Resume are two buttons, never one that toggles."""
    training = isinstance(run, TrainingRun) and run.active and not state.stop_asked(run)
    live = training and run.state in ("running", "paused")  # a worker trains it: it takes commands
    with st.container(horizontal=True, key="run_controls"):
        if live and run.state == "paused":
            st.button("Resume", icon=":material/play_arrow:", key="resume", on_click=_resume, args=(run,))
        else:
            st.button("Pause", icon=":material/pause:", key="pause", on_click=_pause if live else None, args=(run,),
                      disabled=not live)
        st.button("One more epoch", icon=":material/skip_next:", key="one_more_epoch",
                  on_click=_one_more_epoch if live else None, args=(run, run.progress().step if live else 0),
                  disabled=not live,
                  help="Train to the end of this epoch, then pause; when paused at the end of an epoch, exactly one "
                       "more epoch.")
        st.button("Stop", icon=":material/stop:", key="stop", on_click=_stop if training else None,
                  args=(run,), disabled=not training)
        st.button("Start again", icon=":material/replay:", key="start_again", on_click=_again, args=(run,),
                  help="A fresh network with the same settings and seed, as a new run (a run still going is stopped "
                       "and kept first).")


def live_view() -> None:
    """Status, progress and curves of the session's run, polled while it is active, then its result; after a
    reload or a server restart, the newest run kept (brought back from the store) with its result. On a phone
    this column comes first while it shows a run (ui.frame.layout's CSS), right under Start."""
    run = state.current_run()
    shown = run if run is not None else state.last_trained()
    if shown is None:
        st.info("Choose a preset or change the settings, press **Start training**, and the loss and accuracy "
                "curves will grow here while the network learns.")
        return
    with st.container(key="live_run"):
        if run is None:
            _kept_view(shown)
        else:
            poll_while_active(POLL_SECONDS, lambda: _live_body(run))
        result_view(shown.record if isinstance(shown, TrainingRun) else shown)


def _live_body(run: TrainingRun) -> None:
    if state.current_run() is not run:  # Start again, clicked in this fragment, started another: the whole page shows it
        st.rerun(scope="app")
    st.caption(f"**{escape_markdown(run.name)}** — {describe(run.config)}")
    _controls(run)
    st.markdown(f"### {run_status(run)}")
    progress = run.progress()
    if run.state != "queued":
        st.progress(progress.fraction, text=f"step {progress.step:,} of {progress.total_steps:,}")
    if run.state == "paused" and not state.stop_asked(run):
        st.info(PAUSED_NOTE, icon=":material/pause_circle:")
    live_chart(training_figure_data(run.history(), run.config.epochs, revision=run.name), key="training_chart")
    insides_view(run)  # after the curves: on a phone, under them
    focus = state.pop_focus_control()
    if focus is not None:  # one of our own keys, never text from a user
        st.html(_FOCUS.replace("KEY", focus), unsafe_allow_javascript=True)


def _kept_view(record: Run) -> None:
    st.caption(f"**{escape_markdown(record.name)}** — {describe(record.config)}")
    _controls(record)
    st.markdown(f"### {escape_markdown(run_status(record))}")
    live_chart(training_figure_data(record.history, record.config.epochs, revision=record.name), key="training_chart")


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


def result_view(record: Run | None) -> None:
    """Test accuracy and loss of the ended run (None: none yet), and the engine's diagnosis in plain words."""
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
