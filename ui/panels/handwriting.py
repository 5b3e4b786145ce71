"""The class's own handwriting on the Draw page: after an answer, one click on the digit it really was keeps
the drawing (28x28 and its strokes) with the writer's nickname; the network is then scored on those drawings.
The drawings are read and kept by ui.saving.drawings, the score is ui.shared.handwriting_score's; this is the
Streamlit side."""
from __future__ import annotations

import numpy as np
import streamlit as st

from mlp.model import Model
from training.record import Run
from ui import state
from ui.saving.drawings import class_handwriting, keep_labelled, kept_handwriting
from ui.saving.networks import network
from mlp.drawing.handwriting import split_writers
from ui.shared.handwriting_score import score, scored_on
from ui.shared.rule import DRAWINGS, Rule
from ui.shared.text import escape_markdown
from ui.shared.widgets import mirrored



def _keep(label: int) -> None:
    digit = state.drawn_digit()
    if digit is None or state.workspace() is None:
        return
    refused = keep_labelled(digit, label)
    if refused:
        state.set_notice(escape_markdown(refused), "warning")
        return
    state.set_labelled(digit, label)


def label_buttons(digit: np.ndarray) -> None:
    """Ten buttons: what the drawing really is. Kept once per drawing; the page says which label it got."""
    if state.workspace() is None:
        return
    done = state.labelled()
    if done is not None and done[0] == np.asarray(digit, dtype=np.float32).tobytes():
        st.success(f"Kept as a {done[1]}. Thank you: it joins the handwriting set.", icon=":material/check:")
        return
    st.markdown("**What did you really draw?**", help="One click keeps your drawing with that digit, so networks "
                "can be scored on real handwriting (your class's, if you joined one).")
    with st.container(horizontal=True, gap="small", key="labels"):
        for label in range(10):
            st.button(str(label), key=f"label_{label}", on_click=_keep, args=(label,))


EVERYTHING = "the class's handwriting"  # what a run that trained on no drawing is scored on


def handwriting_metric(record: Run) -> None:
    """One metric for the result card: the run's network on the class's handwriting, beside MNIST's test accuracy;
    only on drawings it did not train on (ui.shared.handwriting_score.scored_on: else the score would flatter it)."""
    handwriting = class_handwriting() if record.usable else None
    if handwriting is None:
        return
    handwriting, words = scored_on(handwriting, record, EVERYTHING)
    model = network(record) if len(handwriting) else None
    if model is None:
        return
    right, total = score(model, handwriting)
    label = "Class handwriting" if words == EVERYTHING else "Class handwriting (held-out writers)"
    st.metric(label, f"{right / total:.1%}", help=f"{right} of {total} read right, on {words}: the gap to the test "
              "accuracy is how far MNIST's digits are from yours.", width="content")


def drawings_toggle(rule: Rule) -> None:
    """Inside a class: the choice to train on its labelled drawings, and whose drawings stay out; shown locked, with
    why, when the teacher's rule fixes it or no drawing is labelled yet."""
    if state.membership() is None:
        return
    handwriting = class_handwriting()
    locked = not rule.permits(DRAWINGS)
    if (locked or handwriting is None) and state.with_drawings():
        state.set_with_drawings(False)
    why = (rule.why([DRAWINGS]) if locked
           else "No drawing of the class is labelled yet: label yours on the Draw page." if handwriting is None else "")
    mirrored(st.toggle, "Add the class's drawings to the training data", key="with_drawings",
             current=state.with_drawings(), store=state.set_with_drawings, disabled=bool(why),
             help="The class's labelled drawings join MNIST's training digits, except those of one writer in "
                  "three: those are held out, so the class-handwriting score stays honest.")
    if why:
        st.caption(f"🔒 {why}" if locked else why)
        return
    training, scoring = split_writers(handwriting)
    held = ", ".join(sorted(set(map(str, scoring.writers)))) or "nobody yet"
    st.caption(f"{len(training)} drawings to train on; held out for the score: {escape_markdown(held)}.")


def handwriting_score(model: Model | None) -> None:
    """The network on the handwriting kept so far (the class's, else this workspace's), beside MNIST's test; for a
    run that trained on the class's drawings, only on those it did not (ui.shared.handwriting_score.scored_on)."""
    handwriting = kept_handwriting() if model is not None else None
    if handwriting is None or not len(handwriting):
        return
    member = state.membership()
    handwriting, whose = scored_on(handwriting, state.run_of(model),
                                   EVERYTHING if member else "your labelled drawings")
    if not len(handwriting):
        st.caption(f"**On {whose}:** none yet. No held-out writer has labelled a drawing, nor anyone since it "
                   "trained: it is scored only on drawings it has not seen.")
        return
    right, total = score(model, handwriting)
    mnist = model.metrics.get("test_accuracy")
    beside = f" (MNIST's test digits: {mnist:.1%})" if isinstance(mnist, float) else ""
    st.caption(f"**On {whose}:** {right} of {total} right, {right / total:.0%}{beside}.")
