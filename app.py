"""MLP playground: the shared set-up once, then the page the address asks for.  Run: streamlit run app.py

The pages are listed in ui/navigation.py; each page's script lives in its folder (ui/train/page.py, ...).
Saved work (ui/workspace.py) finds the session's runs again on arrival, before the set-up draws the sidebar.
"""
from ui import workspace
from ui.layout import setup
from ui.navigation import navigation


def main() -> None:
    page = navigation()
    workspace.arrive()
    setup(page.title)
    workspace.attach()
    page.run()


# A training worker is a spawned process, and spawn runs the parent's main script in the child as
# "__mp_main__": if a page run installs this script as __main__ while a worker starts (ui.workers guards
# against it, but a page run may win the race), the worker must not draw a page.
if __name__ != "__mp_main__":
    main()
