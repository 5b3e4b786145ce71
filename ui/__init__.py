"""The Streamlit app's building blocks. Pure modules (figures, controller, settings) import no Streamlit,
so they can be unit-tested without a browser; the others draw pages from them."""
