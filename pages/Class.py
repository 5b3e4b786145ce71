"""Class: a teacher makes a class and moderates it; students join it with a nickname."""
import streamlit as st

from ui import state
from ui.classroom.panel import create_form, invited_elsewhere, join_form, member_view, teacher_view
from ui.frame.layout import show_notice
from ui.frame.navigation import run_the_app_if_opened_alone
from ui.saving.classes import StoreError
from ui.shared.text import escape_markdown

run_the_app_if_opened_alone()  # a fresh server's first request, when it names this page

st.title(":material/groups: Class")
st.markdown("A class shares its runs on one board: everyone's settings and results side by side, so the class's "
            "runs become one experiment the teacher can project.")
try:
    show_notice()
    teaching, member = state.teaching(), state.membership()
    if teaching is not None and teaching[0] is not None:
        teacher_view(*teaching)
    elif member is not None and not invited_elsewhere(member):
        member_view()
    else:
        join_form(member)
        st.divider()
        create_form()
except StoreError as error:
    st.warning(f"{escape_markdown(error)} Classes need saved work; the rest of the app works as before.")
