"""Board: every run the class posted, its settings against accuracy, the best one, and overlaid curves."""
import streamlit as st

from ui.board.panel import board
from ui.frame.layout import show_notice
from ui.frame.navigation import run_the_app_if_opened_alone

run_the_app_if_opened_alone()  # a fresh server's first request, when it names this page

st.title(":material/leaderboard: Class board")
show_notice()
board()
