"""Draw: a digit drawn by hand, the 28x28 image the network receives, and its answer."""
import streamlit as st

from ui import state
from ui.draw_panel import draw_area, no_model_yet
from ui.layout import setup_page

setup_page("Draw", "✏️")
st.title(":material/draw: Draw a digit")
st.markdown("Draw one digit, 0 to 9, as large as the square. When you lift the pen the network answers.")
with st.container():  # a fixed slot, so the drawing area below never moves (see draw_area)
    model, _ = state.latest_model()
    run = state.current_run()
    if model is None and (run is None or not run.active):
        no_model_yet()
    notice = state.pop_notice()
    if notice:
        st.warning(notice)
draw_area()
