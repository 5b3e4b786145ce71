"""Board: every run the class posted, its settings against accuracy, the best one, and overlaid curves."""
import streamlit as st

from ui.board.panel import board
from ui.layout import show_notice

st.title(":material/leaderboard: Class board")
show_notice()
board()
