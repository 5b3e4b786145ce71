"""Compare: the curves of several runs on the same axes, their settings and results, as CSV too."""
import streamlit as st

from ui import workspace
from ui.compare.panel import compare_view
from ui.layout import show_notice
from ui.state import MAX_RUNS

st.title(":material/compare_arrows: Compare runs")
st.markdown(f"Every training of this session is kept (the last {MAX_RUNS}). Pick a few to see their curves on the "
            "same axes, with the settings in which they differ and their results.")
show_notice()
compare_view()
st.divider()
workspace.start_fresh_button()
