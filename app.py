"""MLP playground: the shared set-up once, then the page the address asks for.  Run: streamlit run app.py

The pages are listed in ui/navigation.py; each page's script lives in its folder (ui/train/page.py, ...).
Saved work (ui/workspace.py) finds the session's runs again on arrival, before the set-up draws the sidebar.
"""
from ui import workspace
from ui.layout import setup
from ui.navigation import navigation

page = navigation()
workspace.arrive()
setup(page.title)
workspace.attach()
page.run()
