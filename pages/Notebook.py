"""Notebook: the student's notebook replayed, its mistakes fixed one at a time, the check that finds them, and
backpropagation in slow motion."""
import streamlit as st

from ui.frame import data
from ui.frame.layout import show_notice
from ui.frame.navigation import run_the_app_if_opened_alone
from ui.notebook.diagram_panel import diagram_view
from ui.notebook.panel import notebook_view
from ui.notebook.slow_panel import current_network, slow_motion_view

run_the_app_if_opened_alone()  # a fresh server's first request, when it names this page

dataset = data.dataset(report=False)  # app.py's set-up has shown what is wrong, if anything
st.title(":material/bug_report: The notebook, debugged")
st.markdown("A student's from-scratch network reached 9% on MNIST, then 90%, and the notebook ends: \"I would "
            "appreciate suggestions to fix my code\". Here is its code replayed, each mistake fixed in turn, with "
            "what the fix alone and all the fixes so far do to the curves.")
show_notice()
if dataset is not None:
    notebook_view(dataset)
    st.divider()
    slow_motion_view(dataset)
    st.divider()
    diagram_view(dataset, *current_network())
