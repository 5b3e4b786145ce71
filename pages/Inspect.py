"""Inspect: where a network goes wrong, what its first layer learned, and how it reads your digit."""
import streamlit as st

from ui.frame import data
from ui.frame.layout import show_notice
from ui.frame.navigation import run_the_app_if_opened_alone
from ui.inspect.panel import inspect_view, network_choice

run_the_app_if_opened_alone()  # a fresh server's first request, when it names this page

dataset = data.dataset(report=False)  # app.py's set-up has shown what is wrong, if anything
st.title(":material/biotech: Inspect a network")
st.markdown("Look inside a trained network: which digits it confuses, the mistakes it is surest of, what its "
            "first layer learned, and how each layer answers the digit you drew.")
show_notice()
run = network_choice()
if run is not None and dataset is not None:
    inspect_view(run, dataset)
