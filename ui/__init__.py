"""The Streamlit app's parts; the page scripts themselves are in pages/.

- frame/: what every page shares (navigation, set-up, sidebar, the process's MNIST);
- session/: what a visitor's session keeps, and its training;
- saving/: saved work, the only room that talks to store/;
- shared/: parts more than one page uses;
- train/, draw/, inspect/, compare/, notebook/, classroom/, board/: each page's panels, figures and pure data helpers.

Pure modules import no Streamlit (tests/test_ui_imports.py), so they are tested without a browser."""
