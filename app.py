"""MLP playground: the shared set-up once, then the page the address asks for.  Run: streamlit run app.py

The pages are listed in ui/frame/navigation.py; each page is one short script in pages/, its parts in ui/<page>/.
Saved work (ui/saving/workspace.py) finds the session's runs again on arrival, before the set-up draws the sidebar.
"""
from training.logs import configure as configure_logs
from ui.frame.layout import setup
from ui.frame.navigation import navigation
from ui.saving import workspace


def main() -> None:
    configure_logs()  # the server log, before anything may write to it
    page = navigation()
    workspace.arrive()
    setup(page.title)
    workspace.attach()
    page.run()


# A training worker is a spawned process, and spawn runs the parent's main script in the child as
# "__mp_main__": if a page run installs this script as __main__ while a worker starts (training.workers guards
# against it, but a page run may win the race), the worker must not draw a page.
if __name__ != "__mp_main__":
    main()
