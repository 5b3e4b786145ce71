"""Compare: the curves of several runs on the same axes, their settings and results, as CSV too."""
import streamlit as st

from ui.compare.panel import compare_view
from ui.frame.layout import show_notice
from ui.frame.navigation import run_the_app_if_opened_alone
from ui.saving import workspace
from ui.state import MAX_RUNS

run_the_app_if_opened_alone()  # a fresh server's first request, when it names this page

st.title(":material/compare_arrows: Compare runs")
st.markdown(f"Every training of this session is kept (the last {MAX_RUNS}). Pick a few to see their curves on the "
            "same axes, with the settings in which they differ and their results.")
show_notice()
compare_view()
st.divider()
workspace.start_fresh_button()
