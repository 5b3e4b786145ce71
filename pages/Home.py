"""Home: what this app is, which data it uses, and where to start."""
import streamlit as st

from ui.frame import data
from ui.frame.layout import show_notice
from ui.frame.navigation import link, run_the_app_if_opened_alone
from ui.shared.text import escape_markdown

run_the_app_if_opened_alone()  # a fresh server's first request, when it names this page

dataset = data.dataset(report=False)  # app.py's set-up has shown what is wrong, if anything
st.title("MLP playground: teach a network to read handwritten digits")
show_notice()
st.markdown(
    "A small neural network (a *multilayer perceptron*) learns to recognise the digits 0 to 9 from "
    "thousands of handwritten examples. You choose how it is built and how it learns, watch it learn, "
    "then draw your own digits for it to read."
)
if dataset is not None:
    st.success(f"**Data:** {escape_markdown(dataset.description)}.")
    if dataset.source == "sample":
        st.warning("This is only a small offline sample: accuracies will be lower than with the full MNIST set.")

st.markdown("### Where to start")
CARDS = (
    ("Train", "**Train** a network",
     "Pick a preset or change the settings, press **Start training**, and watch the loss fall and the accuracy "
     "rise. If a run goes wrong, the app says why and fixes it in one click."),
    ("Draw", "**Draw** a digit",
     "Draw with a mouse, pen or finger and see what the network sees (28 × 28 pixels) and how sure it is of each "
     "digit. No network yet? One button trains a quick one."),
    ("Inspect", "**Inspect** a network",
     "Which digits does it confuse? Which mistakes is it surest of? What did its first layer learn, and how does "
     "each layer answer your drawing? Download the network, or upload one."),
    ("Compare", "**Compare** runs",
     "Every training is kept: overlay the curves of a learning rate of 0.000001, 0.001 and 1 (or 50 against 256 "
     "hidden units) and see their settings and results side by side."),
    ("Notebook", "**Fix** a student's notebook",
     "A student's network reached 9%, then 90%, and ended asking for help. Replay its mistakes one fix at a time, "
     "check its gradients against the loss, and see what each fix was worth."),
    ("Class", "**Teach** a class",
     "One link for students, one for you: every run they finish appears on the class board, where their "
     "learning rates against accuracy become one sweep to project, and their own drawings become a test set."),
)
for row in (CARDS[i:i + 2] for i in range(0, len(CARDS), 2)):
    for column, (title, label, text) in zip(st.columns(2, gap="large"), row):
        with column, st.container(border=True):
            link(title, label)
            st.markdown(text)
st.caption("A teacher can hand the whole class the same experiment: the Train page's link holds every setting "
           "and the seed.")
