"""Train: every setting, presets, start/pause/stop, live curves, and the result explained."""
import streamlit as st

from ui import state
from ui.layout import setup_page
from ui.settings_form import settings_form
from ui.train_panel import live_view, preset_picker, result_view, start_button

setup_page("Train", "📈")
st.title(":material/show_chart: Train a network")
st.markdown("Choose how the network is built and how it learns, press **Start training**, and watch it learn.")

settings_column, run_column = st.columns([2, 3], gap="large")
with settings_column:
    preset_picker()
    with st.container():  # always present, so what follows keeps its place in the page
        notice = state.pop_notice()
        if notice:
            st.info(notice)
    st.markdown("#### Settings")
    config = settings_form()
    result_view()
with run_column:
    start_button(config)
    live_view()
