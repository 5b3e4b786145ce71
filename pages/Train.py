"""Train: every setting, presets, start and the run's controls, live curves, the result explained, and a link to share."""
import streamlit as st

from ui.frame.address import sync_address
from ui.frame.layout import show_notice
from ui.frame.navigation import run_the_app_if_opened_alone
from ui.train.panel import live_view, preset_picker, start_button
from ui.train.settings_form import settings_form
from ui.train.share_panel import share_box

run_the_app_if_opened_alone()  # a fresh server's first request, when it names this page

st.title(":material/show_chart: Train a network", anchor=False)  # no anchor link: one Tab fewer to Start
st.markdown("Choose how the network is built and how it learns, press **Start training**, and watch it learn.")
start_slot = st.container()  # filled once the settings are known: first in the page, a Tab or two away

settings_column, run_column = st.columns([2, 3], gap="large")
with settings_column:
    with st.container():  # the presets and their notice in one block, never empty: a notice that comes or goes
        preset_picker()   # moves nothing below it (an empty block is dropped from the page, and the tabs that
        show_notice()     # followed it were drawn anew: sent back to Network, or shown twice for a moment)
    st.markdown("#### Settings")
    config = settings_form()
    sync_address(config)  # the address bar always holds these settings: copying it shares them
    share_box(config)
with start_slot:
    start_button(config)
with run_column:
    live_view()
