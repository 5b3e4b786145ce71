"""The Streamlit app, grouped by page: ui/train, ui/draw, ui/inspect, ui/compare and ui/home each hold their
page's script (page.py), its panel and, where it has them, its pure data helpers and figures. Shared parts sit
here: navigation (the list of pages), layout (set-up and polling), state, runs, data, controller, settings.
Pure modules import no Streamlit (tests/test_ui_imports.py), so they are tested without a browser."""
