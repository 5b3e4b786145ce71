"""Draw: a digit drawn by hand, the 28x28 image the network receives, and its answer."""
import streamlit as st

from ui import state
from ui.draw.panel import draw_area, no_model_yet
from ui.frame.layout import show_notice
from ui.frame.navigation import run_the_app_if_opened_alone
from ui.panels.network_picker import network_line
from ui.saving import networks

run_the_app_if_opened_alone()  # a fresh server's first request, when it names this page

st.title(":material/draw: Draw a digit")
st.markdown("Draw one digit, 0 to 9, as large as the square. When you lift the pen the network answers.")
with st.container():  # a fixed slot, so the drawing area below never moves (see draw_area)
    model, _ = networks.latest_model()
    training = state.active_run() is not None
    if model is None and not training and not state.model_runs():
        no_model_yet()
    else:
        network_line("draw_model", networks.following_training())
    trouble = networks.network_trouble(networks.chosen_run()) if model is None and not training else ""
    if trouble:  # the chosen network is in the saved work, which cannot be read just now
        st.warning(trouble, icon=":material/cloud_off:")
    show_notice()
draw_area()
